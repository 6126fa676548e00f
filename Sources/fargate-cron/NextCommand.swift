import ArgumentParser
import CronExpression
import Foundation

/// `fargate-cron next EXPR [--tz ZONE] [--after ISO8601] [-n COUNT] [--json] [--name JOB]`: previews
/// the fire times of a cron expression, one ISO-8601 timestamp with its UTC offset a line.
struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next fire times of a cron expression.",
        discussion: """
            EXPR is 5 fields (minute hour day-of-month month day-of-week), 6 with a leading seconds \
            field, or an @ form (@hourly, @daily, @every 90s, ...). Quote it: fargate-cron next '*/15 9-17 * * MON-FRI'.
            """
    )

    @Argument(help: "The cron expression, quoted as one argument.")
    var expression: String

    @Option(name: .customLong("tz"), help: "The IANA time zone whose wall clock the fields describe.")
    var zoneName = "UTC"

    @Option(help: "Start after this instant (ISO 8601 with offset, e.g. 2026-03-08T00:00:00-05:00); default: now.")
    var after: String?

    @Option(name: .customShort("n"), help: "How many fire times to print.")
    var count = 5

    @Flag(help: "Print one JSON array of timestamps instead of one a line.")
    var json = false

    @Option(help: "The job name that H hashes (without it, H takes the lowest value of its range).")
    var name = ""

    func run() throws {
        guard let zone = TimeZone(identifier: zoneName) else {
            throw fail("unknown time zone '\(zoneName)'; use an IANA name such as Europe/Berlin or UTC")
        }
        // No upper bound: the times are computed and written one at a time, so -n 1000000 (or more)
        // needs no more memory than -n 1, and a reader that stops early (`| head`) stops the command.
        guard count >= 1 else {
            throw fail("-n \(count) is out of range: COUNT is 1 or more")
        }
        let start: Date
        if let after {
            guard let parsed = Self.parseInstant(after) else {
                throw fail(
                    "--after '\(after)' is not an ISO-8601 instant with an offset, such as 2026-03-08T00:00:00-05:00")
            }
            start = parsed
        } else {
            start = Date()
        }
        let cron: CronExpression
        do {
            cron = try CronExpression(expression, hashKey: name)
        } catch {
            let caret = String(repeating: " ", count: max(error.column - 1, 0)) + "^"
            throw fail("\(error.message)\n  \(expression)\n  \(caret)")
        }
        if cron.isReboot {
            FileHandle.standardError.write(
                Data("fargate-cron: @reboot has no fire times: it runs when the daemon starts\n".utf8))
        }
        do {
            try Self.write(cron.fireTimes(after: start, in: zone).prefix(count), json: json)
        } catch {
            throw fail("cannot write to standard output: \(error)")
        }
    }

    /// Writes `times` as they are computed, in blocks of 64 KiB: one a line, or one JSON array.
    static func write(_ times: some Sequence<FireTime>, json: Bool) throws {
        var output = StandardOutput()
        var first = true
        if json { output.append(Array("[".utf8)) }
        for time in times {
            if json {
                output.append(Array(((first ? "\"" : ",\"") + time.description + "\"").utf8))
            } else {
                output.append(Array((time.description + "\n").utf8))
            }
            first = false
            if output.count >= 1 << 16 { try output.flush() }
        }
        if json { output.append(Array("]\n".utf8)) }
        try output.flush()
    }

    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("fargate-cron: error: \(message)\n".utf8))
        return ExitCode(2)
    }

    static func parseInstant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
