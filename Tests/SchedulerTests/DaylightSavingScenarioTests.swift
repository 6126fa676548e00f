import CronExpression
import Foundation
import RunModel
import Scheduler
import SchedulerTesting
import Testing

/// A whole week around each daylight-saving change, slot by slot: every slot fires exactly as many
/// times as the cron engine lists it, no more (a repeated hour) and no fewer (a skipped one).
@Suite(.timeLimit(.minutes(1)))
struct DaylightSavingScenarioTests {
    struct Week: CustomTestStringConvertible, Sendable {
        var zone: String
        var start: String
        var expression: String
        var testDescription: String { "\(expression) in \(zone) from \(start)" }
    }

    static let weeks: [Week] = [
        // New York springs forward on 2026-03-08 at 02:00 (to 03:00) and falls back on 2026-11-01 at 02:00 (to 01:00).
        ("America/New_York", "2026-03-05T00:00:00-05:00"), ("America/New_York", "2026-10-29T00:00:00-04:00"),
        // Lord Howe moves by 30 minutes: back on 2026-04-05 at 02:00 (to 01:30), forward on 2026-10-04 at 02:00 (to 02:30).
        ("Australia/Lord_Howe", "2026-04-02T00:00:00+11:00"), ("Australia/Lord_Howe", "2026-10-01T00:00:00+10:30"),
    ].flatMap { zone, start in
        ["30 2 * * *", "30 1 * * *", "15 2 * * *", "45 1 * * *", "*/30 * * * *", "*/15 1-3 * * *", "0 * * * *"].map {
            Week(zone: zone, start: start, expression: $0)
        }
    }

    @Test(arguments: weeks)
    func eachSlotOfADaylightSavingWeekFiresAsOftenAsTheCronEngineSays(_ week: Week) async throws {
        let zone = try #require(TimeZone(identifier: week.zone))
        let expression = try CronExpression(week.expression)
        let start = instant(week.start)
        let end = start.adding(.seconds(7 * 86_400))
        let expected = expression.nextFireDates(after: start, in: zone, count: 2000).filter { $0 <= end }
        let job = ScheduledJob(name: "dst", schedule: expression, zone: zone, concurrency: .allow, command: "true")
        let h = Harness(jobs: [job], at: start, limits: SchedulerLimits(maxActiveRuns: 10_000))
        try await h.run { h in
            while let next = await h.scheduler.nextWake(), next <= end { await h.advance(to: next) }
        }
        #expect(h.executor.startedSlots.map(\.scheduledAt) == expected)
        #expect(h.executor.started.allSatisfy { $0.request.trigger == .scheduled })
        #expect(!expected.isEmpty)
    }

    @Test func aWildcardJobRunsInBothPassesOfNewYorksRepeatedHour() async throws {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        let job = ScheduledJob(
            name: "half-hourly", schedule: try CronExpression("*/30 * * * *"), zone: zone, concurrency: .allow,
            command: "true")
        let start = instant("2026-11-01T00:50:00-04:00")
        let h = Harness(jobs: [job], at: start)
        try await h.run { h in
            while let next = await h.scheduler.nextWake(), next <= instant("2026-11-01T02:00:00-05:00") {
                await h.advance(to: next)
            }
        }
        #expect(
            h.executor.startedSlots.map { $0.scheduledAt.formatted(.iso8601) } == [
                "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z",
                "2026-11-01T07:00:00Z",
            ])
    }

    @Test func aFixedTimeJobInNewYorksSkippedHourRunsOnceRightAfterTheChange() async throws {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        let job = ScheduledJob(name: "nightly", schedule: try CronExpression("30 2 * * *"), zone: zone, command: "true")
        let h = Harness(jobs: [job], at: instant("2026-03-08T00:00:00-05:00"))
        try await h.run { h in
            await h.advance(to: try #require(await h.scheduler.nextWake()))
        }
        #expect(h.executor.startedSlots.map(\.scheduledAt) == [instant("2026-03-08T03:00:00-04:00")])
    }
}
