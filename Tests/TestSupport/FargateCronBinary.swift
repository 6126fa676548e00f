public import Foundation

/// What one run of a program printed, and how it ended.
public struct BinaryRun: Sendable {
    /// The exit status.
    public let status: Int32
    /// Everything it wrote to standard output.
    public let stdout: String
    /// Everything it wrote to standard error.
    public let stderr: String
}

/// The `fargate-cron` binary that `swift build --build-tests` builds beside the test bundle.
public enum FargateCronBinary {
    /// Its path: beside this test process's executable (`.build/debug/` or wherever `swift build` put it).
    public static var path: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("fargate-cron").path
    }

    /// Runs it to its end with `arguments` and the test's environment, and captures its output.
    /// - Parameter folder: its working directory (so that paths in its output are relative to it);
    ///   the test's own when nil.
    public static func run(_ arguments: [String], in folder: URL? = nil) throws -> BinaryRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return BinaryRun(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
