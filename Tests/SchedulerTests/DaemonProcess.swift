import Foundation
import Glibc
import Testing

/// The real `fargate-cron` binary, run as a child process on a temporary crontab folder and state
/// folder; its output goes to files (never a pipe that could fill).
final class DaemonProcess {
    let folder: URL
    let crontabs: URL
    let state: URL
    private(set) var process: Process?
    private var logIndex = 0

    init() throws {
        // Short, because the control socket's path must fit in sockaddr_un.
        folder = URL(fileURLWithPath: "/tmp/fc-e2e-\(UUID().uuidString.prefix(8))")
        crontabs = folder.appendingPathComponent("crontabs")
        state = folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: crontabs, withIntermediateDirectories: true)
    }

    /// The binary built beside this test bundle (`swift build --build-tests` builds both).
    static var binary: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("fargate-cron").path
    }

    /// Writes a schedule file.
    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: crontabs.appendingPathComponent(name), options: .atomic)
    }

    /// Starts `fargate-cron daemon` (again, after a stop or a kill) with stderr to a new log file.
    func start(environment extra: [String: String] = [:]) throws {
        logIndex += 1
        let log = folder.appendingPathComponent("daemon-\(logIndex).log")
        try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["daemon", "--crontabs", crontabs.path, "--state-dir", state.path]
        var environment = ProcessInfo.processInfo.environment
        for name in ["JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "FARGATE_CRON_STATE_DIR", "FARGATE_CRON_CRONTABS"] {
            environment[name] = nil
        }
        process.environment = environment.merging(extra) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
    }

    /// Everything the daemon logged (every start).
    var log: String {
        (1...max(1, logIndex)).map { index in
            String(decoding: (try? Data(contentsOf: folder.appendingPathComponent("daemon-\(index).log"))) ?? Data(), as: UTF8.self)
        }.joined()
    }

    /// Sends `signal` to the daemon.
    func send(_ signal: Int32) throws {
        let pid = try #require(process?.processIdentifier)
        #expect(kill(pid, signal) == 0)
    }

    /// Waits (bounded) for the daemon to exit and returns its exit status, or `nil` if it did not.
    func waitForExit(within limit: Duration) async throws -> Int32? {
        let process = try #require(process)
        guard try await poll(within: limit, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }

    /// Runs another `fargate-cron` command on the same state folder and returns its exit status and stdout.
    func command(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let output = folder.appendingPathComponent("command-\(UUID().uuidString.prefix(8)).out")
        try #require(FileManager.default.createFile(atPath: output.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments + ["--state-dir", state.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.standardError
        try process.run()
        #expect(try await poll(within: .seconds(30), { !process.isRunning }), "fargate-cron \(arguments) did not end")
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: output), as: UTF8.self))
    }

    /// `status --json`, parsed.
    func status() async throws -> [String: Any] {
        let (code, output) = try await command(["status", "--json", "--crontabs", crontabs.path])
        #expect(code == 0, "status failed: \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// Kills the daemon if it still runs, every process group its jobs left, and removes the folder.
    func cleanUp(jobProcessGroups: [Int32] = []) {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for group in jobProcessGroups { kill(-group, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A unix datagram socket standing in for systemd's `NOTIFY_SOCKET`; it keeps every message.
final class NotifyListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(path): errno \(errno)")
        try #require(fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
    }

    deinit { close(fd) }

    /// The messages that arrived since the last call, in order.
    func receive() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return messages }
            messages.append(String(decoding: buffer[..<count], as: UTF8.self))
        }
    }
}
