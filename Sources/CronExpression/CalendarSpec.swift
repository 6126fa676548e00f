/// The parsed fields of a calendar (non-`@every`) expression, as bit sets, and the field-by-field
/// search for the next or previous matching civil time.
struct CalendarSpec: Hashable, Sendable {
    var seconds: UInt64 = 1  // bits 0-59; second 0 when the expression has five fields
    var minutes: UInt64 = 0  // bits 0-59
    var hours: UInt32 = 0  // bits 0-23
    var daysOfMonth: UInt32 = 0  // bits 1-31
    var months: UInt16 = 0  // bits 1-12
    var daysOfWeek: UInt8 = 0  // bits 0-6, Sunday = 0

    // Extensions of the day fields.
    var lastDayOffsets: UInt32 = 0  // bit k: the k-th day before the last of the month (`L` is k = 0, `L-3` is k = 3)
    var nearestWeekdays: UInt32 = 0  // bit d: the weekday nearest to day d (`15W`)
    var lastWeekdayOfMonth = false  // `LW`
    var lastWeekdaysInMonth: UInt8 = 0  // bit w: the last w-day of the month (`5L`)
    var nthWeekdays: UInt64 = 0  // bit w * 8 + n: the n-th w-day of the month (`5#3`)

    // Whether the field's text starts with `*` (or is `?`): Vixie's DOM_STAR/DOW_STAR decide AND or OR,
    // cronie's MIN_STAR/HR_STAR decide whether the job is a wildcard job across DST changes.
    var minuteIsStar = false
    var hourIsStar = false
    var dayOfMonthIsStar = false
    var dayOfWeekIsStar = false
    var hasSecondsField = false

    /// cronie's rule: a job whose minute or hour field starts with `*` is a wildcard job.
    var isWildcard: Bool { minuteIsStar || hourIsStar }

    private var hasDayOfMonthExtensions: Bool { lastDayOffsets | nearestWeekdays != 0 || lastWeekdayOfMonth }
    private var hasDayOfWeekExtensions: Bool { lastWeekdaysInMonth != 0 || nthWeekdays != 0 }

