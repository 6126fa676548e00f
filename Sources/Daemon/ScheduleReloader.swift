import Foundation
import Logging
import RunModel
import Scheduler
import Schedules
import ServiceLifecycle
import Synchronization
import Systemd
import UnixSignals

/// Reloads the schedule folder on SIGHUP and when its files change (inotify, debounced), applying
/// the schedules module's reload: a file that became invalid keeps its last valid version, and the
/// scheduler keeps running jobs running.
struct ScheduleReloader: Service, CustomStringConvertible {
    let folder: String
    let initial: ScheduleSet
    let scheduler: any JobReloading
    let notifier: Notifier
    let logger: Logger
    /// SIGHUP, trapped before the services start, so that a SIGHUP never finds its default action (exit).
    let hangups: UnixSignalsSequence
    /// Told of every reload's jobs before the scheduler is (the executors' settings must be there first).
    let reloaded: @Sendable ([JobSpec]) -> Void
    /// How quiet the folder must be after a change before one reload (an editor writes a file in
    /// several steps; `FolderWatcher` collects them).
    var debounce: Duration = .milliseconds(300)

    private enum Reason: Sendable { case signal, files }

    /// Short: ServiceLifecycle describes each service, and reflection would print every job.
    var description: String { "ScheduleReloader(\(folder))" }

    func run() async throws {
        var running = initial
        let signals = hangups
        let watcher: FolderWatcher?
        do { watcher = try FolderWatcher(folder: folder, quietPeriod: debounce) } catch {
            logger.warning("schedule files are reloaded on SIGHUP only: \(error)")
            watcher = nil
        }
        let (reasons, sink) = AsyncStream.makeStream(of: Reason.self)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals { sink.yield(.signal) }
            }
            if let watcher {
                group.addTask {
                    for await _ in watcher.changes { sink.yield(.files) }
                }
            }
            group.addTask {
                do { try await gracefulShutdown() } catch {
                    // Cancelled rather than shut down gracefully: stop all the same.
                }
                watcher?.stop()
                sink.finish()
            }
            for await reason in reasons {
                running = await reload(over: running, because: reason)
            }
            group.cancelAll()
        }
    }

    private func reload(over running: ScheduleSet, because reason: Reason) async -> ScheduleSet {
        do { _ = try notifier.reloading(monotonicNow: Notifier.monotonicNow()) } catch {
            logger.warning("cannot notify systemd of the reload: \(error)")
        }
        let result = ScheduleLoader.load(paths: [folder], over: running)
        report(result.diagnostics, logger: logger)
        reloaded(result.schedules.jobs)
        _ = await scheduler.reload(ScheduledJob.jobs(from: result.schedules.jobs))
        let diff = result.diff
        let summary =
            diff.isEmpty
            ? "nothing changed"
            : [
                diff.added.isEmpty ? nil : "added \(diff.added.map(\.name.rawValue).joined(separator: ", "))",
                diff.removed.isEmpty ? nil : "removed \(diff.removed.map(\.name.rawValue).joined(separator: ", "))",
                diff.changed.isEmpty
                    ? nil
                    : "changed " + diff.changed.map { "\($0.new.name.rawValue) (\($0.fields.map(\.rawValue).joined(separator: ", ")))" }
                        .joined(separator: ", "),
            ].compactMap { $0 }.joined(separator: "; ")
        logger.log(RunEvent(.scheduleReloaded, reason: "\(reason == .signal ? "SIGHUP" : "files changed"): \(summary)", scheduleFile: folder))
        // The STATUS= line follows from StatusNotice, on the scheduler's reloaded event.
        do { _ = try notifier.ready() } catch {
            logger.warning("cannot notify systemd that the reload is done: \(error)")
        }
        return result.schedules
    }
}

/// Logs each problem in the schedule files; a rejected file is a run event of its own.
func report(_ diagnostics: [ScheduleError], logger: Logger) {
    for diagnostic in diagnostics {
        if diagnostic.isWarning {
            logger.warning("\(diagnostic)")
        } else {
            logger.log(RunEvent(.scheduleRejected, reason: "\(diagnostic)", scheduleFile: diagnostic.location.file))
        }
    }
}
