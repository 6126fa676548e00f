import Alerting
import Foundation
import RunModel
import Scheduler
import TestSupport
import Testing

/// Mail handed to a real `sendmail -t` (Debian's msmtp) relaying to a real SMTP server on
/// 127.0.0.1 (aiosmtpd, scripts/peers/smtp.sh), read back as the server received it.
@Suite(.enabled(if: MailSink.isAvailable, "needs the smtp peer (scripts/test starts it)"))
struct MailDeliveryTests {
    @Test func aFailedRunsMailArrivesWithItsFieldsAndOutputTail() async throws {
        let recipient = MailSink.uniqueRecipient()
        let sendmail = Sendmail(command: try #require(MailSink.sendmailCommand), timeout: .seconds(30))
        let message = MailMessage(alert: failedAlert(output: tail(lines: 80)), sender: nil, recipients: [recipient], host: "web1.test", date: slot)
        try await sendmail.send(message, environment: hostEnvironment)

        let received = try #require(try await MailSink.waitForMessage(to: recipient))
        #expect(received.envelopeRecipients == [recipient])
        #expect(received.header("Subject") == "Cron <nightly-report@web1> failed: bundle exec rake report:nightly")
        #expect(received.header("From") == "fargate-cron@web1.test (Cron Daemon)")
        #expect(received.header("Auto-Submitted") == "auto-generated")
        #expect(received.headers("X-Cron-Env").contains("<CRON_RUN_ID=42>"))
        #expect(received.body.contains("  exit code     2"))
        #expect(received.body.contains("  scheduled at  2026-11-29T03:30:00Z (scheduled)"))
        #expect(received.body.contains("The last 50 of its 80 lines of output:"))
        #expect(received.body.contains("\nline 80 of the report\n"))
        #expect(!received.body.contains("\nline 30 of the report\n"))
    }

    /// A line holding only `.` does not end the message early (`-oi`), and UTF-8 arrives intact.
    @Test func outputWithADotLineAndUTF8ArrivesWhole() async throws {
        let recipient = MailSink.uniqueRecipient()
        var output = OutputTail()
        for line in ["before", ".", "après ✓", "after"] { output.append(Array(line.utf8)) }
        var alert = failedAlert(output: output)
        alert.command = "bin/rapport --titre='Überblick'"
        let message = MailMessage(alert: alert, sender: "cron@example.com", recipients: [recipient], host: "h", date: slot)
        try await Sendmail(command: try #require(MailSink.sendmailCommand)).send(message, environment: hostEnvironment)
        let received = try #require(try await MailSink.waitForMessage(to: recipient))
        #expect(received.body.contains("before\n.\naprès ✓\nafter\n"))
        #expect(received.decodedSubject == "Cron <nightly-report@h> failed: bin/rapport --titre='Überblick'")
    }

    /// The sink refuses: the mail error carries the command's own words, and nothing is retried.
    @Test func aRefusedMailIsAnErrorWithTheMTAsWords() async throws {
        let message = MailMessage(alert: failedAlert(), sender: nil, recipients: ["not an address"], host: "h", date: slot)
        let before = try MailSink.messageCount()
        let error = await #expect(throws: MailError.self) {
            try await Sendmail(command: try #require(MailSink.sendmailCommand)).send(message, environment: hostEnvironment)
        }
        #expect(error?.reason.contains("exited with status") == true)
        #expect(error?.output.isEmpty == false, "msmtp says why")
        #expect(try MailSink.messageCount() == before)
    }
}

/// No sendmail at all: a problem `check` reports, and a mail error at run time — never a crash.
@Suite struct MissingSendmailTests {
    @Test func aMissingProgramIsAProblem() {
        let sendmail = Sendmail(command: "/nonexistent/sbin/sendmail -oi -t")
        #expect(sendmail.program == "/nonexistent/sbin/sendmail")
        #expect(sendmail.problem(path: "/usr/bin:/bin")?.contains("/nonexistent/sbin/sendmail is not there") == true)
        #expect(Sendmail(command: "no-such-sendmail-here -t").problem(path: "/usr/bin:/bin") == "no no-such-sendmail-here in PATH (/usr/bin:/bin)")
        #expect(Sendmail(command: "sh -c true").problem(path: "/usr/bin:/bin") == nil)
    }

    @Test func sendingThroughAMissingProgramFailsWithItsReason() async throws {
        let message = MailMessage(alert: failedAlert(), sender: nil, recipients: ["ops@example.com"], host: "h", date: slot)
        let error = await #expect(throws: MailError.self) {
            try await Sendmail(command: "/nonexistent/sbin/sendmail -oi -t").send(message, environment: hostEnvironment)
        }
        #expect(error?.reason == "exited with status 127")
        #expect(error?.output.joined().contains("not found") == true)
    }

    /// The message reaches sendmail's standard input whole: a stand-in that keeps it (a real
    /// process, `cat`) shows exactly what any sendmail reads.
    @Test func sendmailReadsTheWholeMessageOnItsStandardInput() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("message")
        let message = MailMessage(alert: failedAlert(output: tail(lines: 2000)), sender: nil, recipients: ["ops@example.com"], host: "h", date: slot)
        try await Sendmail(command: "cat > '\(file.path)'").send(message, environment: hostEnvironment)
        #expect(try String(contentsOf: file, encoding: .utf8) == message.text)
    }

