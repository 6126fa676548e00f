import FargateExecutor
import Foundation
import Glibc
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// Two daemons on one `*/5 * * * * *` forbid job, as two hosts (separate state folders, host names
/// and API tokens), against the emulator and the Fargate controller: one leads, the other stands by;
/// a leader killed with SIGKILL is replaced within the lease duration and the retry period, and one
/// stopped with SIGTERM at once.
@Suite(.enabled(if: Emulator.isRunning && PeerEnvironment.hasJournald, "needs the emulator and journald (scripts/test starts them)"),
       .serialized)
struct FailoverTests {
    @Test func oneJobPerSlotAFollowerTouchesNothingAndAKilledLeaderIsReplacedWithoutASlotTwice() async throws {
        let cluster = try HACluster("ha-kill")
        let a = try Host("host-a", cluster: cluster)
        let b = try Host("host-b", cluster: cluster)
        let notify = try NotifyListener(path: b.daemon.folder.appendingPathComponent("notify.sock").path)
        try a.start()
        #expect(try await cluster.newLeader(after: nil, within: .seconds(10))?.host == "host-a", "log:\n\(a.daemon.log)")
        try b.start(environment: ["NOTIFY_SOCKET": notify.path])

        // host-b stands by: READY=1 with a STATUS= that names the leader, and `status` says so too.
        var messages: [String] = []
        #expect(try await poll(within: .seconds(10)) {
            messages += notify.receive()
            return messages.contains { $0.contains("READY=1") && $0.contains("STATUS=standby, leader host-a") }
        }, "host-b told systemd \(messages); log:\n\(b.daemon.log)")
        let standby = try await b.daemon.status()
        #expect(standby["leadership"] as? String == "standby, leader host-a", "\(standby)")
        let refused = try await b.daemon.command(["trigger", cluster.job])
        #expect(refused.status != 0 && (refused.output + refused.errors).contains("the leader is host-a"), "\(refused)")

        // Three runs under host-a; host-b starts, follows and deletes nothing meanwhile.
        #expect(try await poll(within: .seconds(25)) { try a.runs(of: cluster.job).filter { $0.state == .succeeded }.count >= 3 },
                "log:\n\(a.daemon.log)")
        #expect(try b.runs(of: cluster.job).isEmpty, "the standby recorded runs")
        let followerRequests = try await Emulator.requests().filter { $0.client == b.token }
        let changes = followerRequests.filter { !["get", "list", "watch"].contains($0.verb) && $0.resource != "leases" }
        #expect(changes.isEmpty, "the standby changed the cluster: \(changes)")
        #expect(!followerRequests.contains { $0.verb == "delete" || $0.verb == "deletecollection" })

        // SIGKILL while a run is active (a second into it): host-b takes over, adopts it, follows it to its end.
        try await sleepUntil(secondsAfterNextSlot: 1.0)
        let killedAt = Date()
        a.daemon.kill()
        let takeover = try await cluster.newLeader(after: "host-a", within: .seconds(10))
        #expect(takeover?.host == "host-b")
        // Lease 3 s + retry period 0.5 s, with a little room for the load of a shared test machine.
        #expect(takeover.map { $0.after <= .milliseconds(4_500) } == true, "took \(String(describing: takeover?.after))")
        let adoptedSlot = slot(atOrBefore: killedAt)
        var adopted: Run?
        #expect(try await poll(within: .seconds(20)) {
            adopted = try b.runs(of: cluster.job).first { $0.scheduledAt == adoptedSlot }
            return adopted?.state == .succeeded
        }, "the killed leader's run \(adoptedSlot) was not followed to its end; log:\n\(b.daemon.log)")
        #expect(adopted?.startedBy == "host-a" && adopted?.finishedBy == "host-b", "\(String(describing: adopted))")
        // Its output, every line, in host-b's journal (the run was followed from its start).
        let kubernetesJob = JobNaming.jobName(for: cluster.job, slot: adoptedSlot, scheduleHasSeconds: true)
        var lines: [String] = []
        #expect(try await poll(within: .seconds(10)) {
            lines = try b.journal("K8S_JOB", kubernetesJob).compactMap { $0["MESSAGE"] }
            return (1...3).allSatisfy { n in lines.filter { $0 == "line \(n) of \(kubernetesJob)" }.count == 1 }
        }, "host-b's journal holds \(lines)")

        // Later runs are host-b's, one Job per slot; the slots between the two leaders are on record.
        #expect(try await poll(within: .seconds(20)) {
            try b.runs(of: cluster.job).filter { $0.startedBy == "host-b" && $0.state == .succeeded }.count >= 2
        }, "log:\n\(b.daemon.log)")
        let through = slot(atOrBefore: Date().addingTimeInterval(-5))
        #expect(try await b.daemon.terminate() == 0)
        let evidence = try await cluster.evidence(of: [a, b])
        #expect(evidence.doubleStarts.isEmpty, "\(evidence.doubleStarts)")
        #expect(evidence.overlaps.isEmpty, "\(evidence.overlaps)")
        #expect(evidence.unaccountedSlots(through: through).isEmpty, "slots no ledger records: \(evidence.unaccountedSlots(through: through))")
        // Each run's output once in the journal of each host that followed it to its end.
        for host in [a, b] {
            for run in try host.runs(of: cluster.job) where run.state == .succeeded && run.finishedBy == host.name && run.handle != nil {
                let name = JobNaming.jobName(for: cluster.job, slot: run.scheduledAt, scheduleHasSeconds: true)
                let seen = try host.journal("K8S_JOB", name).compactMap { $0["MESSAGE"] }.filter { $0.hasPrefix("line ") }
                #expect(seen.sorted() == (1...3).map { "line \($0) of \(name)" }, "\(host.name)'s journal for \(name): \(seen)")
            }
        }
    }

    @Test func sigtermOfTheLeaderHandsOverWithinTheRetryPeriodAndASecond() async throws {
        let cluster = try HACluster("ha-term", runSeconds: 0.5, lines: 1)
        let a = try Host("host-a", cluster: cluster)
        let b = try Host("host-b", cluster: cluster)
        try a.start()
        #expect(try await cluster.newLeader(after: nil, within: .seconds(10))?.host == "host-a", "log:\n\(a.daemon.log)")
        try b.start()
        #expect(try await poll(within: .seconds(10)) { try await b.daemon.status()["leadership"] as? String == "standby, leader host-a" })
        let before = try await cluster.transitions()

        try a.daemon.send(SIGTERM)
        let takeover = try await cluster.newLeader(after: "host-a", within: .seconds(5))
        #expect(takeover?.host == "host-b")
        #expect(takeover.map { $0.after <= .milliseconds(1_500) } == true, "hand-over took \(String(describing: takeover?.after))")
        #expect(try await a.daemon.waitForExit(within: .seconds(15)) == 0, "log:\n\(a.daemon.log)")
        #expect(try await cluster.transitions() == before.map { $0 + 1 })
        let released = try a.journal("MESSAGE_ID", "df7c22d99b174935beb0d45529fbc91d").compactMap { $0["MESSAGE"] }
        #expect(released.contains { $0.contains("the Lease was released") }, "host-a's leadership events: \(released)")
        let acquired = try b.journal("MESSAGE_ID", "c3d3f66bd4df47009f5db9b0d07d67f3")
        #expect(acquired.contains { $0["CRON_LEASE"] == "\(cluster.namespace)/\(HACluster.leaseName)" && $0["CRON_LEADER"]?.hasPrefix("host-b_") == true },
                "host-b's leadership events: \(acquired)")
        #expect(try await poll(within: .seconds(15)) { try b.runs(of: cluster.job).contains { $0.state == .succeeded } },
                "host-b ran nothing; log:\n\(b.daemon.log)")
        #expect(try await b.daemon.terminate() == 0)
        let evidence = try await cluster.evidence(of: [a, b])
        #expect(evidence.doubleStarts.isEmpty, "\(evidence.doubleStarts)")
    }
}
