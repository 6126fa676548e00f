import Glibc
public import SystemPackage

/// Where log entries go: the journal, or standard error as text.
public enum LogDestination: Hashable, Sendable {
    /// journald's native protocol, with structured fields.
    case journal
    /// One line of text per entry on standard error.
    case standardError

    /// Picks the journal when standard error is connected to journald, as systemd tells a service
    /// with `JOURNAL_STREAM=DEVICE:INODE` (the device and inode numbers of that stream, in decimal);
    /// standard error otherwise, such as on a terminal or when the output is redirected.
    ///
    /// - Parameters:
    ///   - journalStream: the value of `JOURNAL_STREAM`, if the environment has it.
    ///   - standardError: the descriptor to compare, normally standard error.
    /// - SeeAlso: sd_journal_stream_fd(3), "JOURNAL_STREAM" in systemd.exec(5).
    public static func select(
        journalStream: String?,
        standardError: FileDescriptor = .standardError
    ) -> LogDestination {
        guard let journalStream else { return .standardError }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return .standardError
        }
        var status = stat()
        guard fstat(standardError.rawValue, &status) == 0 else { return .standardError }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode ? .journal : .standardError
    }
}
