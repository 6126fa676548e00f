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
