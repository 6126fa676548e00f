public import Foundation
import RunModel
import Scheduler

/// The mail a person gets about an ``Alert``, written as cronie writes its job mail (`From:`
/// `… (Cron Daemon)`, `Subject: Cron <JOB@HOST> …`, `Auto-Submitted: auto-generated`,
/// `X-Cron-Env:`), for a `sendmail -t` that takes the recipients from the headers.
///
/// Lines end in LF, as a local `sendmail` reads them from its standard input; every line is
/// shorter than SMTP's 998 bytes; the body is UTF-8 sent as 8bit; a subject with other than ASCII
/// is written in RFC 2047 encoded words. The job's container variables are *not* listed (cronie
/// lists a command's whole environment): they often hold credentials, and a mail leaves the host.
public struct MailMessage: Hashable, Sendable {
    /// The header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body's lines.
    public var body: [String]

    /// The longest command shown in a subject, in characters (somewhat arbitrarily 100: a subject
    /// line is read in a list).
    static let longestSubjectCommand = 100

    /// The message about `alert`.
    /// - Parameters:
    ///   - sender: `MAILFROM`, or `nil` for `fargate-cron@HOST`.
    ///   - recipients: `MAILTO`'s addresses (at least one).
    ///   - host: this host's name; the subject uses its first label, as cronie does.
    ///   - date: the `Date:` header's instant.
    public init(alert: Alert, sender: String?, recipients: [String], host: String, date: Date) {
        precondition(!recipients.isEmpty, "a mail has a recipient")
        let shortHost = host.split(separator: ".").first.map(String.init) ?? host
        // cronie writes `From: root (Cron Daemon)`; MAILFROM, like MAILTO, is plain addresses (the
        // schedule file's check allows what cronie's safe_p allows).
        let from = sender.map(Self.headerSafe) ?? "fargate-cron@\(host)"
        var command = Self.headerSafe(alert.command)
        if command.count > Self.longestSubjectCommand {
            command = String(command.prefix(Self.longestSubjectCommand)) + "..."
        }
        let subject = "Cron <\(alert.job)@\(shortHost)> \(alert.kind.summary): \(command)"
        var headers: [(String, String)] = [
            ("From", "\(from) (Cron Daemon)"),
            ("To", Self.folded(recipients.map(Self.headerSafe))),
            ("Subject", EncodedWord.encodeIfNeeded(subject)),
            ("Date", Self.rfc5322Date(date)),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Transfer-Encoding", "8bit"),
            // RFC 3834: no vacation auto-replies to it.
            ("Auto-Submitted", "auto-generated"),
            ("X-Cron-Event", alert.kind.rawValue),
        ]
        // The variables the command saw (as cronie's X-Cron-Env lists them), so filters can sort by job.
        headers.append(("X-Cron-Env", "<CRON_JOB=\(alert.job)>"))
        if let run = alert.run { headers.append(("X-Cron-Env", "<CRON_RUN_ID=\(run)>")) }
        if let slot = alert.scheduledAt { headers.append(("X-Cron-Env", "<CRON_SCHEDULED_AT=\(Self.timestamp(slot))>")) }
        self.headers = headers.map { (name: $0.0, value: $0.1) }
        body = Self.body(of: alert, host: host)
    }

    /// The whole message as `sendmail` reads it.
    public var text: String {
        headers.map { "\($0.name): \($0.value)\n" }.joined() + "\n" + body.map { $0 + "\n" }.joined()
    }

