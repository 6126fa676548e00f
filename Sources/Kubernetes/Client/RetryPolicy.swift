import Foundation

/// How often and how long to retry 429, 5xx and dropped connections.
///
/// Delays grow exponentially with full jitter (a random delay up to the exponential bound, as AWS's
/// "Exponential Backoff and Jitter" recommends); a server's `Retry-After` replaces the computed delay,
/// capped by ``maximumRetryAfter``.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maximumAttempts: Int
    /// The bound of the first retry's delay; doubled for each further one.
    public var baseDelay: Duration
    /// The largest computed delay.
    public var maximumDelay: Duration
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public var maximumRetryAfter: Duration
    /// Sleeps between attempts. Tests pass one that records the delays instead.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a policy.
    public init(
        maximumAttempts: Int = 5, baseDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(10),
        maximumRetryAfter: Duration = .seconds(30),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
        self.sleep = sleep
    }

    /// The delay before retry number `retry` (1 for the first retry), honouring a `Retry-After` header value.
    public func delay(beforeRetry retry: Int, retryAfter: String?) -> Duration {
        if let retryAfter, let seconds = Int(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(.seconds(seconds), maximumRetryAfter)
        }
        let bound = min(baseDelay * (1 << min(retry - 1, 20)), maximumDelay)
        let milliseconds = Int(bound / .milliseconds(1))
        return .milliseconds(Int.random(in: 0...max(milliseconds, 1)))
    }
}
