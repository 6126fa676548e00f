import CronExpression
import Foundation
import RunModel
import Scheduler
import Testing

/// `ScheduledJob`'s settings live in one shared instance per group of jobs (`sharingSettings(with:)`);
/// sharing must never change what a job says.
@Suite struct ScheduledJobSettingsTests {
    static let utc = TimeZone(identifier: "UTC")!

    func job(_ name: String, concurrency: ConcurrencyPolicy = .forbid, environment: [String: String] = [:]) throws -> ScheduledJob {
        ScheduledJob(
            name: name, schedule: try CronExpression("0 3 * * *"), zone: Self.utc, concurrency: concurrency,
            command: "true", environment: environment)
    }

    @Test func sharingKeepsEachJobsOwnSettings() throws {
        let first = try job("first", environment: ["A": "1"])
        let same = try job("same", environment: ["A": "1"]).sharingSettings(with: first)
        let other = try job("other", concurrency: .allow).sharingSettings(with: first)
        #expect(same.environment == ["A": "1"] && same.concurrency == .forbid && same.name == "same")
        #expect(other.concurrency == .allow && other.environment.isEmpty, "different settings must not be taken over")
    }

    @Test func changingASharedSettingChangesOneJobOnly() throws {
        let first = try job("first")
        var second = try job("second").sharingSettings(with: first)
        second.concurrency = .replace
        second.environment["B"] = "2"
        #expect(second.concurrency == .replace && second.environment == ["B": "2"])
        #expect(first.concurrency == .forbid && first.environment.isEmpty)
    }
}
