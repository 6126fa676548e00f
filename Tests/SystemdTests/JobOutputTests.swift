import Foundation
import Systemd
import Testing

/// A run's output in a real journal: every line its own entry, bytes exactly as written, read back
/// with `journalctl -o json`, with ``JournalReader`` and with `fargate-cron logs`.
@Suite("Job output in a real journal", .enabled(if: Journal.isAvailable))
struct JobOutputTests {
    let runID = "run-\(UUID().uuidString)"
    let job = "output-test"
    let writer = EntryWriter(destination: .journal)

    var sink: JobOutputSink {
        JobOutputSink(
            run: .init(
                job: job, runID: runID, scheduledAt: Date(timeIntervalSince1970: 1_795_923_000), namespace: "batch",
                kubernetesJob: "output-test-29400000", pod: "output-test-29400000-x1"),
            writer: writer)
    }

    /// Lines no text-only pipeline survives.
    static let awkwardLines: [(name: String, bytes: [UInt8])] = [
        ("plain", Array("hello from the job".utf8)),
        ("invalid UTF-8", [0x66, 0x6f, 0xff, 0xfe, 0xc3, 0x28, 0x6f]),
        ("NUL bytes", [0x61, 0x00, 0x62, 0x00, 0x00, 0x63]),
        ("empty", []),
        ("carriage return and tab", Array("a\r\tb\r".utf8)),
        ("1 MiB", (0..<(1 << 20)).map { UInt8(ascii: "a") + UInt8($0 % 26) }),
        ("UTF-8 text", Array("日本語のログ ✓".utf8)),
    ]

    /// Each container of a pod has its own output: its lines carry `K8S_CONTAINER`, so that
    /// `journalctl CRON_RUN_ID=… K8S_CONTAINER=proxy` shows one container's alone.
    @Test func eachLineNamesItsContainer() async throws {
        for container in ["migrate", "main", "proxy"] {
            let sink = JobOutputSink(
                run: .init(job: job, runID: runID, scheduledAt: Date(timeIntervalSince1970: 1_795_923_000), namespace: "batch",
                           kubernetesJob: "output-test-29400000", pod: "output-test-29400000-x1", container: container),
                writer: writer)
            sink.write(line: Array("\(container) says hello".utf8), stream: .stdout)
        }
        let entries = try await Journal.entries(["CRON_RUN_ID=\(runID)"])
        #expect(entries.map { $0[text: "K8S_CONTAINER"] } == ["migrate", "main", "proxy"])
        #expect(entries.map { $0[text: "MESSAGE"] } == ["migrate says hello", "main says hello", "proxy says hello"])
        let one = try await Journal.entries(["CRON_RUN_ID=\(runID)", "K8S_CONTAINER=proxy"])
        #expect(one.count == 1 && one.first?[text: "MESSAGE"] == "proxy says hello")
    }

