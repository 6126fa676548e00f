import ArgumentParser

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
            NextCommand.self, CheckCommand.self, DaemonCommand.self, StatusCommand.self, TriggerCommand.self,
            HistoryCommand.self, LogsCommand.self, NotifyProbeCommand.self, LogProbeCommand.self,
            OutputProbeCommand.self,
        ]
    )
}
