/// What happens when a slot comes while a run of the same job is still active
/// (`CRON_CONCURRENCY`). The ledger enforces `forbid` in its schema; the scheduler and the
/// executors apply all three.
public enum ConcurrencyPolicy: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Skip the new slot, recording the run that blocked it: runs never overlap (the default).
    case forbid
    /// Start another run beside the active one.
    case allow
    /// Cancel the active run (recorded as `replaced`), then start the new one.
    case replace

    public var description: String { rawValue }
}
