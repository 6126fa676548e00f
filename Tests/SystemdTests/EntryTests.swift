import Foundation
import Logging
import SystemPackage
import Systemd
import Testing

@Suite struct JournalFieldTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var key: String
        var expect: String?
        var testDescription: String { key.isEmpty ? "(empty)" : key }
    }

    @Test(arguments: [
        Case(key: "CRON_JOB", expect: "CRON_JOB"),
        Case(key: "cron.job", expect: "CRON_JOB"),
        Case(key: "k8s-pod", expect: "K8S_POD"),
        Case(key: "_SYSTEMD_UNIT", expect: "SYSTEMD_UNIT"),  // no claiming trusted fields
        Case(key: "__weird", expect: "WEIRD"),
        Case(key: "9lives", expect: "F_9LIVES"),  // journald rejects a leading digit
        Case(key: "naïve key", expect: "NA__VE_KEY"),  // ï is two UTF-8 bytes
        Case(key: String(repeating: "a", count: 70), expect: String(repeating: "A", count: 64)),
        Case(key: "___", expect: nil),
        Case(key: "", expect: nil),
    ])
    func nameForKey(_ c: Case) {
        let name = JournalField.name(forKey: c.key)
        #expect(name == c.expect)
        if let name { #expect(JournalField.isValidName(name)) }
    }

    @Test func ownFieldNamesAreValid() {
        let names = [
            JournalField.cronJob, JournalField.cronRunID, JournalField.cronScheduledAt, JournalField.cronStream,
            JournalField.cronOutputTimestamp, JournalField.cronReason, JournalField.cronScheduleFile,
            JournalField.cronLineContinues, JournalField.k8sNamespace, JournalField.k8sJob, JournalField.k8sPod,
            JournalField.exitCode, JournalField.fargateCapacity,
        ]
        #expect(names.allSatisfy(JournalField.isValidName))
        #expect(Set(names).count == names.count)
    }
}

@Suite struct JournalLogHandlerEntryTests {
    @Test func anEntryHasTheHandlersFieldsAndMetadataCannotOverrideThem() {
        var handler = JournalLogHandler(label: "unit", writer: EntryWriter(destination: .standardError))
        handler[metadataKey: "cron.job"] = "from-handler"
        let entry = handler.entry(
            for: LogEvent(
                level: .error, message: "boom", metadata: ["priority": "0", "message": "hijack", "cron.job": "explicit"],
                source: nil, file: "Scheduler/Loop.swift", function: "tick()", line: 42))
        #expect(entry.fields.map(\.name) == [
            "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER_LABEL", "CRON_JOB",
        ])
        #expect(entry.value(of: "MESSAGE") == Array("boom".utf8))
        #expect(entry.value(of: "PRIORITY") == Array("3".utf8))
        #expect(entry.value(of: "CODE_LINE") == Array("42".utf8))
        #expect(entry.value(of: "CRON_JOB") == Array("explicit".utf8))
    }
}

@Suite struct RunEventTests {
    @Test func messageIDsAreDistinct128BitIDs() {
        let ids = RunEvent.Kind.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
        }
    }

    @Test func aSkippedRunSaysWhyAndWhen() {
        let event = RunEvent(.skipped, job: "nightly-report", runID: nil, scheduledAt: Date(timeIntervalSince1970: 1_795_923_000))
        #expect(event.message == "Skipped nightly-report scheduled at 2026-11-29T03:30:00Z: the previous run is still active")
        #expect(event.metadata[JournalField.messageID] == "b938ec126b874f19b198445a0bfda989")
        #expect(event.metadata[JournalField.cronRunID] == nil)
        #expect(event.kind.level == .notice)
    }
}

@Suite struct OutputLineSplitterTests {
    @Test func linesAreCutAtNewlinesWhereverTheChunksEnd() {
        var splitter = OutputLineSplitter(timestamped: false)
        #expect(splitter.append(Array("ab".utf8)).isEmpty)
        #expect(splitter.append(Array("c\nd\n\ne".utf8)).map(\.bytes) == [Array("abc".utf8), Array("d".utf8), []])
        #expect(splitter.finish()?.bytes == Array("e".utf8))
        #expect(splitter.finish() == nil)
    }

    @Test func timestampsAreSplitOff() {
        var splitter = OutputLineSplitter(timestamped: true)
        let lines = splitter.append(Array("2026-11-29T03:30:00.5Z hello world\nno-space-line\n".utf8))
        #expect(lines == [
            .init(bytes: Array("hello world".utf8), timestamp: "2026-11-29T03:30:00.5Z"),
            .init(bytes: Array("no-space-line".utf8), timestamp: nil),
        ])
    }
}

@Suite struct StandardErrorTextTests {
    /// Run by hand (no journal), entries are one line of text each: time, identifier, level,
    /// message, then the fields that are not code locations.
    @Test func entriesBecomeOneLineOfTextEach() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID().uuidString)").path
        let file = try FileDescriptor.open(path, .readWrite, options: [.create, .truncate], permissions: .ownerReadWrite)
        defer {
            try? file.close()
            unlink(path)
        }
        let writer = EntryWriter(destination: .standardError, identifier: "fargate-cron", fallback: file)
        let logger = Logger(label: "text") { label in JournalLogHandler(label: label, writer: writer) }
        logger.error("could not start", metadata: ["cron.job": "nightly-report", "cron_run_id": "r1"])
        logger.log(RunEvent(.podCollected, job: "nightly-report", runID: "r1", pod: "p-1"))

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map { line in
            // Drop the wall-clock time (`2026-11-29T05:40:00.123Z `, 25 bytes): it is not ours to fix.
            String(line.dropFirst(25))
        }
        #expect(lines == [
            "fargate-cron err: could not start CRON_JOB=nightly-report CRON_RUN_ID=r1",
            "fargate-cron info: Deleted finished pod p-1 of nightly-report CRON_JOB=nightly-report CRON_RUN_ID=r1 "
                + "K8S_POD=p-1 MESSAGE_ID=48a587cd6d4a430db228b82b87fff0eb",
        ])
        #expect(text.split(separator: "\n").allSatisfy { $0.count > 25 && $0[$0.index($0.startIndex, offsetBy: 23)] == "Z" })
        #expect(writer.statistics.sentToJournal == 0 && writer.statistics.fellBack == 0)
    }
}