    /// The days (bits 1-31) of a month that match the day-of-month and day-of-week fields together.
    /// It depends only on the month's length and the weekday of its first day.
    @inline(__always)
    func days(length: Int, firstWeekday: Int) -> UInt32 {
        let inMonth = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(length + 1)) &- 2)
        var dom = daysOfMonth
        if hasDayOfMonthExtensions { dom |= dayOfMonthExtensions(length: length, firstWeekday: firstWeekday) }
        var dow: UInt32
        if daysOfWeek == 0x7F {
            dow = inMonth
        } else {
            var weekly: UInt64 = 0
            var set = daysOfWeek
            while set != 0 {
                let w = set.trailingZeroBitCount
                set &= set &- 1
                weekly |= 0x1020_4081 << UInt64((w - firstWeekday + 7) % 7 + 1)
            }
            dow = UInt32(truncatingIfNeeded: weekly)
        }
        if hasDayOfWeekExtensions { dow |= dayOfWeekExtensions(length: length, firstWeekday: firstWeekday) }
        return (dayOfMonthIsStar || dayOfWeekIsStar ? dom & dow : dom | dow) & inMonth
    }

    private func dayOfMonthExtensions(length: Int, firstWeekday: Int) -> UInt32 {
        var mask: UInt32 = 0
        var offsets = lastDayOffsets
        while offsets != 0 {
            let k = offsets.trailingZeroBitCount
            offsets &= offsets &- 1
            if length - k >= 1 { mask |= 1 << UInt32(length - k) }
        }
        @inline(__always) func weekday(_ day: Int) -> Int { (firstWeekday + day - 1) % 7 }
        if lastWeekdayOfMonth {
            let w = weekday(length)
            mask |= 1 << UInt32(w == 6 ? length - 1 : w == 0 ? length - 2 : length)
        }
        var nearest = nearestWeekdays
        while nearest != 0 {
            let day = nearest.trailingZeroBitCount
            nearest &= nearest &- 1
            // A day past the month's end (31W in April) does not fire that month: the nearest weekday
            // must be in the same month, and there is no such day to be near to.
            guard day <= length else { continue }
            let target: Int
            switch weekday(day) {
            case 6: target = day == 1 ? 3 : day - 1  // Saturday: Friday, unless that leaves the month
            case 0: target = day == length ? day - 2 : day + 1  // Sunday: Monday, likewise
            default: target = day
            }
            mask |= 1 << UInt32(target)
        }
        return mask
    }

    private func dayOfWeekExtensions(length: Int, firstWeekday: Int) -> UInt32 {
        var mask: UInt32 = 0
        let lastWeekday = (firstWeekday + length - 1) % 7
        var last = lastWeekdaysInMonth
        while last != 0 {
            let w = last.trailingZeroBitCount
            last &= last &- 1
            mask |= 1 << UInt32(length - (lastWeekday - w + 7) % 7)
        }
        var nth = nthWeekdays
        while nth != 0 {
            let bit = nth.trailingZeroBitCount
            nth &= nth &- 1
            let day = (bit / 8 - firstWeekday + 7) % 7 + 1 + 7 * (bit % 8 - 1)
            if day <= length { mask |= 1 << UInt32(day) }
        }
        return mask
    }

    @inline(__always)
    private func days(year: Int, month: Int) -> UInt32 {
        days(
            length: CivilTime.daysInMonth(year: year, month: month),
            firstWeekday: CivilTime.weekday(days: CivilTime.days(year: year, month: month, day: 1)))
    }

    /// Whether some month of some year has a matching day (checked once, at parse time).
    var canEverMatch: Bool {
        var set = months
        while set != 0 {
            let month = set.trailingZeroBitCount
            set &= set &- 1
            let lengths = month == 2 ? [28, 29] : [CivilTime.daysInMonth(year: 2001, month: month)]
            for length in lengths {
                for firstWeekday in 0..<7 where days(length: length, firstWeekday: firstWeekday) != 0 {
                    return true
                }
            }
        }
        return false
    }

    /// How far the search looks, in years: the Gregorian calendar repeats every 400 years, so an
    /// expression with no match within 401 years never matches.
    static let searchYears = 401

    /// The earliest civil second at or after `start` that matches every field, or nil past the bound.
    func firstMatch(atOrAfter start: Int64) -> Int64? {
        let dayNumber = CivilTime.floorDivide(start, CivilTime.secondsPerDay)
        let secondOfDay = Int(start - dayNumber * CivilTime.secondsPerDay)
        var (year, month, day) = CivilTime.date(days: dayNumber)
        var hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let lastYear = year + Self.searchYears
        var cachedMonth = (year: Int.min, month: 0, days: UInt32(0))
        while year <= lastYear {
            guard let m = months.lowestBit(atOrAbove: month) else {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0)
                continue
            }
            if m != month { (month, day, hour, minute, second) = (m, 1, 0, 0, 0) }
            if cachedMonth.year != year || cachedMonth.month != month {
                cachedMonth = (year, month, days(year: year, month: month))
            }
            guard let d = cachedMonth.days.lowestBit(atOrAbove: day) else {
                (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0)
                continue
            }
            if d != day { (day, hour, minute, second) = (d, 0, 0, 0) }
            guard let h = hours.lowestBit(atOrAbove: hour) else {
                (day, hour, minute, second) = (day + 1, 0, 0, 0)
                continue
            }
            if h != hour { (hour, minute, second) = (h, 0, 0) }
            guard let mi = minutes.lowestBit(atOrAbove: minute) else {
                (hour, minute, second) = (hour + 1, 0, 0)
                continue
            }
            if mi != minute { (minute, second) = (mi, 0) }
            guard let s = seconds.lowestBit(atOrAbove: second) else {
                (minute, second) = (minute + 1, 0)
                continue
            }
            return CivilTime.days(year: year, month: month, day: day) * CivilTime.secondsPerDay
                + Int64(hour * 3600 + minute * 60 + s)
        }
        return nil
    }

    /// The latest civil second at or before `end` that matches every field, or nil past the bound.
    func lastMatch(atOrBefore end: Int64) -> Int64? {
        let dayNumber = CivilTime.floorDivide(end, CivilTime.secondsPerDay)
        let secondOfDay = Int(end - dayNumber * CivilTime.secondsPerDay)
        var (year, month, day) = CivilTime.date(days: dayNumber)
        var hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let firstYear = year - Self.searchYears
        var cachedMonth = (year: Int.min, month: 0, days: UInt32(0))
        while year >= firstYear {
            guard let m = months.highestBit(atOrBelow: month) else {
                (year, month, day, hour, minute, second) = (year - 1, 12, 31, 23, 59, 59)
                continue
            }
            if m != month { (month, day, hour, minute, second) = (m, 31, 23, 59, 59) }
            if cachedMonth.year != year || cachedMonth.month != month {
                cachedMonth = (year, month, days(year: year, month: month))
            }
            guard let d = cachedMonth.days.highestBit(atOrBelow: day) else {
                (month, day, hour, minute, second) = (month - 1, 31, 23, 59, 59)
                continue
            }
            if d != day { (day, hour, minute, second) = (d, 23, 59, 59) }
            guard let h = hours.highestBit(atOrBelow: hour) else {
                (day, hour, minute, second) = (day - 1, 23, 59, 59)
                continue
            }
            if h != hour { (hour, minute, second) = (h, 59, 59) }
            guard let mi = minutes.highestBit(atOrBelow: minute) else {
                (hour, minute, second) = (hour - 1, 59, 59)
                continue
            }
            if mi != minute { (minute, second) = (mi, 59) }
            guard let s = seconds.highestBit(atOrBelow: second) else {
                (minute, second) = (minute - 1, 59)
                continue
            }
            return CivilTime.days(year: year, month: month, day: day) * CivilTime.secondsPerDay
                + Int64(hour * 3600 + minute * 60 + s)
        }
        return nil
    }
}
