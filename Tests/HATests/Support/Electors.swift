import Foundation
import HTTP
import Kubernetes
import Logging
import Synchronization
import TestSupport

/// The Kubernetes emulator that `scripts/test` starts (scripts/peers/kmock.sh).
enum Emulator {
    static var isRunning: Bool { PeerEnvironment.hasKubernetesEmulator }
    static var url: String { PeerEnvironment.kubernetesHTTP ?? "" }

    /// A client of the emulator (or of `server`, a proxy in front of it) that sends `token`, so that
    /// the emulator's request statistics tell its requests from the others'.
    static func client(server: String? = nil, token: String) throws -> KubeClient {
        try Curl.ready()
        return KubeClient(
            server: server ?? url, transport: CurlTransport(configuration: .init(requestTimeout: .seconds(20))),
            credentials: StaticToken(token, identity: "test client \(token)"), retry: RetryPolicy(baseDelay: .milliseconds(20)))
    }

    /// A name of its own for each test.
    static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// One line of `GET /_emulator/stats`: how many requests of one client, verb and resource.
    struct Requests: Decodable, Hashable {
        var client: String
        var verb: String
        var resource: String
        var count: Int
    }

    /// Every request the emulator served so far, summed over the seconds, by client, verb and resource.
    static func requests() async throws -> [Requests] {
        struct Stats: Decodable { var requests: [Requests] }
        let response = try await CurlTransport().send(HTTPRequest(method: .get, url: url + "/_emulator/stats"))
        guard response.status == 200 else { throw KubernetesError.invalidResponse("stats: \(response.status)") }
        var totals: [Requests: Int] = [:]
        for line in try JSONDecoder().decode(Stats.self, from: response.body).requests {
            var key = line
            key.count = 0
            totals[key, default: 0] += line.count
        }
        return totals.map { var line = $0.key; line.count = $0.value; return line }
    }

    /// The raw JSON of an object, as the emulator stores it.
    static func raw(_ path: String) async throws -> [String: Any] {
        let response = try await CurlTransport().send(HTTPRequest(method: .get, url: url + path))
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        else { throw KubernetesError.invalidResponse("\(path): \(response.status)") }
        return object
    }
}

/// A logger that drops everything (tests never bootstrap the logging system).
let quietLogger = Logger(label: "ha-tests") { _ in SwiftLogNoOpLogHandler() }

/// An elector on the emulator's Lease `name` in `namespace`, with the short test durations.
func elector(
    _ host: String, namespace: String, name: String = "fargate-cron", server: String? = nil
) throws -> LeaderElector<ContinuousClock> {
    LeaderElector(
        client: try Emulator.client(server: server, token: "elector-\(namespace)-\(host)"), namespace: namespace, name: name,
        identity: LeaderIdentity(host: host, processID: 4242), configuration: shortDurations, clock: ContinuousClock(),
        date: { Date() }, logger: quietLogger)
}

/// Watches several electors every 10 ms and remembers every instant at which more than one led.
final class OverlapWatch: Sendable {
    private let overlaps = Mutex<[String]>([])

    /// Samples until the task is cancelled.
    func run(_ electors: [LeaderElector<ContinuousClock>]) async {
        while !Task.isCancelled {
            let leading = electors.filter(\.isLeading).map(\.identity.host)
            if leading.count > 1 { overlaps.withLock { $0.append("\(ContinuousClock.now): \(leading)") } }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The instants at which more than one led.
    var seen: [String] { overlaps.withLock { $0 } }
}

/// Waits (bounded) until `condition` holds, checking every 10 ms; returns how long it took, or nil.
func timeUntil(within limit: Duration, _ condition: () -> Bool) async -> Duration? {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < limit {
        if condition() { return ContinuousClock.now - start }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition() ? ContinuousClock.now - start : nil
}
