public import CronExpression
public import RunModel

/// A problem found in a schedule file, with where it is.
///
/// Most kinds are errors, which reject the whole file; a few are warnings (`isWarning`), which are
/// reported but do not. `description` is `FILE:LINE:COL: error: MESSAGE` (or `warning:`), one a line.
public struct ScheduleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var kind: Kind
    /// Where: the file, the 1-based line, and the 1-based column in UTF-8 bytes.
    public var location: SourceLocation

    /// Creates a problem at a location.
    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// Whether this is only a warning: reported, but the file is still accepted.
    public var isWarning: Bool {
        switch kind {
        case .fargateSizeJump, .settingWithoutJobs, .templateNameIgnored, .settingInLowercase, .templateFieldLeftOut, .mailWithoutSendmail: true
        default: false
        }
    }

    /// `FILE:LINE:COL: error: MESSAGE`.
    public var description: String { "\(location): \(isWarning ? "warning" : "error"): \(kind.message)" }

    /// The kinds of problem, each with what was found and what was expected.
    public enum Kind: Error, Hashable, Sendable {
        case fileTooLarge(size: Int, limit: Int)
        case unreadable(reason: String)
        case notUTF8(byte: UInt8)
        case nulByte
        case controlCharacter(UInt8)
        case cronSyntax(CronSyntaxError)
        case missingName
        case tooFewFields(found: Int, name: String)
        case invalidJobName(String, JobName.Problem)
        case missingCommand(JobName)
        case unescapedPercent
        case duplicateJobName(JobName, firstDefinedAt: SourceLocation)
        case invalidAssignmentName(String)
        case unknownSetting(name: String, didYouMean: String?)
        case invalidSettingValue(Setting, value: String, expected: String)
        case missingImage(JobName)
        case templateUnreadable(path: String, reason: String)
        case templateInvalid(path: String, JobTemplate.TemplateProblem)
        case noFargateSize(cpu: ResourceQuantity, memory: ResourceQuantity, overheadMiB: Int)
        case fargateSizeJump(cpu: ResourceQuantity, memory: ResourceQuantity, overheadMiB: Int, billed: FargateSize)
        case settingWithoutJobs(String)
        case templateNameIgnored(path: String)
        case settingInLowercase(String, setting: String)
        case invalidListEntry(Setting, entry: String, expected: String)
        case duplicateListEntry(Setting, entry: String)
        case tooManyListEntries(Setting, count: Int, limit: Int)
        case missingECSSetting(Setting, job: JobName, why: String)
        case settingNotForExecutor(Setting, job: JobName, executor: ExecutorKind, why: String)
        /// `unset`: which of CRON_CPU and CRON_MEMORY the job left at their defaults.
        case noFargateTaskSize(cpu: ResourceQuantity, memory: ResourceQuantity, allowed: String, unset: [Setting] = [])
        case templateFieldLeftOut(path: String, JobTemplate.Note)
        case reservedLabel(String)
        case mailWithoutSendmail(JobName, problem: String)
        case unknownContainer(String, template: String, containers: [String], isInitContainer: Bool)

        /// The message, without location or severity.
        public var message: String {
            switch self {
            case .fileTooLarge(let size, let limit):
                "file is \(size) bytes; a schedule file may be at most \(limit) bytes"
            case .unreadable(let reason): "cannot read the file: \(reason)"
            case .notUTF8(let byte):
                "file is not UTF-8 text (byte 0x\(String(byte, radix: 16, uppercase: true)) here); is it binary?"
            case .nulByte: "file contains a NUL byte; is it binary?"
            case .controlCharacter(let byte):
                "control character 0x\(String(byte, radix: 16, uppercase: true).leftPadded(2)) in the line; only tabs and spaces separate fields"
            case .cronSyntax(let error): error.message
            case .missingName: "expected a job name and a command after the schedule"
            case .tooFewFields(let found, let name):
                "schedule has \(found) field\(found == 1 ? "" : "s") before '\(name)', which cannot be a cron field; expected 5 fields, 6 with seconds, or an @ form such as @daily"
            case .invalidJobName(let name, let problem): "'\(name)' is not a valid job name: \(problem)"
            case .missingCommand(let name): "job '\(name)' has no command"
            case .unescapedPercent:
                "unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign"
            case .duplicateJobName(let name, let first): "job '\(name)' is already defined at \(first)"
            case .invalidAssignmentName(let name):
                "'\(name)' is not a valid variable name; use letters, digits and '_', not starting with a digit"
            case .unknownSetting(let name, let suggestion):
                "unknown setting \(name)" + (suggestion.map { "; did you mean \($0)?" } ?? "; the settings are listed in the README")
            case .invalidSettingValue(let setting, let value, let expected):
                "\(setting.rawValue) '\(value)' is not valid; expected \(expected)"
            case .missingImage(let name):
                "job '\(name)' has no image; set CRON_IMAGE above it, or CRON_TEMPLATE to a manifest whose main container (CRON_CONTAINER, by default the first) has one"
            case .templateUnreadable(let path, let reason): "cannot read template '\(path)': \(reason)"
            case .templateInvalid(let path, let problem): "template '\(path)' \(problem)"
            case .noFargateSize(let cpu, let memory, let overhead):
                "no Fargate size fits CPU \(cpu) and memory \(memory)\(overheadNote(overhead)); the largest is 16 vCPU / 120 GB"
            case .fargateSizeJump(let cpu, let memory, let overhead, let billed):
                "CPU \(cpu) and memory \(memory)\(overheadNote(overhead)) are billed as \(billed), a larger vCPU than requested"
            case .settingWithoutJobs(let name): "\(name) has no effect: no job follows it in this file"
            case .settingInLowercase(let name, let setting):
                "\(name) is passed to the job as an environment variable; did you mean the setting \(setting)?"
            case .invalidListEntry(let setting, let entry, let expected):
                "'\(entry)' in \(setting.rawValue) is not valid; expected \(expected)"
            case .duplicateListEntry(let setting, let entry): "'\(entry)' appears twice in \(setting.rawValue)"
            case .tooManyListEntries(let setting, let count, let limit):
                "\(setting.rawValue) lists \(count) entries; ECS takes at most \(limit)"
            case .missingECSSetting(let setting, let job, let why):
                "ecs job '\(job)' needs \(setting.rawValue)\(why.isEmpty ? "" : " (\(why))")"
            case .settingNotForExecutor(let setting, let job, let executor, let why):
                "\(setting.rawValue) does not apply to \(executor) job '\(job)': \(why)"
            case .noFargateTaskSize(let cpu, let memory, let allowed, let unset):
                // A job that sets no size gets Kubernetes-sized defaults ECS refuses: say they are defaults.
                "CPU \(cpu)\(unset.contains(.cpu) ? " (CRON_CPU is not set)" : "") and memory \(memory)"
                    + "\(unset.contains(.memory) ? " (CRON_MEMORY is not set)" : "") are not a Fargate task size; \(allowed)"
            case .templateFieldLeftOut(let path, let note):
                "template '\(path)' \(note.place): \(note.field) is left out of each run's Job: \(note.why)"
            case .reservedLabel(let key):
                "CRON_LABELS may not set '\(key)': the Job controller sets it on each run's pods, and the API server refuses a Job whose pods set it otherwise"
            case .mailWithoutSendmail(let job, let problem):
                "job '\(job)' has MAILTO set, but mail cannot be sent from this host: \(problem); install an MTA (such as Debian's msmtp-mta) or point --sendmail (FARGATE_CRON_SENDMAIL) at one"
            case .unknownContainer(let name, let template, let containers, let isInit):
                isInit
                    ? "CRON_CONTAINER '\(name)' is an init container of template '\(template)'; it must name one of the pod's containers: \(containers.joined(separator: ", "))"
                    : "CRON_CONTAINER '\(name)' names no container of template '\(template)'; its containers are: \(containers.joined(separator: ", "))"
            case .templateNameIgnored(let path):
                "template '\(path)' sets metadata.name, which is ignored: each run's Job is named after the job and its slot"
            }
        }
    }
}

/// How messages mention the memory Fargate adds for EKS pods (none for ECS tasks).
private func overheadNote(_ mib: Int) -> String { mib == 0 ? "" : " (+\(mib)Mi for Kubernetes)" }

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
