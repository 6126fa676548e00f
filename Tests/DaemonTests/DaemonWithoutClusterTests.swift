import Foundation
import Glibc
import Ledger
import RunModel
import TestSupport
import Testing

/// `daemon --without-cluster` (the quick start's daemon): local jobs run, kubernetes runs fail on record.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DaemonWithoutClusterTests {
    static let schedules = """
        CRON_EXECUTOR=local
        * * * * * *  tick    true
        CRON_EXECUTOR=kubernetes
        CRON_IMAGE=public.ecr.aws/docker/library/alpine:3.20
        * * * * * *  remote  echo hello

        """


    @Test func localJobsRunAndEveryKubernetesRunFailsOnRecordSayingWhy() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("mixed.cron", Self.schedules)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(
            try await poll(within: .seconds(20)) {
                try daemon.runs(of: "tick").filter { $0.state == .succeeded }.count >= 2
                    && daemon.runs(of: "remote").filter(\.state.isTerminal).count >= 2
            }, "log:\n\(daemon.log)")
        let remote = try daemon.runs(of: "remote").filter(\.state.isTerminal)
        for run in remote {
            #expect(run.state == .failed, "run \(run.id) of remote is \(run.state)")
            #expect(run.reason?.contains("this daemon runs without a cluster (--without-cluster)") == true, "reason: \(run.reason ?? "none")")
            #expect(run.handle == nil)
        }
        #expect(daemon.log.contains("running without a cluster: the runs of the 1 kubernetes job(s) will fail"), "log:\n\(daemon.log)")
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)
    }

    @Test func itRefusesToStartWhileTheLedgerHoldsAnActiveKubernetesRun() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("mixed.cron", Self.schedules)
        let slot = Slot(job: "remote", scheduledAt: Date(timeIntervalSince1970: 1_800_000_000))
        do {
            let ledger = try RunLedger.open(stateDirectory: daemon.state.path)
            try ledger.recordIntent(for: slot, policy: .forbid, at: Date(timeIntervalSince1970: 1_800_000_000))
        }
        try daemon.start(environment: ["FARGATE_CRON_WITHOUT_CLUSTER": "1"])
        #expect(try await daemon.waitForExit(within: .seconds(20)) == 1, "log:\n\(daemon.log)")
        #expect(
            daemon.log.contains("cannot run without a cluster: the ledger holds 1 active kubernetes run(s), such as run 1 of remote"),
            "log:\n\(daemon.log)")
        // The run is left as it was, to be re-attached by a daemon that has the cluster.
        let held = try daemon.runs(of: "remote")
        #expect(held.map(\.state) == [.intended])
        #expect(try daemon.runs(of: "tick").isEmpty, "a job ran although the daemon refused to start")
    }

    /// Issue #12: a daemon without a cluster SIGKILLed while a `local` run was active refused to
    /// start again ("the ledger holds 1 active kubernetes run(s)"), because the ledger kept a local
    /// run's process in its Kubernetes Job column; under `Restart=on-failure` it would loop. The
    /// ledger now says which executor ran each run, and the local run is adopted.
    @Test func test_restartAfterSIGKILLWithALocalRunActive_bug12() async throws {
        let daemon = try DaemonProcess()
        var groups: [Int32] = []
        defer { daemon.cleanUp(jobProcessGroups: groups) }
        try daemon.write("mixed.cron", """
            CRON_EXECUTOR=local
            * * * * * *  sleeper  sleep 300
            CRON_EXECUTOR=kubernetes
            CRON_IMAGE=public.ecr.aws/docker/library/alpine:3.20
            @daily       remote   echo hello

            """)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(
            try await poll(within: .seconds(20)) { try daemon.runs(of: "sleeper").contains { $0.state == .started } },
            "log:\n\(daemon.log)")
        let active = try #require(try daemon.runs(of: "sleeper").first { $0.state == .started })
        let handle = try #require(active.handle)
        #expect(handle.executor == .local)
        groups = [Int32(handle.reference.split(separator: " ")[0].dropFirst(4)) ?? 0].filter { $0 > 0 }
        daemon.kill()
        let skippedBefore = try daemon.runs(of: "sleeper").filter { $0.state == .skipped }.count

        try daemon.start(arguments: ["--without-cluster"])
        #expect(
            try await poll(within: .seconds(20)) { daemon.log.contains("run \(active.id) of sleeper survived a restart and was adopted") },
            "log:\n\(daemon.log)")
        #expect(daemon.process?.isRunning == true, "log:\n\(daemon.log)")
        #expect(!daemon.log.contains("cannot run without a cluster"), "log:\n\(daemon.log)")
        // The adopted run still holds its job under forbid: the restarted daemon skips the next slots.
        #expect(
            try await poll(within: .seconds(10)) {
                let runs = try daemon.runs(of: "sleeper")
                return runs.filter { $0.state == .skipped && $0.blockedBy == active.id }.count > skippedBefore
                    && runs.filter { $0.state == .started }.map(\.id) == [active.id]
            }, "log:\n\(daemon.log)")
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(15)) == 0, "log:\n\(daemon.log)")
    }

    /// Issue #12: without a cluster, every reload logged "kubernetes jobs were added" although none
    /// was; a daemon that started with no cluster says it once per job a reload really adds.
    @Test func test_aReloadWithoutAClusterDoesNotClaimKubernetesJobsWereAdded_bug12() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("mixed.cron", Self.schedules)
        try daemon.start(arguments: ["--without-cluster"])
        #expect(try await poll(within: .seconds(15)) { try daemon.runs(of: "tick").count >= 1 }, "log:\n\(daemon.log)")
        try daemon.send(SIGHUP)
        #expect(try await poll(within: .seconds(15)) { daemon.log.contains("SIGHUP: nothing changed") }, "log:\n\(daemon.log)")
        #expect(!daemon.log.contains("kubernetes jobs were added"), "log:\n\(daemon.log)")
        try daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(within: .seconds(10)) == 0)

        // Started with local jobs only and no cluster named: it never connected. A reload that adds a
        // kubernetes job says so, naming it, once.
        let other = try DaemonProcess()
        defer { other.cleanUp() }
        try other.write("local.cron", "CRON_EXECUTOR=local\n@yearly yearly true\n")
        try other.start()
        #expect(try await poll(within: .seconds(15)) { FileManager.default.fileExists(atPath: other.state.path + "/control.sock") })
        try other.write("remote.cron", "CRON_IMAGE=public.ecr.aws/docker/library/alpine:3.20\n@yearly remote echo hello\n")
        try other.send(SIGHUP)
        #expect(try await poll(within: .seconds(15)) { other.log.contains("added remote") }, "log:\n\(other.log)")
        let reloads = DaemonReloadTests.reloads(in: other.log)
        try other.send(SIGHUP)
        #expect(try await poll(within: .seconds(15)) { DaemonReloadTests.reloads(in: other.log) > reloads }, "log:\n\(other.log)")
        let claims = other.log.components(separatedBy: "kubernetes jobs were added (remote), but this daemon started without a cluster").count - 1
        #expect(claims == 1, "log:\n\(other.log)")
        try other.send(SIGTERM)
        #expect(try await other.waitForExit(within: .seconds(10)) == 0)
    }

    @Test func aNamedClusterContradictsIt() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("mixed.cron", Self.schedules)
        try daemon.start(environment: ["FARGATE_CRON_WITHOUT_CLUSTER": "1", "FARGATE_CRON_EKS_CLUSTER": "batch"])
        #expect(try await daemon.waitForExit(within: .seconds(20)) == 64, "log:\n\(daemon.log)")
        #expect(daemon.log.contains("--without-cluster cannot be used with a named cluster"), "log:\n\(daemon.log)")
    }
}
