public import Foundation
public import Kubernetes
public import Scheduler
import Alerting
import Ledger
public import Metrics

/// Everything `fargate-cron daemon` was told, resolved: the command line fills it from its options
/// and their `FARGATE_CRON_<OPTION>` variables, and ``Daemon/run(_:)`` needs nothing else.
public struct DaemonConfiguration: Sendable {
    /// The folder of schedule files.
    public var crontabs: String
    /// The state folder (the ledger and its lock).
    public var stateDirectory: String
    /// The control socket's path (`fargate-cron status`, `trigger`, `gc` talk to it).
    public var controlSocket: String
    /// How to reach the cluster (kubeconfig, context, EKS cluster, region, profile).
    public var cluster: ConnectionOptions
    /// Run with no cluster at all: `local` jobs run, each `kubernetes` run fails at once, on record.
    public var withoutCluster: Bool
    /// Time between garbage-collection sweeps of the cluster.
    public var gcInterval: Duration
    /// The scheduler's global limits (starts per second, active runs).
    public var limits: SchedulerLimits
    /// How long finished runs stay in the ledger.
    public var ledgerRetention: Duration
    /// The process's environment: where the journal is (`JOURNAL_STREAM`), systemd's notify socket,
    /// credentials for the cluster, Fargate rates, and what cron passes every command.
    public var environment: [String: String]
    /// The host's sendmail command, for `MAILTO` (`--sendmail`, `FARGATE_CRON_SENDMAIL`).
    public var sendmail: String = DaemonConfiguration.defaultSendmail
    /// Where the Prometheus endpoint listens (`--metrics-address`); `nil`: no endpoint (the default).
    public var metricsAddress: ListenAddress? = nil
    /// The state folder as the user named it, for the `logs` command quoted in mails; `nil` when it
    /// is the default.
    public var stateArgument: String? = nil

    /// cronie's sendmail command (`Sendmail.defaultCommand`).
    public static let defaultSendmail = Sendmail.defaultCommand
    /// This host's name: recorded in the ledger with each run it starts or finishes, written into
    /// the Jobs it creates and, with `lease`, into the Lease. nil records none.
    public var hostName: String?
    /// Several hosts for the same schedules: elect one leader on this Lease, which schedules while
    /// the others stand by (``LeaseConfiguration``). nil: this daemon runs alone.
    public var lease: LeaseConfiguration?

    /// A configuration; the defaults are those of the command line.
    public init(
        crontabs: String, stateDirectory: String, controlSocket: String, cluster: ConnectionOptions = ConnectionOptions(),
        withoutCluster: Bool = false, gcInterval: Duration = Self.defaultGCInterval,
        limits: SchedulerLimits = SchedulerLimits(), ledgerRetention: Duration = Self.defaultLedgerRetention,
        environment: [String: String]
    ) {
        self.crontabs = crontabs
        self.stateDirectory = stateDirectory
        self.controlSocket = controlSocket
        self.cluster = cluster
        self.withoutCluster = withoutCluster
        self.gcInterval = gcInterval
        self.limits = limits
        self.ledgerRetention = ledgerRetention
        self.environment = environment
    }

    /// Five minutes between sweeps: a pod left behind by a killed daemon bills at most that long.
    public static let defaultGCInterval: Duration = .seconds(300)
    /// The ledger's own default retention (90 days).
    public static let defaultLedgerRetention: Duration = RunLedger.defaultRetention

    /// Whether a cluster is named (a kubeconfig or an EKS cluster), rather than left to the search.
    public var namesACluster: Bool { cluster.kubeconfig != nil || cluster.eksCluster != nil }
}

/// Why the daemon did not start: already logged at `critical` and told to systemd (`ERRNO=`).
public struct DaemonStartFailure: Error, CustomStringConvertible {
    /// What went wrong, as logged.
    public var message: String
    public var description: String { message }
}
