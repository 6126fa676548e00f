import FargateExecutor
import Foundation
import Ledger
import RunModel
import Scheduler

extension RunLedger {
    /// Records what the kubernetes executor reported of a run once its pods were deleted (call it from
    /// ``KubernetesExecutor``'s `onReport`): the last pod, its node, size and timeline, the billed
    /// duration and estimated price of all its pods, and whether a failure was the job's or the
    /// platform's. Idempotent, and allowed whether or not the run's outcome is recorded yet.
    /// - Parameters:
    ///   - report: the executor's report.
    ///   - rates: Fargate's prices in the region, to estimate the price with when the report has none.
    ///   - now: the time of recording.
    /// - Throws: ``LedgerError``, as ``RunLedger/recordReport(_:for:at:)`` does.
    @discardableResult
    func record(_ report: RunReport, rates: FargateRates? = nil, at now: Date) throws(LedgerError) -> Run {
        try recordReport(PodReport(report, rates: rates), for: report.run, at: now)
    }
}

extension PodReport {
    /// The ledger's view of an executor's report. The timeline is the last pod's (the one whose end
    /// decided the outcome); the bill is every pod's, since Fargate billed each one. A pod whose size
    /// was never provisioned had no Fargate node and cost nothing, so it adds nothing to the bill.
    init(_ report: RunReport, rates: FargateRates?) {
        let last = report.pods.last
        let costs = rates == nil ? report.costs : report.pods.compactMap { FargateCost(timeline: $0, rates: rates) }
        var price: EstimatedPrice?
        // A price only when every billed pod has one: a partial sum would understate the bill.
        let prices = costs.compactMap(\.estimatedPrice)
        if !prices.isEmpty, prices.count == costs.count {
            price = EstimatedPrice(dollars: prices.reduce(0, +))
        }
        var failure: FailureCause?
        if case .failed(let kind, _, _) = report.verdict { failure = FailureCause(kind) }
        var placement: Placement?
        var note: String?
        switch report.placement {
        case .unknown: break
        case .fargate: placement = .fargate
        case .notFargate(_, let why):
            placement = .notFargate
            note = why
        }
        self.init(
            kubernetesUID: report.jobUID, pod: last?.pod, podCount: report.pods.count, node: last?.node,
            capacity: last?.capacityProvisioned, podCreatedAt: last?.createdAt, podScheduledAt: last?.scheduledAt,
            runningAt: last?.runningAt, podFinishedAt: last?.finishedAt, podDeletedAt: last?.deletedAt,
            billedDuration: costs.isEmpty ? nil : .seconds(costs.reduce(0) { $0 + $1.billedSeconds }),
            estimatedPrice: price, failure: failure, outputLines: report.linesWritten, placement: placement,
            placementNote: note, startFailure: report.startBlocker.map(StartFailure.init))
    }
}

extension FailureCause {
    /// The ledger's name for the executor's classification of a failure; `nil` for a run that never
    /// started because the cluster kept it from starting (the ledger's ``StartFailure`` names why).
    init?(_ kind: FargateExecutor.FailureKind) {
        switch kind {
        case .cannotStart: return nil
        case .exitStatus: self = .exitStatus
        case .outOfMemory: self = .outOfMemory
        case .deadlineExceeded: self = .deadlineExceeded
        case .platformEviction: self = .evicted
        case .pendingTimeout: self = .pendingTimeout
        }
    }
}

extension StartFailure {
    /// The ledger's name for what kept a run from starting.
    init(_ cause: StartBlocker.Cause) {
        switch cause {
        case .admissionRefused: self = .admissionRefused
        case .quotaExceeded: self = .quotaExceeded
        case .serviceAccountMissing: self = .serviceAccountMissing
        case .podRefused: self = .podRefused
        case .imagePull: self = .imagePull
        case .invalidImage: self = .invalidImage
        case .containerConfig: self = .containerConfig
        case .unschedulable: self = .unschedulable
        }
    }
}
