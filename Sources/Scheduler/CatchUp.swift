public import Foundation
public import RunModel

/// The slots of one job that came due since it was last looked at, and what to do with each:
/// the scheduler's counterpart of Kubernetes' `mostRecentScheduleTime`, pure and bounded.
public struct DueSlots: Equatable, Sendable {
    /// Slots whose time is now (within the on-time tolerance): started as usual.
    public var onTime: [Date] = []
    /// Slots passed over that the catch-up policy starts late, oldest first.
    public var catchUp: [Date] = []
    /// Slots passed over and not started, with why; only the most recent `recordLimit` of them.
    public var missed: [(at: Date, reason: MissReason)] = []
    /// How many more slots were missed than are listed in `missed` (a lower bound if `isTruncated`).
    public var unlistedMissedCount = 0
    /// Whether there were more slots than the bounded walk counts.
    public var isTruncated = false
    /// The latest slot seen: the job's timeline continues after it.
    public var latest: Date?

    public static func == (a: DueSlots, b: DueSlots) -> Bool {
        a.onTime == b.onTime && a.catchUp == b.catchUp && a.missed.map(\.at) == b.missed.map(\.at)
            && a.missed.map(\.reason) == b.missed.map(\.reason) && a.unlistedMissedCount == b.unlistedMissedCount
            && a.isTruncated == b.isTruncated && a.latest == b.latest
    }
}

/// Deciding what becomes of slots that came due, on time or passed over.
public enum CatchUp {
    /// The slots of `job` in `(last, now]`, split by the on-time tolerance and the catch-up policy.
    ///
    /// - Parameters:
    ///   - tolerance: a slot no more than this late is on time (the loop wakes a little after a slot).
    ///   - walkLimit: at most this many slots are enumerated forward from `last`; beyond that only
    ///     the most recent ones are found, backwards from `now` (a 3-day outage of a per-second job
    ///     must not cost 259,200 steps). Somewhat arbitrarily 1,000.
    ///   - recordLimit: at most this many missed slots are listed one by one.
    public static func dueSlots(
        of job: ScheduledJob, after last: Date, through now: Date, tolerance: Duration,
        walkLimit: Int = 1000, recordLimit: Int = 100
    ) -> DueSlots {
        var slots: [Date] = []
        var result = DueSlots()
        var cursor = last
        while slots.count < walkLimit, let next = job.schedule.nextFireDate(after: cursor, in: job.zone), next <= now {
            slots.append(next)
            cursor = next
        }
        if slots.count == walkLimit, let next = job.schedule.nextFireDate(after: cursor, in: job.zone), next <= now {
            // Too many to walk: keep only the most recent, found backwards from now. The slots in
            // between are missed; their number is at least the walk's length.
            result.isTruncated = true
            var recent: [Date] = []
            var before = now.addingTimeInterval(0.000_5)  // `before` is exclusive; `now` itself may be a slot
            let keep = recordLimit + catchUpLimit(job.catchUp) + 1
            while recent.count < keep, let previous = job.schedule.previousFireDate(before: before, in: job.zone),
                previous > cursor
            {
                recent.append(previous)
                before = previous
            }
            slots = recent.reversed()
            result.unlistedMissedCount = walkLimit
        }
        result.latest = slots.last
        let late = { (slot: Date) in Duration.seconds(now.timeIntervalSince(slot)) }
        let onTime = slots.filter { late($0) <= tolerance }
        let passed = slots.filter { late($0) > tolerance }
        result.onTime = onTime
        let inDeadline = { (slot: Date) in job.startingDeadline.map { late(slot) <= $0 } ?? true }
        var startLate: Set<Date> = []
        switch job.catchUp {
        case .skip:
            break
        case .latest:
            if onTime.isEmpty, let latest = passed.last, inDeadline(latest) { startLate = [latest] }
        case .all(let limit):
            startLate = Set(passed.filter(inDeadline).suffix(max(0, limit)))
        }
        result.catchUp = passed.filter { startLate.contains($0) }
        let missed = passed.filter { !startLate.contains($0) }.map { slot in
            // A slot the policy would have started but for the deadline is missed for the deadline.
            let wanted: Bool =
                switch job.catchUp {
                case .skip: false
                case .latest: onTime.isEmpty && slot == passed.last
                case .all: true
                }
            return (at: slot, reason: wanted && !inDeadline(slot)
                ? MissReason.pastStartingDeadline(lateBy: late(slot)) : .passedOver(job.catchUp))
        }
        result.missed = Array(missed.suffix(recordLimit))
        result.unlistedMissedCount += missed.count - result.missed.count
        return result
    }

    private static func catchUpLimit(_ policy: CatchUpPolicy) -> Int {
        switch policy {
        case .skip: 0
        case .latest: 1
        case .all(let limit): max(0, limit)
        }
    }
}
