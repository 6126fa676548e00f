public import HTTP
public import Foundation

/// Finds AWS credentials the way the AWS CLI does, minus instance metadata:
///
/// 1. an explicitly chosen profile (`--profile`) in the shared files, if one was given;
/// 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
/// 3. web identity (IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`, exchanged through STS
///    `AssumeRoleWithWebIdentity`;
/// 4. the profile `AWS_PROFILE` (or `default`) in `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials`),
///    then in `AWS_CONFIG_FILE` (`~/.aws/config`), whose profile may itself name a web identity
///    (`web_identity_token_file`, `role_arn`).
///
/// Temporary credentials are cached until five minutes before they expire.
public actor AWSCredentialChain {
    private let environment: [String: String]
    private let profile: String?
    private let home: String
    private let transport: any Transport
    private let now: @Sendable () -> Date
    private var cached: AWSCredentials?

    /// Creates a chain.
    /// - Parameters:
    ///   - environment: the process environment (passed in, never read here).
    ///   - profile: an explicitly chosen profile (`--profile`); it wins over the environment's keys.
    ///   - transport: for STS `AssumeRoleWithWebIdentity`.
    ///   - now: the clock.
    public init(
        environment: [String: String], profile: String? = nil, transport: any Transport,
        now: @escaping @Sendable () -> Date
    ) {
        self.environment = environment
        self.profile = profile
        self.home = environment["HOME"] ?? "/root"
        self.transport = transport
        self.now = now
    }

    /// Credentials, from the cache while they are fresh.
    /// - Throws: ``AWSError/credentials(_:)`` naming every place that was looked at.
    public func credentials(refreshing: Bool = false) async throws(AWSError) -> AWSCredentials {
        if !refreshing, let cached, cached.expiration.map({ $0.timeIntervalSince(now()) > 300 }) ?? true {
            return cached
        }
        let fresh = try await resolve()
        cached = fresh
        return fresh
    }

    /// A description of where credentials will be looked for, for messages.
    public nonisolated var profileDescription: String {
        profile.map { "AWS profile \"\($0)\"" } ?? environment["AWS_PROFILE"].map { "AWS profile \"\($0)\"" }
            ?? "the default AWS credentials"
    }

    var region: String? { environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] }

    private func resolve() async throws(AWSError) -> AWSCredentials {
        var looked: [String] = []
        if let profile {
            if let found = try await fromProfile(profile, looked: &looked) { return found }
            throw .credentials("AWS profile \"\(profile)\" not found or incomplete (looked in \(looked.joined(separator: ", ")))")
        }
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
            !key.isEmpty, !secret.isEmpty
        {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"],
                                  source: "environment (AWS_ACCESS_KEY_ID)")
        }
        looked.append("AWS_ACCESS_KEY_ID")
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let role = environment["AWS_ROLE_ARN"] {
            return try await WebIdentity(
                tokenFile: tokenFile, roleARN: role, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                region: region, endpoint: environment["AWS_ENDPOINT_URL_STS"] ?? environment["AWS_ENDPOINT_URL"],
                transport: transport, now: now
            ).assumeRole()
        }
        looked.append("AWS_WEB_IDENTITY_TOKEN_FILE")
        let name = environment["AWS_PROFILE"] ?? "default"
        if let found = try await fromProfile(name, looked: &looked) { return found }
        throw .credentials("no AWS credentials found (looked at \(looked.joined(separator: ", ")))")
    }

    private func fromProfile(_ name: String, looked: inout [String]) async throws(AWSError) -> AWSCredentials? {
        let credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        looked.append("profile \"\(name)\" in \(credentialsFile)")
        if let section = try INIFile.section(name, in: credentialsFile), let found = keys(section, "\(credentialsFile) [\(name)]") {
            return found
        }
        looked.append("\(configFile)")
        let configSection = name == "default" ? "default" : "profile \(name)"
        guard let section = try INIFile.section(configSection, in: configFile) else { return nil }
        if let found = keys(section, "\(configFile) [\(configSection)]") { return found }
        if let tokenFile = section["web_identity_token_file"], let role = section["role_arn"] {
            return try await WebIdentity(
                tokenFile: tokenFile, roleARN: role, sessionName: section["role_session_name"],
                region: section["region"] ?? region, endpoint: environment["AWS_ENDPOINT_URL_STS"],
                transport: transport, now: now
            ).assumeRole()
        }
        return nil
    }

    private func keys(_ section: [String: String], _ place: String) -> AWSCredentials? {
        guard let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else { return nil }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"],
                              source: place)
    }
}

/// The AWS shared-file INI dialect: `[section]`, `key = value`, `#` and `;` comments.
enum INIFile {
    /// The section's keys, nil when the file or the section does not exist.
    /// - Throws: ``AWSError/credentials(_:)`` when the file exists but cannot be read.
    static func section(_ name: String, in path: String) throws(AWSError) -> [String: String]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .credentials("cannot read \(path): \(error.localizedDescription)")
        }
        return parse(text)[name]
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                sections[current]?[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return sections
    }
}
