import CronExpression
import Foundation
import RunModel

/// Turns one schedule file into job specs, collecting every problem with its location.
///
/// A line is blank, a `#` comment, an assignment `NAME=value`, or a job: a schedule, a name and a
/// command. The parser is pure: templates are read through the function it is given.
public struct ScheduleParser {
    /// Reads a template file for `CRON_TEMPLATE`: given the path as written and the schedule file's path.
    public typealias TemplateReader = @Sendable (_ path: String, _ relativeTo: String) -> Result<String, TemplateReadError>

    /// Why a template could not be read.
    public struct TemplateReadError: Error, Hashable, Sendable {
        public var reason: String
        public init(reason: String) { self.reason = reason }
    }

    let readTemplate: TemplateReader

    /// Creates a parser that reads templates with `readTemplate`.
    public init(readTemplate: @escaping TemplateReader) {
        self.readTemplate = readTemplate
    }

    /// Parses a file.
    public func parse(_ file: ScheduleFile) -> ParsedScheduleFile {
        var state = FileState(path: file.path, parser: self)
        let bytes = [UInt8](file.contents)
        if bytes.count > ScheduleFile.maximumSize {
            state.report(.fileTooLarge(size: bytes.count, limit: ScheduleFile.maximumSize), line: 1, column: 1)
            return state.result()
        }
        // A UTF-8 byte order mark is not part of the first line, for columns too.
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var lineNumber = 0
        var lineStart = start
        while lineStart < bytes.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let lineBytes = bytes[lineStart..<contentEnd]
            // Binary content rejects the file with one error: whatever follows would be noise.
            if let problem = FileState.binaryProblem(in: lineBytes) {
                state.report(problem.kind, line: lineNumber, column: problem.offset + 1)
                state.jobs.removeAll()
                return state.result()
            }
            state.parseLine(String(decoding: lineBytes, as: UTF8.self), number: lineNumber)
            lineStart = lineEnd + 1
        }
        state.finish()
        return state.result()
    }
}

/// The parser's state while it reads one file, line by line.
struct FileState {
    let path: String
    let parser: ScheduleParser
    var settings = SettingValues()
    var environment: [EnvironmentVariable] = []
    var jobs: [JobSpec] = []
    /// The settings the last job was given, for the next job to share when they are still in force.
    var sharedSettings: InheritedSettings?
    var diagnostics: [ScheduleError] = []
    var firstDefinition: [JobName: SourceLocation] = [:]
    /// Assignments not yet followed by a job, for the "has no effect" warning.
    var pendingAssignments: [(name: String, location: SourceLocation)] = []
    /// Sizes already reported, so that a bad CRON_MEMORY above 100 jobs is one message, not 100.
    var reportedSizes: Set<[Int64]> = []
    var templates: [String: Result<JobTemplate, ScheduleError.Kind>] = [:]
    /// Settings whose last assignment was refused, to keep one mistake from causing more messages.
    var failedSettings: Set<Setting> = []
    /// Where each setting in force was assigned (a non-empty value), for errors about its use.
    var assignedAt: [Setting: SourceLocation] = [:]
    /// Misused settings already reported, by assignment, so that one line is one message.
    var reportedMisuse: Set<String> = []

    init(path: String, parser: ScheduleParser) {
        self.path = path
        self.parser = parser
    }

    mutating func report(_ kind: ScheduleError.Kind, line: Int, column: Int) {
        diagnostics.append(ScheduleError(kind, at: SourceLocation(file: path, line: line, column: column)))
    }

    func result() -> ParsedScheduleFile {
        var parsed = ParsedScheduleFile(path: path, jobs: [], diagnostics: diagnostics)
        if parsed.isValid {
            // Exactly sized: the daemon keeps these for as long as the file is loaded, and the
            // parse's doubling left up to half of the array unused.
            parsed.jobs.reserveCapacity(jobs.count)
            parsed.jobs.append(contentsOf: jobs)
        }
        return parsed
    }

    mutating func finish() {
        for pending in pendingAssignments {
            diagnostics.append(ScheduleError(.settingWithoutJobs(pending.name), at: pending.location))
        }
        pendingAssignments = []
    }

    /// The first NUL, invalid UTF-8 sequence or control character (other than tab) in a line.
    static func binaryProblem(in line: ArraySlice<UInt8>) -> (kind: ScheduleError.Kind, offset: Int)? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = line.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 {
                    let byte = encoded.first!
                    if byte == 0 { return (.nulByte, offset) }
                    if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
                        return (.controlCharacter(byte), offset)
                    }
                }
                offset += encoded.count
            case .error:
                return (.notUTF8(byte: line[line.startIndex + offset]), offset)
            case .emptyInput:
                return nil
            }
        }
    }
}
