import HTTP
public import Foundation
import Kubernetes

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
    /// `fargate-cron/started-by` (annotation): the host whose daemon created the Job, so that with
    /// several hosts a leader adopting it records who started it.
    public static let startedBy = "fargate-cron/started-by"
    /// `fargate-cron/trigger` (annotation): scheduled, catchUp, manual, reboot.
    public static let trigger = "fargate-cron/trigger"
    /// The annotation EKS Fargate sets on a pod: the size it is billed as (`0.25vCPU 0.5GB`).
    public static let capacityProvisioned = "CapacityProvisioned"

    /// The label selector of everything fargate-cron owns.
    public static let ownedSelector = "\(managedBy)=\(managedByValue)"

    /// The label selector of one job's objects.
    public static func selector(forJob name: String) -> String { "\(ownedSelector),\(job)=\(name)" }

    /// The slot as a label value: `YYYYMMDDTHHMMSSZ` in UTC, plus `.mmm` milliseconds when the slot
    /// has a fraction (a manual trigger), e.g. `20261129T063000Z`: the annotation without its `-` and `:`.
    public static func labelValue(of slot: Date) -> String {
        annotationValue(of: slot).filter { $0 != "-" && $0 != ":" }
    }

    /// The slot as an annotation value: RFC 3339 in UTC (`2026-11-29T06:30:00Z`, with `.mmm` if needed).
    public static func annotationValue(of slot: Date) -> String {
        let millis = Int64((slot.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = millis - seconds * 1000
        let whole = RFC3339.formatSeconds(Date(timeIntervalSince1970: Double(seconds)))
        guard fraction != 0 else { return whole }
        return whole.dropLast() + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    /// Reads a slot back from ``labelValue(of:)``; `nil` for anything else.
    public static func slot(fromLabel text: String) -> Date? {
        let c = Array(text)
        guard c.count == 16 || c.count == 20, c[8] == "T", c.last == "Z",
            c.indices.allSatisfy({ [8, 15, c.count - 1].contains($0) || c[$0].isASCII && c[$0].isNumber }),
            c.count == 16 || c[15] == "."
        else { return nil }
        let wholeSeconds = "\(String(c[0..<4]))-\(String(c[4..<6]))-\(String(c[6..<8]))T"
            + "\(String(c[9..<11])):\(String(c[11..<13])):\(String(c[13..<15]))Z"
        let millis = c.count == 20 ? Int(String(c[16..<19])) : 0
        guard let whole = RFC3339.parse(wholeSeconds), let millis else { return nil }
        return Date(timeIntervalSince1970: whole.timeIntervalSince1970 + Double(millis) / 1000)
    }
}

extension OwnershipLabels {
    /// An instant as RFC 3339 with microseconds, as the pod log's timestamps are written.
    static func rfc3339(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
