import Foundation
import Kubernetes
import Ledger
import RunModel
import SeededRandom
import TestSupport
import Testing

/// Three daemons on one `*/5 * * * * *` forbid job; twenty times over, the leader is killed with
/// SIGKILL at a pseudo-random moment of a run and started again (as a host that reboots), while
/// another takes over.
@Suite(.enabled(if: Emulator.isRunning && PeerEnvironment.hasJournald, "needs the emulator and journald (scripts/test starts them)"),
       .serialized)
struct LeaderKillLoopTests {
    @Test func twentyLeaderKillsNoDoubleStartNoOverlapEverySlotOnRecord() async throws {
        let cluster = try HACluster("ha-loop", runSeconds: 1.5, lines: 2)
        var hosts: [String: Host] = [:]
        for name in ["host-a", "host-b", "host-c"] {
            hosts[name] = try Host(name, cluster: cluster)
            try hosts[name]!.start()
        }
        var leader = try #require(try await cluster.newLeader(after: nil, within: .seconds(10))?.host)
        var generator = SplitMix64(seed: 0x4A11_0C8E)  // a fixed sequence, so a failure replays
        var takeovers: [Duration] = []

        for round in 1...20 {
            let victim = try #require(hosts[leader])
            try await sleepUntil(secondsAfterNextSlot: Double(generator.next() % 5_000) / 1000)
            victim.daemon.kill()
            let takeover = try await cluster.newLeader(after: leader, within: .seconds(10))
            #expect(takeover != nil, "round \(round): nobody took over from \(leader); logs:\n\(hosts.values.map(\.daemon.log).joined())")
            guard let takeover else { break }
            takeovers.append(takeover.after)
            leader = takeover.host
            try victim.start()
        }
        print("leader kill loop: takeovers after \(takeovers.map { String(format: "%.2f", Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) }.joined(separator: ", ")) s")
        // Lease duration 3 s + retry period 0.5 s, with room for a loaded machine.
        #expect(takeovers.allSatisfy { $0 <= .milliseconds(4_500) }, "takeovers: \(takeovers)")

        // Let the last leader run a while, then stop everyone and look at the evidence.
        try await Task.sleep(for: .seconds(8))
        let through = slot(atOrBefore: Date().addingTimeInterval(-5))
        #expect(try await poll(within: .seconds(15)) { try await cluster.jobs().allSatisfy { $0.status?.isFinished == true } })
        for host in hosts.values where host.isRunning {
            #expect(try await host.daemon.terminate(within: .seconds(20)) == 0, "log:\n\(host.daemon.log)")
        }
        let evidence = try await cluster.evidence(of: Array(hosts.values))
        #expect(evidence.jobs.count >= 15, "only \(evidence.jobs.count) Jobs in 20 rounds")
        #expect(evidence.doubleStarts.isEmpty, "\(evidence.doubleStarts)")
        #expect(evidence.overlaps.isEmpty, "\(evidence.overlaps)")
        let unaccounted = evidence.unaccountedSlots(through: through)
        #expect(unaccounted.isEmpty, "slots no ledger records: \(unaccounted)")
    }
}
