import Foundation
import Ledger
import RunModel
import Testing

/// `fargate-cron history`, run as the real binary against a real ledger.
@Suite struct HistoryCommandTests {
    struct Output { var status: Int32, stdout: String, stderr: String }

    static func history(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let binary = builtProduct("fargate-cron")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build it first: \(binary)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["history"] + arguments
        process.environment = environment
        // Standard error goes to a file, so that only one pipe needs draining.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("history-stderr-\(UUID())")
        try Data().write(to: errorFile)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
    }

    /// A ledger with four runs of two jobs.
    static func fillLedger(_ directory: String) throws {
        let ledger = try RunLedger.open(stateDirectory: directory)
        try makeRun(in: ledger, job: "report", slot: 0, reaching: .succeeded)
        let failed = try makeRun(in: ledger, job: "report", slot: 60, reaching: .running)
        try ledger.record(.failed(exitCode: 137, reason: "OOMKilled"), for: failed.id, at: minute(65))
        try makeRun(in: ledger, job: "report", slot: 61, reaching: .skipped)
        try makeRun(in: ledger, job: "sync-users", slot: 90, reaching: .running)
    }

    @Test func table() throws {
        try withStateDirectory { directory in
            try Self.fillLedger(directory)
            let output = try Self.history(["--state-dir", directory])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                output.stdout == """
                    RUN  JOB         SCHEDULED             STATE      TRIGGER    TOOK   POD  SIZE  BILLED  PRICE  DETAIL
                    4    sync-users  2027-01-01T01:30:00Z  running    scheduled  -      p    -     -       -
                    3    report      2027-01-01T01:01:00Z  skipped    scheduled  -      -    -     -       -      run 1 was still active
                    2    report      2027-01-01T01:00:00Z  failed     scheduled  4m59s  p    -     -       -      exit 137: OOMKilled
                    1    report      2027-01-01T00:00:00Z  succeeded  scheduled  0s     p    -     -       -

                    """)
            let limited = try Self.history(
                ["report", "--limit", "1"], environment: ["FARGATE_CRON_STATE_DIR": directory])
            #expect(limited.stdout.split(separator: "\n").map { $0.prefix(4) } == ["RUN ", "3   "])
            let viaSystemd = try Self.history(["sync-users"], environment: ["STATE_DIRECTORY": directory])
            #expect(viaSystemd.stdout.split(separator: "\n").count == 2)
        }
    }

    @Test func json() throws {
        try withStateDirectory { directory in
            try Self.fillLedger(directory)
            let output = try Self.history(["report", "--json", "--limit", "2", "--state-dir", directory])
            #expect(output.status == 0, "\(output.stderr)")
            let runs = try #require(
                try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
            #expect(runs.count == 2)
            #expect(runs.map { $0["id"] as? Int } == [3, 2])
            #expect(runs[1]["state"] as? String == "failed" && runs[1]["exitCode"] as? Int == 137)
            #expect(runs[1]["scheduledAt"] as? String == "2027-01-01T01:00:00Z")
            #expect(
                runs[1]["kubernetesJob"] as? String == "report-60" && runs[1]["kubernetesUID"] as? String == "uid-60")
            #expect(runs[0]["blockedBy"] as? Int == 1 && runs[0]["pod"] is NSNull)
            #expect(Set(runs[0].keys) == Set(runs[1].keys) && runs[0].keys.count == 37)
        }
    }

    /// Kubernetes runs with their executor's report, a platform failure, and local runs (whose
    /// process identity the ledger keeps where a Kubernetes run keeps its Job).
    static func fillLedgerWithReports(_ directory: String) throws {
        let ledger = try RunLedger.open(stateDirectory: directory)
        let slot = Slot(job: "nightly-report", scheduledAt: minute(0))
        var run = try ledger.recordIntent(for: slot, policy: .forbid, at: minute(0))
        // As the daemon records a Kubernetes run: the handle's reference, and the executor in the uid.
        try ledger.record(
            .started(RunHandle(executor: .kubernetes, reference: "batch/nightly-report-29400000")), for: run.id, at: minute(0))
        try ledger.record(.succeeded, for: run.id, at: minute(3))
        try ledger.recordReport(
            PodReport(
                kubernetesUID: "0d6c5e8e-7f4b", pod: "nightly-report-29400000-x7k2p", podCount: 1,
                node: "fargate-ip-10-0-1-7.ec2.internal", capacity: "0.25vCPU 0.5GB",
                podCreatedAt: minute(0).addingTimeInterval(1), podScheduledAt: minute(0).addingTimeInterval(2),
                runningAt: minute(0).addingTimeInterval(50), podFinishedAt: minute(2).addingTimeInterval(50),
                podDeletedAt: minute(2).addingTimeInterval(52), billedDuration: .seconds(170),
                estimatedPrice: EstimatedPrice(microdollars: 583), outputLines: 48),
            for: run.id, at: minute(3))

        run = try ledger.recordIntent(
            for: Slot(job: "nightly-report", scheduledAt: minute(60)), policy: .forbid, at: minute(60))
        try ledger.record(
            .started(RunHandle(executor: .kubernetes, reference: "batch/nightly-report-29400060")), for: run.id, at: minute(60))
        try ledger.record(
            .failed(exitCode: 143, reason: "Evicted: the node was reclaimed (BackoffLimitExceeded)"), for: run.id,
            at: minute(70))
        try ledger.recordReport(
            PodReport(
                kubernetesUID: "51aa09c3-2e10", pod: "nightly-report-29400060-b2q9z", podCount: 2,
                capacity: "1vCPU 2GB", runningAt: minute(61), podDeletedAt: minute(69),
                billedDuration: .seconds(1_000), failure: .evicted, outputLines: 3),
            for: run.id, at: minute(70))

        run = try ledger.recordIntent(for: Slot(job: "backup", scheduledAt: minute(5)), policy: .forbid, at: minute(5))
        try ledger.record(.started(RunHandle(executor: .local, reference: "pid=4242 start=987654")), for: run.id, at: minute(5))
        try ledger.record(.succeeded, for: run.id, at: minute(5).addingTimeInterval(95))
        run = try ledger.recordIntent(
            for: Slot(job: "backup", scheduledAt: minute(65)), policy: .forbid, at: minute(65))
        try ledger.record(.started(RunHandle(executor: .local, reference: "pid=4300 start=987999")), for: run.id, at: minute(65))
    }

    @Test func tableWithPodsAndTheirBill() throws {
        try withStateDirectory { directory in
            try Self.fillLedgerWithReports(directory)
            let output = try Self.history(["--state-dir", directory])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                output.stdout == """
                    RUN  JOB             SCHEDULED             STATE      TRIGGER    TOOK   POD                            SIZE            BILLED  PRICE      DETAIL
                    4    backup          2027-01-01T01:05:00Z  started    scheduled  -      -                              -               -       -          pid 4300
                    2    nightly-report  2027-01-01T01:00:00Z  failed     scheduled  9m0s   nightly-report-29400060-b2q9z  1vCPU/2GB       16m40s  -          platform failure: exit 143: Evicted: the node was reclaimed (BackoffLimitExceeded)
                    3    backup          2027-01-01T00:05:00Z  succeeded  scheduled  1m35s  -                              -               -       -
                    1    nightly-report  2027-01-01T00:00:00Z  succeeded  scheduled  2m10s  nightly-report-29400000-x7k2p  0.25vCPU/0.5GB  2m50s   $0.000583

                    """)
        }
    }

    @Test func localRunsKeepTheNarrowTable() throws {
        try withStateDirectory { directory in
            try Self.fillLedgerWithReports(directory)
            let output = try Self.history(["backup", "--state-dir", directory])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(
                output.stdout == """
                    RUN  JOB     SCHEDULED             STATE      TRIGGER    TOOK   DETAIL
                    4    backup  2027-01-01T01:05:00Z  started    scheduled  -      pid 4300
                    3    backup  2027-01-01T00:05:00Z  succeeded  scheduled  1m35s

                    """)
        }
    }

    @Test func jsonWithPodsAndTheirBill() throws {
        try withStateDirectory { directory in
            try Self.fillLedgerWithReports(directory)
            let output = try Self.history(["--json", "--state-dir", directory])
            #expect(output.status == 0, "\(output.stderr)")
            let runs = try #require(
                try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
            #expect(runs.map { $0["id"] as? Int } == [4, 2, 3, 1])
            let succeeded = runs[3]
            let expected: [String: String] = [
                "executor": "kubernetes", "kubernetesJob": "batch/nightly-report-29400000",
                "kubernetesUID": "0d6c5e8e-7f4b", "pod": "nightly-report-29400000-x7k2p",
                "node": "fargate-ip-10-0-1-7.ec2.internal", "capacity": "0.25vCPU 0.5GB",
                "podCreatedAt": "2027-01-01T00:00:01Z", "podScheduledAt": "2027-01-01T00:00:02Z",
                "runningAt": "2027-01-01T00:00:50Z", "podFinishedAt": "2027-01-01T00:02:50Z",
                "podDeletedAt": "2027-01-01T00:02:52Z", "estimatedPrice": "0.000583",
                "reportedAt": "2027-01-01T00:03:00Z",
            ]
            for (key, value) in expected { #expect(succeeded[key] as? String == value, "\(key)") }
            #expect(succeeded["billedSeconds"] as? Double == 170 && succeeded["podCount"] as? Int == 1)
            #expect(succeeded["outputLines"] as? Int == 48 && succeeded["process"] is NSNull)
            #expect(succeeded["failureKind"] is NSNull && succeeded["failureCause"] is NSNull)

            let evicted = runs[1]
            #expect(evicted["failureKind"] as? String == "platform" && evicted["failureCause"] as? String == "evicted")
            #expect(
                evicted["podCount"] as? Int == 2 && evicted["estimatedPrice"] is NSNull && evicted["node"] is NSNull)

            // A local run: its process, and no Kubernetes Job.
            let local = runs[2]
            #expect(local["executor"] as? String == "local" && local["process"] as? String == "pid=4242 start=987654")
            #expect(local["kubernetesJob"] is NSNull && local["kubernetesUID"] is NSNull && local["pod"] is NSNull)
            #expect(local["ecsTask"] is NSNull)
            #expect(Set(runs.map { Set($0.keys) }).count == 1 && runs[0].keys.count == 37)
        }
    }

    /// A run whose pod ran outside Fargate says so first in its detail, and one the cluster kept
    /// from starting names why; `--json` has both as fields.
    @Test func notOnFargateAndCannotStart() throws {
        try withStateDirectory { directory in
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                var run = try ledger.recordIntent(for: Slot(job: "report", scheduledAt: minute(0)), policy: .forbid, at: minute(0))
                try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "batch/report-1")), for: run.id, at: minute(0))
                try ledger.record(.succeeded, for: run.id, at: minute(2))
                try ledger.recordReport(
                    PodReport(pod: "report-1-x7k2p", podCount: 1, node: "ip-10-0-1-7.ec2.internal",
                              placement: .notFargate, placementNote: "its node ip-10-0-1-7.ec2.internal is not a Fargate node"),
                    for: run.id, at: minute(2))
                run = try ledger.recordIntent(for: Slot(job: "report", scheduledAt: minute(60)), policy: .forbid, at: minute(60))
                try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "batch/report-2")), for: run.id, at: minute(60))
                let reason = "cannot start: a ResourceQuota refused the pod (Job batch/report-2, FailedCreate) for 60 s: exceeded quota"
                try ledger.record(.failed(exitCode: nil, reason: reason), for: run.id, at: minute(61))
                try ledger.recordReport(PodReport(podCount: 0, startFailure: .quotaExceeded), for: run.id, at: minute(61))
            }
            let output = try Self.history(["--state-dir", directory])
            let lines = output.stdout.split(separator: "\n")
            #expect(lines.count == 3, "\(output.stdout)")
            #expect(lines[1].hasSuffix("cannot start: a ResourceQuota refused the pod (Job batch/report-2, FailedCreate) for 60 s: exceeded quota"))
            #expect(lines[2].hasSuffix("not on Fargate (its node ip-10-0-1-7.ec2.internal is not a Fargate node)"))
            let json = try Self.history(["--json", "--state-dir", directory])
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
            #expect(runs[0]["startFailure"] as? String == "quota-exceeded" && runs[0]["failureCause"] is NSNull)
            #expect(runs[1]["placement"] as? String == "not-fargate" && runs[1]["startFailure"] is NSNull)
            #expect(runs[1]["placementNote"] as? String == "its node ip-10-0-1-7.ec2.internal is not a Fargate node")
        }
    }

    @Test func since() throws {
        try withStateDirectory { directory in
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                // Far before and far after any clock this test runs on.
                try ledger.record(
                    .suspended, for: Slot(job: "old", scheduledAt: Date(timeIntervalSince1970: 946_684_800)),
                    policy: .forbid, at: t0)
                try ledger.record(
                    .suspended, for: Slot(job: "new", scheduledAt: Date(timeIntervalSince1970: 4_102_444_800)),
                    policy: .forbid, at: t0)
            }
            for lookback in ["90s", "15m", "1h30m", "7d"] {
                let output = try Self.history(["--since", lookback, "--json", "--state-dir", directory])
                #expect(
                    output.stdout.contains("\"job\":\"new\"") && !output.stdout.contains("\"job\":\"old\""),
                    "\(lookback)")
            }
            for bad in ["90", "1x", "0s", "h", "-5m"] {
                let output = try Self.history(["--since=\(bad)", "--state-dir", directory])
                #expect(
                    output.status == 64 && output.stderr.contains("The value '\(bad)' is invalid for '--since"),
                    "\(bad)")
            }
        }
    }

    @Test func errorsAreClear() throws {
        try withStateDirectory { directory in
            let missing = try Self.history(["--state-dir", directory])
            #expect(missing.status == 1)
            #expect(
                missing.stderr == "fargate-cron history: error: no ledger at \(directory)/ledger.sqlite: "
                    + "the daemon has not run with this state directory yet\n")
            try Self.fillLedger(directory)
            let empty = try Self.history(["nobody", "--state-dir", directory])
            #expect(empty.status == 0 && empty.stdout == "no runs\n")
            let badLimit = try Self.history(["--limit", "0", "--state-dir", directory])
            #expect(badLimit.status == 64 && badLimit.stderr.contains("--limit must be at least 1, got 0"))
        }
    }
}
