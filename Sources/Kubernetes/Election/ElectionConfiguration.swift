/// The three durations of a Lease election, as client-go's `leaderelection` names them.
///
/// - `leaseDuration`: how long the others wait, from the moment they saw the Lease last change,
///   before they may take it. Written into the Lease as `leaseDurationSeconds`, so whole seconds.
/// - `renewDeadline`: how long the leader keeps leading without a successful renewal. Shorter than
///   the lease duration, so that a leader cut off from the API stops before anyone else may start.
/// - `retryPeriod`: how often every candidate tries to acquire, and the leader to renew.
public struct ElectionConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// client-go's defaults, as kube-controller-manager uses them.
    public static let defaultLeaseDuration = Duration.seconds(15)
    /// client-go's default renew deadline.
    public static let defaultRenewDeadline = Duration.seconds(10)
    /// client-go's default retry period.
    public static let defaultRetryPeriod = Duration.seconds(2)
    /// client-go requires `renewDeadline > 1.2 × retryPeriod` (its `JitterFactor`), so that the
    /// leader gets more than one try before its deadline.
    static let retryFactor = 1.2

    /// See the type's summary.
    public let leaseDuration: Duration
    /// See the type's summary.
    public let renewDeadline: Duration
    /// See the type's summary.
    public let retryPeriod: Duration

    /// Checks the durations as client-go's `NewLeaderElector` does.
    /// - Throws: ``ElectionConfigurationError`` saying which rule does not hold.
    public init(
        leaseDuration: Duration = defaultLeaseDuration, renewDeadline: Duration = defaultRenewDeadline,
        retryPeriod: Duration = defaultRetryPeriod
    ) throws(ElectionConfigurationError) {
        guard leaseDuration >= .seconds(1), leaseDuration.components.attoseconds == 0 else {
            throw ElectionConfigurationError("the lease duration must be a whole number of seconds, at least 1 (the Lease stores seconds), not \(Self.format(leaseDuration))")
        }
        guard retryPeriod > .zero else {
            throw ElectionConfigurationError("the retry period must be longer than 0, not \(Self.format(retryPeriod))")
        }
        guard leaseDuration > renewDeadline else {
            throw ElectionConfigurationError("the lease duration (\(Self.format(leaseDuration))) must be longer than the renew deadline (\(Self.format(renewDeadline))), so that a leader cut off from the API stops before another may start")
        }
        guard renewDeadline > retryPeriod * Self.retryFactor else {
            throw ElectionConfigurationError("the renew deadline (\(Self.format(renewDeadline))) must be longer than 1.2 × the retry period (\(Self.format(retryPeriod))), so that the leader may try to renew more than once")
        }
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// `leaseDurationSeconds` as written into the Lease.
    public var leaseDurationSeconds: Int { Int(leaseDuration.components.seconds) }

    public var description: String {
        "lease \(Self.format(leaseDuration)), renew deadline \(Self.format(renewDeadline)), retry period \(Self.format(retryPeriod))"
    }

    /// `15s`, `0.5s`: a duration as the messages and `--help` write it.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\(seconds)s"
    }
}

/// Durations that do not make a sound election.
public struct ElectionConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the durations.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
