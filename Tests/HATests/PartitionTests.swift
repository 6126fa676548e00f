import FargateExecutor
import Foundation
import Kubernetes
import Ledger
import RunModel
import TestSupport
import Testing

/// Two daemons, each reaching the API server through a fault proxy of its own; ten times over, the
/// leader is cut off (its proxy black-holes every request and answer, as a network partition would).
@Suite(.enabled(if: Emulator.isRunning && PeerEnvironment.hasJournald, "needs the emulator and journald (scripts/test starts them)"),
       .serialized)
struct PartitionTests {
    @Test func aLeaderCutOffStopsCreatingJobsWithinTheRenewDeadlineTenTimesOverWithoutASlotTwiceOrAnOverlap() async throws {
        let cluster = try HACluster("ha-cut")
        let hosts = ["host-a": try Host("host-a", cluster: cluster, throughProxy: true),
                     "host-b": try Host("host-b", cluster: cluster, throughProxy: true)]
        try hosts["host-a"]!.start()
        var leader = try #require(try await cluster.newLeader(after: nil, within: .seconds(10))?.host)
        try hosts["host-b"]!.start()
        var stops: [Double] = []

        for round in 1...10 {
            let cut = try #require(hosts[leader])
            let proxy = try #require(cut.proxy)
            // Cut at a varying moment of the 5-second period, so some cuts fall in the middle of a start.
            try await sleepUntil(secondsAfterNextSlot: Double(round % 5) - 0.5)
            let before = try cut.journal("MESSAGE_ID", "df7c22d99b174935beb0d45529fbc91d").count
            try await proxy.blackHole(true)
            let cutAt = Date()

            // Within the renew deadline (2 s) the cut host stops leading, and says so in its journal.
            var lostAt: Date?
            #expect(try await poll(within: .seconds(6)) {
                let events = try cut.journal("MESSAGE_ID", "df7c22d99b174935beb0d45529fbc91d")
                guard events.count > before, let last = events.last, last["CRON_REASON"]?.contains("renew deadline") == true,
                    let stamp = last["__REALTIME_TIMESTAMP"].flatMap(Double.init)
                else { return false }
                lostAt = Date(timeIntervalSince1970: stamp / 1_000_000)
                return true
            }, "round \(round): \(leader) did not say it stopped leading; log:\n\(cut.daemon.log)")
            let stoppedAfter = lostAt.map { $0.timeIntervalSince(cutAt) } ?? .infinity
            #expect(stoppedAfter <= 2.3, "round \(round): \(leader) led on for \(stoppedAfter) s after it was cut off")
            stops.append(stoppedAfter)
            #expect((try await cut.daemon.status()["leadership"] as? String)?.hasPrefix("standby") == true)
            // From then on it tries no create at all, while still cut off: its proxy sees none.
            let creates = try await proxy.requests().filter { $0.hasPrefix("POST") && $0.contains("/jobs") }.count
            let takeover = try await cluster.newLeader(after: leader, within: .seconds(10))
            #expect(takeover != nil, "round \(round): nobody took over from \(leader)")
            try await Task.sleep(for: .seconds(3))
            let later = try await proxy.requests().filter { $0.hasPrefix("POST") && $0.contains("/jobs") }.count
            #expect(later == creates, "round \(round): \(leader) tried \(later - creates) creates after it stopped leading")
            if let takeover { leader = takeover.host }
            try await proxy.blackHole(false)
            try await proxy.resetAll()
            // The cut host, back, stands by behind the new leader.
            #expect(try await poll(within: .seconds(10)) {
                try await cut.daemon.status()["leadership"] as? String == "standby, leader \(leader)"
            }, "round \(round): \(cut.name) does not stand by behind \(leader)")
        }

        print("partition tests: leadership ended \(stops.map { String(format: "%.2f", $0) }.joined(separator: ", ")) s after each cut")
        #expect(try await poll(within: .seconds(15)) {
            try await cluster.jobs().allSatisfy { $0.status?.isFinished == true }
        })
        let through = slot(atOrBefore: Date().addingTimeInterval(-5))
        for host in hosts.values { #expect(try await host.daemon.terminate() == 0, "log:\n\(host.daemon.log)") }
        let evidence = try await cluster.evidence(of: Array(hosts.values))
        #expect(evidence.jobs.count >= 10, "only \(evidence.jobs.count) Jobs in 10 rounds")
        #expect(evidence.doubleStarts.isEmpty, "\(evidence.doubleStarts)")
        #expect(evidence.overlaps.isEmpty, "\(evidence.overlaps)")
        #expect(evidence.unaccountedSlots(through: through).isEmpty, "slots no ledger records: \(evidence.unaccountedSlots(through: through))")
    }
}
