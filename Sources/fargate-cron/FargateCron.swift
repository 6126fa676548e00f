import ArgumentParser
import Foundation
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
        version: "0.1.0",
        subcommands: [
            NextCommand.self, LogsCommand.self, NotifyProbeCommand.self, LogProbeCommand.self, OutputProbeCommand.self,
            TokenCommand.self,
        ]
    )

    /// The process entry: libcurl's global state is set up here, once, before any command or task
    /// runs (STYLE.md: `curl_global_init` appears only in `main`).
    static func main() async {
        do {
            try initializeCurlForProcess()
        } catch {
            exit(withError: error)
        }
        await main(nil)
    }
}
