// make-v2-ledger STATE_DIR
//
// Writes Tests/LedgerTests/Fixtures/v2/ledger.sqlite: a ledger of schema v2 made by the code of
// main at 3f4e1ed (the last release with schema v2), through its own RunLedger API, holding one run
// of every kind that code could write: kubernetes runs in every state (with pod reports, billed
// durations and prices), local runs (whose process identity v2 kept in kubernetes_job, with
// 'local' in kubernetes_uid), runs still active in each active state, skipped, missed, suspended
// and replaced slots, manual triggers, and runs recorded under each concurrency policy. It was run
// once, with that commit's Package.swift plus this target, and its output committed; it is kept
// here to say how the fixture was made (it does not build against later schemas).
import Foundation
import Ledger

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: make-v2-ledger STATE_DIR\n".utf8))
    exit(2)
}
let ledger = try RunLedger.open(stateDirectory: CommandLine.arguments[1])
// Fixed instants: 2026-11-29T00:00:00Z plus minutes.
let base = Date(timeIntervalSince1970: 1_795_910_400)
func at(_ minute: Double, _ seconds: Double = 0) -> Date { base.addingTimeInterval(minute * 60 + seconds) }
func slot(_ job: String, _ minute: Double) -> Slot { Slot(job: job, scheduledAt: at(minute)) }

// 1. A kubernetes run that succeeded, with its pod report and a price.
var run = try ledger.recordIntent(for: slot("nightly-report", 0), policy: .forbid, at: at(0, 0.01))
try ledger.record(.started(kubernetesJob: "batch/nightly-report-29931840", uid: "kubernetes"), for: run.id, at: at(0, 0.4))
try ledger.record(.running(pod: "nightly-report-29931840-x7k2p", capacity: nil), for: run.id, at: at(0, 31))
try ledger.record(.succeeded, for: run.id, at: at(2, 10))
try ledger.recordReport(
    PodReport(
        kubernetesUID: "6f1c2b9e-0d1a-4e52-9a51-1b2c3d4e5f60", pod: "nightly-report-29931840-x7k2p", podCount: 1,
        node: "fargate-ip-10-0-1-23.ec2.internal", capacity: "0.25vCPU 0.5GB", podCreatedAt: at(0, 0.5),
        podScheduledAt: at(0, 20), runningAt: at(0, 31), podFinishedAt: at(2, 9), podDeletedAt: at(2, 11),
        billedDuration: .seconds(111), estimatedPrice: EstimatedPrice(microdollars: 444), failure: nil,
        outputLines: 3),
    for: run.id, at: at(2, 12))

// 2. A kubernetes run that failed (out of memory, after a retry: two pods), reported.
run = try ledger.recordIntent(for: slot("sync-users", 15), policy: .forbid, at: at(15))
try ledger.record(.started(kubernetesJob: "batch/sync-users-29931855", uid: "kubernetes"), for: run.id, at: at(15, 0.3))
try ledger.record(.running(pod: "sync-users-29931855-aaaaa", capacity: "0.5vCPU 1GB"), for: run.id, at: at(15, 25))
try ledger.record(.failed(exitCode: 137, reason: "OOMKilled: the container went over its memory limit"), for: run.id, at: at(17))
try ledger.recordReport(
    PodReport(
        kubernetesUID: "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", pod: "sync-users-29931855-bbbbb", podCount: 2,
        node: "fargate-ip-10-0-2-7.ec2.internal", capacity: "0.5vCPU 1GB", podCreatedAt: at(16), podScheduledAt: at(16, 10),
        runningAt: at(16, 20), podFinishedAt: at(16, 59), podDeletedAt: at(17, 1), billedDuration: .seconds(180),
        estimatedPrice: nil, failure: .outOfMemory, outputLines: 120),
    for: run.id, at: at(17, 2))

// 3. A kubernetes run that was evicted (a platform failure), with a billed duration recorded on its own.
run = try ledger.recordIntent(for: slot("sync-users", 30), policy: .forbid, at: at(30))
try ledger.record(.started(kubernetesJob: "batch/sync-users-29931870", uid: "kubernetes"), for: run.id, at: at(30, 0.2))
try ledger.record(.failed(exitCode: nil, reason: "platform failure: the pod was evicted"), for: run.id, at: at(31))
try ledger.recordBilledDuration(.seconds(60), for: run.id)
try ledger.recordReport(PodReport(podCount: 1, failure: .evicted, outputLines: 0), for: run.id, at: at(31, 1))

// 4. A local run that succeeded: v2 kept its process identity as the "Job name", 'local' as the uid.
run = try ledger.recordIntent(for: slot("backup", 0), policy: .forbid, at: at(0))
try ledger.record(.started(kubernetesJob: "pid=4242 start=987654", uid: "local"), for: run.id, at: at(0, 0.002))
try ledger.record(.succeeded, for: run.id, at: at(0, 3))

