import CronExpression

/// The name of a job: a DNS-1123 label that starts with a letter and is at most 52 characters.
///
/// The name becomes part of Kubernetes object names and journal fields. 52 is the limit that
/// Kubernetes itself puts on a CronJob's name, for the same reason: the Job created for one run is
/// named `<job>-<slot>`, where the slot is the scheduled time in seconds since 1970 (10 digits until
/// the year 2286), so `52 + 1 + 10 = 63`, the longest label Kubernetes allows.
///
/// A name may not be a word that is also a cron value (`mon`, `jan`, `l`, `w`, `h`, …), because a
/// job line is split at the first token that cannot be a cron field.
///
/// Past the schedule files a job's name travels as its text (`Slot.job`); this type is where the
/// rules about that text live, ``isDNSLabel(_:)`` included, which the ledger checks before it
/// records a slot.
public struct JobName: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The longest name accepted; see the type's documentation for why it is 52.
    public static let maximumLength = 52

    /// The name as written, already validated.
    public let rawValue: String

    /// Validates `text` as a job name.
    /// - Throws: `JobName.Problem` saying what is wrong with it.
    public init(_ text: String) throws(Problem) {
        if let problem = JobName.problem(with: Substring(text)) { throw problem }
        self.rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: JobName, rhs: JobName) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Why a text is not a job name.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(length: Int)
        case doesNotStartWithLetter(Character)
        case uppercase(Character)
        case invalidCharacter(Character)
        case endsWithHyphen
        /// The name is also a value a cron field accepts, so a job line could not be split at it.
        case cronValue

        public var description: String {
            switch self {
            case .empty: "it is empty"
            case .tooLong(let length):
                "it is \(length) characters long; the limit is \(JobName.maximumLength) (63 for a Kubernetes name, less 11 for the run's slot)"
            case .doesNotStartWithLetter(let c): "it must start with a letter a-z, not '\(c)'"
            case .uppercase(let c): "it must be lowercase ('\(c)' is not); job names are DNS-1123 labels"
            case .invalidCharacter(let c): "'\(c)' is not allowed; use lowercase letters, digits and '-'"
            case .endsWithHyphen: "it must not end with '-'"
            case .cronValue: "it is also a cron value, so the line could not be split into schedule and name; pick another name"
            }
        }
    }

    /// What is wrong with `text` as a job name, or `nil` if nothing is (the schedule parser asks
    /// without building a name, and uses `cronValue` to explain a line it cannot split).
    package static func problem(with text: Substring) -> Problem? {
        // The common case, a valid name, is decided on bytes; the characters are only for messages.
        let bytes = text.utf8
        func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if let first = bytes.first, isLower(first), bytes.count <= maximumLength, bytes.last != UInt8(ascii: "-"),
            bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") })
        {
            return CronExpression.couldBeField(text) ? .cronValue : nil
        }
        guard let first = text.first else { return .empty }
        if text.utf8.count > maximumLength { return .tooLong(length: text.count) }
        if !("a"..."z").contains(first) {
            if ("A"..."Z").contains(first) { return .uppercase(first) }
            return .doesNotStartWithLetter(first)
        }
        for c in text {
            if ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "-" { continue }
            if ("A"..."Z").contains(c) { return .uppercase(c) }
            return .invalidCharacter(c)
        }
        if text.last == "-" { return .endsWithHyphen }
        if CronExpression.couldBeField(text) { return .cronValue }
        return nil
    }

    /// Whether `name` is a DNS-1123 label that starts with a letter: 1 to 63 lowercase letters, digits
    /// and `-`, ending with a letter or digit, as Kubernetes object names need. Every ``JobName`` is
    /// one; the ledger refuses to record a slot of any other name (its schema holds 63 at most).
    public static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard isLower(first), isLower(last) || isDigit(last) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }
}
