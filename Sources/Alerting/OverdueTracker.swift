public import Foundation

/// `CRON_ALERT_AFTER`: a dead man's switch per job. A job that has not succeeded for its window —
/// because its runs fail, are skipped or missed, never start, or the daemon was down — becomes
/// overdue once; it recovers on its next success. One alert per episode.
///
/// Pure: no clock, no I/O. The daemon feeds it the runs' ends and calls ``tick(now:)`` at
/// ``nextDeadline`` (and at start, so that a daemon that was down past a window raises it then);
/// it performs the actions it returns (journal event, mail, hook).
public struct OverdueTracker: Hashable, Sendable {
    /// What the daemon does.
    public enum Action: Hashable, Sendable {
        /// `job` has not succeeded within its window: raise the alert.
        /// - `lastSuccess`: its last success, `nil` if it never succeeded while watched.
        /// - `deadline`: when it became overdue (the last success, or the start of the watch, plus the window).
        /// - `reason`: in words, with the last thing that went wrong when one is known.
        case overdue(job: String, lastSuccess: Date?, deadline: Date, reason: String)
        /// `job` succeeded at `at` after being overdue since `since`.
        case recovered(job: String, at: Date, since: Date)
    }

    /// What became of a slot of a watched job.
    public enum Observation: Hashable, Sendable {
        /// A run succeeded.
        case succeeded
        /// A slot ended otherwise: failed, lost, not started, skipped, missed. The words say which,
        /// and end up in the alert's reason.
        case didNotSucceed(String)
    }

    /// Where a watched job stands, for `status`.
    public enum Status: Hashable, Sendable {
        /// It has until `deadline` to succeed.
        case onTime(deadline: Date)
        /// It has been overdue since `since`; the alert was raised at `alertedAt`.
        case overdue(since: Date, alertedAt: Date)
    }

    private struct Watch: Hashable, Sendable {
        var window: Duration
        var lastSuccess: Date?
        /// The start of the current episode's clock: the last success, or when watching began.
        var since: Date
        var alertedAt: Date?
        var lastProblem: String?
        var deadline: Date { since.addingTimeInterval(window.seconds) }
    }

    private var watches: [String: Watch] = [:]

    /// Watches nothing.
    public init() {}

    /// Starts watching `job`, or changes its window. A job already watched keeps its history (only
    /// its window changes: a changed `CRON_ALERT_AFTER` does not end an episode, a success does).
    /// - Parameters:
    ///   - window: `CRON_ALERT_AFTER`.
    ///   - lastSuccess: its last success as the ledger has it.
    ///   - firstSeen: when the ledger first knew it (its oldest slot); `now` when it has none. The
    ///     clock of a job that never succeeded starts there.
    ///   - alertedAt: when this episode's alert was raised, if it was before a restart (it is not
    ///     raised again).
    ///   - now: the current instant.
    public mutating func watch(
        _ job: String, within window: Duration, lastSuccess: Date?, firstSeen: Date?, alertedAt: Date? = nil, now: Date
    ) {
        if var known = watches[job] {
            known.window = window
            watches[job] = known
            return
        }
        watches[job] = Watch(window: window, lastSuccess: lastSuccess, since: lastSuccess ?? firstSeen ?? now, alertedAt: alertedAt)
    }

    /// Stops watching `job` (it was removed, or its `CRON_ALERT_AFTER` was).
    public mutating func unwatch(_ job: String) { watches[job] = nil }

    /// The jobs watched.
    public var watchedJobs: Set<String> { Set(watches.keys) }

    /// Records what became of one of `job`'s slots at `at`, and checks its deadline then.
    /// - Returns: a recovery when an overdue job succeeded; an overdue alert when it is past due.
    public mutating func observe(_ job: String, _ observation: Observation, at: Date) -> [Action] {
        guard var watch = watches[job] else { return [] }
        var actions: [Action] = []
        switch observation {
        case .succeeded:
            if let alertedAt = watch.alertedAt {
                actions.append(.recovered(job: job, at: at, since: min(watch.deadline, alertedAt)))
            }
            // Runs may end out of order (`allow`): the clock only moves forward.
            if at >= watch.since {
                watch.lastSuccess = at
                watch.since = at
            }
            watch.alertedAt = nil
            watch.lastProblem = nil
        case .didNotSucceed(let why):
            watch.lastProblem = why
        }
        watches[job] = watch
        return actions + check(job, now: at)
    }

    /// Raises the alerts that are due at `now`.
    public mutating func tick(now: Date) -> [Action] {
        watches.keys.sorted().flatMap { check($0, now: now) }
    }

    /// The earliest instant at which a watched job that is not yet overdue becomes overdue.
    public var nextDeadline: Date? {
        watches.values.lazy.filter { $0.alertedAt == nil }.map(\.deadline).min()
    }

    /// Where `job` stands, or `nil` when it is not watched.
    public func status(of job: String) -> Status? {
        guard let watch = watches[job] else { return nil }
        if let alertedAt = watch.alertedAt { return .overdue(since: min(watch.deadline, alertedAt), alertedAt: alertedAt) }
        return .onTime(deadline: watch.deadline)
    }

    /// The overdue jobs and when each one's alert was raised (what a restarted daemon restores).
    public var raisedAlerts: [String: Date] { watches.compactMapValues(\.alertedAt) }

    private mutating func check(_ job: String, now: Date) -> [Action] {
        guard var watch = watches[job], watch.alertedAt == nil, now >= watch.deadline else { return [] }
        watch.alertedAt = now
        watches[job] = watch
        let window = Self.spoken(watch.window)
        var reason = watch.lastSuccess.map { "no success within \(window): the last one was at \(Self.timestamp($0))" }
            ?? "no success within \(window) since \(Self.timestamp(watch.since)) (none recorded)"
        reason += watch.lastProblem.map { "; the latest slot: \($0)" } ?? "; no run has ended since"
        return [.overdue(job: job, lastSuccess: watch.lastSuccess, deadline: watch.deadline, reason: reason)]
    }

    static func timestamp(_ date: Date) -> String { MailMessage.timestamp(date) }

    /// `1d 2h`, `26h`, `90s`: the duration as the settings write it.
    static func spoken(_ duration: Duration) -> String {
        var left = Int(duration.seconds.rounded(.up))
        guard left > 0 else { return "0s" }
        var parts = ""
        for (size, unit) in [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] where left >= size {
            parts += "\(left / size)\(unit)"
            left %= size
        }
        return parts
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
