import Alerting
import Foundation
import RunModel
import Scheduler
import Testing

/// The folder this file is in, for snapshots.
func testsFolder(_ file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent()
}

/// Compares `actual` with `Snapshots/<name>`, or records it when `RECORD_SNAPSHOTS=1` (and fails).
func assertSnapshot(_ actual: String, named name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let url = testsFolder().appendingPathComponent("Snapshots").appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try Data(actual.utf8).write(to: url)
        Issue.record("recorded \(name); run again without RECORD_SNAPSHOTS to compare", sourceLocation: sourceLocation)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "\(name) differs from the snapshot", sourceLocation: sourceLocation)
}

/// 2026-11-29T03:30:00Z, a fixed slot.
let slot = Date(timeIntervalSince1970: 1_795_923_000)

/// The output tail of a run that printed `count` numbered lines.
func tail(lines count: Int) -> OutputTail {
    var tail = OutputTail()
    for i in 1...count { tail.append(Array("line \(i) of the report".utf8)) }
    return tail
}

/// A failed run of `nightly-report` with an output tail.
func failedAlert(output: OutputTail = tail(lines: 3)) -> Alert {
    Alert(
        .failed, job: "nightly-report", run: RunID(rawValue: 42), scheduledAt: slot, trigger: .scheduled, executor: .local,
        command: "bundle exec rake report:nightly", exitCode: 2, reason: "exited with status 2",
        startedAt: slot.addingTimeInterval(1), endedAt: slot.addingTimeInterval(73), output: output,
        logsCommand: "fargate-cron logs nightly-report --run 42")
}

/// The environment host commands get in tests: enough for /bin/sh and the usual tools.
let hostEnvironment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"]

/// A fresh temporary folder, removed by the caller.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("alerting-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
