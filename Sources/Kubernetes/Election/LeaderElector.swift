public import Foundation
public import Logging
import Synchronization

/// The loop around ``LeaderElection``: it makes the Lease calls the state machine asks for (each
/// cut off at its deadline), sleeps as told, and publishes who leads.
///
/// Structured: ``run()`` runs in the caller's task (a `Service`'s `run`, or a child of the caller's
/// task group) and returns after ``stop()`` once the Lease is released, or when its task is cancelled
/// (without releasing: a cancelled task can make no more calls).
///
/// Whether this process may create Jobs is ``isLeading``: a synchronous check against the clock, so
/// leadership ends at the renew deadline even while a renewal call hangs and the loop has not woken yet.
public final class LeaderElector<C: Clock>: Sendable where C.Duration == Duration {
    /// This process, as it appears in the Lease.
    public let identity: LeaderIdentity
    /// The Lease's namespace.
    public let namespace: String
    /// The Lease's name.
    public let name: String
    /// The durations.
    public let configuration: ElectionConfiguration
    let client: KubeClient
    let clock: C
    let date: @Sendable () -> Date
    let logger: Logger
    private let shared: Mutex<Shared>

    private struct Shared: Sendable {
        var leadsUntil: C.Instant?
        var leader: String?
        var isStopping = false
        var isStopped = false
        var stopWaiter: CheckedContinuation<Void, Never>?
        var subscribers: [Int: AsyncStream<LeadershipChange>.Continuation] = [:]
        var nextSubscriber = 0
    }

    /// Creates an elector; nothing happens until ``run()``.
    /// - Parameters:
    ///   - client: the API; the election's calls are made once each (its own rounds are the retries).
    ///   - clock: a monotonic clock for every deadline (`ContinuousClock` in the daemon).
    ///   - date: the wall clock, only for the `acquireTime`/`renewTime` written into the Lease.
    public init(
        client: KubeClient, namespace: String, name: String, identity: LeaderIdentity, configuration: ElectionConfiguration,
        clock: C, date: @escaping @Sendable () -> Date, logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.configuration = configuration
        self.clock = clock
        self.date = date
        self.logger = logger
        shared = Mutex(Shared())
    }

    // MARK: - Observing

    /// Whether this process leads right now: it may create Jobs. False from the instant the renew
    /// deadline passes without a renewal, and from the instant ``stop()`` is called.
    public var isLeading: Bool {
        let until = shared.withLock { $0.isStopping ? nil : $0.leadsUntil }
        guard let until else { return false }
        return clock.now < until
    }

    /// Who leads, as of now.
    public var leadership: Leadership {
        let (leader, stopped) = shared.withLock { ($0.leader, $0.isStopping || $0.isStopped) }
        let leading = isLeading
        return Leadership(identity: identity.description, isLeader: leading, leader: leading ? identity.description : leader,
                          isStopped: stopped)
    }

