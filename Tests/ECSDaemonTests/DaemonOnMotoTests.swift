import ECS
import ECSTestSupport
import Foundation
import Ledger
import RunModel
import TestSupport
import Testing

extension DaemonProcess {
    /// The runs of `job` in this daemon's ledger, newest first; none while the ledger does not exist.
    func runs(of job: String) throws -> [Run] {
        do {
            return try RunLedger.openForReading(stateDirectory: state.path).history(job: job, limit: 10_000)
        } catch .noLedger { return [] }
    }
}

/// The real daemon with `ecs` jobs, against moto behind its own ECS front, with the real journald.
@Suite(.enabled(if: Moto.isAvailableWithJournal, "needs moto and journald (scripts/test starts them)"), .serialized,
       .timeLimit(.minutes(5)))
struct DaemonOnMotoTests {
    /// A daemon, its front and its cluster; the schedule file names them.
    struct Setup {
        let front: MotoFront
        let daemon: DaemonProcess
        let network: MotoFront.Network
        let cluster: String
        let logGroup: String

        init() async throws {
            front = try MotoFront()
            cluster = Moto.unique("daemon")
            logGroup = "/fargate-cron/\(cluster)"
            network = try await front.setup(cluster: cluster, logGroup: logGroup)
            daemon = try DaemonProcess(prefix: "fc-ecs")
            daemon.logsToJournal = true
            daemon.environmentOverrides = Moto.environment(endpoint: front.url).merging([
                "FARGATE_CRON_ECS_POLL_INTERVAL": "0.2", "FARGATE_CRON_ECS_LOG_SETTLE": "0.5",
                "FARGATE_CRON_FARGATE_RATES": "0.04048,0.004445",
            ]) { _, new in new }
        }

        /// An `ecs` job every five seconds in this setup's cluster.
        /// - Parameter settings: more `CRON_…=` lines for the job.
        func schedule(job: String, command: String, concurrency: String = "forbid", settings: [String] = []) -> String {
            """
            \(settings.map { $0 + "\n" }.joined())CRON_EXECUTOR=ecs
            CRON_ECS_CLUSTER=\(cluster)
            CRON_ECS_SUBNETS=\(network.subnets[0]),\(network.subnets[1])
            CRON_ECS_SECURITY_GROUPS=\(network.securityGroups[0])
            CRON_ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/ecs-exec
            CRON_ECS_LOG_GROUP=\(logGroup)
            CRON_IMAGE=public.ecr.aws/docker/library/busybox:latest
            CRON_MEMORY=512Mi
            CRON_CONCURRENCY=\(concurrency)
            */5 * * * * *  \(job)  \(command)

            """
        }

        /// Waits (at most 60 s) for a run of `job` whose task ECS reports RUNNING; the ledger says
        /// only started (executors do not report RUNNING to it).
        func runningTask(of job: String) async throws -> Run? {
            var running: Run?
            let found = try await poll(within: .seconds(60)) {
                running = try daemon.runs(of: job).first { $0.state.isActive && $0.handle != nil }
                guard let arn = running?.handle?.reference else { return false }
                return try await front.tasks().contains { $0.taskArn == arn && $0.lastStatus == "RUNNING" }
            }
            return found ? running : nil
        }

        /// The front's tasks of `job`, and whether no slot has two.
        func tasks(of job: String) async throws -> (tasks: [FrontTask], oncePerSlot: Bool) {
            let tasks = try await front.tasks().filter { $0.tag("fargate-cron/job") == job }
            let slots = tasks.compactMap { $0.tag("fargate-cron/scheduled-at") }
            return (tasks, Set(slots).count == tasks.count && slots.count == tasks.count)
        }
    }

