import Foundation
import Kubernetes
import Testing
import TestSupport
import SeededRandom

/// Three candidates' state machines against a Lease store with the API server's optimistic
/// concurrency, on one simulated clock, with random latencies, answers slower than the deadlines,
/// lost requests and answers, and partitions that cut one candidate off for seconds: never two
/// leaders at one instant, and one leader once the network is calm.
@Suite struct ElectionSimulationTests {
    @Test(arguments: 1...100 as ClosedRange<UInt64>)
    func neverTwoLeadersAtOnce(seed: UInt64) {
        var simulation = Simulation(seed: seed, candidates: 3, calmAfter: 100_000)
        simulation.run(until: 120_000)
        #expect(simulation.violations.isEmpty, "seed \(seed): \(simulation.violations.prefix(3))")
        #expect(simulation.leadershipsBegun > 0, "seed \(seed): nobody ever led")
        let leaders = simulation.candidates.indices.filter { simulation.candidates[$0].election.isLeading(at: .at(120)) }
        #expect(leaders.count == 1, "seed \(seed): after 20 calm seconds, leaders \(leaders)")
    }
}

/// A discrete-event simulation of candidates and one API server holding one Lease. Times in milliseconds.
struct Simulation {
    struct Candidate {
        var election: LeaderElection<TestInstant>
        var wakeAt: Int?
        var call: Pending?
        var partitions: [Range<Int>]
    }

    /// A call on its way: its answer arrives at `answerAt` (never when nil: the request or the answer
    /// was lost), unless the deadline comes first.
    struct Pending {
        var id: Int
        var deadline: Int
        var answerAt: Int?
        var answer: LeaseCallResult?
        var deliverAt: Int { min(answerAt ?? deadline, deadline) }
    }

    /// A request reaching the server, acted on whether or not its sender still waits for it.
    struct Arrival {
        var time: Int
        var index: Int
        var id: Int
        var call: LeaseCall
    }

    var rng: SplitMix64
    var now = 0
    var lease: Lease?
    var revision = 0
    var candidates: [Candidate] = []
    var arrivals: [Arrival] = []
    var nextID = 0
    var violations: [String] = []
    var leadershipsBegun = 0
    let calmAfter: Int

    init(seed: UInt64, candidates count: Int, calmAfter: Int) {
        rng = SplitMix64(seed: seed)
        self.calmAfter = calmAfter
        for index in 0..<count {
            var partitions: [Range<Int>] = []
            for _ in 0..<Int.random(in: 3...8, using: &rng) {
                let start = Int.random(in: 0..<(calmAfter - 9_000), using: &rng)
                partitions.append(start..<(start + Int.random(in: 500...8_000, using: &rng)))
            }
            let election = LeaderElection<TestInstant>(
                identity: "host-\(index)_\(100 + index)_00000\(index)", leaseName: "fargate-cron", configuration: shortDurations)
            candidates.append(Candidate(election: election, wakeAt: Int.random(in: 0..<500, using: &rng), partitions: partitions))
        }
    }

    func isCutOff(_ index: Int, at time: Int) -> Bool { candidates[index].partitions.contains { $0.contains(time) } }

    enum Event { case arrival(Int), wake(Int), delivery(Int) }

    mutating func run(until end: Int) {
        while let (time, event) = nextEvent(), time <= end {
            now = time
            switch event {
            case .arrival(let position):
                let arrival = arrivals.remove(at: position)
                let answer = serve(arrival.call)
                if candidates[arrival.index].call?.id == arrival.id { candidates[arrival.index].call?.answer = answer }
            case .wake(let index):
                candidates[index].wakeAt = nil
                take(candidates[index].election.wake(now: instant(time), date: date(time)), for: index)
            case .delivery(let index):
                guard let pending = candidates[index].call else { continue }
                candidates[index].call = nil
                let arrived = pending.answerAt.map { $0 <= pending.deadline } ?? false
                let result = arrived ? pending.answer ?? .failed("no answer") : .failed("no answer before the deadline")
                let wasLeading = candidates[index].election.isLeading(at: instant(time))
                let step = candidates[index].election.receive(result, now: instant(time), date: date(time))
                if !wasLeading && candidates[index].election.isLeading(at: instant(time)) { began(index) }
                take(step, for: index)
            }
        }
    }

