import Foundation
import Logging
import RunModel
import Scheduler
import Systemd

extension SchedulerEvent {
    /// The journal's run event for this scheduler event (with its `MESSAGE_ID`), if it has one.
    var runEvent: RunEvent? {
        switch self {
        case .started(let slot, let run, let trigger, let handle):
            RunEvent(
                .started, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt,
                namespace: handle.kubernetesNamespace, kubernetesJob: handle.kubernetesJobName,
                reason: trigger == .scheduled ? nil : "trigger: \(trigger.rawValue)")
        case .ended(let slot, let run, .succeeded):
            RunEvent(.succeeded, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt)
        case .ended(let slot, let run, .failed(let exitCode, let reason)):
            RunEvent(
                .failed, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt, exitCode: exitCode,
                reason: reason)
        case .ended(let slot, let run, .cancelled(let reason)):
            RunEvent(.cancelled, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt, reason: reason)
        case .replaced(let slot, let run):
            RunEvent(.replaced, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt)
        case .skipped(let slot, _, let reason):
            RunEvent(.skipped, job: slot.job, scheduledAt: slot.scheduledAt, reason: reason.description)
        case .missed(let slot, let reason):
            RunEvent(.missed, job: slot.job, scheduledAt: slot.scheduledAt, reason: reason.description)
        case .lost(let slot, let run, let reason):
            RunEvent(.lost, job: slot.job, runID: run.description, scheduledAt: slot.scheduledAt, reason: reason)
        case .adopted, .reloaded:
            nil
        }
    }

    /// Logs the event: as a run event when it has one, as a plain notice otherwise.
    func log(to logger: Logger) {
        if let runEvent {
            logger.log(runEvent)
        } else if case .adopted(let slot, let run, let handle) = self {
            logger.notice(
                "run \(run) of \(slot.job) survived a restart and was adopted (\(handle))",
                metadata: [
                    JournalField.cronJob: "\(slot.job)", JournalField.cronRunID: "\(run)",
                    JournalField.cronScheduledAt: "\(slot.scheduledAt.formatted(.iso8601))",
                ])
        }
    }
}

extension RunHandle {
    /// A `kubernetes` run's handle is `NAMESPACE/JOB`: its namespace.
    var kubernetesNamespace: String? {
        guard executor == .kubernetes, let slash = reference.firstIndex(of: "/") else { return nil }
        return String(reference[..<slash])
    }

    /// A `kubernetes` run's Kubernetes Job name.
    var kubernetesJobName: String? {
        guard executor == .kubernetes, let slash = reference.firstIndex(of: "/") else { return nil }
        return String(reference[reference.index(after: slash)...])
    }
}
