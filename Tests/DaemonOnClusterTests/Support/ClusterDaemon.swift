import Foundation
import Glibc
import Kubernetes
import Ledger
import Testing

/// The peers `scripts/test` starts: the Kubernetes API emulator (scripts/peers/kmock.sh) and journald.
enum Peers {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool {
        environment["FARGATE_CRON_TEST_KUBE_HTTP"] != nil && environment["FARGATE_CRON_TEST_JOURNALD"] != nil
    }
    static var emulator: String { environment["FARGATE_CRON_TEST_KUBE_HTTP"] ?? "" }
    static let curl: Result<Void, CurlError> = Result { () throws(CurlError) in try initializeCurlForProcess() }

    /// A client of the emulator, for the tests' own reading of the cluster.
    static func client() throws -> KubeClient {
        try curl.get()
        return KubeClient(
            server: emulator, transport: CurlTransport(configuration: .init(requestTimeout: .seconds(20))),
            credentials: NoCredentials(identity: "test"), retry: RetryPolicy(baseDelay: .milliseconds(20)))
    }

    /// A name of its own for each test.
    static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(6).lowercased())" }

    /// The repository's root, found from this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// Checks `condition` every 50 ms until it holds or `limit` passes (real processes only).
func eventually(within limit: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The real `fargate-cron daemon` on a temporary crontab and state folder, pointed at the emulator
/// through a kubeconfig file as a user would; its output goes to log files.
final class ClusterDaemon {
    let folder: URL
    let crontabs: URL
    let state: URL
    let kubeconfig: URL
    private(set) var process: Process?
    private(set) var starts = 0
    private var pids: [Int32] = []

    init() throws {
        // Short: the control socket's path must fit in sockaddr_un.
        folder = URL(fileURLWithPath: "/tmp/fc-k8s-\(UUID().uuidString.prefix(8))")
        crontabs = folder.appendingPathComponent("crontabs")
        state = folder.appendingPathComponent("state")
        kubeconfig = folder.appendingPathComponent("kubeconfig")
        try FileManager.default.createDirectory(at: crontabs, withIntermediateDirectories: true)
        let config = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulator
              cluster:
                server: \(Peers.emulator)
            users:
            - name: tester
              user:
                token: test-token
            contexts:
            - name: emulator
              context: {cluster: emulator, user: tester}
            current-context: emulator
            """
        try Data(config.utf8).write(to: kubeconfig)
    }

    deinit { cleanUp() }

    /// The binary built beside this test bundle.
    static var binary: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("fargate-cron").path
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: crontabs.appendingPathComponent(name), options: .atomic)
    }

    /// The environment every command gets: the kubeconfig, no systemd variables.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "FARGATE_CRON_STATE_DIR", "FARGATE_CRON_CRONTABS", "KUBECONFIG"] {
            environment[name] = nil
        }
        environment["FARGATE_CRON_KUBECONFIG"] = kubeconfig.path
        return environment.merging(extra) { _, new in new }
    }

    /// Starts the daemon (again) with a new log file as its standard error. Like systemd, the test
    /// names that file in `JOURNAL_STREAM`, so the daemon logs (and writes its jobs' output) to the
    /// journal, as it does under systemd.
    func start(environment extra: [String: String] = [:], arguments: [String] = []) throws {
        starts += 1
        let log = folder.appendingPathComponent("daemon-\(starts).log")
        try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
        var status = stat()
        try #require(stat(log.path, &status) == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["daemon", "--crontabs", crontabs.path, "--state-dir", state.path] + arguments
        process.environment = environment(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"].merging(extra) { _, new in new })
        process.standardInput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        pids.append(process.processIdentifier)
        self.process = process
    }

    /// Everything the daemon logged, every start: its log files and its journal entries.
    var log: String {
        let files = (1...max(1, starts)).map { index in
            String(decoding: (try? Data(contentsOf: folder.appendingPathComponent("daemon-\(index).log"))) ?? Data(), as: UTF8.self)
        }.joined()
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

    /// SIGKILL, and waits for the process to be gone.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM; returns the exit status, or nil if it did not exit within `limit`.
    func terminate(within limit: Duration = .seconds(10)) async throws -> Int32? {
        let process = try #require(process)
        Glibc.kill(process.processIdentifier, SIGTERM)
        guard try await eventually(within: limit, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs another `fargate-cron` command on the same state folder and kubeconfig.
    func command(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        let stem = folder.appendingPathComponent("command-\(UUID().uuidString.prefix(8))")
        let (out, err) = (stem.appendingPathExtension("out"), stem.appendingPathExtension("err"))
        try #require(FileManager.default.createFile(atPath: out.path, contents: nil))
        try #require(FileManager.default.createFile(atPath: err.path, contents: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        // `logs` reads the journal only, so it has no state folder.
        process.arguments = arguments + (arguments.first == "logs" ? [] : ["--state-dir", state.path])
        process.environment = environment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        #expect(try await eventually(within: .seconds(60), { !process.isRunning }), "fargate-cron \(arguments) did not end")
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self),
                String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// The ledger's runs of `job`, oldest first, read as `history` reads them (the daemon may hold the writer).
    func runs(of job: String) throws(LedgerError) -> [Run] {
        do {
            let ledger = try RunLedger.openForReading(stateDirectory: state.path)
            return try ledger.history(job: job, limit: 100_000).reversed()
        } catch .noLedger {
            return []  // the daemon has not made it yet
        }
    }

    func cleanUp() {
        kill()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// `scripts/peers/fargate_controller.py` for one namespace: plays the Job controller and Fargate.
final class FargateController {
    private let process: Process

    init(namespace: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Peers.root.appendingPathComponent("scripts/peers/fargate_controller.py").path,
            "--server", Peers.emulator, "--namespace", namespace,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process
        // It prints "ready" once its watch is open; end of file means it died.
        guard String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).contains("ready") else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw KubernetesError.configuration("the Fargate controller did not start")
        }
    }

    deinit {
        // SIGKILL: a child of the test process inherits its blocked signals, SIGTERM included.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
