import Foundation
import Schedules
import Testing

/// `check` on `Fixtures/` (good and bad files) against `Snapshots/`. Re-record with
/// `RECORD_SNAPSHOTS=1 swift test --filter SchedulesTests`; recording fails the test, so that a
/// recorded run is never mistaken for a passing one.
@Suite struct CheckSnapshotTests {
    let fixtures = testsFolder().appendingPathComponent("Fixtures").path
    let result: ScheduleReload.Result

    init() {
        result = ScheduleLoader.load(paths: [testsFolder().appendingPathComponent("Fixtures").path])
    }

    /// Paths in the output are relative to this folder, so the snapshot does not depend on the checkout.
    func relative(_ text: String) -> String {
        text.replacingOccurrences(of: testsFolder().path + "/", with: "")
    }

    @Test func text() throws {
        let report = CheckReport(result)
        let output = report.text(nextCount: 2, after: fixedInstant) + report.summary + "\n"
        try assertSnapshot(relative(output), named: "check.txt")
        #expect(!result.isValid)
    }

    @Test func json() throws {
        let report = CheckReport(result)
        let output = String(decoding: try report.json(nextCount: 1, after: fixedInstant), as: UTF8.self) + "\n"
        try assertSnapshot(relative(output), named: "check.json")
    }

    @Test func examplesInCrontabsAreAccepted() {
        let crontabs = testsFolder().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("crontabs")
        let examples = ScheduleLoader.load(paths: [crontabs.path])
        #expect(examples.diagnostics.map(\.description) == [])
        #expect(examples.isValid)
        #expect(examples.schedules.jobs.count >= 15)
    }
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
