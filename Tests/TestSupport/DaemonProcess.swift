public import Foundation
import Glibc
import Testing

/// The real `fargate-cron daemon`, run as a child process on a temporary crontab folder and state
/// folder; its output goes to files (never a pipe that could fill). Killed, and its folder removed,
/// by `cleanUp()` or when this object goes.
public final class DaemonProcess {
    /// The temporary folder holding everything below.
    public let folder: URL
    /// The schedule files' folder (`--crontabs`).
    public let crontabs: URL
    /// The state folder (`--state-dir`).
    public let state: URL
    /// Variables every command gets on top of the test's environment (a kubeconfig, say).
    public var environmentOverrides: [String: String] = [:]
    /// The last daemon started.
    public private(set) var process: Process?
    /// How many times the daemon was started.
    public private(set) var starts = 0
    /// Whether `start` names the daemon's log file in `JOURNAL_STREAM`, as systemd does, so that the
    /// daemon logs (and writes its jobs' output) to the journal; `log` then reads the journal too.
    public var logsToJournal = false
    private var pids: [Int32] = []

    /// Variables of the test's own environment that no command inherits: systemd's, and those that
    /// would point it elsewhere than this object's folders.
    public static let unsetVariables = [
        "JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "FARGATE_CRON_STATE_DIR", "FARGATE_CRON_CRONTABS", "KUBECONFIG",
    ]

    /// Makes the folders (nothing runs yet).
    /// - Parameter prefix: the start of the folder's name, in `/tmp`.
    public init(prefix: String = "fc-e2e") throws {
        // Short, because the control socket's path must fit in sockaddr_un.
        folder = URL(fileURLWithPath: "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))")
        crontabs = folder.appendingPathComponent("crontabs")
        state = folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: crontabs, withIntermediateDirectories: true)
    }

    deinit { cleanUp() }

    /// The binary built beside this test bundle (`swift build --build-tests` builds both).
    public static var binary: String { FargateCronBinary.path }

    /// Writes a schedule file.
    public func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: crontabs.appendingPathComponent(name), options: .atomic)
    }

    /// The environment every command gets: the test's, without `unsetVariables`, plus
    /// `environmentOverrides` and `extra`.
    public func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in Self.unsetVariables { environment[name] = nil }
        return environment.merging(environmentOverrides) { _, new in new }.merging(extra) { _, new in new }
    }

    /// Starts `fargate-cron` with `arguments`, standard output and error both to `log` (created
    /// empty if it does not exist), without waiting for it.
    public func spawn(_ arguments: [String], environment extra: [String: String] = [:], log: URL) throws -> Process {
        if !FileManager.default.fileExists(atPath: log.path) {
            try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = environment(extra)
        process.standardInput = FileHandle.nullDevice
        // One handle for both, so that they share the file's offset.
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        return process
    }

    /// Starts `fargate-cron daemon` (again, after a stop or a kill) with a new log file as its
    /// standard output and error (see `logsToJournal`).
    public func start(environment extra: [String: String] = [:], arguments: [String] = []) throws {
        starts += 1
        let log = folder.appendingPathComponent("daemon-\(starts).log")
        var variables = extra
        if logsToJournal {
            try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
            var status = stat()
            try #require(stat(log.path, &status) == 0)
            variables = ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"].merging(extra) { _, new in new }
        }
        let process = try spawn(
            ["daemon", "--crontabs", crontabs.path, "--state-dir", state.path] + arguments, environment: variables, log: log)
        pids.append(process.processIdentifier)
        self.process = process
    }

    /// Everything the daemon logged, every start: its log files, and its journal entries if it logged there.
    public var log: String {
        let files = (1...max(1, starts)).map { index in
            String(decoding: (try? Data(contentsOf: folder.appendingPathComponent("daemon-\(index).log"))) ?? Data(), as: UTF8.self)
        }.joined()
        guard logsToJournal else { return files }
        let journal = Process()
        journal.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        journal.arguments = ["--no-pager", "-o", "short-precise"] + pids.map { "_PID=\($0)" }
        let out = folder.appendingPathComponent("journal-\(UUID().uuidString.prefix(6)).txt")
        guard FileManager.default.createFile(atPath: out.path, contents: nil), let handle = try? FileHandle(forWritingTo: out)
        else { return files }
        journal.standardOutput = handle
        guard (try? journal.run()) != nil else { return files }
        journal.waitUntilExit()
        return files + String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
    }

    /// Sends `signal` to the daemon.
    public func send(_ signal: Int32) throws {
        let pid = try #require(process?.processIdentifier)
        #expect(Glibc.kill(pid, signal) == 0)
    }

    /// SIGKILL, and waits for the process to be gone.
    public func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits (bounded) for the daemon to exit and returns its exit status (minus the signal's number
    /// if a signal ended it), or `nil` if it did not exit.
    public func waitForExit(within limit: Duration) async throws -> Int32? {
        let process = try #require(process)
        guard try await poll(within: limit, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }

    /// SIGTERM; returns the exit status (or the signal's number if a signal ended it), or nil if it did
    /// not exit within `limit`.
    public func terminate(within limit: Duration = .seconds(10)) async throws -> Int32? {
        let process = try #require(process)
        Glibc.kill(process.processIdentifier, SIGTERM)
        guard try await poll(within: limit, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs another `fargate-cron` command on the same state folder (`logs` reads the journal only,
    /// so it gets none) and returns its exit status, standard output and standard error.
    /// - Parameter limit: how long it may take (an issue is recorded after that).
    public func command(
        _ arguments: [String], within limit: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String, errors: String) {
        let stem = folder.appendingPathComponent("command-\(UUID().uuidString.prefix(8))")
        let (out, err) = (stem.appendingPathExtension("out"), stem.appendingPathExtension("err"))
        try #require(FileManager.default.createFile(atPath: out.path, contents: nil))
        try #require(FileManager.default.createFile(atPath: err.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments + (arguments.first == "logs" ? [] : ["--state-dir", state.path])
        process.environment = environment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        #expect(try await poll(within: limit, { !process.isRunning }), "fargate-cron \(arguments) did not end")
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self),
                String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// `status --json`, parsed.
    public func status() async throws -> [String: Any] {
        let (code, output, errors) = try await command(["status", "--json", "--crontabs", crontabs.path], within: .seconds(30))
        #expect(code == 0, "status failed: \(output)\(errors)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// Kills the daemon if it still runs, every process group its jobs left, and removes the folder.
    public func cleanUp(jobProcessGroups: [Int32] = []) {
        kill()
        for group in jobProcessGroups { Glibc.kill(-group, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }
}
