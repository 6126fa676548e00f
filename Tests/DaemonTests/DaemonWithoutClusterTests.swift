import Foundation
import Glibc
import Ledger
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
            #expect(run.kubernetesJob == nil)
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

    @Test func aNamedClusterContradictsIt() async throws {
        let daemon = try DaemonProcess()
        defer { daemon.cleanUp() }
        try daemon.write("mixed.cron", Self.schedules)
        try daemon.start(environment: ["FARGATE_CRON_WITHOUT_CLUSTER": "1", "FARGATE_CRON_EKS_CLUSTER": "batch"])
        #expect(try await daemon.waitForExit(within: .seconds(20)) == 64, "log:\n\(daemon.log)")
        #expect(daemon.log.contains("--without-cluster cannot be used with a named cluster"), "log:\n\(daemon.log)")
    }
}
