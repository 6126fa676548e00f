import ArgumentParser
import Foundation
import Schedules

/// `fargate-cron check [PATH ...] [--json] [--next N]`: validates schedule files without running them.
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

    func validate() throws {
        guard nextCount >= 0 && nextCount <= 1000 else {
            throw ValidationError("--next must be between 0 and 1000, not \(nextCount)")
        }
    }

    func run() throws {
        let result = ScheduleLoader.load(paths: paths)
        let report = CheckReport(result)
        let now = Date()
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
