public import Foundation

/// What an executor learnt about a run's pods once they were deleted: where the last one ran, its
/// timeline, what all of them were billed, and whose fault a failure was. The ledger's own value,
/// so that the ledger needs no executor module; ``RunLedger/recordReport(_:for:at:)`` stores it.
public struct PodReport: Hashable, Sendable {
    /// The Kubernetes Job's uid, as the API server gave it.
    public var kubernetesUID: String?
    /// The last pod of the run (the one whose end decided the outcome).
    public var pod: String?
    /// How many pods the run had (more than one when the Job retried).
    public var podCount: Int
    /// The node the last pod ran on (`spec.nodeName`; on Fargate, a node of its own).
    public var node: String?
    /// Fargate's `CapacityProvisioned` of the last pod, e.g. `0.25vCPU 0.5GB`: the billed size.
    public var capacity: String?
    /// When the last pod was created.
    public var podCreatedAt: Date?
    /// When the last pod was scheduled to its node (Fargate's billing starts here).
    public var podScheduledAt: Date?
    /// When the last pod's container started running.
    public var runningAt: Date?
    /// When the last pod's container ended.
    public var podFinishedAt: Date?
    /// When fargate-cron deleted the last pod (Fargate's billing ends here).
    public var podDeletedAt: Date?
    /// The billed duration of all the run's pods together, when any pod's bill is known.
    public var billedDuration: Duration?
    /// The estimated price of all the run's pods together, when the rates are known.
    public var estimatedPrice: EstimatedPrice?
    /// Why the run failed, when it failed.
    public var failure: FailureCause?
    /// How many lines of output reached the journal.
    public var outputLines: Int?
    /// Whether the last pod ran on Fargate, when known.
    public var placement: Placement?
    /// Why it is known not to have, in words.
    public var placementNote: String?
    /// What kept the run from starting, when it failed for it.
    public var startFailure: StartFailure?

    /// A report; every fact defaults to unknown.
    public init(
        kubernetesUID: String? = nil, pod: String? = nil, podCount: Int = 0, node: String? = nil,
        capacity: String? = nil, podCreatedAt: Date? = nil, podScheduledAt: Date? = nil, runningAt: Date? = nil,
        podFinishedAt: Date? = nil, podDeletedAt: Date? = nil, billedDuration: Duration? = nil,
        estimatedPrice: EstimatedPrice? = nil, failure: FailureCause? = nil, outputLines: Int? = nil,
        placement: Placement? = nil, placementNote: String? = nil, startFailure: StartFailure? = nil
    ) {
        self.kubernetesUID = kubernetesUID
        self.pod = pod
        self.podCount = podCount
        self.node = node
        self.capacity = capacity
        self.podCreatedAt = podCreatedAt
        self.podScheduledAt = podScheduledAt
        self.runningAt = runningAt
        self.podFinishedAt = podFinishedAt
        self.podDeletedAt = podDeletedAt
        self.billedDuration = billedDuration
        self.estimatedPrice = estimatedPrice
        self.failure = failure
        self.outputLines = outputLines
        self.placement = placement
        self.placementNote = placementNote
        self.startFailure = startFailure
    }
}

/// Why a run failed, as the executor classified it.
public enum FailureCause: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The command exited non-zero.
    case exitStatus = "exit-status"
    /// The container went over its memory limit (`OOMKilled`).
    case outOfMemory = "out-of-memory"
    /// The run went past its timeout (`DeadlineExceeded`).
    case deadlineExceeded = "deadline-exceeded"
    /// The platform evicted or lost the pod.
    case evicted
    /// The pod never left Pending within the pending timeout.
    case pendingTimeout = "pending-timeout"

    /// Whether the failure is the job's own or the platform's.
    public var origin: FailureOrigin {
        switch self {
        case .exitStatus, .outOfMemory, .deadlineExceeded: .job
        case .evicted, .pendingTimeout: .platform
        }
    }

    public var description: String { rawValue }
}

/// Whose a failure is: the job's (its command, its memory, its timeout) or the platform's.
public enum FailureOrigin: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The job's own failure: its command, its memory, its timeout.
    case job
    /// The platform's: Fargate evicted or lost the pod, or never placed it.
    case platform
    public var description: String { rawValue }
}

/// An estimated price in millionths of a US dollar (AWS publishes Fargate rates in dollars).
///
/// Stored as INTEGER micro-dollars rather than decimal text: SQLite then sums and orders prices
/// exactly (`SUM(price_micros)`), and a STRICT table type-checks them. One micro-dollar is fine
/// enough: the smallest Fargate bill (0.25 vCPU and 0.5 GB for the one-minute minimum) is about
/// 200 micro-dollars, so rounding costs at most 0.25 % on the smallest run and less on any other.
public struct EstimatedPrice: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The price in millionths of a dollar.
    public var microdollars: Int64

    /// A price of `microdollars` millionths of a dollar (not negative).
    public init(microdollars: Int64) {
        precondition(microdollars >= 0, "a price cannot be negative")
        self.microdollars = microdollars
    }

    /// The price nearest to `dollars`, to the micro-dollar (halves away from zero); `nil` for a
    /// negative, NaN or out-of-range amount.
    public init?(dollars: Decimal) {
        guard !dollars.isNaN, dollars >= 0, dollars < 9_000_000_000_000 else { return nil }
        var scaled = dollars * 1_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard let micros = Int64(rounded.description) else { return nil }
        self.init(microdollars: micros)
    }

    /// The price as an exact decimal number of dollars.
    public var dollars: Decimal { Decimal(microdollars) / 1_000_000 }

    /// `0.000206`: dollars with all six decimals, exact.
    public var description: String {
        let fraction = String(microdollars % 1_000_000)
        return "\(microdollars / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    public static func < (a: EstimatedPrice, b: EstimatedPrice) -> Bool { a.microdollars < b.microdollars }

    public static func + (a: EstimatedPrice, b: EstimatedPrice) -> EstimatedPrice {
        EstimatedPrice(microdollars: a.microdollars + b.microdollars)
    }
}
