import HTTP
import Foundation
import Glibc
import Kubernetes
import Logging
import RunModel
import Scheduler
import Synchronization
import Systemd
import TestSupport

@testable import FargateExecutor

/// The Kubernetes API emulator started by `scripts/test` (scripts/peers/kmock.sh), and journald
/// (scripts/peers/journald.sh).
enum Cluster {
    static var isAvailable: Bool { PeerEnvironment.hasKubernetesEmulator && PeerEnvironment.hasJournald }

    /// A client of the emulator, or of whatever stands in front of it (the fault proxy).
    /// - Parameter token: a bearer token of the test's own, so that the emulator counts this client's
    ///   requests apart from every other client's (``EmulatorRequests``); anonymous when nil. Any
    ///   token but `system:…` is held to the shipped Role, as the anonymous caller is.
    static func client(
        server: String? = nil, retry: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(20)), token: String? = nil
    ) throws -> KubeClient {
        try Curl.ready()
        guard let server = server ?? PeerEnvironment.kubernetesHTTP else { throw KubernetesError.configuration("no emulator") }
        let credentials: any CredentialSource = token.map { StaticToken($0, identity: "test user \($0)") }
            ?? NoCredentials(identity: "test user")
        return KubeClient(
            server: server, transport: CurlTransport(configuration: .init(requestTimeout: .seconds(20), streamIdleTimeout: .seconds(60))),
            credentials: credentials, retry: retry)
    }

    /// Calls one of the emulator's test controls (`POST /_emulator/PATH`), such as `compact`.
    static func control(_ path: String, _ body: JSONValue) async throws {
        guard let server = PeerEnvironment.kubernetesHTTP else { throw KubernetesError.configuration("no emulator") }
        let response = try await CurlTransport().send(HTTPRequest(
            method: .post, url: "\(server)/_emulator/\(path)", headers: [("Content-Type", "application/json")],
            body: try JSONEncoder().encode(body)))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("emulator control \(path): \(response.status)") }
    }

    /// What the emulator served to the client with bearer `token` (`GET /_emulator/stats`), counted by
    /// the emulator itself: per verb (`list`, `watch`, `create`, `delete`, `log`, `get`, …) and resource.
    static func requests(of token: String) async throws -> EmulatorRequests {
        guard let server = PeerEnvironment.kubernetesHTTP else { throw KubernetesError.configuration("no emulator") }
        let response = try await CurlTransport().send(HTTPRequest(method: .get, url: "\(server)/_emulator/stats"))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("emulator stats: \(response.status)") }
        struct Stats: Decodable {
            struct Row: Decodable { var client: String; var verb: String; var resource: String; var count: Int }
            var requests: [Row]
        }
        var counts: [String: Int] = [:]
        for row in try JSONDecoder().decode(Stats.self, from: response.body).requests where row.client == token {
            counts["\(row.verb) \(row.resource)", default: 0] += row.count
        }
        return EmulatorRequests(counts: counts)
    }

    /// A name of its own for each test (namespaces and job names), so that tests never see each other.
    static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(8).lowercased())" }
}

/// The requests the emulator served to one client, by `"VERB RESOURCE"` (such as `"watch jobs"`).
struct EmulatorRequests: CustomStringConvertible {
    var counts: [String: Int]
    subscript(_ verbAndResource: String) -> Int { counts[verbAndResource] ?? 0 }
    var total: Int { counts.values.reduce(0, +) }
    var description: String { counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
}

/// Collects the executor's reports.
final class Reports: Sendable {
    private let state = Mutex<[RunReport]>([])
    func add(_ report: RunReport) { state.withLock { $0.append(report) } }
    func report(for run: RunID) -> RunReport? { state.withLock { $0.first { $0.run == run } } }
}

/// The jobs' settings, as the command line would give them from the schedule files.
final class JobTable: Sendable {
    let state = Mutex<[String: KubernetesJobSettings]>([:])
}

/// Drops lines: the executor writes to the journal itself in these tests.
struct NoOutput: OutputSink {
    func write(_ line: OutputLine) {}
}

/// Runs an executor's followers (``KubernetesExecutor/followRuns()``) for as long as a test's world
/// exists: the daemon runs them as a service of its service group; a test has none, so a task
/// cancelled when the world goes stands in for it.
final class FollowingRuns: Sendable {
    private let task: Task<Void, Never>
    init(_ executor: KubernetesExecutor) { task = Task { await executor.followRuns() } }
    deinit { task.cancel() }
}

/// One test's world: a namespace with its controller, an executor writing to the real journal.
struct World {
    let namespace: String
    /// The emulator, directly (what the test looks at).
    let client: KubeClient
    let controller: FargateController
    let reports = Reports()
    let settings: JobTable
    let executor: KubernetesExecutor
    let following: FollowingRuns

