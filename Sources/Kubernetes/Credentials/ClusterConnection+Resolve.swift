import AWS
public import HTTP
public import Foundation

/// What the user chose on the command line (or in `FARGATE_CRON_*` variables).
public struct ConnectionOptions: Sendable {
    /// `--kubeconfig FILE`.
    public var kubeconfig: String?
    /// `--context NAME`.
    public var context: String?
    /// `--eks-cluster NAME`: native EKS credentials, no kubeconfig.
    public var eksCluster: String?
    /// `--region R` for `--eks-cluster` (else `AWS_REGION`/`AWS_DEFAULT_REGION`).
    public var region: String?
    /// `--profile P`: the AWS profile for `--eks-cluster`.
    public var profile: String?

    /// Creates options; all nil means "find the usual configuration".
    public init(
        kubeconfig: String? = nil, context: String? = nil, eksCluster: String? = nil, region: String? = nil,
        profile: String? = nil
    ) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.eksCluster = eksCluster
        self.region = region
        self.profile = profile
    }
}

extension ClusterConnection {
    /// Finds the connection, trying in this order and stopping at the first that applies:
    ///
    /// 1. `--kubeconfig FILE` (with `--context`), when given;
    /// 2. `--eks-cluster NAME` (with `--region`, `--profile`): native EKS tokens from AWS credentials,
    ///    the endpoint and CA from EKS `DescribeCluster`;
    /// 3. the files in `KUBECONFIG`, or `~/.kube/config`, when one exists (with `--context`);
    /// 4. the in-cluster service account, when running in a pod.
    ///
    /// - Parameters:
    ///   - environment: the process environment (read in `main`, passed down).
    ///   - awsTransport: for STS and EKS calls (a ``CurlTransport`` with the system trust store).
    ///   - now: the clock.
    /// - Throws: ``KubernetesError/configuration(_:)`` saying what was tried when nothing applies.
    public static func resolve(
        _ options: ConnectionOptions, environment: [String: String], awsTransport: any Transport,
        now: @escaping @Sendable () -> Date
    ) async throws(KubernetesError) -> ClusterConnection {
        if let path = options.kubeconfig {
            return try Kubeconfig.load(path: path).connection(context: options.context, environment: environment)
        }
        if let cluster = options.eksCluster {
            guard let region = options.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] else {
                throw .configuration("--eks-cluster \(cluster) needs --region (or AWS_REGION)")
            }
            let chain = AWSCredentialChain(environment: environment, profile: options.profile, transport: awsTransport, now: now)
            let description = try await EKSClusterDescription.describe(
                cluster: cluster, region: region, chain: chain, transport: awsTransport,
                endpoint: environment["AWS_ENDPOINT_URL_EKS"], now: now)
            return ClusterConnection(
                server: description.endpoint, tls: TLSConfiguration(certificateAuthority: description.certificateAuthority),
                credentials: EKSTokenSource(cluster: cluster, region: region, chain: chain, now: now), namespace: nil)
        }
        let paths = Kubeconfig.searchPaths(environment: environment).filter { FileManager.default.fileExists(atPath: $0) }
        if !paths.isEmpty {
            var merged = try Kubeconfig.load(path: paths[0])
            for path in paths.dropFirst() {
                merged.merge(try Kubeconfig.load(path: path))
            }
            return try merged.connection(context: options.context, environment: environment)
        }
        if let inCluster = try inCluster(environment: environment) { return inCluster }
        let searched = Kubeconfig.searchPaths(environment: environment).joined(separator: ":")
        throw .configuration(
            "no cluster configuration: no --kubeconfig, no --eks-cluster, no kubeconfig at \(searched), and not running in a pod")
    }
}

extension Kubeconfig {
    /// Adds another file's entries, as kubectl merges `KUBECONFIG`: the first file to name something wins.
    mutating func merge(_ other: Kubeconfig) {
        func add<V>(_ mine: inout [Named<V>]?, _ theirs: [Named<V>]?) {
            var list = mine ?? []
            for entry in theirs ?? [] where !list.contains(where: { $0.name == entry.name }) { list.append(entry) }
            mine = list
        }
        add(&clusters, other.clusters)
        add(&users, other.users)
        add(&contexts, other.contexts)
        if currentContext == nil { currentContext = other.currentContext }
    }
}

/// EKS `DescribeCluster`: the API endpoint and CA of a cluster, signed with SigV4.
struct EKSClusterDescription {
    var endpoint: String
    var certificateAuthority: Data

    private struct Answer: Decodable {
        struct Cluster: Decodable {
            struct Authority: Decodable { var data: String? }
            var endpoint: String?
            var certificateAuthority: Authority?
        }
        var cluster: Cluster
    }

    static func describe(
        cluster: String, region: String, chain: AWSCredentialChain, transport: any Transport, endpoint: String?,
        now: @Sendable () -> Date
    ) async throws(KubernetesError) -> EKSClusterDescription {
        let credentials = try await chain.kubernetesCredentials()
        let base = endpoint ?? "https://eks.\(region).\(AWSEndpoint.domain(for: region))"
        guard let url = URL(string: base), let hostName = url.host else { throw .configuration("bad EKS endpoint \(base)") }
        let host = url.port.map { "\(hostName):\($0)" } ?? hostName
        let path = "/clusters/\(SigV4.encode(cluster))"
        let date = now()
        var headers = [("host", host), ("x-amz-date", SigV4.timestamp(date))]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signer = SigV4(credentials: credentials, region: region, service: "eks")
        let authorization = signer.authorization(
            for: SigV4.Request(method: "GET", path: path, query: [], headers: headers, body: Data()), at: date)
        let sent = headers.filter { $0.0 != "host" } + [("Authorization", authorization), ("Accept", "application/json")]
        let request = HTTPRequest(method: .get, url: base + path, headers: sent.map { (name: $0.0, value: $0.1) })
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .configuration("EKS DescribeCluster \(cluster) in \(region) failed: \(error)")
        }
        guard response.status == 200, let answer = try? JSONDecoder().decode(Answer.self, from: response.body),
            let server = answer.cluster.endpoint, let caText = answer.cluster.certificateAuthority?.data,
            let ca = Data(base64Encoded: caText, options: .ignoreUnknownCharacters)
        else {
            let body = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw .configuration("EKS DescribeCluster \(cluster) in \(region) answered \(response.status): \(body)")
        }
        return EKSClusterDescription(endpoint: server, certificateAuthority: ca)
    }
}
