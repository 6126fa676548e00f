import ArgumentParser
import Foundation
import Kubernetes

/// `bench-watch-decode`, a benchmark driver (not shipped): the client side of `scripts/bench/watch-decode`.
/// Decodes one pod's watch event (`{"type":"MODIFIED","object":<pod>}`) over and over, three ways in
/// the same run, and prints the CPU time per event of each as one JSON object:
///
/// - `reencode`: what `WatchEvent.init(line:)` did before #13: the envelope read with `object` as a
///   `JSONValue` tree, that tree written back to JSON, and the pod read from it (with its own
///   `decodedJSON` tree), with a new decoder and encoder per line. Kept here as the baseline.
/// - `typed`: `WatchEvent(line:decoder:)` now: one pass, the pod keeping its `decodedJSON`.
/// - `lean`: the same with `KubernetesJSON.decoder(keepingUnmodelledFields: false)`: no `decodedJSON`.
///
/// The three take turns, round after round, so that the machine's load falls on each alike; each
/// figure is the median round's, in CPU time of the decoding thread (not wall time).
@main
struct WatchDecodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-watch-decode", abstract: "Benchmark watch-event decoding (for scripts/bench/watch-decode).")

    @Option(help: "A pod's JSON, such as Tests/KubernetesTests/Fixtures/pod.json.")
    var pod: String

    @Option(help: "Events decoded per way per round.")
    var events = 2000

    @Option(help: "Rounds (the median is reported).")
    var rounds = 9

    func run() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: pod)))
        let line = try JSONSerialization.data(withJSONObject: ["type": "MODIFIED", "object": object])
        let ways: [(name: String, decode: (Data) throws -> Pod)] = [
            ("reencode", Self.reencode),
            ("typed", { [decoder = KubernetesJSON.decoder] in try Self.pod(of: WatchEvent<Pod>(line: $0, decoder: decoder)) }),
            ("lean", { [decoder = KubernetesJSON.decoder(keepingUnmodelledFields: false)] in
                try Self.pod(of: WatchEvent<Pod>(line: $0, decoder: decoder))
            }),
        ]
        // The three must read the same pod, or the comparison means nothing.
        var reference = try Self.reencode(line)
        guard reference.decodedJSON != nil else { throw ValidationError("the baseline lost the pod's JSON") }
        for way in ways {
            var decoded = try way.decode(line)
            guard (decoded.decodedJSON == nil) == (way.name == "lean") else {
                throw ValidationError("\(way.name): decodedJSON is \(decoded.decodedJSON == nil ? "nil" : "kept")")
            }
            (decoded.decodedJSON, reference.decodedJSON) = (nil, nil)
            guard decoded == reference else { throw ValidationError("\(way.name) decoded another pod: \(decoded)") }
        }

        var samples: [String: [Double]] = [:]
        for _ in 0..<rounds {
            for way in ways {
                let before = try Self.threadCPUNanoseconds()
                for _ in 0..<events { _ = try way.decode(line) }
                let spent = try Self.threadCPUNanoseconds() - before
                samples[way.name, default: []].append(Double(spent) / Double(events) / 1000)
            }
        }
        var result: [String: Any] = ["line_bytes": line.count, "events_per_round": events, "rounds": rounds]
        for (name, values) in samples { result["\(name)_cpu_us_per_event"] = values.sorted()[values.count / 2] }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The decoding before #13, step for step (see the type's notes).
    static func reencode(_ line: Data) throws -> Pod {
        struct Envelope: Decodable {
            var type: String
            var object: JSONValue
        }
        let decoder = KubernetesJSON.decoder
        let envelope = try decoder.decode(Envelope.self, from: line)
        let object = try KubernetesJSON.encoder.encode(envelope.object)
        guard envelope.type == "MODIFIED" else { throw ValidationError("not MODIFIED: \(envelope.type)") }
        return try decoder.decode(Pod.self, from: object)
    }

    static func pod(of event: WatchEvent<Pod>) throws -> Pod {
        guard case .modified(let pod) = event else { throw ValidationError("not MODIFIED: \(event)") }
        return pod
    }

    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): the decoding runs on this thread
    /// alone, and other processes' load does not count against it.
    static func threadCPUNanoseconds() throws -> Int64 {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else {
            throw ValidationError("clock_gettime: errno \(errno)")
        }
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
