import Foundation
import Glibc
import Systemd
import SystemPackage
import Testing

@Suite struct LogDestinationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// JOURNAL_STREAM, with DEV and INO replaced by the file's numbers.
        var journalStream: String?
        var expect: LogDestination
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "matches stderr", journalStream: "DEV:INO", expect: .journal),
        Case(name: "another inode (stderr redirected after start)", journalStream: "DEV:1", expect: .standardError),
        Case(name: "not set", journalStream: nil, expect: .standardError),
        Case(name: "malformed", journalStream: "DEV-INO", expect: .standardError),
        Case(name: "empty", journalStream: "", expect: .standardError),
    ])
    func destination(_ c: Case) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        let file = try FileDescriptor.open(path, .writeOnly, options: [.create], permissions: .ownerReadWrite)
        defer {
            try? file.close()
            unlink(path)
        }
        var status = stat()
        try #require(fstat(file.rawValue, &status) == 0)
        let stream = c.journalStream?.replacingOccurrences(of: "DEV", with: "\(status.st_dev)")
            .replacingOccurrences(of: "INO", with: "\(status.st_ino)")
        #expect(LogDestination.select(journalStream: stream, standardError: file) == c.expect)
    }
}
