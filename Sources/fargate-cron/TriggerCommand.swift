import ArgumentParser
import Foundation
import RunModel
import Scheduler

/// `fargate-cron trigger JOB`: asks the running daemon for a run now, under the job's policy.
struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Ask the running daemon to start a run of a job now, under its concurrency policy.",
        discussion: "Exits 0 when the run started, 1 when it was skipped or refused, 69 when no daemon answers.")

    @Argument(help: "The job's name, as in its schedule file.")
    var job: String

    @OptionGroup var state: StateOptions

    @Flag(help: "Print the answer as one JSON object.")
    var json = false

    func run() throws {
        let path = state.controlSocket(in: ProcessInfo.processInfo.environment)
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
        guard case .started = result else { throw ExitCode.failure }
    }
}
