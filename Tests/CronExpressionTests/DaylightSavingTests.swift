import CronExpression
import Foundation
import Testing

/// cronie's daemon-loop rule across DST changes (DESIGN.md, "Cron expressions"): fixed-time jobs run a
/// skipped time once, right after the gap, and a repeated time once, in the first pass; wildcard jobs
/// (minute or hour field starting with `*`) lose skipped times and run in both passes.
/// 2026 changes: New York 03-08 02:00→03:00 and 11-01 02:00→01:00; Lord Howe 10-04 02:00→02:30 and
/// 04-05 02:00→01:30; Santiago 09-06 00:00→01:00 and 04-05 00:00→04-04 23:00.
@Suite("Daylight-saving changes")
struct DaylightSavingTests {
    static let next: [FireCase] = [
        // New York, spring forward
        FireCase(
            "fixed time in the gap runs once after it", "30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        FireCase(
            "two fixed times in the gap are one instant", "0,30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        FireCase(
            "gap time and the first time after it are one instant", "0 2,3 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        FireCase(
            "fixed times after the gap are kept", "30 2,3 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"]),
        FireCase(
            "wildcard minute loses the gap", "*/30 * * * *", zone: "America/New_York",
            after: "2026-03-08T01:00:00-05:00",
            ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"]),
        FireCase(
            "wildcard in hour 2 only loses the day", "* 2 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-09T02:00:00-04:00", "2026-03-09T02:01:00-04:00"]),
        FireCase(
            "@hourly is a wildcard job (cronie sets HR_STAR)", "@hourly", zone: "America/New_York",
            after: "2026-03-08T01:30:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"]),
        FireCase(
            "seconds field fixed time in the gap", "15 30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:15-04:00"]),
        // New York, fall back
        FireCase(
            "fixed time in the repeat runs in the first pass only", "30 1 * * *", zone: "America/New_York",
            after: "2026-11-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        FireCase(
            "wildcard runs in both passes", "*/30 * * * *", zone: "America/New_York",
            after: "2026-11-01T00:45:00-04:00",
            [
                "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00",
            ]),
        FireCase(
            "@hourly runs in both passes", "@hourly", zone: "America/New_York", after: "2026-11-01T00:30:00-04:00",
            ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"]),
        FireCase(
            "start inside the second pass: fixed time already ran", "45 1 * * *", zone: "America/New_York",
            after: "2026-11-01T01:10:00-05:00", ["2026-11-02T01:45:00-05:00"]),
        FireCase(
            "start inside the second pass: wildcard continues", "*/30 * * * *", zone: "America/New_York",
            after: "2026-11-01T01:10:00-05:00", ["2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"]),
        FireCase(
            "fixed time after the repeat is kept", "0 1,2 * * *", zone: "America/New_York",
            after: "2026-11-01T00:00:00-04:00", ["2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"]),
        // Lord Howe: 30-minute shifts
        FireCase(
            "Lord Howe fixed time in the half-hour gap", "15 2 * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T00:00:00+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        FireCase(
            "Lord Howe two fixed times in the half-hour gap are one instant", "0,15 2 * * *",
            zone: "Australia/Lord_Howe", after: "2026-10-04T00:00:00+10:30",
            ["2026-10-04T02:30:00+11:00", "2026-10-05T02:00:00+11:00"]),
        FireCase(
            "Lord Howe fixed time just after the gap", "45 2 * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T00:00:00+10:30", ["2026-10-04T02:45:00+11:00"]),
        FireCase(
            "Lord Howe wildcard loses the half hour", "*/15 * * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T01:50:00+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"]),
        FireCase(
            "Lord Howe fixed time in the repeated half hour", "45 1 * * *", zone: "Australia/Lord_Howe",
            after: "2026-04-05T00:00:00+11:00", ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]),
        FireCase(
            "Lord Howe wildcard in both passes", "*/15 * * * *", zone: "Australia/Lord_Howe",
            after: "2026-04-05T01:40:00+11:00",
            [
                "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30",
                "2026-04-05T02:00:00+10:30",
            ]),
        FireCase(
            "Lord Howe start inside the second pass", "45 1 * * *", zone: "Australia/Lord_Howe",
            after: "2026-04-05T01:35:00+10:30", ["2026-04-06T01:45:00+10:30"]),
        // Santiago: changes at midnight
        FireCase(
            "Santiago midnight that does not exist", "0 0 * * *", zone: "America/Santiago",
            after: "2026-09-05T12:00:00-04:00", ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"]),
        FireCase(
            "Santiago Sunday midnight weekly job", "0 0 * * 0", zone: "America/Santiago",
            after: "2026-09-01T00:00:00-04:00", ["2026-09-06T01:00:00-03:00", "2026-09-13T00:00:00-03:00"]),
        FireCase(
            "Santiago wildcard loses the missing hour after midnight", "*/30 * * * *", zone: "America/Santiago",
            after: "2026-09-05T23:15:00-04:00",
            ["2026-09-05T23:30:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-06T01:30:00-03:00"]),
        FireCase(
            "Santiago fixed time in the repeated hour before midnight", "30 23 * * *", zone: "America/Santiago",
            after: "2026-04-04T12:00:00-03:00", ["2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"]),
        FireCase(
            "Santiago wildcard hour in both passes", "0 * * * *", zone: "America/Santiago",
            after: "2026-04-04T22:30:00-03:00",
            ["2026-04-04T23:00:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-05T00:00:00-04:00"]),
        FireCase(
            "Santiago start inside the second pass", "30 23 * * *", zone: "America/Santiago",
            after: "2026-04-04T23:10:00-04:00", ["2026-04-05T23:30:00-04:00"]),
        // Extensions follow the same rule: only the minute and hour fields decide wildcard or fixed-time.
        FireCase(
            "second Sunday of March at 02:30 (the US gap day)", "30 2 * 3 0#2", zone: "America/New_York",
            after: "2026-03-01T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2027-03-14T03:00:00-04:00"]),
        FireCase(
            "first Sunday of November at 01:30 runs in the first pass", "30 1 * 11 0#1", zone: "America/New_York",
            after: "2026-10-01T00:00:00-04:00", ["2026-11-01T01:30:00-04:00", "2027-11-07T01:30:00-04:00"]),
        FireCase(
            "H is a fixed time: a hashed minute in the gap runs after it", "H 2 * * *", zone: "America/New_York",
            after: "2026-03-08T00:00:00-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:36:00-04:00"],
            hashKey: "nightly-report"),
        FireCase(
            "Lord Howe first Sunday of October in the half-hour gap", "15 2 * 10 0#1", zone: "Australia/Lord_Howe",
            after: "2026-09-01T00:00:00+10:30", ["2026-10-04T02:30:00+11:00", "2027-10-03T02:30:00+11:00"]),
        FireCase(
            "Santiago first Sunday of September at a midnight that does not exist", "0 0 ? 9 0#1",
            zone: "America/Santiago", after: "2026-09-01T00:00:00-04:00",
            ["2026-09-06T01:00:00-03:00", "2027-09-05T01:00:00-03:00"]),
        // @every ignores wall clocks entirely
        FireCase(
            "@every across spring forward", "@every 30m", zone: "America/New_York", after: "2026-03-08T01:15:00-05:00",
            ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00"]),
    ]

    @Test(arguments: next)
    func nextFireTimes(_ c: FireCase) throws {
        let expression = try CronExpression(c.expression, hashKey: c.hashKey)
        #expect(try CronExpression(expression.description) == expression, "round trip via \(expression)")
        let zone = zone(c.zone)
        let dates = expression.nextFireDates(after: instant(c.after), in: zone, count: c.expected.count)
        #expect(dates.map { iso8601($0, in: zone) } == c.expected)
    }

    /// Regression (#12): a start in the last second before a change, so that the first instant the
    /// search may answer is the change itself. `30 2 * * *` after 01:59:59 on New York's spring-forward
    /// day gave 02:30 the *next* day: the search began in the segment after the gap and never saw it.
    /// Each row has a twin with an earlier start in `next` or in the oracle vectors (which now also
    /// start one second before every change of 2026).
    static let startInTheLastSecondBeforeAChange: [FireCase] = [
        FireCase(
            "fixed time in the gap (the issue's case)", "30 2 * * *", zone: "America/New_York",
            after: "2024-03-10T01:59:59-05:00", ["2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"]),
        FireCase(
            "fixed time at the gap's first minute", "0 2 * * *", zone: "America/New_York",
            after: "2026-03-08T01:59:59-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        FireCase(
            "two fixed times in the gap are one instant", "0,30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T01:59:59-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        FireCase(
            "seconds field fixed time in the gap", "15 30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T01:59:59-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:15-04:00"]),
        FireCase(
            "seconds field: a fire time in the last second before the gap, then the gap", "59 59 1,2 * * *",
            zone: "America/New_York", after: "2026-03-08T01:59:58-05:00",
            ["2026-03-08T01:59:59-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T01:59:59-04:00"]),
        FireCase(
            "wildcard still loses the gap", "* 2 * * *", zone: "America/New_York",
            after: "2026-03-08T01:59:59-05:00", ["2026-03-09T02:00:00-04:00", "2026-03-09T02:01:00-04:00"]),
        FireCase(
            "wildcard minute goes on after the gap", "*/30 * * * *", zone: "America/New_York",
            after: "2026-03-08T01:59:59-05:00", ["2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"]),
        FireCase(
            "fall back: fixed time ran in the first pass", "30 1 * * *", zone: "America/New_York",
            after: "2026-11-01T01:59:59-04:00", ["2026-11-02T01:30:00-05:00"]),
        FireCase(
            "fall back: wildcard runs the second pass", "*/30 * * * *", zone: "America/New_York",
            after: "2026-11-01T01:59:59-04:00", ["2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00"]),
        FireCase(
            "Lord Howe fixed time in the half-hour gap", "15 2 * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T01:59:59+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        FireCase(
            "Lord Howe seconds field in the half-hour gap", "0 15 2 * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T01:59:59+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        FireCase(
            "Lord Howe wildcard after the half-hour gap", "*/15 * * * *", zone: "Australia/Lord_Howe",
            after: "2026-10-04T01:59:59+10:30", ["2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"]),
        FireCase(
            "Lord Howe fall back: fixed time ran in the first pass", "45 1 * * *", zone: "Australia/Lord_Howe",
            after: "2026-04-05T01:59:59+11:00", ["2026-04-06T01:45:00+10:30"]),
        FireCase(
            "Santiago midnight that does not exist", "0 0 * * *", zone: "America/Santiago",
            after: "2026-09-05T23:59:59-04:00", ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"]),
    ]

    @Test(arguments: startInTheLastSecondBeforeAChange)
    func skippedTimeRunsAfterAStartInTheLastSecondBeforeTheGap_bug12(_ c: FireCase) throws {
        try nextFireTimes(c)
    }

    /// Rows list fire times *before* the instant, most recent first.
    static let previous: [FireCase] = [
        FireCase(
            "gap time fired at the first instant after the gap", "30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T12:00:00-04:00", ["2026-03-08T03:00:00-04:00", "2026-03-07T02:30:00-05:00"]),
        FireCase(
            "two gap times are one instant going back too", "0,30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T12:00:00-04:00",
            ["2026-03-08T03:00:00-04:00", "2026-03-07T02:30:00-05:00", "2026-03-07T02:00:00-05:00"]),
        FireCase(
            "wildcard gap times are lost going back too", "*/30 * * * *", zone: "America/New_York",
            after: "2026-03-08T03:10:00-04:00", ["2026-03-08T03:00:00-04:00", "2026-03-08T01:30:00-05:00"]),
        FireCase(
            "repeated fixed time only in the first pass", "30 1 * * *", zone: "America/New_York",
            after: "2026-11-01T03:00:00-05:00", ["2026-11-01T01:30:00-04:00", "2026-10-31T01:30:00-04:00"]),
        FireCase(
            "wildcard both passes going back", "*/30 * * * *", zone: "America/New_York",
            after: "2026-11-01T01:10:00-05:00",
            ["2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-04:00"]),
        FireCase(
            "Lord Howe gap going back", "15 2 * * *", zone: "Australia/Lord_Howe", after: "2026-10-04T12:00:00+11:00",
            ["2026-10-04T02:30:00+11:00", "2026-10-03T02:15:00+10:30"]),
        FireCase(
            "Santiago midnight gap going back", "0 0 * * *", zone: "America/Santiago",
            after: "2026-09-06T12:00:00-03:00", ["2026-09-06T01:00:00-03:00", "2026-09-05T00:00:00-04:00"]),
        FireCase(
            "the gap's fire time is the change itself", "30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T03:00:01-04:00", ["2026-03-08T03:00:00-04:00", "2026-03-07T02:30:00-05:00"]),
        FireCase(
            "strictly before the change, the gap's run is the day before's", "30 2 * * *", zone: "America/New_York",
            after: "2026-03-08T03:00:00-04:00", ["2026-03-07T02:30:00-05:00"]),
        FireCase(
            "@every going back", "@every 90s", after: "2026-01-01T00:00:00Z",
            ["2025-12-31T23:58:30Z", "2025-12-31T23:57:00Z"]),
    ]

    @Test(arguments: previous)
    func previousFireTimes(_ c: FireCase) throws {
        let expression = try CronExpression(c.expression, hashKey: c.hashKey)
        let zone = zone(c.zone)
        var cursor = instant(c.after)
        var dates: [String] = []
        for _ in c.expected {
            guard let date = expression.previousFireDate(before: cursor, in: zone) else { break }
            dates.append(iso8601(date, in: zone))
            cursor = date
        }
        #expect(dates == c.expected)
    }

    @Test("a wildcard job that only matches inside gaps never fires; its fixed-time twin does")
    func onlyInsideGaps() throws {
        // US daylight saving starts on the second Sunday of March at 02:00: hour 2 of that day never exists.
        let newYork = zone("America/New_York")
        let start = instant("2026-01-01T00:00:00-05:00")
        #expect(try CronExpression("* 2 * 3 0#2").nextFireDate(after: start, in: newYork) == nil)
        #expect(try CronExpression("* 2 * 3 0#2").previousFireDate(before: start, in: newYork) != nil)  // before 2007
        let fixed = try CronExpression("0 2 * 3 0#2").nextFireDates(after: start, in: newYork, count: 2)
        #expect(fixed.map { iso8601($0, in: newYork) } == ["2026-03-08T03:00:00-04:00", "2027-03-14T03:00:00-04:00"])
    }

    @Test("@reboot never fires")
    func rebootNeverFires() throws {
        let expression = try CronExpression("@reboot")
        #expect(expression.isReboot)
        #expect(expression.nextFireDate(after: instant("2026-01-01T00:00:00Z"), in: zone("UTC")) == nil)
        #expect(expression.previousFireDate(before: instant("2026-01-01T00:00:00Z"), in: zone("UTC")) == nil)
    }
}