    /// Every change from now on, starting with the current state (with no event): for the journal,
    /// `status` and metrics. Each call gets its own stream; it ends when the election does.
    public func changes() -> AsyncStream<LeadershipChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: LeadershipChange.self)
        let current = leadership
        let id = shared.withLock { shared -> Int? in
            guard !shared.isStopped else { return nil }
            shared.nextSubscriber += 1
            shared.subscribers[shared.nextSubscriber] = continuation
            return shared.nextSubscriber
        }
        continuation.yield(LeadershipChange(event: nil, leadership: current))
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: - Running

    /// Takes part in the election until ``stop()`` (then releases the Lease if held, and returns) or
    /// until the task is cancelled.
    public func run() async {
        var machine = LeaderElection<C.Instant>(
            identity: identity.description, leaseName: name, configuration: configuration)
        if shared.withLock({ $0.isStopping }) {
            // Stopped before it began: no round, so nothing acquired only to be given up.
            finish(machine)
            return
        }
        logger.info("taking part in the election on Lease \(namespace)/\(name) as \(identity) (\(configuration))")
        var step = machine.wake(now: clock.now, date: date())
        publish(step.events, machine)
        while !Task.isCancelled {
            switch step.action {
            case .finished:
                finish(machine)
                return
            case .call(let call, let deadline):
                step = await make(call, until: deadline, machine: &machine)
            case .wait(let until):
                let stopRequested = await sleep(until: until)
                guard !Task.isCancelled else { break }
                step = stopRequested ? machine.stop(now: clock.now, date: date()) : machine.wake(now: clock.now, date: date())
                publish(step.events, machine)
            }
        }
        finish(machine)
    }

    /// Ends leadership at once (``isLeading`` turns false before this returns) and asks ``run()`` to
    /// release the Lease and return. Call it once the caller creates no more Jobs, or as it stops.
    public func stop() {
        let waiter = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
            shared.isStopping = true
            defer { shared.stopWaiter = nil }
            return shared.stopWaiter
        }
        waiter?.resume()
    }

    /// One call, cut off at its deadline. The answer is handed to the state machine and published
    /// as soon as it (or the deadline) comes, before the abandoned call has finished unwinding.
    private func make(_ call: LeaseCall, until deadline: C.Instant, machine: inout LeaderElection<C.Instant>) async -> ElectionStep<C.Instant> {
        let clock = self.clock
        let limit = clock.now.duration(to: deadline)
        return await withTaskGroup(of: LeaseCallResult?.self) { group in
            group.addTask { await self.perform(call) }
            group.addTask {
                do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return nil }
                return .failed("no answer within \(ElectionConfiguration.format(limit))")
            }
            var result: LeaseCallResult?
            while result == nil, let next = await group.next() { result = next }
            group.cancelAll()
            let step = machine.receive(result ?? .failed("cancelled"), now: clock.now, date: date())
            publish(step.events, machine)
            return step
        }
    }

    private func perform(_ call: LeaseCall) async -> LeaseCallResult {
        switch call {
        case .get: await client.getLease(named: name, in: namespace)
        case .create(let lease): await client.createLease(lease, in: namespace)
        case .update(let lease): await client.updateLease(lease, in: namespace)
        }
    }

    /// Sleeps until `deadline`; returns early, with true, when ``stop()`` is called.
    private func sleep(until deadline: C.Instant) async -> Bool {
        if shared.withLock({ $0.isStopping }) { return true }
        let clock = self.clock
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return false }
                return false
            }
            group.addTask { await self.waitForStop() }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || shared.withLock { $0.isStopping }
        }
    }

    /// Returns true once ``stop()`` is called; false if the task is cancelled first.
    private func waitForStop() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = shared.withLock { shared -> Bool in
                    if shared.isStopping || Task.isCancelled { return true }
                    shared.stopWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return shared.withLock { $0.isStopping }
        } onCancel: {
            let waiter = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
                defer { shared.stopWaiter = nil }
                return shared.stopWaiter
            }
            waiter?.resume()
        }
    }

    // MARK: - Publishing

    private func publish(_ events: [ElectionEvent], _ machine: LeaderElection<C.Instant>) {
        shared.withLock {
            $0.leadsUntil = machine.leadsUntil
            $0.leader = machine.leader
        }
        guard !events.isEmpty else { return }
        let snapshot = leadership
        for event in events {
            log(event)
            let subscribers = shared.withLock { Array($0.subscribers.values) }
            for subscriber in subscribers { subscriber.yield(LeadershipChange(event: event, leadership: snapshot)) }
        }
    }

    private func finish(_ machine: LeaderElection<C.Instant>) {
        let subscribers = shared.withLock { shared in
            shared.leadsUntil = nil
            shared.leader = machine.leader
            shared.isStopped = true
            defer { shared.subscribers = [:] }
            return Array(shared.subscribers.values)
        }
        let snapshot = leadership
        for subscriber in subscribers {
            subscriber.yield(LeadershipChange(event: nil, leadership: snapshot))
            subscriber.finish()
        }
    }

    /// The elector's own log lines: the details. The daemon turns the changes into journal events.
    private func log(_ event: ElectionEvent) {
        let lease = "\(namespace)/\(name)"
        switch event {
        case .attemptFailed(let reason):
            if isLeading {
                logger.warning("renewing Lease \(lease) failed, retrying: \(reason)")
            } else {
                logger.debug("acquiring Lease \(lease) failed: \(reason)")
            }
        case .renewed:
            logger.trace("renewed Lease \(lease)")
        case .leaderChanged(let holder):
            logger.debug("Lease \(lease) is held by \(holder ?? "nobody")")
        case .acquired, .lost, .released, .releaseFailed:
            logger.debug("Lease \(lease): \(event)")
        }
    }
}

/// One change of the election, as ``LeaderElector/changes()`` delivers it.
public struct LeadershipChange: Hashable, Sendable {
    /// What happened; nil for the first element (the state when subscribing) and the last (stopped).
    public var event: ElectionEvent?
    /// Who leads after it.
    public var leadership: Leadership
}
