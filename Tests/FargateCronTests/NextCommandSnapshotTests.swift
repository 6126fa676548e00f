import Foundation
import TestSupport
import Testing

/// Golden files for `fargate-cron next` (STYLE.md): its help text and a `--json` answer across a DST
/// change. Re-record with `RECORD_SNAPSHOTS=1`; recording fails the test so it cannot pass unseen.
@Suite("fargate-cron next snapshots")
struct NextCommandSnapshotTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    static let cases: [(name: String, arguments: [String])] = [
        ("next-help", ["next", "--help"]),
        (
            "next-json-berlin-fall-back",
            [
                "next", "*/30 1-3 * * *", "--tz", "Europe/Berlin", "--after", "2026-10-25T01:00:00+02:00", "-n", "10",
                "--json",
            ]
        ),
    ]

    @Test(arguments: cases.map(\.name))
    func matchesGoldenFile(_ name: String) throws {
        guard let arguments = Self.cases.first(where: { $0.name == name })?.arguments else {
            Issue.record("no case \(name)")
            return
        }
        let run = try NextCommandTests.run(arguments)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let file = Self.snapshots.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try Data(run.stdout.utf8).write(to: file)
            Issue.record("recorded \(file.path); run again without RECORD_SNAPSHOTS")
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(run.stdout == golden)
    }
}
