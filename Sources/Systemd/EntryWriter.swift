import Glibc
import Synchronization
public import SystemPackage

/// Delivers journal entries to a ``LogDestination``, falling back to standard error when the
/// journal refuses one, so that no entry is ever dropped.
///
/// Shared by every ``JournalLogHandler`` copy and ``JobOutputSink`` of a process; its small state
/// (the fallback counters, and the lock that keeps stderr lines whole) sits in a `Mutex`.
public final class EntryWriter: Sendable {
    /// What happened to entries so far.
    public struct Statistics: Hashable, Sendable {
        /// Entries the journal accepted.
        public var sentToJournal = 0
        /// Entries written to standard error because the journal refused them.
        public var fellBack = 0
        /// The last error the journal returned.
        public var lastJournalError: SystemdError?
        /// Entries that standard error failed to take as well (lost).
        public var standardErrorFailures = 0
    }

    /// Where entries go first.
    public let destination: LogDestination
    /// The `SYSLOG_IDENTIFIER` given to entries that have none.
    public let identifier: String
    /// `CRON_INSTANCE`, added to every entry sent to the journal; `nil` for none.
    public let instance: String?
    private let fallback: FileDescriptor
    private let state = Mutex(Statistics())

    /// - Parameters:
    ///   - destination: the journal or standard error (see ``LogDestination/select(journalStream:standardError:)``).
    ///   - identifier: the `SYSLOG_IDENTIFIER` of every entry, normally `fargate-cron`.
    ///   - fallback: where text goes, normally standard error.
    ///   - instance: the daemon's `CRON_INSTANCE` (its state folder), on every journal entry.
    public init(
        destination: LogDestination, identifier: String = "fargate-cron", fallback: FileDescriptor = .standardError,
        instance: String? = nil
    ) {
        self.instance = instance
        self.destination = destination
        self.identifier = identifier
        self.fallback = fallback
    }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0 } }

    /// Writes `entry` to the destination; if the journal refuses it, writes it to standard error
    /// with the reason instead.
    public func write(_ entry: JournalEntry) {
        if destination == .journal {
            var entry = entry
            if let instance { entry.append(JournalField.cronInstance, instance) }
            do {
                try entry.send()
                state.withLock { $0.sentToJournal += 1 }
                return
            } catch {
                state.withLock {
                    $0.fellBack += 1
                    $0.lastJournalError = error
                }
                writeText(entry, note: "journal refused entry: \(error)")
                return
            }
        }
        writeText(entry, note: nil)
    }

    /// Formats `entry` as one line: `TIME IDENTIFIER PRIORITY: MESSAGE NAME=value …`, and writes it
    /// whole (the lock keeps concurrent lines from interleaving).
    private func writeText(_ entry: JournalEntry, note: String?) {
        var line = Array(Self.timestamp().utf8)
        var message: [UInt8] = []
        var rest: [UInt8] = []
        var identifier = Array(self.identifier.utf8)
        var priority: [UInt8] = []
        for (name, value) in entry.fields {
            switch name {
            case JournalField.message: message = value
            case JournalField.syslogIdentifier: identifier = value
            case JournalField.priority: priority = value
            case JournalField.codeFile, JournalField.codeLine, JournalField.codeFunction, "LOGGER_LABEL": continue
            default:
                rest.append(UInt8(ascii: " "))
                rest.append(contentsOf: name.utf8)
                rest.append(UInt8(ascii: "="))
                rest.append(contentsOf: value)
            }
        }
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: identifier)
        if let level = Self.levelNames[priority] {
            line.append(contentsOf: " \(level)".utf8)
        }
        line.append(contentsOf: ": ".utf8)
        line.append(contentsOf: message)
        line.append(contentsOf: rest)
        if let note { line.append(contentsOf: " (\(note))".utf8) }
        line.append(UInt8(ascii: "\n"))
        state.withLock { statistics in
            do {
                try line.withUnsafeBytes { bytes in
                    guard try fallback.writeAll(bytes) == bytes.count else { throw Errno.ioError }
                }
            } catch {
                // Standard error is the last resort: if it fails too, counting is all that is left.
                statistics.standardErrorFailures += 1
            }
        }
    }

    private static let levelNames: [[UInt8]: String] = [
        Array("0".utf8): "emerg", Array("1".utf8): "alert", Array("2".utf8): "crit", Array("3".utf8): "err",
        Array("4".utf8): "warning", Array("5".utf8): "notice", Array("6".utf8): "info", Array("7".utf8): "debug",
    ]

    /// The wall clock as `2026-11-29T05:40:00.123Z`, for text lines (the journal stamps its own).
    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}
