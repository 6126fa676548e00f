// ledger-bench: the driver of scripts/bench/ledger (run it from a release build).
//
//   ledger-bench transitions DIR RUNS     RUNS runs through intended→started→running→succeeded,
//                                         each change its own durable commit; prints transitions/s
//   ledger-bench fill DIR RUNS JOBS       bulk-inserts RUNS finished runs over JOBS jobs in one transaction
//   ledger-bench history DIR JOB COUNT    COUNT times: open read-only + history(job:limit:50); prints ms
//   ledger-bench open DIR                 times a writer open (quick_check + migration) on DIR
import Foundation
import GRDB
import Ledger
import RunModel

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ledger-bench: \(message)\n".utf8))
    exit(2)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first, arguments.count >= 2 else {
    fail("usage: see the comment at the top of main.swift")
}
let directory = arguments[arguments.startIndex + 1]
let rest = Array(arguments.dropFirst(2))
let base = Date(timeIntervalSince1970: 1_798_761_600)

do {
    switch command {
    case "transitions":
        guard let runs = rest.first.flatMap(Int.init) else { fail("transitions DIR RUNS") }
        let ledger = try RunLedger.open(stateDirectory: directory)
        let elapsed = try seconds {
            for index in 0..<runs {
                let at = base.addingTimeInterval(Double(index) * 60)
                let run = try ledger.recordIntent(for: Slot(job: "bench", scheduledAt: at), policy: .forbid, at: at)
                try ledger.record(.started(RunHandle(executor: .kubernetes, reference: "bench-\(index)", uid: "uid-\(index)")), for: run.id, at: at)
                try ledger.record(.running(pod: "bench-\(index)-pod", capacity: "0.25vCPU 0.5GB"), for: run.id, at: at)
                try ledger.record(.succeeded, for: run.id, at: at)
            }
        }
        print(
            String(
                format: "transitions %d in %.3f s: %.0f durable transitions/s", runs * 4, elapsed,
                Double(runs * 4) / elapsed))
    case "fill":
        guard rest.count == 2, let runs = Int(rest[0]), let jobs = Int(rest[1]) else { fail("fill DIR RUNS JOBS") }
        do { _ = try RunLedger.open(stateDirectory: directory) }  // creates the schema
        let queue = try DatabaseQueue(path: directory + "/" + RunLedger.databaseFileName)
        let elapsed = try seconds {
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = OFF")
                try db.inTransaction {
                    let insert = try db.makeStatement(
                        sql: """
                            INSERT INTO run (job, scheduled_at, trigger, policy, state, recorded_at, created_at,
                                             running_at, finished_at, executor, handle, handle_uid, pod, exit_code)
                            VALUES (?, ?, 'scheduled', 'forbid', ?, ?, ?, ?, ?, 'kubernetes', ?, ?, ?, ?)
                            """)
                    for index in 0..<runs {
                        let job = "job-\(index % jobs)"
                        let ms = (base.timeIntervalSince1970 * 1000).rounded() + Double(index / jobs) * 60_000
                        let at = Int64(ms)
                        let failed = index % 10 == 0
                        try insert.execute(arguments: [
                            job, at, failed ? "failed" : "succeeded", at, at + 1000, at + 30_000, at + 90_000,
                            "\(job)-\(index)", "uid-\(index)", "\(job)-\(index)-pod", failed ? 1 : 0,
                        ])
                    }
                    return .commit
                }
            }
        }
        try queue.close()
        print(String(format: "filled %d runs over %d jobs in %.2f s", runs, jobs, elapsed))
    case "history":
        guard rest.count == 2, let count = Int(rest[1]) else { fail("history DIR JOB COUNT") }
        var samples: [Double] = []
        for _ in 0..<count {
            var returned = 0
            samples.append(
                try seconds {
                    let reader = try RunLedger.openForReading(stateDirectory: directory)
                    returned = try reader.history(job: rest[0], limit: 50).count
                } * 1000)
            guard returned == 50 else { fail("history returned \(returned) runs, expected 50") }
        }
        samples.sort()
        print(
            String(
                format:
                    "history --limit 50 in-process (open + query) over %d calls: median %.3f ms, p99 %.3f ms, max %.3f ms",
                count, samples[count / 2], samples[min(count - 1, count * 99 / 100)], samples[count - 1]))
    case "open":
        let elapsed = try seconds { _ = try RunLedger.open(stateDirectory: directory) }
        print(String(format: "writer open (quick_check + migration check) in %.0f ms", elapsed * 1000))
    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("\(error)")
}
