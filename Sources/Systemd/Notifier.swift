import CSystemd
import Glibc
public import SystemPackage

/// Tells the service manager about the daemon's state over `sd_notify` (`Type=notify` units).
///
/// Without `NOTIFY_SOCKET` in the environment (run by hand, or by a unit of another type) every
/// call is a no-op that returns `false`. Every other failure of libsystemd is thrown.
///
/// The daemon sends ``ready(status:)`` once its schedules and ledger are loaded, ``status(_:)``
/// as things change, ``watchdog()`` from its scheduling loop every ``watchdogInterval``,
/// ``reloading(monotonicNow:)`` then ``ready(status:)`` around a reload, ``stopping(status:)`` on
/// `SIGTERM`, and ``failed(errno:status:)`` when it cannot start.
/// - SeeAlso: sd_notify(3), sd_watchdog_enabled(3).
public struct Notifier: Sendable {
    /// A notifier for this process. libsystemd reads `NOTIFY_SOCKET` (and `WATCHDOG_USEC`,
    /// `WATCHDOG_PID`) from the environment itself.
    public init() {}

    /// `READY=1`: start-up (or a reload) is complete; with a `STATUS=` line if given.
    @discardableResult
    public func ready(status: String? = nil) throws(SystemdError) -> Bool {
        try send(["READY=1"] + statusAssignment(status))
    }

    /// `STATUS=`: a one-line summary for `systemctl status` (newlines become spaces).
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        try send(statusAssignment(text))
    }

    /// `WATCHDOG=1`: the scheduling loop is alive. Send it every ``watchdogInterval``.
    @discardableResult
    public func watchdog() throws(SystemdError) -> Bool {
        try send(["WATCHDOG=1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=`: a reload starts; follow it with ``ready(status:)``.
    /// - Parameter monotonicNow: `CLOCK_MONOTONIC` now (see ``monotonicNow()``); systemd 253 and
    ///   later require it to match the reload request.
    @discardableResult
    public func reloading(monotonicNow: Duration) throws(SystemdError) -> Bool {
        let (seconds, attoseconds) = monotonicNow.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return try send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping(status: String? = nil) throws(SystemdError) -> Bool {
        try send(["STOPPING=1"] + statusAssignment(status))
    }

    /// `ERRNO=`: the daemon failed with `errno` (shown by `systemctl status`); send it before
    /// exiting with a failure.
    @discardableResult
    public func failed(errno: Errno, status: String? = nil) throws(SystemdError) -> Bool {
        try send(statusAssignment(status) + ["ERRNO=\(errno.rawValue)"])
    }

    /// `ERRNO=` from a C `errno` value (`ENOENT`, …); see ``failed(errno:status:)``.
    @discardableResult
    public func failed(errnoCode: CInt, status: String? = nil) throws(SystemdError) -> Bool {
        try failed(errno: Errno(rawValue: errnoCode), status: status)
    }

    /// Sends `assignments` (`NAME=value`, one message) as they are.
    ///
    /// The corresponding C function is `sd_notify`.
    /// - Returns: `false` when there is no `NOTIFY_SOCKET` (nothing was sent), `true` when sent.
    /// - Throws: ``SystemdError`` when libsystemd fails to send, such as `ECONNREFUSED` when the
    ///   socket has no reader or `EINVAL` for a bad `NOTIFY_SOCKET`; `EAGAIN` when the service
    ///   manager has not taken the message within a second (its socket's queue is full: it is not
    ///   reading; see `NotifySender`).
    @discardableResult
    public func send(_ assignments: [String]) throws(SystemdError) -> Bool {
        let state = assignments.joined(separator: "\n")
        return try check(NotifySender.shared.send(state), "sd_notify") > 0
    }

    /// How often to send ``watchdog()``: half of `WATCHDOG_USEC`, or `nil` when the service manager
    /// does not watch this process.
    ///
    /// The corresponding C function is `sd_watchdog_enabled`.
    /// - Throws: ``SystemdError`` for a malformed `WATCHDOG_USEC` or `WATCHDOG_PID`.
    public var watchdogInterval: Duration? {
        get throws(SystemdError) {
            var microseconds: UInt64 = 0
            guard try check(sd_watchdog_enabled(0, &microseconds), "sd_watchdog_enabled") > 0 else { return nil }
            return .microseconds(Int64(microseconds / 2))
        }
    }

    /// `CLOCK_MONOTONIC` now, for ``reloading(monotonicNow:)``.
    public static func monotonicNow() -> Duration {
        var now = timespec()
        // CLOCK_MONOTONIC cannot fail on Linux with a valid pointer.
        precondition(clock_gettime(CLOCK_MONOTONIC, &now) == 0, "clock_gettime(CLOCK_MONOTONIC) failed")
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    private func statusAssignment(_ status: String?) -> [String] {
        guard let status else { return [] }
        let oneLine = status.split(whereSeparator: \.isNewline).joined(separator: " ")
        return ["STATUS=\(oneLine)"]
    }
}
