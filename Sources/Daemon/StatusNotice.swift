import Logging
import Scheduler
import ServiceLifecycle
import Systemd

/// Keeps systemd's `STATUS=` line (`systemctl status`) current: jobs loaded, runs active, the next
/// job and when (`ServiceStatus`). Sent once the scheduler is ready and again after scheduler
/// events, at most once a second, and only when the line changed.
struct StatusNotice: Service {
    let scheduler: Scheduler
    let notifier: Notifier
    /// A value whenever the status may have changed (ready, a run started or ended, a reload).
    let changes: AsyncStream<Void>
    let logger: Logger
    var minimumGap: Duration = .seconds(1)

    func run() async throws {
        var last: String?
        for await _ in changes.cancelOnGracefulShutdown() {
            let summary = await scheduler.summary()
            let line = ServiceStatus(jobsLoaded: summary.jobs, runsActive: summary.activeRuns, next: summary.next)
                .description
            guard line != last else { continue }
            last = line
            do { _ = try notifier.status(line) } catch {
                logger.warning("cannot send systemd the status line: \(error)")
            }
            // Coalesces a burst of events (a herd of starts) into one more update after the gap.
            let gap = minimumGap
            do { _ = try await cancelWhenGracefulShutdown { try await Task.sleep(for: gap) } } catch { return }
        }
    }
}
