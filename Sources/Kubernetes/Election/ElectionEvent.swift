/// Something the election noticed, for the journal, `status` and metrics.
public enum ElectionEvent: Hashable, Sendable {
    /// This process became the leader. `leaseTransitions` is the Lease's count after the change;
    /// `previousHolder` the identity that held it before (nil: nobody, or a released Lease).
    case acquired(leaseTransitions: Int, previousHolder: String?)
    /// The leader renewed its Lease.
    case renewed
    /// This process stopped leading while running: it could not renew within the renew deadline,
    /// or it found another holder. It creates no Job from now on.
    case lost(reason: String)
    /// The holder seen in the Lease changed (nil: nobody holds it). Also the first holder seen.
    case leaderChanged(String?)
    /// One try to acquire or renew failed; the next follows after the retry period.
    case attemptFailed(String)
    /// On shutdown, the leader gave the Lease up (empty holder), so that a standby takes over at once.
    case released
    /// On shutdown, giving the Lease up failed; the others take it when it expires.
    case releaseFailed(String)
}

/// One Lease call the election wants made.
public enum LeaseCall: Hashable, Sendable {
    /// Read the Lease.
    case get
    /// Create the Lease (it did not exist).
    case create(Lease)
    /// Replace the Lease; its `metadata.resourceVersion` is the precondition.
    case update(Lease)
}

/// What the election's loop does next.
public enum ElectionAction<Instant: InstantProtocol>: Hashable, Sendable {
    /// Make the call and hand its result to ``LeaderElection/receive(_:now:date:)``; give up on it at
    /// `deadline` and hand over `.failed` instead (a black-holed connection must not stall the election).
    case call(LeaseCall, deadline: Instant)
    /// Sleep until the instant, then call ``LeaderElection/wake(now:date:)`` (or
    /// ``LeaderElection/stop(now:date:)`` if asked to stop meanwhile).
    case wait(until: Instant)
    /// The election is over (stopped, and the Lease released if it was ours).
    case finished
}

/// The events of one step and the action that follows it.
public struct ElectionStep<Instant: InstantProtocol>: Hashable, Sendable {
    /// What happened, in order.
    public var events: [ElectionEvent]
    /// What to do next.
    public var action: ElectionAction<Instant>
}

/// Whether this process leads, and who does: what `status`, the journal and metrics show.
public struct Leadership: Hashable, Sendable, CustomStringConvertible {
    /// This process's `holderIdentity`.
    public var identity: String
    /// Whether this process leads now (it may create Jobs).
    public var isLeader: Bool
    /// The holder last seen in the Lease (this process when it leads), nil when nobody holds it
    /// or the Lease was not read yet.
    public var leader: String?
    /// Whether the election is over (the daemon is stopping).
    public var isStopped: Bool

    /// Creates a snapshot.
    public init(identity: String, isLeader: Bool, leader: String?, isStopped: Bool = false) {
        self.identity = identity
        self.isLeader = isLeader
        self.leader = leader
        self.isStopped = isStopped
    }

    /// The leader's host (see ``LeaderIdentity/host(of:)``), nil when nobody is known to lead.
    public var leaderHost: String? { leader.map(LeaderIdentity.host(of:)) }

    /// `leader` or `standby, leader HOST` (`standby, no leader yet`): the daemon's STATUS= prefix.
    public var description: String {
        if isLeader { return "leader" }
        return "standby, " + (leaderHost.map { "leader \($0)" } ?? "no leader yet")
    }
}
