/// Durations as schedule files write them: `90s`, `15m`, `1h30m`, `2d`, or `0`.
///
/// A duration is one or more `<digits><unit>` parts with units `d`, `h`, `m` and `s`, largest unit
/// first, each unit at most once. Fractions are not accepted (`1.5h` is `1h30m`), so every value is
/// a whole number of seconds. The longest accepted duration is 366 days, somewhat arbitrarily: no
/// setting that takes a duration makes sense beyond a year, and the bound keeps the arithmetic exact.
enum DurationSyntax {
    static let maximumSeconds: Int64 = 366 * 86_400

    /// Parses `text`, or says what was expected.
    static func parse(_ text: Substring) -> Duration? {
        if text == "0" { return .zero }
        let units: [(UInt8, Int64)] = [(UInt8(ascii: "d"), 86_400), (UInt8(ascii: "h"), 3_600),
                                       (UInt8(ascii: "m"), 60), (UInt8(ascii: "s"), 1)]
        var total: Int64 = 0
        var nextUnit = 0  // index into units: parts must come in this order
        var number: Int64? = nil
        for byte in text.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                let digit = Int64(byte - UInt8(ascii: "0"))
                let (times10, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                guard !o1, !o2, sum <= maximumSeconds else { return nil }
                number = sum
                continue
            }
            guard let value = number,
                let index = units[nextUnit...].firstIndex(where: { $0.0 == byte })
            else { return nil }
            let (part, o3) = value.multipliedReportingOverflow(by: units[index].1)
            guard !o3 else { return nil }
            total += part
            guard total <= maximumSeconds else { return nil }
            nextUnit = index + 1
            number = nil
        }
        guard number == nil, nextUnit > 0 else { return nil }
        return .seconds(total)
    }

    /// Prints `duration` the way `parse` reads it back, largest unit first (`1h30m`, `0s`).
    static func format(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        if seconds == 0 { return "0s" }
        var text = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text
    }
}
