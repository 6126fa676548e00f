import Foundation
import Kubernetes
import Ledger
import TestSupport
import RunModel
import Testing

/// The README's promise for EC2: a host whose only AWS identity is its instance profile needs nothing
/// but `--eks-cluster` and `--region`. The instance metadata service and EKS DescribeCluster are
/// scripts/peers/aws_metadata.py (which checks the DescribeCluster signature against the keys it
/// issued); DescribeCluster names the emulator's HTTPS port and CA.
@Suite("The daemon with only an instance role", .enabled(if: Peers.isAvailable), .serialized)
struct InstanceRoleDaemonTests {
    @Test func aDaemonWithOnlyAnInstanceRoleCreatesJobs() async throws {
        let environment = PeerEnvironment.variables
        let https = try #require(environment["FARGATE_CRON_TEST_KUBE_HTTPS"])
        let ca = try #require(environment["FARGATE_CRON_TEST_KUBE_CA"])
        let aws = try AWSMetadataPeer(["--cluster-endpoint", https, "--cluster-ca", ca])
        let namespace = Peers.unique("imds")
        let job = Peers.unique("nightly")
        let controller = try FargateController(namespace: namespace)
        defer { withExtendedLifetime(controller) {} }
        let daemon = try DaemonProcess(prefix: "fc-imds")
        defer { daemon.cleanUp() }
        daemon.logsToJournal = true
        // No keys, no files, no kubeconfig: only the instance metadata service.
        let home = daemon.folder.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let inherited = daemon.environment().filter {
            ($0.key.hasPrefix("AWS_") && $0.key != "AWS_CA_BUNDLE") || $0.key == "FARGATE_CRON_KUBECONFIG"
        }
        try #require(inherited.isEmpty, "the test's environment names other AWS credentials: \(inherited.keys.sorted())")
        daemon.environmentOverrides["HOME"] = home.path
        daemon.environmentOverrides["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = aws.url
        daemon.environmentOverrides["AWS_ENDPOINT_URL_EKS"] = aws.url
        try daemon.write("imds.cron", DaemonOnClusterTests.scheduleFile(job: job, namespace: namespace))
        try daemon.start(arguments: ["--eks-cluster", "batch", "--region", "ap-northeast-1"])

        #expect(try await poll(within: .seconds(30)) {
            try daemon.runs(of: job).contains { $0.state == .succeeded }
        }, "no run succeeded; daemon log:\n\(daemon.log)")
        let jobs = try await Peers.client().list(Job.self, in: namespace).items
        #expect(jobs.contains { $0.metadata.labels?["fargate-cron/job"] == job })
        let requests = try await aws.requests()
        #expect(requests.first.map { "\($0.method) \($0.path)" } == "PUT /latest/api/token")
        #expect(requests.contains { $0.path == "/clusters/batch" && $0.headers["authorization"]?.contains("Credential=ASIAIMDS") == true })
    }
}
