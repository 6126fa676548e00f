import Foundation
import Scheduler
import Synchronization

/// The jobs loaded now, and the term of leadership that schedules them while this host leads:
/// shared by the leadership service (which begins and ends terms), the reloader and the control
/// socket. A term begins with the jobs of the moment, under the same lock a reload takes, so no
/// reload falls between a term's jobs and the term.
final class Terms: JobReloading {
    private struct State {
        var jobs: [ScheduledJob]
        var term: LeaderTerm?
    }
    private let state: Mutex<State>

    init(jobs: [ScheduledJob]) { state = Mutex(State(jobs: jobs)) }

    /// The jobs loaded now.
    var jobs: [ScheduledJob] { state.withLock { $0.jobs } }

    /// The term running now, if this host leads.
    var current: LeaderTerm? { state.withLock { $0.term } }

    /// Begins a term with the jobs of the moment.
    func begin(_ make: ([ScheduledJob]) -> LeaderTerm) -> LeaderTerm {
        state.withLock { state in
            let term = make(state.jobs)
            state.term = term
            return term
        }
    }

    /// Forgets the current term (the caller stops it) and returns it.
    func end() -> LeaderTerm? { state.withLock { state in defer { state.term = nil }; return state.term } }

    func reload(_ jobs: [ScheduledJob]) async -> ReloadDiff {
        let term = state.withLock { state in
            state.jobs = jobs
            return state.term
        }
        guard let term else { return ReloadDiff() }
        return await term.scheduler.reload(jobs)
    }
}
