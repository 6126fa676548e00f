import Foundation
import Testing

/// A program run as a child process, its output captured in files (never a pipe that could fill).
struct ChildProcess {
    let process = Process()
    let standardOutput: URL
    let standardError: URL
    private let folder: URL

    /// Starts `executable` with `arguments`, the test's environment plus `environment`.
    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = []
    ) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("systemd-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        standardOutput = folder.appendingPathComponent("stdout")
        standardError = folder.appendingPathComponent("stderr")
        for file in [standardOutput, standardError] {
            try #require(FileManager.default.createFile(atPath: file.path, contents: nil), "cannot create \(file.path)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        for name in removing { merged[name] = nil }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: standardOutput)
        process.standardError = try FileHandle(forWritingTo: standardError)
        try process.run()
    }

    /// Waits for the exit, at most `timeout` (then kills it and fails the test).
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("\(process.executableURL!.path) \(process.arguments!) did not exit within \(timeout)")
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends `signal` to the child.
    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    var output: Data { (try? Data(contentsOf: standardOutput)) ?? Data() }
    var errors: String { String(decoding: (try? Data(contentsOf: standardError)) ?? Data(), as: UTF8.self) }

    /// Removes the captured output; kills the child if it still runs.
    func cleanUp() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs a program to its end and returns its exit status and output.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = []
    ) async throws -> (status: Int32, output: Data, errors: String) {
        let child = try ChildProcess(executable, arguments, environment: environment, removing: removing)
        defer { child.cleanUp() }
        let status = try await child.waitForExit()
        return (status, child.output, child.errors)
    }
}

/// Paths the tests need.
enum Paths {
    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `fargate-cron` executable built beside this test bundle (`swift build --build-tests`
    /// builds both into the same folder).
    static var fargateCron: String { builtProduct("fargate-cron") }

    /// The test tools built beside it (executables of their own, not shipped in `fargate-cron`).
    static var notifyProbe: String { builtProduct("notify-probe") }
    static var logProbe: String { builtProduct("log-probe") }

    private static func builtProduct(_ name: String) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Where a program lives on PATH, if anywhere.
    static func which(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
