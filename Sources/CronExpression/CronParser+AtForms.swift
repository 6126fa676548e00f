// `@yearly` ... `@hourly`, `@reboot`, `@every DURATION`, and the token test schedule files use.

extension CronParser {
    static func parseAtForm(bytes: Bytes, tokens: [Range<Int>]) throws(CronSyntaxError) -> CronExpression {
        let token = tokens[0]
        let word = String(decoding: bytes[token], as: UTF8.self).lowercased()
        if word == "@every" {
            guard tokens.count == 2 else {
                let column = tokens.count > 2 ? tokens[2].lowerBound + 1 : bytes.count + 1
                throw CronSyntaxError(
                    field: nil, column: column,
                    message: "@every at column \(token.lowerBound + 1) takes one duration such as 90s or 1h30m, "
                        + "found \(tokens.count - 1) at column \(column)")
            }
            return CronExpression(kind: .every(seconds: try parseDuration(bytes: bytes, range: tokens[1])))
        }
        var spec = CalendarSpec()
        (spec.seconds, spec.minutes, spec.hours) = (1, 1, 1)
        (spec.daysOfMonth, spec.months, spec.daysOfWeek) = (0xFFFF_FFFE, 0x1FFE, 0x7F)
        // The flags are cronie's (entry.c): they decide AND/OR and wildcard-ness just as the written fields would.
        switch word {
        case "@yearly", "@annually":
            (spec.daysOfMonth, spec.months, spec.dayOfWeekIsStar) = (0b10, 0b10, true)  // 0 0 1 1 *
        case "@monthly":
            (spec.daysOfMonth, spec.dayOfWeekIsStar) = (0b10, true)  // 0 0 1 * *
        case "@weekly":
            (spec.daysOfWeek, spec.dayOfMonthIsStar) = (1, true)  // 0 0 * * 0
        case "@daily", "@midnight":
            (spec.dayOfMonthIsStar, spec.dayOfWeekIsStar) = (true, true)  // 0 0 * * *
        case "@hourly":
            (spec.hours, spec.hourIsStar) = (0xFF_FFFF, true)  // 0 * * * *
            (spec.dayOfMonthIsStar, spec.dayOfWeekIsStar) = (true, true)
        case "@reboot":
            break
        default:
            throw CronSyntaxError(
                field: nil, column: token.lowerBound + 1,
                message: "unknown form '\(String(decoding: bytes[token], as: UTF8.self))' at column \(token.lowerBound + 1); "
                    + "expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot or @every")
        }
        guard tokens.count == 1 else {
            let column = tokens[1].lowerBound + 1
            throw CronSyntaxError(
                field: nil, column: column, message: "\(word) takes no fields, found '\(String(decoding: bytes[tokens[1]], as: UTF8.self))' at column \(column)")
        }
        return CronExpression(kind: word == "@reboot" ? .reboot : .calendar(spec))
    }

    /// The most an `@every` interval may be: 100 years, far beyond any schedule and far from overflow.
    static let longestInterval: Int64 = 100 * 366 * 86_400

    /// `90s`, `1h30m`, `2d`: whole numbers with units d, h, m, s, largest first, each at most once.
    static func parseDuration(bytes: Bytes, range: Range<Int>) throws(CronSyntaxError) -> Int64 {
        let text = String(decoding: bytes[range], as: UTF8.self)
        func failure(_ why: String, at index: Int) -> CronSyntaxError {
            CronSyntaxError(
                field: nil, column: index + 1,
                message: "@every duration '\(text)' at column \(index + 1) \(why); write it as 90s, 15m, 1h30m or 2d")
        }
        let units: [(UInt8, Int64)] = [(UInt8(ascii: "d"), 86_400), (UInt8(ascii: "h"), 3600), (UInt8(ascii: "m"), 60), (UInt8(ascii: "s"), 1)]
        var total: Int64 = 0
        var nextUnit = 0
        var i = range.lowerBound
        while i < range.upperBound {
            let numberStart = i
            var value: Int64 = 0
            while i < range.upperBound, isDigit(bytes[i]) {
                value = value * 10 + Int64(bytes[i] - 0x30)
                guard value <= longestInterval else { throw failure("is longer than 100 years", at: numberStart) }
                i += 1
            }
            guard i > numberStart else { throw failure("has '\(UnicodeScalar(bytes[i]))' where a number should be", at: i) }
            guard i < range.upperBound else { throw failure("ends in a number without a unit", at: i) }
            let unit = bytes[i] | 0x20
            guard let index = units.firstIndex(where: { $0.0 == unit }) else {
                throw failure("has unknown unit '\(UnicodeScalar(bytes[i]))'", at: i)
            }
            guard index >= nextUnit else { throw failure("repeats a unit or has them out of order", at: i) }
            nextUnit = index + 1
            total += value * units[index].1
            guard total <= longestInterval else { throw failure("is longer than 100 years", at: numberStart) }
            i += 1
        }
        guard total > 0 else { throw failure("must be longer than zero", at: range.lowerBound) }
        return total
    }

    /// See `CronExpression.couldBeField(_:)`.
    static func couldBeField(_ token: Substring) -> Bool {
        guard let first = token.utf8.first else { return false }
        if first == UInt8(ascii: "@") { return true }
        var letters: [UInt8] = []
        func lettersAreCronWords() -> Bool {
            if letters.isEmpty { return true }
            let word = String(decoding: letters, as: UTF8.self)
            if ["L", "W", "LW", "H"].contains(word) { return true }
            if monthNames.contains(word) || dayNames.contains(word) { return true }
            return word.count == 4 && word.hasSuffix("L") && dayNames.contains(String(word.prefix(3)))
        }
        for byte in token.utf8 {
            if isLetter(byte) {
                letters.append(upper(byte))
                continue
            }
            guard lettersAreCronWords() else { return false }
            letters.removeAll(keepingCapacity: true)
            guard isDigit(byte) || "*,-/?#()".utf8.contains(byte) else { return false }
        }
        return lettersAreCronWords()
    }
}
