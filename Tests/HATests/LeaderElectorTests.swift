import Foundation
import Kubernetes
import Testing
import TestSupport

/// The election loop over real HTTP against the Kubernetes emulator (its PUT honours the
/// `resourceVersion` precondition with 409 Conflict), and through the fault proxy to cut one
/// candidate off. Lease 3 s, renew deadline 2 s, retry period 0.5 s.
@Suite(.enabled(if: Emulator.isRunning, "needs the Kubernetes emulator peer (scripts/test starts it)"), .serialized)
struct LeaderElectorTests {
    @Test func oneOfTwoLeadsAndAStopHandsOverWithinTheRetryPeriodAndASecond() async throws {
        let namespace = Emulator.unique("ha-two")
        let a = try elector("host-a", namespace: namespace)
        let b = try elector("host-b", namespace: namespace)
        let watch = OverlapWatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await a.run() }
            group.addTask { await b.run() }
            group.addTask { await watch.run([a, b]) }
            defer { group.cancelAll() }

            #expect(await timeUntil(within: .seconds(5)) { a.isLeading || b.isLeading } != nil, "nobody leads")
            let (leader, standby) = a.isLeading ? (a, b) : (b, a)
            let lease = try await Emulator.client(token: "reader").get(Lease.self, named: "fargate-cron", in: namespace)
            #expect(lease.spec?.holderIdentity == leader.identity.description)
            #expect(lease.spec?.leaseTransitions == 0)
            #expect(lease.spec?.leaseDurationSeconds == 3)
            // The times as the API server stores them: MicroTime, six fractional digits.
            let raw = try await Emulator.raw("/apis/coordination.k8s.io/v1/namespaces/\(namespace)/leases/fargate-cron")
            let spec = try #require(raw["spec"] as? [String: Any])
            for field in ["acquireTime", "renewTime"] {
                let text = try #require(spec[field] as? String)
                #expect(text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil, "\(field) \(text)")
            }
            #expect(await timeUntil(within: .seconds(2)) { standby.leadership.leader == leader.identity.description } != nil,
                    "the standby does not know who leads: \(standby.leadership)")
            #expect(standby.leadership.description == "standby, leader \(leader.identity.host)")

            // Renewals keep it: after several lease durations the same one leads.
            try await Task.sleep(for: .seconds(4))
            #expect(leader.isLeading && !standby.isLeading)

            leader.stop()
            #expect(!leader.isLeading, "leadership ends the moment stop is called")
            let handOver = await timeUntil(within: .seconds(5)) { standby.isLeading }
            #expect(handOver.map { $0 <= .milliseconds(1500) } == true, "hand-over took \(String(describing: handOver))")
            let after = try await Emulator.client(token: "reader").get(Lease.self, named: "fargate-cron", in: namespace)
            #expect(after.spec?.holderIdentity == standby.identity.description)
            #expect(after.spec?.leaseTransitions == 1)
            standby.stop()
            #expect(standby.leadership.isStopped && !standby.isLeading)
            var released: Lease?
            #expect(try await poll(within: .seconds(3)) {
                released = try await Emulator.client(token: "reader").get(Lease.self, named: "fargate-cron", in: namespace)
                return released?.spec?.holderIdentity == ""
            }, "not released with an empty holder: \(String(describing: released))")
            #expect(released?.spec?.leaseTransitions == 1)
            #expect(released?.spec?.leaseDurationSeconds == 1)
        }
        #expect(watch.seen.isEmpty, "two leaders at once: \(watch.seen)")
        // The election needs only get, create and update on leases (the RBAC Role's verbs).
        // (The emulator's statistics name a PUT `put`; its Kubernetes verb is `update`.)
        let verbs = Set(try await Emulator.requests().filter { $0.client.hasPrefix("elector-\(namespace)") }
            .map { $0.verb == "put" ? "update" : $0.verb })
        #expect(verbs.isSubset(of: ["get", "create", "update"]) && verbs.contains("update"), "\(verbs)")
    }

    @Test func aLeaderCutOffStopsWithinTheRenewDeadlineAndTheOtherTakesOver() async throws {
        let namespace = Emulator.unique("ha-cut")
        let proxy = try FaultProxy()
        let a = try elector("host-a", namespace: namespace, server: proxy.url)
        let b = try elector("host-b", namespace: namespace)
        let watch = OverlapWatch()
        let changes = a.changes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await a.run() }
            #expect(await timeUntil(within: .seconds(5)) { a.isLeading } != nil, "host-a did not lead")
            group.addTask { await b.run() }
            group.addTask { await watch.run([a, b]) }
            defer { group.cancelAll() }
            try await Task.sleep(for: .seconds(1))

            try await proxy.blackHole(true)
            let stopped = await timeUntil(within: .seconds(4)) { !a.isLeading }
            #expect(stopped.map { $0 <= .milliseconds(2200) } == true, "host-a led on for \(String(describing: stopped))")
            let takeover = await timeUntil(within: .seconds(8)) { b.isLeading }
            // The last renewal before the cut was at most a retry period earlier; the other waits a
            // lease duration from when it saw it, then takes it at its next look.
            #expect(takeover.map { $0 <= .milliseconds(4500) } == true, "host-b took over after \(String(describing: takeover))")

            try await proxy.blackHole(false)
            #expect(await timeUntil(within: .seconds(5)) { a.leadership.leader == b.identity.description } != nil,
                    "host-a, back, does not see host-b lead: \(a.leadership)")
            #expect(b.isLeading && !a.isLeading)
        }
        #expect(watch.seen.isEmpty, "two leaders at once: \(watch.seen)")
        var events: [ElectionEvent] = []
        for await change in changes { if let event = change.event { events.append(event) } }
        let lost = events.compactMap { if case .lost(let reason) = $0 { reason } else { nil } }
        #expect(lost.first?.contains("renew deadline") == true, "host-a's events: \(events)")
    }

    @Test func resetConnectionsCostNoLeadership() async throws {
        let namespace = Emulator.unique("ha-reset")
        let proxy = try FaultProxy()
        let a = try elector("host-a", namespace: namespace, server: proxy.url)
        let b = try elector("host-b", namespace: namespace)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await a.run() }
            #expect(await timeUntil(within: .seconds(5)) { a.isLeading } != nil)
            group.addTask { await b.run() }
            defer { group.cancelAll() }
            var interrupted = false
            for _ in 0..<4 {
                try await proxy.resetAll()
                for _ in 0..<70 {
                    interrupted = interrupted || !a.isLeading || b.isLeading
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(!interrupted, "a reset connection cost host-a its leadership")
        }
    }
}
