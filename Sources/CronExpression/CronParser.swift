/// Turns expression text into a `CronExpression`, reading UTF-8 bytes directly (no substrings, no
/// regular expressions) so that parsing stays well above a million expressions a second.
enum CronParser {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    static func parse(_ text: String, hashKey: String) throws(CronSyntaxError) -> CronExpression {
        var text = text
        let result: Result<CronExpression, CronSyntaxError> = text.withUTF8 { bytes in
            do throws(CronSyntaxError) {
                return .success(try parse(bytes: bytes, hashKey: hashKey))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func parse(bytes: Bytes, hashKey: String) throws(CronSyntaxError) -> CronExpression {
        var tokens: [Range<Int>] = []
        tokens.reserveCapacity(7)
        var i = 0
        while i < bytes.count {
            if isSpace(bytes[i]) {
                i += 1
                continue
            }
            let start = i
            while i < bytes.count, !isSpace(bytes[i]) { i += 1 }
            tokens.append(start..<i)
        }
        guard let first = tokens.first else {
            throw CronSyntaxError(
                field: nil, column: 1,
                message: "empty expression at column 1: expected 5 fields, 6 with seconds, or an @ form such as @daily")
        }
        if bytes[first.lowerBound] == UInt8(ascii: "@") {
            return try parseAtForm(bytes: bytes, tokens: tokens)
        }
        guard tokens.count == 5 || tokens.count == 6 else {
            let column = tokens.count > 6 ? tokens[6].lowerBound + 1 : bytes.count + 1
            throw CronSyntaxError(
                field: nil, column: column,
                message: "expected 5 fields, 6 with seconds, or an @ form, but found \(tokens.count) at column \(column)")
        }
        var spec = CalendarSpec()
        let fields: [CronField] =
            tokens.count == 6
            ? [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
            : [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        spec.hasSecondsField = tokens.count == 6
        let hash = hashKey.isEmpty ? 0 : JobHash.crc32(hashKey)
        for (field, token) in zip(fields, tokens) {
            var reader = FieldReader(bytes: bytes, range: token, field: field, hash: hash)
            try reader.read(into: &spec)
        }
        guard spec.canEverMatch else {
            let dayToken = tokens[tokens.count - 3]
            let text = String(decoding: bytes[dayToken], as: UTF8.self)
            let monthText = String(decoding: bytes[tokens[tokens.count - 2]], as: UTF8.self)
            throw CronSyntaxError(
                field: .dayOfMonth, column: dayToken.lowerBound + 1,
                message: "day-of-month '\(text)' at column \(dayToken.lowerBound + 1) never occurs in month '\(monthText)'"
                    + " with the given day-of-week: the expression can never fire")
        }
        return CronExpression(kind: .calendar(spec))
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func upper(_ byte: UInt8) -> UInt8 { isLetter(byte) ? byte & ~0x20 : byte }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// The value of a three-letter name (`JAN` = 1, `SUN` = 0), any case, or nil.
    static func nameValue(_ bytes: Bytes, at i: Int, field: CronField) -> Int? {
        guard i + 3 <= bytes.count else { return nil }
        let a = upper(bytes[i]), b = upper(bytes[i + 1]), c = upper(bytes[i + 2])
        let names = field == .month ? monthNames : field == .dayOfWeek ? dayNames : []
        for (index, name) in names.enumerated() {
            let u = name.utf8
            if u[u.startIndex] == a && u[u.index(after: u.startIndex)] == b && u[u.index(u.startIndex, offsetBy: 2)] == c {
                return field == .month ? index + 1 : index
            }
        }
        return nil
    }
}

/// Reads one field (`0-30/5,45`, `L`, `5#3`, `H(0-29)/10`) into the spec's bit sets.
struct FieldReader {
    let bytes: CronParser.Bytes
    let range: Range<Int>
    let field: CronField
    let hash: UInt32
    var position: Int

    init(bytes: CronParser.Bytes, range: Range<Int>, field: CronField, hash: UInt32) {
        self.bytes = bytes
        self.range = range
        self.field = field
        self.hash = hash
        self.position = range.lowerBound
    }

    private var name: String { field.displayName }
    var column: Int { position + 1 }
    var atEnd: Bool { position >= range.upperBound }
    var current: UInt8 { atEnd ? 0 : CronParser.upper(bytes[position]) }

    func error(_ message: String, at column: Int) -> CronSyntaxError {
        CronSyntaxError(field: field, column: column, message: message)
    }

    /// The text from `start` up to the next list separator, for messages.
    private func found(from start: Int) -> String {
        var end = start
        while end < range.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
        return String(decoding: bytes[start..<max(end, start)], as: UTF8.self)
    }

    mutating func read(into spec: inout CalendarSpec) throws(CronSyntaxError) {
        let first = current
        let isStar = first == UInt8(ascii: "*") || first == UInt8(ascii: "?")
        var mask: UInt64 = 0
        if first == UInt8(ascii: "?") {
            guard field == .dayOfMonth || field == .dayOfWeek else {
                throw error("'?' at column \(column) is only allowed in day-of-month or day-of-week, not in the \(name) field", at: column)
            }
            guard range.count == 1 else {
                throw error("\(name) '?' at column \(column) must stand alone, found '\(found(from: position))'", at: column)
            }
            mask = field == .dayOfMonth ? 0xFFFF_FFFE : 0x7F
            position += 1
        }
        while !atEnd {
            try readElement(into: &mask, spec: &spec)
            if atEnd { break }
            guard current == UInt8(ascii: ",") else {
                throw error("unexpected '\(found(from: position))' at column \(column) in the \(name) field", at: column)
            }
            position += 1
            if atEnd || current == UInt8(ascii: ",") {
                throw error("empty \(name) list item at column \(column)", at: column)
            }
        }
        switch field {
        case .second: spec.seconds = mask
        case .minute: spec.minutes = mask; spec.minuteIsStar = isStar
        case .hour: spec.hours = UInt32(truncatingIfNeeded: mask); spec.hourIsStar = isStar
        case .dayOfMonth: spec.daysOfMonth = UInt32(truncatingIfNeeded: mask); spec.dayOfMonthIsStar = isStar
        case .month: spec.months = UInt16(truncatingIfNeeded: mask)
        case .dayOfWeek: spec.daysOfWeek = UInt8(truncatingIfNeeded: mask); spec.dayOfWeekIsStar = isStar
        }
    }

    private mutating func readElement(into mask: inout UInt64, spec: inout CalendarSpec) throws(CronSyntaxError) {
        let start = position
        let bounds = field.writtenRange
        var low: Int, high: Int
        var isRange = false
        switch current {
        case UInt8(ascii: "*"):
            position += 1
            (low, high, isRange) = (field.storedRange.lowerBound, field.storedRange.upperBound, true)
        case UInt8(ascii: "H") where position + 1 == range.upperBound || [UInt8(ascii: "("), UInt8(ascii: "/"), UInt8(ascii: ",")].contains(bytes[position + 1]):
            try readHash(into: &mask)
            return
        case UInt8(ascii: "L") where field == .dayOfMonth:
            try readLast(into: &spec)
            return
        case UInt8(ascii: "L") where field == .dayOfWeek:
            throw error("day-of-week 'L' at column \(column) needs a day before it, as in 5L (the last Friday)", at: column)
        case 0, UInt8(ascii: ","):
            throw error("empty \(name) list item at column \(column)", at: column)
        default:
            low = try readValue()
            high = low
            if field == .dayOfMonth, current == UInt8(ascii: "W") {
                position += 1
                try expectEndOfElement(start: start)
                spec.nearestWeekdays |= 1 << UInt32(low)
                return
            }
            if field == .dayOfWeek, current == UInt8(ascii: "L") {
                position += 1
                try expectEndOfElement(start: start)
                spec.lastWeekdaysInMonth |= 1 << UInt8(low % 7)
                return
            }
            if field == .dayOfWeek, current == UInt8(ascii: "#") {
                position += 1
                let nthColumn = column
                guard let nth = readNumber(), (1...5).contains(nth) else {
                    throw error("day-of-week '\(found(from: start))' at column \(nthColumn): the number after '#' must be 1-5", at: nthColumn)
                }
                try expectEndOfElement(start: start)
                spec.nthWeekdays |= 1 << UInt64((low % 7) * 8 + nth)
                return
            }
            if current == UInt8(ascii: "-") {
                position += 1
                high = try readValue()
                guard low <= high else {
                    throw error("\(name) range \(found(from: start)) at column \(start + 1) ends before it starts", at: start + 1)
                }
                isRange = true
            }
        }
        var step = 1
        if current == UInt8(ascii: "/") {
            position += 1
            let stepColumn = column
            let limit = field.storedRange.count
            guard let s = readNumber() else {
                throw error("\(name) step at column \(stepColumn) must be a number 1-\(limit), found '\(found(from: stepColumn - 1))'", at: stepColumn)
            }
            guard (1...limit).contains(s) else {
                throw error("\(name) step \(s) at column \(stepColumn) is out of range 1-\(limit)", at: stepColumn)
            }
            step = s
            if !isRange { high = field == .dayOfWeek ? 7 : bounds.upperBound }  // `10/5` means 10-59/5
        }
        try expectEndOfElement(start: start)
        var value = low
        while value <= high {
            mask |= 1 << UInt64(field == .dayOfWeek ? value % 7 : value)
            value += step
        }
    }

    private func expectEndOfElement(start: Int) throws(CronSyntaxError) {
        guard atEnd || current == UInt8(ascii: ",") else {
            throw error("unexpected '\(found(from: position))' at column \(column) in \(name) '\(found(from: start))'", at: column)
        }
    }

    private mutating func readNumber() -> Int? {
        var value = 0, digits = 0
        while !atEnd, CronParser.isDigit(bytes[position]) {
            if digits < 6 { value = value * 10 + Int(bytes[position] - 0x30) }
            digits += 1
            position += 1
        }
        return digits == 0 ? nil : digits > 6 ? Int.max : value
    }

    /// A number or a name, checked against the field's range.
    private mutating func readValue() throws(CronSyntaxError) -> Int {
        let start = position
        let bounds = field.writtenRange
        if let number = readNumber() {
            guard bounds.contains(number) else {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                throw error("\(name) value \(text) at column \(start + 1) is out of range \(bounds.lowerBound)-\(bounds.upperBound)", at: start + 1)
            }
            return number
        }
        if let value = CronParser.nameValue(bytes, at: position, field: field), position + 3 <= range.upperBound {
            position += 3
            return value
        }
        var end = position
        while end < range.upperBound, CronParser.isLetter(bytes[end]) { end += 1 }
        let text = end > start ? String(decoding: bytes[start..<end], as: UTF8.self) : found(from: start)
        let allowed =
            field == .month ? "1-12 or JAN-DEC" : field == .dayOfWeek ? "0-7 or SUN-SAT"
            : "\(bounds.lowerBound)-\(bounds.upperBound)"
        throw error("unexpected '\(text)' at column \(start + 1) in the \(name) field; expected \(allowed)", at: start + 1)
    }
}
