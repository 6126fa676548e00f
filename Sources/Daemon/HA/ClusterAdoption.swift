import FargateExecutor
import Foundation
import Kubernetes
import Ledger
import Logging
import RunModel
import Scheduler

/// A new leader's first step: it reads fargate-cron's Jobs and pods in the namespaces of its
/// `kubernetes` jobs and records in its own ledger what the previous leader started (``AdoptionPlan``),
/// before its scheduler reconciles (and so follows the runs still going) and catches up.
struct ClusterAdoption: Sendable {
    let client: KubeClient
    let ledger: RunLedger
    let thread: LedgerThread
    let jobs: KubernetesJobTable
    let clock: any WallClock
    let logger: Logger

    /// Reads the cluster and records the plan's runs.
    /// - Parameter previousLeader: the host that led before, for Jobs that do not name theirs.
    /// - Returns: how many runs were recorded.
    /// - Throws: ``KubernetesError`` when the cluster cannot be read (nothing is recorded then: the
    ///   caller tries again, since catching up without knowing the cluster could run a slot twice),
    ///   ``LedgerError`` when the ledger cannot be read.
    func adopt(previousLeader: String?) async throws -> Int {
        let settings = Dictionary(jobs.all.map { ($0.jobName, $0) }, uniquingKeysWith: { first, _ in first })
        guard !settings.isEmpty else { return 0 }
        var listed: [Job] = []
        var withPods: Set<String> = []
        for namespace in Set(settings.values.map(\.namespace)).sorted() {
            listed += try await client.list(Job.self, in: namespace, labelSelector: OwnershipLabels.ownedSelector).items
            let pods = try await client.list(Pod.self, in: namespace, labelSelector: OwnershipLabels.ownedSelector).items
            withPods.formUnion(pods.compactMap { $0.metadata.labels?["job-name"] })
        }
        let ledger = self.ledger
        let names = Array(settings.keys)
        let latest = try await thread.run { () throws(LedgerError) -> [String: Date] in
            var latest: [String: Date] = [:]
            for name in names { latest[name] = try ledger.history(job: name, limit: 1).first?.scheduledAt }
            return latest
        }
        let plan = AdoptionPlan.plan(
            jobs: listed, withPods: withPods, settings: settings, latest: latest, previousLeader: previousLeader,
            now: clock.now())
        var recorded = 0
        for adoption in plan.adoptions {
            if try await record(adoption) { recorded += 1 }
        }
        return recorded
    }

    /// Records one adopted run: its intent and start (by the host that started it), and its end
    /// when it is over. Returns false when the slot was already on record.
    private func record(_ adoption: AdoptionPlan.Adoption) async throws -> Bool {
        let ledger = self.ledger, now = clock.now()
        let run: Run
        do {
            run = try await thread.run { () throws(LedgerError) in
                do throws(LedgerError) {
                    return try ledger.recordIntent(for: adoption.slot, policy: adoption.policy, trigger: adoption.trigger, at: now)
                } catch {
                    guard case .jobHasActiveRun = error else { throw error }
                    // The cluster's view wins: two Jobs of a forbidding job can both be unfinished here
                    // (one ended without its pod deleted, the next running). Recorded outside the
                    // no-overlap index rather than not at all.
                    return try ledger.recordIntent(for: adoption.slot, policy: .allow, trigger: adoption.trigger, at: now)
                }
            }
        } catch {
            guard case .slotAlreadyRecorded = error else { throw error }
            return false
        }
        _ = try await thread.run { () throws(LedgerError) in
            try ledger.record(.started(adoption.handle), for: run.id, at: adoption.startedAt, by: adoption.startedBy)
        }
        let metadata: Logger.Metadata = [
            "CRON_JOB": "\(adoption.slot.job)", "CRON_RUN_ID": "\(run.id)", "K8S_JOB": "\(adoption.handle.reference)",
        ]
        guard let outcome = adoption.outcome else {
            logger.info(
                "adopted the Job \(adoption.handle.reference) that \(adoption.startedBy ?? "another host") started: it is followed to its end",
                metadata: metadata)
            return true
        }
        let event: Ledger.RunEvent =
            switch outcome {
            case .succeeded: .succeeded
            case .failed(let code, let reason): .failed(exitCode: code, reason: reason)
            case .cancelled(let reason): .cancelled(reason: reason)
            }
        // Its pods are gone: a leader followed the run to its end and deleted them, which as far as
        // the cluster tells is the host that started it.
        _ = try await thread.run { () throws(LedgerError) in
            try ledger.record(event, for: run.id, at: adoption.endedAt ?? now, by: adoption.startedBy)
        }
        logger.info(
            "recorded the Job \(adoption.handle.reference) that \(adoption.startedBy ?? "another host") started and that ended meanwhile: \(outcome)",
            metadata: metadata)
        return true
    }
}
