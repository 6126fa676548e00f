import Foundation
import Glibc
import TestSupport
import Testing

/// `fargate-cron next -n` (#12: it refused more than 10,000): a million fire times and more, each
/// written as it is computed, so the command needs no more memory for a million than for one.
@Suite("fargate-cron next -n, streamed", .serialized)
struct NextCommandCountTests {
    /// What a run of the binary wrote, and its own peak resident memory.
    struct Measured {
        var status: Int32
        var output: String
        var errors: String
        /// `ru_maxrss` of the child alone (from `wait4`), in KiB.
        var peakKiB: Int
    }

    /// Runs the binary with standard output and error in files (so the child never waits on a
    /// reader) and reaps it with `wait4`, whose usage is that child's alone.
    static func measure(_ arguments: [String]) throws -> Measured {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("fc-next-\(UUID().uuidString)").path
        let (out, err) = (stem + ".out", stem + ".err")
        defer {
            unlink(out)
            unlink(err)
        }
        var actions = posix_spawn_file_actions_t()
        try #require(posix_spawn_file_actions_init(&actions) == 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try #require(posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600) == 0)
        try #require(posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600) == 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([FargateCronBinary.path] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = (argv + [nil]).withUnsafeBufferPointer { posix_spawn(&pid, FargateCronBinary.path, &actions, nil, $0.baseAddress!, environ) }
        try #require(spawned == 0, "posix_spawn: \(String(cString: strerror(spawned)))")
        var status: Int32 = 0
        var usage = rusage()
        var reaped: pid_t
        repeat { reaped = wait4(pid, &status, 0, &usage) } while reaped == -1 && errno == EINTR
        try #require(reaped == pid, "wait4: errno \(errno)")
        return Measured(
            status: (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f),
            output: try String(contentsOfFile: out, encoding: .utf8), errors: try String(contentsOfFile: err, encoding: .utf8),
            peakKiB: usage.ru_maxrss)
    }

    static let everySecond = ["next", "* * * * * *", "--after", "2026-01-01T00:00:00Z"]

    @Test func aMillionLinesStreamInTheMemoryOfOne() throws {
        let one = try Self.measure(Self.everySecond + ["-n", "1"])
        let million = try Self.measure(Self.everySecond + ["-n", "1000000"])
        #expect(million.status == 0, "stderr: \(million.errors)")
        #expect(million.errors.isEmpty)
        let lines = million.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 1_000_001 && lines.last == "", "\(lines.count - 1) lines")
        #expect(lines.first == "2026-01-01T00:00:01+00:00")
        #expect(lines[86_399] == "2026-01-02T00:00:00+00:00")
        #expect(lines[999_999] == "2026-01-12T13:46:40+00:00")  // 1,000,000 s after the start
        #expect(one.output == "2026-01-01T00:00:01+00:00\n")
        // Holding a million timestamps (as strings, ~64 bytes each) would take ~60 MiB more than one;
        // streaming takes a 64 KiB buffer. Somewhat arbitrarily, 8 MiB of slack for the allocator.
        #expect(million.peakKiB - one.peakKiB < 8 * 1024, "peak \(million.peakKiB) KiB for a million, \(one.peakKiB) KiB for one")
    }

    @Test func aMillionAsOneJSONArrayStreamsToo() throws {
        let one = try Self.measure(Self.everySecond + ["-n", "1", "--json"])
        let million = try Self.measure(Self.everySecond + ["-n", "1000000", "--json"])
        #expect(million.status == 0, "stderr: \(million.errors)")
        #expect(one.output == "[\"2026-01-01T00:00:01+00:00\"]\n")
        let text = million.output
        #expect(text.hasPrefix("[\"2026-01-01T00:00:01+00:00\",\"2026-01-01T00:00:02+00:00\","))
        #expect(text.hasSuffix(",\"2026-01-12T13:46:39+00:00\",\"2026-01-12T13:46:40+00:00\"]\n"))
        // "[" + a million quoted 25-character stamps + 999,999 commas + "]\n".
        #expect(text.utf8.count == 1 + 27 * 1_000_000 + 999_999 + 2)
        #expect(text.utf8.count { $0 == UInt8(ascii: ",") } == 999_999)
        #expect(million.peakKiB - one.peakKiB < 8 * 1024, "peak \(million.peakKiB) KiB for a million, \(one.peakKiB) KiB for one")
    }
}
