import HTTP
import Foundation

extension AWSCredentialChain {
    /// A profile with `role_arn`: the source's credentials (`source_profile`, itself resolved as a
    /// profile, possibly another role; or `credential_source`: `Environment`, `Ec2InstanceMetadata`,
    /// `EcsContainer`) sign STS `AssumeRole` for the role.
    /// - Parameter chain: the profiles already on the way here, to refuse a loop.
    func assumeRole(profile name: String, chain: [String]) async throws(AWSError) -> AWSCredentials {
        let shared = SharedConfig(environment: environment, home: home)
        let profile = try shared.profile(name)
        guard let role = profile["role_arn"] else {
            throw .credentials("AWS profile \"\(name)\" has no role_arn")
        }
        let signer: AWSCredentials
        if let sourceName = profile["source_profile"] {
            guard !chain.contains(sourceName) || sourceName == name else {
                throw .credentials("AWS profiles loop through source_profile: \((chain + [name, sourceName]).joined(separator: " -> "))")
            }
            let source = try shared.profile(sourceName)
            guard source.exists else {
                throw .credentials("AWS profile \"\(name)\" names source_profile \"\(sourceName)\", which is not found")
            }
            if sourceName != name, source["role_arn"] != nil,
                source["source_profile"] != nil || source["credential_source"] != nil
            {
                signer = try await assumeRole(profile: sourceName, chain: chain + [name])
            } else if let keys = source.staticKeys(in: source.credentials, place: source.credentialsPlace)
                ?? source.staticKeys(in: source.config, place: source.configPlace)
            {
                signer = keys
            } else if let command = source["credential_process"] {
                signer = try CredentialProcess(command: command, environment: environment, place: source.configPlace).run()
            } else if let tokenFile = source["web_identity_token_file"], let sourceRole = source["role_arn"] {
                signer = try await WebIdentity(
                    tokenFile: tokenFile, roleARN: sourceRole, sessionName: source["role_session_name"],
                    region: source["region"] ?? region, endpoint: stsEndpoint, transport: transport, now: now
                ).assumeRole()
            } else {
                throw .credentials("AWS profile \"\(name)\": source_profile \"\(sourceName)\" has no credentials")
            }
        } else if let kind = profile["credential_source"] {
            signer = try await credentialSource(kind, for: name)
        } else {
            throw .credentials("AWS profile \"\(name)\" has role_arn but neither source_profile nor credential_source")
        }
        var parameters = [
            ("RoleArn", role), ("RoleSessionName", profile["role_session_name"] ?? "fargate-cron-\(Int(now().timeIntervalSince1970))"),
        ]
        if let external = profile["external_id"] { parameters.append(("ExternalId", external)) }
        if let duration = profile["duration_seconds"] { parameters.append(("DurationSeconds", duration)) }
        let call = STSCall(endpoint: stsEndpoint, region: profile["region"] ?? region, transport: transport)
        return try await call.credentials(
            action: "AssumeRole", parameters: parameters, signer: signer, at: now(),
            describing: "STS AssumeRole for \(role) (profile \"\(name)\", signed with \(signer.source))",
            source: "assumed role \(role) (profile \"\(name)\")")
    }

    private func credentialSource(_ kind: String, for name: String) async throws(AWSError) -> AWSCredentials {
        switch kind {
        case "Environment":
            guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                throw .credentials("AWS profile \"\(name)\": credential_source Environment, but AWS_ACCESS_KEY_ID is not set")
            }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"],
                                  source: "environment (AWS_ACCESS_KEY_ID)")
        case "Ec2InstanceMetadata":
            return try await InstanceMetadata(environment: environment, transport: metadataTransport, now: now)
                .credentials()
        case "EcsContainer":
            guard let url = try ContainerCredentials.endpoint(in: environment) else {
                throw .credentials("AWS profile \"\(name)\": credential_source EcsContainer, but no container credentials are set")
            }
            return try await ContainerCredentials(url: url, environment: environment, transport: metadataTransport)
                .fetch()
        default:
            throw .credentials(
                "AWS profile \"\(name)\": credential_source \(kind) is not one of Environment, Ec2InstanceMetadata, EcsContainer")
        }
    }
}
