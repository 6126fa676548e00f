import CronExpression
import Foundation
import Testing

/// One row: an expression, a zone, a start instant and the fire times expected after it.
struct FireCase: CustomTestStringConvertible, Sendable {
    let name: String
    let expression: String
    let zone: String
    let after: String
    let expected: [String]
    let hashKey: String

    init(
        _ name: String, _ expression: String, zone: String = "UTC", after: String, _ expected: [String],
        hashKey: String = ""
    ) {
        self.name = name
        self.expression = expression
        self.zone = zone
        self.after = after
        self.expected = expected
        self.hashKey = hashKey
    }

    var testDescription: String { "\(name): \(expression) in \(zone)" }
}

@Suite("Next fire times")
struct NextFireDateTests {
    static let syntax: [FireCase] = [
        FireCase(
            "every minute", "* * * * *", after: "2026-01-01T00:00:30Z",
            ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
        FireCase(
            "fixed time daily", "30 3 * * *", after: "2026-01-01T03:30:00Z",
            ["2026-01-02T03:30:00Z", "2026-01-03T03:30:00Z"]),
        FireCase(
            "step from star", "*/15 * * * *", after: "2026-01-01T00:07:00Z",
            ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"]),
        FireCase(
            "step of 7 restarts each hour", "*/7 * * * *", after: "2026-01-01T00:50:00Z",
            ["2026-01-01T00:56:00Z", "2026-01-01T01:00:00Z"]),
        FireCase(
            "range with step", "5-59/15 * * * *", after: "2026-01-01T00:00:00Z",
            [
                "2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z", "2026-01-01T00:50:00Z",
                "2026-01-01T01:05:00Z",
            ]),
        FireCase(
            "single value with step (extension)", "10/20 * * * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z", "2026-01-01T01:10:00Z"]),
        FireCase(
            "10/5 means 10-59/5 (extension, the issue's spelling)", "10/5 * * * *", after: "2026-01-01T00:50:00Z",
            ["2026-01-01T00:55:00Z", "2026-01-01T01:10:00Z", "2026-01-01T01:15:00Z"]),
        FireCase(
            "list", "0 8,12,18 * * *", after: "2026-01-01T09:00:00Z",
            ["2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "2026-01-02T08:00:00Z"]),
        FireCase(
            "month names any case", "0 0 1 jan,Jul *", after: "2026-01-01T00:00:00Z",
            ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        FireCase(
            "day names and range", "0 9 * * MON-fri", after: "2026-01-02T09:00:00Z",
            ["2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"]),
        FireCase(
            "Sunday as 7", "0 0 * * 7", after: "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        FireCase(
            "Sunday as 0", "0 0 * * 0", after: "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        FireCase(
            "range ending on 7", "0 0 * * 5-7", after: "2026-01-01T00:00:00Z",
            ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"]),
        FireCase(
            "day fields ORed when neither starts with *", "0 0 1,15 * 0", after: "2026-01-10T00:00:00Z",
            ["2026-01-11T00:00:00Z", "2026-01-15T00:00:00Z", "2026-01-18T00:00:00Z"]),
        FireCase(
            "*/2 in day-of-month means AND (Vixie)", "0 0 */2 * 1", after: "2026-01-01T00:00:00Z",
            ["2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z", "2026-02-09T00:00:00Z"]),
        FireCase(
            "* in day-of-week means day-of-month alone", "0 0 31 * *", after: "2026-01-31T00:00:00Z",
            ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]),
        FireCase(
            "Feb 29 only in leap years", "0 0 29 2 *", after: "2026-01-01T00:00:00Z",
            ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]),
        FireCase(
            "seconds field", "*/20 * * * * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"]),
        FireCase("seconds field fixed", "15 30 * * * *", after: "2026-01-01T00:30:15Z", ["2026-01-01T01:30:15Z"]),
        FireCase(
            "L: last day of month", "0 0 L * *", after: "2026-01-31T00:00:00Z",
            ["2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"]),
        FireCase("L in a leap February", "0 0 L 2 *", after: "2027-03-01T00:00:00Z", ["2028-02-29T00:00:00Z"]),
        FireCase(
            "L-2: two days before the last", "0 0 L-2 * *", after: "2026-02-01T00:00:00Z",
            ["2026-02-26T00:00:00Z", "2026-03-29T00:00:00Z"]),
        FireCase(
            "LW: last weekday of month", "0 0 LW * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-29T00:00:00Z"].prefix(3)
                .map { $0 }),
        FireCase(
            "5L: last Friday", "0 0 * * 5L", after: "2026-01-01T00:00:00Z",
            ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"]),
        FireCase("FRIL: last Friday by name", "0 0 * * FRIL", after: "2026-01-01T00:00:00Z", ["2026-01-30T00:00:00Z"]),
        FireCase(
            "15W on a Sunday moves to Monday", "0 0 15W * *", after: "2026-03-01T00:00:00Z",
            ["2026-03-16T00:00:00Z", "2026-04-15T00:00:00Z"]),
        FireCase(
            "15W on a Saturday moves to Friday", "0 0 15W * *", after: "2026-08-01T00:00:00Z", ["2026-08-14T00:00:00Z"]),
        FireCase(
            "1W on a Saturday moves to Monday the 3rd", "0 0 1W * *", after: "2026-07-31T00:00:00Z",
            ["2026-08-03T00:00:00Z"]),
        FireCase(
            "31W in a short month is near its last day (as croniter)", "0 0 31W * *", after: "2026-04-01T00:00:00Z",
            ["2026-04-30T00:00:00Z", "2026-05-29T00:00:00Z"]),
        FireCase(
            "5#3: third Friday", "0 0 * * 5#3", after: "2026-01-01T00:00:00Z",
            ["2026-01-16T00:00:00Z", "2026-02-20T00:00:00Z"]),
        FireCase(
            "1#5: fifth Monday only where there is one", "0 0 * * 1#5", after: "2026-01-01T00:00:00Z",
            ["2026-03-30T00:00:00Z", "2026-06-29T00:00:00Z"]),
        FireCase(
            "? in day-of-month", "0 12 ? * WED", after: "2026-01-01T00:00:00Z",
            ["2026-01-07T12:00:00Z", "2026-01-14T12:00:00Z"]),
        FireCase(
            "? in day-of-week", "0 12 10 * ?", after: "2026-01-01T00:00:00Z",
            ["2026-01-10T12:00:00Z", "2026-02-10T12:00:00Z"]),
        FireCase(
            "@yearly", "@yearly", after: "2026-06-01T00:00:00Z", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
        FireCase("@annually", "@annually", after: "2026-06-01T00:00:00Z", ["2027-01-01T00:00:00Z"]),
        FireCase(
            "@monthly", "@monthly", after: "2026-01-15T00:00:00Z", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
        FireCase(
            "@weekly", "@weekly", after: "2026-01-01T00:00:00Z", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
        FireCase("@daily", "@daily", after: "2026-01-01T00:00:00Z", ["2026-01-02T00:00:00Z"]),
        FireCase("@midnight", "@midnight", after: "2026-01-01T12:00:00Z", ["2026-01-02T00:00:00Z"]),
        FireCase(
            "@hourly", "@hourly", after: "2026-01-01T00:00:00Z", ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]),
        FireCase(
            "@every 90s from the epoch", "@every 90s", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z"]),
        FireCase(
            "@every 1h30m from the epoch", "@every 1h30m", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"]),
        FireCase(
            "@every 7m does not restart at midnight", "@every 7m", after: "2026-01-01T23:57:00Z",
            ["2026-01-02T00:02:00Z", "2026-01-02T00:09:00Z"]),
        FireCase(
            "@every in a zone is still epoch-anchored", "@every 1h", zone: "Asia/Kolkata",
            after: "2026-01-01T00:10:00+05:30", ["2026-01-01T00:30:00+05:30"]),
        // H values as croniter computes them with hash_id="nightly-report" (same CRC-32 formula).
        FireCase(
            "H minute from the job name", "H * * * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T00:36:00Z", "2026-01-01T01:36:00Z"], hashKey: "nightly-report"),
        FireCase(
            "H/15 spreads the start", "H/15 * * * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T00:06:00Z", "2026-01-01T00:21:00Z"], hashKey: "nightly-report"),
        FireCase(
            "H(0-29) stays in range", "H(0-29) H(1-5) * * *", after: "2026-01-01T00:00:00Z",
            ["2026-01-01T04:06:00Z", "2026-01-02T04:06:00Z"], hashKey: "nightly-report"),
        FireCase(
            "a Tokyo wall clock", "0 9 * * *", zone: "Asia/Tokyo", after: "2025-12-31T23:59:59Z",
            ["2026-01-01T09:00:00+09:00", "2026-01-02T09:00:00+09:00"]),
        FireCase("fractional start second", "* * * * * *", after: "2026-01-01T00:00:00Z", ["2026-01-01T00:00:01Z"]),
    ]

    @Test(arguments: syntax)
    func syntaxFeature(_ c: FireCase) throws {
        let expression = try CronExpression(c.expression, hashKey: c.hashKey)
        #expect(try CronExpression(expression.description) == expression, "round trip via \(expression)")
        let zone = zone(c.zone)
        let dates = expression.nextFireDates(after: instant(c.after), in: zone, count: c.expected.count)
        #expect(dates.map { iso8601($0, in: zone) } == c.expected)
    }
}
