@testable import CronExpression
import Foundation
import Testing

/// The transition table must give the same offset as Foundation at every instant: it replaces
/// Foundation on the hot path, so any gap in it would shift fire times silently.
@Suite("Zone transition tables")
struct ZoneRulesTests {
    static let zones = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney",
                        "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "Pacific/Chatham", "Africa/Casablanca",
                        "Europe/Moscow", "America/St_Johns"]

    @Test(arguments: zones)
    func offsetsMatchFoundation(_ identifier: String) {
        let tz = zone(identifier)
        let rules = ZoneRules.of(tz)
        var mismatches: [String] = []
        // Every 7 hours 13 minutes from 1950 to 2060, plus one second either side of each transition.
        var instants = Array(stride(from: Int64(-631_152_000), to: 2_871_763_200, by: 25_980))
        for t in rules.transitions where t > -631_152_000 && t < 2_871_763_200 { instants += [t - 1, t, t + 1] }
        for t in instants {
            let expected = Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
            if rules.offset(at: t) != expected { mismatches.append("\(t): table \(rules.offset(at: t)), Foundation \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, e.g. \(mismatches.prefix(5))")
    }
}
