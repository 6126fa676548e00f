import CSystemd
import Dispatch
import Glibc
import Synchronization

/// Makes every `sd_notify` call of the process on one thread of its own, and waits for each at most
/// ``patience``.
///
/// `sd_notify` writes to a datagram socket that blocks when the reader's queue is full (ten
/// messages by default, `net.unix.max_dgram_qlen`): a service manager that does not read would
/// otherwise stop the caller for good. Seen in the daemon benchmark, whose socket was not read after
/// READY=1: the tenth `STATUS=` update blocked a thread of Swift's cooperative pool and SIGTERM
/// never finished. Now the caller gets `EAGAIN` after ``patience``; while that message is still
/// stuck, later ones fail at once instead of queueing behind it.
final class NotifySender: Sendable {
    static let shared = NotifySender()
    /// How long a caller waits for the service manager to take a message.
    static let patience: DispatchTimeInterval = .seconds(1)

    private let thread = DispatchQueue(label: "fargate-cron.sd_notify")
    /// Whether a message that timed out is still blocked in `sd_notify`.
    private let stuck = Mutex(false)

    /// `sd_notify(0, state)`'s result, or `-EAGAIN` when it did not return within ``patience``.
    func send(_ state: String) -> Int32 {
        if stuck.withLock({ $0 }) { return -EAGAIN }
        let result = Mutex<Int32?>(nil)
        let done = DispatchSemaphore(value: 0)
        thread.async {
            let code = sd_notify(0, state)
            // Lock order, here and below: `stuck`, then `result`.
            self.stuck.withLock { stuck in
                result.withLock { $0 = code }
                stuck = false
            }
            done.signal()
        }
        guard done.wait(timeout: .now() + Self.patience) == .success else {
            // Stuck only if it has still not returned (it may have, just after the wait gave up).
            return stuck.withLock { stuck in
                guard let code = result.withLock({ $0 }) else {
                    stuck = true
                    return -EAGAIN
                }
                return code
            }
        }
        return result.withLock { $0 } ?? -EAGAIN
    }
}
