import Foundation
import Kubernetes

/// An instant of a clock the test moves by hand: an offset from an arbitrary origin.
struct TestInstant: InstantProtocol, CustomStringConvertible {
    var offset: Duration

    /// `seconds` after the origin.
    static func at(_ seconds: Double) -> TestInstant { TestInstant(offset: .milliseconds(Int64((seconds * 1000).rounded()))) }

    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (a: TestInstant, b: TestInstant) -> Bool { a.offset < b.offset }
    /// Seconds since the origin.
    var seconds: Double { Double(offset.components.seconds) + Double(offset.components.attoseconds) / 1e18 }
    var description: String { "t+\(seconds)s" }
}

/// Short durations, as the HA tests use them: lease 3 s, renew deadline 2 s, retry period 0.5 s.
let shortDurations: ElectionConfiguration = {
    do {
        return try ElectionConfiguration(leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(500))
    } catch {
        fatalError("the test's durations are valid: \(error)")
    }
}()

/// The wall-clock date the script writes into the Lease at `seconds` on the test clock.
func wallDate(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + seconds) }

/// A Lease as the server would return it.
func lease(
    holder: String?, version: Int, transitions: Int? = 0, durationSeconds: Int? = 3, acquired: Double = -100,
    renewed: Double = -100, name: String = "fargate-cron"
) -> Lease {
    var metadata = ObjectMeta(name: name, namespace: "ha")
    metadata.resourceVersion = String(version)
    return Lease(
        metadata: metadata,
        spec: LeaseSpec(
            holderIdentity: holder, leaseDurationSeconds: durationSeconds, acquireTime: MicroTime(wallDate(acquired)),
            renewTime: MicroTime(wallDate(renewed)), leaseTransitions: transitions))
}

/// The server's answer to an update or create: the Lease sent, stored under a new version.
func stored(_ sent: Lease, version: Int) -> LeaseCallResult {
    var lease = sent
    lease.metadata.resourceVersion = String(version)
    lease.metadata.namespace = "ha"
    return .lease(lease)
}

/// One candidate's election driven by hand, with the time of each step in seconds.
struct ElectionScript {
    var election: LeaderElection<TestInstant>

    init(identity: String = "host-a_100_aaaaaa", configuration: ElectionConfiguration = shortDurations) {
        election = LeaderElection(identity: identity, leaseName: "fargate-cron", configuration: configuration)
    }

    mutating func wake(at seconds: Double) -> ElectionStep<TestInstant> {
        election.wake(now: .at(seconds), date: wallDate(seconds))
    }

    mutating func receive(_ result: LeaseCallResult, at seconds: Double) -> ElectionStep<TestInstant> {
        election.receive(result, now: .at(seconds), date: wallDate(seconds))
    }

    mutating func stop(at seconds: Double) -> ElectionStep<TestInstant> {
        election.stop(now: .at(seconds), date: wallDate(seconds))
    }

    func isLeading(at seconds: Double) -> Bool { election.isLeading(at: .at(seconds)) }

    /// Acquires a missing Lease: get at `seconds`, create at once, created; returns the stored Lease.
    mutating func acquireMissingLease(at seconds: Double) -> Lease? {
        _ = wake(at: seconds)
        guard case .call(.create(let sent), _) = receive(.notFound, at: seconds).action,
            case .lease(let made) = stored(sent, version: 1)
        else { return nil }
        _ = receive(.lease(made), at: seconds)
        return made
    }
}

extension ElectionStep {
    /// The Lease of a create or update call, if that is the action.
    var sentLease: Lease? {
        switch action {
        case .call(.create(let lease), _), .call(.update(let lease), _): lease
        default: nil
        }
    }

    /// Whether the action is a get.
    var isGet: Bool {
        if case .call(.get, _) = action { return true }
        return false
    }

    /// The instant of a wait, if that is the action.
    var waitsUntil: Instant? {
        if case .wait(let until) = action { return until }
        return nil
    }

    /// The deadline of a call, if that is the action.
    var callDeadline: Instant? {
        if case .call(_, let deadline) = action { return deadline }
        return nil
    }

    /// Whether the events hold a `.lost`.
    var losesLeadership: Bool { events.contains { if case .lost = $0 { true } else { false } } }

    /// The `.acquired` event, if any.
    var acquired: (transitions: Int, previous: String?)? {
        for event in events { if case .acquired(let transitions, let previous) = event { return (transitions, previous) } }
        return nil
    }
}
