public import Logging

/// A swift-log handler that writes each log event as one journal entry with structured fields:
/// `MESSAGE`, `PRIORITY` (from the level), `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`,
/// and every metadata item as a field of its own (keys mapped by ``JournalField/name(forKey:)``,
/// so `cron_job` and `cron.job` both become `CRON_JOB`).
///
/// Its ``EntryWriter`` decides where the entry goes: the journal when the process runs under
/// journald, standard error otherwise, and standard error whenever the journal refuses an entry.
/// Set it up once, in `main`:
///
/// ```swift
/// let destination = LogDestination.select(journalStream: environment["JOURNAL_STREAM"])
/// let writer = EntryWriter(destination: destination)
/// LoggingSystem.bootstrap { label in JournalLogHandler(label: label, writer: writer) }
/// ```
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The logger's label, sent as `LOGGER_LABEL`.
    public let label: String
    private let writer: EntryWriter

    /// - Parameters:
    ///   - label: the `Logger`'s label.
    ///   - writer: where entries go; share one per process.
    ///   - logLevel: the lowest level written.
    ///   - metadataProvider: contextual metadata added to every entry.
    public init(
        label: String,
        writer: EntryWriter,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.writer = writer
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        writer.write(entry(for: event))
    }

    /// The journal entry for `event`, as ``log(event:)`` writes it.
    public func entry(for event: LogEvent) -> JournalEntry {
        var entry = JournalEntry()
        entry.append(JournalField.message, event.message.description)
        entry.append(JournalField.priority, String(Self.priority(of: event.level)))
        entry.append(JournalField.syslogIdentifier, writer.identifier)
        entry.append(JournalField.codeFile, event.file)
        entry.append(JournalField.codeLine, String(event.line))
        entry.append(JournalField.codeFunction, event.function)
        entry.append("LOGGER_LABEL", label)

        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error_message"] = "\(error)"
            merged["error_type"] = "\(String(reflecting: type(of: error)))"
        }
        // Sorted, so that entries are reproducible and tests can compare them.
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            guard let name = JournalField.name(forKey: key), !Self.ownedFields.contains(name) else { continue }
            entry.append(name, Self.text(of: value))
        }
        return entry
    }

    /// Fields the handler sets itself; metadata cannot override them.
    private static let ownedFields: Set<String> = [
        JournalField.message, JournalField.priority, JournalField.syslogIdentifier, JournalField.codeFile,
        JournalField.codeLine, JournalField.codeFunction, "LOGGER_LABEL",
    ]

    /// The syslog priority of a swift-log level, as journald's `PRIORITY` (0 emerg … 7 debug).
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func text(of value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array, .dictionary: value.description
        }
    }
}