    /// - Parameter executorClient: how the executor reaches the API (through a fault proxy, say);
    ///   the emulator directly when nil.
    init(_ stem: String, executorClient: KubeClient? = nil, startRetryLimit: Duration = .seconds(60),
         logGrace: Duration = .seconds(5), resyncInterval: Duration = .seconds(30), startBounds: StartBounds = .default,
         logger: Logger? = nil, host: String? = nil, clock: any WallClock = SystemWallClock()) throws {
        namespace = Cluster.unique(stem)
        client = try Cluster.client()
        controller = try FargateController(namespace: namespace)
        let (settings, reports) = (JobTable(), reports)
        self.settings = settings
        executor = KubernetesExecutor(
            client: executorClient ?? client, settings: { name in settings.state.withLock { $0[name] } },
            journal: EntryWriter(destination: .journal), clock: clock,
            logger: logger ?? { var l = Logger(label: "fargate-executor-tests", factory: { label in StreamLogHandler.standardError(label: label) }); l.logLevel = .info; return l }(), logGrace: logGrace,
            startRetryLimit: startRetryLimit, resyncInterval: resyncInterval, startBounds: startBounds, onReport: { reports.add($0) },
            host: host)
        following = FollowingRuns(executor)
    }

    /// A second executor on the same namespace and jobs: the daemon after a restart.
    init(sharing other: World, executorClient: KubeClient? = nil) {
        namespace = other.namespace
        client = other.client
        controller = other.controller
        let (settings, reports) = (other.settings, reports)
        self.settings = settings
        executor = KubernetesExecutor(
            client: executorClient ?? client, settings: { name in settings.state.withLock { $0[name] } },
            journal: EntryWriter(destination: .journal), clock: SystemWallClock(),
            logger: Logger(label: "fargate-executor-tests-restarted", factory: { label in StreamLogHandler.standardError(label: label) }),
            logGrace: .seconds(5), onReport: { reports.add($0) })
        following = FollowingRuns(executor)
    }

    /// Settings for a new job in this namespace, scripted for the controller by annotations.
    func job(
        _ stem: String, script: [String: String] = [:], concurrency: ConcurrencyPolicy = .forbid, timeout: Duration? = nil,
        pendingTimeout: Duration = .seconds(300), keepSucceeded: Int = 3, image: String = "app:1", template: String? = nil,
        mainContainer: String? = nil, serviceAccount: String? = nil
    ) -> KubernetesJobSettings {
        let annotations = Dictionary(uniqueKeysWithValues: script.map { ("test.fargate-cron/\($0.key)", $0.value) })
        let job = KubernetesJobSettings(
            jobName: Cluster.unique(stem), namespace: namespace, image: image, cpu: "0.25", memory: "0.5Gi",
            template: template.map { Data($0.utf8) }, serviceAccount: serviceAccount,
            timeout: timeout, keepSucceeded: keepSucceeded, pendingTimeout: pendingTimeout, concurrency: concurrency,
            annotations: annotations, mainContainer: mainContainer)
        settings.state.withLock { $0[job.jobName] = job }
        return job
    }

    func request(
        _ job: KubernetesJobSettings, slot: String = "2026-11-29T06:30:00Z", run: Int64, startDeadline: Date? = nil
    ) -> RunRequest {
        RunRequest(slot: Slot(job: job.jobName, scheduledAt: instant(slot)), run: RunID(rawValue: run), trigger: .scheduled,
                   command: "bin/report", environment: [:], timeout: job.timeout, startDeadline: startDeadline)
    }

    /// Starts a run and waits for its outcome and report.
    func runToEnd(_ request: RunRequest) async throws -> (RunOutcome?, RunReport?) {
        let handle = try await executor.start(request, output: NoOutput())
        let outcome = await executor.outcome(of: handle)
        _ = try await poll(within: .seconds(10)) { reports.report(for: request.run) != nil }
        return (outcome, reports.report(for: request.run))
    }

    /// Sets what the emulator's world holds for this namespace (`POST /_emulator/config`): Fargate
    /// profiles, EC2 nodes, unpullable images, a pod quota, Pod Security.
    func configure(_ settings: [String: JSONValue]) async throws {
        var body = settings
        body["namespace"] = .string(namespace)
        guard let server = PeerEnvironment.kubernetesHTTP else { throw KubernetesError.configuration("no emulator") }
        let response = try await CurlTransport().send(HTTPRequest(
            method: .post, url: server + "/_emulator/config", headers: [("Content-Type", "application/json")],
            body: try JSONEncoder().encode(JSONValue.object(body))))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("config: \(response.status)") }
    }

    func pods() async throws -> [Pod] { try await client.list(Pod.self, in: namespace).items }
    func jobs() async throws -> [Job] { try await client.list(Job.self, in: namespace).items }
}
