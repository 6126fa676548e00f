import HTTP
public import Foundation
import Yams

/// A kubeconfig file (`~/.kube/config`), as far as connecting needs it.
public struct Kubeconfig: Decodable, Sendable {
    public struct Named<Value: Decodable & Sendable>: Decodable, Sendable {
        public var name: String
        public var value: Value

        private enum CodingKeys: String, CodingKey { case name, cluster, user, context }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            let key: CodingKeys = Value.self == Cluster.self ? .cluster : Value.self == User.self ? .user : .context
            value = try container.decode(Value.self, forKey: key)
        }
    }

    public struct Cluster: Decodable, Sendable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?

        private enum CodingKeys: String, CodingKey {
            case server, certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    public struct User: Decodable, Sendable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var exec: ExecConfig?
        public var username: String?
        public var authProvider: JSONValue?

        private enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, username
            case clientCertificate = "client-certificate", clientCertificateData = "client-certificate-data"
            case clientKey = "client-key", clientKeyData = "client-key-data", authProvider = "auth-provider"
        }
    }

    public struct ExecConfig: Decodable, Sendable {
        public var apiVersion: String
        public var command: String
        public var args: [String]?
        public var env: [EnvEntry]?

        public struct EnvEntry: Decodable, Sendable {
            public var name: String
            public var value: String
        }
    }

    public struct Context: Decodable, Sendable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    public var clusters: [Named<Cluster>]?
    public var users: [Named<User>]?
    public var contexts: [Named<Context>]?
    public var currentContext: String?
    /// The folder of the file, against which relative paths in it are resolved.
    public var directory: String = "."

    private enum CodingKeys: String, CodingKey { case clusters, users, contexts, currentContext = "current-context" }

    /// Reads and parses one kubeconfig file.
    /// - Throws: ``KubernetesError/configuration(_:)`` naming the file and what is wrong in it.
    public static func load(path: String) throws(KubernetesError) -> Kubeconfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configuration("cannot read kubeconfig \(path): \(error.localizedDescription)")
        }
        do {
            var config = try YAMLDecoder().decode(Kubeconfig.self, from: text)
            config.directory = (path as NSString).deletingLastPathComponent
            return config
        } catch {
            throw .configuration("\(path): not a valid kubeconfig: \(error)")
        }
    }

    /// The files `KUBECONFIG` lists (colon-separated), or `~/.kube/config`.
    public static func searchPaths(environment: [String: String]) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init)
        }
        return ["\(environment["HOME"] ?? "/root")/.kube/config"]
    }
}

extension Kubeconfig {
    /// The connection a context describes: server, TLS trust and identity, and the credential source.
    /// - Parameters:
    ///   - context: the context to use; `current-context` when nil.
    /// - Throws: ``KubernetesError/configuration(_:)`` for a missing context, cluster or user, a
    ///   cluster that asks to skip TLS verification, or an unsupported authentication method.
    public func connection(context name: String? = nil, environment: [String: String]) throws(KubernetesError) -> ClusterConnection {
        guard let contextName = name ?? currentContext else {
            throw .configuration("kubeconfig has no current-context and no --context was given")
        }
        guard let context = contexts?.first(where: { $0.name == contextName })?.value else {
            throw .configuration("kubeconfig has no context \"\(contextName)\" (it has: \((contexts ?? []).map(\.name).joined(separator: ", ")))")
        }
        guard let cluster = clusters?.first(where: { $0.name == context.cluster })?.value else {
            throw .configuration("context \"\(contextName)\" names cluster \"\(context.cluster)\", which the kubeconfig lacks")
        }
        if cluster.insecureSkipTLSVerify == true {
            throw .configuration(
                "cluster \"\(context.cluster)\" sets insecure-skip-tls-verify; fargate-cron always verifies the API server, give it certificate-authority-data instead")
        }
        var tls = TLSConfiguration()
        tls.certificateAuthority = try material(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                                                what: "certificate-authority of cluster \"\(context.cluster)\"")
        let userName = context.user ?? ""
        let user = users?.first(where: { $0.name == userName })?.value
        let identity = "kubeconfig user \"\(userName)\" (context \"\(contextName)\")"
        var credentials: any CredentialSource = NoCredentials(identity: identity)
        if let user {
            tls.clientCertificate = try material(data: user.clientCertificateData, file: user.clientCertificate,
                                                 what: "client-certificate of user \"\(userName)\"")
            tls.clientKey = try material(data: user.clientKeyData, file: user.clientKey,
                                         what: "client-key of user \"\(userName)\"")
            if let token = user.token {
                credentials = StaticToken(token, identity: identity)
            } else if let tokenFile = user.tokenFile {
                credentials = TokenFileSource(path: resolve(tokenFile), identity: identity)
            } else if let exec = user.exec {
                credentials = try ExecPlugin(config: exec, environment: environment, identity: identity,
                                             directory: directory)
            } else if user.username != nil || user.authProvider != nil {
                throw .configuration("user \"\(userName)\" uses basic auth or an auth-provider, which fargate-cron does not support; use an exec plugin")
            }
        }
        return ClusterConnection(server: cluster.server, tls: tls, credentials: credentials, namespace: context.namespace)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(directory)/\(path)"
    }

    private func material(data: String?, file: String?, what: String) throws(KubernetesError) -> Data? {
        if let data {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw .configuration("\(what): the -data value is not base64")
            }
            return decoded
        }
        guard let file else { return nil }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: resolve(file)))
        } catch {
            throw .configuration("\(what): cannot read \(resolve(file)): \(error.localizedDescription)")
        }
    }
}
