public import Foundation

/// One schedule file's path and bytes, as read from disk (or made by a test).
public struct ScheduleFile: Hashable, Sendable {
    /// The path as it is shown in messages and job locations, e.g. `crontabs/reports.cron`.
    public var path: String
    /// The file's contents.
    public var contents: Data

    /// The largest schedule file accepted, 1 MiB: about 15,000 job lines, far more than a folder of
    /// hand-written crontabs holds, and small enough that a stray binary or log file is rejected
    /// before it is read.
    public static let maximumSize = 1 << 20

    /// Creates a file from its path and contents.
    public init(path: String, contents: Data) {
        self.path = path
        self.contents = contents
    }
}

/// The result of parsing one schedule file.
public struct ParsedScheduleFile: Hashable, Sendable {
    /// The file's path.
    public var path: String
    /// The file's jobs, in file order; empty when the file has an error (it is rejected whole).
    public var jobs: [JobSpec]
    /// Every error and warning found, in file order.
    public var diagnostics: [ScheduleError]

    /// Whether the file has no errors (warnings allowed), so that its jobs load.
    public var isValid: Bool { !diagnostics.contains { !$0.isWarning } }
}
