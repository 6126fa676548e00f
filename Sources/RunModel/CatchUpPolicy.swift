/// What happens to the slots passed over while the daemon was down or the wall clock jumped
/// forward (`CRON_CATCH_UP`).
public enum CatchUpPolicy: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Start none of them; they are recorded as missed.
    case skip
    /// Start the most recent one (if no slot is on time and it is within the starting deadline),
    /// as Kubernetes' CronJob does.
    case latest
    /// Start the most recent `limit` of them that are within the starting deadline, oldest first.
    case all(limit: Int)

    /// The bound on `all` as a schedule file says it: Kubernetes' CronJob controller gives up past
    /// 100 missed slots too.
    public static let maximumRuns = 100

    /// The policy as a schedule file writes it: `skip`, `latest` or `all` (at most ``maximumRuns``).
    public init?(settingValue text: String) {
        switch text {
        case "skip": self = .skip
        case "latest": self = .latest
        case "all": self = .all(limit: Self.maximumRuns)
        default: return nil
        }
    }

    /// The word a schedule file uses for it: `skip`, `latest` or `all`.
    public var settingValue: String {
        switch self {
        case .skip: "skip"
        case .latest: "latest"
        case .all: "all"
        }
    }

    public var description: String {
        switch self {
        case .skip: "skip"
        case .latest: "latest"
        case .all(let limit): "all (at most \(limit))"
        }
    }
}
