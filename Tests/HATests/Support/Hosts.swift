import FargateExecutor
import Foundation
import Glibc
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// One "host" of a test with several: the real `fargate-cron daemon` with its own state folder, host
/// name and API token (so the emulator's statistics tell its requests apart), electing on the test's
/// Lease with short durations (lease 3 s, renew deadline 2 s, retry period 0.5 s), logging to the
/// journal; optionally reaching the API server through a fault proxy of its own.
final class Host {
    let name: String
    let daemon: DaemonProcess
    let proxy: FaultProxy?
    /// The bearer token it sends.
    let token: String
    /// Every process id it ran as, for its journal.
    private(set) var pids: [Int32] = []

    /// Makes the host's folders and writes its kubeconfig and schedule file; nothing runs yet.
    init(_ name: String, cluster: HACluster, throughProxy: Bool = false) throws {
        self.name = name
        daemon = try DaemonProcess(prefix: "fc-ha")
        proxy = throughProxy ? try FaultProxy() : nil
        token = "ha-\(cluster.namespace)-\(name)"
        let config = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster:
                server: \(proxy?.url ?? Emulator.url)
            users:
            - name: \(name)
              user:
                token: \(token)
            contexts:
            - name: emulator
              context: {cluster: emulator, user: \(name)}
            current-context: emulator
            """
        let kubeconfig = daemon.folder.appendingPathComponent("kubeconfig")
        try Data(config.utf8).write(to: kubeconfig)
        daemon.environmentOverrides = [
            "FARGATE_CRON_KUBECONFIG": kubeconfig.path, "FARGATE_CRON_HOST_NAME": name,
            "FARGATE_CRON_LEASE": "\(cluster.namespace)/\(HACluster.leaseName)", "FARGATE_CRON_LEASE_DURATION": "3s",
            "FARGATE_CRON_RENEW_DEADLINE": "2s", "FARGATE_CRON_RETRY_PERIOD": "500ms",
        ]
        daemon.logsToJournal = true
        try daemon.write("ha.cron", cluster.scheduleFile)
    }

    deinit { daemon.cleanUp() }

    /// Starts (or restarts) the daemon.
    func start(environment: [String: String] = [:]) throws {
        try daemon.start(environment: environment)
        if let pid = daemon.process?.processIdentifier { pids.append(pid) }
    }

    /// Whether the daemon runs now.
    var isRunning: Bool { daemon.process?.isRunning == true }

    /// This host's ledger: every run of `job`, oldest slot first.
    func runs(of job: String) throws -> [Run] {
        do {
            return try RunLedger.openForReading(stateDirectory: daemon.state.path).history(job: job, limit: 100_000).reversed()
        } catch .noLedger {
            return []
        }
    }

    /// The journal entries of this host's processes that carry `field=value`, as `[FIELD: VALUE]`.
    func journal(_ field: String, _ value: String) throws -> [[String: String]] {
        guard !pids.isEmpty else { return [] }
        let out = daemon.folder.appendingPathComponent("journal-\(UUID().uuidString.prefix(6)).json")
        try #require(FileManager.default.createFile(atPath: out.path, contents: nil))
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        // Within a group the fields AND; `+` ORs the groups: one group per process id.
        reader.arguments = ["--no-pager", "-o", "json"] + pids.enumerated().flatMap { index, pid in
            (index == 0 ? [] : ["+"]) + ["\(field)=\(value)", "_PID=\(pid)"]
        }
        reader.standardOutput = try FileHandle(forWritingTo: out)
        try reader.run()
        reader.waitUntilExit()
        return try String(decoding: Data(contentsOf: out), as: UTF8.self).split(separator: "\n").compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?.compactMapValues { $0 as? String }
        }
    }
}

/// The cluster side of a test with several hosts: a namespace of its own, the Fargate controller
/// running its pods, one `*/5 * * * * *` forbid job, and a reader for the evidence.
final class HACluster {
    static let leaseName = "fargate-cron"
    let namespace: String
    let job: String
    let scheduleFile: String
    let client: KubeClient
    private let controller: FargateController

    /// - Parameter settings: more lines for the schedule file, before the job's.
    init(_ stem: String, runSeconds: Double = 2, lines: Int = 3, settings: String = "") throws {
        namespace = Emulator.unique(stem)
        job = "tick"
        // Every Job is kept, so the cluster keeps the evidence of every start.
        scheduleFile = """
            CRON_NAMESPACE=\(namespace)
            CRON_IMAGE=app:1
            CRON_CPU=0.25
            CRON_MEMORY=0.5Gi
            CRON_KEEP_SUCCEEDED=1000
            CRON_KEEP_FAILED=1000
            CRON_ANNOTATIONS=test.fargate-cron/run-seconds=\(runSeconds),test.fargate-cron/lines=\(lines)
            \(settings)
            */5 * * * * * \(job) bin/tick

            """
        controller = try FargateController(namespace: namespace)
        client = try Emulator.client(token: "ha-test-reader")
    }

    /// The host whose daemon holds the Lease now (by its `holderIdentity`), if any.
    func leader() async throws -> String? {
        guard let lease = try await client.find(Lease.self, named: Self.leaseName, in: namespace),
            let holder = lease.spec?.holderIdentity, !holder.isEmpty
        else { return nil }
        return LeaderIdentity.host(of: holder)
    }

    /// The Lease's `leaseTransitions`.
    func transitions() async throws -> Int? {
        try await client.find(Lease.self, named: Self.leaseName, in: namespace)?.spec?.leaseTransitions
    }

    /// Waits until a host other than `previous` holds the Lease; returns it and how long it took.
    func newLeader(after previous: String?, within limit: Duration) async throws -> (host: String, after: Duration)? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if let host = try await leader(), host != previous { return (host, ContinuousClock.now - start) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// The job's Jobs in the cluster.
    func jobs() async throws -> [Job] {
        try await client.list(Job.self, in: namespace, labelSelector: OwnershipLabels.selector(forJob: job)).items
    }

    /// What the hosts and the cluster say, checked against the guarantees.
    func evidence(of hosts: [Host]) async throws -> Evidence {
        var runs: [String: [Run]] = [:]
        for host in hosts { runs[host.name] = try host.runs(of: job) }
        let creates = try await Emulator.requests()
            .filter { line in hosts.contains { $0.token == line.client } && line.verb == "create" && line.resource == "jobs" }
            .map(\.count).reduce(0, +)
        return Evidence(jobs: try await jobs(), runs: runs, creates: creates)
    }
}

/// The cluster's Jobs, every host's ledger, and how many Job creates the API server received from
/// the hosts.
struct Evidence {
    var jobs: [Job]
    var runs: [String: [Run]]
    var creates: Int

    /// Slots that more than one host started (each host's ledger names the host that started a run:
    /// itself, or the host whose Job it adopted), or whose Job the API server was asked to create more than once.
    var doubleStarts: [String] {
        var startedBy: [Date: [String]] = [:]
        for (host, runs) in runs {
            for run in runs where run.handle != nil && run.startedBy == host { startedBy[run.scheduledAt, default: []].append(host) }
        }
        var problems = startedBy.filter { $0.value.count > 1 }.map { "slot \($0.key) started by \($0.value.sorted())" }
        if creates != jobs.count { problems.append("\(creates) creates reached the API server for \(jobs.count) Jobs") }
        return problems.sorted()
    }

    /// Jobs of the forbid job that ran at the same time (by the times the API reports).
    var overlaps: [String] {
        let started = jobs.compactMap { job in job.status?.startTime.map { (job.metadata.name ?? "", $0, job.status?.completionTime) } }
            .sorted { $0.1 < $1.1 }
        return zip(started, started.dropFirst()).compactMap { earlier, later in
            guard let completed = earlier.2 else { return "\(earlier.0) never completed, yet \(later.0) started after it" }
            return later.1 >= completed ? nil : "\(later.0) started at \(later.1) while \(earlier.0) ran until \(completed)"
        }
    }

    /// Every `*/5` slot from the first Job's to `last` that no host's ledger records in any state.
    func unaccountedSlots(through last: Date) -> [Date] {
        let recorded = Set(runs.values.flatMap { $0.map(\.scheduledAt) })
        guard let first = jobs.compactMap({ $0.metadata.labels?[OwnershipLabels.scheduledAt] }).compactMap(OwnershipLabels.slot(fromLabel:)).min()
        else { return [] }
        return stride(from: first.timeIntervalSince1970, through: last.timeIntervalSince1970, by: 5)
            .map(Date.init(timeIntervalSince1970:)).filter { !recorded.contains($0) }
    }
}

/// The `*/5` slot at or before `date`.
func slot(atOrBefore date: Date) -> Date {
    Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 5).rounded(.down) * 5)
}

/// Sleeps until `offset` seconds after the next `*/5` slot (to act at a chosen moment of a run).
func sleepUntil(secondsAfterNextSlot offset: Double) async throws {
    let now = Date().timeIntervalSince1970
    let target = ((now / 5).rounded(.down) + 1) * 5 + offset
    try await Task.sleep(for: .milliseconds(Int64((target - now) * 1000)))
}
