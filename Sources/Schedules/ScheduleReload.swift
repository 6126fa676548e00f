import RunModel

/// Loading and reloading schedule files, as a pure function of what runs and what is on disk.
public enum ScheduleReload {
    /// The outcome of a reload.
    public struct Result: Hashable, Sendable {
        /// The jobs to run from now on.
        public var schedules: ScheduleSet
        /// What changed from the running set.
        public var diff: ScheduleDiff
        /// Every error and warning, sorted by location.
        public var diagnostics: [ScheduleError]
        /// Files that have errors now but keep their last valid version running.
        public var keptFiles: [String]
        /// Files that have errors and have no valid version to keep: none of their jobs run.
        public var rejectedFiles: [String]
        /// Every file considered, sorted.
        public var files: [String]

        /// Whether every file is valid (warnings allowed): `check`'s exit status.
        public var isValid: Bool { !diagnostics.contains { !$0.isWarning } }
    }

    /// Computes the new set of jobs from the running set and the files on disk now.
    ///
    /// - A file with an error is rejected whole; if it was loaded before, its last valid version stays.
    /// - A file no longer on disk has its jobs removed.
    /// - A job name defined in two files is an error in the second, naming both places. Files that
    ///   were already loaded are considered first (in path order), then new files (in path order), so
    ///   that a new file can never push a running job out.
    /// - Parameters:
    ///   - running: what runs now (`ScheduleSet()` for the first load and for `check`).
    ///   - files: every schedule file on disk now.
    ///   - parser: the parser, which reads templates.
    ///   - readProblems: problems found while reading the files (unreadable, too large); their files
    ///     count as invalid.
    public static func reload(
        running: ScheduleSet, files: [ScheduleFile], parser: ScheduleParser, readProblems: [ScheduleError] = []
    ) -> Result {
        var parsed: [String: ParsedScheduleFile] = [:]
        for file in files { parsed[file.path] = parser.parse(file) }
        for problem in readProblems where parsed[problem.location.file] == nil {
            parsed[problem.location.file] = ParsedScheduleFile(path: problem.location.file, jobs: [], diagnostics: [])
        }
        for problem in readProblems { parsed[problem.location.file]!.diagnostics.append(problem) }

        let paths = parsed.keys.sorted { (running.jobsByFile[$0] == nil ? 1 : 0, $0) < (running.jobsByFile[$1] == nil ? 1 : 0, $1) }
        var diagnostics: [ScheduleError] = []
        var accepted: [String: [JobSpec]] = [:]
        var owner: [JobName: SourceLocation] = [:]
        var kept: [String] = []
        var rejected: [String] = []
        for path in paths {
            let file = parsed[path]!
            diagnostics += file.diagnostics
            var jobs: [JobSpec]? = file.isValid ? file.jobs : nil
            if let candidate = jobs {
                let clashes = candidate.compactMap { job in
                    owner[job.name].map { ScheduleError(.duplicateJobName(job.name, firstDefinedAt: $0), at: job.location) }
                }
                if !clashes.isEmpty {
                    diagnostics += clashes
                    jobs = nil
                }
            }
            if jobs == nil, let previous = running.jobsByFile[path],
                !previous.contains(where: { owner[$0.name] != nil })
            {
                jobs = previous
                kept.append(path)
            } else if jobs == nil {
                rejected.append(path)
            }
            guard let jobs else { continue }
            accepted[path] = jobs
            for job in jobs { owner[job.name] = job.location }
        }

        let schedules = ScheduleSet(jobsByFile: accepted)
        return Result(
            schedules: schedules, diff: diff(from: running, to: schedules),
            diagnostics: diagnostics.enumerated().sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }
                .map(\.element),
            keptFiles: kept.sorted(), rejectedFiles: rejected.sorted(), files: parsed.keys.sorted())
    }

    /// The changes between two sets of jobs, by name; each list sorted by name.
    public static func diff(from old: ScheduleSet, to new: ScheduleSet) -> ScheduleDiff {
        // Job specs are large values: sort and look up indices, and copy each spec once, into the diff.
        let oldJobs = old.jobs
        let newJobs = new.jobs
        let oldNames = oldJobs.map(\.name)
        let newNames = newJobs.map(\.name)
        let oldIndex = Dictionary(oldNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let newIndex = Dictionary(newNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var diff = ScheduleDiff()
        for i in newIndex.values.sorted(by: { newNames[$0] < newNames[$1] }) {
            guard let o = oldIndex[newNames[i]] else {
                diff.added.append(newJobs[i])
                continue
            }
            let fields = oldJobs[o].fields(differingFrom: newJobs[i])
            if !fields.isEmpty { diff.changed.append(JobChange(old: oldJobs[o], new: newJobs[i], fields: fields)) }
        }
        diff.removed = oldIndex.filter { newIndex[$0.key] == nil }.map(\.value)
            .sorted { oldNames[$0] < oldNames[$1] }.map { oldJobs[$0] }
        return diff
    }
}

extension ScheduleReload.Result {
    /// Adds a warning at the first job of each file that would mail (`MAILTO` set, `CRON_MAIL` not
    /// `never`), for a host where sendmail cannot be run: its runs still run, their mail fails.
    /// - Parameter problem: why sendmail cannot be run (`/usr/sbin/sendmail is not there`).
    public mutating func warnThatMailCannotBeSent(_ problem: String) {
        for file in schedules.files {
            guard let job = schedules.jobsByFile[file]?.first(where: { !$0.mailTo.isEmpty && $0.mail != .never }) else { continue }
            diagnostics.append(ScheduleError(.mailWithoutSendmail(job.name, problem: problem), at: job.location))
        }
        diagnostics = diagnostics.enumerated().sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }.map(\.element)
    }
}
