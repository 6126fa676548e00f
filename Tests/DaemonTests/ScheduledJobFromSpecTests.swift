import Foundation
import RunModel
import Scheduler
import Schedules
import Testing

@testable import Daemon

/// What a schedule file says reaches the scheduler: the settings it acts on, and `CRON_CATCH_UP=all`
/// bounded at `CatchUpPolicy.maximumRuns` (100) slots, as the README promises.
@Suite("schedule file settings reach the scheduler")
struct ScheduledJobFromSpecTests {
    static func spec(_ text: String) throws -> JobSpec {
        let parser = ScheduleParser { _, _ in .failure(.init(reason: "no templates in this test")) }
        let parsed = parser.parse(ScheduleFile(path: "t.cron", contents: Data(text.utf8)))
        #expect(parsed.diagnostics.isEmpty)
        return try #require(parsed.jobs.first)
    }

    @Test(arguments: [
        ("skip", CatchUpPolicy.skip), ("latest", .latest), ("all", .all(limit: 100)), ("", .latest),
    ] as [(String, CatchUpPolicy)])
    func catchUpPolicyIsBounded(_ value: String, _ expected: CatchUpPolicy) throws {
        let job = ScheduledJob(try Self.spec("CRON_EXECUTOR=local\nCRON_CATCH_UP=\(value)\n@daily job run\n"))
        #expect(job.catchUp == expected)
    }

    @Test func everySettingTheSchedulerUsesIsCarried() throws {
        let job = ScheduledJob(try Self.spec("""
            CRON_EXECUTOR=local
            CRON_TZ=Asia/Tokyo
            CRON_CONCURRENCY=replace
            CRON_STARTING_DEADLINE=10m
            CRON_TIMEOUT=1h30m
            CRON_SUSPEND=true
            A=1
            A=2
            B=x
            30 3 * * * nightly bin/report \\%d

            """))
        #expect(job.name == "nightly")
        #expect(job.zone.identifier == "Asia/Tokyo")
        #expect(job.concurrency == .replace)
        #expect(job.startingDeadline == .seconds(600) && job.timeout == .seconds(5_400))
        #expect(job.isSuspended)
        #expect(job.executor == .local)
        #expect(job.command == "bin/report %d")
        #expect(job.environment == ["A": "2", "B": "x"])
    }
}
