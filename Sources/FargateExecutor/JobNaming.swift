public import Foundation

/// The Kubernetes Job name of a slot: derived from the job and the scheduled time only, so that a
/// create retried after a crash meets 409 AlreadyExists instead of starting a second Job.
///
/// As the CronJob controller does (`name-<Unix minutes>`), the suffix is the slot as a number:
/// - Unix **minutes** for a schedule without a seconds field whose slot is on a whole minute;
/// - Unix **seconds** when the schedule has a seconds field (so `*/10 * * * * *` slots differ), or
///   when the slot is not on a whole minute (a manual trigger);
/// - Unix **milliseconds** when the slot has a fraction of a second (two manual triggers in one second).
///
/// The three never collide for one job: between the years 1973 and 20000 minutes have 8–9 digits,
/// seconds 10–11 and milliseconds 13–14. The result is a DNS-1123 label of at most 63 characters:
/// when `name-suffix` would be longer, the name is cut and a 6-hex-digit FNV-1a hash of the whole
/// job name is put before the suffix, so two long names sharing a prefix still differ.
public enum JobNaming {
    /// The longest name Kubernetes accepts for a label value, and the bound we keep Job names to.
    public static let maximumLength = 63

    /// The Job name of one slot of a job.
    /// - Parameters:
    ///   - job: the job's name (a DNS-1123 label).
    ///   - slot: the scheduled time.
    ///   - scheduleHasSeconds: whether the job's schedule has a seconds field.
    public static func jobName(for job: String, slot: Date, scheduleHasSeconds: Bool) -> String {
        let suffix = "-" + timeSuffix(for: slot, scheduleHasSeconds: scheduleHasSeconds)
        let whole = job + suffix
        if whole.utf8.count <= maximumLength { return whole }
        let hash = "-" + hexHash(job)
        var prefix = String(job.prefix(maximumLength - suffix.count - hash.count))
        // A cut may end on "-"; "--" is legal in a label but reads as a mistake, so drop it.
        while prefix.hasSuffix("-") { prefix.removeLast() }
        return prefix + hash + suffix
    }

    /// The slot as the number the name ends with.
    static func timeSuffix(for slot: Date, scheduleHasSeconds: Bool) -> String {
        let millis = Int64((slot.timeIntervalSince1970 * 1000).rounded())
        if millis % 1000 != 0 { return String(millis) }
        let seconds = millis / 1000
        if scheduleHasSeconds || seconds % 60 != 0 { return String(seconds) }
        return String(seconds / 60)
    }

    /// 24 bits of FNV-1a over the name, as 6 lowercase hex digits.
    static func hexHash(_ text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let folded = (hash >> 24) ^ (hash & 0xFF_FFFF)
        let hex = String(folded, radix: 16)
        return String(repeating: "0", count: 6 - hex.count) + hex
    }
}
