@testable import AWS
import HTTP
import Foundation
import TestSupport
import Testing

/// Each AWS credential source against a server on 127.0.0.1 that speaks its protocol
/// (scripts/peers/aws_metadata.py): the EC2 instance role over IMDSv2, container credentials (ECS task
/// roles, EKS Pod Identity), STS AssumeRole signed with another source's keys (the peer recomputes the
/// SigV4 signature with botocore), `credential_process`; with expiry and refresh on a manual clock.
enum Botocore {
    /// Whether python3 can import botocore, which the peer checks signatures with (scripts/deps installs awscli).
    static var isInstalled: Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import botocore"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}

@Suite(.enabled(if: Botocore.isInstalled, "needs python3 with botocore (scripts/deps installs awscli)"))
struct AWSCredentialSourceTests {

    static let start = "2026-03-08T07:30:15Z"

    /// A chain on a manual clock with nothing but `environment` (no home files, no real IMDS).
    func chain(_ environment: [String: String], profile: String? = nil, time: ManualTime) -> AWSCredentialChain {
        AWSCredentialChain(
            environment: ["HOME": "/nonexistent"].merging(environment) { $1 }, profile: profile, transport: CurlTransport(),
            now: { time.now() })
    }

    func peer(lifetime: Int = 3600) async throws -> AWSMetadataPeer {
        try Curl.ready()
        let peer = try AWSMetadataPeer(["--lifetime", String(lifetime)])
        try await peer.configure(["now": Self.start])
        return peer
    }

    // MARK: IMDSv2

