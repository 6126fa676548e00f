import Alerting
import ArgumentParser
import Daemon
import Foundation
import Schedules

/// `fargate-cron check [PATH ...] [--json] [--next N] [--after ISO8601]`: validates schedule files
/// without running them.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate schedule files; print every error as FILE:LINE:COL: error: MESSAGE.",
        discussion: """
            Exits 0 only when every file is valid; warnings do not fail the check. Folders are read \
            for their *.cron files (not recursively).
            """
    )

    @Argument(help: "Schedule files or folders to check.")
    var paths: [String] = ["crontabs"]

    @Flag(help: "Print a JSON document instead of text.")
    var json = false

    @Option(name: .customLong("next"), help: "Also print each job's next N fire times, in its time zone.")
    var nextCount: Int = 0

    @Option(help: "With --next, start after this instant (ISO 8601 with offset, as for next); default: now.")
    var after: String?

    @Option(help: "The sendmail command the daemon will use for MAILTO; warn when it cannot run here (default: $FARGATE_CRON_SENDMAIL, else '/usr/sbin/sendmail -oi -t').")
    var sendmail: String?

    func validate() throws {
        guard nextCount >= 0 && nextCount <= 1000 else {
            throw ValidationError("--next must be between 0 and 1000, not \(nextCount)")
        }
        if let after, NextCommand.parseInstant(after) == nil {
            throw ValidationError(
                "--after '\(after)' is not an ISO-8601 instant with an offset, such as 2026-03-08T00:00:00-05:00")
        }
    }

    func run() throws {
        var result = ScheduleLoader.load(paths: paths)
        let environment = ProcessInfo.processInfo.environment
        let command = sendmail ?? environment["FARGATE_CRON_SENDMAIL"].flatMap { $0.isEmpty ? nil : $0 } ?? DaemonConfiguration.defaultSendmail
        // The PATH the daemon's commands get (Daemon.cronEnvironment), where a bare name is looked for.
        if let problem = Sendmail(command: command).problem(path: Daemon.cronEnvironment(environment)["PATH"] ?? "/usr/bin:/bin") {
            result.warnThatMailCannotBeSent(problem)
        }
        let report = CheckReport(result)
        let now = after.flatMap(NextCommand.parseInstant) ?? Date()
        if json {
            var data = try report.json(nextCount: nextCount, after: now)
            data.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(data)
        } else {
            FileHandle.standardOutput.write(Data(report.text(nextCount: nextCount, after: now).utf8))
            FileHandle.standardError.write(Data((report.summary + "\n").utf8))
        }
        if !result.isValid { throw ExitCode(1) }
    }
}
