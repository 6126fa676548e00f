import SeededRandom

/// Random valid cron expressions from a seeded generator: every syntax form, names, extensions and
/// `@` forms, so the properties and the fuzz run cover what users can write.
struct RandomExpressions {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    private mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

    static let monthNames = ["jan", "FEB", "Mar", "apr", "MAY", "jun", "Jul", "aug", "SEP", "oct", "Nov", "dec"]
    static let dayNames = ["sun", "MON", "Tue", "wed", "THU", "fri", "Sat"]

    /// A value and its spelling; `names[0]` is the name of `first` (1 for months, 0 for days).
    private mutating func value(_ range: ClosedRange<Int>, names: [String]?, first: Int) -> (Int, String) {
        let v = int(range)
        if let names, chance(30), v - first < names.count { return (v, names[v - first]) }
        return (v, String(v))
    }

    private mutating func item(_ range: ClosedRange<Int>, names: [String]?) -> String {
        let steps = 1...min(range.count, 7 * 2 > range.count ? 7 : range.count)  // day-of-week steps stop at 7
        switch int(0...5) {
        case 0: return "*/\(int(steps))"
        case 1, 2: return value(range, names: names, first: range.lowerBound).1
        case 3:
            let (a, at) = value(range, names: names, first: range.lowerBound)
            let (_, bt) = value(a...range.upperBound, names: names, first: range.lowerBound)
            return "\(at)-\(bt)"
        case 4:
            let a = int(range)
            let b = int(a...range.upperBound)
            return "\(a)-\(b)/\(int(steps))"
        default: return "\(int(range))/\(int(steps))"
        }
    }

    private mutating func field(_ range: ClosedRange<Int>, names: [String]? = nil, extras: [String] = []) -> String {
        if chance(25) { return "*" }
        var items: [String] = []
        for _ in 0..<int(1...3) {
            items.append(!extras.isEmpty && chance(20) ? extras[int(0...extras.count - 1)] : item(range, names: names))
        }
        // A leading `*` changes meaning (AND/OR, wildcard); keep `*/n` first when it was drawn.
        return items.joined(separator: ",")
    }

    mutating func next() -> String {
        if chance(5) {
            return [
                "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every 90s",
                "@every 1h30m", "@every 7m", "@every 2d", "@every 45s",
            ][int(0...11)]
        }
        var fields: [String] = []
        if chance(20) { fields.append(field(0...59)) }
        fields.append(chance(10) ? ["H", "H/15", "H(0-29)"][int(0...2)] : field(0...59))
        fields.append(chance(10) ? ["H", "H(8-17)", "H/6"][int(0...2)] : field(0...23))
        let domExtras = ["L", "LW", "L-\(int(0...5))", "\(int(1...28))W"]
        let dowExtras = ["\(int(0...7))L", "\(int(0...7))#\(int(1...4))", "FRIL"]
        let dom = chance(10) ? "?" : field(1...31, extras: domExtras)
        fields.append(dom)
        fields.append(field(1...12, names: Self.monthNames))
        fields.append(chance(10) && dom != "?" ? "?" : field(0...7, names: Self.dayNames, extras: dowExtras))
        return fields.joined(separator: chance(10) ? "\t" : " ")
    }
}