    @Test func awkwardLinesArriveByteForByte() async throws {
        // As the pod log endpoint sends them with ?timestamps=true, cut at odd places.
        var stream: [UInt8] = []
        for (index, line) in Self.awkwardLines.enumerated() {
            stream += Array("2026-11-29T03:30:0\(index).000000001Z ".utf8) + line.bytes + [UInt8(ascii: "\n")]
        }
        var splitter = OutputLineSplitter(timestamped: true)
        var offset = 0
        var chunk = 1
        while offset < stream.count {
            let end = min(stream.count, offset + chunk)
            for line in splitter.append(stream[offset..<end]) {
                sink.write(line: line.bytes, stream: line.bytes.isEmpty ? .stderr : .stdout, timestamp: line.timestamp)
            }
            offset = end
            chunk = chunk * 3 + 1  // 1, 4, 13, 40, … bytes: lines split anywhere
        }
        #expect(splitter.finish() == nil)
        #expect(writer.statistics.fellBack == 0)

        let expected = Self.awkwardLines.map(\.bytes)
        let entries = try await Journal.entries(["CRON_RUN_ID=\(runID)"])
        #expect(entries.count == expected.count)
        for (entry, line) in zip(entries, Self.awkwardLines) {
            #expect(same(entry["MESSAGE"] ?? [], line.bytes), "\(line.name)")
            #expect(entry[text: "CRON_JOB"] == job)
            #expect(entry[text: "CRON_SCHEDULED_AT"] == "2026-11-29T03:30:00Z")
            #expect(entry[text: "K8S_NAMESPACE"] == "batch")
            #expect(entry[text: "K8S_JOB"] == "output-test-29400000")
            #expect(entry[text: "K8S_POD"] == "output-test-29400000-x1")
            #expect(entry[text: "CRON_STREAM"] == (line.bytes.isEmpty ? "stderr" : "stdout"))
            #expect(entry[text: "PRIORITY"] == (line.bytes.isEmpty ? "3" : "6"))
            #expect(entry[text: "SYSLOG_IDENTIFIER"] == job)
        }
        #expect(entries.map { $0[text: "CRON_OUTPUT_TIMESTAMP"] } == (0..<expected.count).map {
            "2026-11-29T03:30:0\($0).000000001Z"
        })

        let reader = try JournalReader()
        try reader.addMatch(JournalField.cronRunID, runID)
        try reader.seekToHead()
        var read: [[UInt8]] = []
        while let record = try reader.next() { read.append(record.bytes(JournalField.message) ?? [99]) }
        #expect(read.count == expected.count && zip(read, expected).allSatisfy(same))

        // fargate-cron logs --json: journalctl's convention, strings or arrays of bytes.
        let json = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID, "--json"])
        #expect(json.status == 0, "\(json.errors)")
        let objects = try json.output.split(separator: UInt8(ascii: "\n")).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
        }
        let jsonMessages = try objects.map { try Journal.bytes(of: $0["MESSAGE"] as Any) }
        #expect(jsonMessages.count == expected.count && zip(jsonMessages, expected).allSatisfy(same))
        #expect(objects.map { $0["CRON_STREAM"] as? String } == expected.map { $0.isEmpty ? "stderr" : "stdout" })
        #expect(objects.map { $0["PRIORITY"] as? String } == expected.map { $0.isEmpty ? "3" : "6" })
        #expect(objects.allSatisfy { $0["CRON_SCHEDULED_AT"] as? String == "2026-11-29T03:30:00Z" })

        // Text: the message's bytes as they are, after `TIME RUN STREAM: `.
        let text = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID])
        #expect(text.status == 0, "\(text.errors)")
        let lines = text.output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == expected.count)
        for (line, bytes) in zip(lines, expected) {
            // `2026-11-29T05:37:29.674920Z` is 27 bytes.
            let prefix = Array(" \(runID) \(bytes.isEmpty ? "stderr" : "stdout"): ".utf8)
            #expect(Array(line.dropFirst(27).prefix(prefix.count)) == prefix)
            #expect(same(Array(line.dropFirst(27 + prefix.count)), bytes))
        }
    }

    @Test func tenThousandLinesFromOneRunArriveAllAndInOrder() async throws {
        let count = 10_000
        let sink = self.sink
        for number in 1...count {
            sink.write(line: Array("line \(number) of \(count)".utf8), stream: number % 10 == 0 ? .stderr : .stdout)
        }
        #expect(writer.statistics.sentToJournal == count)

        let entries = try await Journal.entries(["CRON_RUN_ID=\(runID)"])
        #expect(entries.count == count)
        #expect(entries.map { $0[text: "MESSAGE"] ?? "" } == (1...count).map { "line \($0) of \(count)" })
        #expect(entries.filter { $0[text: "CRON_STREAM"] == "stderr" }.count == count / 10)

        let logs = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID])
        #expect(logs.status == 0, "\(logs.errors)")
        let messages = String(decoding: logs.output, as: UTF8.self).split(separator: "\n").map {
            $0.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? ""
        }
        #expect(messages == (1...count).map { "line \($0) of \(count)" })
    }

    @Test func aLineLongerThanTheLimitIsSplitAndMarked() async throws {
        let sink = JobOutputSink(
            run: .init(job: job, runID: runID, scheduledAt: Date(timeIntervalSince1970: 0)), writer: writer,
            maximumLineLength: 4)
        sink.write(line: Array("abcdefghij".utf8), stream: .stdout)
        let entries = try await Journal.entries(["CRON_RUN_ID=\(runID)"])
        #expect(entries.map { $0[text: "MESSAGE"] } == ["abcd", "efgh", "ij"])
        #expect(entries.map { $0[text: "CRON_LINE_CONTINUES"] } == ["1", "1", nil])
    }

    @Test func logsFollowsNewEntriesAsTheyArrive() async throws {
        let sink = self.sink
        sink.write(line: Array("before".utf8), stream: .stdout)
        try await Journal.sync()
        let follower = try ChildProcess(Paths.fargateCron, ["logs", job, "--run", runID, "-f"])
        defer { follower.cleanUp() }
        try await waitForLines(1, in: follower)
        sink.write(line: Array("after one".utf8), stream: .stdout)
        sink.write(line: Array("after two".utf8), stream: .stderr)
        try await waitForLines(3, in: follower)
        #expect(follower.process.isRunning)
        let messages = String(decoding: follower.output, as: UTF8.self).split(separator: "\n").map {
            String($0.split(separator: " ", maxSplits: 2).last ?? "")
        }
        #expect(messages == ["stdout: before", "stdout: after one", "stderr: after two"])
    }

    @Test func logsSinceLeavesOutOlderEntries() async throws {
        sink.write(line: Array("old enough".utf8), stream: .stdout)
        try await Journal.sync()
        let all = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID, "--since", "2000-01-01T00:00:00Z"])
        #expect(String(decoding: all.output, as: UTF8.self).hasSuffix("stdout: old enough\n"))
        let none = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID, "--since", "2100-01-01T00:00:00Z"])
        #expect(none.status == 0)
        #expect(none.output.isEmpty)
        // An age counts back from when `logs` runs: the entry is seconds old, inside 1h, outside 0s.
        let hour = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID, "--since", "1h"])
        #expect(String(decoding: hour.output, as: UTF8.self).hasSuffix("stdout: old enough\n"), "\(hour.errors)")
        let now = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--run", runID, "--since", "0s"])
        #expect(now.status == 0)
        #expect(now.output.isEmpty)
        let bad = try await ChildProcess.run(Paths.fargateCron, ["logs", job, "--since", "yesterday-ish"])
        #expect(bad.status != 0)
        #expect(bad.errors.contains("--since: 'yesterday-ish' is neither an ISO 8601 time"))
    }

    /// Byte equality that, on failure, says how the values differ instead of printing a megabyte.
    private func same(_ actual: [UInt8], _ expected: [UInt8]) -> Bool {
        guard actual != expected else { return true }
        let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(actual.count, expected.count)
        Issue.record("\(actual.count) bytes instead of \(expected.count), first difference at byte \(firstDifference)")
        return false
    }

    /// Polls the follower's output (a real process: there is nothing to await) until it has `count` lines.
    private func waitForLines(_ count: Int, in child: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while child.output.filter({ $0 == UInt8(ascii: "\n") }).count < count {
            try #require(ContinuousClock.now < deadline, "only got: \(String(decoding: child.output, as: UTF8.self))")
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
