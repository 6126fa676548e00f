import Foundation
import TestSupport
import Testing

/// Reading back what the tests wrote, with systemd's own tools.
enum Journal {
    /// Whether the test command started (or found) a journald (scripts/peers/journald.sh).
    static let isAvailable = PeerEnvironment.hasJournald

    /// `journalctl --sync`: returns once journald has stored everything sent before it.
    static func sync() async throws {
        let result = try await ChildProcess.run("/usr/bin/journalctl", ["--sync"])
        try #require(result.status == 0, "journalctl --sync: \(result.errors)")
    }

    /// `journalctl --rotate`: journald archives its active files and starts new ones.
    static func rotate() async throws {
        let result = try await ChildProcess.run("/usr/bin/journalctl", ["--rotate"])
        try #require(result.status == 0, "journalctl --rotate: \(result.errors)")
    }

    /// The entries matching `matches` (`FIELD=value`), oldest first, from `journalctl -o json --all`
    /// (`--all`, or fields over 4 KiB come back as null), each field's value as bytes.
    static func entries(_ matches: [String]) async throws -> [[String: [UInt8]]] {
        try await sync()
        let result = try await ChildProcess.run("/usr/bin/journalctl", ["-o", "json", "--all", "--no-pager"] + matches)
        try #require(result.status == 0, "journalctl: \(result.errors)")
        return try result.output.split(separator: UInt8(ascii: "\n")).map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            return try object.mapValues { value in try bytes(of: value) }
        }
    }

    /// journalctl's JSON value: a string (UTF-8 text) or an array of byte values (anything else).
    static func bytes(of value: Any) throws -> [UInt8] {
        if let string = value as? String { return Array(string.utf8) }
        if let numbers = value as? [NSNumber] { return numbers.map(\.uint8Value) }
        Issue.record("unexpected journalctl JSON value \(value)")
        return []
    }
}

extension Dictionary where Key == String, Value == [UInt8] {
    /// A field as text.
    subscript(text name: String) -> String? { self[name].map { String(decoding: $0, as: UTF8.self) } }
}
