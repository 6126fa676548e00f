public import Foundation
public import RunModel

/// What the scheduler's loop must do next; computed by `SchedulerState` without any I/O.
public enum SchedulerAction: Equatable, Sendable {
    /// Record the intent, cancel and record as replaced the runs in `replacing`, then start.
    case start(Slot, trigger: Trigger, replacing: [RunID])
    /// Record the slot as skipped.
    case skip(Slot, trigger: Trigger, reason: SkipReason)
    /// Record the slot as missed.
    case miss(Slot, reason: MissReason)
    /// Log that more slots were missed than were recorded one by one.
    case missedUnrecorded(job: String, count: Int, atLeast: Bool)
}

/// Limits across all jobs, so a thundering herd at 00:00 cannot flood an API server.
public struct SchedulerLimits: Hashable, Sendable {
    /// At most this many runs are started within one second of the wall clock.
    public var maxStartsPerSecond: Int
    /// At most this many runs are active at once; further slots wait in order.
    public var maxActiveRuns: Int
    /// A slot no more than this late is on time; later ones were passed over (catch-up policy).
    public var onTimeTolerance: Duration

    public init(maxStartsPerSecond: Int = 50, maxActiveRuns: Int = 500, onTimeTolerance: Duration = .seconds(1)) {
        self.maxStartsPerSecond = maxStartsPerSecond
        self.maxActiveRuns = maxActiveRuns
        self.onTimeTolerance = onTimeTolerance
    }
}

/// The scheduler's pure core: every job's timeline, the timer heap over their next slots, the
/// active runs, and the queue of slots waiting for the global limits. No I/O and no clock: every
/// method is told the time.
public struct SchedulerState: Sendable {
    struct Timeline: Sendable {
        var job: ScheduledJob
        /// The latest slot already handled; the next one is the first after it.
        var lastConsidered: Date
        var generation: Int
        /// The slot of the latest manual trigger.
        var lastTriggered: Date? = nil
    }

    struct PendingStart: Sendable {
        var slot: Slot
        var trigger: Trigger
    }

    struct ActiveRun: Sendable {
        var slot: Slot
        var id: RunID?
    }

    public let limits: SchedulerLimits
    private(set) var timelines = TimelineTable()
    private var timers = TimerQueue()
    private var nextGeneration = 0
    private var active: [String: [ActiveRun]] = [:]
    private(set) var activeCount = 0
    private var pending = FIFO<PendingStart>()
    /// Catch-up slots of `forbid` jobs waiting for the job's active run to end, per job.
    private var backlog: [String: [PendingStart]] = [:]
    /// The wall-clock second (since the epoch) starts were last counted in, and how many.
    private var startsInSecond: (second: Double, count: Int) = (-.infinity, 0)
    /// When the pending queue waits for the start rate, the instant it may go on.
    private var pendingResumesAt: Date?

    public init(limits: SchedulerLimits = SchedulerLimits()) { self.limits = limits }

    /// The jobs, by name.
    public var jobs: [String: ScheduledJob] {
        Dictionary(uniqueKeysWithValues: timelines.all.map { ($0.job.name, $0.job) })
    }

    /// The job of that name, if it is scheduled.
    public func job(named name: String) -> ScheduledJob? { timelines[name]?.job }

    /// The instant the loop must wake at next, if any (besides run ends, reloads and triggers).
    public var nextWake: Date? {
        [timers.first?.due, pendingResumesAt].compactMap { $0 }.min()
    }

    /// The next slot of a job, or `nil` if it has none (or is unknown).
    public func nextSlot(of job: String) -> Date? {
        guard let timeline = timelines[job] else { return nil }
        return timeline.job.schedule.nextFireDate(after: timeline.lastConsidered, in: timeline.job.zone)
    }

    /// The active runs of a job (`nil` ids are still being recorded).
    public func activeRuns(of job: String) -> [RunID?] { active[job, default: []].map(\.id) }

