import ArgumentParser
import Daemon
import Foundation
import Glibc
import Systemd

/// `fargate-cron logs JOB [--run ID] [-f] [--since WHEN] [--json]`: a job's output and run events,
/// read from the journal through sd_journal (no journalctl needed).
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show a job's output and run events from the systemd journal.",
        discussion: """
            Reads the entries fargate-cron wrote with CRON_JOB=JOB, oldest first. Text output is \
            one line per entry, `TIME RUN STREAM: MESSAGE`, with the message's bytes as the job \
            wrote them. --json prints one JSON object per entry, like `journalctl -o json`: values \
            that are not valid UTF-8 become arrays of byte values.
            """
    )

    @Argument(help: "The job's name, as in its schedule file.")
    var job: String

    @Option(name: .customLong("run"), help: "Only the entries of this run (its CRON_RUN_ID).")
    var runID: String?

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new entries as they arrive.")
    var follow = false

    @Option(help: "Only entries since WHEN: an ISO 8601 time (2026-11-29T05:00:00Z) or an age (90s, 15m, 2h, 7d).")
    var since: String?

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @Option(
        name: .customLong("state-dir"),
        help: "Only the entries of the daemon with this state folder (default: $FARGATE_CRON_STATE_DIR; unset: every daemon's).")
    var stateDirectory: String?

    func validate() throws {
        if let since, LogsSince(since) == nil {
            throw ValidationError(
                "--since: '\(since)' is neither an ISO 8601 time (2026-11-29T05:00:00Z) nor an age (90s, 15m, 2h, 7d)"
            )
        }
    }

    func run() async throws {
        let reader = try JournalReader()
        try reader.addMatch(JournalField.cronJob, job)
        if let runID { try reader.addMatch(JournalField.cronRunID, runID) }
        // Each daemon tags its entries with its state folder (CRON_INSTANCE): two daemons on one
        // host, with jobs of the same name, never mix here.
        let environment = ProcessInfo.processInfo.environment
        if let folder = stateDirectory ?? environment["FARGATE_CRON_STATE_DIR"].flatMap({ $0.isEmpty ? nil : $0 }) {
            try reader.addMatch(JournalField.cronInstance, DaemonInstance.name(stateDirectory: folder))
        }
        if let since, let start = LogsSince(since) {
            try reader.seek(to: start.date(now: Date()))
        } else {
            try reader.seekToHead()
        }
        var output = StandardOutput()
        while true {
            while let record = try reader.next() {
                if json { output.append(LogsFormat.json(record)) } else { output.append(LogsFormat.text(record)) }
                if output.count >= 1 << 16 { try output.flush() }
            }
            try output.flush()
            guard follow else { return }
            try reader.wait(timeout: nil)
        }
    }
}

/// The start of `--since`: a fixed instant or an age before now.
enum LogsSince: Equatable {
    case instant(Date)
    case ago(Duration)

    init?(_ text: String) {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) {
            self = .instant(date)
            return
        }
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0 else { return nil }
        switch unit {
        case "s": self = .ago(.seconds(count))
        case "m": self = .ago(.seconds(count * 60))
        case "h": self = .ago(.seconds(count * 3600))
        case "d": self = .ago(.seconds(count * 86400))
        default: return nil
        }
    }

    func date(now: Date) -> Date {
        switch self {
        case .instant(let date): date
        case .ago(let age): now.addingTimeInterval(-Double(age.components.seconds))
        }
    }
}

/// Bytes for standard output, written in large pieces.
struct StandardOutput {
    private var buffer: [UInt8] = []
    var count: Int { buffer.count }

    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    mutating func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