    /// A host with only an instance profile: a session token is PUT with its lifetime, then the role's
    /// name and its credentials are read with that token.
    @Test func instanceRoleThroughIMDSv2() async throws {
        let imds = try await peer()
        let time = ManualTime(Self.start)
        let found = try await chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url], time: time).credentials()
        #expect(found.accessKeyID == "ASIAIMDS0001")
        #expect(found.sessionToken == "session-ASIAIMDS0001")
        #expect(found.expiration == RFC3339.parse("2026-03-08T08:30:15Z"))
        #expect(found.source.hasPrefix("instance role fargate-cron-host (instance metadata (IMDSv2 at \(imds.url)))"))
        let requests = try await imds.requests()
        #expect(requests.map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/fargate-cron-host",
        ])
        #expect(requests[0].headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600")
        let token = try #require(requests[1].headers["x-aws-ec2-metadata-token"])
        #expect(token.hasPrefix("imds-"))
        #expect(requests[2].headers["x-aws-ec2-metadata-token"] == token)
        #expect(requests.allSatisfy { $0.headers["user-agent"] == "fargate-cron/\(ProductVersion.version)" })
    }

    /// Renewed before they expire: untouched with 16 minutes left, asked again with 14 left; when the
    /// service cannot answer then, the old keys serve while 10 minutes remain, and not after.
    @Test func instanceRoleCredentialsAreRenewedBeforeTheyExpire() async throws {
        let imds = try await peer(lifetime: 20 * 60)
        let time = ManualTime(Self.start)
        let aws = chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url], time: time)
        #expect(try await aws.credentials().accessKeyID == "ASIAIMDS0001")
        time.advance(seconds: 4 * 60)  // 16 minutes left
        #expect(try await aws.credentials().accessKeyID == "ASIAIMDS0001")
        #expect(try await imds.requests().count == 3)
        time.advance(seconds: 2 * 60)  // 14 minutes left: renewed (the session token and role name are reused)
        try await imds.configure(["now": RFC3339.formatSeconds(time.now())])
        let renewed = try await aws.credentials()
        #expect(renewed.accessKeyID == "ASIAIMDS0002")
        #expect(try await imds.requests().map(\.method) == ["PUT", "GET", "GET", "GET"])

        try await imds.configure(["imds": "off"])
        time.advance(seconds: 9 * 60)  // 11 minutes left of the renewed keys: renewal fails, they still serve
        #expect(try await aws.credentials().accessKeyID == "ASIAIMDS0002")
        time.advance(seconds: 2 * 60)  // 9 minutes left: no longer
        await #expect { try await aws.credentials() } throws: { "\($0)".contains("IMDSv2 at \(imds.url)") }
    }

    /// A session token the service no longer knows (401) is replaced, and the call repeated.
    @Test func anExpiredSessionTokenIsReplaced() async throws {
        let imds = try await peer()
        let aws = chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url], time: ManualTime(Self.start))
        _ = try await aws.credentials()
        try await imds.configure(["expireTokens": true])
        #expect(try await aws.credentials(refreshing: true).accessKeyID == "ASIAIMDS0002")
        let methods = try await imds.requests().map { "\($0.method) \($0.path.hasSuffix("/") ? "role" : $0.path)" }
        #expect(methods.suffix(3) == [
            "GET /latest/meta-data/iam/security-credentials/fargate-cron-host", "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/fargate-cron-host",
        ])
    }

    /// An endpoint without the token call (IMDSv1 only) is asked without a token, unless v1 is disabled.
    @Test func version1OnlyEndpointUnlessDisabled() async throws {
        let imds = try await peer()
        try await imds.configure(["imds": "v1-only"])
        let endpoint = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url]
        #expect(try await chain(endpoint, time: ManualTime(Self.start)).credentials().accessKeyID == "ASIAIMDS0001")
        #expect(try await imds.requests().dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == nil })
        let strict = chain(endpoint.merging(["AWS_EC2_METADATA_V1_DISABLED": "true"]) { $1 }, time: ManualTime(Self.start))
        await #expect { try await strict.credentials() } throws: { "\($0)".contains("PUT /latest/api/token) answered 405") }
    }

    /// `AWS_EC2_METADATA_DISABLED=true`: not asked at all, and the message says why.
    @Test func disabledInstanceMetadataIsNotAsked() async throws {
        let imds = try await peer()
        let aws = chain(["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, "AWS_EC2_METADATA_DISABLED": "true"],
                        time: ManualTime(Self.start))
        await #expect { try await aws.credentials() } throws: { error in
            let text = "\(error)"
            return text.contains("no AWS credentials found") && text.contains("AWS_EC2_METADATA_DISABLED")
                && text.contains("container credentials")
        }
        #expect(try await imds.requests().isEmpty)
    }

    // MARK: Container credentials

    /// EKS Pod Identity: a full URI on a loopback address, the token from a file that is re-read at
    /// every fetch (the agent rotates it); the container source comes before the instance role.
    @Test func podIdentityWithATokenFileIsReReadAndWinsOverTheInstanceRole() async throws {
        let agent = try await peer(lifetime: 20 * 60)
        let scratch = try Scratch()
        let tokenFile = try scratch.write("token", "stale-token\n")
        let time = ManualTime(Self.start)
        let aws = chain([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.url + "/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": agent.url,
        ], time: time)
        await #expect { try await aws.credentials() } throws: { "\($0)".contains("answered 401: AccessDeniedException: Token is not valid") }
        try scratch.write("token", "pod-identity-token\n")
        let found = try await aws.credentials()
        #expect(found.accessKeyID == "ASIACONT0001")
        #expect(found.source == "container credentials (\(agent.url)/v1/credentials)")
        time.advance(seconds: 6 * 60)  // 14 minutes left: renewed from the agent
        try await agent.configure(["now": RFC3339.formatSeconds(time.now())])
        #expect(try await aws.credentials().accessKeyID == "ASIACONT0002")
        let requests = try await agent.requests()
        #expect(requests.allSatisfy { $0.path == "/v1/credentials" })  // never the instance role
        #expect(requests.last?.headers["authorization"] == "pod-identity-token")
    }

    /// ECS task roles: `AWS_CONTAINER_AUTHORIZATION_TOKEN` in the environment.
    @Test func containerCredentialsWithATokenInTheEnvironment() async throws {
        let agent = try await peer()
        let found = try await chain([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.url + "/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token",
        ], time: ManualTime(Self.start)).credentials()
        #expect(found.accessKeyID == "ASIACONT0001")
    }

    /// Where container credentials may come from, as the CLI allows it.
    @Test func containerEndpointsTheCLIAllows() throws {
        #expect(try ContainerCredentials.endpoint(in: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"])
            == "http://169.254.170.2/v2/credentials/abc")
        // The relative URI wins over the full one.
        #expect(try ContainerCredentials.endpoint(in: [
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/x", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/y",
        ]) == "http://169.254.170.2/x")
        #expect(try ContainerCredentials.endpoint(in: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"])
            == "http://169.254.170.23/v1/credentials")
        #expect(try ContainerCredentials.endpoint(in: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/x"])
            == "https://creds.example.com/x")
        #expect(throws: AWSError.self) {
            try ContainerCredentials.endpoint(in: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/creds"])
        }
        #expect(try ContainerCredentials.endpoint(in: [:]) == nil)
    }

    // MARK: Assumed roles

    /// A profile with `role_arn` and `credential_source = Ec2InstanceMetadata`: the instance role's keys
    /// sign STS AssumeRole, and the peer checks that signature as STS would.
    @Test func roleAssumedWithTheInstanceRolesKeys() async throws {
        let aws = try await peer()
        let scratch = try Scratch()
        let config = try scratch.write("config", """
            [profile deploy]
            role_arn = arn:aws:iam::123456789012:role/deploy
            credential_source = Ec2InstanceMetadata
            role_session_name = nightly
            region = ap-northeast-1
            """)
        let found = try await chain([
            "AWS_CONFIG_FILE": config, "AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.url, "AWS_ENDPOINT_URL_STS": aws.url,
        ], profile: "deploy", time: ManualTime(Self.start)).credentials()
        #expect(found.accessKeyID == "ASIAROLE0001")
        #expect(found.source == "assumed role arn:aws:iam::123456789012:role/deploy (profile \"deploy\")")
        let call = try #require(try await aws.requests().last)
        #expect(call.method == "POST")
        #expect(call.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=ASIAIMDS0001/20260308/ap-northeast-1/sts/aws4_request") == true)
        #expect(call.headers["x-amz-security-token"] == "session-ASIAIMDS0001")
    }

    /// `source_profile` chains: `deploy` assumes its role with `base`'s keys from the credentials file,
    /// and a wrong secret is refused by the signature check, with STS's words.
    @Test func roleAssumedWithASourceProfile() async throws {
        let aws = try await peer()
        // The peer only accepts keys it issued: get one from its container endpoint.
        let issued = try await chain([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": aws.url + "/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token",
        ], time: ManualTime(Self.start)).credentials()
        let scratch = try Scratch()
        let credentials = try scratch.write("credentials", """
            [base]
            aws_access_key_id = \(issued.accessKeyID)
            aws_secret_access_key = \(issued.secretAccessKey)
            aws_session_token = \(issued.sessionToken ?? "")
            [wrong]
            aws_access_key_id = \(issued.accessKeyID)
            aws_secret_access_key = not-the-secret
            """)
        let config = try scratch.write("config", """
            [profile deploy]
            role_arn = arn:aws:iam::123456789012:role/deploy
            source_profile = base
            [profile broken]
            role_arn = arn:aws:iam::123456789012:role/deploy
            source_profile = wrong
            [profile loop-a]
            role_arn = arn:aws:iam::123456789012:role/a
            source_profile = loop-b
            [profile loop-b]
            role_arn = arn:aws:iam::123456789012:role/b
            source_profile = loop-a
            """)
        let files = ["AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": config, "AWS_ENDPOINT_URL_STS": aws.url,
                     "AWS_EC2_METADATA_DISABLED": "true"]
        let time = ManualTime(Self.start)
        #expect(try await chain(files, profile: "deploy", time: time).credentials().accessKeyID == "ASIAROLE0001")
        #expect(try await chain(files.merging(["AWS_PROFILE": "deploy"]) { $1 }, time: time).credentials().accessKeyID
            == "ASIAROLE0002")
        await #expect { try await chain(files, profile: "broken", time: time).credentials() } throws: {
            "\($0)".contains("was refused: InvalidSignature: The request signature we calculated does not match")
        }
        await #expect { try await chain(files, profile: "loop-a", time: time).credentials() } throws: {
            "\($0)".contains("loop through source_profile")
        }
    }

    // MARK: credential_process

    /// `credential_process`: run (not through a shell) at first and again before its keys expire;
    /// a failing process's standard error is in the message.
    @Test func credentialProcessIsRunAgainBeforeItsKeysExpire() async throws {
        let scratch = try Scratch()
        let counter = "\(scratch.path)/runs"
        let script = try scratch.write("creds.sh", """
            #!/bin/sh
            echo run >> \(counter)
            n=$(wc -l < \(counter) | tr -d ' ')
            if [ "$1" = "--fail" ]; then echo "SSO session expired" >&2; exit 3; fi
            printf '{"Version": 1, "AccessKeyId": "AKIAPROC%s", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-03-08T08:00:15Z"}' "$n"
            """, executable: true)
        let config = try scratch.write("config", """
            [default]
            credential_process = "\(script)" --profile 'with space'
            [profile failing]
            credential_process = \(script) --fail
            """)
        let time = ManualTime(Self.start)
        let aws = chain(["AWS_CONFIG_FILE": config], time: time)
        #expect(try await aws.credentials().accessKeyID == "AKIAPROC1")
        time.advance(seconds: 10 * 60)  // 20 minutes left
        #expect(try await aws.credentials().accessKeyID == "AKIAPROC1")
        time.advance(seconds: 6 * 60)  // 14 minutes left
        #expect(try await aws.credentials().accessKeyID == "AKIAPROC2")
        await #expect { try await chain(["AWS_CONFIG_FILE": config], profile: "failing", time: time).credentials() } throws: {
            "\($0)".contains("failed (exit 3): SSO session expired")
        }
        #expect(CredentialProcess.split(#"a "b c" 'd e' f\ g"#) == ["a", "b c", "d e", "f g"])
    }

    // MARK: Order

    /// The CLI's order: environment keys, then the profile's keys, then container credentials, then
    /// the instance role.
    @Test func theChainsOrderIsTheCLIs() async throws {
        let aws = try await peer()
        let scratch = try Scratch()
        let credentials = try scratch.write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n")
        let everything = [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SHARED_CREDENTIALS_FILE": credentials,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": aws.url + "/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "pod-identity-token",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.url,
        ]
        var environment = everything
        let time = ManualTime(Self.start)
        #expect(try await chain(environment, time: time).credentials().accessKeyID == "AKIAENV")
        environment["AWS_ACCESS_KEY_ID"] = nil
        #expect(try await chain(environment, time: time).credentials().accessKeyID == "AKIAFILE")
        environment["AWS_SHARED_CREDENTIALS_FILE"] = nil
        #expect(try await chain(environment, time: time).credentials().accessKeyID == "ASIACONT0001")
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = nil
        #expect(try await chain(environment, time: time).credentials().accessKeyID == "ASIAIMDS0001")
    }
}
