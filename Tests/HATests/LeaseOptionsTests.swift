import Foundation
import TestSupport
import Testing

@testable import Daemon

/// `daemon --lease` and its durations, as the command line reads them: bad values are refused
/// before anything starts, with a message that says what was wrong.
@Suite struct LeaseOptionsTests {
    struct Refusal: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var environment: [String: String] = [:]
        var message: String
        var testDescription: String { (arguments + environment.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
    }

    @Test(arguments: [
        Refusal(arguments: ["--lease", "no-slash"], message: "NAMESPACE/NAME"),
        Refusal(arguments: ["--lease", "Batch/x"], message: "'Batch' is not a namespace"),
        Refusal(arguments: ["--lease", "batch/-x"], message: "'-x' is not a Lease name"),
        Refusal(arguments: ["--lease", "batch/x", "--lease-duration", "soon"], message: "--lease-duration (or FARGATE_CRON_LEASE_DURATION) must be a duration"),
        Refusal(arguments: ["--lease", "batch/x", "--renew-deadline", "20s"], message: "must be longer than the renew deadline"),
        Refusal(arguments: ["--lease", "batch/x", "--lease-duration", "2500ms", "--renew-deadline", "2s"], message: "whole number of seconds"),
        Refusal(arguments: ["--retry-period", "1s"], message: "need --lease"),
        Refusal(arguments: ["--lease", "batch/x", "--without-cluster"], message: "cannot be used with --without-cluster"),
        Refusal(arguments: [], environment: ["FARGATE_CRON_LEASE": "batch/x", "FARGATE_CRON_RETRY_PERIOD": "9s"],
                message: "1.2 × the retry period"),
    ])
    func refused(_ row: Refusal) async throws {
        let daemon = try DaemonProcess(prefix: "fc-lease")
        defer { daemon.cleanUp() }
        daemon.environmentOverrides = row.environment
        let result = try await daemon.command(["daemon", "--crontabs", daemon.crontabs.path] + row.arguments, within: .seconds(30))
        #expect(result.status != 0)
        #expect(result.errors.contains(row.message), "stderr: \(result.errors)")
    }

    @Test(arguments: [("15s", 15_000), ("500ms", 500), ("1.5s", 1_500), ("2", 2_000), ("0.25s", 250)])
    func durations(_ text: String, _ milliseconds: Int64) {
        #expect(LeaseConfiguration.duration(text) == .milliseconds(milliseconds))
    }

    @Test(arguments: ["", "s", "ms", "1m", "-1s", "1e3s", "nan", "1.2.3s"])
    func notDurations(_ text: String) {
        #expect(LeaseConfiguration.duration(text) == nil)
    }
}
