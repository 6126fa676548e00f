import Alerting
import Foundation
import RunModel
import Scheduler
import Schedules
import Synchronization
import Testing

/// Which alerts reach mail and hooks, with real child processes standing in for sendmail (`cat`
/// into a file: the bytes any sendmail would read) and real hooks.
@Suite struct AlertDispatcherTests {
    final class Deliveries: Sendable {
        let all = Mutex<[AlertDelivery]>([])
        func record(_ delivery: AlertDelivery) { all.withLock { $0.append(delivery) } }
        var list: [AlertDelivery] { all.withLock { $0 } }
    }

    func dispatcher(into folder: URL, deliveries: Deliveries, queued: Int = 100) -> AlertDispatcher {
        AlertDispatcher(
            sendmail: Sendmail(command: "cat >> '\(folder.path)/mail'"), host: "web1", environment: hostEnvironment,
            now: { slot }, maximumQueued: queued, report: deliveries.record)
    }

    func hook(_ folder: URL) -> FailureHook {
        FailureHook(command: "echo \"$CRON_EVENT $CRON_JOB\" >> '\(folder.path)/hook'", timeout: .seconds(30))
    }

    @Test(arguments: [
        // (route, alert kind, mailed?, hook ran?)
        (AlertRoute(mailTo: ["ops@example.com"]), Alert.Kind.failed, true, false),
        (AlertRoute(mailTo: []), .failed, false, false),  // MAILTO="": no mail
        (AlertRoute(mailTo: ["ops@example.com"]), .succeeded, false, false),  // CRON_MAIL=failure (default)
        (AlertRoute(mailTo: ["ops@example.com"], mailPolicy: .always), .succeeded, true, false),
        (AlertRoute(mailTo: ["ops@example.com"], mailPolicy: .never), .failed, false, false),
        (AlertRoute(mailTo: ["ops@example.com"]), .cancelled, false, false),
        (AlertRoute(mailTo: ["ops@example.com"]), .recovered, true, false),
        (AlertRoute(mailTo: [], hook: FailureHook(command: "", timeout: .seconds(1))), .lost, false, true),
        (AlertRoute(mailTo: [], hook: FailureHook(command: "", timeout: .seconds(1))), .notStarted, false, true),
        (AlertRoute(mailTo: [], hook: FailureHook(command: "", timeout: .seconds(1))), .overdue, false, true),
        (AlertRoute(mailTo: [], hook: FailureHook(command: "", timeout: .seconds(1))), .recovered, false, false),
        (AlertRoute(mailTo: [], hook: FailureHook(command: "", timeout: .seconds(1))), .succeeded, false, false),
    ])
    func routes(_ route: AlertRoute, _ kind: Alert.Kind, _ mailed: Bool, _ hookRan: Bool) async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deliveries = Deliveries()
        let dispatcher = dispatcher(into: folder, deliveries: deliveries)
        var route = route
        if route.hook != nil { route.hook = hook(folder) }
        var alert = failedAlert()
        alert.kind = kind
        dispatcher.dispatch(alert, route: route)
        dispatcher.finish()
        await dispatcher.run()

        let mail = try? String(contentsOf: folder.appendingPathComponent("mail"), encoding: .utf8)
        #expect((mail != nil) == mailed)
        if mailed { #expect(mail?.contains("Subject: Cron <nightly-report@web1> \(kind.summary): ") == true) }
        let hookRun = try? String(contentsOf: folder.appendingPathComponent("hook"), encoding: .utf8)
        #expect((hookRun != nil) == hookRan)
        if hookRan { #expect(hookRun == "\(kind.rawValue) nightly-report\n") }
        #expect(deliveries.list.count == (mailed ? 1 : 0) + (hookRan ? 1 : 0))
    }

    /// A failed mail and a failed hook are reported (for the journal), once each: never retried.
    @Test func failuresAreReportedOnceAndNotRetried() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deliveries = Deliveries()
        let counter = folder.appendingPathComponent("attempts")
        let dispatcher = AlertDispatcher(
            sendmail: Sendmail(command: "echo x >> '\(counter.path)'; echo 'no route to smarthost' >&2; exit 75"), host: "h",
            environment: hostEnvironment, now: { slot }, report: deliveries.record)
        let route = AlertRoute(mailTo: ["ops@example.com"], hook: FailureHook(command: "echo y >> '\(counter.path)'; exit 4", timeout: .seconds(30)))
        dispatcher.dispatch(failedAlert(), route: route)
        dispatcher.finish()
        await dispatcher.run()
        #expect(try String(contentsOf: counter, encoding: .utf8) == "x\ny\n")
        let list = deliveries.list
        #expect(list.count == 2)
        guard case .mailFailed(_, let error) = list.first else {
            Issue.record("expected a mail failure first, got \(list)")
            return
        }
        #expect(error.reason == "exited with status 75")
        #expect(error.output == ["no route to smarthost"])
        guard case .hookFailed(_, _, let reason, _) = list.last else {
            Issue.record("expected a hook failure, got \(list)")
            return
        }
        #expect(reason == "exited with status 4")
    }

    /// A storm beyond the queue's bound drops alerts, and says so for each.
    @Test func aFullQueueDropsAndReports() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deliveries = Deliveries()
        let dispatcher = dispatcher(into: folder, deliveries: deliveries, queued: 2)
        for _ in 0..<5 { dispatcher.dispatch(failedAlert(), route: AlertRoute(mailTo: ["ops@example.com"])) }
        dispatcher.finish()
        await dispatcher.run()
        let dropped = deliveries.list.filter { if case .dropped = $0 { true } else { false } }
        let mailed = deliveries.list.filter { if case .mailed = $0 { true } else { false } }
        #expect(dropped.count == 3)
        #expect(mailed.count == 2)
    }
}