    /// Loads the jobs at start-up. A job's timeline continues after its latest slot on record, so
    /// slots that passed while the daemon was down go to its catch-up policy; a job never seen
    /// starts now. `@reboot` jobs are queued once.
    public mutating func load(_ jobs: [ScheduledJob], latestSlots: [String: Date], now: Date) {
        timelines.reserveCapacity(timelines.count + jobs.count)
        timers.reserveCapacity(timers.count + jobs.count)
        for job in jobs {
            setTimeline(job, lastConsidered: latestSlots[job.name] ?? now)
            if job.schedule.isReboot { pending.append(PendingStart(slot: Slot(job: job.name, scheduledAt: now), trigger: .reboot)) }
        }
    }

    /// Replaces the set of jobs. Unchanged jobs keep their timelines; a job whose times changed, and
    /// a new job, start from `now` (a reload never fires a job at once); removed jobs stop being
    /// scheduled while their active runs go on.
    public mutating func reload(_ jobs: [ScheduledJob], now: Date) -> ReloadDiff {
        var diff = ReloadDiff()
        let incoming = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in timelines.names.sorted() where incoming[name] == nil {
            timelines[name] = nil
            diff.removed.append(name)
        }
        pending.removeAll { incoming[$0.slot.job] == nil }
        backlog = backlog.filter { incoming[$0.key] != nil }
        for job in jobs.sorted(by: { $0.name < $1.name }) {
            if let old = timelines[job.name] {
                guard old.job != job else { continue }
                diff.changed.append(job.name)
                setTimeline(job, lastConsidered: job.hasSameTimes(as: old.job) ? old.lastConsidered : max(now, old.lastConsidered))
            } else {
                diff.added.append(job.name)
                setTimeline(job, lastConsidered: now)
            }
        }
        return diff
    }

    /// Queues a manual run of `job` at `now`, decided by the next `tick` under the job's policy.
    public mutating func trigger(_ job: String, now: Date) -> Slot? {
        guard var timeline = timelines[job] else { return nil }
        // A slot is recorded once: a trigger at the very instant of a slot already handled, or of
        // another trigger (easy on a manual clock), gets the next free millisecond instead.
        let taken = max(timeline.lastConsidered, timeline.lastTriggered ?? .distantPast)
        let at = now > taken ? now : taken.addingTimeInterval(0.001)
        timeline.lastTriggered = at
        timelines[job] = timeline
        let slot = Slot(job: job, scheduledAt: at)
        pending.append(PendingStart(slot: slot, trigger: .manual))
        return slot
    }