    public static func == (a: MailMessage, b: MailMessage) -> Bool { a.text == b.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    /// The human part: what happened in one sentence, the run's fields, the output's tail, where the rest is.
    private static func body(of alert: Alert, host: String) -> [String] {
        var lines: [String] = [headline(of: alert), ""]
        var fields: [(String, String)] = [("job", alert.job)]
        if let run = alert.run { fields.append(("run", run.description)) }
        if let slot = alert.scheduledAt {
            fields.append(("scheduled at", timestamp(slot) + (alert.trigger.map { " (\($0.rawValue))" } ?? "")))
        }
        if let executor = alert.executor { fields.append(("executor", executor.rawValue)) }
        fields.append(("command", headerSafe(alert.command)))
        if let started = alert.startedAt { fields.append(("started", timestamp(started))) }
        if let ended = alert.endedAt {
            let took = alert.startedAt.map { " (after \(spoken(ended.timeIntervalSince($0))))" } ?? ""
            fields.append(("ended", timestamp(ended) + took))
        }
        if let code = alert.exitCode { fields.append(("exit code", String(code))) }
        fields.append(("reason", headerSafe(alert.reason)))
        if alert.kind == .overdue || alert.kind == .recovered {
            fields.append(("last success", alert.lastSuccess.map(timestamp) ?? "never"))
        }
        fields.append(("host", host))
        let width = fields.map(\.0.count).max() ?? 0
        lines += fields.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + cut($0.1) }

        if let output = alert.output {
            lines.append("")
            if output.totalLines == 0 {
                lines.append("It printed nothing.")
            } else {
                let count = output.lines.count
                lines.append(
                    output.isTruncated
                        ? "The last \(count) of its \(output.totalLines) lines of output:"
                        : "Its output (\(count) line\(count == 1 ? "" : "s")):")
                lines.append("")
                lines += output.text
            }
        }
        if let logs = alert.logsCommand {
            lines += ["", "The whole output and the run's events:", "  \(logs)"]
        }
        lines += ["", "-- ", "fargate-cron on \(host)"]
        return lines
    }

    private static func headline(of alert: Alert) -> String {
        let run = alert.run.map { "Run \($0) of \(alert.job)" } ?? alert.job
        switch alert.kind {
        case .failed: return "\(run) failed" + (alert.exitCode.map { " with exit code \($0)" } ?? "") + "."
        case .lost: return "\(run) was lost."
        case .notStarted: return "\(run) could not be started."
        case .succeeded: return "\(run) succeeded."
        case .cancelled: return "\(run) was cancelled."
        case .overdue: return "\(alert.job) is overdue: it has not succeeded for too long."
        case .recovered: return "\(alert.job) succeeded again and is no longer overdue."
        }
    }

    /// `text` cut to at most `OutputTail.longestLine` bytes of UTF-8, ending in ` [...]` when cut, so
    /// that a body line stays under SMTP's 998 bytes.
    static func cut(_ text: String) -> String {
        guard text.utf8.count > OutputTail.longestLine else { return text }
        var kept = String.UnicodeScalarView()
        var length = 0
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            guard length + size <= OutputTail.longestLine else { break }
            kept.append(scalar)
            length += size
        }
        return String(kept) + " [...]"
    }

    /// Addresses joined by `, `, folded onto continuation lines so that no line passes 78 characters
    /// where it can be helped (RFC 5322, 2.1.1).
    static func folded(_ addresses: [String]) -> String {
        var lines: [String] = [""]
        for (index, address) in addresses.enumerated() {
            let piece = address + (index < addresses.count - 1 ? "," : "")
            if !lines[lines.count - 1].isEmpty, lines[lines.count - 1].count + 1 + piece.count > 72 {
                lines.append(piece)
            } else {
                lines[lines.count - 1] += (lines[lines.count - 1].isEmpty ? "" : " ") + piece
            }
        }
        return lines.joined(separator: "\n ")
    }

    /// A value fit for one header line (or one body field): CR, LF and other controls become spaces.
    static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }

    /// ISO 8601 in UTC with seconds, as `CRON_SCHEDULED_AT` is written.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// `1 h 2 min 5 s` for a person.
    static func spoken(_ seconds: TimeInterval) -> String {
        var left = Int(seconds.rounded())
        guard left > 0 else { return "0 s" }
        var parts: [String] = []
        for (size, unit) in [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")] where left >= size {
            parts.append("\(left / size) \(unit)")
            left %= size
        }
        return parts.joined(separator: " ")
    }

    /// `Sun, 29 Nov 2026 03:30:07 +0000` (RFC 5322, 3.3), in UTC, without a locale.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : String($0) } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}

/// RFC 2047 encoded words (`=?UTF-8?B?…?=`), for a header value with other than ASCII.
enum EncodedWord {
    /// The most UTF-8 bytes in one encoded word: 45 bytes make 60 base64 characters, and with
    /// `=?UTF-8?B?` and `?=` the word stays under RFC 2047's 75.
    static let bytesPerWord = 45

    /// `text` itself when it is printable ASCII, else encoded words folded one to a line.
    static func encodeIfNeeded(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 0x7e }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        // Split between characters, never inside one (RFC 2047, 5: each word decodes on its own).
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > bytesPerWord, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        // Folding whitespace between encoded words is ignored by readers (RFC 2047, 6.2).
        return words.joined(separator: "\n ")
    }

    private static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?\(Data(bytes).base64EncodedString())?=" }
}
