/// Where a run is in its life, and which moves from one state to another are allowed.
///
/// A run that starts goes `intended` (written before any executor is called) → `started` (the
/// executor started it: a Kubernetes Job, a process, an ECS task exists) → `running` → one of `succeeded`, `failed`, `cancelled`, `replaced`. A slot that never
/// ran is recorded directly in a terminal state: `skipped` (another run was active), `missed` (the
/// daemon was down past the starting deadline) or `suspended` (the job was suspended).
public enum RunState: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case intended, started, running
    case succeeded, failed, cancelled, replaced
    case skipped, missed, suspended

    /// The states of a run that holds its job's slot: under `forbid`, a job has at most one run in
    /// one of these states (enforced by the schema).
    public static let activeStates: [RunState] = [.intended, .started, .running]

    /// The terminal states a slot that never ran is recorded in directly.
    public static let neverRanStates: [RunState] = [.skipped, .missed, .suspended]

    /// Whether the run is still in progress (it may still move to another state).
    public var isActive: Bool { Self.activeStates.contains(self) }

    /// Whether the run is over: no transition leaves a terminal state.
    public var isTerminal: Bool { !isActive }

    /// The states this one may move to.
    ///
    /// Besides the main line, two shortcuts are allowed on purpose: a pod can finish (or be
    /// cancelled while pending) before the daemon ever sees it running, so `started` may go straight
    /// to an end; and an `intended` run whose create call was refused, or that the daemon finds
    /// after a crash too late to start, ends as `failed`, `cancelled` or `missed` without starting.
    public var allowedNextStates: Set<RunState> {
        switch self {
        case .intended: [.started, .failed, .cancelled, .missed]
        case .started: [.running, .succeeded, .failed, .cancelled, .replaced]
        case .running: [.succeeded, .failed, .cancelled, .replaced]
        case .succeeded, .failed, .cancelled, .replaced, .skipped, .missed, .suspended: []
        }
    }

    /// Whether moving from this state to `next` is allowed.
    public func canMove(to next: RunState) -> Bool { allowedNextStates.contains(next) }

    /// Whether `later` can be reached from this state by allowed transitions (or is this state).
    public func canReach(_ later: RunState) -> Bool {
        if later == self { return true }
        return allowedNextStates.contains { $0.canReach(later) }
    }

    public var description: String { rawValue }
}
