import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Systemd

/// `notify-probe --crontabs DIR`, a test tool (not shipped): speaks the daemon's side of the
/// `Type=notify` protocol exactly as the daemon will, so that tests can check it end to end
/// against a socket of their own before the daemon exists (the daemon's own test is issue #7's).
///
/// It sends `STATUS=` while loading, `READY=1` with a summary only once the schedule folder is
/// read, `WATCHDOG=1` from its loop every half `WATCHDOG_USEC`, `RELOADING=1`/`MONOTONIC_USEC=`
/// then `READY=1` on `SIGHUP`, `STOPPING=1` on `SIGTERM`, and `ERRNO=` if it cannot load.
@main
struct NotifyProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-probe",
        abstract: "Exercise the sd_notify protocol the way the daemon does (for tests)."
    )

    /// Blocks the service's signals before any thread exists, as the daemon does (`ServiceSignals`).
    static func main() async {
        ServiceSignals.blockInEveryThread()
        await main(nil)
    }

    @Option(help: "The schedule folder to 'load' (its job lines are counted).")
    var crontabs: String

    private enum Event { case tick, reload, stop }

    func run() async throws {
        // Signals are caught before anything is announced: a SIGHUP right after READY=1 must
        // reload, not kill. They arrive through Dispatch, so the default action goes off first.
        //
        // READY=1 waits until both sources are registered, as ServiceLifecycle's signal sequence (the
        // daemon's) waits: until then the signals are SIG_IGN, and the main thread, which Dispatch
        // leaves with no signal blocked (`dispatch_main` sleeps in `sigsuspend` with an empty mask),
        // makes the kernel drop an ignored signal instead of keeping it pending for the source. A
        // SIGTERM sent right after READY=1 was lost that way (NotifierTests, once).
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        signal(SIGHUP, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangUp.setEventHandler { continuation.yield(.reload) }
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM)
        terminate.setEventHandler { continuation.yield(.stop) }
        await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
            let both = DispatchGroup()
            for source in [hangUp, terminate] {
                both.enter()
                source.setRegistrationHandler { both.leave() }
                source.resume()
            }
            both.notify(queue: .global()) { registered.resume() }
        }

        let notifier = Notifier()
        try notifier.status("Loading schedules from \(crontabs)")
        var jobs: Int
        do {
            jobs = try countJobs()
        } catch {
            try notifier.failed(errnoCode: error.errno, status: "Cannot load schedules from \(crontabs): \(error.message)")
            throw ExitCode(EX_CONFIG)
        }
        try notifier.ready(status: ServiceStatus(jobsLoaded: jobs, runsActive: 0).description)

        let ticker = try notifier.watchdogInterval.map { interval in
            Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    continuation.yield(.tick)
                }
            }
        }
        defer {
            ticker?.cancel()
            hangUp.cancel()
            terminate.cancel()
        }

        // The scheduling loop: the watchdog ping is sent here, so a stuck loop stops the pings.
        for await event in events {
            switch event {
            case .tick:
                try notifier.watchdog()
            case .reload:
                try notifier.reloading(monotonicNow: Notifier.monotonicNow())
                jobs = (try? countJobs()) ?? jobs  // a broken folder keeps what was loaded
                try notifier.ready(status: ServiceStatus(jobsLoaded: jobs, runsActive: 0).description)
            case .stop:
                try notifier.stopping(status: "Stopping")
                return
            }
        }
    }

    private struct LoadError: Error {
        var errno: CInt
        var message: String
    }

    /// Counts job lines (not blank, not `#`, not `NAME=value`) in the folder's `.cron` files.
    private func countJobs() throws(LoadError) -> Int {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: crontabs).filter { $0.hasSuffix(".cron") }
        } catch {
            throw LoadError(errno: ENOENT, message: "no such folder")
        }
        var count = 0
        for file in files {
            guard let text = try? String(contentsOfFile: crontabs + "/" + file, encoding: .utf8) else {
                throw LoadError(errno: EACCES, message: "cannot read \(file)")
            }
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                if let first = trimmed.split(separator: " ").first, first.contains("=") { continue }
                count += 1
            }
        }
        return count
    }
}
