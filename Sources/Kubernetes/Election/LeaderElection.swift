public import Foundation

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` does it,
/// as a pure state machine: no I/O and no clock. Its loop (``LeaderElector``) makes the calls it
/// asks for, hands back the answers, and sleeps as told.
///
/// The rules, client-go's:
/// - Every round reads the Lease (the leader first tries a blind renewal on the version it wrote
///   last, and reads only if that fails). A missing Lease is created; a Lease that is free (empty
///   holder), expired, or ours is written with this process as holder, on the condition that its
///   `resourceVersion` is still the one read: of two hosts writing at once, one gets 409 and loses.
/// - Expiry is judged on this process's own clock, never on the `renewTime` written by another
///   host: a Lease has expired when its record has not changed for `leaseDurationSeconds` since
///   this process first saw that record. Clock skew between hosts does not matter; only their rates.
/// - The leader leads until `renewDeadline` after it *sent* its last successful renewal. The others
///   saw that renewal no earlier than it was sent, and wait `leaseDuration` (longer) from then, so
///   a leader cut off from the API has stopped before anyone else may start.
/// - On stop the leader writes an empty holder with a lease of one second, so a standby takes over at once.
///
/// Time comes in two kinds: `Instant`s of a monotonic clock for every deadline (an NTP step must
/// not stretch a leadership), and wall-clock `Date`s only for the `acquireTime`/`renewTime` written
/// into the Lease for people to read.
public struct LeaderElection<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// This process's `holderIdentity`.
    public let identity: String
    /// The Lease's name (its namespace is the loop's business).
    public let leaseName: String
    /// The three durations.
    public let configuration: ElectionConfiguration

    /// The Lease as last read or written.
    public private(set) var observed: Lease?
    /// When (on our clock) the observed record last changed.
    private var observedAt: Instant?
    /// When the last successful acquisition or renewal was sent; nil while not leading.
    private var renewedAt: Instant?
    /// The call being made, if any.
    private var inFlight: InFlight?
    /// The last failure while leading, for the message when leadership is lost.
    private var lastFailure: String?
    /// The holder last reported with `.leaderChanged` (the outer nil: none reported yet).
    private var reportedLeader: String??
    private var isStopping = false

    private struct InFlight: Sendable {
        enum Kind: Sendable { case fastRenewal, get, create, takeover(previousHolder: String?), release }
        var kind: Kind
        var sentAt: Instant
    }

    /// A candidate that has not read the Lease yet.
    public init(identity: String, leaseName: String, configuration: ElectionConfiguration) {
        self.identity = identity
        self.leaseName = leaseName
        self.configuration = configuration
    }

    // MARK: - What others read

    /// Whether this process leads at `now`: it acquired or renewed the Lease less than the renew
    /// deadline ago, and is not stopping. Creating a Job is allowed only while this holds.
    public func isLeading(at now: Instant) -> Bool {
        guard let until = leadsUntil else { return false }
        return now < until
    }

    /// The instant this process stops leading unless it renews first; nil while not leading.
    public var leadsUntil: Instant? { renewedAt.map { $0.advanced(by: configuration.renewDeadline) } }

    /// The holder of the observed Lease, nil when it is free or not read yet.
    public var leader: String? { Self.holder(of: observed) }

    /// The snapshot others see at `now`.
    public func leadership(at now: Instant) -> Leadership {
        Leadership(identity: identity, isLeader: isLeading(at: now), leader: leader, isStopped: isStopping)
    }

    // MARK: - Steps

    /// The first step, and each one after a `.wait` ends: one round of acquire-or-renew.
    public mutating func wake(now: Instant, date: Date) -> ElectionStep<Instant> {
        precondition(inFlight == nil, "wake while a call is in flight")
        precondition(!isStopping, "wake after stop")
        let events = expire(now: now)
        if let observed, isLeading(at: now), Self.holder(of: observed) == identity, observed.metadata.resourceVersion != nil {
            // client-go's fast path: renew on the version written last, without reading first.
            return call(.update(renewal(of: observed, date: date)), .fastRenewal, now: now, events: events)
        }
        return call(.get, .get, now: now, events: events)
    }

    /// The answer to the call in flight (`.failed` when it did not come before its deadline).
    public mutating func receive(_ result: LeaseCallResult, now: Instant, date: Date) -> ElectionStep<Instant> {
        guard let flight = inFlight else { preconditionFailure("an answer without a call in flight") }
        inFlight = nil
        var events = expire(now: now)
        switch (flight.kind, result) {
        case (.release, .lease(let lease)):
            observe(lease, now: now, events: &events)
            return ElectionStep(events: events + [.released], action: .finished)
        case (.release, .conflict(let reason)), (.release, .failed(let reason)):
            return ElectionStep(events: events + [.releaseFailed(reason)], action: .finished)
        case (.release, .notFound):
            return ElectionStep(events: events + [.releaseFailed("the Lease was deleted")], action: .finished)

        case (.fastRenewal, .lease(let lease)), (.create, .lease(let lease)):
            return written(lease, flight: flight, previousHolder: nil, now: now, events: events)
        case (.takeover(let previous), .lease(let lease)):
            return written(lease, flight: flight, previousHolder: previous, now: now, events: events)
        case (.fastRenewal, _):
            // The version written last is not the current one (or the API failed): read, as client-go's slow path.
            events.append(.attemptFailed("renewing on the version written last: \(Self.reason(result))"))
            lastFailure = Self.reason(result)
            return call(.get, .get, now: now, events: events)

        case (.get, .notFound):
            return call(.create(newLease(date: date)), .create, now: now, events: events)
        case (.get, .lease(let lease)):
            observe(lease, now: now, events: &events)
            let holder = Self.holder(of: lease)
            if let holder, holder != identity, let observedAt, now < observedAt.advanced(by: duration(of: lease)) {
                // Held by another and not expired on our clock: stand by, and look again when it would expire.
                if renewedAt != nil {
                    renewedAt = nil
                    events.append(.lost(reason: "\(holder) holds the Lease"))
                }
                let expiry = observedAt.advanced(by: duration(of: lease))
                return ElectionStep(events: events, action: .wait(until: min(now.advanced(by: configuration.retryPeriod), expiry)))
            }
            return call(.update(takeover(of: lease, date: date)), .takeover(previousHolder: holder), now: now, events: events)

        case (.get, _), (.create, _), (.takeover, _):
            return failed(Self.reason(result), now: now, events: events)
        }
    }

    /// Asked to stop (the daemon is shutting down): leadership ends now, and the Lease is released
    /// if the last record seen names this process. Call it only between calls.
    public mutating func stop(now: Instant, date: Date) -> ElectionStep<Instant> {
        precondition(inFlight == nil, "stop while a call is in flight")
        isStopping = true
        renewedAt = nil
        guard let observed, Self.holder(of: observed) == identity, observed.metadata.resourceVersion != nil else {
            return ElectionStep(events: [], action: .finished)
        }
        var released = observed
        released.spec = LeaseSpec(
            holderIdentity: "", leaseDurationSeconds: 1, acquireTime: MicroTime(date), renewTime: MicroTime(date),
            leaseTransitions: observed.spec?.leaseTransitions ?? 0)
        inFlight = InFlight(kind: .release, sentAt: now)
        return ElectionStep(events: [], action: .call(.update(released), deadline: now.advanced(by: configuration.renewDeadline)))
    }

    // MARK: - Helpers

    private mutating func call(
        _ call: LeaseCall, _ kind: InFlight.Kind, now: Instant, events: [ElectionEvent]
    ) -> ElectionStep<Instant> {
        inFlight = InFlight(kind: kind, sentAt: now)
        // The leader's calls end at its deadline; a candidate's get the renew deadline after it is sent.
        let deadline = leadsUntil ?? now.advanced(by: configuration.renewDeadline)
        return ElectionStep(events: events, action: .call(call, deadline: deadline))
    }

    /// Our write landed: we lead from when it was sent (if that is still within the renew deadline).
    private mutating func written(
        _ lease: Lease, flight: InFlight, previousHolder: String?, now: Instant, events: [ElectionEvent]
    ) -> ElectionStep<Instant> {
        var events = events
        observed = lease
        observedAt = flight.sentAt
        if flight.sentAt.advanced(by: configuration.renewDeadline) > now {
            let wasLeading = renewedAt != nil
            renewedAt = flight.sentAt
            lastFailure = nil
            if wasLeading {
                events.append(.renewed)
            } else {
                let previous = previousHolder.flatMap { $0 == identity ? nil : $0 }
                events.append(.acquired(leaseTransitions: lease.spec?.leaseTransitions ?? 0, previousHolder: previous))
            }
        }
        report(leader: Self.holder(of: lease), events: &events)
        return ElectionStep(events: events, action: .wait(until: now.advanced(by: configuration.retryPeriod)))
    }

    private mutating func failed(_ reason: String, now: Instant, events: [ElectionEvent]) -> ElectionStep<Instant> {
        var events = events
        events.append(.attemptFailed(reason))
        var next = now.advanced(by: configuration.retryPeriod)
        if let until = leadsUntil {
            lastFailure = reason
            next = min(next, until)  // wake at the deadline, to stop leading on time and say so
        }
        return ElectionStep(events: events, action: .wait(until: next))
    }

    /// Ends leadership whose renew deadline has passed.
    private mutating func expire(now: Instant) -> [ElectionEvent] {
        guard let until = leadsUntil, now >= until else { return [] }
        renewedAt = nil
        let last = lastFailure.map { "; last attempt: \($0)" } ?? ""
        lastFailure = nil
        return [.lost(reason: "could not renew the Lease within the renew deadline (\(ElectionConfiguration.format(configuration.renewDeadline)))\(last)")]
    }

    private mutating func observe(_ lease: Lease, now: Instant, events: inout [ElectionEvent]) {
        if observed?.spec != lease.spec || observedAt == nil { observedAt = now }
        observed = lease
        report(leader: Self.holder(of: lease), events: &events)
    }

    private mutating func report(leader: String?, events: inout [ElectionEvent]) {
        if reportedLeader != .some(leader) {
            reportedLeader = .some(leader)
            events.append(.leaderChanged(leader))
        }
    }

    /// How long a record stays valid after it was seen: its own `leaseDurationSeconds`, as newer
    /// client-go reads it (a released Lease says 1 s), else ours.
    private func duration(of lease: Lease) -> Duration {
        if let seconds = lease.spec?.leaseDurationSeconds, seconds > 0 { return .seconds(seconds) }
        return configuration.leaseDuration
    }

    private func newLease(date: Date) -> Lease {
        Lease(
            metadata: ObjectMeta(name: leaseName),
            spec: LeaseSpec(
                holderIdentity: identity, leaseDurationSeconds: configuration.leaseDurationSeconds,
                acquireTime: MicroTime(date), renewTime: MicroTime(date), leaseTransitions: 0))
    }

    private func renewal(of lease: Lease, date: Date) -> Lease {
        var renewed = lease
        renewed.spec = LeaseSpec(
            holderIdentity: identity, leaseDurationSeconds: configuration.leaseDurationSeconds,
            acquireTime: lease.spec?.acquireTime ?? MicroTime(date), renewTime: MicroTime(date),
            leaseTransitions: lease.spec?.leaseTransitions ?? 0)
        return renewed
    }

    /// The record that makes this process the holder: a renewal if it already is, else a new term
    /// (a transition more, acquired now).
    private func takeover(of lease: Lease, date: Date) -> Lease {
        if Self.holder(of: lease) == identity { return renewal(of: lease, date: date) }
        var taken = lease
        taken.spec = LeaseSpec(
            holderIdentity: identity, leaseDurationSeconds: configuration.leaseDurationSeconds,
            acquireTime: MicroTime(date), renewTime: MicroTime(date),
            leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1)
        return taken
    }

    private static func holder(of lease: Lease?) -> String? {
        guard let holder = lease?.spec?.holderIdentity, !holder.isEmpty else { return nil }
        return holder
    }

    private static func reason(_ result: LeaseCallResult) -> String {
        switch result {
        case .lease: "an unexpected Lease"
        case .notFound: "the Lease does not exist"
        case .conflict(let text): "conflict: \(text)"
        case .failed(let text): text
        }
    }
}
