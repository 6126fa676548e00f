public import Foundation

/// The labels and annotations by which fargate-cron recognises its own objects in the cluster.
///
/// Every Job (and, through its pod template, every pod) it creates carries them, so ownership, the
/// job and the slot are recoverable from the cluster alone, after a crash or with a lost ledger.
public enum OwnershipLabels {
    /// `app.kubernetes.io/managed-by`, the well-known label.
    public static let managedBy = "app.kubernetes.io/managed-by"
    /// The value of ``managedBy`` on our objects.
    public static let managedByValue = "fargate-cron"
    /// `fargate-cron/job`: the job's name.
    public static let job = "fargate-cron/job"
    /// `fargate-cron/scheduled-at`: the slot, as a label value (`20261129T063000Z`, basic ISO 8601,
    /// because label values may not hold `:`), and as an annotation in RFC 3339.
    public static let scheduledAt = "fargate-cron/scheduled-at"
    /// `fargate-cron/run-id` (annotation): the run store's id of the run.
    public static let runID = "fargate-cron/run-id"
    /// `fargate-cron/trigger` (annotation): scheduled, catchUp, manual, reboot.
    public static let trigger = "fargate-cron/trigger"
    /// The annotation EKS Fargate sets on a pod: the size it is billed as (`0.25vCPU 0.5GB`).
    public static let capacityProvisioned = "CapacityProvisioned"

    /// The label selector of everything fargate-cron owns.
    public static let ownedSelector = "\(managedBy)=\(managedByValue)"

    /// The label selector of one job's objects.
    public static func selector(forJob name: String) -> String { "\(ownedSelector),\(job)=\(name)" }

    /// The slot as a label value: `YYYYMMDDTHHMMSSZ` in UTC, plus `.mmm` milliseconds when the slot
    /// has a fraction (a manual trigger), e.g. `20261129T063000Z`.
    public static func labelValue(of slot: Date) -> String {
        let millis = Int64((slot.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        var text = compactUTC(seconds)
        let fraction = millis - seconds * 1000
        if fraction != 0 { text.insert(contentsOf: "." + String(String(fraction + 1000).dropFirst()), at: text.index(before: text.endIndex)) }
        return text
    }

    /// The slot as an annotation value: RFC 3339 in UTC (`2026-11-29T06:30:00Z`, with `.mmm` if needed).
    public static func annotationValue(of slot: Date) -> String {
        let label = labelValue(of: slot)
        let c = Array(label)
        var text = "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8]))T\(String(c[9..<11])):"
        text += "\(String(c[11..<13])):\(String(c[13...]))"
        return text
    }

    /// Reads a slot back from ``labelValue(of:)``; `nil` for anything else.
    public static func slot(fromLabel text: String) -> Date? {
        let c = Array(text.utf8)
        guard c.count >= 16, c[8] == UInt8(ascii: "T"), c.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for i in range {
                guard (48...57).contains(c[i]) else { return nil }
                value = value * 10 + Int64(c[i] - 48)
            }
            return value
        }
        guard let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8), let h = number(9..<11),
            let mi = number(11..<13), let s = number(13..<15), (1...12).contains(mo), (1...31).contains(d),
            h < 24, mi < 60, s < 60
        else { return nil }
        var millis: Int64 = 0
        if c.count == 20 {
            guard c[15] == UInt8(ascii: "."), let m = number(16..<19) else { return nil }
            millis = m
        } else if c.count != 16 {
            return nil
        }
        let days = daysFromCivil(year: y, month: mo, day: d)
        let seconds: Int64 = days * 86400 + h * 3600 + mi * 60 + s
        return Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
    }

    private static func compactUTC(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let second = seconds - days * 86400
        let (y, m, d) = civilDate(fromDays: days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(String(y + 10000).dropFirst())
        return "\(year)\(two(m))\(two(d))T\(two(second / 3600))\(two(second / 60 % 60))\(two(second % 60))Z"
    }

    // Howard Hinnant's days_from_civil and civil_from_days (proleptic Gregorian, UTC).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
    }

    private static func civilDate(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension OwnershipLabels {
    /// An instant as RFC 3339 with microseconds, as the pod log's timestamps are written.
    static func rfc3339(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
