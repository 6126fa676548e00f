import Foundation
import Testing

@testable import FargateExecutor

struct JobNamingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var job: String
        var slot: String
        var seconds: Bool
        var expected: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        // 2026-11-29T06:30:00Z is Unix 1_795_933_800 s = 29_932_230 min, as the CronJob controller names it.
        Case(label: "minutes, like the CronJob controller", job: "nightly-report", slot: "2026-11-29T06:30:00Z",
             seconds: false, expected: "nightly-report-29932230"),
        Case(label: "seconds field: seconds", job: "tick", slot: "2026-11-29T06:30:00Z", seconds: true,
             expected: "tick-1795933800"),
        Case(label: "seconds field, off the minute", job: "tick", slot: "2026-11-29T06:30:10Z", seconds: true,
             expected: "tick-1795933810"),
        Case(label: "manual trigger off the minute: seconds", job: "nightly-report", slot: "2026-11-29T06:30:07Z",
             seconds: false, expected: "nightly-report-1795933807"),
        Case(label: "fraction of a second: milliseconds", job: "nightly-report", slot: "2026-11-29T06:30:07.250Z",
             seconds: false, expected: "nightly-report-1795933807250"),
    ])
    func namesFollowTheSlot(_ c: Case) {
        #expect(JobNaming.jobName(for: c.job, slot: instant(c.slot), scheduleHasSeconds: c.seconds) == c.expected)
    }

    @Test func longNamesAreCutToALabelWithAHashOfTheWholeName() {
        let slot = instant("2026-11-29T06:30:00Z")
        let a = String(repeating: "a", count: 60) + "-one"
        let b = String(repeating: "a", count: 60) + "-two"
        let nameA = JobNaming.jobName(for: a, slot: slot, scheduleHasSeconds: true)
        let nameB = JobNaming.jobName(for: b, slot: slot, scheduleHasSeconds: true)
        #expect(nameA.count <= 63 && nameB.count <= 63)
        #expect(nameA != nameB)
        #expect(nameA.hasSuffix("-1795933800"))
        #expect(isDNS1123Label(nameA) && isDNS1123Label(nameB))
        // Deterministic: the same job and slot always give the same name (a retried create meets 409).
        #expect(nameA == JobNaming.jobName(for: a, slot: slot, scheduleHasSeconds: true))
    }

    @Test func aCutEndingInADashDropsIt() {
        // 63 - 11 (seconds suffix) - 7 (hash) = 45 characters kept: 44 "b" then "-", cut right after the dash.
        let job = String(repeating: "b", count: 44) + "-" + String(repeating: "c", count: 20)
        let name = JobNaming.jobName(for: job, slot: instant("2026-11-29T06:30:00Z"), scheduleHasSeconds: true)
        #expect(!name.contains("--"))
        #expect(name.hasPrefix(String(repeating: "b", count: 44) + "-" + JobNaming.hexHash(job)))
        #expect(isDNS1123Label(name))
    }

    @Test func everySlotOfADayHasItsOwnName() {
        var names = Set<String>()
        let start = instant("2026-11-29T00:00:00Z")
        for minute in 0..<1440 {
            names.insert(JobNaming.jobName(for: "j", slot: start.addingTimeInterval(Double(minute * 60)), scheduleHasSeconds: false))
        }
        #expect(names.count == 1440)
    }

    @Test(arguments: ["2026-11-29T06:30:00Z", "2026-11-29T06:30:07.250Z", "1999-12-31T23:59:59Z"])
    func slotLabelsRoundTrip(_ text: String) throws {
        let slot = instant(text)
        let label = OwnershipLabels.labelValue(of: slot)
        #expect(label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." })
        #expect(label.count <= 63)
        #expect(OwnershipLabels.slot(fromLabel: label) == slot)
        #expect(instant(OwnershipLabels.annotationValue(of: slot)) == slot)
    }

    @Test func slotLabelFormat() {
        #expect(OwnershipLabels.labelValue(of: instant("2026-11-29T06:30:00Z")) == "20261129T063000Z")
        #expect(OwnershipLabels.annotationValue(of: instant("2026-11-29T06:30:00Z")) == "2026-11-29T06:30:00Z")
        #expect(OwnershipLabels.slot(fromLabel: "20261329T063000Z") == nil)
        #expect(OwnershipLabels.slot(fromLabel: "nonsense") == nil)
    }

    func isDNS1123Label(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, text.count <= 63 else { return false }
        let allowed = text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        return allowed && first.isLetter && (last.isLetter || last.isNumber)
    }
}
