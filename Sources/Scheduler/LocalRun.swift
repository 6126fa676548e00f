import Foundation
import Glibc
import Synchronization

/// One run of the `local` executor: a process group it follows on threads of its own (blocking
/// `poll` and `waitpid` must not sit on the cooperative pool), enforcing the timeout and cancels
/// with SIGTERM, then SIGKILL after a grace period. The alerting's host commands (failure hooks,
/// sendmail) are followed by it too, hence `package`.
package final class LocalRun: Sendable {
    private struct Control {
        var cancelReason: String?
        var exitStatus: Int32?
        var waitError: Int32?
    }

    private enum StopReason {
        case timeout(Duration)
        case cancel(String)
    }

    let identity: ProcessIdentity
    /// How the process ended, once it has (and its output is read).
    package let outcome = Latch<RunOutcome>()
    /// The process id of the run's shell (its process group's id too).
    package var pid: Int32 { identity.pid }
    private let control = Mutex(Control())
    private let wake: Pipe
    private let stopGrace: Duration

    private init(identity: ProcessIdentity, stopGrace: Duration) throws(SpawnError) {
        self.identity = identity
        self.stopGrace = stopGrace
        wake = try Pipe.make()
        for fd in [wake.read, wake.write] {
            guard fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
                let code = errno
                close(wake.read)
                close(wake.write)
                throw SpawnError(call: "fcntl O_NONBLOCK", code: code)
            }
        }
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Follows a child this daemon just spawned: its output, its exit status, its timeout.
    package static func follow(
        child pid: Int32, stdout: Int32, stderr: Int32, timeout: Duration?, stopGrace: Duration,
        emit: @escaping @Sendable (OutputLine.Stream, [UInt8]) -> Void
    ) throws(SpawnError) -> LocalRun {
        // The child is not reaped before the waiter thread starts, so /proc still has it (a zombie at worst).
        let identity = ProcessIdentity.of(pid) ?? ProcessIdentity(pid: pid, startTime: 0)
        let run = try LocalRun(identity: identity, stopGrace: stopGrace)
        Thread { run.waitForExit() }.start()
        Thread { run.pump(stdout: stdout, stderr: stderr, timeout: timeout, emit: emit) }.start()
        return run
    }

    /// Follows a process a previous daemon started (no pipes, no exit status: only whether it lives).
    static func adopt(_ identity: ProcessIdentity, remaining timeout: Duration?, stopGrace: Duration) throws(SpawnError) -> LocalRun {
        let run = try LocalRun(identity: identity, stopGrace: stopGrace)
        Thread { run.watchAdopted(timeout: timeout) }.start()
        return run
    }

    /// Asks the run to stop: SIGTERM to its process group, SIGKILL after the grace period.
    package func cancel(reason: String) {
        control.withLock { if $0.cancelReason == nil { $0.cancelReason = reason } }
        poke()
    }

    private func poke() {
        var byte: UInt8 = 1
        // A full wake pipe already holds a wake-up; nothing is lost by a failed write.
        if write(wake.write, &byte, 1) < 0, errno != EAGAIN {
            FileHandle.standardError.write(Data("fargate-cron: cannot wake the run monitor: errno \(errno)\n".utf8))
        }
    }

    private func waitForExit() {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(identity.pid, &status, 0) } while result == -1 && errno == EINTR
        let code = errno
        control.withLock {
            if result == -1 { $0.waitError = code } else { $0.exitStatus = status }
        }
        poke()
    }

    /// Sends `signal` to the run's process group.
    private func signalGroup(_ signal: Int32) {
        if kill(-identity.pid, signal) != 0, errno != ESRCH {
            FileHandle.standardError.write(Data("fargate-cron: kill(-\(identity.pid), \(signalName(signal))) failed: errno \(errno)\n".utf8))
        }
    }

    private func pump(stdout: Int32, stderr: Int32, timeout: Duration?, emit: @escaping @Sendable (OutputLine.Stream, [UInt8]) -> Void) {
        let clock = ContinuousClock()
        let started = clock.now
        var streams: [(fd: Int32, stream: OutputLine.Stream, splitter: LineSplitter)] = [
            (stdout, .stdout, LineSplitter()), (stderr, .stderr, LineSplitter()),
        ]
        var stop: StopReason?
        var termSentAt: ContinuousClock.Instant?
        var killSent = false
        var exitedAt: ContinuousClock.Instant?
        // After the command exits, output still in the pipes is read for this long; a background
        // process that keeps a pipe open must not keep the run going (somewhat arbitrarily 200 ms).
        let drainWindow = Duration.milliseconds(200)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let now = clock.now
            if stop == nil, let timeout, now - started >= timeout { stop = .timeout(timeout) }
            if stop == nil, let reason = control.withLock({ $0.cancelReason }) { stop = .cancel(reason) }
            if stop != nil, termSentAt == nil, exitedAt == nil {
                signalGroup(SIGTERM)
                termSentAt = now
            }
            if let termSentAt, !killSent, exitedAt == nil, now - termSentAt >= stopGrace {
                signalGroup(SIGKILL)
                killSent = true
            }
            let exited = control.withLock { $0.exitStatus != nil || $0.waitError != nil }
            if exited, exitedAt == nil { exitedAt = now }
            if let exitedAt, streams.isEmpty || now - exitedAt >= drainWindow { break }

            var wakeAt: [ContinuousClock.Instant] = []
            if stop == nil, let timeout { wakeAt.append(started + timeout) }
            if let termSentAt, !killSent { wakeAt.append(termSentAt + stopGrace) }
            if let exitedAt { wakeAt.append(exitedAt + drainWindow) }
            let waitMilliseconds = wakeAt.min().map { deadline -> Int32 in
                let remaining = max(.zero, deadline - now)
                return Int32(min(remaining / .milliseconds(1), 60_000).rounded(.up))
            } ?? -1
            var fds = streams.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
            if ready < 0 {
                guard errno == EINTR else {
                    FileHandle.standardError.write(Data("fargate-cron: poll failed: errno \(errno)\n".utf8))
                    break
                }
                continue
            }
            if fds.last!.revents != 0 {
                while read(wake.read, &buffer, buffer.count) > 0 {}
            }
            var index = streams.count - 1
            while index >= 0 {
                defer { index -= 1 }
                guard fds[index].revents != 0 else { continue }
                let count = read(streams[index].fd, &buffer, buffer.count)
                if count > 0 {
                    let stream = streams[index].stream
                    buffer.withUnsafeBytes { bytes in
                        streams[index].splitter.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { emit(stream, $0) }
                    }
                } else if count == 0 || errno != EINTR {
                    let stream = streams[index].stream
                    streams[index].splitter.finish { emit(stream, $0) }
                    close(streams[index].fd)
                    streams.remove(at: index)
                }
            }
        }
        for var open in streams {
            open.splitter.finish { emit(open.stream, $0) }
            close(open.fd)
        }
        let (status, waitError) = control.withLock { ($0.exitStatus, $0.waitError) }
        guard let status else {
            outcome.set(.failed(exitCode: nil, reason: "its exit status was lost: waitpid failed with errno \(waitError ?? 0)"))
            return
        }
        let exit = ChildExit(status)
        switch stop {
        case .timeout(let limit):
            outcome.set(.failed(exitCode: exit.code, reason: "timed out after \(limit) and was stopped: \(exit.description)"))
        case .cancel(let reason):
            outcome.set(.cancelled(reason: reason))
        case nil:
            outcome.set(exit.code == 0 ? .succeeded : .failed(exitCode: exit.code, reason: exit.description))
        }
    }

    private func watchAdopted(timeout: Duration?) {
        let clock = ContinuousClock()
        let started = clock.now
        var stop: StopReason?
        var termSentAt: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 64)
        // Not our child: no exit status and no wake-up when it ends, so look once a second.
        while identity.isAlive {
            let now = clock.now
            if stop == nil, let timeout, now - started >= timeout { stop = .timeout(timeout) }
            if stop == nil, let reason = control.withLock({ $0.cancelReason }) { stop = .cancel(reason) }
            if stop != nil, termSentAt == nil {
                signalGroup(SIGTERM)
                termSentAt = now
            } else if let sent = termSentAt, now - sent >= stopGrace {
                signalGroup(SIGKILL)
            }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 1000) > 0 { while read(wake.read, &buffer, buffer.count) > 0 {} }
        }
        switch stop {
        case .timeout(let limit): outcome.set(.failed(exitCode: nil, reason: "timed out after \(limit) and was stopped"))
        case .cancel(let reason): outcome.set(.cancelled(reason: reason))
        case nil:
            outcome.set(.failed(exitCode: nil, reason: "it ended after a daemon restart adopted it; its exit status is unknown"))
        }
    }
}

/// A child's `waitpid` status.
struct ChildExit: CustomStringConvertible {
    var code: Int32?
    var description: String
    init(_ status: Int32) { (code, description) = outcome(ofWaitStatus: status) }
}
