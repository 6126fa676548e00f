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

    @Option(help: "The job name that H values are hashed from.")
    var name = ""

    func run() throws {
        guard let zone = TimeZone(identifier: zoneName) else {
            throw fail("unknown time zone '\(zoneName)'; use an IANA name such as Europe/Berlin or UTC")
        }
        guard (1...10_000).contains(count) else {
            throw fail("-n \(count) is out of range 1-10000")
        }
        let start: Date
        if let after {
            guard let parsed = Self.parseInstant(after) else {
                throw fail("--after '\(after)' is not an ISO-8601 instant with an offset, such as 2026-03-08T00:00:00-05:00")
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
            FileHandle.standardError.write(Data("fargate-cron: @reboot has no fire times: it runs when the daemon starts\n".utf8))
        }
        let stamps = cron.nextFireDates(after: start, in: zone, count: count).map { Self.format($0, in: zone) }
        if json {
            print("[" + stamps.map { "\"\($0)\"" }.joined(separator: ",") + "]")
        } else {
            for stamp in stamps { print(stamp) }
        }
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

    /// `2026-03-08T03:00:00-04:00`: the wall-clock time in `zone` and its offset, `+00:00` in UTC.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let year = String(format: "%04d", c.year ?? 0)
        return "\(year)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))\(sign)\(two(minutes / 60)):\(two(minutes % 60))"
    }
}
