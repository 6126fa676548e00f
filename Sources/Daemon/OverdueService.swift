import Alerting
import Foundation
import Ledger
import Logging
import Metrics
import RunModel
import Scheduler
import ServiceLifecycle
import Synchronization

/// Runs the overdue watch (`CRON_ALERT_AFTER`): once the scheduler is ready (catch-up and
/// re-attachment done, so the ledger is current), it starts watching each job from its last
/// success in the ledger — raising at once the alert of a job whose window passed while the daemon
/// was down — then wakes at the next deadline (and every few seconds, to follow reloads).
///
/// The alerts raised are kept in `STATE/overdue.json`, so that a restart in the middle of an
/// episode does not raise it again.
struct OverdueService: Service {
    let alerts: AlertCenter
    let ledger: RunLedger
    let thread: LedgerThread
    let clock: any WallClock
    let ready: Latch<Void>
    let stateFile: URL
    /// With several hosts, the start of this host's term of leadership: windows are counted from no
    /// earlier, because the runs of the host that led before are not in this host's ledger (an
    /// episode that began under it is raised late rather than a false one at every takeover).
    var notBefore: Date? = nil
    let logger: Logger

    func run() async throws {
        guard await cancelWhenGracefulShutdown({ await ready.wait() }) != nil else { return }
        var saved = loadRaised()
        if notBefore != nil {
            // What an earlier term of this host watched is stale: the other host ran the jobs since.
            alerts.tracker.withLock { tracker in for name in tracker.watchedJobs { tracker.unwatch(name) } }
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await follow(alerts.watchedWindows)
            let now = clock.now()
            let actions = alerts.tracker.withLock { $0.tick(now: now) }
            alerts.perform(actions, at: now)
            let raised = alerts.tracker.withLock { $0.raisedAlerts }
            if raised != saved {
                save(raised)
                saved = raised
            }
            let next = alerts.tracker.withLock { $0.nextDeadline }
            // Awake at the next deadline, and at least every 5 s to follow reloads (the windows are
            // hours, usually; a reload's new job is watched within seconds, somewhat arbitrarily 5).
            let deadline = min(next ?? now.addingTimeInterval(5), now.addingTimeInterval(5))
            do { try await cancelWhenGracefulShutdown { try await clock.sleep(until: deadline) } } catch { return }
        }
    }

    /// Watches the jobs that set a window now, from the ledger; forgets the others.
    private func follow(_ windows: [String: Duration]) async {
        let watched = alerts.tracker.withLock { $0.watchedJobs }
        for name in watched where windows[name] == nil { alerts.tracker.withLock { $0.unwatch(name) } }
        let raised = loadRaised()
        for (name, window) in windows {
            if watched.contains(name) {
                alerts.tracker.withLock { $0.watch(name, within: window, lastSuccess: nil, firstSeen: nil, now: clock.now()) }
                continue
            }
            let ledger = self.ledger
            var history: (success: Date?, first: Date?)
            do {
                history = try await thread.run { () throws(LedgerError) in
                    let success = try ledger.lastRun(of: name, endedIn: .succeeded)
                    return (success.map { $0.finishedAt ?? $0.scheduledAt }, try ledger.firstRun(of: name)?.scheduledAt)
                }
            } catch {
                logger.error("cannot read the last success of \(name) for CRON_ALERT_AFTER: \(error)")
                history = (nil, nil)
            }
            if let notBefore { history.success = max(history.success ?? notBefore, notBefore) }
            // An alert raised before a restart still stands if no success came after it.
            let alertedAt = raised[name].flatMap { at in history.success.map { $0 < at } ?? true ? at : nil }
            alerts.tracker.withLock {
                $0.watch(name, within: window, lastSuccess: history.success, firstSeen: history.first, alertedAt: alertedAt, now: clock.now())
            }
            if alertedAt != nil { alerts.metrics.overdue.set(1, name) } else { alerts.metrics.overdue.set(0, name) }
        }
        alerts.metrics.overdueJobs.set(Double(alerts.tracker.withLock { $0.raisedAlerts.count }))
    }

    private func loadRaised() -> [String: Date] {
        guard let data = try? Data(contentsOf: stateFile) else { return [:] }  // none yet: nothing was raised
        do {
            let seconds = try JSONDecoder().decode([String: Double].self, from: data)
            return seconds.mapValues { Date(timeIntervalSince1970: $0) }
        } catch {
            logger.warning("ignoring \(stateFile.path): \(error)")
            return [:]
        }
    }

    private func save(_ raised: [String: Date]) {
        do {
            let data = try JSONEncoder().encode(raised.mapValues(\.timeIntervalSince1970))
            try data.write(to: stateFile, options: .atomic)
        } catch {
            logger.error("cannot keep the raised overdue alerts in \(stateFile.path): \(error)")
        }
    }
}
