import CronExpression
import Foundation
import SeededRandom
import Testing

/// A long randomized run of the parser (the issue allows it in place of libFuzzer): random strings
/// over the cron alphabet plus mutations of valid expressions. Nothing may crash or hang; every
/// rejection must be located inside the text; everything accepted must round-trip and answer
/// next/previous in bounded time. `CRON_FUZZ_ITERATIONS` lengthens the run (default 100,000).
@Suite("Parser fuzz run")
struct FuzzTests {
    static let alphabet = Array("0123456789*/,-?#LWHlwh()@ \tJANFEBMONSUNFRIxyzé😀s".unicodeScalars.map(String.init))

    @Test func randomInputNeverCrashesOrHangs() throws {
        let iterations = ProcessInfo.processInfo.environment["CRON_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 100_000
        var rng = SplitMix64(seed: 0xC0FFEE)
        var valid = RandomExpressions(seed: 99)
        let zone = zone("Australia/Lord_Howe")
        let t = Date(timeIntervalSince1970: 1_775_300_000)  // 2026-04-04, around a Lord Howe change
        var accepted = 0
        for i in 0..<iterations {
            var text: String
            if i % 2 == 0 {
                text = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Self.alphabet.randomElement(using: &rng)! }
                    .joined()
            } else {
                var scalars = Array(valid.next().unicodeScalars.map(String.init))
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0...scalars.count, using: &rng)
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: scalars.insert(Self.alphabet.randomElement(using: &rng)!, at: at)
                    case 1 where at < scalars.count: scalars.remove(at: at)
                    default: if at < scalars.count { scalars[at] = Self.alphabet.randomElement(using: &rng)! }
                    }
                }
                text = scalars.joined()
            }
            do {
                let expression = try CronExpression(text, hashKey: "fuzz")
                accepted += 1
                let again = try CronExpression(expression.description)
                #expect(again == expression, "\(text) -> \(expression.description)")
                if let next = expression.nextFireDate(after: t, in: zone) { #expect(next > t) }
                if let previous = expression.previousFireDate(before: t, in: zone) { #expect(previous < t) }
            } catch {
                #expect((1...text.utf8.count + 1).contains(error.column), "\(text): column \(error.column)")
                #expect(error.message.contains("column \(error.column)"), "\(text): \(error.message)")
            }
        }
        #expect(accepted > iterations / 50, "the run should also exercise accepted expressions")
    }
}
