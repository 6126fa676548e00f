/// Cuts a byte stream (a pod log as it arrives) into lines for ``JobOutputSink``.
///
/// With `timestamped` set, each line starts with the time the container wrote it and a space, as
/// the Kubernetes log endpoint sends it with `?timestamps=true`
/// (`2026-11-29T05:40:00.123456789Z hello`); the time is split off into the line's `timestamp`.
public struct OutputLineSplitter: Sendable {
    /// One complete line.
    public struct Line: Hashable, Sendable {
        /// The line's bytes, without the newline (and without the timestamp, if there was one).
        public var bytes: [UInt8]
        /// The container's time for the line, if the stream carried it.
        public var timestamp: String?

        public init(bytes: [UInt8], timestamp: String? = nil) {
            self.bytes = bytes
            self.timestamp = timestamp
        }
    }

    public let timestamped: Bool
    private var pending: [UInt8] = []
    /// `pending` has no newline before this index: a long line arriving in small pieces is scanned once.
    private var scanned = 0

    public init(timestamped: Bool) { self.timestamped = timestamped }

    /// Adds bytes as they arrive and returns the lines they complete.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [Line] {
        pending.append(contentsOf: bytes)
        var lines: [Line] = []
        var start = 0
        while let newline = pending[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(line(pending[start..<newline]))
            start = newline + 1
        }
        pending.removeFirst(start)
        scanned = pending.count
        return lines
    }

    /// The last line, when the stream ended without a newline after it.
    public mutating func finish() -> Line? {
        defer {
            pending = []
            scanned = 0
        }
        return pending.isEmpty ? nil : line(pending[...])
    }

    private func line(_ bytes: ArraySlice<UInt8>) -> Line {
        guard timestamped, let space = bytes.firstIndex(of: UInt8(ascii: " ")) else {
            return Line(bytes: Array(bytes), timestamp: nil)
        }
        return Line(bytes: Array(bytes[(space + 1)...]), timestamp: String(decoding: bytes[..<space], as: UTF8.self))
    }
}
