import CronExpression
import Foundation
import SeededRandom
import Testing

/// Properties that hold for every valid expression, over expressions from a seeded generator
/// (`RandomExpressions`), in zones with and without daylight saving, from instants in 1990-2060.
@Suite("Properties of random expressions")
struct PropertyTests {
    static let zones = [
        "UTC", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Europe/Berlin", "Asia/Kolkata",
    ]
    .map(zone)

    static let seeds: [UInt64] = [1, 2, 3, 4]

    @Test("next strictly increases; previous(next(t)) <= t; next(previous(t)) >= t; round trip", arguments: seeds)
    func properties(seed: UInt64) throws {
        var expressions = RandomExpressions(seed: seed)
        var rng = SplitMix64(seed: seed &* 7919)
        var valid = 0
        var neverFire = 0
        for _ in 0..<1_500 {
            let text = expressions.next()
            let expression: CronExpression
            do {
                expression = try CronExpression(text, hashKey: "job-\(seed)")
            } catch {
                // The generator can combine a day and month that never meet (`31 4`); those must be
                // rejected as such, never with a syntax complaint.
                #expect(error.message.contains("can never fire"), "\(text): \(error.message)")
                neverFire += 1
                continue
            }
            valid += 1

            // Parse -> canonical text -> parse gives the same schedule (and the same text).
            let canonical = expression.description
            let reparsed = try CronExpression(canonical)
            #expect(reparsed == expression, "\(text) -> \(canonical)")
            #expect(reparsed.description == canonical)

            let zone = Self.zones[Int.random(in: 0..<Self.zones.count, using: &rng)]
            let t = Date(timeIntervalSince1970: Double(Int64.random(in: 631_152_000...2_871_763_200, using: &rng)))
            let dates = expression.nextFireDates(after: t, in: zone, count: 6)
            #expect(!dates.isEmpty, "\(text) never fires after \(t) in \(zone.identifier)")
            guard let first = dates.first else { continue }
            #expect(first > t)
            #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 < $1 }, "\(text) in \(zone.identifier): \(dates)")
            #expect(expression.nextFireDate(after: t, in: zone) == first)
            // Nothing fires between t and next(t)...
            if let before = expression.previousFireDate(before: first, in: zone) {
                #expect(before <= t, "\(text) in \(zone.identifier): previous(\(first)) = \(before) is after \(t)")
            }
            // ...and previous is next's exact inverse along the whole sequence.
            for (earlier, later) in zip(dates, dates.dropFirst()) {
                #expect(
                    expression.previousFireDate(before: later, in: zone) == earlier, "\(text) in \(zone.identifier)")
            }
            if let previous = expression.previousFireDate(before: t, in: zone) {
                #expect(previous < t)
                if let again = expression.nextFireDate(after: previous, in: zone) { #expect(again >= t) }
            }
        }
        #expect(valid > 1_200, "the generator should mostly produce schedules that fire (\(neverFire) never fire)")
    }
}
