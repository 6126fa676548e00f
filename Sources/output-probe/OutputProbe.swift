import ArgumentParser
import Foundation
import Glibc
import Systemd

/// `output-probe --job JOB --run-id ID`, a benchmark tool (not shipped): copies standard input into the
/// journal as a run's output, line by line, through the same sink the executors use. For
/// benchmarks (scripts/bench/journal-output) and for trying the journal fields by hand.
@main
struct OutputProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output-probe",
        abstract: "Write standard input to the journal as a run's output (for benchmarks)."
    )

    @Option(help: "The CRON_JOB of the entries.")
    var job: String

    @Option(name: .customLong("run-id"), help: "The CRON_RUN_ID of the entries.")
    var runID: String

    @Option(help: "The CRON_STREAM of the entries.")
    var stream: String = "stdout"

    func run() async throws {
        guard let stream = JobOutputSink.Stream(rawValue: stream) else {
            throw ValidationError("--stream: '\(stream)' is not stdout or stderr")
        }
        let writer = EntryWriter(destination: .journal)
        let sink = JobOutputSink(run: .init(job: job, runID: runID, scheduledAt: Date()), writer: writer)
        var splitter = OutputLineSplitter(timestamped: false)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if count == 0 { break }
            for line in splitter.append(buffer[..<count]) { sink.write(line: line.bytes, stream: stream) }
        }
        if let last = splitter.finish() { sink.write(line: last.bytes, stream: stream) }
        let statistics = writer.statistics
        print("sent=\(statistics.sentToJournal) fellBack=\(statistics.fellBack)")
    }
}
