import CronExpression
import Foundation
import Testing

/// Replays `Fixtures/oracle_vectors.jsonl`, made by `scripts/oracles/generate_cron_vectors.py` from two
/// cron libraries no one here wrote: cronsim 2.8 and croniter 7.0.0, in eight zones, from start
/// instants just before and inside DST changes, around Feb 29 and on the 31st of short months.
///
/// Which oracle a vector follows is decided in the generator and recorded in its `oracle` field:
/// - `both`: cronsim and croniter agree (most vectors).
/// - `cronsim`: they disagree and we follow cronsim, because it is Vixie-compatible where croniter is
///   not: croniter ORs `0 0 */2 * 1` (Vixie ANDs: the day-of-month field starts with `*`), reads
///   `5L` and `LW` differently, and applies no cron DST rule to fixed-time jobs (it reports times
///   inside the skipped hour, or twice in a repeated one) where cronsim mimics Debian cron.
/// - `cronie`: cronsim adjusted to cronie's daemon-loop rule that DESIGN.md adopts. cronsim iterates
///   fixed-time jobs in naive local time, so from a start inside the second pass of a repeated hour
///   it answers the first-pass time, which lies *before* the start; cronie ran that job in the first
///   pass and does not run it again, so the generator drops those answers.
/// - `scan`: a wildcard job in a DST zone where the two disagree. cronie runs a wildcard job at every
///   real instant whose wall time matches, so the generator scans real instants minute by minute and
///   asks `croniter.match` about each naive wall time. This overrules cronsim in 16 Lord Howe cases:
///   cronsim steps whole hours in UTC, and with a 30-minute shift lands on hh:30 and skips wall times
///   that exist (`0 */6 * * *` misses 06:00 on the day of the change).
/// - `croniter`: syntax cronsim lacks (`W`, `L-n`), in zones without DST only, because croniter's
///   DST behaviour is not cronie's.
/// `H` follows croniter's hash (`hash_id`), and cronsim checks it through croniter's expansion.
@Suite("Oracle cross-check")
struct OracleTests {
    struct Vector: Decodable {
        let expr: String
        let zone: String
        let start: String
        let expect: [String]
        let oracle: String
        let hash: String?
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/oracle_vectors.jsonl")

    static func loadVectors() throws -> [Vector] {
        let data = try Data(contentsOf: fixture)
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Vector.self, from: Data($0)) }
    }

    @Test("every vector of cronsim and croniter")
    func replay() throws {
        let vectors = try Self.loadVectors()
        #expect(vectors.count >= 2_000)
        #expect(Set(vectors.map(\.zone)).count == 8)
        var mismatches: [String] = []
        var parsed: [String: CronExpression] = [:]
        for v in vectors {
            let key = v.expr + "\u{0}" + (v.hash ?? "")
            let expression: CronExpression
            if let cached = parsed[key] {
                expression = cached
            } else {
                expression = try CronExpression(v.expr, hashKey: v.hash ?? "")
                parsed[key] = expression
            }
            let tz = zone(v.zone)
            let got = expression.nextFireDates(after: Self.date(v.start), in: tz, count: v.expect.count)
            if got != v.expect.map(Self.date) {
                mismatches.append(
                    "\(v.expr) in \(v.zone) after \(v.start) [\(v.oracle)]: expected \(v.expect), got \(got.map { iso8601($0, in: tz) })")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(vectors.count) differ, e.g.\n\(mismatches.prefix(15).joined(separator: "\n"))")
    }

    /// Python's isoformat: `2026-03-08T01:59:00-05:00`, or with seconds in the offset for LMT zones.
    static func date(_ text: String) -> Date { instant(text) }
}
