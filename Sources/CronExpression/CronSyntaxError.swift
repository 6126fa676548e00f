/// One field of a cron expression, in the order they are written (the seconds field is optional).
public enum CronField: String, Hashable, Sendable, CaseIterable {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    /// The field's name as the error messages spell it: `day-of-month`, not `dayOfMonth`.
    public var displayName: String {
        switch self {
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// The values the field accepts as written (day-of-week accepts 7 for Sunday).
    var writtenRange: ClosedRange<Int> {
        switch self {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// The values the field holds once parsed (Sunday is always 0).
    var storedRange: ClosedRange<Int> { self == .dayOfWeek ? 0...6 : writtenRange }

    /// The field's position in croniter's hash formula, so that `H` gives the same value as croniter's `hash_id`.
    var hashIndex: Int {
        switch self {
        case .minute: 0
        case .hour: 1
        case .dayOfMonth: 2
        case .month: 3
        case .dayOfWeek: 4
        case .second: 5
        }
    }
}

/// Why an expression was rejected, and where.
///
/// The message says what was found, what is allowed, and the column, as in
/// `minute value 61 at column 1 is out of range 0-59`.
public struct CronSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field the error is about, or nil when it is about the whole expression (field count, `@` forms).
    public var field: CronField?
    /// 1-based column, counted in UTF-8 bytes, within the expression text.
    public var column: Int
    /// A sentence naming the field, the text found, what is allowed, and the column.
    public var message: String

    /// Creates an error; `message` should already mention the column.
    public init(field: CronField?, column: Int, message: String) {
        self.field = field
        self.column = column
        self.message = message
    }

    public var description: String { message }
}
