public import Foundation
public import Kubernetes

/// Reads why a run has not started from what the cluster says of it: pure, so that it is tested on JSON.
public enum StartDiagnosis {
    /// What keeps the run from starting now; empty when nothing does, or when its pod has started.
    ///
    /// - The Job controller's `FailedCreate` Events count only while the run has no live pod (none
    ///   yet, or the last one finished and a retry cannot be made): a pod created later leaves the
    ///   old Events behind.
    /// - The newest pod's container statuses (init containers too) and its `PodScheduled`
    ///   condition count while it is Pending.
    /// - A pod Fargate's own scheduler holds is not called unschedulable: Fargate retries its
    ///   provisioning itself, and the pending timeout judges it. Nor is one an autoscaler is adding
    ///   a node for (a `TriggeredScaleUp` Event).
    ///
    /// - Parameters:
    ///   - job: the run's Job.
    ///   - pods: its pods (any order).
    ///   - events: Events about the Job and its pods (any order; others are ignored).
    public static func blockers(job: Job, pods: [Pod], events: [Event]) -> [StartBlocker] {
        if job.status?.isFinished == true { return [] }
        let ordered = pods.sorted { ($0.metadata.creationTimestamp ?? .distantPast) < ($1.metadata.creationTimestamp ?? .distantPast) }
        guard let newest = ordered.last, newest.status?.isFinished != true else {
            return creationRefusals(job: job, after: ordered.last?.metadata.creationTimestamp, events: events)
        }
        guard newest.status?.phase == nil || newest.status?.phase == "Pending" else { return [] }
        return containerBlockers(newest, events: events) + schedulingBlockers(newest, events: events)
    }

    /// The Job controller's refusals to create a pod, newest per cause.
    static func creationRefusals(job: Job, after previousPod: Date?, events: [Event]) -> [StartBlocker] {
        let name = job.metadata.name ?? ""
        let about = events.filter { event in
            event.reason == "FailedCreate" && event.involvedObject.kind == "Job" && event.involvedObject.name == name
                && (event.involvedObject.uid == nil || job.metadata.uid == nil || event.involvedObject.uid == job.metadata.uid)
                // Events are stamped in whole seconds: one of the same second as the last pod may be after it.
                && (previousPod.map { (event.lastTimestamp ?? event.eventTime ?? .distantFuture) >= $0 } ?? true)
        }
        var newest: [StartBlocker.Cause: StartBlocker] = [:]
        for event in about.sorted(by: { time(of: $0) < time(of: $1) }) {
            let message = event.message ?? "FailedCreate"
            let location = "Job \(job.metadata.namespace.map { "\($0)/" } ?? "")\(name), FailedCreate"
            newest[refusalCause(message)] = StartBlocker(refusalCause(message), location: location, message: message)
        }
        return StartBlocker.Cause.allCases.compactMap { newest[$0] }
    }

    /// The cause of a `FailedCreate`, from the API server's words (`Error creating: pods "…" is forbidden: …`).
    static func refusalCause(_ message: String) -> StartBlocker.Cause {
        if message.contains("violates PodSecurity") || (message.contains("admission webhook") && message.contains("denied")) {
            return .admissionRefused
        }
        if message.contains("exceeded quota") { return .quotaExceeded }
        if message.contains("error looking up service account") || (message.contains("serviceaccount") && message.contains("not found")) {
            return .serviceAccountMissing
        }
        return .podRefused
    }

    /// The kubelet's reasons a container of a Pending pod cannot start.
    static func containerBlockers(_ pod: Pod, events: [Event]) -> [StartBlocker] {
        let podName = pod.metadata.name ?? ""
        let statuses = (pod.status?.initContainerStatuses ?? []).map { ($0, true) } + (pod.status?.containerStatuses ?? []).map { ($0, false) }
        var found: [StartBlocker] = []
        for (status, isInit) in statuses {
            guard let waiting = status.state?.waiting, let reason = waiting.reason else { continue }
            let cause: StartBlocker.Cause
            switch reason {
            case "ErrImagePull", "ImagePullBackOff": cause = .imagePull
            case "InvalidImageName", "ErrImageNeverPull": cause = .invalidImage
            case "CreateContainerConfigError", "CreateContainerError": cause = .containerConfig
            default: continue
            }
            let image = status.image ?? pod.spec.flatMap { spec in
                ((spec.initContainers ?? []) + spec.containers).first { $0.name == status.name }?.image
            }
            var message = "\(reason)" + (waiting.message.map { ": \($0)" } ?? "")
            // The back-off's own message only says it backs off; the kubelet's last Failed Event says why.
            if cause == .imagePull, let image, let pull = latest(events, about: pod, reason: "Failed", containing: "Failed to pull image \"\(image)\"") {
                message = "\(reason): \(pull)"
            }
            let location = "pod \(podName), \(isInit ? "init container" : "container") \(status.name)"
                + (image.map { " (image \($0))" } ?? "")
            found.append(StartBlocker(cause, location: location, message: message))
        }
        return found
    }

