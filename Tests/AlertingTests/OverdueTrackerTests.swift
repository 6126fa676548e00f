import Alerting
import Foundation
import Testing

/// `CRON_ALERT_AFTER` as a pure state machine on fixed instants: hours after `slot`.
@Suite struct OverdueTrackerTests {
    enum Step: CustomStringConvertible {
        case tick(Double)
        case succeeded(Double)
        case failed(Double)
        var description: String {
            switch self {
            case .tick(let h): "tick +\(h)h"
            case .succeeded(let h): "success +\(h)h"
            case .failed(let h): "failure +\(h)h"
            }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var window: Duration = .seconds(26 * 3600)
        /// Hours after `slot`; nil: none.
        var lastSuccess: Double? = 0
        var firstSeen: Double? = nil
        var alertedAt: Double? = nil
        var watchedAt: Double = 0
        /// Each step and the actions it gives, as `overdue@DEADLINE` / `recovered@AT`.
        var steps: [(Step, [String])]
        var testDescription: String { name }
    }

    static func at(_ hours: Double) -> Date { slot.addingTimeInterval(hours * 3600) }

    static func short(_ action: OverdueTracker.Action) -> String {
        func h(_ d: Date) -> String {
            let hours = d.timeIntervalSince(slot) / 3600
            return hours == hours.rounded() ? String(Int(hours)) : String(hours)
        }
        switch action {
        case .overdue(_, _, let deadline, _): return "overdue@\(h(deadline))"
        case .recovered(_, let at, _): return "recovered@\(h(at))"
        }
    }

    @Test(arguments: [
        Case(name: "a job that keeps failing raises one alert, then one recovery on its next success", steps: [
            (.failed(1), []), (.failed(25), []), (.tick(26), ["overdue@26"]), (.failed(27), []), (.tick(30), []),
            (.tick(50), []), (.succeeded(51), ["recovered@51"]), (.tick(60), []), (.succeeded(61), []),
        ]),
        Case(name: "a new episode after a recovery raises a new alert", steps: [
            (.tick(26), ["overdue@26"]), (.succeeded(27), ["recovered@27"]), (.failed(28), []), (.tick(52), []),
            (.tick(53), ["overdue@53"]),
        ]),
        Case(name: "a daemon down past the window raises it at its first tick", watchedAt: 40, steps: [
            (.tick(40), ["overdue@26"]), (.tick(41), []),
        ]),
        Case(name: "a failure observed past the deadline raises it then", steps: [
            (.failed(27), ["overdue@26"]), (.tick(28), []),
        ]),
        Case(name: "a success before the deadline moves it", steps: [
            (.succeeded(20), []), (.tick(26), []), (.tick(45.5), []), (.tick(46), ["overdue@46"]),
        ]),
        Case(name: "a job that never succeeded is timed from its first slot", lastSuccess: nil, firstSeen: 2, watchedAt: 10, steps: [
            (.tick(27), []), (.tick(28), ["overdue@28"]),
        ]),
        Case(name: "a job without history is timed from when watching began", lastSuccess: nil, watchedAt: 5, steps: [
            (.tick(30), []), (.tick(31), ["overdue@31"]),
        ]),
        Case(name: "an alert raised before a restart is not raised again; its recovery still comes", alertedAt: 30, watchedAt: 40, steps: [
            (.tick(40), []), (.succeeded(41), ["recovered@41"]),
        ]),
        Case(name: "a success ending out of order does not move the clock back", steps: [
            (.succeeded(20), []), (.succeeded(10), []), (.tick(36), []), (.tick(46), ["overdue@46"]),
        ]),
        Case(name: "a window of seconds (@every jobs)", window: .seconds(90), steps: [
            (.tick(0.025), ["overdue@0.025"]), (.succeeded(0.03), ["recovered@0.03"]),
        ]),
    ])
    func episodes(_ c: Case) {
        var tracker = OverdueTracker()
        tracker.watch(
            "backup", within: c.window, lastSuccess: c.lastSuccess.map(Self.at), firstSeen: c.firstSeen.map(Self.at),
            alertedAt: c.alertedAt.map(Self.at), now: Self.at(c.watchedAt))
        for (step, expected) in c.steps {
            let actions: [OverdueTracker.Action]
            switch step {
            case .tick(let h): actions = tracker.tick(now: Self.at(h))
            case .succeeded(let h): actions = tracker.observe("backup", .succeeded, at: Self.at(h))
            case .failed(let h): actions = tracker.observe("backup", .didNotSucceed("run 7 failed: exited with status 1"), at: Self.at(h))
            }
            #expect(actions.map(Self.short) == expected, "\(step)")
        }
    }

