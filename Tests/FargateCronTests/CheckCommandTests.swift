import Foundation
import TestSupport
import Testing

/// `fargate-cron check`, run as a real child process: its exit status, and its output against the
/// golden files that `SchedulesTests` records for the same fixtures (`Tests/SchedulesTests/Snapshots`).
@Suite("fargate-cron check")
struct CheckCommandTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let schedulesTests = tests.appendingPathComponent("SchedulesTests")
    static let repository = tests.deletingLastPathComponent()

    /// Runs the built binary in `folder`, so that paths in its output are relative to it.
    static func run(_ arguments: [String], in folder: URL) throws -> BinaryRun {
        try FargateCronBinary.run(arguments, in: folder)
    }

    static func snapshot(_ name: String) throws -> String {
        try String(contentsOf: schedulesTests.appendingPathComponent("Snapshots/\(name)"), encoding: .utf8)
    }

    /// The fixture folder has good and bad files: every problem and each good job's next two fire
    /// times on stdout, the summary on stderr, exit 1.
    @Test func fixturesMatchTheGoldenTextAndFail() throws {
        let run = try Self.run(["check", "Fixtures", "--next", "2", "--after", "2026-11-29T00:00:00Z"], in: Self.schedulesTests)
        var golden = try Self.snapshot("check.txt").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(golden.removeLast() == "")
        let summary = golden.removeLast()
        #expect(run.status == 1)
        #expect(run.stdout == golden.map { $0 + "\n" }.joined())
        #expect(run.stderr == summary + "\n")
    }

    @Test func fixturesMatchTheGoldenJSONAndFail() throws {
        let run = try Self.run(
            ["check", "--json", "--next", "1", "--after", "2026-11-29T09:00:00+09:00", "Fixtures"], in: Self.schedulesTests)
        #expect(run.status == 1)
        #expect(run.stdout == (try Self.snapshot("check.json")))
        #expect(run.stderr.isEmpty)
    }

    /// The examples are valid: nothing on stdout, exit 0. Warnings alone do not fail a check.
    @Test(arguments: [
        ("the examples in crontabs/, by default", [], repository),
        ("a good file", ["Fixtures/good.cron"], schedulesTests),
        ("a file with warnings only", ["Fixtures/warnings.cron", "--json"], schedulesTests),
    ] as [(String, [String], URL)])
    func validFilesExitZero(_ name: String, _ arguments: [String], _ folder: URL) throws {
        let run = try Self.run(["check"] + arguments, in: folder)
        #expect(run.status == 0, "\(name): \(run.stdout) \(run.stderr)")
        if arguments.contains("--json") {
            #expect(run.stdout.contains("\"valid\" : true"), "\(name)")
        } else {
            #expect(run.stdout.isEmpty, "\(name)")
            #expect(run.stderr.hasSuffix(": 0 errors, 0 warnings\n"), "\(name): \(run.stderr)")
        }
    }

    /// One bad file among good ones fails the whole check.
    @Test func oneBadFileFailsTheCheck() throws {
        let run = try Self.run(["check", "Fixtures/good.cron", "Fixtures/crlf.cron"], in: Self.schedulesTests)
        #expect(run.status == 1)
        #expect(run.stdout == "Fixtures/crlf.cron:2:9: error: CRON_TZ 'Nowhere' is not valid; expected an IANA time zone name such as Asia/Tokyo or UTC\n")
        #expect(run.stderr == "checked 2 files, 6 jobs: 1 error, 0 warnings\n")
    }

    @Test func aBadAfterIsAUsageError() throws {
        let run = try Self.run(["check", "--next", "1", "--after", "tomorrow"], in: Self.repository)
        #expect(run.status == 64)
        #expect(run.stderr.contains("--after 'tomorrow' is not an ISO-8601 instant"))
    }
}
