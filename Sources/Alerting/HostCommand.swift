import Glibc
public import Scheduler
import Synchronization

/// A command run on this host by `/bin/sh -c`, bounded in time: a failure hook or `sendmail`.
///
/// It is spawned and followed by the `local` executor's own code (`spawnShell`, `LocalRun`): its own
/// process group, cron's clean descriptor table, SIGTERM to the group at its bound and SIGKILL after
/// the grace period, reaped on a thread of its own. Its standard input is a message held in memory
/// (a memfd), so that a command that never reads it cannot block the daemon on a full pipe, and
/// one that stops reading cannot kill the daemon with SIGPIPE.
public struct HostCommand: Sendable {
    /// The command line, for `/bin/sh -c`.
    public var command: String
    /// Its whole environment.
    public var environment: [String: String]
    /// What it reads on its standard input.
    public var input: [UInt8]
    /// How long it may run before it is stopped.
    public var timeout: Duration
    /// How long after SIGTERM it gets SIGKILL.
    public var stopGrace: Duration

    /// - Parameters:
    ///   - command: the command line, for `/bin/sh -c`.
    ///   - environment: its whole environment (nothing of the daemon's is added).
    ///   - input: what it reads on its standard input.
    ///   - timeout: how long it may run before it is stopped.
    ///   - stopGrace: how long after SIGTERM it gets SIGKILL.
    public init(command: String, environment: [String: String], input: [UInt8] = [], timeout: Duration, stopGrace: Duration = .seconds(2)) {
        self.command = command
        self.environment = environment
        self.input = input
        self.timeout = timeout
        self.stopGrace = stopGrace
    }

    /// How it went.
    public struct Result: Hashable, Sendable {
        /// How it ended: succeeded (exit 0), failed with its exit code or signal (and, when it was
        /// stopped at its bound, `timed out after …`), or cancelled (the daemon stopped first).
        public var outcome: RunOutcome
        /// The last lines it wrote, stdout and stderr together (its error message, usually).
        public var output: OutputTail
        /// Whether it was stopped at its bound.
        public var timedOut: Bool
    }

    /// Runs it to its end, or to its bound. A task cancelled while it runs stops it (SIGTERM to its
    /// group, SIGKILL after the grace period) and gets a cancelled outcome at once.
    /// - Throws: `HostCommandError` when it cannot be started at all.
    public func run() async throws(HostCommandError) -> Result {
        let tail = TailBox()
        let started: LocalRun
        do {
            let input = try Self.memoryFile(holding: self.input)
            defer { close(input) }
            let child = try spawnShell(command: command, environment: environment, standardInput: input)
            started = try LocalRun.follow(
                child: child.pid, stdout: child.stdout, stderr: child.stderr, timeout: timeout, stopGrace: stopGrace
            ) { stream, bytes in tail.append(bytes, isStandardError: stream == .stderr) }
        } catch {
            throw HostCommandError(command: command, cause: error.description)
        }
        let run = started
        let outcome = await withTaskCancellationHandler {
            await run.outcome.wait()
        } onCancel: {
            run.cancel(reason: "the daemon is stopping")
        }
        let ended = outcome ?? .cancelled(reason: "the daemon is stopping")
        let timedOut: Bool
        if case .failed(_, let reason) = ended, reason.hasPrefix("timed out after") { timedOut = true } else { timedOut = false }
        return Result(outcome: ended, output: tail.value, timedOut: timedOut)
    }

    /// An anonymous file in memory holding `bytes`, positioned at its start.
    /// The corresponding C function is memfd_create (close-on-exec: the child gets it through dup2 only).
    private static func memoryFile(holding bytes: [UInt8]) throws(SpawnError) -> Int32 {
        guard let create = memfdCreate else { throw SpawnError(call: "memfd_create (not in this C library)", code: ENOSYS) }
        // MFD_CLOEXEC is 1 (linux/memfd.h).
        let fd = create("fargate-cron-input", 1)
        guard fd >= 0 else { throw SpawnError(call: "memfd_create", code: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw SpawnError(call: "write to memfd", code: code)
            }
            written += count
        }
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            let code = errno
            close(fd)
            throw SpawnError(call: "lseek", code: code)
        }
        return fd
    }
}

/// glibc's memfd_create (2.27 and later), found at run time: Swift's Glibc module does not export it.
private let memfdCreate: (@convention(c) (UnsafePointer<CChar>, UInt32) -> Int32)? = {
    guard let symbol = dlsym(nil, "memfd_create") else { return nil }  // nil: RTLD_DEFAULT
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafePointer<CChar>, UInt32) -> Int32).self)
}()

/// A host command that could not be started.
public struct HostCommandError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The command line.
    public var command: String
    /// The failing call and its error.
    public var cause: String
    public var description: String { "cannot run \(command): \(cause)" }
}

/// The output tail of a running host command, fed from its reader thread.
private final class TailBox: Sendable {
    private let tail = Mutex(OutputTail(maximumLines: 20, maximumBytes: 4096))
    func append(_ bytes: [UInt8], isStandardError: Bool) { tail.withLock { $0.append(bytes, isStandardError: isStandardError) } }
    var value: OutputTail { tail.withLock { $0 } }
}
