import Foundation
import Ledger
import RunModel
import SeededRandom
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A child process records runs in a loop (`ledger-crash-writer`) and is killed with SIGKILL at
/// random moments, 200 times. After every kill the ledger must open, pass `integrity_check`, hold
/// no slot twice and no job with two active runs, and contain every transition the child reported
/// as committed. (SIGKILL tests a process crash; the kernel keeps what was written. Power loss is
/// what `synchronous=FULL` is for and cannot be simulated here.)
@Suite struct CrashTests {
    /// One line the child printed after a commit.
    struct Committed: Hashable {
        var run: RunID, state: RunState, job: String, scheduledMs: Int64
        init?(_ line: Substring) {
            let parts = line.split(separator: " ")
            guard parts.count == 4, let id = Int64(parts[0]), let state = RunState(rawValue: String(parts[1])),
                let ms = Int64(parts[3])
            else { return nil }
            (run, self.state, job, scheduledMs) = (RunID(rawValue: id), state, String(parts[2]), ms)
        }
    }

    @Test func surviveTwoHundredKills() throws {
        let writer = builtProduct("ledger-crash-writer")
        try #require(FileManager.default.isExecutableFile(atPath: writer), "build it first: \(writer)")
        // A fixed seed, so that a failure can be replayed; the kill moments still vary with the machine.
        var random = SplitMix64(seed: 0x5EED_4A11)
        try withStateDirectory { directory in
            var everything: [Committed] = []
            var killedBeforeReady = 0
            var killedWhileRecording = 0
            for kill in 1...200 {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: writer)
                child.arguments = [directory]
                let output = Pipe()
                let errors = Pipe()
                child.standardOutput = output
                child.standardError = errors
                try child.run()
                var received = Data()
                // One kill in five lands during start-up (open, migration, reconciliation); the
                // others after `ready`, in the middle of the recording loop.
                if random.next() % 5 != 0 {
                    while !String(decoding: received, as: UTF8.self).contains("ready\n") {
                        let chunk = output.fileHandleForReading.availableData
                        if chunk.isEmpty {
                            let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                            Issue.record("kill \(kill): the writer exited before ready: \(why)")
                            return
                        }
                        received.append(chunk)
                    }
                } else {
                    killedBeforeReady += 1
                }
                // The random moment of the kill: this delay is the experiment, not a wait for something.
                usleep(UInt32(random.next() % 40_000))
                #expect(Glibc.kill(child.processIdentifier, SIGKILL) == 0)
                received.append(output.fileHandleForReading.readDataToEndOfFile())
                child.waitUntilExit()
                let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(
                    child.terminationReason == .uncaughtSignal, "kill \(kill): the writer stopped by itself: \(stderr)")
                let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
                let committed = lines.compactMap(Committed.init)
                if lines.last.map({ Committed($0) != nil }) == true { killedWhileRecording += 1 }
                everything += committed
                try verify(directory, reported: everything, after: kill)
            }
            #expect(killedBeforeReady > 20)
            #expect(killedWhileRecording > 100, "too few kills landed inside the recording loop")
            #expect(Set(everything.map(\.run)).count > 150, "too few runs recorded to mean anything")
        }
    }

    private func verify(_ directory: String, reported: [Committed], after kill: Int) throws {
        let ledger = try RunLedger.open(stateDirectory: directory)
        #expect(try ledger.integrityReport() == ["ok"], "kill \(kill)")
        let runs = try ledger.history(limit: Int.max)
        let slots = Dictionary(grouping: runs, by: \.slot).filter { $0.value.count > 1 }
        #expect(slots.isEmpty, "kill \(kill): slots recorded twice: \(slots.keys)")
        let active = Dictionary(grouping: try ledger.activeRuns(), by: \.job).filter { $0.value.count > 1 }
        #expect(active.isEmpty, "kill \(kill): jobs with two active runs: \(active.keys)")
        let byID = Dictionary(uniqueKeysWithValues: runs.map { ($0.id, $0) })
        for committed in reported {
            guard let run = byID[committed.run] else {
                Issue.record("kill \(kill): run \(committed.run) was reported committed and is gone")
                continue
            }
            #expect(
                run.job == committed.job
                    && run.scheduledAt.timeIntervalSince1970 * 1000 == Double(committed.scheduledMs))
            #expect(
                committed.state.canReach(run.state),
                "kill \(kill): run \(run.id) is \(run.state), was \(committed.state)")
            switch committed.state {
            case .started: #expect(run.handle?.uid == "uid-\(run.id)", "kill \(kill): run \(run.id)")
            case .running: #expect(run.pod != nil && run.runningAt != nil, "kill \(kill): run \(run.id)")
            case .skipped: #expect(run.blockedBy != nil, "kill \(kill): run \(run.id)")
            default: break
            }
        }
    }
}
