// The release-built half of `scripts/bench/cron`: times parsing and next-fire computation of the
// fixed expression list in scripts/bench/cron_expressions.txt, in UTC and America/New_York, and
// prints one JSON object that the script combines with croniter's and cronsim's timings.
//
//     swift run -c release CronBenchmark scripts/bench/cron_expressions.txt
import CronExpression
import Foundation

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let text = try? String(contentsOfFile: arguments[1], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: CronBenchmark EXPRESSIONS_FILE\n".utf8))
    exit(2)
}
let expressions = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

// Parsing: every expression, over and over, best of three rounds.
var parseRate = 0.0
for _ in 0..<3 {
    let rounds = 50_000
    let elapsed = try seconds {
        for _ in 0..<rounds {
            for expression in expressions { blackHole(try CronExpression(expression)) }
        }
    }
    parseRate = max(parseRate, Double(rounds * expressions.count) / elapsed)
}

// Next fire times: chained, each from the previous answer, through the public API (zone lookup included).
let parsed = try expressions.map { try CronExpression($0) }
var nextRates: [String: Double] = [:]
for zoneName in ["UTC", "America/New_York"] {
    guard let zone = TimeZone(identifier: zoneName) else { fatalError("zone \(zoneName) missing") }
    var best = 0.0
    for _ in 0..<3 {
        let perExpression = 20_000
        let elapsed = seconds {
            for expression in parsed {
                var cursor = start
                for _ in 0..<perExpression {
                    guard let next = expression.nextFireDate(after: cursor, in: zone) else { break }
                    cursor = next
                }
                blackHole(cursor)
            }
        }
        best = max(best, Double(perExpression * parsed.count) / elapsed)
    }
    nextRates[zoneName] = best
}

let result: [String: Any] = [
    "expressions": expressions.count,
    "parse_per_second": parseRate,
    "next_per_second": nextRates,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
