import Alerting
import Foundation
import RunModel
import Scheduler
import Testing

@Suite struct MailMessageTests {
    let date = slot.addingTimeInterval(75)

    @Test func aFailedRunsMail() throws {
        let message = MailMessage(alert: failedAlert(), sender: nil, recipients: ["ops@example.com"], host: "web1.example.com", date: date)
        try assertSnapshot(message.text, named: "failed-run.eml")
    }

    @Test func anOverdueJobsMail() throws {
        let alert = Alert(
            .overdue, job: "backup", command: "/usr/local/bin/backup", reason: "no success within 1d2h: the last one was at 2026-11-28T01:00:00Z",
            lastSuccess: slot.addingTimeInterval(-95_400))
        let message = MailMessage(alert: alert, sender: "cron@example.com", recipients: ["a@example.com", "b@example.com"], host: "web1", date: date)
        try assertSnapshot(message.text, named: "overdue-job.eml")
    }

    @Test func headersAsCronieWritesThem() {
        let message = MailMessage(alert: failedAlert(), sender: "cron@example.com", recipients: ["ops@example.com"], host: "web1.example.com", date: date)
        let names = message.headers.map(\.name)
        #expect(Array(names.prefix(4)) == ["From", "To", "Subject", "Date"])
        #expect(message.headers.first { $0.name == "From" }?.value == "cron@example.com (Cron Daemon)")
        // cronie: `Cron <USER@HOST> COMMAND`, the host's first label.
        #expect(message.headers.first { $0.name == "Subject" }?.value == "Cron <nightly-report@web1> failed: bundle exec rake report:nightly")
        #expect(message.headers.contains { $0.name == "Auto-Submitted" && $0.value == "auto-generated" })
        #expect(message.headers.filter { $0.name == "X-Cron-Env" }.map(\.value)
            == ["<CRON_JOB=nightly-report>", "<CRON_RUN_ID=42>", "<CRON_SCHEDULED_AT=2026-11-29T03:30:00Z>"])
        #expect(message.headers.first { $0.name == "Date" }?.value == "Sun, 29 Nov 2026 03:31:15 +0000")
    }

    /// A subject with other than ASCII is written in RFC 2047 encoded words that decode to it.
    @Test func aNonASCIICommandIsEncodedInTheSubject() throws {
        var alert = failedAlert()
        alert.command = "bin/rapport --langue=français --titre='Überblick ✓' " + String(repeating: "é", count: 80)
        let message = MailMessage(alert: alert, sender: nil, recipients: ["ops@example.com"], host: "h", date: date)
        let subject = try #require(message.headers.first { $0.name == "Subject" }?.value)
        #expect(subject.unicodeScalars.allSatisfy { $0.isASCII })
        let words = subject.split(separator: "\n ").map(String.init)
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            decoded += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            // Each word holds whole characters (RFC 2047, 5).
            #expect(String(data: try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))), encoding: .utf8) != nil)
        }
        let text = String(decoding: decoded, as: UTF8.self)
        #expect(text.hasPrefix("Cron <nightly-report@h> failed: bin/rapport --langue=français --titre='Überblick ✓' "))
        #expect(text.hasSuffix("..."))
    }

    /// A reason or command with a line break cannot add a header.
    @Test func noHeaderInjection() {
        var alert = failedAlert()
        alert.command = "echo hi\nBcc: victim@example.com"
        alert.reason = "bad\r\nX-Evil: 1"
        let message = MailMessage(alert: alert, sender: "a@b\nBcc: c@d", recipients: ["ops@example.com\nBcc: e@f"], host: "h", date: date)
        let head = message.text.components(separatedBy: "\n\n")[0]
        #expect(!head.contains("\nBcc:"))
        #expect(!message.text.contains("\nX-Evil"))
        #expect(!message.text.contains("\r"))
    }

    @Test func everyLineIsShorterThanSMTPsLimit() {
        var output = OutputTail()
        output.append([UInt8](repeating: 0xe9, count: 4000))  // invalid UTF-8: every byte becomes three
        output.append(Array(String(repeating: "é", count: 3000).utf8))
        var alert = failedAlert(output: output)
        alert.reason = String(repeating: "r", count: 2000)
        let message = MailMessage(alert: alert, sender: nil, recipients: ["ops@example.com"], host: "h", date: date)
        let longest = message.text.split(separator: "\n", omittingEmptySubsequences: false).map(\.utf8.count).max() ?? 0
        #expect(longest <= 998, "reason lines are cut too: \(longest)")
    }

    @Test func aLongOutputSaysHowMuchIsShown() {
        let message = MailMessage(alert: failedAlert(output: tail(lines: 120)), sender: nil, recipients: ["o@e.com"], host: "h", date: date)
        #expect(message.body.contains("The last 50 of its 120 lines of output:"))
        #expect(message.body.contains("line 120 of the report"))
        #expect(!message.body.contains("line 70 of the report"))
    }
}
