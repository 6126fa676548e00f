/// A place in a schedule file, as compilers print it.
///
/// Lines and columns are 1-based; the column counts UTF-8 bytes from the start of the line (after a
/// UTF-8 byte order mark, which is not part of the first line), as swiftc and clang count them.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The file's path as it was given (for example `crontabs/reports.cron`).
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column, in UTF-8 bytes.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COL`.
    public var description: String { "\(file):\(line):\(column)" }

    /// Orders by file, then line, then column, the order a reader meets them in.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}
