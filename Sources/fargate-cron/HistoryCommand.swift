import ArgumentParser
import Daemon
import Foundation
import Ledger
import RunModel
import Scheduler

#if canImport(Glibc)
    import Glibc
#endif

/// `fargate-cron history [JOB] [--limit N] [--since DURATION] [--json] [--state-dir DIR]`: runs from
/// the ledger, newest first. Opens the ledger read-only, so it works while the daemon writes.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show runs from the ledger, newest first.",
        discussion: """
            Reads the ledger in the state directory (--state-dir, else $FARGATE_CRON_STATE_DIR, else \
            $STATE_DIRECTORY, else ./state) without disturbing a running daemon.
            """
    )

    @Argument(help: "Only this job's runs.")
    var job: String?

    @Option(help: "At most this many runs.")
    var limit: Int = 50

    @Option(help: "Only runs scheduled within this long before now (e.g. 90s, 15m, 1h30m, 7d).")
    var since: LookbackDuration?

    @Flag(help: "Print one JSON array.")
    var json = false

    @Option(name: .customLong("state-dir"), help: "The daemon's state directory.")
    var stateDirectory: String?

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let directory =
            stateDirectory ?? environment["FARGATE_CRON_STATE_DIR"] ?? environment["STATE_DIRECTORY"] ?? "./state"
        let now = Date()
        let runs: [Run]
        do {
            let ledger = try RunLedger.openForReading(stateDirectory: directory)
            runs = try ledger.history(job: job, limit: limit, since: since.map { now.addingTimeInterval(-$0.seconds) })
        } catch {
            FileHandle.standardError.write(Data("fargate-cron history: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: try encoder.encode(runs.map(RunJSON.init)), as: UTF8.self)
            print(text)
        } else {
            print(HistoryTable(runs).text, terminator: "")
        }
    }
}

/// A duration for `--since`: `90s`, `15m`, `1h30m`, `7d` (a number and a unit, repeated).
// NOTE: the Schedules module owns the canonical duration type; this small parser is local to the
// command until the two are unified.
struct LookbackDuration: ExpressibleByArgument, Equatable {
    var seconds: Double

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var total = 0.0
        var digits = ""
        for character in argument {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = units[character], let value = Double(digits) {
                total += value * unit
                digits = ""
            } else {
                return nil
            }
        }
        guard digits.isEmpty, total > 0 else { return nil }
        seconds = total
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The JSON form of a run (`history --json`): times as ISO-8601 UTC strings, absent fields null,
/// every object with the same keys. The price is a decimal string of dollars (exact).
struct RunJSON: Encodable {
    var id: Int64, job: String, scheduledAt: String, state: String, trigger: String, policy: String
    var recordedAt: String, createdAt: String?, runningAt: String?, finishedAt: String?
    var executor: String?, process: String?
    var kubernetesJob: String?, kubernetesUID: String?, ecsTask: String?, pod: String?, podCount: Int?, node: String?
    var capacity: String?, podCreatedAt: String?, podScheduledAt: String?, podFinishedAt: String?
    var podDeletedAt: String?, billedSeconds: Double?, estimatedPrice: String?
    var exitCode: Int32?, reason: String?, failureKind: String?, failureCause: String?, blockedBy: Int64?
    var outputLines: Int?, reportedAt: String?
    /// The hosts that started and finished the run (several hosts electing a leader; schema v4).
    var startedBy: String?, finishedBy: String?
    var placement: String?, placementNote: String?, startFailure: String?

    init(_ run: Run) {
        func iso(_ date: Date?) -> String? { date.map(utcTimestamp) }
        id = run.id.rawValue
        job = run.job
        scheduledAt = utcTimestamp(run.scheduledAt)
        state = run.state.rawValue
        trigger = run.trigger.rawValue
        policy = run.policy.rawValue
        recordedAt = utcTimestamp(run.recordedAt)
        createdAt = iso(run.createdAt)
        runningAt = iso(run.runningAt)
        finishedAt = iso(run.finishedAt)
        executor = run.executorName
        process = run.localProcess
        kubernetesJob = run.kubernetesJobName
        kubernetesUID = run.kubernetesJobUID
        ecsTask = run.ecsTaskARN
        pod = run.pod
        podCount = run.podCount
        node = run.node
        capacity = run.capacity
        podCreatedAt = iso(run.podCreatedAt)
        podScheduledAt = iso(run.podScheduledAt)
        podFinishedAt = iso(run.podFinishedAt)
        podDeletedAt = iso(run.podDeletedAt)
        billedSeconds = run.billedDuration.map {
            Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
        }
        estimatedPrice = run.estimatedPrice?.description
        exitCode = run.exitCode
        reason = run.reason
        // A cancelled run's executor may have classified its stop as a failure; only a failed run has one.
        failureCause = run.state == .failed ? run.failureCause?.rawValue : nil
        failureKind = run.state == .failed ? run.failureCause?.origin.rawValue : nil
        blockedBy = run.blockedBy?.rawValue
        outputLines = run.outputLines
        reportedAt = iso(run.reportedAt)
        startedBy = run.startedBy
        finishedBy = run.finishedBy
        placement = run.placement?.rawValue
        placementNote = run.placementNote
        startFailure = run.startFailure?.rawValue
    }

