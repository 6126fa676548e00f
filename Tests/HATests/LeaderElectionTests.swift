import Foundation
import Kubernetes
import Testing

/// The election's state machine, step by step, on a clock moved by hand (lease 3 s, renew deadline
/// 2 s, retry period 0.5 s).
@Suite struct LeaderElectionTests {
    static let me = "host-a_100_aaaaaa"
    static let other = "host-b_200_bbbbbb"

    /// What a fresh candidate does after reading the Lease at t=0.
    struct FirstRound: CustomTestStringConvertible, Sendable {
        var name: String
        var found: LeaseCallResult
        var expect: Expectation
        enum Expectation: Sendable {
            case create
            case take(transitions: Int, keepsAcquireTime: Bool)
            case standBy(until: Double)
        }
        var testDescription: String { name }
    }

    @Test(arguments: [
        FirstRound(name: "no Lease: create it, 0 transitions", found: .notFound, expect: .create),
        FirstRound(name: "released (empty holder): take it at once, a transition more",
                   found: .lease(lease(holder: "", version: 7, transitions: 4, durationSeconds: 1)),
                   expect: .take(transitions: 5, keepsAcquireTime: false)),
        FirstRound(name: "no holder field: take it at once",
                   found: .lease(lease(holder: nil, version: 7, transitions: nil)),
                   expect: .take(transitions: 1, keepsAcquireTime: false)),
        FirstRound(name: "held by another: stand by, look again after the retry period",
                   found: .lease(lease(holder: other, version: 7, transitions: 2)), expect: .standBy(until: 0.5)),
        FirstRound(name: "held by another whose renewTime is an hour old: still stand by (our clock decides)",
                   found: .lease(lease(holder: other, version: 7, renewed: -3600)), expect: .standBy(until: 0.5)),
        FirstRound(name: "held by us (a renewal whose answer was lost): renew, keep acquireTime and transitions",
                   found: .lease(lease(holder: me, version: 7, transitions: 3)),
                   expect: .take(transitions: 3, keepsAcquireTime: true)),
    ])
    func firstRound(_ row: FirstRound) throws {
        var script = ElectionScript(identity: Self.me)
        let first = script.wake(at: 0)
        #expect(first.isGet)
        #expect(first.callDeadline == .at(2), "a candidate's call is cut off after the renew deadline")
        let step = script.receive(row.found, at: 0.1)
        switch row.expect {
        case .create:
            guard case .call(.create(let made), _) = step.action else { Issue.record("expected a create, got \(step.action)"); return }
            #expect(made.metadata.name == "fargate-cron")
            #expect(made.spec?.holderIdentity == Self.me)
            #expect(made.spec?.leaseTransitions == 0)
            #expect(made.spec?.leaseDurationSeconds == 3)
            #expect(made.spec?.acquireTime == MicroTime(wallDate(0.1)) && made.spec?.renewTime == MicroTime(wallDate(0.1)))
        case .take(let transitions, let keeps):
            guard case .call(.update(let sent), _) = step.action, case .lease(let read) = row.found else {
                Issue.record("expected an update, got \(step.action)")
                return
            }
            #expect(sent.metadata.resourceVersion == read.metadata.resourceVersion, "the version read is the precondition")
            #expect(sent.spec?.holderIdentity == Self.me)
            #expect(sent.spec?.leaseTransitions == transitions)
            #expect(sent.spec?.leaseDurationSeconds == 3)
            #expect(sent.spec?.renewTime == MicroTime(wallDate(0.1)))
            #expect(sent.spec?.acquireTime == (keeps ? read.spec?.acquireTime : MicroTime(wallDate(0.1))))
        case .standBy(let until):
            #expect(step.waitsUntil == .at(0.1 + until))
            #expect(step.events == [.leaderChanged(Self.other)])
        }
        #expect(!script.isLeading(at: 0.1), "nobody leads before its write is answered")
    }