    @Test func theAlertSaysWhyAndSince() throws {
        var tracker = OverdueTracker()
        tracker.watch("backup", within: .seconds(26 * 3600), lastSuccess: Self.at(0), firstSeen: nil, now: Self.at(0))
        _ = tracker.observe("backup", .didNotSucceed("run 7 failed: exited with status 1"), at: Self.at(3))
        let action = try #require(tracker.tick(now: Self.at(26)).first)
        guard case .overdue(let job, let lastSuccess, let deadline, let reason) = action else {
            Issue.record("expected overdue, got \(action)")
            return
        }
        #expect(job == "backup")
        #expect(lastSuccess == slot)
        #expect(deadline == Self.at(26))
        #expect(reason == "no success within 1d2h: the last one was at 2026-11-29T03:30:00Z; the latest slot: run 7 failed: exited with status 1")
    }

    @Test func aJobNeverSucceededAndNothingEndedSaysSo() throws {
        var tracker = OverdueTracker()
        tracker.watch("sync", within: .seconds(3600), lastSuccess: nil, firstSeen: nil, now: Self.at(0))
        let action = try #require(tracker.tick(now: Self.at(2)).first)
        guard case .overdue(_, nil, _, let reason) = action else {
            Issue.record("expected overdue without a last success, got \(action)")
            return
        }
        #expect(reason == "no success within 1h since 2026-11-29T03:30:00Z (none recorded); no run has ended since")
    }

    @Test func statusAndNextDeadline() {
        var tracker = OverdueTracker()
        tracker.watch("a", within: .seconds(3600), lastSuccess: Self.at(0), firstSeen: nil, now: Self.at(0))
        tracker.watch("b", within: .seconds(7200), lastSuccess: Self.at(0), firstSeen: nil, now: Self.at(0))
        #expect(tracker.nextDeadline == Self.at(1))
        #expect(tracker.status(of: "a") == .onTime(deadline: Self.at(1)))
        #expect(tracker.status(of: "c") == nil)
        _ = tracker.tick(now: Self.at(1.5))
        #expect(tracker.status(of: "a") == .overdue(since: Self.at(1), alertedAt: Self.at(1.5)))
        // An overdue job has no deadline left: the next one is b's.
        #expect(tracker.nextDeadline == Self.at(2))
        #expect(tracker.raisedAlerts == ["a": Self.at(1.5)])
        _ = tracker.tick(now: Self.at(2))
        #expect(tracker.nextDeadline == nil)
    }

    /// A changed window (a reload) keeps the episode; a removed setting drops the job.
    @Test func reloadsKeepHistoryAndUnwatchDrops() {
        var tracker = OverdueTracker()
        tracker.watch("a", within: .seconds(3600), lastSuccess: Self.at(0), firstSeen: nil, now: Self.at(0))
        tracker.watch("a", within: .seconds(7200), lastSuccess: nil, firstSeen: nil, now: Self.at(0.5))
        #expect(tracker.nextDeadline == Self.at(2))
        #expect(tracker.tick(now: Self.at(1.5)).isEmpty)
        tracker.unwatch("a")
        #expect(tracker.tick(now: Self.at(10)).isEmpty)
        #expect(tracker.watchedJobs.isEmpty)
    }

    @Test func ticksReportJobsInNameOrder() {
        var tracker = OverdueTracker()
        for name in ["c", "a", "b"] {
            tracker.watch(name, within: .seconds(60), lastSuccess: Self.at(0), firstSeen: nil, now: Self.at(0))
        }
        let jobs = tracker.tick(now: Self.at(1)).compactMap { action -> String? in
            if case .overdue(let job, _, _, _) = action { job } else { nil }
        }
        #expect(jobs == ["a", "b", "c"])
    }
}
