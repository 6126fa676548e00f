public import Foundation

/// One fire time, with the zone's UTC offset at that instant: what `fargate-cron next` prints.
public struct FireTime: Hashable, Sendable, CustomStringConvertible {
    /// The instant.
    public let date: Date
    /// The zone's offset from UTC at `date`, in seconds (east positive).
    public let utcOffset: Int

    /// The wall-clock time in the zone and its offset, ISO 8601: `2026-03-08T03:00:00-04:00`
    /// (`+00:00` in UTC). The offset is written in whole minutes, as `ISO8601DateFormatter` does.
    public var description: String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(utcOffset)
        let day = CivilTime.floorDivide(seconds, CivilTime.secondsPerDay)
        let secondOfDay = Int(seconds - day * CivilTime.secondsPerDay)
        let (year, month, dayOfMonth) = CivilTime.date(days: day)
        let offsetMinutes = abs(utcOffset) / 60
        var text = ""
        text.reserveCapacity(25)
        func append(_ value: Int, width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        append(year, width: 4)
        text += "-"
        append(month, width: 2)
        text += "-"
        append(dayOfMonth, width: 2)
        text += "T"
        append(secondOfDay / 3600, width: 2)
        text += ":"
        append(secondOfDay / 60 % 60, width: 2)
        text += ":"
        append(secondOfDay % 60, width: 2)
        text += utcOffset < 0 ? "-" : "+"
        append(offsetMinutes / 60, width: 2)
        text += ":"
        append(offsetMinutes % 60, width: 2)
        return text
    }
}

/// The fire times of an expression after an instant, ascending, each computed when it is read: a
/// million of them cost the memory of one (`fargate-cron next -n 1000000` streams them).
public struct FireTimes: Sequence, IteratorProtocol, Sendable {
    private let expression: CronExpression
    private let zone: TimeZone
    /// The zone's offsets, for the fire times and for the offsets printed beside them.
    private let rules: ZoneRules
    /// The last fire time answered (or the start); nil once there are no more.
    private var cursor: Int64?

    init(expression: CronExpression, after cursor: Int64?, zone: TimeZone) {
        self.expression = expression
        self.zone = zone
        self.rules = ZoneRules.of(zone)
        self.cursor = cursor
    }

    /// The next fire time, or nil when there is none (for `@reboot`, or beyond the year 9999).
    public mutating func next() -> FireTime? {
        guard let after = cursor else { return nil }
        let calendarRules: ZoneRules? = if case .calendar = expression.kind { rules } else { nil }
        guard let next = expression.nextFireSecond(after: after, rules: calendarRules),
            Double(next) <= CronExpression.supportedSeconds.upperBound
        else {
            cursor = nil
            return nil
        }
        cursor = next
        let date = Date(timeIntervalSince1970: Double(next))
        // The table covers 1900-2400; outside it, Foundation knows the zone's offset (LMT, say).
        let offset = (ZoneRules.tableStart..<ZoneRules.tableEnd).contains(next)
            ? Int(rules.offset(at: next)) : zone.secondsFromGMT(for: date)
        return FireTime(date: date, utcOffset: offset)
    }
}

extension CronExpression {
    /// The fire times strictly after `instant`, ascending, computed one at a time as they are read.
    ///
    /// ```swift
    /// for time in expression.fireTimes(after: now, in: zone).prefix(1_000_000) { print(time) }
    /// ```
    /// - Parameters:
    ///   - instant: every fire time is later than this.
    ///   - zone: the zone whose wall clock the fields describe.
    public func fireTimes(after instant: Date, in zone: TimeZone) -> FireTimes {
        FireTimes(expression: self, after: Self.seconds(instant, rounding: .down), zone: zone)
    }
}
