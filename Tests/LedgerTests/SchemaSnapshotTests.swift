import Foundation
import GRDB
import Ledger
import Testing

/// The schema as SQLite stores it, against `Snapshots/schema.sql`: a change to the schema must be a
/// new migration and a deliberate re-recording (`RECORD_SNAPSHOTS=1`, which fails the test).
@Test func schemaSnapshot() throws {
    try withStateDirectory { directory in
        do { _ = try RunLedger.open(stateDirectory: directory) }
        let queue = try DatabaseQueue(path: directory + "/" + RunLedger.databaseFileName)
        let schema = try queue.read { db in
            let statements = try String.fetchAll(
                db,
                sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name")
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? -1
            let migrations = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            return "-- user_version \(version); migrations: \(migrations.joined(separator: ", "))\n"
                + statements.map { $0 + ";\n" }.joined()
        }
        try queue.close()
        let snapshot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Snapshots/schema.sql")
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try schema.write(to: snapshot, atomically: true, encoding: .utf8)
            Issue.record("recorded \(snapshot.path); run again without RECORD_SNAPSHOTS")
            return
        }
        #expect(schema == (try String(contentsOf: snapshot, encoding: .utf8)))
    }
}
