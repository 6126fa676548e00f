public import Foundation

/// Why a run's pod cannot start, in the cluster's words and with where the cluster said it.
///
/// Found by ``StartDiagnosis`` in the Job's Events (the Job controller's `FailedCreate`), the pod's
/// Events and conditions (the scheduler's `FailedScheduling`) and its container statuses (the
/// kubelet's `ErrImagePull`, `ImagePullBackOff`, `CreateContainerConfigError`).
public struct StartBlocker: Hashable, Sendable, CustomStringConvertible {
    /// The kinds of cause, each with the time it may persist before the run is failed (``StartBounds``).
    public enum Cause: String, CaseIterable, Hashable, Sendable, Codable {
        /// Admission refused the pod: Pod Security (`violates PodSecurity`), an admission webhook.
        case admissionRefused = "admission-refused"
        /// A ResourceQuota refused the pod (`exceeded quota`).
        case quotaExceeded = "quota-exceeded"
        /// The pod's service account does not exist.
        case serviceAccountMissing = "service-account-missing"
        /// The API server refused the pod for another reason (a LimitRange, say).
        case podRefused = "pod-refused"
        /// An image cannot be pulled (`ErrImagePull`, then `ImagePullBackOff`).
        case imagePull = "image-pull"
        /// An image reference can never be pulled (`InvalidImageName`, `ErrImageNeverPull`).
        case invalidImage = "invalid-image"
        /// A container cannot be set up (`CreateContainerConfigError`: a Secret or ConfigMap it names is missing).
        case containerConfig = "container-config"
        /// No node takes the pod: the default scheduler's `Unschedulable` (no Fargate profile matched
        /// the pod, so Fargate's scheduler never got it, and no other node fits).
        case unschedulable

        /// What it means, in a few words.
        public var summary: String {
            switch self {
            case .admissionRefused: "admission refused the pod"
            case .quotaExceeded: "a ResourceQuota refused the pod"
            case .serviceAccountMissing: "the pod's service account does not exist"
            case .podRefused: "the API server refused the pod"
            case .imagePull: "an image cannot be pulled"
            case .invalidImage: "an image reference is invalid"
            case .containerConfig: "a container cannot be set up"
            case .unschedulable: "no node can take the pod"
            }
        }
    }

    /// What keeps the run from starting.
    public var cause: Cause
    /// Where the cluster said so: `Job batch/report-29406750, FailedCreate`, `pod …-x7k2p, container main`.
    public var location: String
    /// The cluster's own words.
    public var message: String

    /// A blocker.
    public init(_ cause: Cause, location: String, message: String) {
        self.cause = cause
        self.location = location
        self.message = message
    }

    /// `an image cannot be pulled (pod …, container main): Back-off pulling image "app:missing"`.
    public var description: String { "\(cause.summary) (\(location)): \(message)" }
}

/// How long each cause may persist before the run is failed for it: the cluster may mend some by
/// itself (a quota frees up as other pods end, a service account or Secret is created a moment
/// late, a registry recovers and the kubelet's next pull succeeds), others never (a Pod Security
/// refusal, an invalid image reference). The run's `CRON_PENDING_TIMEOUT` stays the last resort for
/// anything not listed.
public struct StartBounds: Hashable, Sendable {
    private var bounds: [StartBlocker.Cause: Duration]

    /// The defaults (README, "Why a run is stuck"). Somewhat arbitrarily 60 s where the cluster may
    /// mend the cause: the kubelet retries a pull after 10 s and 20 s of back-off within it, and the
    /// Job controller re-creates a refused pod 1, 2, 4, 8 and 16 s apart; 30 s for a missing service
    /// account (created in the same deploy, if at all); at once where nothing changes by itself.
    public static let `default` = StartBounds(bounds: [
        .admissionRefused: .zero, .invalidImage: .zero, .serviceAccountMissing: .seconds(30),
        .quotaExceeded: .seconds(60), .podRefused: .seconds(60), .imagePull: .seconds(60),
        .containerConfig: .seconds(60), .unschedulable: .seconds(60),
    ])

    /// The same bound for every cause (tests use a short one).
    public static func uniform(_ bound: Duration) -> StartBounds {
        StartBounds(bounds: Dictionary(uniqueKeysWithValues: StartBlocker.Cause.allCases.map { ($0, bound) }))
    }

    /// How long `cause` may persist.
    public func bound(for cause: StartBlocker.Cause) -> Duration { bounds[cause] ?? .seconds(60) }

    /// These bounds with one changed.
    public func with(_ cause: StartBlocker.Cause, _ bound: Duration) -> StartBounds {
        var copy = self
        copy.bounds[cause] = bound
        return copy
    }
}
