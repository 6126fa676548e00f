/// How often and how long a call to AWS is retried after throttling, a 5xx answer or a dropped
/// connection.
///
/// Delays grow exponentially with full jitter (a random delay up to the bound, as AWS's "Exponential
/// Backoff and Jitter" recommends). A throttled call starts from a larger bound than a failed one:
/// AWS's token buckets refill per second, so retrying a throttled call within milliseconds only
/// spends the next token too. A call with a deadline is retried until the next pause would end past
/// it; a call without one, ``maximumAttempts`` times in all.
public struct AWSRetryPolicy: Sendable {
    /// Attempts in all, the first included, for a call without a deadline.
    public var maximumAttempts: Int
    /// The bound of the first retry's delay after a server error or a dropped connection.
    public var baseDelay: Duration
    /// The bound of the first retry's delay after throttling.
    public var throttlingBaseDelay: Duration
    /// The largest delay.
    public var maximumDelay: Duration
    /// Sleeps between attempts. Tests pass one that records the delays instead.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// Picks the jittered delay in `0...bound` milliseconds (tests make it deterministic).
    public var jitter: @Sendable (Int) -> Int

    /// Creates a policy. The defaults are botocore's standard mode (3 attempts is its default; 5 here,
    /// as a daemon prefers a late answer to none), with its 20 s cap.
    public init(
        maximumAttempts: Int = 5, baseDelay: Duration = .milliseconds(100), throttlingBaseDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(20),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable (Int) -> Int = { Int.random(in: 0...max($0, 1)) }
    ) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.throttlingBaseDelay = throttlingBaseDelay
        self.maximumDelay = maximumDelay
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The delay before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int, throttled: Bool) -> Duration {
        let base = throttled ? throttlingBaseDelay : baseDelay
        let bound = min(base * (1 << min(max(retry - 1, 0), 20)), maximumDelay)
        return .milliseconds(jitter(Int(bound / .milliseconds(1))))
    }
}
