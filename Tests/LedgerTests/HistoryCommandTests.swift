import Foundation
import Ledger
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
                    RUN  JOB         SCHEDULED             STATE      TRIGGER    TOOK   DETAIL
                    4    sync-users  2027-01-01T01:30:00Z  running    scheduled  -      pod p
                    3    report      2027-01-01T01:01:00Z  skipped    scheduled  -      run 1 was still active
                    2    report      2027-01-01T01:00:00Z  failed     scheduled  4m59s  exit 137: OOMKilled
                    1    report      2027-01-01T00:00:00Z  succeeded  scheduled  0s

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
            #expect(Set(runs[0].keys) == Set(runs[1].keys) && runs[0].keys.count == 18)
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
