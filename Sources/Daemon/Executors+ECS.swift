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

/// What an ecs executor is built from, found once when the daemon starts: the jobs' ECS settings,
/// the ECS and CloudWatch Logs clients (region and credentials checked), Fargate's rates and the
/// poller's pace. A daemon that elects a leader builds a new executor from them for each term.
struct ECSParts: Sendable {
    /// Every loaded `ecs` job's settings, replaced on each reload.
    let jobs: ECSJobTable
    let ecs: ECSClient
    let logs: CloudWatchLogsClient
    let rates: FargateRates?
    let configuration: ECSExecutor.Configuration

    /// An executor that records each run's report in `ledger`, and its bill in `metrics`.
    func makeExecutor(
        ledger: RunLedger, thread: LedgerThread, writer: EntryWriter, clock: any WallClock, logger: Logger, metrics: DaemonMetrics?
    ) -> ECSExecutor {
        let jobs = self.jobs
        return ECSExecutor(
            ecs: ecs, logs: logs, settings: { jobs.settings(of: $0) }, journal: writer, clock: clock, logger: logger,
            configuration: configuration, rates: rates,
            onReport: { report in
                await Executors.record(report, in: ledger, on: thread, clock: clock, logger: logger)
                metrics?.billed(PodReport(report), job: report.slot.job)
            })
    }

    /// Takes a reload's jobs (`parts` is `nil` when the daemon started without `ecs` jobs: then the
    /// added ones fail until a restart, and the journal says so).
    static func reloaded(_ specs: [Schedules.JobSpec], parts: ECSParts?, logger: Logger) {
        if let parts {
            parts.jobs.replace(with: specs)
        } else if ECSJobTable.hasECSJobs(specs) {
            logger.error("ecs jobs were added, but this daemon started without any: their runs fail until it is restarted")
        }
    }
}

extension Executors {
    /// The ecs executor, when the schedules have `ecs` jobs (see ``ecsParts(for:specs:clock:startUp:metrics:)``).
    /// - Throws: ``DaemonStartFailure``.
    static func makeECS(
        for configuration: DaemonConfiguration, specs: [Schedules.JobSpec], ledger: RunLedger, thread: LedgerThread,
        writer: EntryWriter, clock: any WallClock, startUp: StartUp, metrics: DaemonMetrics?
    ) async throws(DaemonStartFailure) -> (ECSExecutor?, ECSJobTable?) {
        guard let parts = try await ecsParts(for: configuration, specs: specs, clock: clock, startUp: startUp, metrics: metrics) else {
            return (nil, nil)
        }
        let executor = parts.makeExecutor(
            ledger: ledger, thread: thread, writer: writer, clock: clock, logger: startUp.logger, metrics: metrics)
        return (executor, parts.jobs)
    }

    /// What the ecs executor is built from, when the schedules have `ecs` jobs: in the region of
    /// `--region` (else `AWS_REGION`), with credentials found as the AWS CLI finds them (`--profile`
    /// first). A daemon with `ecs` jobs but no region or no credentials fails to start, rather than
    /// fail every run. Each request to ECS and CloudWatch Logs is counted in `metrics`.
    /// - Throws: ``DaemonStartFailure``.
    static func ecsParts(
        for configuration: DaemonConfiguration, specs: [Schedules.JobSpec], clock: any WallClock, startUp: StartUp,
        metrics: DaemonMetrics?
    ) async throws(DaemonStartFailure) -> ECSParts? {
        guard ECSJobTable.hasECSJobs(specs) else { return nil }
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
            var client = AWSJSONClient(service: service, credentials: chain, transport: transport, now: { clock.now() })
            if let metrics {
                let name = service.signingName
                client.requestObserver = { operation, failed in metrics.countAPIRequest(api: name, verb: operation, failed: failed) }
            }
            return client
        }
        logger.info("the ecs executor follows \(jobs.names.count) job(s) in \(region)")
        return ECSParts(
            jobs: jobs, ecs: ECSClient(api: api(.ecs(region: region, environment: environment))),
            logs: CloudWatchLogsClient(api: api(.logs(region: region, environment: environment))),
            rates: FargateRates(environment: environment, logger: logger), configuration: configuration.ecs)
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
