import ArgumentParser
import Foundation
import Logging
import Systemd

/// `log-probe --run-id ID MESSAGE`, a test tool (not shipped): logs one warning through the journal
/// log handler the way the daemon will set it up, so that tests can check the destination choice
/// and the fallback to standard error in a real process.
@main
struct LogProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-probe",
        abstract: "Log one message through the journal log handler (for tests)."
    )

    enum Destination: String, ExpressibleByArgument, CaseIterable {
        /// The journal when JOURNAL_STREAM names standard error, standard error otherwise.
        case auto, journal, stderr
    }

    @Option(help: "Where to log: auto (as the daemon does), journal, stderr.")
    var destination: Destination = .auto

    @Option(name: .customLong("run-id"), help: "The CRON_RUN_ID metadata of the entry.")
    var runID: String

    @Argument(help: "The message.")
    var message: String

    func run() async throws {
        let chosen: LogDestination =
            switch destination {
            case .auto: LogDestination.select(journalStream: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
            case .journal: .journal
            case .stderr: .standardError
            }
        let writer = EntryWriter(destination: chosen)
        let logger = Logger(label: "fargate-cron.probe") { label in JournalLogHandler(label: label, writer: writer) }
        logger.warning("\(message)", metadata: ["cron_run_id": "\(runID)", "cron.job": "log-probe"])
        let statistics = writer.statistics
        print("sent=\(statistics.sentToJournal) fellBack=\(statistics.fellBack)")
    }
}
