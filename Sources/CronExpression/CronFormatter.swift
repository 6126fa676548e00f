/// Prints the canonical text of an expression: numbers instead of names, `H` resolved, and the
/// leading `*` of a field kept wherever the original had one, because it changes the meaning (AND
/// or OR of the day fields, wildcard or fixed-time across DST changes).
enum CronFormatter {
    static func format(_ expression: CronExpression) -> String {
        switch expression.kind {
        case .reboot: return "@reboot"
        case .every(let seconds): return "@every " + duration(seconds)
        case .calendar(let spec):
            var fields: [String] = []
            if spec.hasSecondsField { fields.append(list(spec.seconds, 0...59, star: spec.seconds == fullMask(0...59))) }
            fields.append(list(spec.minutes, 0...59, star: spec.minuteIsStar))
            fields.append(list(UInt64(spec.hours), 0...23, star: spec.hourIsStar))
            fields.append(list(UInt64(spec.daysOfMonth), 1...31, star: spec.dayOfMonthIsStar, extras: dayOfMonthExtras(spec)))
            fields.append(list(UInt64(spec.months), 1...12, star: UInt64(spec.months) == fullMask(1...12)))
            fields.append(list(UInt64(spec.daysOfWeek), 0...6, star: spec.dayOfWeekIsStar, extras: dayOfWeekExtras(spec)))
            return fields.joined(separator: " ")
        }
    }

    static func duration(_ seconds: Int64) -> String {
        var text = ""
        let (hours, rest) = seconds.quotientAndRemainder(dividingBy: 3600)
        let (minutes, secs) = rest.quotientAndRemainder(dividingBy: 60)
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if secs > 0 { text += "\(secs)s" }
        return text
    }

    private static func fullMask(_ range: ClosedRange<Int>) -> UInt64 {
        (UInt64(1) << UInt64(range.upperBound + 1)) - (UInt64(1) << UInt64(range.lowerBound))
    }

    private static func list(_ mask: UInt64, _ range: ClosedRange<Int>, star: Bool, extras: [String] = []) -> String {
        var items: [String] = []
        var rest = mask
        if star {
            if mask == fullMask(range) {
                return (["*"] + extras).joined(separator: ",")
            }
            // `*/s` when the set is every s-th value from the start, else `*/size` (the first value
            // alone) followed by the others, so that the field still starts with `*`.
            let values = (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
            if values.count >= 2, values[0] == range.lowerBound {
                let step = values[1] - values[0]
                if values == Array(stride(from: range.lowerBound, through: range.upperBound, by: step)) {
                    return (["*/\(step)"] + extras).joined(separator: ",")
                }
            }
            items.append("*/\(range.count)")
            rest &= ~(UInt64(1) << UInt64(range.lowerBound))
        }
        var value = range.lowerBound
        while value <= range.upperBound {
            guard rest & (1 << UInt64(value)) != 0 else {
                value += 1
                continue
            }
            var end = value
            while end + 1 <= range.upperBound, rest & (1 << UInt64(end + 1)) != 0 { end += 1 }
            items.append(end == value ? "\(value)" : "\(value)-\(end)")
            value = end + 1
        }
        return (items + extras).joined(separator: ",")
    }

    private static func dayOfMonthExtras(_ spec: CalendarSpec) -> [String] {
        var extras: [String] = []
        for k in 0...30 where spec.lastDayOffsets & (1 << UInt32(k)) != 0 { extras.append(k == 0 ? "L" : "L-\(k)") }
        if spec.lastWeekdayOfMonth { extras.append("LW") }
        for day in 1...31 where spec.nearestWeekdays & (1 << UInt32(day)) != 0 { extras.append("\(day)W") }
        return extras
    }

    private static func dayOfWeekExtras(_ spec: CalendarSpec) -> [String] {
        var extras: [String] = []
        for w in 0...6 where spec.lastWeekdaysInMonth & (1 << UInt8(w)) != 0 { extras.append("\(w)L") }
        for w in 0...6 {
            for n in 1...5 where spec.nthWeekdays & (1 << UInt64(w * 8 + n)) != 0 { extras.append("\(w)#\(n)") }
        }
        return extras
    }
}
