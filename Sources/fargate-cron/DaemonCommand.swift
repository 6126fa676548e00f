import ArgumentParser
import Daemon
import Foundation
import Scheduler

/// `fargate-cron daemon`: the scheduler in the foreground, as systemd's `Type=notify` service.
/// Reads its options (each also from `FARGATE_CRON_<OPTION>`) into a ``DaemonConfiguration`` and
/// runs ``Daemon``.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the scheduler in the foreground (systemd Type=notify).",
        discussion: """
            Every option can also come from the environment as FARGATE_CRON_<OPTION> (for example
            FARGATE_CRON_CRONTABS, FARGATE_CRON_STATE_DIR), so the unit file can read /etc/default/fargate-cron.
            SIGHUP, or a change in the schedule folder, reloads it; SIGTERM stops the daemon.
            """)

    @Option(help: "The folder of schedule files (default: $FARGATE_CRON_CRONTABS, else crontabs).")
    var crontabs: String?

    @OptionGroup var state: StateOptions

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: ArgumentHelp(
        "Run with no Kubernetes cluster: local jobs run, and each run of a kubernetes job fails at once, on record (also FARGATE_CRON_WITHOUT_CLUSTER=1).",
        discussion: "For trying schedules on a machine that has no cluster. Refused while the ledger holds active kubernetes runs."))
    var withoutCluster = false

    @Option(help: "Seconds between garbage-collection sweeps of the cluster (default: $FARGATE_CRON_GC_INTERVAL, else 300).")
    var gcInterval: Int?

    @Option(help: "At most this many runs started per second across all jobs (default: $FARGATE_CRON_MAX_STARTS_PER_SECOND, else 50).")
    var maxStartsPerSecond: Int?

    @Option(help: "At most this many runs active at once across all jobs (default: $FARGATE_CRON_MAX_ACTIVE_RUNS, else 500).")
    var maxActiveRuns: Int?

    @Option(help: "How long finished runs stay in the ledger, e.g. 90d, 12w, 36h (default: $FARGATE_CRON_LEDGER_RETENTION, else 90d).")
    var ledgerRetention: LookbackDuration?

    func run() async throws {
        let configuration = try resolved(in: ProcessInfo.processInfo.environment)
        do { try await Daemon.run(configuration) } catch is DaemonStartFailure {
            throw ExitCode.failure  // logged, and told to systemd, by the daemon
        }
    }

    /// The options, each falling back to its `FARGATE_CRON_` variable, then to its default.
    /// - Throws: `ValidationError` for a malformed variable or contradictory options.
    func resolved(in environment: [String: String]) throws -> DaemonConfiguration {
        let defaults = SchedulerLimits()
        func number(_ option: Int?, _ variable: String) -> Int? {
            option ?? environment["FARGATE_CRON_\(variable)"].flatMap { Int($0) }
        }
        let clusterOptions = cluster.resolved(in: environment)
        var configuration = DaemonConfiguration(
            crontabs: crontabs ?? environment["FARGATE_CRON_CRONTABS"] ?? "crontabs",
            stateDirectory: state.resolved(in: environment), controlSocket: state.controlSocket(in: environment),
            cluster: clusterOptions,
            limits: SchedulerLimits(
                maxStartsPerSecond: number(maxStartsPerSecond, "MAX_STARTS_PER_SECOND") ?? defaults.maxStartsPerSecond,
                maxActiveRuns: number(maxActiveRuns, "MAX_ACTIVE_RUNS") ?? defaults.maxActiveRuns),
            ledgerRetention: try resolvedRetention(in: environment), environment: environment)
        if let seconds = number(gcInterval, "GC_INTERVAL") { configuration.gcInterval = .seconds(seconds) }
        configuration.withoutCluster = try runsWithoutCluster(namingACluster: configuration.namesACluster, in: environment)
        return configuration
    }

    /// The ledger's retention: the option, else `FARGATE_CRON_LEDGER_RETENTION`, else the default.
    private func resolvedRetention(in environment: [String: String]) throws -> Duration {
        if let ledgerRetention { return .seconds(ledgerRetention.seconds) }
        guard let text = environment["FARGATE_CRON_LEDGER_RETENTION"], !text.isEmpty else {
            return DaemonConfiguration.defaultLedgerRetention
        }
        guard let parsed = LookbackDuration(argument: text) else {
            throw ValidationError("FARGATE_CRON_LEDGER_RETENTION must be a duration such as 90d, 12w or 36h, got '\(text)'")
        }
        return .seconds(parsed.seconds)
    }

    /// Whether the daemon runs without a cluster: the flag, or `FARGATE_CRON_WITHOUT_CLUSTER=1`.
    /// - Throws: `ValidationError` when a cluster is also named, which says the opposite.
    private func runsWithoutCluster(namingACluster: Bool, in environment: [String: String]) throws -> Bool {
        let variable = environment["FARGATE_CRON_WITHOUT_CLUSTER"]
        guard withoutCluster || variable == "1" || variable == "true" else { return false }
        if namingACluster {
            throw ValidationError("--without-cluster cannot be used with a named cluster (--kubeconfig, --eks-cluster or their FARGATE_CRON_ variables)")
        }
        return true
    }
}
