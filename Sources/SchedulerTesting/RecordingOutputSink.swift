public import Scheduler
import Synchronization

/// An output sink that keeps every line, for tests.
public final class RecordingOutputSink: OutputSink {
    private let storage = Mutex<[OutputLine]>([])
    public init() {}
    public func write(_ line: OutputLine) { storage.withLock { $0.append(line) } }
    /// Every line written so far, in order.
    public var lines: [OutputLine] { storage.withLock { $0 } }
}
