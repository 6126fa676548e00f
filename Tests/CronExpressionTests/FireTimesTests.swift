import CronExpression
import Foundation
import Testing

/// `fireTimes(after:in:)`, the lazy sequence `fargate-cron next` streams (#12): the same instants as
/// `nextFireDates`, each with the offset Foundation gives, written as `ISO8601DateFormatter` writes it.
@Suite("Fire times, one at a time")
struct FireTimesTests {
    static let zones = [
        "UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham",
        "America/Santiago", "America/St_Johns", "Europe/Dublin",
    ]
    static let expressions = ["*/7 * * * *", "30 2 * * *", "0 0 * * *", "@every 90m", "15 30 1,2 * * *", "0 12 L * *"]

    @Test(arguments: zones)
    func sameInstantsAndOffsetsAsFoundation(_ name: String) throws {
        let zone = zone(name)
        let start = instant("2026-01-01T00:00:00Z")
        for text in Self.expressions {
            let expression = try CronExpression(text)
            let times = Array(expression.fireTimes(after: start, in: zone).prefix(1_000))
            #expect(times.map(\.date) == expression.nextFireDates(after: start, in: zone, count: 1_000), "\(text)")
            let formatter = Self.formatter(in: zone)
            let mismatches = times.filter { time in
                time.utcOffset != zone.secondsFromGMT(for: time.date)
                    || time.description != Self.foundationText(time.date, formatter)
            }
            #expect(mismatches.isEmpty, "\(text) in \(name): \(mismatches.prefix(3).map(\.description))")
        }
    }

    /// `ISO8601DateFormatter` writes `Z` for a zero offset; `next` writes `+00:00`, as DESIGN shows.
    static func foundationText(_ date: Date, _ formatter: ISO8601DateFormatter) -> String {
        let text = formatter.string(from: date)
        return text.hasSuffix("Z") ? String(text.dropLast()) + "+00:00" : text
    }

    /// One formatter per zone: making one per date costs more than everything else here.
    static func formatter(in zone: TimeZone) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }

    @Test func pastTheZoneTableTheOffsetIsFoundations() throws {
        // ZoneRules' table ends in 2400; an @every job goes on, in summer time in New York.
        let newYork = zone("America/New_York")
        let time = try #require(try CronExpression("@every 1d").fireTimes(after: instant("2500-07-01T12:00:00Z"), in: newYork).first { _ in true })
        #expect(time.utcOffset == newYork.secondsFromGMT(for: time.date))
        #expect(time.description == Self.foundationText(time.date, Self.formatter(in: newYork)))
    }

    @Test func theSequenceEndsWhereTheAnswersEnd() throws {
        #expect(Array(try CronExpression("@reboot").fireTimes(after: instant("2026-01-01T00:00:00Z"), in: zone("UTC"))).isEmpty)
        let last = Array(try CronExpression("* * * * * *").fireTimes(after: instant("9999-12-31T23:59:57Z"), in: zone("UTC")))
        #expect(last.map(\.description) == ["9999-12-31T23:59:58+00:00", "9999-12-31T23:59:59+00:00"])
    }
}
