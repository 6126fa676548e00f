import Foundation
import Ledger
import RunModel

#if canImport(Glibc)
    import Glibc
#endif

/// 2027-01-01T00:00:00Z: every test's clock starts here.
let t0 = Date(timeIntervalSince1970: 1_798_761_600)

/// The instant `minutes` after ``t0``.
func minute(_ minutes: Int) -> Date { t0.addingTimeInterval(Double(minutes) * 60) }

/// A fresh state directory path (not created: the ledger creates it) under a fresh temporary
/// folder, removed after `body`.
func withStateDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    return try body(parent.path + "/state")
}

/// Runs a program to completion and returns its exit status and standard error.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// A tmpfs mounted on a fresh directory for the duration of `body`, then unmounted.
func withTmpfs<T>(size: String, _ body: (String) throws -> T) throws -> T {
    try withStateDirectory { path in
        let mountPoint = (path as NSString).deletingLastPathComponent + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", mountPoint])
        guard mounted.status == 0 else { throw TestFailure("mount tmpfs on \(mountPoint): \(mounted.stderr)") }
        defer {
            do { try run("/bin/umount", [mountPoint]) } catch { print("umount \(mountPoint) failed: \(error)") }
        }
        return try body(mountPoint)
    }
}

/// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN): checked by really mounting one.
let tmpfsMountsArePermitted: Bool = {
    do { return try withTmpfs(size: "64k") { _ in true } } catch { return false }
}()

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Path of an executable SwiftPM built next to the test bundle.
func builtProduct(_ name: String) -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // swift-testing on Linux may run from `<bin>/<Package>PackageTests.xctest`; the products sit in `<bin>`.
    if directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
    return directory.appendingPathComponent(name).path
}

/// Brings a new run of `job` at `slot` minutes to `state` along the allowed path.
@discardableResult
func makeRun(in ledger: RunLedger, job: String = "report", slot: Int, reaching state: RunState) throws -> Run {
    let s = Slot(job: job, scheduledAt: minute(slot))
    let at = minute(slot)
    switch state {
    case .skipped: return try ledger.record(.skipped(blockedBy: RunID(rawValue: 1)), for: s, policy: .forbid, at: at)
    case .suspended: return try ledger.record(.suspended, for: s, policy: .forbid, at: at)
    default: break
    }
    var run = try ledger.recordIntent(for: s, policy: .forbid, trigger: .scheduled, at: at)
    let path: [RunEvent] =
        switch state {
        case .intended: []
        case .missed: [.missed(reason: "daemon down")]
        case .started: [.started(RunHandle(executor: .kubernetes, reference: "\(job)-\(slot)", uid: "uid-\(slot)"))]
        case .running:
            [.started(RunHandle(executor: .kubernetes, reference: "\(job)-\(slot)", uid: "uid-\(slot)")), .running(pod: "p", capacity: nil)]
        case .succeeded, .failed, .cancelled, .replaced:
            [
                .started(RunHandle(executor: .kubernetes, reference: "\(job)-\(slot)", uid: "uid-\(slot)")), .running(pod: "p", capacity: nil),
                [
                    RunState.succeeded: .succeeded, .failed: .failed(exitCode: 2, reason: "exit 2"),
                    .cancelled: .cancelled(reason: "asked"), .replaced: .replaced(by: nil),
                ][state]!,
            ]
        case .skipped, .suspended: []
        }
    for event in path { run = try ledger.record(event, for: run.id, at: at.addingTimeInterval(1)) }
    return run
}
