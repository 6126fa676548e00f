import Foundation
import Glibc
import Synchronization

/// Why a child could not be started: the C call and its errno.
package struct SpawnError: Error, CustomStringConvertible {
    package var call: String
    package var code: Int32
    package init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }
    package var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// A pipe whose ends are closed once, by their owner.
struct Pipe {
    var read: Int32
    var write: Int32

    /// The corresponding C function is pipe, then FD_CLOEXEC on both ends (Glibc's module has no
    /// pipe2), so no other child inherits them; spawns hold `spawnLock` so none can slip in between.
    static func make() throws(SpawnError) -> Pipe {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError(call: "pipe", code: errno) }
        for fd in fds where fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
            let code = errno
            close(fds[0])
            close(fds[1])
            throw SpawnError(call: "fcntl FD_CLOEXEC", code: code)
        }
        return Pipe(read: fds[0], write: fds[1])
    }
}

/// Held while pipes for a child are made and the child is spawned.
private let spawnLock = Mutex(())

/// Starts `/bin/sh -c COMMAND` in its own process group, with standard input from /dev/null (or
/// from `standardInput`), the given environment, every signal at its default disposition, and
/// stdout and stderr on pipes.
/// - Parameters:
///   - standardInput: a descriptor the child reads as its standard input (the caller keeps and
///     closes it); `nil` for /dev/null. Host commands of the alerting (a failure hook, sendmail)
///     read a message from it.
/// - Returns: the child's pid and the read ends of its stdout and stderr pipes.
/// - Throws: `SpawnError` naming the failing call.
package func spawnShell(
    command: String, environment: [String: String], standardInput: Int32? = nil
) throws(SpawnError) -> (pid: Int32, stdout: Int32, stderr: Int32) {
    try spawnLock.withLock { _ throws(SpawnError) in
        try spawnShellLocked(command: command, environment: environment, standardInput: standardInput)
    }
}

private func spawnShellLocked(
    command: String, environment: [String: String], standardInput: Int32?
) throws(SpawnError) -> (pid: Int32, stdout: Int32, stderr: Int32) {
    let out = try Pipe.make()
    let err: Pipe
    do { err = try Pipe.make() } catch {
        close(out.read)
        close(out.write)
        throw error
    }
    defer {
        close(out.write)
        close(err.write)
    }
    var actions = posix_spawn_file_actions_t()
    var attributes = posix_spawnattr_t()
    func check(_ call: String, _ result: Int32) throws(SpawnError) {
        guard result == 0 else { throw SpawnError(call: call, code: result) }
    }
    do {
        try check("posix_spawn_file_actions_init", posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check("posix_spawnattr_init", posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        if let standardInput {
            try check("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, standardInput, 0))
        } else {
            try check("posix_spawn_file_actions_addopen", posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        }
        try check("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, out.write, 1))
        try check("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, err.write, 2))
        // Cron closes every other descriptor before the command runs. Ours are close-on-exec, but the
        // daemon may have inherited some that are not (from whoever started it); a job must not hold
        // them, or its parent's parent may wait for the daemon's end until the job's end.
        for fd in inheritedDescriptors() where fd != out.write && fd != err.write && fd != standardInput {
            try check("posix_spawn_file_actions_addclose", posix_spawn_file_actions_addclose(&actions, fd))
        }
        // Its own process group, so a timeout or a cancel reaches everything the command started;
        // default dispositions and an empty mask, whatever the daemon does with signals.
        try check("posix_spawnattr_setpgroup", posix_spawnattr_setpgroup(&attributes, 0))
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        try check("posix_spawnattr_setsigmask", posix_spawnattr_setsigmask(&attributes, &noSignals))
        try check("posix_spawnattr_setsigdefault", posix_spawnattr_setsigdefault(&attributes, &allSignals))
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        try check("posix_spawnattr_setflags", posix_spawnattr_setflags(&attributes, Int16(flags)))

        let arguments: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (text: String) in strdup(text) }
        let environment: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map {
            (entry: (key: String, value: String)) in strdup("\(entry.key)=\(entry.value)")
        }
        defer { (arguments + environment).forEach { free($0) } }
        var pid: pid_t = 0
        let result = (arguments + [nil]).withUnsafeBufferPointer { argv in
            (environment + [nil]).withUnsafeBufferPointer { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
            }
        }
        try check("posix_spawn /bin/sh", result)
        return (pid, out.read, err.read)
    } catch {
        close(out.read)
        close(err.read)
        throw error
    }
}

/// The descriptors above 2 that an exec would keep (no FD_CLOEXEC); Glibc's module has no
/// posix_spawn_file_actions_addclosefrom_np. Read with readdir rather than FileManager: it runs on
/// every start, and a herd of starts waits for it.
private func inheritedDescriptors() -> [Int32] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    let listing = dirfd(directory)
    var found: [Int32] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let fd = Int32(name), fd > 2, fd != listing else { continue }
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0, flags & FD_CLOEXEC == 0 { found.append(fd) }
    }
    return found
}

/// Splits a stream into lines for the output sink. A line longer than `longestLine` is cut there
/// (somewhat arbitrarily 1 MiB: the journal takes that much, and a runaway line must not grow forever).
struct LineSplitter {
    static let longestLine = 1 << 20
    private var buffer: [UInt8] = []

    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: ([UInt8]) -> Void) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                emit(buffer)
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
                if buffer.count >= Self.longestLine {
                    emit(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    mutating func finish(emit: ([UInt8]) -> Void) {
        if !buffer.isEmpty { emit(buffer) }
        buffer = []
    }
}

/// Turns a `waitpid` status into an outcome.
func outcome(ofWaitStatus status: Int32) -> (exitCode: Int32?, description: String) {
    let signal = status & 0x7f
    if signal == 0 {
        let code = (status >> 8) & 0xff
        return (code, "exited with status \(code)")
    }
    let name = signalNames[signal].map { " (\($0))" } ?? ""
    return (nil, "killed by signal \(signal)\(name)")
}

/// `SIGTERM` for 15: the name a signal has in kill(1) and signal(7), or `signal N` for one without.
func signalName(_ signal: Int32) -> String { signalNames[signal] ?? "signal \(signal)" }

/// Linux's standard signals by number (signal(7)); real-time signals have no name of their own.
private let signalNames: [Int32: String] = [
    SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
    SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
    SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
    SIGSTKFLT: "SIGSTKFLT", SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP",
    SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
    SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH", SIGIO: "SIGIO", SIGPWR: "SIGPWR",
    SIGSYS: "SIGSYS",
]