    func encode(to encoder: any Encoder) throws {
        // Write nulls explicitly, so every object has the same keys.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(job, forKey: .job)
        try c.encode(scheduledAt, forKey: .scheduledAt)
        try c.encode(state, forKey: .state)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(policy, forKey: .policy)
        try c.encode(recordedAt, forKey: .recordedAt)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(runningAt, forKey: .runningAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(executor, forKey: .executor)
        try c.encode(process, forKey: .process)
        try c.encode(kubernetesJob, forKey: .kubernetesJob)
        try c.encode(kubernetesUID, forKey: .kubernetesUID)
        try c.encode(ecsTask, forKey: .ecsTask)
        try c.encode(pod, forKey: .pod)
        try c.encode(podCount, forKey: .podCount)
        try c.encode(node, forKey: .node)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(podCreatedAt, forKey: .podCreatedAt)
        try c.encode(podScheduledAt, forKey: .podScheduledAt)
        try c.encode(podFinishedAt, forKey: .podFinishedAt)
        try c.encode(podDeletedAt, forKey: .podDeletedAt)
        try c.encode(billedSeconds, forKey: .billedSeconds)
        try c.encode(estimatedPrice, forKey: .estimatedPrice)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(reason, forKey: .reason)
        try c.encode(failureKind, forKey: .failureKind)
        try c.encode(failureCause, forKey: .failureCause)
        try c.encode(blockedBy, forKey: .blockedBy)
        try c.encode(outputLines, forKey: .outputLines)
        try c.encode(reportedAt, forKey: .reportedAt)
        try c.encode(startedBy, forKey: .startedBy)
        try c.encode(finishedBy, forKey: .finishedBy)
        try c.encode(placement, forKey: .placement)
        try c.encode(placementNote, forKey: .placementNote)
        try c.encode(startFailure, forKey: .startFailure)
    }

    enum CodingKeys: String, CodingKey {
        case id, job, scheduledAt, state, trigger, policy, recordedAt, createdAt, runningAt, finishedAt
        case executor, process, kubernetesJob, kubernetesUID, ecsTask, pod, podCount, node, capacity
        case podCreatedAt, podScheduledAt, podFinishedAt, podDeletedAt, billedSeconds, estimatedPrice
        case exitCode, reason, failureKind, failureCause, blockedBy, outputLines, reportedAt
        case startedBy, finishedBy
        case placement, placementNote, startFailure
    }
}

/// The executor-specific names `history --json` gives a run's handle (the ledger keeps it the same
/// way for every executor: its executor, reference and uid).
extension Run {
    /// `local`, `kubernetes` or `ecs`, once the run started.
    var executorName: String? { handle?.executor.rawValue }

    /// A `local` run's process identity, `pid=… start=…`.
    var localProcess: String? { handle?.executor == .local ? handle?.reference : nil }

    /// The Kubernetes Job (`namespace/name`) of a Kubernetes run.
    var kubernetesJobName: String? { handle?.executor == .kubernetes ? handle?.reference : nil }

    /// The Kubernetes Job's uid, once known.
    var kubernetesJobUID: String? { handle?.executor == .kubernetes ? handle?.uid : nil }

    /// The ECS task's ARN of an ecs run.
    var ecsTaskARN: String? { handle?.executor == .ecs ? handle?.reference : nil }
}

/// The text form of `history`: one aligned row per run. The Kubernetes columns (POD, SIZE, BILLED,
/// PRICE) appear when a listed run has a pod, so that a host with only `local` jobs keeps a narrow table.
struct HistoryTable {
    var text: String

    init(_ runs: [Run]) {
        guard !runs.isEmpty else {
            text = "no runs\n"
            return
        }
        let showsPods = runs.contains { $0.pod != nil || $0.billedDuration != nil }
        // Which host started and which finished each run: shown once the ledger names hosts.
        let showsHosts = runs.contains { $0.startedBy != nil || $0.finishedBy != nil }
        let header =
            ["RUN", "JOB", "SCHEDULED", "STATE", "TRIGGER", "TOOK"]
            + (showsPods ? ["POD", "SIZE", "BILLED", "PRICE"] : []) + (showsHosts ? ["STARTED-BY", "FINISHED-BY"] : [])
            + ["DETAIL"]
        let rows = runs.map { run -> [String] in
            // A local run is never seen `running`: it took from its start to its end.
            let took = (run.runningAt ?? run.createdAt).flatMap { start in
                run.finishedAt.map { Self.format($0.timeIntervalSince(start)) }
            }
            var detail: [String] = []
            if run.state == .failed, run.failureCause?.origin == .platform,
                !(run.reason ?? "").hasPrefix("platform failure")
            {
                detail.append("platform failure")
            }
            if let code = run.exitCode, run.state != .succeeded { detail.append("exit \(code)") }
            if let reason = run.reason { detail.append(reason) }
            if let task = run.ecsTaskARN { detail.append("task \(task)") }
            // First: the run may have succeeded, but it was billed and isolated as something else than Fargate.
            if run.placement == .notFargate { detail.insert("not on Fargate" + (run.placementNote.map { " (\($0))" } ?? ""), at: 0) }
            if run.state.isActive, let process = run.localProcess {
                // `pid=4242 start=987654` shows as `pid 4242`: the start time only tells a reused pid apart.
                detail.append(process.split(separator: " ").first?.replacingOccurrences(of: "=", with: " ") ?? process)
            }
            var row = [
                String(run.id.rawValue), run.job, utcTimestamp(run.scheduledAt), run.state.rawValue,
                run.trigger.rawValue, took ?? "-",
            ]
            if showsPods {
                row += [
                    run.pod ?? "-", run.capacity?.replacingOccurrences(of: " ", with: "/") ?? "-",
                    run.billedDuration.map { Self.format(Double($0.components.seconds)) } ?? "-",
                    run.estimatedPrice.map { "$\($0)" } ?? "-",
                ]
            }
            if showsHosts { row += [run.startedBy ?? "-", run.finishedBy ?? "-"] }
            return row + [detail.joined(separator: ": ")]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        text = ([header] + rows).map { row in
            zip(row, widths).enumerated().map { index, cell in
                index == row.count - 1 ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }.joined()
    }

    static func format(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? "\(total / 3600)h\(total % 3600 / 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}
