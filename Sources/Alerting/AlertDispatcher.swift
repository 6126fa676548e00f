public import Foundation
import RunModel
public import Schedules
import Scheduler

/// Where a job's alerts go: its `MAILTO`/`MAILFROM`/`CRON_MAIL` and its `CRON_ON_FAILURE`.
public struct AlertRoute: Hashable, Sendable {
    /// `MAILTO`'s addresses; empty: no mail (`MAILTO=""`, or none set).
    public var mailTo: [String]
    /// `MAILFROM`, or `nil` for `fargate-cron@HOST`.
    public var mailFrom: String?
    /// `CRON_MAIL`.
    public var mailPolicy: MailPolicy
    /// `CRON_ON_FAILURE`, with its bound.
    public var hook: FailureHook?

    public init(mailTo: [String] = [], mailFrom: String? = nil, mailPolicy: MailPolicy = .failure, hook: FailureHook? = nil) {
        self.mailTo = mailTo
        self.mailFrom = mailFrom
        self.mailPolicy = mailPolicy
        self.hook = hook
    }

    /// Whether an alert of `kind` is mailed.
    public func mails(_ kind: Alert.Kind) -> Bool { !mailTo.isEmpty && mailPolicy.mails(kind) }
    /// Whether an alert of `kind` runs the hook: failures and overdue jobs only (as `OnFailure=`).
    public func runsHook(_ kind: Alert.Kind) -> Bool { hook != nil && kind.isFailure }
}

/// What became of an alert's mail or hook: the daemon writes each to the journal. None is retried.
public enum AlertDelivery: Hashable, Sendable {
    /// The mail was handed to sendmail.
    case mailed(Alert, to: [String])
    /// The mail was not handed over.
    case mailFailed(Alert, MailError)
    /// The hook exited 0.
    case hookSucceeded(Alert, command: String)
    /// The hook failed, could not start, or was stopped at its bound; `output` is its last lines.
    case hookFailed(Alert, command: String, reason: String, output: [String])
    /// The queue was full (a storm of failures): the alert was dropped, not delivered.
    case dropped(Alert)
}

/// Delivers alerts — mail through sendmail, failure hooks — beside the scheduler, never in its way:
/// ``dispatch(_:route:)`` only queues, a bounded number of host commands run at once, the queue
/// is bounded, and every result (a failure above all) is reported, never retried.
///
/// ``run()`` does the work until ``finish()`` (then it drains the queue) or until its task is
/// cancelled (running hooks and sendmails are then stopped).
public final class AlertDispatcher: Sendable {
    private struct Item: Sendable {
        var alert: Alert
        var route: AlertRoute
    }

    private let sendmail: Sendmail
    private let host: String
    private let environment: [String: String]
    private let now: @Sendable () -> Date
    private let maximumConcurrent: Int
    private let report: @Sendable (AlertDelivery) -> Void
    private let queue: AsyncStream<Item>
    private let input: AsyncStream<Item>.Continuation

    /// - Parameters:
    ///   - sendmail: the host's sendmail command.
    ///   - host: this host's name, for the mail.
    ///   - environment: what sendmail and hooks see before an alert's fields (`PATH`, `HOME`, …).
    ///   - now: the clock, for the mail's `Date:`.
    ///   - maximumConcurrent: how many host commands may run at once (somewhat arbitrarily 4: a herd
    ///     of failures must not fork a herd of MTAs).
    ///   - maximumQueued: how many alerts may wait; more are dropped and reported as dropped.
    ///   - report: hears every delivery's result; must not block.
    public init(
        sendmail: Sendmail, host: String, environment: [String: String], now: @escaping @Sendable () -> Date,
        maximumConcurrent: Int = 4, maximumQueued: Int = 1000, report: @escaping @Sendable (AlertDelivery) -> Void
    ) {
        precondition(maximumConcurrent >= 1)
        self.sendmail = sendmail
        self.host = host
        self.environment = environment
        self.now = now
        self.maximumConcurrent = maximumConcurrent
        self.report = report
        (queue, input) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(maximumQueued))
    }

    /// Queues `alert` for the mail and hook its route asks for (nothing when it asks for neither).
    public func dispatch(_ alert: Alert, route: AlertRoute) {
        guard route.mails(alert.kind) || route.runsHook(alert.kind) else { return }
        switch input.yield(Item(alert: alert, route: route)) {
        case .enqueued: break
        case .dropped(let item): report(.dropped(item.alert))
        case .terminated: report(.dropped(alert))
        @unknown default: report(.dropped(alert))
        }
    }

    /// Takes no more alerts; ``run()`` returns once the queued ones are delivered.
    public func finish() { input.finish() }

    /// Delivers queued alerts, at most `maximumConcurrent` host commands at a time.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await item in queue {
                if running == maximumConcurrent {
                    await group.next()
                    running -= 1
                }
                running += 1
                group.addTask { await self.deliver(item) }
            }
        }
    }

    private func deliver(_ item: Item) async {
        let alert = item.alert, route = item.route
        if route.mails(alert.kind) {
            let message = MailMessage(alert: alert, sender: route.mailFrom, recipients: route.mailTo, host: host, date: now())
            do throws(MailError) {
                try await sendmail.send(message, environment: environment)
                report(.mailed(alert, to: route.mailTo))
            } catch {
                report(.mailFailed(alert, error))
            }
        }
        if route.runsHook(alert.kind), let hook = route.hook {
            do throws(HostCommandError) {
                let result = try await hook.run(for: alert, base: environment)
                switch result.outcome {
                case .succeeded: report(.hookSucceeded(alert, command: hook.command))
                case .failed(_, let reason), .cancelled(let reason):
                    report(.hookFailed(alert, command: hook.command, reason: reason, output: result.output.text))
                }
            } catch {
                report(.hookFailed(alert, command: hook.command, reason: error.cause, output: []))
            }
        }
    }
}
