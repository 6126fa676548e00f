import CronExpression
import Testing

/// One invalid expression, the field and column the error must name, and a piece of its message.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    let expression: String
    let field: CronField?
    let column: Int
    let fragment: String

    init(_ expression: String, _ field: CronField?, column: Int, _ fragment: String) {
        self.expression = expression
        self.field = field
        self.column = column
        self.fragment = fragment
    }

    var testDescription: String { "'\(expression)'" }
}

@Suite("Syntax errors")
struct SyntaxErrorTests {
    static let cases: [InvalidCase] = [
        // Field count and @ forms
        InvalidCase("", nil, column: 1, "empty expression"),
        InvalidCase("   ", nil, column: 1, "empty expression"),
        InvalidCase("* * * *", nil, column: 8, "found 4"),
        InvalidCase("*", nil, column: 2, "found 1"),
        InvalidCase("* * * * * * *", nil, column: 13, "found 7"),
        InvalidCase("0 0 * * * * * *", nil, column: 13, "found 8"),
        InvalidCase("@fortnightly", nil, column: 1, "unknown form '@fortnightly'"),
        InvalidCase("@", nil, column: 1, "unknown form '@'"),
        InvalidCase("@daily 5", nil, column: 8, "takes no fields"),
        InvalidCase("@hourly *", nil, column: 9, "takes no fields"),
        InvalidCase("@reboot now", nil, column: 9, "takes no fields"),
        InvalidCase("@every", nil, column: 7, "takes one duration"),
        InvalidCase("@every 1h 2m", nil, column: 11, "takes one duration"),
        InvalidCase("@every 90", nil, column: 10, "without a unit"),
        InvalidCase("@every 90x", nil, column: 10, "unknown unit 'x'"),
        InvalidCase("@every 0s", nil, column: 8, "longer than zero"),
        InvalidCase("@every 0h0m", nil, column: 8, "longer than zero"),
        InvalidCase("@every m", nil, column: 8, "where a number should be"),
        InvalidCase("@every 30m1h", nil, column: 12, "out of order"),
        InvalidCase("@every 1h1h", nil, column: 11, "out of order"),
        InvalidCase("@every -5m", nil, column: 8, "where a number should be"),
        InvalidCase("@every 1.5h", nil, column: 9, "unknown unit '.'"),
        InvalidCase("@every 99999999d", nil, column: 8, "longer than 100 years"),
        InvalidCase("@every 36600d1s", nil, column: 14, "longer than 100 years"),
        // Minute
        InvalidCase("61 * * * *", .minute, column: 1, "minute value 61 at column 1 is out of range 0-59"),
        InvalidCase("60 * * * *", .minute, column: 1, "out of range 0-59"),
        InvalidCase("-1 * * * *", .minute, column: 1, "unexpected '-1'"),
        InvalidCase("1-60 * * * *", .minute, column: 3, "minute value 60 at column 3"),
        InvalidCase("30-10 * * * *", .minute, column: 1, "ends before it starts"),
        InvalidCase("*/0 * * * *", .minute, column: 3, "step 0 at column 3 is out of range 1-60"),
        InvalidCase("*/61 * * * *", .minute, column: 3, "step 61"),
        InvalidCase("*/ * * * *", .minute, column: 3, "must be a number"),
        InvalidCase("*/x * * * *", .minute, column: 3, "must be a number"),
        InvalidCase("1,,2 * * * *", .minute, column: 3, "empty minute list item"),
        InvalidCase(",1 * * * *", .minute, column: 1, "empty minute list item"),
        InvalidCase("1, * * * *", .minute, column: 3, "empty minute list item"),
        InvalidCase("a * * * *", .minute, column: 1, "unexpected 'a'"),
        InvalidCase("jan * * * *", .minute, column: 1, "unexpected 'jan'"),
        InvalidCase("5x * * * *", .minute, column: 2, "unexpected 'x'"),
        InvalidCase("** * * * *", .minute, column: 2, "unexpected"),
        InvalidCase("1-2-3 * * * *", .minute, column: 4, "unexpected '-3'"),
        InvalidCase("1/2/3 * * * *", .minute, column: 4, "unexpected '/3'"),
        InvalidCase("? * * * *", .minute, column: 1, "only allowed in day-of-month or day-of-week"),
        InvalidCase("L * * * *", .minute, column: 1, "unexpected 'L'"),
        InvalidCase("1W * * * *", .minute, column: 2, "unexpected 'W'"),
        InvalidCase("1#2 * * * *", .minute, column: 2, "unexpected '#2'"),
        InvalidCase("99999999999 * * * *", .minute, column: 1, "out of range 0-59"),
        InvalidCase("5- * * * *", .minute, column: 3, "unexpected"),
        InvalidCase("-5 * * * *", .minute, column: 1, "unexpected '-5'"),
        // Hour
        InvalidCase("0 24 * * *", .hour, column: 3, "hour value 24 at column 3 is out of range 0-23"),
        InvalidCase("0 25-26 * * *", .hour, column: 3, "hour value 25"),
        InvalidCase("0 10-5 * * *", .hour, column: 3, "ends before it starts"),
        InvalidCase("0 */25 * * *", .hour, column: 5, "out of range 1-24"),
        InvalidCase("0 */0 * * *", .hour, column: 5, "step 0"),
        InvalidCase("0 ? * * *", .hour, column: 3, "only allowed in day-of-month or day-of-week"),
        InvalidCase("0 noon * * *", .hour, column: 3, "unexpected 'noon'"),
        InvalidCase("0 1,24 * * *", .hour, column: 5, "hour value 24 at column 5"),
        InvalidCase("0 9-17/0 * * *", .hour, column: 8, "step 0"),
        InvalidCase("0 H(0-24) * * *", .hour, column: 5, "out of range 0-23"),
        InvalidCase("0 H(5-2) * * *", .hour, column: 3, "ends before it starts"),
        InvalidCase("0 H/25 * * *", .hour, column: 5, "must be 1-24"),
        InvalidCase("0 H(0-5 * * *", .hour, column: 8, "expected H(low-high)"),
        InvalidCase("0 H(a-5) * * *", .hour, column: 5, "expected H(low-high)"),
        InvalidCase("0 Hx * * *", .hour, column: 3, "unexpected 'Hx'"),
        // Day of month
        InvalidCase("0 0 0 * *", .dayOfMonth, column: 5, "day-of-month value 0 at column 5 is out of range 1-31"),
        InvalidCase("0 0 32 * *", .dayOfMonth, column: 5, "out of range 1-31"),
        InvalidCase("0 0 1-32 * *", .dayOfMonth, column: 7, "day-of-month value 32"),
        InvalidCase("0 0 */32 * *", .dayOfMonth, column: 7, "out of range 1-31"),
        InvalidCase("0 0 L-31 * *", .dayOfMonth, column: 7, "must be 0-30"),
        InvalidCase("0 0 L- * *", .dayOfMonth, column: 7, "must be 0-30"),
        InvalidCase("0 0 LX * *", .dayOfMonth, column: 6, "expected L, L-N or LW"),
        InvalidCase("0 0 LWW * *", .dayOfMonth, column: 7, "expected L, L-N or LW"),
        InvalidCase("0 0 32W * *", .dayOfMonth, column: 5, "out of range 1-31"),
        InvalidCase("0 0 0W * *", .dayOfMonth, column: 5, "out of range 1-31"),
        InvalidCase("0 0 15WW * *", .dayOfMonth, column: 8, "unexpected 'W'"),
        InvalidCase("0 0 1-5W * *", .dayOfMonth, column: 8, "unexpected 'W'"),
        InvalidCase("0 0 ?? * *", .dayOfMonth, column: 5, "must stand alone"),
        InvalidCase("0 0 ?,1 * *", .dayOfMonth, column: 5, "must stand alone"),
        InvalidCase("0 0 mon * *", .dayOfMonth, column: 5, "unexpected 'mon'"),
        InvalidCase("0 0 5#2 * *", .dayOfMonth, column: 6, "unexpected '#2'"),
        InvalidCase("0 0 H(0-5) * *", .dayOfMonth, column: 7, "out of range 1-31"),
        InvalidCase("0 0 30 2 *", .dayOfMonth, column: 5, "can never fire"),
        InvalidCase("0 0 31 4,6,9,11 *", .dayOfMonth, column: 5, "can never fire"),
        InvalidCase("0 0 30-31 feb *", .dayOfMonth, column: 5, "can never fire"),
        InvalidCase("0 0 31 2 *", .dayOfMonth, column: 5, "can never fire"),
        InvalidCase("0 0 30 2 */2", .dayOfMonth, column: 5, "can never fire"),
        InvalidCase("0 0 31W 2 *", .dayOfMonth, column: 5, "can never fire"),
        // Month
        InvalidCase("0 0 1 13 *", .month, column: 7, "month value 13 at column 7 is out of range 1-12"),
        InvalidCase("0 0 1 0 *", .month, column: 7, "out of range 1-12"),
        InvalidCase("0 0 1 foo *", .month, column: 7, "unexpected 'foo' at column 7 in the month field; expected 1-12 or JAN-DEC"),
        InvalidCase("0 0 1 janu *", .month, column: 10, "unexpected 'u'"),
        InvalidCase("0 0 1 mon *", .month, column: 7, "unexpected 'mon'"),
        InvalidCase("0 0 1 dec-jan *", .month, column: 7, "ends before it starts"),
        InvalidCase("0 0 1 */13 *", .month, column: 9, "out of range 1-12"),
        InvalidCase("0 0 1 ? *", .month, column: 7, "only allowed in day-of-month or day-of-week"),
        InvalidCase("0 0 1 L *", .month, column: 7, "unexpected 'L'"),
        InvalidCase("0 0 1 ja *", .month, column: 7, "unexpected 'ja'"),
        // Day of week
        InvalidCase("0 0 * * 8", .dayOfWeek, column: 9, "day-of-week value 8 at column 9 is out of range 0-7"),
        InvalidCase("0 0 * * 1-8", .dayOfWeek, column: 11, "day-of-week value 8"),
        InvalidCase("0 0 * * fri-mon", .dayOfWeek, column: 9, "ends before it starts"),
        InvalidCase("0 0 * * sunday", .dayOfWeek, column: 12, "unexpected 'day'"),
        InvalidCase("0 0 * * jan", .dayOfWeek, column: 9, "unexpected 'jan' at column 9 in the day-of-week field; expected 0-7 or SUN-SAT"),
        InvalidCase("0 0 * * L", .dayOfWeek, column: 9, "needs a day before it"),
        InvalidCase("0 0 * * 5#6", .dayOfWeek, column: 11, "must be 1-5"),
        InvalidCase("0 0 * * 5#0", .dayOfWeek, column: 11, "must be 1-5"),
        InvalidCase("0 0 * * 5#", .dayOfWeek, column: 11, "must be 1-5"),
        InvalidCase("0 0 * * 5#2#3", .dayOfWeek, column: 12, "unexpected '#3'"),
        InvalidCase("0 0 * * 5LL", .dayOfWeek, column: 11, "unexpected 'L'"),
        InvalidCase("0 0 * * 5W", .dayOfWeek, column: 10, "unexpected 'W'"),
        InvalidCase("0 0 * * */8", .dayOfWeek, column: 11, "out of range 1-7"),
        InvalidCase("0 0 * * 1,", .dayOfWeek, column: 11, "empty day-of-week list item"),
        InvalidCase("0 0 * * ?x", .dayOfWeek, column: 9, "must stand alone"),
        // Seconds field (six fields)
        InvalidCase("60 * * * * *", .second, column: 1, "second value 60 at column 1 is out of range 0-59"),
        InvalidCase("*/0 * * * * *", .second, column: 3, "step 0"),
        InvalidCase("? * * * * *", .second, column: 1, "only allowed in day-of-month or day-of-week"),
        InvalidCase("0 60 * * * *", .minute, column: 3, "minute value 60 at column 3"),
        InvalidCase("0 0 0 0 * *", .dayOfMonth, column: 7, "day-of-month value 0 at column 7"),
        InvalidCase("  61 * * * *", .minute, column: 3, "at column 3"),
        InvalidCase("0\t24 * * *", .hour, column: 3, "hour value 24 at column 3"),
    ]

    @Test(arguments: cases)
    func rejected(_ c: InvalidCase) {
        do {
            let parsed = try CronExpression(c.expression, hashKey: "job")
            Issue.record("parsed as \(parsed)")
        } catch {
            #expect(error.field == c.field)
            #expect(error.column == c.column)
            #expect(error.message.contains(c.fragment), "message: \(error.message)")
            #expect(error.message.contains("column \(error.column)"), "message must say where: \(error.message)")
        }
    }

    @Test func thereAreAtLeastAHundred() { #expect(Self.cases.count >= 100) }
}
