// The release-built half of `scripts/bench/cron`: times parsing and next-fire computation of the
// fixed expression list in scripts/bench/cron_expressions.txt, in UTC and America/New_York, and
// prints one JSON object that the script combines with croniter's and cronsim's timings.
//
//     swift build -c release --product CronBenchmark
//     .build/release/CronBenchmark scripts/bench/cron_expressions.txt
//
// Each rate is the best of five rounds, by the process CPU clock and by the wall clock. The script
// compares CPU-clock rates (the peers are timed the same way), because the machine is shared and
// other processes stretch wall-clock time for everyone alike.
import CronExpression
import Foundation

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

struct Rates: Codable {
    var cpu = 0.0
    var wall = 0.0
}

func processCPUSeconds() -> Double {
    var now = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) == 0 else { fatalError("clock_gettime failed: \(errno)") }
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// The best rate over five rounds of `body`, which does `operations` operations per round.
func bestRates(operations: Int, _ body: () throws -> Void) rethrows -> Rates {
    var rates = Rates()
    for _ in 0..<5 {
        let wallStart = ContinuousClock.now
        let cpuStart = processCPUSeconds()
        try body()
        let cpu = processCPUSeconds() - cpuStart
        let wall = ContinuousClock.now - wallStart
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        rates.cpu = max(rates.cpu, Double(operations) / cpu)
        rates.wall = max(rates.wall, Double(operations) / wallSeconds)
    }
    return rates
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let text = try? String(contentsOfFile: arguments[1], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: CronBenchmark EXPRESSIONS_FILE\n".utf8))
    exit(2)
}
let expressions = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

// Parsing: every expression, over and over.
let parseRounds = 20_000
let parse = try bestRates(operations: parseRounds * expressions.count) {
    for _ in 0..<parseRounds {
        for expression in expressions { blackHole(try CronExpression(expression)) }
    }
}

// Next fire times: chained, each from the previous answer, through the public API (zone lookup included).
// Every counted operation is a fire time actually produced: in a zone with daylight saving the answers
// stop at the zone table's end (2400), which `0 0 29 2 *` reaches after 90 answers in New York, so the
// chain starts again from `start` there instead of counting calls that were never made.
let parsed = try expressions.map { try CronExpression($0) }
var next: [String: Rates] = [:]
for zoneName in ["UTC", "America/New_York"] {
    guard let zone = TimeZone(identifier: zoneName) else { fatalError("zone \(zoneName) missing") }
    let perExpression = 10_000
    next[zoneName] = bestRates(operations: perExpression * parsed.count) {
        for expression in parsed {
            var cursor = start
            var produced = 0
            while produced < perExpression {
                if let fire = expression.nextFireDate(after: cursor, in: zone) {
                    cursor = fire
                    produced += 1
                } else if cursor != start {
                    cursor = start
                } else {
                    fatalError("\(expression) has no fire time after \(start) in \(zoneName)")
                }
            }
            blackHole(cursor)
        }
    }
}

struct Report: Codable {
    var expressions: Int
    var parse: Rates
    var next: [String: Rates]
}
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
print(
    String(
        decoding: try encoder.encode(Report(expressions: expressions.count, parse: parse, next: next)), as: UTF8.self))