    private mutating func began(_ index: Int) {
        leadershipsBegun += 1
        for other in candidates.indices where other != index && candidates[other].election.isLeading(at: instant(now)) {
            violations.append("at \(now) ms candidate \(index) began leading while \(other) still leads")
        }
    }

    private mutating func take(_ step: ElectionStep<TestInstant>, for index: Int) {
        switch step.action {
        case .wait(let until):
            candidates[index].wakeAt = max(now, milliseconds(until))
        case .finished:
            break
        case .call(let call, let deadline):
            let calm = now >= calmAfter
            nextID += 1
            var pending = Pending(id: nextID, deadline: milliseconds(deadline))
            if calm || (!isCutOff(index, at: now) && Double.random(in: 0..<1, using: &rng) > 0.03) {
                // Mostly quick; now and then a slow server, or a quick write whose answer is slow to come
                // back (the write counts from when it was sent, not from when its answer came).
                let (toServer, back): (ClosedRange<Int>, ClosedRange<Int>) =
                    switch calm ? 0 : Int.random(in: 0..<20, using: &rng) {
                    case 0: (1...150, 1...150)
                    case 1: (1_000...2_500, 1...1_000)
                    case 2: (1...150, 1_000...1_950)
                    default: (1...150, 1...150)
                    }
                let apply = now + Int.random(in: toServer, using: &rng)
                let answer = apply + Int.random(in: back, using: &rng)
                arrivals.append(Arrival(time: apply, index: index, id: nextID, call: call))
                let lost = !calm && (isCutOff(index, at: answer) || Double.random(in: 0..<1, using: &rng) < 0.03)
                pending.answerAt = lost ? nil : answer
            }
            candidates[index].call = pending
        }
    }

    /// The next event: a request reaching the server (first, at equal times), a wake-up, or an answer (or its deadline).
    private func nextEvent() -> (Int, Event)? {
        var best: (Int, Event)?
        for (position, arrival) in arrivals.enumerated() where best.map({ arrival.time < $0.0 }) ?? true {
            best = (arrival.time, .arrival(position))
        }
        for (index, candidate) in candidates.enumerated() {
            if let wake = candidate.wakeAt, best.map({ wake < $0.0 }) ?? true { best = (wake, .wake(index)) }
            if let pending = candidate.call, best.map({ pending.deliverAt < $0.0 }) ?? true {
                best = (pending.deliverAt, .delivery(index))
            }
        }
        return best
    }

    /// What the API server does with a Lease call: 404, 409 AlreadyExists, 409 Conflict on a stale version.
    private mutating func serve(_ call: LeaseCall) -> LeaseCallResult {
        switch call {
        case .get:
            return lease.map { .lease($0) } ?? .notFound
        case .create(var new):
            guard lease == nil else { return .conflict("AlreadyExists") }
            revision += 1
            new.metadata.resourceVersion = String(revision)
            lease = new
            return .lease(new)
        case .update(var new):
            guard let current = lease else { return .notFound }
            guard new.metadata.resourceVersion == current.metadata.resourceVersion else { return .conflict("Conflict") }
            revision += 1
            new.metadata.resourceVersion = String(revision)
            lease = new
            return .lease(new)
        }
    }

    private func instant(_ milliseconds: Int) -> TestInstant { TestInstant(offset: .milliseconds(milliseconds)) }
    private func date(_ milliseconds: Int) -> Date { wallDate(Double(milliseconds) / 1000) }
    private func milliseconds(_ instant: TestInstant) -> Int { Int(instant.offset / .milliseconds(1)) }
}
