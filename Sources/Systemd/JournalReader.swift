import CSystemd
public import Foundation
import SystemPackage

/// Reads the journal: match fields, seek, step through entries, and wait for new ones.
///
/// The one owner of an `sd_journal` handle, closed in `deinit`. Not thread-safe (neither is
/// `sd_journal`): use it from one task or thread.
/// - SeeAlso: sd-journal(3), sd_journal_open(3), sd_journal_add_match(3), sd_journal_wait(3).
public final class JournalReader {
    /// What ``wait(timeout:)`` saw.
    public enum Change: Sendable {
        /// Nothing changed before the timeout.
        case none
        /// New entries were appended.
        case appended
        /// Journal files were added or removed (rotation); reading on is still right.
        case invalidated
    }

    private let journal: OpaquePointer

    /// Opens the local journal (this machine's files, not other machines' in the same folder).
    ///
    /// The corresponding C function is `sd_journal_open`. Field values are returned whole, however
    /// large (`sd_journal_set_data_threshold(0)`; the default cuts them at 64 KiB).
    /// - Throws: ``SystemdError`` when the journal cannot be opened.
    public init() throws(SystemdError) {
        var journal: OpaquePointer?
        try check(sd_journal_open(&journal, Int32(SD_JOURNAL_LOCAL_ONLY)), "sd_journal_open")
        guard let journal else { throw SystemdError(function: "sd_journal_open", errno: .noSuchFileOrDirectory) }
        self.journal = journal
        do {
            try check(sd_journal_set_data_threshold(journal, 0), "sd_journal_set_data_threshold")
        } catch {
            sd_journal_close(journal)
            throw error
        }
    }

    deinit { sd_journal_close(journal) }

    /// Only entries whose field `name` equals `value` (matches on different fields are ANDed,
    /// several values of one field ORed). The corresponding C function is `sd_journal_add_match`.
    public func addMatch(_ name: String, _ value: String) throws(SystemdError) {
        let match = Array("\(name)=\(value)".utf8)
        try check(match.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }, "sd_journal_add_match")
    }

    /// Moves before the first entry (``next()`` then returns the oldest).
    public func seekToHead() throws(SystemdError) {
        try check(sd_journal_seek_head(journal), "sd_journal_seek_head")
    }

    /// Moves after the last entry (``next()`` then returns only new entries).
    public func seekToTail() throws(SystemdError) {
        try check(sd_journal_seek_tail(journal), "sd_journal_seek_tail")
        // seek_tail leaves no current entry; stepping back onto the last one makes the next
        // next() return the first entry after it (what journalctl -f does).
        try check(sd_journal_previous(journal), "sd_journal_previous")
    }

    /// Moves to just before the first entry at or after `date`.
    public func seek(to date: Date) throws(SystemdError) {
        let microseconds = UInt64(max(0, date.timeIntervalSince1970 * 1_000_000))
        try check(sd_journal_seek_realtime_usec(journal, microseconds), "sd_journal_seek_realtime_usec")
    }

    /// The next matching entry, or `nil` at the end (for now: new entries may come, see
    /// ``wait(timeout:)``). The corresponding C function is `sd_journal_next`.
    public func next() throws(SystemdError) -> JournalRecord? {
        guard try check(sd_journal_next(journal), "sd_journal_next") > 0 else { return nil }
        return try currentRecord()
    }

    /// Waits until the journal changes or `timeout` passes (`nil`: forever).
    /// The corresponding C function is `sd_journal_wait`.
    @discardableResult
    public func wait(timeout: Duration?) throws(SystemdError) -> Change {
        let microseconds: UInt64
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            microseconds = UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        } else {
            microseconds = UInt64.max  // (uint64_t) -1: no timeout
        }
        switch try check(sd_journal_wait(journal, microseconds), "sd_journal_wait") {
        case Int32(SD_JOURNAL_APPEND): return .appended
        case Int32(SD_JOURNAL_INVALIDATE): return .invalidated
        default: return .none
        }
    }

    private func currentRecord() throws(SystemdError) -> JournalRecord {
        var realtime: UInt64 = 0
        try check(sd_journal_get_realtime_usec(journal, &realtime), "sd_journal_get_realtime_usec")
        var cursorPointer: UnsafeMutablePointer<CChar>?
        try check(sd_journal_get_cursor(journal, &cursorPointer), "sd_journal_get_cursor")
        let cursor = cursorPointer.map { String(cString: $0) } ?? ""
        free(cursorPointer)

        var fields: [(name: String, value: [UInt8])] = []
        sd_journal_restart_data(journal)
        var data: UnsafeRawPointer?
        var length = 0
        // enumerate_available_data skips fields it cannot read (say, compressed with an algorithm
        // this libsystemd lacks) instead of failing the whole entry.
        while try check(sd_journal_enumerate_available_data(journal, &data, &length), "sd_journal_enumerate_available_data") > 0 {
            guard let data else { continue }
            let bytes = UnsafeRawBufferPointer(start: data, count: length)
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            fields.append((String(decoding: bytes[..<equals], as: UTF8.self), Array(bytes[(equals + 1)...])))
        }
        return JournalRecord(realtimeMicroseconds: realtime, cursor: cursor, fields: fields)
    }
}

@available(*, unavailable)
extension JournalReader: Sendable {}

/// One journal entry as read: its fields (values as bytes), time and cursor.
public struct JournalRecord: Sendable {
    /// When journald received it, in microseconds since 1970 (`__REALTIME_TIMESTAMP`).
    public var realtimeMicroseconds: UInt64
    /// Its position in the journal (`__CURSOR`).
    public var cursor: String
    /// Every field in the order libsystemd gave them, trusted `_` fields included.
    public var fields: [(name: String, value: [UInt8])]

    /// When journald received it.
    public var date: Date { Date(timeIntervalSince1970: Double(realtimeMicroseconds) / 1_000_000) }

    /// The bytes of the first field called `name`.
    public func bytes(_ name: String) -> [UInt8]? { fields.first { $0.name == name }?.value }

    /// The first field called `name` as text (invalid UTF-8 repaired with U+FFFD).
    public subscript(_ name: String) -> String? { bytes(name).map { String(decoding: $0, as: UTF8.self) } }
}
