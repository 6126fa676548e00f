import Foundation
import Testing

@testable import Schedules

@Test(arguments: [
    ("90s", 90), ("15m", 900), ("1h30m", 5_400), ("2d", 172_800), ("1d2h3m4s", 93_784), ("0", 0), ("0s", 0),
    ("366d", 31_622_400),
] as [(String, Int64)])
func durationsRead(_ text: String, _ seconds: Int64) {
    #expect(DurationSyntax.parse(Substring(text)) == .seconds(seconds))
}

@Test(arguments: ["", "10", "1.5h", "30m1h", "1h1h", "-5m", "367d", "5 m", "h", "1w", "99999999999999999999s"])
func durationsRefused(_ text: String) {
    #expect(DurationSyntax.parse(Substring(text)) == nil)
}

/// Printing and reading back gives the same duration (systemd's round-trip rule).
@Test(arguments: [0, 1, 59, 60, 61, 3_600, 5_400, 86_399, 86_400, 93_784] as [Int64])
func durationsRoundTrip(_ seconds: Int64) {
    let text = DurationSyntax.format(.seconds(seconds))
    #expect(DurationSyntax.parse(Substring(text)) == .seconds(seconds), "\(text)")
}

@Test(arguments: [
    ("0.5", 500), ("500m", 500), ("2", 2_000), ("1Gi", 1_073_741_824_000), ("512Mi", 536_870_912_000),
    ("1.5Gi", 1_610_612_736_000), ("1G", 1_000_000_000_000), ("2e3", 2_000_000), ("1k", 1_000_000),
    ("100n", 1),  // rounded up to a thousandth, as Kubernetes' MilliValue does
    ("0.0001", 1), (".5", 500),
] as [(String, Int64)])
func quantitiesRead(_ text: String, _ milli: Int64) {
    #expect(ResourceQuantity(Substring(text))?.milliValue == milli)
}

@Test(arguments: ["", "Gi", "1GB", "1gi", "-1", "1.5.5", "500x", "1e", "1e99", "1Ei1", "one", "9999999999Ei"])
func quantitiesRefused(_ text: String) {
    #expect(ResourceQuantity(Substring(text)) == nil)
}

@Test func quantitiesCompareByValue() {
    #expect(ResourceQuantity("0.5") == ResourceQuantity("500m"))
    #expect(ResourceQuantity("1Gi")?.value == 1 << 30)
}

/// The billed size for a request, after AWS adds 256 MiB (the docs' own example is the second row).
@Test(arguments: [
    ("250m", "256Mi", "0.25 vCPU / 0.5 GB"),
    ("1", "8Gi", "2 vCPU / 9 GB"),
    ("250m", "2Gi", "0.5 vCPU / 3 GB"),
    ("0.5", "1Gi", "0.5 vCPU / 2 GB"),
    ("1", "1Gi", "1 vCPU / 2 GB"),
    ("3", "4Gi", "4 vCPU / 8 GB"),
    ("4", "30Gi", "8 vCPU / 32 GB"),
    ("8", "59Gi", "8 vCPU / 60 GB"),
    ("16", "119Gi", "16 vCPU / 120 GB"),
    ("100m", "100Mi", "0.25 vCPU / 0.5 GB"),
])
func fargateSizes(_ cpu: String, _ memory: String, _ billed: String) {
    let size = FargateSize.billed(cpu: ResourceQuantity(Substring(cpu))!, memory: ResourceQuantity(Substring(memory))!)
    #expect(size?.description == billed)
}

@Test func fargateTableHasEveryPair() {
    // 3 + 4 + 7 + 13 + 23 + 12 + 12 pairs, from AWS's table.
    #expect(FargateSize.all.count == 74)
    #expect(FargateSize.all == FargateSize.all.sorted())
}

@Test func editDistanceFindsTypos() {
    #expect(editDistance(Array("CRON_TIMOUT".utf8), Array("CRON_TIMEOUT".utf8)) == 1)
    #expect(Setting.suggestion(for: "CRON_IMAGES") == "CRON_IMAGE")
    #expect(Setting.suggestion(for: "CRON_XYZZY") == nil)
}
