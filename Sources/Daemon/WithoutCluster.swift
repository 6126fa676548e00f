import Ledger
import RunModel
import Scheduler

/// `daemon --without-cluster`: the schedules run on a machine that has no Kubernetes cluster (the
/// quick start's demo, a laptop). `local` jobs run as always; every run of a `kubernetes` job fails
/// at once, on record, with the reason.
enum WithoutCluster {
    /// Why a `kubernetes` run fails in such a daemon, as the ledger and the journal say it.
    static let reason = "this daemon runs without a cluster (--without-cluster); kubernetes runs cannot start"

    /// The Kubernetes runs that the ledger holds as still active: a daemon without a cluster could
    /// not re-attach them, and marking them lost would let a second copy start later. A run that
    /// started is a Kubernetes run when its executor was `kubernetes` (a `local` run is re-attached
    /// or found lost as usual); one that never started has no executor on record and counts as a
    /// Kubernetes run when its job is a `kubernetes` job.
    static func activeRuns(ofKubernetesJobs names: Set<String>, in ledger: RunLedger) throws(LedgerError) -> [Run] {
        try ledger.nonTerminalRuns().filter { run in
            guard let handle = run.handle else { return names.contains(run.job) }
            return handle.executor == .kubernetes
        }
    }
}

/// Stands in for the Kubernetes executor in a daemon without a cluster: every start fails at once.
struct UnavailableExecutor: Executor {
    let reason: String

    var runsSurviveShutdown: Bool { true }

    func start(_ request: RunRequest, output: any OutputSink) async throws(ExecutorError) -> RunHandle {
        throw ExecutorError(reason)
    }

    func outcome(of handle: RunHandle) async -> RunOutcome? { .failed(exitCode: nil, reason: reason) }

    func cancel(_ handle: RunHandle, reason: String) async {}

    func cleanUp(_ handle: RunHandle) async {}

    /// Not reached: the daemon refuses to start without a cluster while such runs are active.
    func reattach(_ run: RunRecord, job: ScheduledJob?, output: (any OutputSink)?) async -> Reattachment { .lost(reason: reason) }
}
