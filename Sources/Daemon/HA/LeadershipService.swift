import Foundation
import Kubernetes
import Logging
import Scheduler
import ServiceLifecycle
import Systemd

/// With several hosts (`--lease`): takes part in the election, and while this host leads runs a
/// term of leadership (``LeaderTerm``); while it stands by, it keeps systemd's watchdog fed and says
/// who leads. Leadership acquired and lost are journal events (``RunEvent/Kind/leadershipAcquired``,
/// ``RunEvent/Kind/leadershipLost``).
///
/// On a graceful shutdown (SIGTERM) leadership ends at once (no Job is created from then on), the
/// Lease is released with an empty holder so that a standby takes over without waiting for it to
/// expire, and the term stops; its runs go on in the cluster for the next leader to follow.
struct LeadershipService: Service, CustomStringConvertible {
    let elector: LeaderElector<ContinuousClock>
    let terms: Terms
    /// Builds a term with the jobs loaded now and the host that led before.
    let makeTerm: @Sendable ([ScheduledJob], String?) -> LeaderTerm
    let notifier: Notifier
    /// Set once the first election round is done: `READY=1` has been sent.
    let ready: Latch<Void>
    /// Told whenever `STATUS=` may need to change.
    let statusChanged: AsyncStream<Void>.Continuation
    let watchdog: Duration?
    let logger: Logger

    var description: String { "LeadershipService(\(elector.namespace)/\(elector.name))" }

    func run() async throws {
        let changes = elector.changes()
        let lease = "\(elector.namespace)/\(elector.name)"
        await withDiscardingTaskGroup { group in
            group.addTask { await elector.run() }
            group.addTask {
                do { try await gracefulShutdown() } catch {
                    // Cancelled rather than shut down gracefully: end all the same (without a release:
                    // a cancelled task makes no more calls; the Lease expires for the others).
                }
                elector.stop()
                await terms.current?.stop()
            }
            if let watchdog { group.addTask { await feedWatchdogWhileStandingBy(every: watchdog / 2) } }

            var term: LeaderTerm?
            for await change in changes {
                if let event = change.event { journal(event, change.leadership, lease: lease) }
                if change.event != nil, ready.value == nil { becomeReady(change.leadership) }
                if change.leadership.isLeader, term == nil {
                    var previous: String?
                    if case .acquired(_, let holder) = change.event { previous = holder.map(LeaderIdentity.host(of:)) }
                    let begun = terms.begin { makeTerm($0, previous) }
                    group.addTask { await begun.run() }
                    term = begun
                } else if !change.leadership.isLeader, let ending = term {
                    _ = terms.end()
                    await ending.stop()
                    // The next term begins only once this one is over: two would follow the same runs.
                    _ = await ending.finished.wait()
                    term = nil
                }
                statusChanged.yield()
            }
            // The election is over: the daemon is stopping.
            if let term {
                _ = terms.end()
                await term.stop()
                _ = await term.finished.wait()
            }
            statusChanged.finish()
            group.cancelAll()
        }
    }

    /// `READY=1` once the first election round is done: the schedules and the ledger are loaded,
    /// and the host knows whether it leads (or that the API could not say yet).
    private func becomeReady(_ leadership: Leadership) {
        ready.set(())
        do { _ = try notifier.ready(status: StandbyStatus.line(leadership, jobs: terms.jobs.count)) } catch {
            logger.error("cannot notify systemd that the daemon is ready: \(error)")
        }
    }

    /// The journal events of the election (the elector itself logs its attempts).
    private func journal(_ event: ElectionEvent, _ leadership: Leadership, lease: String) {
        switch event {
        case .acquired(let transitions, let previous):
            let after = previous.map { ", after \(LeaderIdentity.host(of: $0))" } ?? ""
            logger.log(RunEvent(
                .leadershipAcquired, reason: "this host schedules the jobs from now on (transition \(transitions)\(after))",
                lease: lease, leader: leadership.leader))
        case .lost(let reason):
            logger.log(RunEvent(
                .leadershipLost, reason: "\(reason); it creates no Job from now on", lease: lease, leader: leadership.leader))
        case .released:
            logger.log(RunEvent(
                .leadershipLost, reason: "the daemon is stopping: the Lease was released for a standby to take over at once",
                lease: lease, leader: nil))
        case .releaseFailed(let reason):
            logger.log(RunEvent(
                .leadershipLost,
                reason: "the daemon is stopping; releasing the Lease failed (\(reason)), so the others take it when it expires",
                lease: lease, leader: leadership.leader))
        case .leaderChanged(let holder):
            guard !leadership.isLeader, !leadership.isStopped else { return }
            logger.notice("standing by: \(holder.map { "the leader is \(LeaderIdentity.host(of: $0)) (\($0))" } ?? "no host leads")")
        case .renewed, .attemptFailed:
            return
        }
    }

    /// Feeds systemd's watchdog while no term runs (a term's scheduler feeds it from its loop).
    private func feedWatchdogWhileStandingBy(every interval: Duration) async {
        while !Task.isCancelled {
            if terms.current == nil {
                do { _ = try notifier.watchdog() } catch { logger.error("cannot send the watchdog ping: \(error)") }
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
