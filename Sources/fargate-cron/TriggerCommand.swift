import ArgumentParser
import Foundation
import Glibc
import Ledger
import RunModel
import Scheduler

/// `fargate-cron trigger JOB`: asks the running daemon for a run now, under the job's policy.
struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Ask the running daemon to start a run of a job now, under its concurrency policy.",
        discussion: """
            Exits 0 when the run started, 1 when it was skipped or refused, 69 when no daemon answers.
            With --wait it prints the run's id, waits for the run's end (read from the ledger), and exits \
            with the run's status: 0 when it succeeded, the job's exit code when it failed with one, \
            124 when it failed without one (a signal, a timeout, a lost run), 125 when it was \
            cancelled or replaced, 126 when it could not start, 75 when the trigger was skipped \
            (another run is active under forbid).
            """)

    @Argument(help: "The job's name, as in its schedule file.")
    var job: String

    @OptionGroup var state: StateOptions

    @Flag(help: "Print the answer as one JSON object.")
    var json = false

    @Flag(help: "Wait for the run to end and exit with its status (see below).")
    var wait = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = state.controlSocket(in: environment)
        let response: ControlResponse
        do { response = try ControlClient.send(.trigger(job), to: path) } catch {
            FileHandle.standardError.write(Data("fargate-cron: no daemon answers on \(path): \(error)\n".utf8))
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
        guard response.ok, let result = response.trigger else {
            FileHandle.standardError.write(Data("fargate-cron: the daemon refused: \(response.error ?? "no answer")\n".utf8))
            throw ExitCode.failure
        }
        if json {
            var object: [String: String] = ["job": job]
            switch result {
            case .started(let run): (object["result"], object["run"]) = ("started", run.description)
            case .skipped(let reason): (object["result"], object["reason"]) = ("skipped", reason.description)
            case .unknownJob: (object["result"], object["reason"]) = ("unknown-job", result.description)
            case .refused(let why): (object["result"], object["reason"]) = ("refused", why)
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(job): \(result)")
        }
        guard case .started(let run) = result else {
            if wait, case .skipped = result { throw ExitCode(TriggerExit.skipped) }
            throw ExitCode.failure
        }
        if wait { throw ExitCode(try waitForEnd(of: run, stateDirectory: state.resolved(in: environment))) }
    }

    /// Reads the run from the ledger until it is over (four times a second), prints how it ended,
    /// and returns the exit status it maps to.
    private func waitForEnd(of id: RunID, stateDirectory: String) throws -> Int32 {
        let ledger = try RunLedger.openForReading(stateDirectory: stateDirectory)
        while true {
            let run = try ledger.run(id)
            if run.state.isTerminal {
                let code = TriggerExit.status(of: run)
                let detail = [run.exitCode.map { "exit code \($0)" }, run.reason].compactMap { $0 }.joined(separator: ": ")
                print("run \(id) of \(job) \(run.state)" + (detail.isEmpty ? "" : " (\(detail))"))
                return code
            }
            usleep(250_000)
        }
    }
}

/// The exit statuses of `trigger --wait` besides 0 and the job's own (a contract: scripts test them).
enum TriggerExit {
    /// The run failed without an exit code of its own: killed by a signal, timed out, lost.
    static let failedWithoutCode: Int32 = 124
    /// The run was cancelled (the daemon stopped) or replaced (`CRON_CONCURRENCY=replace`).
    static let cancelled: Int32 = 125
    /// The run could not be started.
    static let notStarted: Int32 = 126
    /// The trigger was skipped: a run of the job is active under `forbid` (EX_TEMPFAIL: try again).
    static let skipped: Int32 = 75

    /// The status a finished run maps to.
    static func status(of run: Run) -> Int32 {
        switch run.state {
        case .succeeded: return 0
        case .failed:
            if let code = run.exitCode, code > 0 { return min(code, 255) }
            // The scheduler words a start that failed "could not start: …".
            return run.reason?.hasPrefix("could not start") == true ? notStarted : failedWithoutCode
        case .cancelled, .replaced: return cancelled
        case .skipped, .missed, .suspended: return skipped
        case .intended, .started, .running: return failedWithoutCode
        }
    }
}
