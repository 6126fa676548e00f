import Foundation
import Glibc
import TestSupport
import Testing

/// The quick start's demo (#18), `scripts/demo` (what `scripts/setup` runs after its release build),
/// run with this build's binary and a short `DEMO_SECONDS`, as a user runs it: its own demo cluster,
/// the daemon on `crontabs/`, the journal (the test peer). Checked from outside: the ledger, the
/// command the demo prints, and the processes of its session once it has ended.
@Suite(
    "The quick start's demo", .enabled(if: PeerEnvironment.hasJournald && PeerEnvironment.hasKubernetesEmulator),
    .timeLimit(.minutes(4)))
struct QuickStartDemoTests {
    /// `POSIX_SPAWN_SETSID` (glibc's spawn.h, under _GNU_SOURCE, which Swift's Glibc module does not
    /// define): the child starts a session of its own, whose id is its pid.
    static let spawnSetSID: Int16 = 0x80

    /// What the demo did: its exit status, everything it printed, and its session's id.
    struct Ended {
        var status: Int32
        var output: String
        var session: pid_t
    }

    /// Runs `scripts/demo BINARY` in the repository, in a session of its own, with its standard output
    /// and error in one file, and waits (bounded) for it to end.
    static func runDemo(seconds: Int, state: String, log: String) async throws -> Ended {
        var actions = posix_spawn_file_actions_t()
        try #require(posix_spawn_file_actions_init(&actions) == 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try #require(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) == 0)
        try #require(posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600) == 0)
        try #require(posix_spawn_file_actions_adddup2(&actions, 1, 2) == 0)
        var attributes = posix_spawnattr_t()
        try #require(posix_spawnattr_init(&attributes) == 0)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions and mask: this test process blocks some, and the demo's own
        // Ctrl-C handling must see a child as a terminal would start it.
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        try #require(posix_spawnattr_setsigmask(&attributes, &none) == 0)
        try #require(posix_spawnattr_setsigdefault(&attributes, &all) == 0)
        let flags = Self.spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        try #require(posix_spawnattr_setflags(&attributes, flags) == 0)

        let arguments = ["/bin/sh", "-c", "cd \"$0\" && exec scripts/demo \"$1\"", PeerEnvironment.repository.path, FargateCronBinary.path]
        var environment = ProcessInfo.processInfo.environment
        environment["DEMO_SECONDS"] = String(seconds)
        environment["DEMO_STATE_DIR"] = state
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argvBuffer.baseAddress!, envpBuffer.baseAddress!)
            }
        }
        try #require(spawned == 0, "posix_spawn: \(String(cString: strerror(spawned)))")

        var status: Int32 = 0
        let ended = try await poll(within: .seconds(200)) {
            let reaped = waitpid(pid, &status, WNOHANG)
            return reaped == pid || (reaped == -1 && errno != EINTR)
        }
        if !ended {
            kill(-pid, SIGKILL)  // the whole session's group, so nothing outlives a hung demo
            _ = waitpid(pid, &status, 0)
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try #require(ended, "the demo did not end within 200 s; it printed:\n\(output)")
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return Ended(status: code, output: output, session: pid)
    }

    /// Processes (pid and command line) whose session is `session`.
    static func processes(inSession session: pid_t) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry -> String? in
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm)": state ppid pgrp session ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, Int32(fields[3]) == session else { return nil }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .replacingOccurrences(of: "\0", with: " ") ?? "?"
            return "\(pid) \(command)"
        }
    }

    @Test func theDemoRunsAKubernetesJobEndToEndAndLeavesNothingBehind() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fc-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = folder.appendingPathComponent("state").path
        let demo = try await Self.runDemo(seconds: 5, state: state, log: folder.appendingPathComponent("demo.txt").path)
        #expect(demo.status == 0, "the demo failed; it printed:\n\(demo.output)")

        // Nothing it started outlives it: the demo cluster, the daemon, the jobs, the log follower.
        // (Processes reparented to init keep their session, so this finds them wherever they went.)
        var left: [String] = []
        #expect(try await poll(within: .seconds(5)) {
            left = try Self.processes(inSession: demo.session)
            return left.isEmpty
        }, "left behind: \(left)")
        for process in left { kill(Int32(process.split(separator: " ")[0]) ?? 0, SIGKILL) }

        // The run the demo reported (`== the output of run N (JOB, pod POD)`), and the command it printed.
        let lines = demo.output.split(separator: "\n").map(String.init)
        let markerPrefix = "== the output of run "
        let markerIndex = try #require(lines.firstIndex { $0.hasPrefix(markerPrefix) }, "no run reported:\n\(demo.output)")
        let marker = lines[markerIndex].dropFirst(markerPrefix.count).split(whereSeparator: { " (),".contains($0) })
        try #require(marker.count >= 4 && marker[2] == "pod", "unexpected report line \(lines[markerIndex])")
        let (id, job, pod) = (Int(marker[0]), String(marker[1]), String(marker[3]))
        let command = try #require(lines[markerIndex...].first { $0.hasPrefix("$ ") }?.dropFirst(2), "no command after the report")

        // That run, in the ledger: a kubernetes run that succeeded, its pod deleted, billed and priced.
        let history = try FargateCronBinary.run(["history", "--json", "--state-dir", state])
        #expect(history.status == 0, "history: \(history.stderr)")
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        let run = try #require(runs.first { $0["id"] as? Int == id }, "run \(id.map(String.init) ?? "?") is not in history")
        #expect(run["executor"] as? String == "kubernetes" && run["state"] as? String == "succeeded", "\(run)")
        #expect(run["job"] as? String == job && run["pod"] as? String == pod, "\(run)")
        #expect(run["podDeletedAt"] is String, "the pod's deletion is not on record: \(run)")
        #expect((run["billedSeconds"] as? Double ?? 0) >= 60, "Fargate's one-minute minimum: \(run)")
        #expect(run["estimatedPrice"] is String, "\(run)")
        // The demo asked the cluster itself too, before stopping it; its summary shows the pod and cost columns.
        #expect(demo.output.contains("/\(pod) of run \(id ?? 0) is deleted (GET answers 404 Not Found)"), "\(demo.output)")
        #expect(demo.output.contains("POD") && demo.output.contains("PRICE"))

        // The command it printed shows that run's output: the pod's lines, read back from the journal.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", String(command)]
        shell.currentDirectoryURL = PeerEnvironment.repository
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "\(command)")
        let kubernetesJob = String(pod.split(separator: "-").dropLast().joined(separator: "-"))
        #expect((1...3).allSatisfy { printed.contains("line \($0) of \(kubernetesJob)") }, "\(command) printed:\n\(printed)")
    }
}
