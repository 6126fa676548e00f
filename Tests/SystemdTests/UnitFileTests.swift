import Foundation
import Systemd
import Testing

/// The files in `systemd/`, checked by systemd's own tools, offline.
@Suite("systemd/ files", .enabled(if: Paths.which("systemd-analyze") != nil))
struct UnitFileTests {
    static let unit = Paths.packageRoot.appendingPathComponent("systemd/fargate-cron.service")
    static let catalog = Paths.packageRoot.appendingPathComponent("systemd/fargate-cron.catalog")
    static let installedPath = "/usr/local/bin/fargate-cron"

    /// A folder with the unit as shipped, except that ExecStart names the `fargate-cron` this test
    /// run built: verify checks that the binary exists and is executable, and no test may install
    /// into /usr/local/bin.
    static func unitWithBuiltBinary() throws -> URL {
        let text = try String(contentsOf: unit, encoding: .utf8)
        let execStart = "ExecStart=\(installedPath) daemon"
        try #require(text.components(separatedBy: execStart).count == 2, "the unit must say \(execStart) exactly once")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appendingPathComponent("fargate-cron.service")
        try text.replacingOccurrences(of: execStart, with: "ExecStart=\(Paths.fargateCron) daemon")
            .write(to: copy, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func verifyPrintsNothing() async throws {
        let copy = try Self.unitWithBuiltBinary()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let analyze = try #require(Paths.which("systemd-analyze"))
        // Unknown keys and bad values are warnings with exit status 0: any output at all fails.
        let result = try await ChildProcess.run(analyze, ["verify", "--man=no", copy.path])
        #expect(result.status == 0)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.output.isEmpty, "\(String(decoding: result.output, as: UTF8.self))")
    }

    @Test func verifyStillCatchesMistakes() async throws {
        // The check above can fail: the same unit with a misspelt key is reported.
        let copy = try Self.unitWithBuiltBinary()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let broken = try String(contentsOf: copy, encoding: .utf8).replacingOccurrences(of: "PrivateTmp=", with: "PrivateTemp=")
        try broken.write(to: copy, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(try #require(Paths.which("systemd-analyze")), ["verify", "--man=no", copy.path])
        #expect(result.errors.contains("PrivateTemp"))
    }

    @Test func securityExposureIsAtMostTwo() async throws {
        let result = try await ChildProcess.run(
            try #require(Paths.which("systemd-analyze")), ["security", "--offline=yes", Self.unit.path])
        let output = String(decoding: result.output, as: UTF8.self)
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "no score in: \(line)")
        // The issue asks for 4.0 ("OK") at most; the unit reaches 1.1, so hold it to 2.0.
        #expect(score <= 2.0, "\(line)")
    }

    /// The directives the unit must have (issue #6). Every assignment counts: `SystemCallFilter=`
    /// is given twice, an allow list and then a deny list.
    @Test(arguments: [
        ("Type", "notify"), ("WatchdogSec", "60s"), ("Restart", "on-failure"), ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("StateDirectory", "fargate-cron"), ("ConfigurationDirectory", "fargate-cron"),
        ("EnvironmentFile", "-/etc/default/fargate-cron"), ("DynamicUser", "yes"), ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""), ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("SystemCallFilter", "@system-service"), ("SystemCallFilter", "~@privileged @resources"),
    ])
    func theUnitSays(_ key: String, _ value: String) throws {
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let assignments = lines.compactMap { line -> (String, String)? in
            guard let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
        #expect(assignments.contains { $0 == (key, value) }, "\(key)=\(value) is missing")
    }

    @Test func theCatalogExplainsEveryRunEvent() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-root-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let catalogs = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: catalogs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.catalog, to: catalogs.appendingPathComponent("fargate-cron.catalog"))

        let update = try await ChildProcess.run("/usr/bin/journalctl", ["--root=\(root.path)", "--update-catalog"])
        #expect(update.status == 0, "\(update.errors)")
        #expect(update.errors.isEmpty, "\(update.errors)")
        let list = try await ChildProcess.run("/usr/bin/journalctl", ["--root=\(root.path)", "--list-catalog"])
        let ids = String(decoding: list.output, as: UTF8.self).split(separator: "\n").map { String($0.prefix(32)) }
        #expect(ids.sorted() == RunEvent.Kind.allCases.map(\.messageID).sorted())

        let dump = try await ChildProcess.run("/usr/bin/journalctl", ["--root=\(root.path)", "--dump-catalog"])
        let text = String(decoding: dump.output, as: UTF8.self)
        for kind in RunEvent.Kind.allCases {
            #expect(text.contains("-- \(kind.messageID)\nSubject: "), "\(kind) has no entry")
        }
        #expect(text.contains("Defined-By: fargate-cron"))
    }
}
