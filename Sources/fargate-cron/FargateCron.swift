import ArgumentParser
import Foundation
import HTTP
import Kubernetes

/// The `fargate-cron` command: a cron daemon whose jobs run on AWS Fargate.
///
/// Each subcommand lives in its own file (`NextCommand.swift`, `CheckCommand.swift`, …) and is
/// listed here. This is the only module that builds and connects concrete types.
@main
struct FargateCron: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fargate-cron",
        abstract: "A cron daemon whose jobs run as Kubernetes Jobs on EKS Fargate.",
        version: ProductVersion.version,
        subcommands: [
            DaemonCommand.self, CheckCommand.self, NextCommand.self, StatusCommand.self, HistoryCommand.self,
            TriggerCommand.self, LogsCommand.self, GCCommand.self, TokenCommand.self,
            // Hidden: probes and benchmark drivers used by the tests and scripts/bench.
            NotifyProbeCommand.self, LogProbeCommand.self, OutputProbeCommand.self, KubeBenchCommand.self,
            SchedulerBenchCommand.self,
        ]
    )

    /// The process entry. libcurl's global state is not set up here but at the first handle
    /// (`initializeCurlForProcess`), so that a daemon with only `local` jobs never loads OpenSSL's tables.
    static func main() async {
        let subcommand = CommandLine.arguments.dropFirst().first
        if let subcommand, signalHandlingCommands.contains(subcommand) {
            blockHandledSignalsInEveryThread()
        }
        await main(nil)
    }

    /// The commands that take SIGTERM, SIGINT and SIGHUP through libdispatch signal sources.
    private static let signalHandlingCommands: Set<String> = ["daemon", "notify-probe"]

    /// Blocks SIGTERM, SIGINT and SIGHUP in the main thread before any other thread exists, so that
    /// every thread inherits the block.
    ///
    /// On Linux a dispatch signal source reads a `signalfd`, which only sees a signal that no
    /// thread takes first; a thread that does not block it takes it and, under the `SIG_IGN` the
    /// source asks for, drops it. A lost SIGTERM was seen in CI (the probe never stopped). Children
    /// are unaffected: the local executor spawns them with an empty mask and default handlers.
    /// The corresponding C function is pthread_sigmask.
    private static func blockHandledSignalsInEveryThread() {
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        let result = pthread_sigmask(SIG_BLOCK, &handled, nil)
        if result != 0 {
            // Not fatal: the sources still work as long as the kernel picks a blocking thread.
            FileHandle.standardError.write(Data("fargate-cron: pthread_sigmask failed: \(String(cString: strerror(result)))\n".utf8))
        }
    }
}
