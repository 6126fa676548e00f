public import Foundation

/// One fire time of one job: the unit that is recorded, and started, at most once.
public struct Slot: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The job's name (a ``JobName``'s text).
    public var job: String
    /// The instant the slot is for (for a manual trigger, the instant it was asked for). The ledger
    /// stores it to the millisecond.
    public var scheduledAt: Date

    public init(job: String, scheduledAt: Date) {
        self.job = job
        self.scheduledAt = scheduledAt
    }

    public var description: String { "\(job)@\(scheduledAt.formatted(.iso8601))" }
}

/// The run store's identifier of a recorded slot (the ledger's row id; never reused).
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public static func < (a: RunID, b: RunID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}
