import Kubernetes
import Synchronization

/// Records the client's retry delays (and sleeps them), to show that `Retry-After` was honoured.
final class DelayRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }

    func policy() -> RetryPolicy {
        RetryPolicy(baseDelay: .milliseconds(20)) { [self] delay in
            self.delays.withLock { $0.append(delay) }
            try await Task.sleep(for: delay)
        }
    }
}
