import Foundation
import TestSupport
import Testing

/// `fargate-cron next`, run as a real child process, as scripts and users call it (DESIGN.md's contract).
@Suite("fargate-cron next")
struct NextCommandTests {
    static func run(_ arguments: [String]) throws -> BinaryRun {
        try FargateCronBinary.run(arguments)
    }

    struct Success: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let stdout: String
        var testDescription: String { name }
    }

    static let successes: [Success] = [
        Success(
            name: "skipped hour in New York, one a line",
            arguments: [
                "next", "30 2 * * *", "--tz", "America/New_York", "--after", "2026-03-08T00:00:00-05:00", "-n", "3",
            ],
            stdout: "2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00\n2026-03-10T02:30:00-04:00\n"),
        Success(
            name: "default zone UTC, default count 5",
            arguments: ["next", "0 0 1,15 * 0", "--after", "2026-01-10T00:00:00Z"],
            stdout: "2026-01-11T00:00:00+00:00\n2026-01-15T00:00:00+00:00\n2026-01-18T00:00:00+00:00\n"
                + "2026-01-25T00:00:00+00:00\n2026-02-01T00:00:00+00:00\n"),
        Success(
            name: "--json prints one array",
            arguments: ["next", "@every 90s", "--after", "2026-01-01T00:00:00Z", "-n", "2", "--json"],
            stdout: "[\"2026-01-01T00:01:30+00:00\",\"2026-01-01T00:03:00+00:00\"]\n"),
        Success(
            name: "--name feeds H (croniter's hash_id gives 36)",
            arguments: ["next", "H * * * *", "--name", "nightly-report", "--after", "2026-01-01T00:00:00Z", "-n", "1"],
            stdout: "2026-01-01T00:36:00+00:00\n"),
        Success(
            name: "half-hour zone and fractional --after",
            arguments: ["next", "0 9 * * MON", "--tz", "Asia/Kolkata", "--after", "2026-01-05T03:29:59.5Z", "-n", "2"],
            stdout: "2026-01-05T09:00:00+05:30\n2026-01-12T09:00:00+05:30\n"),
    ]

    @Test(arguments: successes)
    func prints(_ c: Success) throws {
        let run = try Self.run(c.arguments)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout == c.stdout)
        #expect(run.stderr.isEmpty)
    }

    @Test("@reboot has no fire times: empty output, a note on stderr, success")
    func reboot() throws {
        let plain = try Self.run(["next", "@reboot", "--after", "2026-01-01T00:00:00Z"])
        #expect(plain.status == 0)
        #expect(plain.stdout.isEmpty)
        #expect(plain.stderr.contains("@reboot has no fire times"))
        let json = try Self.run(["next", "@reboot", "--after", "2026-01-01T00:00:00Z", "--json"])
        #expect(json.stdout == "[]\n")
    }

    @Test("without --after, fire times start from now")
    func defaultsToNow() throws {
        // The one clock read in these tests, and unavoidable: the default is the child's own clock, so
        // its answer can only be checked against the instants that bracket the run. Every second
        // fires, so the first answer is the whole second after the child's now: in (before, after + 1].
        let before = Date()
        let run = try Self.run(["next", "* * * * * *", "-n", "1"])
        let after = Date()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let line = run.stdout.trimmingCharacters(in: .newlines)
        let first = try #require(ISO8601DateFormatter().date(from: line), "not an ISO-8601 instant: '\(line)'")
        #expect(first > before && first <= after.addingTimeInterval(1), "\(line) outside the run \(before)...\(after)")
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let message: String
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(
            name: "minute out of range", arguments: ["next", "61 * * * *"],
            message: "minute value 61 at column 1 is out of range 0-59"),
        Failure(name: "never fires", arguments: ["next", "0 0 30 2 *"], message: "can never fire"),
        Failure(
            name: "bad day name", arguments: ["next", "0 0 * * funday"], message: "at column 9 in the day-of-week field"
        ),
        Failure(
            name: "unknown zone", arguments: ["next", "* * * * *", "--tz", "Mars/Olympus"],
            message: "unknown time zone 'Mars/Olympus'"),
        Failure(
            name: "bad --after", arguments: ["next", "* * * * *", "--after", "yesterday"],
            message: "--after 'yesterday'"),
        Failure(name: "count zero", arguments: ["next", "* * * * *", "-n", "0"], message: "-n 0 is out of range"),
    ]

    @Test(arguments: failures)
    func rejects(_ c: Failure) throws {
        let run = try Self.run(c.arguments)
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains(c.message), "stderr: \(run.stderr)")
    }
}
