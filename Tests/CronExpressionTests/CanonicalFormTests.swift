import CronExpression
import Testing

/// The canonical text (`description`): numbers for names, `H` resolved, and the leading `*` kept where
/// it changes meaning. Every row must also re-parse to an equal expression.
@Suite("Canonical text and equality")
struct CanonicalFormTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let input: String
        let canonical: String
        var testDescription: String { "'\(input)' -> '\(canonical)'" }
        init(_ input: String, _ canonical: String) { (self.input, self.canonical) = (input, canonical) }
    }

    static let rows: [Row] = [
        Row("* * * * *", "* * * * *"),
        Row("0  0\t* * 7", "0 0 * * 0"),
        Row("0 9 * jan-mar MON-FRI", "0 9 * 1-3 1-5"),
        Row("*/15 * * * *", "*/15 * * * *"),
        Row("0-59/15 * * * *", "0,15,30,45 * * * *"),  // fixed-time, unlike */15: no leading *
        Row("*/10,5 * * * *", "*/60,5,10,20,30,40,50 * * * *"),  // still starts with *
        Row("10/20 * * * *", "10,30,50 * * * *"),
        Row("0 0 */2 * 1", "0 0 */2 * 1"),
        Row("0 0 1-31 * 1", "0 0 1-31 * 1"),  // ORed: not the same as * (ANDed)
        Row("0 0 ? * WED", "0 0 * * 3"),
        Row("0 0 L,LW,L-3,15W * 5L,1#2", "0 0 L,L-3,LW,15W * 5L,1#2"),
        Row("0 0 * * FRIL", "0 0 * * 5L"),
        Row("@yearly", "0 0 1 1 *"),
        Row("@annually", "0 0 1 1 *"),
        Row("@monthly", "0 0 1 * *"),
        Row("@weekly", "0 0 * * 0"),
        Row("@daily", "0 0 * * *"),
        Row("@midnight", "0 0 * * *"),
        Row("@hourly", "0 * * * *"),
        Row("@reboot", "@reboot"),
        Row("@every 90s", "@every 1m30s"),
        Row("@every 2d", "@every 48h"),
        Row("@EVERY 1H30M", "@every 1h30m"),
        Row("0 */20 * * * *", "0 */20 * * * *"),
        Row("0 0 0 * * *", "0 0 0 * * *"),  // six fields stay six
    ]

    @Test(arguments: rows)
    func canonicalText(_ row: Row) throws {
        let expression = try CronExpression(row.input)
        #expect(expression.description == row.canonical)
        #expect(try CronExpression(row.canonical) == expression)
    }

    @Test("H resolves to the job's values, and differs between jobs")
    func hashedValues() throws {
        let a = try CronExpression("H H * * *", hashKey: "nightly-report")
        let b = try CronExpression("H H * * *", hashKey: "sync-users")
        #expect(a == (try CronExpression("H H * * *", hashKey: "nightly-report")))
        #expect(a.description == "36 0 * * *")  // croniter.expand("H H * * *", hash_id=b"nightly-report"): 36, 0
        #expect(a != b)
        #expect(try CronExpression(a.description) == a)
    }

    @Test("same schedule, different spelling, equal")
    func equalities() throws {
        #expect(try CronExpression("0 0 * * 7") == CronExpression("0 0 * * sun"))
        #expect(try CronExpression("@daily") == CronExpression("0 0 * * *"))
        #expect(try CronExpression("*/30 * * * *") != CronExpression("0,30 * * * *"))  // wildcard vs fixed-time
        #expect(try CronExpression("@hourly").isWildcard)
        #expect(try !CronExpression("0 3 * * *").isWildcard)
        #expect(try CronExpression("@every 90s").interval == 90)
    }

    struct Token: CustomTestStringConvertible, Sendable {
        let token: String
        let couldBeField: Bool
        var testDescription: String { "'\(token)'" }
        init(_ token: String, _ couldBeField: Bool) { (self.token, self.couldBeField) = (token, couldBeField) }
    }

    static let tokens: [Token] = [
        Token("*", true), Token("*/15", true), Token("0-30/5,45", true), Token("mon", true), Token("JAN-mar", true),
        Token("l", true), Token("w", true), Token("h", true), Token("LW", true), Token("15W", true), Token("5L", true),
        Token("FRIL", true), Token("5#3", true), Token("?", true), Token("H(0-29)/10", true), Token("@daily", true),
        Token("@every", true), Token("nightly-report", false), Token("sync-users", false), Token("warm-cache", false),
        Token("job1", false), Token("monday", false), Token("sun-job", false), Token("backup", false), Token("", false),
        Token("90s", false), Token("a", false),
    ]

    @Test(arguments: tokens)
    func couldBeField(_ t: Token) {
        #expect(CronExpression.couldBeField(t.token[...]) == t.couldBeField)
    }

    @Test func atFormTokenCounts() {
        #expect(CronExpression.tokenCount(ofAtForm: "@every") == 2)
        #expect(CronExpression.tokenCount(ofAtForm: "@Daily") == 1)
        #expect(CronExpression.tokenCount(ofAtForm: "@reboot") == 1)
        #expect(CronExpression.tokenCount(ofAtForm: "@often") == nil)
        #expect(CronExpression.tokenCount(ofAtForm: "daily") == nil)
    }
}
