import Foundation

/// The journal's entries with these fields, as `journalctl -o json` prints them.
public func journalEntries(_ matches: [String]) async throws -> [[String: String]] {
    // journalctl's output goes to a file, not a pipe: reading a pipe to its end would wait on our own
    // copy of its write end.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).json")
    guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    defer { try? FileManager.default.removeItem(at: file) }
    let output = try FileHandle(forWritingTo: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
    process.arguments = ["-o", "json", "--no-pager"] + matches
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    try output.close()
    let data = try Data(contentsOf: file)
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return object.compactMapValues { $0 as? String }
    }
}
