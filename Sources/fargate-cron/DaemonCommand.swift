import ArgumentParser
import Daemon
import Foundation
import Metrics
import Kubernetes
import Scheduler
#if canImport(Glibc)
    import Glibc
#endif

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

    @Option(help: "The host's sendmail command for MAILTO, run by /bin/sh with the message on its standard input; it must read the recipients from the headers (default: $FARGATE_CRON_SENDMAIL, else '/usr/sbin/sendmail -oi -t').")
    var sendmail: String?

    @Option(help: "Serve Prometheus metrics on HOST:PORT at /metrics, e.g. 127.0.0.1:9464 (default: $FARGATE_CRON_METRICS_ADDRESS, else off).")
    var metricsAddress: String?
    @Option(help: ArgumentHelp(
        "Run on several hosts: elect one leader on this Kubernetes Lease; it schedules, the others stand by (default: $FARGATE_CRON_LEASE, else none: this daemon runs alone).",
        discussion: "Local jobs run on the leader only. Needs get, create and update on coordination.k8s.io leases in the namespace.",
        valueName: "namespace/name"))
    var lease: String?

    @Option(help: "With --lease: how long the other hosts wait after the leader's last renewal before they take over, e.g. 15s (default: $FARGATE_CRON_LEASE_DURATION, else 15s).")
    var leaseDuration: String?

    @Option(help: "With --lease: how long the leader goes on without a renewal before it stops creating Jobs, shorter than the lease duration (default: $FARGATE_CRON_RENEW_DEADLINE, else 10s).")
    var renewDeadline: String?

    @Option(help: "With --lease: how often each host tries to acquire or renew the Lease, e.g. 2s or 500ms (default: $FARGATE_CRON_RETRY_PERIOD, else 2s).")
    var retryPeriod: String?

    @Option(help: "This host's name in the ledger, in the Jobs it creates and in the Lease (default: $FARGATE_CRON_HOST_NAME, else the system's host name).")
    var hostName: String?

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
        if let command = sendmail ?? environment["FARGATE_CRON_SENDMAIL"], !command.isEmpty { configuration.sendmail = command }
        if let text = metricsAddress ?? environment["FARGATE_CRON_METRICS_ADDRESS"], !text.isEmpty {
            do { configuration.metricsAddress = try ListenAddress(parsing: text) } catch {
                throw ValidationError("--metrics-address: \(error)")
            }
        }
        configuration.stateArgument = state.explicit(in: environment)
        configuration.hostName = hostName ?? environment["FARGATE_CRON_HOST_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.systemHostName()
        configuration.lease = try resolvedLease(in: environment)
        if configuration.lease != nil, configuration.withoutCluster {
            throw ValidationError("--lease elects a leader on the cluster: it cannot be used with --without-cluster")
        }
        return configuration
    }

    /// The Lease and the election's durations: the options, else their `FARGATE_CRON_` variables,
    /// else client-go's defaults (15s, 10s, 2s).
    private func resolvedLease(in environment: [String: String]) throws -> LeaseConfiguration? {
        func option(_ value: String?, _ variable: String) -> String? {
            value ?? environment["FARGATE_CRON_\(variable)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        func duration(_ value: String?, _ variable: String, _ flag: String, default fallback: Duration) throws -> Duration {
            guard let text = option(value, variable) else { return fallback }
            guard let parsed = LeaseConfiguration.duration(text) else {
                throw ValidationError("\(flag) (or FARGATE_CRON_\(variable)) must be a duration such as 15s or 500ms, got '\(text)'")
            }
            return parsed
        }
        let durations = [
            option(leaseDuration, "LEASE_DURATION"), option(renewDeadline, "RENEW_DEADLINE"), option(retryPeriod, "RETRY_PERIOD"),
        ]
        guard let text = option(lease, "LEASE") else {
            if durations.contains(where: { $0 != nil }) {
                throw ValidationError("--lease-duration, --renew-deadline and --retry-period need --lease (or FARGATE_CRON_LEASE)")
            }
            return nil
        }
        do {
            let election = try ElectionConfiguration(
                leaseDuration: try duration(leaseDuration, "LEASE_DURATION", "--lease-duration", default: ElectionConfiguration.defaultLeaseDuration),
                renewDeadline: try duration(renewDeadline, "RENEW_DEADLINE", "--renew-deadline", default: ElectionConfiguration.defaultRenewDeadline),
                retryPeriod: try duration(retryPeriod, "RETRY_PERIOD", "--retry-period", default: ElectionConfiguration.defaultRetryPeriod))
            return try LeaseConfiguration(lease: text, election: election)
        } catch let error as ElectionConfigurationError {
            throw ValidationError(error.message)
        } catch let error as LeaseConfigurationError {
            throw ValidationError("--lease (or FARGATE_CRON_LEASE): \(error.message)")
        }
    }

    /// The system's host name (gethostname(2)), or `localhost` if it has none.
    static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
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
