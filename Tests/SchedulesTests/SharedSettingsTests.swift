import Foundation
@testable import Schedules
import RunModel
import Testing

/// The jobs below one block of settings share one settings instance (the daemon keeps every spec
/// loaded: 10,000 whole specs took 7.3 MB); sharing must never be seen from outside.
@Suite struct SharedSettingsTests {
    static let text = image + """
        CRON_CPU=1
        CRON_MEMORY=2Gi
        0 1 * * *  first   bin/a
        0 2 * * *  second  bin/b
        REGION=eu
        0 3 * * *  third   bin/c
        0 4 * * *  fourth  bin/d
        CRON_CPU=2
        0 5 * * *  fifth   bin/e

        """

    @Test func jobsUnderTheSameSettingsShareOneInstanceAndAChangeStartsANewOne() throws {
        let parsed = parse(Self.text)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let jobs = parsed.jobs
        try #require(jobs.count == 5)
        #expect(jobs[0].inherited === jobs[1].inherited)
        #expect(jobs[1].inherited !== jobs[2].inherited, "an environment assignment must start a new instance")
        #expect(jobs[2].inherited === jobs[3].inherited)
        #expect(jobs[3].inherited !== jobs[4].inherited, "a setting must start a new instance")
        #expect(jobs.map(\.cpu.text) == ["1", "1", "1", "1", "2"])
        #expect(jobs.map { $0.environment.map(\.name) } == [[], [], ["REGION"], ["REGION"], ["REGION"]])
    }

    @Test func changingOneJobsSettingLeavesTheJobsItSharedWithAlone() throws {
        var jobs = parse(Self.text).jobs
        try #require(jobs.count == 5)
        let before = jobs[1]
        jobs[0].concurrency = .allow
        jobs[0].environment = [EnvironmentVariable(name: "ONLY", value: "first")]
        #expect(jobs[0].concurrency == .allow && jobs[0].environment.map(\.name) == ["ONLY"])
        #expect(jobs[1].concurrency == .forbid && jobs[1].environment.isEmpty)
        #expect(jobs[1] == before)
        #expect(jobs[0] != parse(Self.text).jobs[0])
        // Equal content is equal, shared or not.
        jobs[0].concurrency = .forbid
        jobs[0].environment = []
        #expect(jobs[0] == parse(Self.text).jobs[0])
        #expect(jobs[0].hashValue == parse(Self.text).jobs[0].hashValue)
    }

    @Test func aParsedFilesJobsAreStoredExactlySized() {
        let text = image + (0..<1_000).map { "0 1 * * * job-\($0) true\n" }.joined()
        let jobs = parse(text).jobs
        #expect(jobs.count == 1_000)
        #expect(jobs.capacity < 1_010, "the parse's doubling would leave 1,024 slots; capacity \(jobs.capacity)")
    }
}
