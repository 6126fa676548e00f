import Foundation
import Synchronization

/// A zone's UTC offsets as a sorted table of transitions, built once per zone from Foundation and
/// then searched without calling Foundation again: the hot path is a binary search.
///
/// The table covers 1900-2400. Before it, the offset in force in 1900 applies; after it, the offset in
/// force in 2400. Both are far outside any schedule's life.
final class ZoneRules: Sendable {
    /// Instants (Unix seconds) at which the offset changes, ascending.
    let transitions: [Int64]
    /// `offsets[i]` is in force from `transitions[i - 1]` (or the beginning of time) until `transitions[i]`.
    let offsets: [Int64]

    static let tableStart: Int64 = -2_208_988_800  // 1900-01-01T00:00:00Z
    static let tableEnd: Int64 = 13_569_465_600  // 2400-01-01T00:00:00Z

    init(transitions: [Int64], offsets: [Int64]) {
        precondition(offsets.count == transitions.count + 1)
        self.transitions = transitions
        self.offsets = offsets
    }

    /// Reads every offset change of `zone` between 1900 and 2400.
    convenience init(zone: TimeZone) {
        var transitions: [Int64] = []
        var offsets = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.tableStart))))]
        var cursor = Date(timeIntervalSince1970: Double(Self.tableStart))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor) {
            let instant = Int64(next.timeIntervalSince1970.rounded(.down))
            guard instant < Self.tableEnd, next > cursor else { break }
            cursor = next
            let offset = Int64(zone.secondsFromGMT(for: next))
            // ICU also reports changes of zone name or rule that keep the offset; they change nothing here.
            if offset != offsets[offsets.count - 1] {
                transitions.append(instant)
                offsets.append(offset)
            }
        }
        self.init(transitions: transitions, offsets: offsets)
    }

    private static let cache = Mutex<[String: ZoneRules]>([:])

    /// The rules of `zone`, built on first use and shared after.
    static func of(_ zone: TimeZone) -> ZoneRules {
        let identifier = zone.identifier
        if let rules = cache.withLock({ $0[identifier] }) { return rules }
        let rules = ZoneRules(zone: zone)
        return cache.withLock { table in
            if let existing = table[identifier] { return existing }
            table[identifier] = rules
            return rules
        }
    }

    /// The index of the segment (span of constant offset) that contains `instant`.
    @inline(__always)
    func segment(containing instant: Int64) -> Int {
        var low = 0
        var high = transitions.count
        while low < high {
            let mid = (low + high) >> 1
            if transitions[mid] <= instant { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The UTC offset in force at `instant`.
    func offset(at instant: Int64) -> Int64 { offsets[segment(containing: instant)] }
}