    @Test func anExpiredLeaseIsTakenALeaseDurationAfterItWasFirstSeenUnchanged() throws {
        var script = ElectionScript(identity: Self.me)
        let held = lease(holder: Self.other, version: 7, transitions: 2)
        var t = 0.0
        var step = script.wake(at: t)
        // The holder goes silent: the record never changes. We look every retry period, then at expiry exactly.
        while step.sentLease == nil {
            if step.isGet {
                step = script.receive(.lease(held), at: t)
            } else {
                t = try #require(step.waitsUntil).seconds
                step = script.wake(at: t)
            }
            if t > 10 { break }
        }
        #expect(t == 3.0, "taken at the first look a lease duration after the record was first seen, not before")
        let sent = try #require(step.sentLease)
        #expect(sent.spec?.leaseTransitions == 3)
        #expect(sent.metadata.resourceVersion == "7")
        let done = script.receive(stored(sent, version: 8), at: 3.05)
        #expect(done.acquired?.transitions == 3)
        #expect(done.acquired?.previous == Self.other)
        #expect(done.events.contains(.leaderChanged(Self.me)))
        #expect(script.isLeading(at: 3.05) && script.isLeading(at: 4.99) && !script.isLeading(at: 5.0),
                "leads until the renew deadline after the write was sent")
        #expect(done.waitsUntil == .at(3.55))
    }

    @Test func aLeaseThatKeepsChangingIsNeverTaken() {
        var script = ElectionScript(identity: Self.me)
        var t = 0.0
        for version in 1...40 {
            _ = script.wake(at: t)
            let step = script.receive(.lease(lease(holder: Self.other, version: version, renewed: t)), at: t)
            #expect(step.sentLease == nil, "took a Lease renewed at \(t)")
            t += 0.5
        }
    }

    @Test func theLeaderRenewsOnTheVersionItWroteWithoutReading() throws {
        var script = ElectionScript(identity: Self.me)
        let acquired = script.acquireMissingLease(at: 0)
        let made = try #require(acquired)
        let step = script.wake(at: 0.5)
        let renewal = try #require(step.sentLease, "the leader's round begins with an update, not a get")
        #expect(renewal.metadata.resourceVersion == made.metadata.resourceVersion)
        #expect(renewal.spec?.renewTime == MicroTime(wallDate(0.5)))
        #expect(renewal.spec?.acquireTime == made.spec?.acquireTime)
        #expect(renewal.spec?.leaseTransitions == made.spec?.leaseTransitions)
        #expect(step.callDeadline == .at(2), "the leader's call is cut off at its own deadline")
        let renewed = script.receive(stored(renewal, version: 2), at: 0.6)
        #expect(renewed.events == [.renewed])
        #expect(script.isLeading(at: 2.49) && !script.isLeading(at: 2.5), "the deadline moved to 2 s after the renewal was sent")
    }

    @Test func aConflictingRenewalReadsAndFindsAnotherHolderAndLosesLeadership() throws {
        var script = ElectionScript(identity: Self.me)
        let acquired = script.acquireMissingLease(at: 0)
        _ = try #require(acquired)
        _ = script.wake(at: 0.5)
        let slowPath = script.receive(.conflict("the object has been modified"), at: 0.55)
        #expect(slowPath.isGet, "after a conflict the leader reads, as client-go's slow path")
        #expect(script.isLeading(at: 0.55), "one failed renewal does not end leadership")
        let taken = script.receive(.lease(lease(holder: Self.other, version: 9, transitions: 1, renewed: 0.5)), at: 0.6)
        #expect(taken.losesLeadership)
        #expect(taken.events.contains(.leaderChanged(Self.other)))
        #expect(!script.isLeading(at: 0.6))
        #expect(taken.waitsUntil == .at(1.1))
    }

    @Test func twoCandidatesWritingTheSameVersionOneWinsOneGetsAConflict() throws {
        var a = ElectionScript(identity: Self.me)
        var b = ElectionScript(identity: Self.other)
        let free = lease(holder: "", version: 5, transitions: 1, durationSeconds: 1)
        _ = a.wake(at: 0)
        _ = b.wake(at: 0)
        let aSent = try #require(a.receive(.lease(free), at: 0.1).sentLease)
        let bSent = try #require(b.receive(.lease(free), at: 0.1).sentLease)
        #expect(aSent.metadata.resourceVersion == "5" && bSent.metadata.resourceVersion == "5")
        let won = a.receive(stored(aSent, version: 6), at: 0.2)
        let lost = b.receive(.conflict("Operation cannot be fulfilled on leases"), at: 0.2)
        #expect(won.acquired?.transitions == 2)
        #expect(lost.acquired == nil && !lost.losesLeadership)
        #expect(lost.waitsUntil == .at(0.7))
        #expect(a.isLeading(at: 0.2) && !b.isLeading(at: 0.2))
    }

    @Test func aLeaderThatCannotRenewStopsAtTheRenewDeadlineAndSaysWhy() throws {
        var script = ElectionScript(identity: Self.me)
        let acquired = script.acquireMissingLease(at: 0)  // leads until t=2
        _ = try #require(acquired)
        var t = 0.5
        var step = script.wake(at: t)
        var wakes: [Double] = []
        var rounds = 0
        // Every try fails 50 ms after it is sent: the fast renewal, then the read of the slow path.
        while !step.losesLeadership, rounds < 20 {
            rounds += 1
            if case .call = step.action {
                t += 0.05
                step = script.receive(.failed(step.isGet ? "connection refused" : "no answer within 1.5s"), at: t)
                #expect(!step.losesLeadership || t >= 2.0)
            } else {
                t = try #require(step.waitsUntil).seconds
                wakes.append(t)
                #expect(script.isLeading(at: t - 0.001), "still leading just before waking at \(t)")
                step = script.wake(at: t)
            }
        }
        #expect(wakes == [1.1, 1.7, 2.0], "the last wait ends at the deadline exactly, not a retry period later")
        #expect(!script.isLeading(at: 2.0))
        let reason = step.events.compactMap { if case .lost(let reason) = $0 { reason } else { nil } }.first ?? ""
        #expect(reason.contains("renew deadline (2s)") && reason.contains("connection refused"), "\(reason)")
        #expect(step.isGet && step.callDeadline == .at(4), "after losing, it goes on as a candidate")
    }

    @Test func aWriteAnsweredAfterTheRenewDeadlineDoesNotMakeALeader() throws {
        var script = ElectionScript(identity: Self.me)
        _ = script.wake(at: 0)
        let sent = try #require(script.receive(.lease(lease(holder: "", version: 3, durationSeconds: 1)), at: 0).sentLease)
        let late = script.receive(stored(sent, version: 4), at: 2.5)
        #expect(late.acquired == nil)
        #expect(!script.isLeading(at: 2.5))
        // The next round reads its own record and renews it: leading from that write.
        _ = script.wake(at: 3)
        let renewal = try #require(script.receive(stored(sent, version: 4), at: 3).sentLease)
        #expect(renewal.spec?.acquireTime == sent.spec?.acquireTime && renewal.spec?.leaseTransitions == sent.spec?.leaseTransitions)
        #expect(script.receive(stored(renewal, version: 5), at: 3.1).acquired != nil)
        #expect(script.isLeading(at: 4.9) && !script.isLeading(at: 5))
    }

    @Test func stopReleasesTheLeaseWithAnEmptyHolderAndEndsLeadershipAtOnce() throws {
        var script = ElectionScript(identity: Self.me)
        let acquired = script.acquireMissingLease(at: 0)
        let made = try #require(acquired)
        let step = script.stop(at: 0.3)
        #expect(!script.isLeading(at: 0.3), "the leader stops creating Jobs before it releases")
        let release = try #require(step.sentLease)
        #expect(release.spec?.holderIdentity == "")
        #expect(release.spec?.leaseDurationSeconds == 1)
        #expect(release.spec?.leaseTransitions == made.spec?.leaseTransitions)
        #expect(release.spec?.renewTime == MicroTime(wallDate(0.3)) && release.spec?.acquireTime == MicroTime(wallDate(0.3)))
        #expect(release.metadata.resourceVersion == made.metadata.resourceVersion)
        let done = script.receive(stored(release, version: 2), at: 0.35)
        #expect(done.events.contains(.released))
        #expect(done.action == .finished)
        #expect(script.election.leader == nil)
    }

    @Test func stopWithoutTheLeaseReleasesNothing() {
        var script = ElectionScript(identity: Self.me)
        _ = script.wake(at: 0)
        _ = script.receive(.lease(lease(holder: Self.other, version: 2)), at: 0)
        let step = script.stop(at: 0.2)
        #expect(step.action == .finished && step.events.isEmpty)
    }

    @Test func aFailedReleaseIsSaid() throws {
        var script = ElectionScript(identity: Self.me)
        let acquired = script.acquireMissingLease(at: 0)
        _ = try #require(acquired)
        _ = script.stop(at: 1)
        let done = script.receive(.conflict("modified"), at: 1.1)
        #expect(done.events == [.releaseFailed("modified")])
        #expect(done.action == .finished)
    }

    @Test func leadershipAsOthersSeeIt() throws {
        var script = ElectionScript(identity: Self.me)
        _ = script.wake(at: 0)
        _ = script.receive(.lease(lease(holder: Self.other, version: 2)), at: 0)
        let standby = script.election.leadership(at: .at(0))
        #expect(!standby.isLeader && standby.leader == Self.other && standby.leaderHost == "host-b")
        #expect(standby.description == "standby, leader host-b")
        var fresh = ElectionScript(identity: Self.me)
        let acquired = fresh.acquireMissingLease(at: 0)
        _ = try #require(acquired)
        #expect(fresh.election.leadership(at: .at(1)).description == "leader")
        #expect(ElectionScript().election.leadership(at: .at(0)).description == "standby, no leader yet")
    }
}
