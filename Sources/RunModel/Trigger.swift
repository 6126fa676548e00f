/// Why a run was asked for. The ledger keeps it, so `history` tells a catch-up or an `@reboot`
/// run from one started on time.
public enum Trigger: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Its slot came, on time.
    case scheduled
    /// Its slot was passed over (downtime, a clock jump) and the catch-up policy started it late.
    case catchUp
    /// Someone ran `fargate-cron trigger`.
    case manual
    /// An `@reboot` job, at the daemon's start.
    case reboot

    public var description: String { rawValue }
}
