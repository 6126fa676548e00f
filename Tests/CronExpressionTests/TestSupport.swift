import Foundation

/// Parses `2026-03-08T03:00:00-04:00` or `...Z` (seconds required) into a Date; traps on a typo in a test table.
/// Parsed by hand because the oracle replay reads tens of thousands of them and a formatter a call is slow.
func instant(_ text: String) -> Date {
    let b = Array(text.utf8)
    func number(_ from: Int, _ count: Int) -> Int {
        var v = 0
        for i in from..<(from + count) {
            guard i < b.count, (48...57).contains(b[i]) else {
                preconditionFailure("bad instant in test table: \(text)")
            }
            v = v * 10 + Int(b[i] - 48)
        }
        return v
    }
    guard b.count >= 20, b[10] == UInt8(ascii: "T") else { preconditionFailure("bad instant in test table: \(text)") }
    let (year, month, day) = (number(0, 4), number(5, 2), number(8, 2))
    let seconds = number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2)
    var offset = 0
    if b[19] != UInt8(ascii: "Z") {
        offset = (number(20, 2) * 3600 + number(23, 2) * 60) * (b[19] == UInt8(ascii: "-") ? -1 : 1)
    }
    // Days since 1970-01-01 (Hinnant's days_from_civil), written out here so the tests do not lean on the
    // module's own arithmetic.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    return Date(timeIntervalSince1970: Double(days * 86_400 + seconds - offset))
}

func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else {
        preconditionFailure("unknown zone in test table: \(identifier)")
    }
    return zone
}

/// Formats an instant as ISO 8601 with the zone's offset at that instant (`Z` for a zero offset in UTC).
func iso8601(_ date: Date, in zone: TimeZone) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = zone
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
