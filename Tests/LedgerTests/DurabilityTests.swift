import GRDB
import Testing

@testable import Ledger

/// Regression: GRDB's WAL set-up sets `synchronous = NORMAL` after `prepareDatabase` runs, which
/// silently made commits non-durable until the ledger set FULL after opening the pool.
@Test func test_writer_is_synchronous_full_bug_grdb_wal_setup() throws {
    try withStateDirectory { directory in
        let ledger = try RunLedger.open(stateDirectory: directory)
        let writer = try #require(ledger.writer)
        // 2 is FULL (https://www.sqlite.org/pragma.html#pragma_synchronous).
        #expect(try writer.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }
}
