public import Foundation
public import RunModel

/// One line of a run's output.
public struct OutputLine: Hashable, Sendable {
    /// Which of the command's streams the line came from.
    public enum Stream: String, Hashable, Sendable, Codable { case stdout, stderr }
    public var slot: Slot
    public var run: RunID
    public var stream: Stream
    /// The line's bytes, without the newline; not necessarily UTF-8.
    public var bytes: [UInt8]
    public init(slot: Slot, run: RunID, stream: Stream, bytes: [UInt8]) {
        self.slot = slot
        self.run = run
        self.stream = stream
        self.bytes = bytes
    }
    /// The line as text, with invalid UTF-8 repaired.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Where executors send their runs' output (the journal, under systemd).
public protocol OutputSink: Sendable {
    /// Writes one line; must not block for long.
    func write(_ line: OutputLine)

    /// Hears a line the executor wrote to the journal itself, with the fields only it knows (the
    /// pod and container, the ECS task): nothing is written again, but whatever keeps a run's
    /// output beyond the journal (the tail a failure mail and hook get) keeps this line too.
    /// Must not block for long.
    func noteJournaled(_ line: OutputLine)
}

extension OutputSink {
    /// The journal has the line already; a sink that keeps nothing else has nothing to do.
    public func noteJournaled(_ line: OutputLine) {}
}
