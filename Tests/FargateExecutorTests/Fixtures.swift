import Foundation
import Kubernetes

/// Reads the JSON fixtures next to this file (no SwiftPM resources: located with `#filePath`).
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

    static func job(_ name: String) throws -> Job { try KubernetesJSON.decoder.decode(Job.self, from: data(name)) }

    static func pod(_ name: String) throws -> Pod { try KubernetesJSON.decoder.decode(Pod.self, from: data(name)) }
}

/// A fixed instant from an RFC 3339 text (tests never read the clock).
func instant(_ text: String) -> Date {
    guard let date = try? KubernetesJSON.decoder.decode(Date.self, from: Data("\"\(text)\"".utf8)) else {
        preconditionFailure("bad instant \(text) in a test")
    }
    return date
}