    /// Everything due at `now`: slots that came (on time or passed over) and queued starts the
    /// global limits now allow.
    public mutating func tick(now: Date) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        while let entry = timers.first, entry.due <= now {
            _ = timers.popFirst()
            guard var timeline = timelines[entry.job], timeline.generation == entry.generation else { continue }
            actions += collect(&timeline, now: now)
            timelines[entry.job] = timeline
            schedule(timeline)
        }
        actions += drainPending(now: now)
        return actions
    }

    /// The run store gave the started slot its id.
    public mutating func runRecorded(_ slot: Slot, id: RunID) {
        guard let index = active[slot.job]?.firstIndex(where: { $0.slot == slot }) else { return }
        active[slot.job]?[index].id = id
    }

    /// The slot's run ended, or was never started after all. Returns whether it was active.
    @discardableResult
    public mutating func runEnded(_ slot: Slot) -> Bool {
        guard let index = active[slot.job]?.firstIndex(where: { $0.slot == slot }) else { return false }
        active[slot.job]?.remove(at: index)
        if active[slot.job]?.isEmpty == true {
            active[slot.job] = nil
            if var waiting = backlog[slot.job], !waiting.isEmpty {
                pending.append(waiting.removeFirst())
                backlog[slot.job] = waiting.isEmpty ? nil : waiting
            }
        }
        activeCount -= 1
        return true
    }

    /// A run found still going at start-up (reconcile) counts as active.
    public mutating func adopt(_ slot: Slot, id: RunID) {
        active[slot.job, default: []].append(ActiveRun(slot: slot, id: id))
        activeCount += 1
    }

    private mutating func setTimeline(_ job: ScheduledJob, lastConsidered: Date) {
        nextGeneration += 1
        let timeline = Timeline(job: job, lastConsidered: lastConsidered, generation: nextGeneration)
        timelines[job.name] = timeline
        schedule(timeline)
    }

    private mutating func schedule(_ timeline: Timeline) {
        guard let next = timeline.job.schedule.nextFireDate(after: timeline.lastConsidered, in: timeline.job.zone) else { return }
        timers.insert(TimerQueue.Entry(due: next, job: timeline.job.name, generation: timeline.generation))
    }

    /// The slots of one job that came due, queued or recorded as missed. The timeline moves past
    /// them, never back: after the wall clock jumps back, no slot fires twice.
    private mutating func collect(_ timeline: inout Timeline, now: Date) -> [SchedulerAction] {
        let job = timeline.job
        let due = CatchUp.dueSlots(of: job, after: timeline.lastConsidered, through: now, tolerance: limits.onTimeTolerance)
        if let latest = due.latest { timeline.lastConsidered = max(timeline.lastConsidered, latest) }
        var actions: [SchedulerAction] = due.missed.map { .miss(Slot(job: job.name, scheduledAt: $0.at), reason: $0.reason) }
        if due.unlistedMissedCount > 0 {
            actions.append(.missedUnrecorded(job: job.name, count: due.unlistedMissedCount, atLeast: due.isTruncated))
        }
        for date in due.catchUp { pending.append(PendingStart(slot: Slot(job: job.name, scheduledAt: date), trigger: .catchUp)) }
        for date in due.onTime { pending.append(PendingStart(slot: Slot(job: job.name, scheduledAt: date), trigger: .scheduled)) }
        return actions
    }

    /// Decides the queued slots in order, as far as the global limits allow.
    private mutating func drainPending(now: Date) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        pendingResumesAt = nil
        while let next = pending.first {
            guard let job = timelines[next.slot.job]?.job else {
                pending.removeFirst()
                continue
            }
            let late = Duration.seconds(now.timeIntervalSince(next.slot.scheduledAt))
            if next.trigger != .manual, let deadline = job.startingDeadline, late > deadline {
                pending.removeFirst()
                actions.append(.miss(next.slot, reason: .pastStartingDeadline(lateBy: late)))
                continue
            }
            if job.isSuspended, next.trigger != .manual {
                pending.removeFirst()
                actions.append(.skip(next.slot, trigger: next.trigger, reason: .suspended))
                continue
            }
            let running = active[job.name, default: []]
            var replacing: [ActiveRun] = []
            switch job.concurrency {
            case .forbid:
                if !running.isEmpty, next.trigger == .catchUp {
                    // Catching up under forbid runs the slots one after another, each when the last ends
                    // (and each still within its deadline then).
                    pending.removeFirst()
                    backlog[job.name, default: []].append(next)
                    continue
                }
                if let blocking = running.first {
                    pending.removeFirst()
                    actions.append(.skip(next.slot, trigger: next.trigger, reason: .overlap(blocking: blocking.id)))
                    continue
                }
            case .allow:
                break
            case .replace:
                // A run still being recorded cannot be cancelled yet; it is replaced on the next slot.
                replacing = running.filter { $0.id != nil }
            }
            guard activeCount - replacing.count < limits.maxActiveRuns else { break }  // woken by a run's end
            let second = now.timeIntervalSince1970.rounded(.down)
            if startsInSecond.second != second { startsInSecond = (second, 0) }
            guard startsInSecond.count < limits.maxStartsPerSecond else {
                pendingResumesAt = Date(timeIntervalSince1970: second + 1)
                break
            }
            startsInSecond.count += 1
            pending.removeFirst()
            for run in replacing { runEnded(run.slot) }
            active[job.name, default: []].append(ActiveRun(slot: next.slot, id: nil))
            activeCount += 1
            actions.append(.start(next.slot, trigger: next.trigger, replacing: replacing.compactMap(\.id)))
        }
        return actions
    }
}

/// What a reload changed, by job name.
public struct ReloadDiff: Hashable, Sendable, Codable {
    public var added: [String] = []
    public var removed: [String] = []
    public var changed: [String] = []
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    public init(added: [String] = [], removed: [String] = [], changed: [String] = []) {
        self.added = added
        self.removed = removed
        self.changed = changed
    }
}
