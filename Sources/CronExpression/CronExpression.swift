public import Foundation

/// A parsed cron expression: five fields, six with a leading seconds field, or an `@` form.
///
/// ```swift
/// let expression = try CronExpression("30 2 * * *")
/// let next = expression.nextFireDate(after: now, in: TimeZone(identifier: "America/New_York")!)
/// ```
///
/// Semantics are Vixie/cronie's (day-of-month and day-of-week are ORed when neither field starts
/// with `*`, ANDed otherwise), with cronie's daemon-loop rule across daylight-saving changes: a job
/// whose minute or hour field starts with `*` is a *wildcard* job, any other is *fixed-time*. A fixed
/// time inside a skipped interval fires once, at the first instant after the gap; inside a repeated
/// interval it fires once, in the first pass. A wildcard job's times inside a skipped interval are
/// lost, and inside a repeated interval fire in both passes.
///
/// `@every DURATION` fires at every instant that is a whole multiple of the duration since
/// 1970-01-01T00:00:00Z, so its fire times are the same on every host and across restarts.
public struct CronExpression: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        /// Boxed (`indirect`): the expression is then 9 bytes, not 64, so copies share one spec and
        /// an `any FireSchedule` holds it without a box of its own. The daemon keeps two copies of
        /// every job's expression (its schedule files' and its scheduler's): 640 KB for 10,000 jobs.
        indirect case calendar(CalendarSpec)
        case every(seconds: Int64)
        case reboot
    }

    let kind: Kind

    init(kind: Kind) { self.kind = kind }

    /// Parses 5 fields, 6 with a leading seconds field, or an `@` form.
    ///
    /// - Parameters:
    ///   - text: the expression, fields separated by spaces or tabs.
    ///   - hashKey: the text `H` hashes (the job name), so that `H` gives the same value on every host.
    /// - Throws: `CronSyntaxError` naming the field, the text found, what is allowed, and the column;
    ///   also for an expression that can never fire, such as `0 0 30 2 *`.
    public init(_ text: String, hashKey: String = "") throws(CronSyntaxError) {
        self = try CronParser.parse(text, hashKey: hashKey)
    }

    /// `@reboot`: runs when the daemon starts, so it never has a next or previous fire time.
    public var isReboot: Bool { kind == .reboot }

    /// Whether the job is a *wildcard* job in cronie's sense (its minute or hour field starts with
    /// `*`), which decides how it behaves across daylight-saving changes. `@every` and `@reboot` are not.
    public var isWildcard: Bool {
        if case .calendar(let spec) = kind { spec.isWildcard } else { false }
    }

    /// For `@every`: the interval in seconds; nil for every other form.
    public var interval: Int64? {
        if case .every(let seconds) = kind { seconds } else { nil }
    }

    /// Whether fire times can fall within a minute: a seconds field, or `@every` not a whole number
    /// of minutes. Names derived from a slot (Kubernetes Job names) then need the slot's second.
    public var firesWithinMinutes: Bool {
        switch kind {
        case .calendar(let spec): spec.hasSecondsField
        case .every(let seconds): seconds % 60 != 0
        case .reboot: false
        }
    }

    /// The canonical text: numbers instead of names, `H` resolved, `@every` in `h`/`m`/`s`.
    /// Parsing it again (with any hash key) gives an equal expression.
    public var description: String { CronFormatter.format(self) }

    /// The first fire time strictly after `instant`, or nil if there is none (for `@reboot`, or
    /// beyond the year 9999).
    ///
    /// - Parameters:
    ///   - instant: the fire time must be later than this.
    ///   - zone: the zone whose wall clock the fields describe.
    public func nextFireDate(after instant: Date, in zone: TimeZone) -> Date? {
        guard let after = Self.seconds(instant, rounding: .down) else { return nil }
        return nextFireSecond(after: after, rules: rules(for: zone)).map(Self.date)
    }

    /// The last fire time strictly before `instant`, or nil if there is none.
    public func previousFireDate(before instant: Date, in zone: TimeZone) -> Date? {
        guard let before = Self.seconds(instant, rounding: .up) else { return nil }
        return previousFireSecond(before: before, rules: rules(for: zone)).map(Self.date)
    }

    /// Up to `count` consecutive fire times strictly after `instant`, ascending.
    public func nextFireDates(after instant: Date, in zone: TimeZone, count: Int) -> [Date] {
        guard count > 0, var cursor = Self.seconds(instant, rounding: .down) else { return [] }
        let rules = rules(for: zone)
        var dates: [Date] = []
        dates.reserveCapacity(count)
        while dates.count < count, let next = nextFireSecond(after: cursor, rules: rules) {
            dates.append(Self.date(next))
            cursor = next
        }
        return dates
    }

    /// Whether a whitespace-free token could be a cron field (or an `@` form).
    ///
    /// Schedule files use this to find where the schedule ends and the job name starts: the first
    /// token that cannot be a cron field is the name. A token could be a field when it is made only of
    /// digits, `* , - / ? # ( )`, and letter runs that are month or day names (`JAN`, `mon`), `L`,
    /// `W`, `LW`, `H`, or a day name followed by `L` (`FRIL`). Job names such as `mon`, `l` or `h`
    /// are therefore not allowed.
    public static func couldBeField(_ token: Substring) -> Bool {
        CronParser.couldBeField(token)
    }

    /// How many whitespace-separated tokens the `@` form starting with `token` takes, itself included:
    /// 2 for `@every` (its duration follows), 1 for the other `@` words, nil when `token` is not an `@` word.
    /// Schedule files use it with `couldBeField(_:)` to find where the schedule ends.
    public static func tokenCount(ofAtForm token: Substring) -> Int? {
        switch token.lowercased() {
        case "@every": 2
        case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@reboot": 1
        default: nil
        }
    }

    // MARK: - Instants as whole seconds

    /// Year 1 to year 9999; outside, there is no answer rather than an overflow.
    static let supportedSeconds: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    static func seconds(_ date: Date, rounding rule: FloatingPointRoundingRule) -> Int64? {
        let t = date.timeIntervalSince1970.rounded(rule)
        guard supportedSeconds.contains(t) else { return nil }
        return Int64(t)
    }

    private static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }

    private func rules(for zone: TimeZone) -> ZoneRules? {
        if case .calendar = kind { ZoneRules.of(zone) } else { nil }
    }
}
