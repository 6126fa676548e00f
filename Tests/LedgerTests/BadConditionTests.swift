import Foundation
import GRDB
import Ledger
import RunModel
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each bad condition gives a clear error and damages nothing already recorded.
@Suite struct BadConditionTests {
    static let mountSkipReason: Comment = "mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN)"

    @Test(.enabled(if: tmpfsMountsArePermitted, mountSkipReason))
    func readOnlyStateDirectory() throws {
        try withTmpfs(size: "2m") { mount in
            let directory = mount + "/state"
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                for slot in 0..<3 { try makeRun(in: ledger, slot: slot, reaching: .succeeded) }
            }
            let remounted = try run("/bin/mount", ["-o", "remount,ro", mount])
            try #require(remounted.status == 0, "\(remounted.stderr)")
            #expect(
                throws: LedgerError.stateDirectoryUnusable(
                    path: directory, operation: "open \(directory)/ledger.lock", errno: EROFS)
            ) {
                try RunLedger.open(stateDirectory: directory)
            }
            let message = LedgerError.stateDirectoryUnusable(
                path: directory, operation: "open \(directory)/ledger.lock", errno: EROFS
            ).description
            #expect(
                message
                    == "cannot use state directory \(directory): open \(directory)/ledger.lock failed: Read-only file system"
            )
            #expect(
                throws: LedgerError.stateDirectoryUnusable(path: mount + "/fresh", operation: "mkdir", errno: EROFS)
            ) {
                try RunLedger.open(stateDirectory: mount + "/fresh")
            }
            // Readers still see everything.
            #expect(try RunLedger.openForReading(stateDirectory: directory).history().count == 3)
            try #require(try run("/bin/mount", ["-o", "remount,rw", mount]).status == 0)
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.integrityReport() == ["ok"])
            #expect(try ledger.history().map(\.state) == [.succeeded, .succeeded, .succeeded])
        }
    }

    @Test(.enabled(if: tmpfsMountsArePermitted, mountSkipReason))
    func diskFull() throws {
        try withTmpfs(size: "400k") { mount in
            let directory = mount + "/state"
            var committed: [RunID] = []
            var failure: LedgerError?
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                let reason = String(repeating: "a reason long enough to fill pages quickly ", count: 20)
                for slot in 0..<100_000 {
                    do throws(LedgerError) {
                        let run = try ledger.recordIntent(
                            for: Slot(job: "fill", scheduledAt: minute(slot)), policy: .allow, at: t0)
                        committed.append(run.id)
                        try ledger.record(.failed(exitCode: 1, reason: reason), for: run.id, at: t0)
                    } catch {
                        failure = error
                        break
                    }
                }
            }
            try #require(failure != nil, "the file system never filled up")
            #expect(failure == .diskFull(path: directory + "/ledger.sqlite"), "\(String(describing: failure))")
            #expect(
                failure?.description
                    == "the file system holding \(directory)/ledger.sqlite is full; the last change was not recorded")
            try #require(try run("/bin/mount", ["-o", "remount,size=32m", mount]).status == 0)
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(try ledger.integrityReport() == ["ok"])
            let runs = try ledger.history(limit: Int.max)
            #expect(Set(runs.map(\.id)).isSuperset(of: committed))
            #expect(runs.count == committed.count)
            try ledger.recordIntent(for: Slot(job: "fill", scheduledAt: minute(-1)), policy: .allow, at: t0)
        }
    }

    @Test func garbageInsteadOfTheDatabase() throws {
        try withStateDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let path = directory + "/ledger.sqlite"
            let garbage = Data(String(repeating: "this is not an SQLite database\n", count: 300).utf8)
            try garbage.write(to: URL(fileURLWithPath: path))
            #expect(throws: LedgerError.notADatabase(path: path)) { try RunLedger.open(stateDirectory: directory) }
            #expect(throws: LedgerError.notADatabase(path: path)) {
                try RunLedger.openForReading(stateDirectory: directory)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
            #expect(
                LedgerError.notADatabase(path: path).description
                    == "\(path) is not an SQLite database (was it replaced?); it was left untouched")
        }
    }

    /// A file that is still an SQLite database but has a damaged page: the quick check on open
    /// refuses it, and the file is left as it was. Some damage stops the check itself (SQLite says
    /// the image is malformed); some is listed by it, page by page.
    @Test(arguments: ["zeroed", "garbled cell pointers"])
    func aDamagedPageFailsTheIntegrityCheckOnOpen(damage: String) throws {
        try withStateDirectory { directory in
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                for slot in 0..<300 { try makeRun(in: ledger, job: "report", slot: slot, reaching: .suspended) }
            }
            let path = directory + "/ledger.sqlite"
            // Closing the ledger checkpointed the WAL: every page is in the main file.
            try #require(!FileManager.default.fileExists(atPath: path + "-wal"))
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let pageSize = Int(bytes[16]) << 8 | Int(bytes[17])
            try #require(bytes.count / pageSize > 4, "\(bytes.count) bytes")
            // The header stays valid: the last page (a b-tree page of the runs) is zeroed, or the
            // cell pointers of the scheduled-time index's root page are garbled.
            let page: Int
            if damage == "zeroed" {
                page = bytes.count / pageSize
            } else {
                let queue = try DatabaseQueue(path: path)
                page = try #require(
                    try queue.read {
                        try Int.fetchOne($0, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'run_by_scheduled_at'")
                    })
                try queue.close()
            }
            let start = (page - 1) * pageSize
            if damage == "zeroed" {
                bytes.replaceSubrange(start..<(start + pageSize), with: Data(count: pageSize))
            } else {
                bytes.replaceSubrange((start + 8)..<(start + 40), with: Data(repeating: 0xFF, count: 32))
            }
            try bytes.write(to: URL(fileURLWithPath: path))
            do throws(LedgerError) {
                _ = try RunLedger.open(stateDirectory: directory)
                Issue.record("a ledger with a damaged page was opened")
            } catch {
                guard case .integrityCheckFailed(let failedPath, let problems) = error else {
                    Issue.record("expected integrityCheckFailed, got \(error)")
                    return
                }
                #expect(failedPath == path)
                let text = problems.joined(separator: "\n").lowercased()
                #expect(!problems.isEmpty && problems != ["ok"])
                // The listed form names the damaged page.
                if damage != "zeroed" { #expect(text.contains("page \(page)"), "\(problems)") }
                #expect(error.description.hasPrefix("\(path) failed its integrity check: "))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "the refused file was changed")
        }
    }

    @Test(arguments: ["user_version", "unknown migration"])
    func databaseFromANewerVersion(marker: String) throws {
        try withStateDirectory { directory in
            do {
                let ledger = try RunLedger.open(stateDirectory: directory)
                try makeRun(in: ledger, slot: 1, reaching: .running)
            }
            let path = directory + "/ledger.sqlite"
            do {
                let queue = try DatabaseQueue(path: path)
                try queue.write { db in
                    if marker == "user_version" {
                        try db.execute(sql: "PRAGMA user_version = \(RunLedger.supportedSchemaVersion + 1)")
                    } else {
                        try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9: from the future')")
                    }
                }
                try queue.close()
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let supported = RunLedger.supportedSchemaVersion
            let found = marker == "user_version" ? supported + 1 : supported
            let refusal = LedgerError.schemaFromNewerVersion(path: path, found: found, supported: supported)
            #expect(throws: refusal) { try RunLedger.open(stateDirectory: directory) }
            #expect(throws: refusal) { try RunLedger.openForReading(stateDirectory: directory) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(refusal.description.contains("newer than the \(supported) this fargate-cron knows"))
        }
    }

    @Test func secondWriterInTheSameProcess() throws {
        try withStateDirectory { directory in
            let first = try RunLedger.open(stateDirectory: directory)
            let lock = directory + "/ledger.lock"
            #expect(throws: LedgerError.stateDirectoryLocked(lockFile: lock, holderPID: getpid())) {
                try RunLedger.open(stateDirectory: directory)
            }
            #expect(
                LedgerError.stateDirectoryLocked(lockFile: lock, holderPID: 4242).description
                    == "another fargate-cron daemon (pid 4242) is using this state directory: \(lock) is locked")
            try makeRun(in: first, slot: 1, reaching: .succeeded)
        }
    }

    /// A second daemon is refused while another process writes; readers work meanwhile; the lock
    /// goes with the holder when it dies.
    @Test func secondDaemonWhileAnotherProcessWrites() throws {
        let writer = builtProduct("ledger-crash-writer")
        try #require(FileManager.default.isExecutableFile(atPath: writer), "build it first: \(writer)")
        try withStateDirectory { directory in
            let child = Process()
            child.executableURL = URL(fileURLWithPath: writer)
            child.arguments = [directory]
            let output = Pipe()
            child.standardOutput = output
            try child.run()
            defer {
                if child.isRunning { kill(child.processIdentifier, SIGKILL) }
                child.waitUntilExit()
            }
            var received = Data()
            while !String(decoding: received, as: UTF8.self).contains("ready\n") {
                let chunk = output.fileHandleForReading.availableData
                try #require(!chunk.isEmpty, "the writer exited before ready")
                received.append(chunk)
            }
            #expect(
                throws: LedgerError.stateDirectoryLocked(
                    lockFile: directory + "/ledger.lock", holderPID: child.processIdentifier)
            ) {
                try RunLedger.open(stateDirectory: directory)
            }
            // Readers see a growing history while the writer commits: each read opens the ledger
            // afresh, and reads go on until one sees more runs than the first did (bounded).
            var seen = 0
            var first: Int?
            let deadline = ContinuousClock.now + .seconds(20)
            repeat {
                let reader = try RunLedger.openForReading(stateDirectory: directory)
                let count = try reader.history(limit: Int.max).count
                #expect(count >= seen)
                seen = count
                if first == nil { first = count }
                #expect(throws: LedgerError.openedForReading) {
                    try reader.recordIntent(for: Slot(job: "x", scheduledAt: t0), policy: .forbid, at: t0)
                }
            } while seen <= first! && ContinuousClock.now < deadline
            #expect(seen > first!, "no reader saw the writer's commits")
            #expect(child.isRunning, "the writer stopped while readers read")
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let ledger = try RunLedger.open(stateDirectory: directory)
            #expect(ledger.runsToReconcile.count <= 1)
            #expect(try ledger.history(limit: Int.max).count >= seen)
        }
    }

    @Test func noLedgerYetForReaders() throws {
        try withStateDirectory { directory in
            #expect(throws: LedgerError.noLedger(path: directory + "/ledger.sqlite")) {
                try RunLedger.openForReading(stateDirectory: directory)
            }
            #expect(!FileManager.default.fileExists(atPath: directory), "a reader must not create the state directory")
        }
    }

    @Test func filesArePrivate() throws {
        try withStateDirectory { directory in
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o755])
            let ledger = try RunLedger.open(stateDirectory: directory)
            try makeRun(in: ledger, slot: 1, reaching: .started)
            func mode(_ path: String) throws -> Int {
                (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
            }
            #expect(try mode(directory) == 0o700)
            for file in ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.lock"] {
                #expect(try mode(directory + "/" + file) == 0o600, "\(file)")
            }
        }
    }
}
