import Foundation
import TestSupport
import Testing

/// A daemon with `ecs` jobs that cannot reach AWS fails to start, saying why, rather than fail every
/// run later. The real binary; no peer (nothing is sent anywhere: instance metadata is off).
@Suite(.timeLimit(.minutes(2)))
struct DaemonStartUpTests {
    static let job = """
        CRON_EXECUTOR=ecs
        CRON_ECS_CLUSTER=batch
        CRON_ECS_SUBNETS=subnet-0a1b2c3d4e5f60718
        CRON_ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/exec
        CRON_ECS_LOG_GROUP=/fargate-cron/etl
        CRON_IMAGE=etl:1
        CRON_MEMORY=512Mi
        0 1 * * *   nightly-etl   bin/etl

        """

    /// Every place the AWS CLI would find a region or credentials, emptied.
    static let nothingAWS: [String: String] = [
        "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "FARGATE_CRON_REGION": "", "FARGATE_CRON_PROFILE": "", "AWS_PROFILE": "",
        "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
        "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
        "AWS_EC2_METADATA_DISABLED": "true", "HOME": "/nonexistent",
    ]

    @Test(arguments: [
        ([:], "the ecs jobs need an AWS region: --region, FARGATE_CRON_REGION or AWS_REGION"),
        (["AWS_REGION": "us-east-1"], "cannot find AWS credentials for the ecs jobs"),
    ])
    func withoutARegionOrCredentialsTheDaemonDoesNotStart(_ given: [String: String], _ message: String) async throws {
        let daemon = try DaemonProcess(prefix: "fc-ecs-up")
        defer { daemon.cleanUp() }
        daemon.environmentOverrides = Self.nothingAWS.merging(given) { _, new in new }
        try daemon.write("ecs.cron", Self.job)
        try daemon.start()
        #expect(try await daemon.waitForExit(within: .seconds(60)) == 1)
        #expect(daemon.log.contains(message), "\(daemon.log)")
    }

    /// The ecs executor's pace from the environment: a malformed or negative value stops the daemon
    /// before it starts, naming the variable (ArgumentParser's usage error, 64).
    @Test(arguments: [
        ("FARGATE_CRON_ECS_POLL_INTERVAL", "fast", "FARGATE_CRON_ECS_POLL_INTERVAL must be a number of seconds, got 'fast'"),
        ("FARGATE_CRON_ECS_LOG_SETTLE", "-1", "--ecs-log-settle (or FARGATE_CRON_ECS_LOG_SETTLE) must be 0 or more seconds, got -1"),
    ])
    func aBadECSPaceIsRefusedWithItsName(_ variable: String, _ value: String, _ message: String) async throws {
        let daemon = try DaemonProcess(prefix: "fc-ecs-up")
        defer { daemon.cleanUp() }
        daemon.environmentOverrides = Self.nothingAWS.merging(["AWS_REGION": "us-east-1", variable: value]) { _, new in new }
        try daemon.write("ecs.cron", Self.job)
        try daemon.start()
        #expect(try await daemon.waitForExit(within: .seconds(60)) == 64)
        #expect(daemon.log.contains(message), "\(daemon.log)")
    }
}
