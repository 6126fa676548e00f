import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The run ledger: one SQLite database (`ledger.sqlite`, WAL mode) in the state directory that
/// records every slot of every job and what became of it.
///
/// ```swift
/// let ledger = try RunLedger.open(stateDirectory: "/var/lib/fargate-cron")
/// for run in ledger.runsToReconcile { … }                     // non-terminal runs at open
/// let run = try ledger.recordIntent(for: Slot(job: "nightly-report", scheduledAt: slot),
///                                   policy: .forbid, trigger: .scheduled, at: now)
/// try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "batch/\(name)")), for: run.id, at: now)
/// ```
///
/// Guarantees, held by the schema rather than by this code: a slot is recorded at most once
/// (`UNIQUE(job, scheduled_at)`), and under `forbid` a job has at most one active run (a partial
/// unique index). Every change is committed with `synchronous=FULL` before the call returns.
/// Only one process may open a state directory for writing (``StateDirectoryLock``); any number may
/// open it for reading while it writes. All calls are synchronous and take milliseconds (an
/// `fsync` per change); the ledger is safe to share between tasks and threads.
public final class RunLedger: Sendable {
    /// The file name of the database inside the state directory.
    public static let databaseFileName = "ledger.sqlite"
    /// The schema version this code writes and understands (`PRAGMA user_version`).
    public static let supportedSchemaVersion = 5
    /// How long runs are kept by default before ``prune(olderThan:batchSize:)`` may remove them.
    public static let defaultRetention: Duration = .seconds(90 * 24 * 3600)

    /// The database file's path.
    public let databasePath: String
    /// The runs that were not terminal when the ledger was opened: the daemon reconciles them
    /// against the cluster before scheduling anything.
    public let runsToReconcile: [Run]
    /// The host this ledger's writer runs on: recorded as the host that started or finished each
    /// run it records (`started_by`, `finished_by`), so that with several hosts `history` says who.
    public let host: String?

    let reader: any DatabaseReader
    let writer: DatabasePool?
    private let lock: StateDirectoryLock?

    private init(
        path: String, reader: any DatabaseReader, writer: DatabasePool?, lock: StateDirectoryLock?, host: String? = nil
    ) {
        databasePath = path
        self.reader = reader
        self.writer = writer
        self.lock = lock
        self.host = host
        runsToReconcile = []
    }

    /// The select list of a run in `db` (``Run/columns(forSchemaVersion:)``). A writer has migrated
    /// its file to this code's schema when it opened it. A reader reads the file's version in the
    /// same transaction as its query: the daemon may migrate an older file between two of the
    /// reader's queries (or create a new one, migration by migration), and v3 rebuilds the table, so
    /// v2's column names are gone after it.
    func runColumns(in db: Database) throws -> String {
        guard writer == nil else { return Run.columns }
        return Run.columns(forSchemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
    }

    private init(copying ledger: RunLedger, runsToReconcile: [Run]) {
        databasePath = ledger.databasePath
        reader = ledger.reader
        writer = ledger.writer
        lock = ledger.lock
        host = ledger.host
        self.runsToReconcile = runsToReconcile
    }

    /// Opens (creating if needed) the ledger in `stateDirectory` for writing: takes the writer lock,
    /// creates the directory 0700 and the database 0600, runs `PRAGMA quick_check`, migrates the
    /// schema, and lists the runs to reconcile.
    /// - Throws: ``LedgerError/stateDirectoryLocked(lockFile:holderPID:)`` if another daemon uses
    ///   the directory; ``LedgerError/notADatabase(path:)``,
    ///   ``LedgerError/integrityCheckFailed(path:problems:)``,
    ///   ``LedgerError/schemaFromNewerVersion(path:found:supported:)``,
    ///   ``LedgerError/stateDirectoryUnusable(path:operation:errno:)``, ``LedgerError/diskFull(path:)``.
    /// - Parameter host: the host's name, recorded with every run this ledger starts or finishes
    ///   (nil records none).
    public static func open(stateDirectory: String, host: String? = nil) throws(LedgerError) -> RunLedger {
        let lock = try StateDirectoryLock(directory: stateDirectory, processID: getpid())
        let path = stateDirectory + "/" + databaseFileName
        try createPrivateFile(path, directory: stateDirectory)
        // Check the file before the pool opens it: GRDB's WAL set-up writes to the database (and
        // sets synchronous=NORMAL), which must not touch a file we are about to refuse.
        try translating(path: path) {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in
                try checkIntegrity(db, path: path)
                try refuseNewerSchema(db, path: path)
            }
            try queue.close()
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let pool = try translating(path: path) { try DatabasePool(path: path, configuration: configuration) }
        let ledger = RunLedger(path: path, reader: pool, writer: pool, lock: lock, host: host)
        try ledger.translating {
            // Every commit reaches the disk (the WAL is fsynced) before the daemon acts on it. Set
            // after the pool is open because GRDB's WAL set-up lowers it to NORMAL; the pool has a
            // single writer connection, so it holds for every write.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try migrator.migrate(pool)
        }
        return RunLedger(copying: ledger, runsToReconcile: try ledger.activeRuns())
    }

    /// Opens the ledger in `stateDirectory` for reading only, without the writer lock, so that
    /// `history` and `status` work while the daemon writes. Skips the integrity check (the writer
    /// runs it) to stay fast on large ledgers.
    /// - Throws: ``LedgerError/noLedger(path:)`` when there is none yet, and the errors of
    ///   ``open(stateDirectory:)`` about the file itself.
    public static func openForReading(stateDirectory: String) throws(LedgerError) -> RunLedger {
        let path = stateDirectory + "/" + databaseFileName
        guard access(path, F_OK) == 0 else { throw .noLedger(path: path) }
        let queue: DatabaseQueue
        let version: Int
        do throws(LedgerError) {
            (queue, version) = try openReadOnly(path, sqlitePath: path)
        } catch .database(_, let code, _) where code & 0xFF == 14 && access(path + "-wal", F_OK) != 0 {
            // SQLITE_CANTOPEN: a WAL database without its -wal file on a read-only file system
            // (SQLite cannot create the -shm). With no -wal there is nothing beyond the main file, and
            // no writer can exist on a read-only file system, so opening it immutable is exact.
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            (queue, version) = try openReadOnly(path, sqlitePath: "file:\(encoded)?immutable=1")
        }
        let ledger = RunLedger(path: path, reader: queue, writer: nil, lock: nil)
        guard version > 0 else { throw .noLedger(path: path) }
        return ledger
    }

    private static func openReadOnly(_ path: String, sqlitePath: String) throws(LedgerError) -> (DatabaseQueue, Int) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try translating(path: path) {
            let queue = try DatabaseQueue(path: sqlitePath, configuration: configuration)
            return (queue, try queue.read { try refuseNewerSchema($0, path: path) })
        }
    }

