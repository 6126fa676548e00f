import AWS
import ECS
import ECSExecutor
import FargateExecutor
import Foundation
import HTTP
import Kubernetes
import Ledger
import Logging
import RunModel
import Scheduler
import Schedules
import Systemd

extension Executors {
    /// The ecs executor, when the schedules have `ecs` jobs: in the region of `--region` (else
    /// `AWS_REGION`), with credentials found as the AWS CLI finds them (`--profile` first). A daemon
    /// with `ecs` jobs but no region or no credentials fails to start, rather than fail every run.
    /// - Throws: ``DaemonStartFailure``.
    static func makeECS(
        for configuration: DaemonConfiguration, specs: [Schedules.JobSpec], ledger: RunLedger, thread: LedgerThread,
        writer: EntryWriter, clock: any WallClock, startUp: StartUp
    ) async throws(DaemonStartFailure) -> (ECSExecutor?, ECSJobTable?) {
        guard ECSJobTable.hasECSJobs(specs) else { return (nil, nil) }
        let logger = startUp.logger
        let environment = configuration.environment
        guard let region = configuration.cluster.region ?? AWSService.region(in: environment) else {
            throw startUp.fail(
                errno: EINVAL, "the ecs jobs need an AWS region: --region, FARGATE_CRON_REGION or AWS_REGION",
                status: "no AWS region for the ecs jobs")
        }
        let transport = CurlTransport()
        let chain = AWSCredentialChain(
            environment: environment, profile: configuration.cluster.profile, transport: transport, now: { Date() })
        do { _ = try await chain.credentials() } catch {
            throw startUp.fail(
                errno: EACCES, "cannot find AWS credentials for the ecs jobs: \(error)", status: "no AWS credentials for the ecs jobs")
        }
        let jobs = ECSJobTable(specs, region: region)
        let api = { (service: AWSService) in
            AWSJSONClient(service: service, credentials: chain, transport: transport, now: { clock.now() })
        }
        let rates = FargateRates(environment: environment, logger: logger)
        let executor = ECSExecutor(
            ecs: ECSClient(api: api(.ecs(region: region, environment: environment))),
            logs: CloudWatchLogsClient(api: api(.logs(region: region, environment: environment))),
            settings: { jobs.settings(of: $0) }, journal: writer, clock: clock, logger: logger,
            configuration: configuration.ecs, rates: rates,
            onReport: { report in await record(report, in: ledger, on: thread, clock: clock, logger: logger) })
        logger.info("the ecs executor follows \(jobs.names.count) job(s) in \(region)")
        return (executor, jobs)
    }

    /// Keeps what the ecs executor learnt of a finished run (its task's size, times and price).
    static func record(_ report: ECSRunReport, in ledger: RunLedger, on thread: LedgerThread, clock: any WallClock, logger: Logger) async {
        let now = clock.now()
        do { _ = try await thread.run { () throws(LedgerError) in try ledger.record(report, at: now) } } catch {
            logger.error(
                "cannot record what run \(report.run) of \(report.slot.job) cost: \(error)",
                metadata: [JournalField.cronJob: "\(report.slot.job)", JournalField.cronRunID: "\(report.run)"])
        }
    }
}
