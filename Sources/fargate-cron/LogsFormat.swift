import Foundation
import Systemd

/// How `fargate-cron logs` prints one journal entry.
enum LogsFormat {
    /// `2026-11-29T05:40:00.123456Z RUN STREAM: MESSAGE\n`; STREAM is `stdout`/`stderr` for output
    /// and `event` for run events. The message's bytes are printed as they are.
    static func text(_ record: JournalRecord) -> [UInt8] {
        var line = Array(timestamp(record.realtimeMicroseconds).utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: (record.bytes(JournalField.cronRunID) ?? Array("-".utf8)))
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: record.bytes(JournalField.cronStream) ?? Array("event".utf8))
        line.append(contentsOf: ": ".utf8)
        line.append(contentsOf: record.bytes(JournalField.message) ?? [])
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// One JSON object and a newline, in the shape of `journalctl -o json`: every field, plus
    /// `__REALTIME_TIMESTAMP` and `__CURSOR`; text values as strings, other bytes as arrays of numbers.
    static func json(_ record: JournalRecord) -> [UInt8] {
        var out: [UInt8] = Array("{\"__CURSOR\":".utf8)
        appendString(Array(record.cursor.utf8), to: &out)
        out.append(contentsOf: ",\"__REALTIME_TIMESTAMP\":\"\(record.realtimeMicroseconds)\"".utf8)
        for (name, value) in record.fields {
            out.append(UInt8(ascii: ","))
            appendString(Array(name.utf8), to: &out)
            out.append(UInt8(ascii: ":"))
            if String(validating: value, as: UTF8.self) != nil {
                appendString(value, to: &out)
            } else {
                out.append(contentsOf: "[\(value.map(String.init).joined(separator: ","))]".utf8)
            }
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    /// `bytes` (valid UTF-8) as a JSON string.
    private static func appendString(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Microseconds since 1970 as `2026-11-29T05:40:00.123456Z`.
    static func timestamp(_ microseconds: UInt64) -> String {
        let seconds = Date(timeIntervalSince1970: Double(microseconds / 1_000_000))
        let base = seconds.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
        let fraction = String(microseconds % 1_000_000)
        return base.dropLast() + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
