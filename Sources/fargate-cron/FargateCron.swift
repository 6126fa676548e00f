import ArgumentParser
import HTTP
import Systemd

/// The `fargate-cron` command: a cron daemon whose jobs run on AWS Fargate.
///
/// Each subcommand lives in its own file (`NextCommand.swift`, `CheckCommand.swift`, …) and is
/// listed here; `daemon` runs the `Daemon` library. Only commands a user runs are here: the tests'
/// probes and the benchmark drivers are executables of their own.
@main
struct FargateCron: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fargate-cron",
        abstract: "A cron daemon whose jobs run as Kubernetes Jobs on EKS Fargate.",
        version: ProductVersion.version,
        subcommands: [
            DaemonCommand.self, CheckCommand.self, NextCommand.self, StatusCommand.self, HistoryCommand.self,
            TriggerCommand.self, LogsCommand.self, GCCommand.self, TokenCommand.self,
        ]
    )

    /// The process entry. libcurl's global state is not set up here but at the first handle
    /// (`initializeCurlForProcess`), so that a daemon with only `local` jobs never loads OpenSSL's tables.
    static func main() async {
        if CommandLine.arguments.dropFirst().first == "daemon" {
            ServiceSignals.blockInEveryThread()
        }
        await main(nil)
    }
}
