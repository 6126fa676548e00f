import CronExpression
import Foundation
import Schedules
import Testing

/// A cron error's column is the schedule's column in the line plus the expression's column − 1; the
/// message is the engine's own.
@Test(arguments: [
    ("61 * * * * job run", "61 * * * *", 1),
    ("   0 3 * 13 * job run", "0 3 * 13 *", 4),
    ("\t0 3 32 * * job run", "0 3 32 * *", 2),
    ("*/0 * * * * job run", "*/0 * * * *", 1),
    ("0 0 * * 8 job run", "0 0 * * 8", 1),
    ("5-1 * * * * job run", "5-1 * * * *", 1),
    ("@every 0s job run", "@every 0s", 1),
    ("@fortnightly job run", "@fortnightly", 1),
    ("0 0 * * MON#6 job run", "0 0 * * MON#6", 1),
    ("60 * * * * * job run", "60 * * * * *", 1),
])
func cronErrorsAreLocatedInTheLine(_ line: String, _ expression: String, _ scheduleColumn: Int) throws {
    let engineError = try #require(throws: CronSyntaxError.self) { try CronExpression(expression, hashKey: "job") }
    let parsed = parse(image + line + "\n")
    #expect(parsed.diagnostics.map(\.description) == [
        "t.cron:2:\(scheduleColumn + engineError.column - 1): error: \(engineError.message)"
    ])
}

/// `H` is hashed from the job's name: two jobs with the same `H` schedule get their own minutes.
@Test func hashedScheduleUsesTheJobName() throws {
    let parsed = parse(image + "H * * * * alpha run\nH * * * * beta run\n")
    let alpha = try #require(parsed.jobs.first?.schedule)
    #expect(alpha == (try CronExpression("H * * * *", hashKey: "alpha")))
    #expect(parsed.jobs.last?.schedule == (try CronExpression("H * * * *", hashKey: "beta")))
}
