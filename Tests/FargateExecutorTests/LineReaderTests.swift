import Foundation
import Kubernetes
import Testing

@testable import FargateExecutor

/// What a resumed log stream writes: the server replays the whole second `sinceTime` names, and only
/// the lines not written before go out.
struct LineReaderTests {
    func line(_ stamp: String, _ text: String) -> LogLine { LogLine(timestamp: instant(stamp), text: text) }

    @Test func aResumedStreamWritesOnlyWhatItHadNotWritten() {
        var reader = LineReader()
        var written: [String] = []
        let write: (String, Date?) -> Void = { text, _ in written.append(text) }
        for l in [line("2026-11-29T06:30:00.100Z", "a"), line("2026-11-29T06:30:01.200Z", "b"), line("2026-11-29T06:30:01.700Z", "c")] {
            reader.accept(l, write: write)
        }
        #expect(reader.since == instant("2026-11-29T06:30:01Z"))
        reader.resume()
        // The replay of 06:30:01, then a line of the same second not seen before, then a later one.
        for l in [line("2026-11-29T06:30:01.200Z", "b"), line("2026-11-29T06:30:01.700Z", "c"),
                  line("2026-11-29T06:30:01.900Z", "d"), line("2026-11-29T06:30:02.000Z", "e")] {
            reader.accept(l, write: write)
        }
        #expect(written == ["a", "b", "c", "d", "e"])
        #expect(reader.written == 5)
    }

    @Test func identicalTextAtAnotherInstantIsANewLine() {
        var reader = LineReader()
        var written: [String] = []
        let write: (String, Date?) -> Void = { text, _ in written.append(text) }
        reader.accept(line("2026-11-29T06:30:01.200Z", "tick"), write: write)
        reader.resume()
        reader.accept(line("2026-11-29T06:30:01.200Z", "tick"), write: write)  // replayed
        reader.accept(line("2026-11-29T06:30:01.400Z", "tick"), write: write)  // written again by the job
        #expect(written == ["tick", "tick"])
    }

    @Test func withoutAResumeNothingIsDropped() {
        var reader = LineReader()
        var written: [String] = []
        let write: (String, Date?) -> Void = { text, _ in written.append(text) }
        reader.accept(line("2026-11-29T06:30:01.200Z", "same"), write: write)
        reader.accept(line("2026-11-29T06:30:01.200Z", "same"), write: write)  // the job wrote it twice in one instant
        #expect(written == ["same", "same"])
    }
}
