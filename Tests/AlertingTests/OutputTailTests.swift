import Alerting
import Testing

@Suite struct OutputTailTests {
    @Test func keepsTheLastLinesWithinTheLineBound() {
        var tail = OutputTail(maximumLines: 3, maximumBytes: 4096)
        for i in 1...10 { tail.append(Array("line \(i)".utf8)) }
        #expect(tail.text == ["line 8", "line 9", "line 10"])
        #expect(tail.totalLines == 10)
        #expect(tail.isTruncated)
        #expect(tail.bytes == Array("line 8\nline 9\nline 10\n".utf8))
    }

    @Test func keepsTheLastLinesWithinTheByteBound() {
        var tail = OutputTail(maximumLines: 100, maximumBytes: 2000)
        for i in 0..<5 { tail.append([UInt8](repeating: UInt8(ascii: "a") + UInt8(i), count: 800)) }
        // Two lines of 800 fit in 2000 bytes, three do not.
        #expect(tail.lines.count == 2)
        #expect(tail.lines.map { $0.bytes.first } == [UInt8(ascii: "d"), UInt8(ascii: "e")])
        #expect(tail.totalLines == 5)
    }

    /// Standard error outlives standard output in the tail: the one error line of a long report
    /// stays, even when it was read before the report's last lines.
    @Test func standardErrorIsKeptBeforeStandardOutput() {
        var tail = OutputTail(maximumLines: 5, maximumBytes: 4096)
        tail.append(Array("disk full".utf8), isStandardError: true)
        for i in 1...80 { tail.append(Array("line \(i)".utf8)) }
        #expect(tail.text == ["disk full", "line 77", "line 78", "line 79", "line 80"])
        for i in 1...7 { tail.append(Array("error \(i)".utf8), isStandardError: true) }
        #expect(tail.text == ["error 3", "error 4", "error 5", "error 6", "error 7"])
        #expect(tail.totalLines == 88)
    }

    @Test func cutsALongLineAndSaysSo() {
        var tail = OutputTail()
        tail.append([UInt8](repeating: UInt8(ascii: "x"), count: 5000))
        #expect(tail.lines[0].bytes.count == OutputTail.longestLine)
        #expect(tail.lines[0].wasCut)
        #expect(tail.text[0].hasSuffix(" [...]"))
        #expect(tail.text[0].utf8.count == OutputTail.longestLine + 6)
    }

    @Test func repairsBinaryAndControlCharactersForPeopleButKeepsTheBytesForHooks() {
        var tail = OutputTail()
        let line: [UInt8] = [0x41, 0xff, 0x1b, 0x5b, 0x09, 0x42, 0x0d]
        tail.append(line, isStandardError: true)
        #expect(tail.text == ["A\u{FFFD}\u{FFFD}[\tB\u{FFFD}"])
        #expect(tail.bytes == line + [0x0a])
        #expect(tail.lines[0].isStandardError)
    }

    /// Repairs grow a line (one byte becomes three), yet a shown line stays under SMTP's 998 bytes.
    @Test func aRepairedLineStaysWithinTheBound() {
        var tail = OutputTail()
        tail.append([UInt8](repeating: 0xff, count: 2000))
        #expect(tail.text[0].utf8.count <= OutputTail.longestLine + 6)
        #expect(tail.text[0].hasSuffix(" [...]"))
    }

    @Test func emptyOutput() {
        let tail = OutputTail()
        #expect(tail.text.isEmpty)
        #expect(tail.bytes.isEmpty)
        #expect(!tail.isTruncated)
    }
}
