import ArgumentParser
import Daemon
import FargateExecutor
import Foundation
import Glibc
import Logging
import Scheduler
import Schedules

/// `fargate-cron gc [--dry-run]`: the garbage-collection sweep by hand. Finished pods past their
/// TTL and finished Jobs beyond their job's history limits, of everything labelled
/// `app.kubernetes.io/managed-by=fargate-cron` in the jobs' namespaces, are deleted (or listed).
///
/// The running daemon does the sweep when it answers (it knows which pods' output it is still
/// reading and leaves those alone); when it is down, this command reads the schedule files and
/// connects to the cluster itself.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete finished pods and expired Jobs that fargate-cron owns.",
        discussion: """
            Prints one line per object deleted (or, with --dry-run, that would be deleted): KIND NAMESPACE/NAME: WHY.
            Exits 0 when every deletion worked, 1 when one failed.
            """)

    @Flag(help: "Only print what would be deleted.")
    var dryRun = false

    @OptionGroup var state: StateOptions

    @Option(help: "The schedule folder, read when the daemon is down (default: $FARGATE_CRON_CRONTABS, else crontabs).")
    var crontabs: String?

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: "Print one JSON object: {\"deleted\": [...], \"errors\": [...], \"by\": \"daemon\"|\"gc\"}.")
    var json = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let path = state.controlSocket(in: environment)
        let deleted: [String]
        let errors: [String]
        let by: String
        do {
            let response = try ControlClient.send(.gc(dryRun: dryRun), to: path, timeoutSeconds: 300)
            guard response.ok else { throw ValidationError("the daemon refused: \(response.error ?? "no answer")") }
            (deleted, errors, by) = (response.deleted ?? [], response.errors ?? [], "daemon")
        } catch let error as ControlSocketError where error.call == "connect" && [ENOENT, ECONNREFUSED].contains(error.code) {
            let result = try await sweepWithoutDaemon(environment: environment)
            (deleted, errors, by) = (result.deleted.map(\.description), result.errors, "gc")
        }
        if json {
            let object: [String: Any] = ["deleted": deleted, "errors": errors, "by": by, "dryRun": dryRun]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for line in deleted { print(dryRun ? "would delete \(line)" : "deleted \(line)") }
            if deleted.isEmpty { print(dryRun ? "nothing to delete" : "nothing deleted") }
        }
        for error in errors { FileHandle.standardError.write(Data("fargate-cron gc: \(error)\n".utf8)) }
        if !errors.isEmpty { throw ExitCode.failure }
    }

    /// The sweep done here: the schedule files give the jobs (namespaces, history limits, pod TTLs).
    private func sweepWithoutDaemon(environment: [String: String]) async throws -> SweepResult {
        let folder = crontabs ?? environment["FARGATE_CRON_CRONTABS"] ?? "crontabs"
        let loaded = ScheduleLoader.load(paths: [folder])
        for diagnostic in loaded.diagnostics where !diagnostic.isWarning {
            FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
        }
        let jobs = KubernetesJobTable(loaded.schedules.jobs)
        guard !jobs.all.isEmpty else {
            throw ValidationError("no kubernetes jobs in \(folder): nothing says which namespaces to sweep")
        }
        let client = try await cluster.connect(environment: environment)
        let logger = Logger(label: "fargate-cron-gc") { StreamLogHandler.standardError(label: $0) }
        let executor = KubernetesExecutor(
            client: client, settings: { jobs.settings(of: $0) }, journal: nil, clock: SystemWallClock(), logger: logger,
            followsRuns: false)
        return await executor.sweep(jobs: jobs.all, dryRun: dryRun)
    }
}
