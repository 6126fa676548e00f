public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `2027-01-01T00:00:00Z`: a time as ISO-8601 in UTC, to the second.
// NOTE: written out with gmtime_r because Foundation's ISO-8601 format style costs milliseconds on
// its first use on Linux, which `history` pays on every invocation.
public func utcTimestamp(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    guard gmtime_r(&seconds, &parts) != nil else { return "\(date.timeIntervalSince1970)" }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
        + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}
