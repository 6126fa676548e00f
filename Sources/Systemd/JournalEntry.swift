import CSystemd
import Glibc
import SystemPackage

/// One journal entry being built: fields in the order they were added, values as raw bytes.
///
/// Values may hold any bytes (invalid UTF-8, NUL, newlines): each field goes to journald as its
/// own `iovec` with an explicit length, and `sd_journal_sendv` switches to the binary form of the
/// native protocol for values with a newline. Field names are checked when added.
public struct JournalEntry: Sendable {
    /// Where `sd_journal_sendv` sends entries (a fixed path in libsystemd).
    static let socketPath = "/run/systemd/journal/socket"

    /// `NAME=value` of every field, back to back.
    private var storage: [UInt8] = []
    /// Where each field's `NAME=value` lies in `storage`.
    private var bounds: [Range<Int>] = []

    /// An entry without fields.
    public init() {}

    /// The number of fields.
    public var count: Int { bounds.count }

    /// Adds a field with a text value.
    /// - Precondition: `name` is a valid journal field name (``JournalField/isValidName(_:)``).
    public mutating func append(_ name: String, _ value: String) {
        append(name, bytes: value.utf8)
    }

    /// Adds a field with a value of any bytes.
    /// - Precondition: `name` is a valid journal field name (``JournalField/isValidName(_:)``).
    public mutating func append(_ name: String, bytes value: some Collection<UInt8>) {
        // A bad name is a programmer error: every name comes from JournalField or name(forKey:).
        precondition(JournalField.isValidName(name), "invalid journal field name \(name)")
        let start = storage.count
        storage.append(contentsOf: name.utf8)
        storage.append(UInt8(ascii: "="))
        storage.append(contentsOf: value)
        bounds.append(start..<storage.count)
    }

    /// The fields as `(name, value)` pairs, in order.
    public var fields: [(name: String, value: [UInt8])] {
        bounds.map { range in
            let item = storage[range]
            let equals = item.firstIndex(of: UInt8(ascii: "="))!
            return (String(decoding: item[..<equals], as: UTF8.self), Array(item[(equals + 1)...]))
        }
    }

    /// The value of the first field called `name`, if any.
    public func value(of name: String) -> [UInt8]? {
        fields.first { $0.name == name }?.value
    }

    /// Sends the entry to journald over the native protocol.
    ///
    /// The corresponding C function is `sd_journal_sendv` (never the variadic `sd_journal_send`).
    /// - Throws: ``SystemdError`` with the errno libsystemd returned, for example `ECONNREFUSED`
    ///   when nobody reads the socket, or `ENOENT` when no journald socket exists (libsystemd
    ///   itself reports success then and drops the entry, so that case is checked here first).
    public func send() throws(SystemdError) {
        guard access(Self.socketPath, F_OK) == 0 else {
            throw SystemdError(function: "sd_journal_sendv", errno: Errno(rawValue: errno))
        }
        let count = bounds.count
        let result: Int32 = storage.withUnsafeBytes { raw in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(count, 1)) { vectors in
                for (index, range) in bounds.enumerated() {
                    vectors[index] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + range.lowerBound),
                        iov_len: range.count
                    )
                }
                return sd_journal_sendv(vectors.baseAddress, Int32(count))
            }
        }
        try check(result, "sd_journal_sendv")
    }
}
