import Foundation

/// A process as a restarted daemon can recognise it: its id and its start time (in clock ticks
/// since boot, from `/proc/PID/stat`), so a recycled pid is never mistaken for the run's process.
struct ProcessIdentity: Hashable, Sendable, CustomStringConvertible {
    var pid: Int32
    var startTime: UInt64

    /// The identity of a live process, or `nil` if there is no such process.
    static func of(_ pid: Int32) -> ProcessIdentity? {
        guard let startTime = startTime(of: pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: startTime)
    }

    /// As stored in a run handle: `pid=1234 start=5678`.
    var description: String { "pid=\(pid) start=\(startTime)" }

    init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// Reads a run handle's reference back.
    init?(reference: String) {
        let fields = Dictionary(
            reference.split(separator: " ").compactMap { field -> (String, String)? in
                let parts = field.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
        guard let pid = fields["pid"].flatMap({ Int32($0) }), let start = fields["start"].flatMap({ UInt64($0) }) else {
            return nil
        }
        self.init(pid: pid, startTime: start)
    }

    /// Whether this very process is still there (not ended, its pid not reused), and not a zombie.
    var isAlive: Bool {
        guard let stat = Self.stat(of: pid), let fields = Self.fieldsAfterName(stat) else { return false }
        return fields.count > 19 && UInt64(fields[19]) == startTime && fields[0] != "Z" && fields[0] != "X"
    }

    private static func startTime(of pid: Int32) -> UInt64? {
        // Field 22 of /proc/PID/stat is the start time; the name (field 2) may hold spaces and
        // parentheses, so fields are counted after its last ')'. Field 3 is then index 0.
        guard let stat = stat(of: pid), let fields = fieldsAfterName(stat), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    private static func stat(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func fieldsAfterName(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