    /// The writer, or ``LedgerError/openedForReading`` for a read-only ledger.
    func requireWriter() throws(LedgerError) -> DatabasePool {
        guard let writer else { throw .openedForReading }
        return writer
    }

    /// Runs `body`, turning GRDB's and SQLite's errors into ``LedgerError`` values about this ledger.
    func translating<T>(_ body: () throws -> T) throws(LedgerError) -> T {
        try Self.translating(path: databasePath, body)
    }

    static func translating<T>(path: String, _ body: () throws -> T) throws(LedgerError) -> T {
        do {
            return try body()
        } catch let error as LedgerError {
            throw error
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL: throw .diskFull(path: path)
            case .SQLITE_NOTADB: throw .notADatabase(path: path)
            default:
                throw .database(
                    path: path, code: error.extendedResultCode.rawValue, message: error.message ?? "\(error)")
            }
        } catch {
            throw .database(path: path, code: -1, message: "\(error)")
        }
    }

    private static func checkIntegrity(_ db: Database, path: String) throws {
        let report: [String]
        do {
            report = try String.fetchAll(db, sql: "PRAGMA quick_check")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            // Some damage stops the check itself rather than being listed by it: the same verdict.
            throw LedgerError.integrityCheckFailed(path: path, problems: [error.message ?? "\(error)"])
        }
        guard report == ["ok"] else { throw LedgerError.integrityCheckFailed(path: path, problems: report) }
    }

    /// Throws if the file's schema is newer than this code's; returns its version.
    @discardableResult
    private static func refuseNewerSchema(_ db: Database, path: String) throws -> Int {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        guard version <= supportedSchemaVersion, try !migrator.hasBeenSuperseded(db) else {
            throw LedgerError.schemaFromNewerVersion(path: path, found: version, supported: supportedSchemaVersion)
        }
        return version
    }

    /// Creates the database file 0600 before SQLite does (SQLite gives its `-wal` and `-shm` files
    /// the database file's mode), or tightens an existing one to 0600.
    private static func createPrivateFile(_ path: String, directory: String) throws(LedgerError) {
        let fd = openFile(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .stateDirectoryUnusable(path: directory, operation: "create \(path)", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .stateDirectoryUnusable(path: directory, operation: "stat \(path)", errno: errno)
        }
        if info.st_mode & 0o777 != 0o600, fchmod(fd, 0o600) != 0 {
            throw .stateDirectoryUnusable(path: directory, operation: "chmod 0600 \(path)", errno: errno)
        }
    }
}
