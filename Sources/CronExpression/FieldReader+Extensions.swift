// The non-Vixie field forms: `H` (hashed from the job name) and the day-of-month `L` forms.

extension FieldReader {
    /// The range `H` draws from when none is given. Day-of-month stops at 28 so that the value exists
    /// in every month, and day-of-week at 6 so that Sunday is not twice as likely (both as Jenkins does).
    private var hashRange: ClosedRange<Int> {
        switch field {
        case .dayOfMonth: 1...28
        case .dayOfWeek: 0...6
        default: field.writtenRange
        }
    }

    /// `H`, `H(a-b)`, `H/step`, `H(a-b)/step` (Jenkins): one value of the range chosen by the hash of
    /// the job name, or, with a step, a hashed start inside the first step and every step after it.
    /// The value is croniter's: `((crc32(name) >> fieldIndex) % size) + low`.
    mutating func readHash(into mask: inout UInt64) throws(CronSyntaxError) {
        let start = position
        position += 1  // H
        var bounds = hashRange
        if current == UInt8(ascii: "(") {
            position += 1
            let lowColumn = column
            guard let low = readBound(), current == UInt8(ascii: "-") else {
                throw error("\(field.displayName) '\(foundText(from: start))' at column \(lowColumn): expected H(low-high)", at: lowColumn)
            }
            position += 1
            guard let high = readBound(), current == UInt8(ascii: ")") else {
                throw error("\(field.displayName) '\(foundText(from: start))' at column \(column): expected H(low-high)", at: column)
            }
            position += 1
            for (value, valueColumn) in [(low, lowColumn), (high, lowColumn)] where !field.writtenRange.contains(value) {
                let allowed = field.writtenRange
                throw error(
                    "\(field.displayName) value \(value) in '\(foundText(from: start))' at column \(valueColumn) is out of range \(allowed.lowerBound)-\(allowed.upperBound)",
                    at: valueColumn)
            }
            guard low <= high else {
                throw error("\(field.displayName) range H(\(low)-\(high)) at column \(start + 1) ends before it starts", at: start + 1)
            }
            bounds = low...high
        }
        var step = 0
        if current == UInt8(ascii: "/") {
            position += 1
            let stepColumn = column
            guard let s = readBound(), (1...bounds.count).contains(s) else {
                throw error(
                    "\(field.displayName) step in '\(foundText(from: start))' at column \(stepColumn) must be 1-\(bounds.count)", at: stepColumn)
            }
            step = s
        }
        guard atEnd || current == UInt8(ascii: ",") else {
            throw error("unexpected '\(foundText(from: position))' at column \(column) in \(field.displayName) '\(foundText(from: start))'", at: column)
        }
        let draw = Int((hash >> UInt32(field.hashIndex)) % UInt32(step == 0 ? bounds.count : min(step, bounds.count)))
        var value = bounds.lowerBound + draw
        repeat {
            mask |= 1 << UInt64(field == .dayOfWeek ? value % 7 : value)
            value += max(step, 1)
        } while step > 0 && value <= bounds.upperBound
    }

    /// `L` (last day of the month), `L-3` (three days before it), `LW` (its last weekday).
    mutating func readLast(into spec: inout CalendarSpec) throws(CronSyntaxError) {
        let start = position
        position += 1  // L
        if atEnd || current == UInt8(ascii: ",") {
            spec.lastDayOffsets |= 1
        } else if current == UInt8(ascii: "W") {
            position += 1
            spec.lastWeekdayOfMonth = true
        } else if current == UInt8(ascii: "-") {
            position += 1
            let offsetColumn = column
            guard let offset = readBound(), (0...30).contains(offset) else {
                throw error("day-of-month '\(foundText(from: start))' at column \(offsetColumn): the offset after 'L-' must be 0-30", at: offsetColumn)
            }
            spec.lastDayOffsets |= 1 << UInt32(offset)
        }
        guard atEnd || current == UInt8(ascii: ",") else {
            throw error(
                "unexpected '\(foundText(from: position))' at column \(column) in day-of-month '\(foundText(from: start))'; expected L, L-N or LW",
                at: column)
        }
    }

    private mutating func readBound() -> Int? {
        var value = 0, digits = 0
        while !atEnd, CronParser.isDigit(bytes[position]), digits < 6 {
            value = value * 10 + Int(bytes[position] - 0x30)
            digits += 1
            position += 1
        }
        return digits == 0 ? nil : value
    }

    private func foundText(from start: Int) -> String {
        var end = start
        while end < range.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
        return String(decoding: bytes[start..<max(end, start)], as: UTF8.self)
    }
}
