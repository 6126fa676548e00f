import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state directory's writer lock: an exclusive `flock` on `ledger.lock`, whose content is the
/// holder's pid. The kernel releases it when the holder exits or dies, so a crashed daemon never
/// leaves a stale lock; a second writer fails at once and learns the holder's pid.
///
/// `flock` (not `fcntl`) on purpose: its locks belong to the open file description, so a second
/// opener inside the same process is refused too, which keeps tests honest.
final class StateDirectoryLock: Sendable {
    let path: String
    private let descriptor: Int32

    /// Creates the directory (0700) if needed, tightens its mode to 0700, and takes the lock.
    /// - Throws: ``LedgerError/stateDirectoryLocked(lockFile:holderPID:)`` when another process
    ///   holds it, ``LedgerError/stateDirectoryUnusable(path:operation:errno:)`` otherwise.
    init(directory: String, processID: Int32) throws(LedgerError) {
        try Self.prepare(directory: directory)
        path = directory + "/ledger.lock"
        let fd = openFile(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .stateDirectoryUnusable(path: directory, operation: "open \(path)", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = Self.readPID(fd)
            close(fd)
            if code == EWOULDBLOCK { throw .stateDirectoryLocked(lockFile: path, holderPID: holder) }
            throw .stateDirectoryUnusable(path: directory, operation: "flock \(path)", errno: code)
        }
        let text = Array("\(processID)\n".utf8)
        let written = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard ftruncate(fd, off_t(text.count)) == 0, written == text.count else {
            let code = errno
            close(fd)
            throw .stateDirectoryUnusable(path: directory, operation: "write pid to \(path)", errno: code)
        }
        descriptor = fd
    }

    deinit {
        // Closing the descriptor releases the lock; the pid stays in the file, which is harmless:
        // readers of the pid only look when the lock is held.
        close(descriptor)
    }

    /// Makes sure `directory` exists and is 0700 (created with that mode, or tightened to it).
    static func prepare(directory: String) throws(LedgerError) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .stateDirectoryUnusable(path: directory, operation: "mkdir", errno: errno)
        }
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw .stateDirectoryUnusable(path: directory, operation: "stat", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .stateDirectoryUnusable(path: directory, operation: "use as a directory", errno: ENOTDIR)
        }
        if info.st_mode & 0o777 != 0o700, chmod(directory, 0o700) != 0 {
            throw .stateDirectoryUnusable(path: directory, operation: "chmod 0700", errno: errno)
        }
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// `open(2)` under a name that the ledger's own `open` methods do not shadow.
func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
