import Dispatch
import Ledger

/// Runs the ledger's calls on a thread of their own. Each commit waits for an `fsync`
/// (`synchronous=FULL`): milliseconds the cooperative pool's few threads (two on a two-core host)
/// must not spend blocked, or every other task of the daemon waits with them. The calls run one
/// after another, as SQLite's single writer would run them anyway.
final class LedgerThread: Sendable {
    private let queue = DispatchQueue(label: "fargate-cron.ledger", qos: .userInitiated)

    /// Runs `body` on the ledger's thread and returns what it returned.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(LedgerError) -> T) async throws(LedgerError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, LedgerError>, Never>) in
            queue.async { continuation.resume(returning: Result { () throws(LedgerError) -> T in try body() }) }
        }
        return try result.get()
    }
}
