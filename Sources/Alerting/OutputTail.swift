/// The last lines of a run's output, bounded in lines and in bytes, for a failure mail and a
/// failure hook's standard input: a job that prints a gigabyte must not make a gigabyte mail.
///
/// When lines must go, standard output lines go before standard error lines (see `append`).
/// Lines are kept as bytes, as the job printed them (not necessarily UTF-8); ``text`` repairs them
/// for a human. The bounds are somewhat arbitrary: 50 lines is what a person reads in a mail, and
/// 16 KiB keeps the message well inside every MTA's size limit.
public struct OutputTail: Hashable, Sendable {
    /// One kept line.
    public struct Line: Hashable, Sendable {
        /// `true` for standard error.
        public var isStandardError: Bool
        /// The line's bytes, without its newline, cut at ``OutputTail/longestLine``.
        public var bytes: [UInt8]
        /// Whether the line was longer and was cut.
        public var wasCut: Bool
    }

    /// The most lines kept.
    public let maximumLines: Int
    /// The most bytes kept, over all kept lines.
    public let maximumBytes: Int
    /// Where a line is cut: 900 bytes keeps a mail's lines under SMTP's 998 (RFC 5321, 4.5.3.1.6).
    public static let longestLine = 900

    /// The kept lines, oldest first.
    public private(set) var lines: [Line] = []
    /// How many lines the output had in all, kept or not.
    public private(set) var totalLines = 0
    private var keptBytes = 0

    /// An empty tail.
    /// - Parameters:
    ///   - maximumLines: the most lines kept (at least 1).
    ///   - maximumBytes: the most bytes kept (at least ``longestLine``).
    public init(maximumLines: Int = 50, maximumBytes: Int = 16 * 1024) {
        precondition(maximumLines >= 1 && maximumBytes >= Self.longestLine, "an output tail keeps at least one whole line")
        self.maximumLines = maximumLines
        self.maximumBytes = maximumBytes
    }

    /// Adds a line, dropping the oldest ones beyond the bounds.
    public mutating func append(_ bytes: [UInt8], isStandardError: Bool = false) {
        let cut = bytes.count > Self.longestLine
        let line = Line(isStandardError: isStandardError, bytes: cut ? Array(bytes.prefix(Self.longestLine)) : bytes, wasCut: cut)
        totalLines += 1
        lines.append(line)
        keptBytes += line.bytes.count
        // Standard error goes first to the kept lines: it holds the error a person is mailed for,
        // and it arrives on a pipe of its own, often read before the last of standard output (a
        // job's 80 report lines would otherwise push out its one `disk full`). The oldest standard
        // output line goes first; standard error lines go only when nothing else is left. The
        // array holds at most `maximumLines`: removing from it is cheap enough.
        while lines.count > maximumLines || keptBytes > maximumBytes {
            let index = lines.firstIndex { !$0.isStandardError } ?? 0
            keptBytes -= lines[index].bytes.count
            lines.remove(at: index)
        }
    }

    /// Whether lines were dropped from the front.
    public var isTruncated: Bool { totalLines > lines.count }

    /// The kept lines as bytes, each followed by a newline: what a failure hook reads on its
    /// standard input.
    public var bytes: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(keptBytes + lines.count)
        for line in lines {
            all += line.bytes
            all.append(UInt8(ascii: "\n"))
        }
        return all
    }

    /// The kept lines as text a person reads: invalid UTF-8 repaired, control characters other than
    /// tab shown as `\u{FFFD}`, each line at most ``longestLine`` bytes of UTF-8 (repairs can grow a
    /// line) and a cut line ending in ` [...]`.
    public var text: [String] {
        lines.map { line in
            var shown = String.UnicodeScalarView()
            var length = 0
            var cut = line.wasCut
            for scalar in String(decoding: line.bytes, as: UTF8.self).unicodeScalars {
                let visible: Unicode.Scalar = (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7f ? "\u{FFFD}" : scalar
                let size = UTF8.width(visible)
                guard length + size <= Self.longestLine else {
                    cut = true
                    break
                }
                shown.append(visible)
                length += size
            }
            return cut ? String(shown) + " [...]" : String(shown)
        }
    }
}
