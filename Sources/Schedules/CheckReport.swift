public import Foundation
import CronExpression
import RunModel

/// What `fargate-cron check` prints for a load: diagnostics, optionally each job's next fire times,
/// and a summary; as text or as JSON.
public struct CheckReport: Sendable {
    let result: ScheduleReload.Result

    /// A report on a load (`ScheduleLoader.load(paths:)` over an empty set).
    public init(_ result: ScheduleReload.Result) { self.result = result }

    /// `FILE:LINE:COL: error: MESSAGE` lines, then, when `nextCount > 0`, one line per job:
    /// `NAME (FILE:LINE, ZONE): TIME, TIME, …` with ISO-8601 times in the job's zone.
    public func text(nextCount: Int, after instant: Date) -> String {
        var lines = result.diagnostics.map(\.description)
        if nextCount > 0 {
            for job in result.schedules.jobs {
                let times = CheckReport.nextTimes(of: job, count: nextCount, after: instant)
                let place = "\(job.location.file):\(job.location.line)"
                lines.append("\(job.name) (\(place), \(job.timeZone.identifier)): "
                    + (times.isEmpty ? "never fires" : times.joined(separator: ", ")))
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// One line: how many files and jobs were checked, and how many errors and warnings were found.
    public var summary: String {
        let errors = result.diagnostics.filter { !$0.isWarning }.count
        let warnings = result.diagnostics.count - errors
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "checked \(plural(result.files.count, "file")), \(plural(result.schedules.jobCount, "job")): "
            + "\(plural(errors, "error")), \(plural(warnings, "warning"))"
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json(nextCount: Int, after instant: Date) throws -> Data {
        let rejected = Set(result.rejectedFiles)
        let document = Document(
            valid: result.isValid,
            files: result.files.map { path in
                Document.File(path: path, valid: !rejected.contains(path), jobs: result.schedules.jobsByFile[path]?.count ?? 0)
            },
            diagnostics: result.diagnostics.map {
                Document.Diagnostic(
                    file: $0.location.file, line: $0.location.line, column: $0.location.column,
                    severity: $0.isWarning ? "warning" : "error", message: $0.kind.message)
            },
            jobs: result.schedules.jobs.map { job in
                Document.Job(
                    name: job.name.rawValue, file: job.location.file, line: job.location.line,
                    schedule: job.schedule.description, timeZone: job.timeZone.identifier,
                    executor: job.executor.rawValue, command: job.command,
                    fargateSize: job.fargateSize?.description,
                    next: nextCount > 0 ? CheckReport.nextTimes(of: job, count: nextCount, after: instant) : nil)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    private struct Document: Encodable {
        struct File: Encodable { var path: String; var valid: Bool; var jobs: Int }
        struct Diagnostic: Encodable {
            var file: String; var line: Int; var column: Int; var severity: String; var message: String
        }
        struct Job: Encodable {
            var name: String; var file: String; var line: Int; var schedule: String; var timeZone: String
            var executor: String; var command: String; var fargateSize: String?; var next: [String]?
        }
        var valid: Bool
        var files: [File]
        var diagnostics: [Diagnostic]
        var jobs: [Job]
    }

    static func nextTimes(of job: JobSpec, count: Int, after instant: Date) -> [String] {
        job.schedule.nextFireDates(after: instant, in: job.timeZone, count: count).map {
            iso8601($0, in: job.timeZone)
        }
    }

    /// `2026-03-08T03:00:00-04:00`: seconds precision, the offset always numeric.
    public static func iso8601(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = zone.secondsFromGMT(for: date)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        return "\(c.year!)-\(two(c.month!))-\(two(c.day!))T\(two(c.hour!)):\(two(c.minute!)):\(two(c.second!))"
            + "\(sign)\(two(hours)):\(two(minutes))"
    }
}
