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

    /// Issue #12: equality listed the settings by hand, so a setting added later would not count as a
    /// change on reload. It compares them whole now; each setting, changed alone, makes a changed job.
    /// (Every setting of today was on the hand-written list, so this guards the derived equality
    /// rather than failing before it.)
    @Test func aJobThatDiffersInAnyOneSettingIsAChangedJob() throws {
        let base = try job("report")
        var changed: [ScheduledJob] = []
        func vary(_ change: (inout ScheduledJob) -> Void) {
            var job = base
            change(&job)
            changed.append(job)
        }
        vary { $0.zone = TimeZone(identifier: "Asia/Tokyo")! }
        vary { $0.concurrency = .allow }
        vary { $0.startingDeadline = .seconds(60) }
        vary { $0.catchUp = .skip }
        vary { $0.isSuspended = true }
        vary { $0.timeout = .seconds(600) }
        vary { $0.retries = 2 }
        vary { $0.executor = .ecs }
        vary { $0.environment = ["A": "1"] }
        // One variant per setting: a setting added later must be added here too.
        let settings = base[dynamicMember: \ScheduledJob.Settings.self]
        #expect(changed.count == Mirror(reflecting: settings).children.count)
        for job in changed { #expect(job != base, "\(job) counts as unchanged") }
        #expect(try job("report") == base)
    }
}

