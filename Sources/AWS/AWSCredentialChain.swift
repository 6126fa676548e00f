public import HTTP
public import Foundation

/// Finds AWS credentials the way the AWS CLI (botocore) does, in its order:
///
/// 1. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (skipped
///    when a profile was chosen explicitly, with `--profile`);
/// 2. the profile's `role_arn` with `source_profile` or `credential_source`: STS `AssumeRole`, signed
///    with the source's credentials (profiles may chain);
/// 3. web identity: the profile's `web_identity_token_file` and `role_arn`, else
///    `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (IRSA), exchanged through STS
///    `AssumeRoleWithWebIdentity`;
/// 4. the profile's keys in `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials`);
/// 5. the profile's `credential_process`;
/// 6. the profile's keys in `AWS_CONFIG_FILE` (`~/.aws/config`);
/// 7. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`: ECS task
///    roles, EKS Pod Identity);
/// 8. the EC2 instance role through IMDSv2 (unless `AWS_EC2_METADATA_DISABLED=true`).
///
/// The profile is `--profile`, else `AWS_PROFILE`, else `default`. An explicitly chosen profile that
/// neither file has is an error, as in the CLI. IAM Identity Center (`sso_*`) profiles are not read.
///
/// Temporary credentials are kept until 15 minutes before they expire, then renewed from the source
/// that gave them; if renewing fails while they still have 10 minutes, they are used meanwhile (the
/// CLI's advisory and mandatory refresh windows).
public actor AWSCredentialChain {
    let environment: [String: String]
    let profile: String?
    let home: String
    let transport: any Transport
    private let metadata: InstanceMetadata
    let metadataTransport: any Transport
    let now: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var cachedSource: Source?

    /// Renew this long before expiry.
    static let advisoryRefresh: TimeInterval = 15 * 60
    /// Past this, old credentials are not used even if renewing fails.
    static let mandatoryRefresh: TimeInterval = 10 * 60

    /// Creates a chain.
    /// - Parameters:
    ///   - environment: the process environment (passed in, never read here).
    ///   - profile: an explicitly chosen profile (`--profile`); it wins over the environment's keys.
    ///   - transport: for STS.
    ///   - metadataTransport: for instance metadata and container credentials; by default libcurl with
    ///     the CLI's one-second timeouts (off EC2, nothing answers at 169.254.169.254).
    ///   - now: the clock.
    public init(
        environment: [String: String], profile: String? = nil, transport: any Transport,
        metadataTransport: (any Transport)? = nil, now: @escaping @Sendable () -> Date
    ) {
        self.environment = environment
        self.profile = profile
        self.home = environment["HOME"] ?? "/root"
        self.transport = transport
        let local = metadataTransport
            ?? CurlTransport(configuration: .init(connectTimeout: .seconds(1), requestTimeout: .seconds(2)))
        self.metadataTransport = local
        self.metadata = InstanceMetadata(environment: environment, transport: local, now: now)
        self.now = now
    }

    /// Credentials, from the cache while they are fresh.
    /// - Parameter refreshing: look again even if the cached ones are fresh (after a 401).
    /// - Throws: ``AWSError/credentials(_:)`` naming every place that was looked at.
    public func credentials(refreshing: Bool = false) async throws(AWSError) -> AWSCredentials {
        if let cached {
            let left = cached.expiration.map { $0.timeIntervalSince(now()) } ?? .infinity
            if !refreshing && left > Self.advisoryRefresh { return cached }
            if !refreshing, let source = cachedSource {
                // Renew from the source that gave them; keep them a while if it cannot answer now.
                do {
                    return remember(try await fetch(source), from: source)
                } catch {
                    if left > Self.mandatoryRefresh { return cached }
                    throw error
                }
            }
        }
        let (fresh, source) = try await resolve()
        return remember(fresh, from: source)
    }

    private func remember(_ credentials: AWSCredentials, from source: Source) -> AWSCredentials {
        cached = credentials
        cachedSource = source
        return credentials
    }

    /// A description of where credentials will be looked for, for messages.
    public nonisolated var profileDescription: String {
        profile.map { "AWS profile \"\($0)\"" } ?? environment["AWS_PROFILE"].map { "AWS profile \"\($0)\"" }
            ?? "the default AWS credentials"
    }

    var region: String? { environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] }
    var stsEndpoint: String? { environment["AWS_ENDPOINT_URL_STS"] ?? environment["AWS_ENDPOINT_URL"] }

    /// Where a set of credentials came from, so that it is renewed from the same place.
    indirect enum Source: Sendable {
        case environment
        case assumeRole(profile: String, chain: [String])
        case webIdentity(tokenFile: String, roleARN: String, sessionName: String?, region: String?)
        case staticKeys(AWSCredentials)
        case process(command: String, place: String)
        case container(url: String)
        case instanceMetadata
    }

    private func resolve() async throws(AWSError) -> (AWSCredentials, Source) {
        var looked: [String] = []
        let shared = SharedConfig(environment: environment, home: home)
        let name = profile ?? environment["AWS_PROFILE"] ?? "default"
        let chosen = try shared.profile(name)
        if profile != nil, !chosen.exists {
            throw .credentials(
                "AWS profile \"\(name)\" not found or incomplete (looked in \(shared.credentialsFile), \(shared.configFile))")
        }
        if profile == nil {
            if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
                !key.isEmpty, !secret.isEmpty
            {
                return (try await fetch(.environment), .environment)
            }
            looked.append("environment (AWS_ACCESS_KEY_ID)")
        }
        for source in try profileSources(chosen, shared: shared, looked: &looked) {
            return (try await fetch(source), source)
        }
        if let url = try ContainerCredentials.endpoint(in: environment) {
            return (try await fetch(.container(url: url)), .container(url: url))
        }
        looked.append("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI)")
        if InstanceMetadata.isDisabled(in: environment) {
            looked.append("instance metadata (off: AWS_EC2_METADATA_DISABLED)")
        } else {
            do {
                return (try await fetch(.instanceMetadata), .instanceMetadata)
            } catch {
                looked.append("\(error)".replacingOccurrences(of: "AWS credentials: ", with: ""))
            }
        }
        throw .credentials("no AWS credentials found (looked at \(looked.joined(separator: ", ")))")
    }

    /// The sources the chosen profile (and the environment's web identity) offer, in the CLI's order;
    /// at most one, since the first that applies is used.
    private func profileSources(
        _ chosen: SharedConfig.Profile, shared: SharedConfig, looked: inout [String]
    ) throws(AWSError) -> [Source] {
        if chosen["role_arn"] != nil, chosen["source_profile"] != nil || chosen["credential_source"] != nil {
            return [.assumeRole(profile: chosen.name, chain: [])]
        }
        if let tokenFile = chosen["web_identity_token_file"], let role = chosen["role_arn"] {
            return [.webIdentity(tokenFile: tokenFile, roleARN: role, sessionName: chosen["role_session_name"],
                                 region: chosen["region"] ?? region)]
        }
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let role = environment["AWS_ROLE_ARN"] {
            return [.webIdentity(tokenFile: tokenFile, roleARN: role, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                                 region: region)]
        }
        looked.append("web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
        if let keys = chosen.staticKeys(in: chosen.credentials, place: chosen.credentialsPlace) {
            return [.staticKeys(keys)]
        }
        looked.append("profile \"\(chosen.name)\" in \(shared.credentialsFile)")
        if let command = chosen["credential_process"] {
            return [.process(command: command, place: chosen.configPlace)]
        }
        if let keys = chosen.staticKeys(in: chosen.config, place: chosen.configPlace) { return [.staticKeys(keys)] }
        looked.append("profile \"\(chosen.name)\" in \(shared.configFile)")
        return []
    }

    private func fetch(_ source: Source) async throws(AWSError) -> AWSCredentials {
        switch source {
        case .environment:
            return AWSCredentials(
                accessKeyID: environment["AWS_ACCESS_KEY_ID"] ?? "", secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"] ?? "",
                sessionToken: environment["AWS_SESSION_TOKEN"], source: "environment (AWS_ACCESS_KEY_ID)")
        case .assumeRole(let name, let chain):
            return try await assumeRole(profile: name, chain: chain)
        case .webIdentity(let tokenFile, let role, let session, let region):
            return try await WebIdentity(
                tokenFile: tokenFile, roleARN: role, sessionName: session, region: region, endpoint: stsEndpoint,
                transport: transport, now: now
            ).assumeRole()
        case .staticKeys(let keys):
            return keys
        case .process(let command, let place):
            return try CredentialProcess(command: command, environment: environment, place: place).run()
        case .container(let url):
            return try await ContainerCredentials(url: url, environment: environment, transport: metadataTransport).fetch()
        case .instanceMetadata:
            return try await metadata.credentials()
        }
    }
}