// 5. A local run that failed with an exit status, and one cancelled by a shutdown.
run = try ledger.recordIntent(for: slot("backup", 60), policy: .forbid, at: at(60))
try ledger.record(.started(kubernetesJob: "pid=5151 start=1000001", uid: "local"), for: run.id, at: at(60, 0.002))
try ledger.record(.failed(exitCode: 2, reason: "it exited with status 2"), for: run.id, at: at(60, 4))
run = try ledger.recordIntent(for: slot("backup", 120), policy: .forbid, at: at(120))
try ledger.record(.started(kubernetesJob: "pid=6161 start=1000002", uid: "local"), for: run.id, at: at(120, 0.002))
try ledger.record(.cancelled(reason: "the daemon is stopping"), for: run.id, at: at(121))

// 6. A manual trigger (a kubernetes run), replaced by the next scheduled slot under `replace`.
let manual = try ledger.recordIntent(for: slot("warm-cache", 44.5), policy: .replace, trigger: .manual, at: at(44.5))
try ledger.record(.started(kubernetesJob: "batch/warm-cache-1795913070", uid: "kubernetes"), for: manual.id, at: at(44.5, 0.3))
try ledger.record(.running(pod: "warm-cache-1795913070-q1w2e", capacity: "0.25vCPU 0.5GB"), for: manual.id, at: at(44.5, 30))
let replacing = try ledger.recordIntent(for: slot("warm-cache", 45), policy: .replace, at: at(45))
try ledger.record(.replaced(by: replacing.id), for: manual.id, at: at(45, 0.1))
try ledger.record(.started(kubernetesJob: "batch/warm-cache-29931885", uid: "kubernetes"), for: replacing.id, at: at(45, 0.4))
try ledger.record(.succeeded, for: replacing.id, at: at(46))

// 7. Slots that never ran: skipped (blocked by a run), missed (the daemon was down), suspended.
let blocking = try ledger.recordIntent(for: slot("heartbeat", 200), policy: .forbid, at: at(200))
try ledger.record(.started(kubernetesJob: "pid=7171 start=1000003", uid: "local"), for: blocking.id, at: at(200, 0.002))
try ledger.record(.skipped(blockedBy: blocking.id), for: slot("heartbeat", 201), policy: .forbid, at: at(201))
try ledger.record(.succeeded, for: blocking.id, at: at(201, 30))
try ledger.record(.missed(reason: "it was passed over and the catch-up policy is latest"), for: slot("nightly-report", -1440),
                  policy: .forbid, at: at(1))
try ledger.record(.suspended, for: slot("poll-queue", 3), policy: .forbid, at: at(3))

// 8. An intended run found too late after a restart: missed.
run = try ledger.recordIntent(for: slot("poll-queue", 4.5), policy: .allow, at: at(4.5))
try ledger.record(.missed(reason: "it was 2h late, past the starting deadline"), for: run.id, at: at(125))

// 9. A herd: intents and starts in one transaction each, under `allow`.
let herd = try ledger.recordIntents(
    (0..<3).map { IntentRequest(slot: Slot(job: "herd-\($0)", scheduledAt: at(300)), policy: .allow) }, at: at(300, 0.001)
).map { try $0.get() }
_ = try ledger.recordStarts(herd.enumerated().map { index, run in
    StartRecord(run: run.id, kubernetesJob: "pid=\(8000 + index) start=\(2_000_000 + index)", uid: "local", startedAt: at(300, 0.01))
})
for run in herd { try ledger.record(.succeeded, for: run.id, at: at(300, 2)) }

// 10. Runs still active when the daemon stopped: a kubernetes run intended (its Job never created
//     before the crash), one started, one running; a local run started.
_ = try ledger.recordIntent(for: slot("nightly-report", 1440), policy: .forbid, at: at(1440))
run = try ledger.recordIntent(for: slot("sync-users", 1440), policy: .forbid, at: at(1440))
try ledger.record(.started(kubernetesJob: "batch/sync-users-29933280", uid: "kubernetes"), for: run.id, at: at(1440, 0.3))
run = try ledger.recordIntent(for: slot("warm-cache", 1440), policy: .replace, at: at(1440))
try ledger.record(.started(kubernetesJob: "batch/warm-cache-29933280", uid: "kubernetes"), for: run.id, at: at(1440, 0.3))
try ledger.record(.running(pod: "warm-cache-29933280-z9y8x", capacity: "0.25vCPU 0.5GB"), for: run.id, at: at(1440, 25))
run = try ledger.recordIntent(for: slot("backup", 1440), policy: .forbid, at: at(1440))
try ledger.record(.started(kubernetesJob: "pid=9191 start=3000001", uid: "local"), for: run.id, at: at(1440, 0.002))

print("wrote \(try ledger.history(limit: 1000).count) runs to \(ledger.databasePath)")
