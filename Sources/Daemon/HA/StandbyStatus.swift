import Foundation
import Kubernetes
import Ledger
import Logging
import RunModel
import Scheduler
import ServiceLifecycle
import Systemd

/// What a host that stands by says: its `STATUS=` line and its answers on the control socket. It
/// has loaded and checked the schedules and keeps them reloaded, but runs nothing, so `status`
/// shows each job's next fire time from the schedule and its runs from this host's own ledger, with
/// who leads; `trigger` and `gc` are refused, naming the leader.
enum StandbyStatus {
    /// `standby, leader HOST; 3 jobs loaded`, or `leader; 3 jobs loaded` before a term has a scheduler.
    static func line(_ leadership: Leadership, jobs: Int) -> String {
        "\(leadership); " + (jobs == 1 ? "1 job loaded" : "\(jobs) jobs loaded")
    }

    /// The answer to a control request while no term of leadership runs.
    static func answer(
        _ request: ControlRequest, leadership: Leadership, jobs: [ScheduledJob], ledger: RunLedger, thread: LedgerThread,
        clock: any WallClock
    ) async -> ControlResponse {
        let leader = leadership.leaderHost.map { "the leader is \($0)" } ?? "no host leads yet"
        switch request.command {
        case .status:
            let now = clock.now()
            do {
                let rows = try await thread.run { () throws(LedgerError) in try standbyRows(of: jobs, at: now, ledger: ledger) }
                return ControlResponse(ok: true, jobs: rows, leadership: leadership.description)
            } catch {
                return .failure("cannot read the run ledger: \(error)")
            }
        case .trigger:
            return .failure("this host stands by and starts no run; \(leader): trigger the job there")
        case .gc:
            return .failure("this host stands by and deletes nothing; \(leader): run gc there")
        }
    }
}

/// With several hosts: keeps systemd's `STATUS=` line current, `leader; 3 jobs loaded, 1 run active,
/// next: …` or `standby, leader HOST; 3 jobs loaded`, sent when it changed, at most once a second.
struct LeadershipStatusNotice: Service {
    let elector: LeaderElector<ContinuousClock>
    let terms: Terms
    let notifier: Notifier
    /// A value whenever the status may have changed (leadership, a run started or ended, a reload).
    let changes: AsyncStream<Void>
    let logger: Logger
    var minimumGap: Duration = .seconds(1)

    func run() async throws {
        var last: String?
        for await _ in changes.cancelOnGracefulShutdown() {
            let leadership = elector.leadership
            let line: String
            if leadership.isLeader, let term = terms.current {
                let summary = await term.scheduler.summary()
                line = "leader; " + ServiceStatus(jobsLoaded: summary.jobs, runsActive: summary.activeRuns, next: summary.next).description
            } else {
                line = StandbyStatus.line(leadership, jobs: terms.jobs.count)
            }
            guard line != last else { continue }
            last = line
            do { _ = try notifier.status(line) } catch {
                logger.warning("cannot send systemd the status line: \(error)")
            }
            let gap = minimumGap
            do { _ = try await cancelWhenGracefulShutdown { try await Task.sleep(for: gap) } } catch { return }
        }
    }
}
