// Civil (wall-clock) calendar arithmetic on plain integers, so that the hot path never calls
// Foundation's Calendar. A civil time is counted in seconds since 1970-01-01T00:00:00 *local*,
// as if the zone were UTC; ZoneRules maps it to instants.

/// Proleptic Gregorian calendar helpers (Howard Hinnant's `days_from_civil` and `civil_from_days`).
enum CivilTime {
    static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 of the given date.
    @inline(__always)
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    @inline(__always)
    static func date(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    @inline(__always)
    static func weekday(days: Int64) -> Int {
        let w = (days + 4) % 7
        return Int(w < 0 ? w + 7 : w)
    }

    @inline(__always)
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    @inline(__always)
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    @inline(__always)
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// Bit tricks on field sets: the lowest set bit at or above `k`, the highest at or below `k`.
extension FixedWidthInteger where Self: UnsignedInteger {
    @inline(__always)
    func lowestBit(atOrAbove k: Int) -> Int? {
        guard k < Self.bitWidth else { return nil }
        let rest = self >> k
        return rest == 0 ? nil : k + rest.trailingZeroBitCount
    }

    @inline(__always)
    func highestBit(atOrBelow k: Int) -> Int? {
        guard k >= 0 else { return nil }
        let rest = k >= Self.bitWidth - 1 ? self : self << (Self.bitWidth - 1 - k)
        return rest == 0 ? nil : Swift.min(k, Self.bitWidth - 1) - rest.leadingZeroBitCount
    }
}