    /// An MTA that hangs is stopped at the bound, and the error says so.
    @Test func aHangingSendmailIsStoppedAtItsBound() async throws {
        let message = MailMessage(alert: failedAlert(), sender: nil, recipients: ["ops@example.com"], host: "h", date: slot)
        let started = ContinuousClock.now
        let error = await #expect(throws: MailError.self) {
            try await Sendmail(command: "sleep 600", timeout: .milliseconds(500)).send(message, environment: hostEnvironment)
        }
        #expect(error?.reason.hasPrefix("timed out after") == true)
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}

/// What the smtp peer received.
enum MailSink {
    static var folder: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_MAILDIR"] }
    static var sendmailCommand: String? { PeerEnvironment.variables["FARGATE_CRON_TEST_SENDMAIL"] }
    static var isAvailable: Bool { folder != nil && sendmailCommand != nil }

    /// An address no other test uses, so that tests sharing the sink find their own message.
    static func uniqueRecipient() -> String { "ops-\(UUID().uuidString.lowercased().prefix(12))@example.com" }

    static func messageCount() throws -> Int {
        guard let folder else { return 0 }
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }.count
    }

    /// The messages the sink has, oldest first.
    static func messages() throws -> [ReceivedMail] {
        guard let folder else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.map { name in
            let stem = (folder as NSString).appendingPathComponent(String(name.dropLast(4)))
            let raw = try Data(contentsOf: URL(fileURLWithPath: stem + ".eml"))
            let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stem + ".json"))) as? [String: Any]
            return ReceivedMail(raw: raw, envelopeRecipients: envelope?["rcpt_tos"] as? [String] ?? [])
        }
    }

    /// Waits (at most 20 s) for a message to `recipient`.
    static func waitForMessage(to recipient: String) async throws -> ReceivedMail? {
        var found: ReceivedMail?
        _ = try await poll(within: .seconds(20)) {
            found = try messages().first { $0.envelopeRecipients.contains(recipient) }
            return found != nil
        }
        return found
    }

    /// Messages to `recipient` received so far.
    static func messages(to recipient: String) throws -> [ReceivedMail] {
        try messages().filter { $0.envelopeRecipients.contains(recipient) }
    }
}

/// One message as the SMTP server received it.
struct ReceivedMail {
    var raw: Data
    var envelopeRecipients: [String]

    private var parts: (head: [(String, String)], body: String) {
        let text = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        let split = text.components(separatedBy: "\n\n")
        var fields: [(String, String)] = []
        for line in split[0].split(separator: "\n") {
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1].1 += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        return (fields, split.dropFirst().joined(separator: "\n\n"))
    }

    func header(_ name: String) -> String? { parts.head.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func headers(_ name: String) -> [String] { parts.head.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    var body: String { parts.body }

    /// The subject with its RFC 2047 words decoded (B encoding, UTF-8: what our mail writes).
    var decodedSubject: String? {
        guard let subject = header("Subject") else { return nil }
        var bytes = Data()
        for word in subject.split(whereSeparator: { $0 == "\n" || $0 == " " }) where word.hasPrefix("=?UTF-8?B?") {
            bytes += Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data()
        }
        return bytes.isEmpty ? subject : String(decoding: bytes, as: UTF8.self)
    }
}