    /// The default scheduler's `Unschedulable`, from the pod's condition or its `FailedScheduling` Event.
    static func schedulingBlockers(_ pod: Pod, events: [Event]) -> [StartBlocker] {
        if pod.spec?.nodeName != nil || pod.spec?.schedulerName == fargateScheduler { return [] }
        if latest(events, about: pod, reason: "TriggeredScaleUp", containing: "") != nil { return [] }
        let condition = pod.status?.condition("PodScheduled", is: "False")
        let event = latest(events, about: pod, reason: "FailedScheduling", containing: "")
        guard condition?.reason == "Unschedulable" || event != nil else { return [] }
        let message = [condition?.message, event].compactMap { $0 }.first ?? "Unschedulable"
        return [StartBlocker(.unschedulable, location: "pod \(pod.metadata.name ?? ""), FailedScheduling", message: message)]
    }

    /// The scheduler a pod gets when a Fargate profile matches it at admission.
    static let fargateScheduler = "fargate-scheduler"

    /// The message of the newest Event about `pod` with `reason` whose message contains `text`.
    static func latest(_ events: [Event], about pod: Pod, reason: String, containing text: String) -> String? {
        events.filter { event in
            event.reason == reason && event.involvedObject.kind == "Pod" && event.involvedObject.name == pod.metadata.name
                && (event.involvedObject.uid == nil || pod.metadata.uid == nil || event.involvedObject.uid == pod.metadata.uid)
                && (text.isEmpty || (event.message ?? "").contains(text))
        }
        .max { time(of: $0) < time(of: $1) }
        .map { $0.message ?? reason }
    }

    static func time(of event: Event) -> Date { event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? .distantPast }

}

/// Remembers since when each ``StartBlocker`` has been seen, and says when one has lasted past its
/// bound: the run is then failed early, with the blocker as its reason.
///
/// Time is the follower's own clock (when it first saw the blocker), not the cluster's Event
/// stamps: the two clocks may disagree, and a bound must not pass early because of it. A daemon
/// restarted under a stuck run therefore counts the bound again from its own first sighting.
public struct StartWatch: Sendable {
    /// A blocker that lasted past its bound.
    public struct Failure: Hashable, Sendable {
        /// What kept the run from starting.
        public var blocker: StartBlocker
        /// How long it was seen.
        public var seenFor: Duration
        /// The run's failure reason: `cannot start: an image cannot be pulled (pod …, container main) for 61 s: …`.
        public var reason: String {
            let seconds = Int(seenFor.components.seconds)
            return "cannot start: \(blocker.cause.summary) (\(blocker.location))"
                + (seconds > 0 ? " for \(seconds) s" : "") + ": \(blocker.message)"
        }
    }

    /// What one look found.
    public struct Finding: Hashable, Sendable {
        /// Blockers seen for the first time (each worth a warning while the run still waits).
        public var new: [StartBlocker]
        /// The first blocker past its bound, if any: the run is to fail with it.
        public var failure: Failure?
    }

    /// The bound of each cause.
    public let bounds: StartBounds
    private var since: [Key: Date] = [:]

    private struct Key: Hashable, Sendable {
        var cause: StartBlocker.Cause
        var location: String
    }

    /// A watch with nothing seen yet.
    public init(bounds: StartBounds = .default) { self.bounds = bounds }

    /// Takes the blockers seen at `now`: a blocker no longer seen is forgotten (it must persist for
    /// its whole bound), a new one starts its count.
    public mutating func update(_ blockers: [StartBlocker], at now: Date) -> Finding {
        let seen = Set(blockers.map { Key(cause: $0.cause, location: $0.location) })
        since = since.filter { seen.contains($0.key) }
        var new: [StartBlocker] = []
        var failure: Failure?
        for blocker in blockers {
            let key = Key(cause: blocker.cause, location: blocker.location)
            let first = since[key] ?? now
            if since[key] == nil {
                since[key] = now
                new.append(blocker)
            }
            let lasted = Duration.milliseconds(Int64((now.timeIntervalSince(first) * 1000).rounded(.down)))
            if failure == nil, lasted >= bounds.bound(for: blocker.cause) {
                failure = Failure(blocker: blocker, seenFor: lasted)
            }
        }
        return Finding(new: new, failure: failure)
    }

    /// The earliest instant a blocker seen now could pass its bound, for the follower's next look.
    public func nextDeadline() -> Date? {
        since.map { $0.value.addingTimeInterval(GarbageCollectionPlan.seconds(bounds.bound(for: $0.key.cause))) }.min()
    }
}
