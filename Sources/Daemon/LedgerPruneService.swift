import Foundation
import Ledger
import Logging
import Scheduler
import ServiceLifecycle

/// Keeps the run ledger to its retention: once the scheduler is ready (its runs re-attached), then
/// every `interval`, deletes the finished runs scheduled more than `retention` ago. It deletes one
/// small transaction at a time and yields between them, so a recording of the scheduler waits for
/// at most one batch. Active runs are never pruned.
struct LedgerPruneService: Service, CustomStringConvertible {
    let ledger: RunLedger
    /// Where the ledger's calls run (off the cooperative pool).
    let thread: LedgerThread
    let retention: Duration
    let clock: any WallClock
    /// Set once the scheduler is ready.
    let ready: Latch<Void>
    let logger: Logger
    var interval: Duration = .seconds(3600)
    /// Rows per transaction: a few milliseconds of the writer, somewhat arbitrarily 500.
    var batchSize = 500

    var description: String { "LedgerPruneService(retention \(retention), every \(interval))" }

    func run() async throws {
        guard await ready.wait() != nil else { return }
        while true {
            await pruneOnce()
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }

    /// Deletes every finished run older than the retention, batch by batch; stops early on shutdown.
    func pruneOnce() async {
        let (seconds, attoseconds) = retention.components
        let cutoff = clock.now().addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18))
        var total = 0
        do {
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let (ledger, batchSize) = (self.ledger, self.batchSize)
                let deleted = try await thread.run { () throws(LedgerError) in
                    try ledger.pruneBatch(olderThan: cutoff, batchSize: batchSize)
                }
                total += deleted
                if deleted < batchSize { break }
                await Task.yield()
            }
        } catch {
            logger.error("cannot prune the run ledger: \(error)")
        }
        if total > 0 {
            logger.info(
                "pruned \(total) finished runs scheduled before \(utcTimestamp(cutoff)) from the run ledger",
                metadata: ["retention": "\(retention)"])
        }
    }
}