    @Test func anECSJobEveryFiveSecondsRunsOneTaskPerSlotWithItsOutputAndExitCodes() async throws {
        let setup = try await Setup()
        let job = Moto.unique("ticker")
        // Odd run ids fail with exit code 1: both outcomes are recorded. (`\\%`: cron makes a bare `%` a newline.)
        try setup.daemon.write("ecs.cron", setup.schedule(
            job: job, command: "echo \"run $CRON_RUN_ID at $SCHEDULED_TIME\"; exit $(( CRON_RUN_ID \\% 2 ))"))
        try setup.daemon.start(environment: ["FARGATE_CRON_METRICS_ADDRESS": "127.0.0.1:0"])
        defer { setup.daemon.cleanUp() }
        var ended: [Run] = []
        let enough = try await poll(within: .seconds(90)) {
            ended = try setup.daemon.runs(of: job).filter { [.succeeded, .failed].contains($0.state) && $0.reportedAt != nil }
            return ended.count >= 4
        }
        #expect(enough, "\(setup.daemon.log)")
        // The tasks' bill is in the metrics as a Kubernetes run's is: a minute at least for each.
        let billed = try metric("fargate_cron_fargate_billed_seconds_total{cron_job=\"\(job)\"}", of: setup.daemon)
        #expect(billed.map { $0 >= Double(60 * ended.count) && $0.truncatingRemainder(dividingBy: 60) == 0 } == true, "\(String(describing: billed))")
        // The AWS requests are counted beside the Kubernetes ones: a RunTask a started run at least,
        // the poller's DescribeTasks, the output's CloudWatch Logs reads; moto refuses none of them.
        let runTasks = try metric("fargate_cron_api_requests_total{api=\"ecs\",verb=\"RunTask\"}", of: setup.daemon)
        #expect((runTasks ?? 0) >= Double(ended.count), "\(String(describing: runTasks))")
        #expect((try metric("fargate_cron_api_requests_total{api=\"ecs\",verb=\"DescribeTasks\"}", of: setup.daemon) ?? 0) >= 1)
        #expect((try metric("fargate_cron_api_requests_total{api=\"logs\",verb=\"GetLogEvents\"}", of: setup.daemon) ?? 0) >= 1)
        #expect(try metric("fargate_cron_api_errors_total{api=\"ecs\",verb=\"RunTask\"}", of: setup.daemon) == nil)
        #expect(try await setup.daemon.terminate() == 0)

        let (tasks, oncePerSlot) = try await setup.tasks(of: job)
        #expect(oncePerSlot, "a slot has two tasks: \(tasks.map { $0.tag("fargate-cron/scheduled-at") ?? "?" })")
        #expect(tasks.allSatisfy {
            $0.subnets == Array(setup.network.subnets.prefix(2)) && $0.securityGroups == [setup.network.securityGroups[0]]
        })
        #expect(ended.contains { $0.state == .succeeded } && ended.contains { $0.state == .failed })
        for run in ended {
            let task = try #require(tasks.first { $0.taskArn == run.handle?.reference }, "run \(run.id) has no task")
            #expect(run.handle?.executor == .ecs)
            #expect(task.tag("fargate-cron/run-id") == String(run.id.rawValue))
            #expect(run.state == (run.id.rawValue % 2 == 0 ? .succeeded : .failed))
            if run.state == .failed { #expect(run.exitCode == 1 && run.failureCause == .exitStatus) }
            #expect(run.capacity == "0.25vCPU 0.5GB" && run.billedDuration == .seconds(60) && run.estimatedPrice != nil)
            #expect(run.outputLines == 1)
        }
        // `history` shows each run's task ARN.
        let history = try await setup.daemon.command(["history", job, "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(history.output.utf8)) as? [[String: Any]])
        for run in ended {
            #expect(rows.contains { ($0["id"] as? Int64) == run.id.rawValue && ($0["ecsTask"] as? String) == run.handle?.reference })
        }
        let text = try await setup.daemon.command(["history", job])
        #expect(ended.allSatisfy { text.output.contains("task \($0.handle?.reference ?? "?")") })
        // The output is in the journal under the job, with the task.
        let first = try #require(ended.last)
        let lines = try await journalEntries(["CRON_JOB=\(job)", "CRON_RUN_ID=\(first.id.rawValue)"]).filter { $0["CRON_STREAM"] != nil }
        #expect(lines.map { $0["MESSAGE"] ?? "" } == ["run \(first.id.rawValue) at \(utc(first.scheduledAt))"])
        #expect(lines.first?["ECS_TASK_ARN"] == first.handle?.reference && lines.first?["ECS_CONTAINER"] == job)
    }

    /// A reload (the file rewritten while the daemon runs) gives the job's next tasks its new network
    /// and command; no slot gets two tasks across it.
    @Test func aReloadGivesTheNextTasksTheNewSettings() async throws {
        let setup = try await Setup()
        let job = Moto.unique("reload")
        let subnets = setup.network.subnets
        try #require(subnets.count >= 3)
        let before = setup.schedule(job: job, command: "echo before")
        try setup.daemon.write("ecs.cron", before)
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        #expect(try await poll(within: .seconds(60)) { try setup.daemon.runs(of: job).contains { $0.state == .succeeded } },
                "\(setup.daemon.log)")
        let after = before.replacingOccurrences(of: "CRON_ECS_SUBNETS=\(subnets[0]),\(subnets[1])", with: "CRON_ECS_SUBNETS=\(subnets[2])")
            .replacingOccurrences(of: "echo before", with: "echo after")
        try #require(after != before)
        try setup.daemon.write("ecs.cron", after)
        var tasks: [FrontTask] = []
        #expect(try await poll(within: .seconds(60)) {
            tasks = try await setup.tasks(of: job).tasks
            return tasks.filter { $0.subnets == [subnets[2]] && $0.lastStatus == "STOPPED" }.count >= 2
        }, "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)

        let final = try await setup.tasks(of: job)
        #expect(final.oncePerSlot)
        // Old settings up to the reload, new ones after it: never mixed, never back.
        let ordered = final.tasks.sorted { ($0.tag("fargate-cron/scheduled-at") ?? "") < ($1.tag("fargate-cron/scheduled-at") ?? "") }
        let kinds = ordered.map { $0.subnets == [subnets[2]] ? "new" : "old" }
        #expect(kinds.first == "old" && kinds.last == "new" && kinds.drop { $0 == "old" }.allSatisfy { $0 == "new" }, "\(kinds)")
        for task in ordered {
            let new = task.subnets == [subnets[2]]
            #expect(task.command == ["/bin/sh", "-c", new ? "echo after" : "echo before"])
            #expect(new || task.subnets == [subnets[0], subnets[1]])
        }
        #expect(try setup.daemon.runs(of: job).filter(\.state.isTerminal).allSatisfy { $0.state == .succeeded })
    }

    /// SIGTERM while a task runs: the daemon stops at once and leaves the task to ECS; the next start
    /// re-attaches it, records its end, and journals each of its lines once.
    @Test func aStoppedDaemonLeavesItsTaskRunningAndTheNextStartRecordsItsEnd() async throws {
        let setup = try await Setup()
        let job = Moto.unique("sigterm")
        try setup.daemon.write("ecs.cron", setup.schedule(job: job, command: "echo started; sleep 4; echo done"))
        try setup.daemon.start()
        defer { setup.daemon.cleanUp() }
        let run = try #require(try await setup.runningTask(of: job), "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate(within: .seconds(10)) == 0)
        let task = try #require(try await setup.tasks(of: job).tasks.first { $0.taskArn == run.handle?.reference })
        #expect(task.desiredStatus == "RUNNING", "the daemon stopped its task on the way out")
        #expect(try setup.daemon.runs(of: job).first { $0.id == run.id }?.state.isActive == true)

        try setup.daemon.start()
        var ended: Run?
        #expect(try await poll(within: .seconds(60)) {
            ended = try setup.daemon.runs(of: job).first { $0.id == run.id && $0.state.isTerminal && $0.reportedAt != nil }
            return ended != nil
        }, "\(setup.daemon.log)")
        #expect(try await setup.daemon.terminate() == 0)
        #expect(ended?.state == .succeeded && ended?.handle?.reference == task.taskArn && ended?.outputLines == 2)
        let lines = try await journalEntries(["CRON_JOB=\(job)", "CRON_RUN_ID=\(run.id.rawValue)"])
            .filter { $0["CRON_STREAM"] != nil }.map { $0["MESSAGE"] ?? "" }
        #expect(lines == ["started", "done"])
        #expect(try await setup.tasks(of: job).oncePerSlot)
    }

    /// kill -9 right before RunTask, right after it (the start not yet recorded), and while the task
    /// runs; each time the restarted daemon starts no second task for any slot, and the task it finds
    /// is followed to its end and recorded.
    @Test(arguments: ["ecs-before-run-task", "ecs-after-run-task", "ecs-running"])
    func aKilledDaemonNeverStartsASlotTwiceAndAdoptsItsRunningTask(_ failpoint: String) async throws {
        let setup = try await Setup()
        let job = Moto.unique("crash")
        try setup.daemon.write("ecs.cron", setup.schedule(job: job, command: "echo started; sleep 3; echo done"))
        try setup.daemon.start(environment: ["FARGATE_CRON_FAILPOINT": "\(failpoint):1"])
        defer { setup.daemon.cleanUp() }
        #expect(try await setup.daemon.waitForExit(within: .seconds(60)) == -SIGKILL, "\(setup.daemon.log)")
        let killedRun = try #require(try setup.daemon.runs(of: job).first)
        // Before RunTask's answer was recorded the run is an intent; at the running task, started.
        #expect(failpoint == "ecs-running" ? killedRun.state.isActive && killedRun.handle != nil : killedRun.state == .intended)
        try setup.daemon.start()
        var after: Run?
        #expect(try await poll(within: .seconds(60)) {
            after = try setup.daemon.runs(of: job).first { $0.id == killedRun.id && $0.state.isTerminal }
            return after != nil
        }, "\(setup.daemon.log)")
        let tasks = try await setup.tasks(of: job)
        if failpoint == "ecs-before-run-task" {
            // No task was started for the slot: the run is lost, on record, and never started late.
            #expect(after?.state == .failed && after?.reason?.contains("never started") == true, "\(String(describing: after))")
            #expect(!tasks.tasks.contains { $0.tag("fargate-cron/run-id") == String(killedRun.id.rawValue) })
        } else {
            #expect(after?.state == .succeeded, "\(String(describing: after?.reason))")
            let task = try #require(tasks.tasks.first { $0.tag("fargate-cron/run-id") == String(killedRun.id.rawValue) })
            #expect(after?.handle?.reference == task.taskArn)
            let lines = try await journalEntries(["CRON_JOB=\(job)", "CRON_RUN_ID=\(killedRun.id.rawValue)"])
                .filter { $0["CRON_STREAM"] != nil }.map { $0["MESSAGE"] ?? "" }
            #expect(lines == ["started", "done"])
        }
        #expect(try await setup.daemon.terminate() == 0)
        let final = try await setup.tasks(of: job)
        #expect(final.oncePerSlot, "a slot has two tasks: \(final.tasks.map { $0.tag("fargate-cron/scheduled-at") ?? "?" })")
    }
}

/// One sample of the daemon's /metrics (`name` with its labels as written), or nil when absent; the
/// port is the one the daemon logged it bound (`FARGATE_CRON_METRICS_ADDRESS=127.0.0.1:0`).
func metric(_ name: String, of daemon: DaemonProcess) throws -> Double? {
    let log = daemon.log
    let marker = "serving Prometheus metrics on http://"
    let address = try #require(log.range(of: marker).map { log[$0.upperBound...].prefix { !$0.isWhitespace } }, "no metrics address in the log")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sf", "--max-time", "10", "http://\(address)"]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "curl http://\(address) exited \(process.terminationStatus)")
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}

/// `2026-11-29T06:30:00Z`.
func utc(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
}
