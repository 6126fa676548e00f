import Foundation
import RunModel
import Schedules
import Testing

private func file(_ path: String, _ text: String) -> ScheduleFile {
    ScheduleFile(path: path, contents: Data(text.utf8))
}

private func reload(_ running: ScheduleSet, _ files: [ScheduleFile]) -> ScheduleReload.Result {
    ScheduleReload.reload(running: running, files: files, parser: parser())
}

private func names(_ jobs: [JobSpec]) -> [String] { jobs.map(\.name.rawValue) }

private let reports = file("a.cron", image + "30 3 * * * nightly bin/report\n@hourly warm bin/warm\n")

@Test func firstLoadAddsEveryJob() {
    let result = reload(ScheduleSet(), [reports, file("b.cron", image + "@daily other run\n")])
    #expect(result.isValid)
    #expect(names(result.diff.added) == ["nightly", "other", "warm"])
    #expect(result.diff.removed.isEmpty && result.diff.changed.isEmpty)
    #expect(names(result.schedules.jobs) == ["nightly", "warm", "other"])
}

@Test func reloadingTheSameFilesChangesNothing() {
    let first = reload(ScheduleSet(), [reports])
    let second = reload(first.schedules, [reports])
    #expect(second.diff.isEmpty)
    #expect(second.schedules == first.schedules)
}

@Test func validToInvalidKeepsTheLastValidVersion() {
    let first = reload(ScheduleSet(), [reports])
    let broken = file("a.cron", image + "30 3 * * * nightly bin/report\n@hourly warm bin/warm\nCRON_TZ=Nowhere\n")
    let second = reload(first.schedules, [broken])
    #expect(!second.isValid)
    #expect(second.diagnostics.map(\.description) == [
        "a.cron:4:9: error: CRON_TZ 'Nowhere' is not valid; expected an IANA time zone name such as Asia/Tokyo or UTC"
    ])
    #expect(second.keptFiles == ["a.cron"] && second.rejectedFiles.isEmpty)
    #expect(second.diff.isEmpty)
    #expect(second.schedules == first.schedules)
}

@Test func invalidToValidTakesTheNewVersion() {
    let first = reload(ScheduleSet(), [reports])
    let broken = reload(first.schedules, [file("a.cron", "CRON_CPU=lots\n" + image + "30 3 * * * nightly x\n")])
    #expect(broken.keptFiles == ["a.cron"])
    let fixed = file("a.cron", "CRON_CPU=1\n" + image + "30 4 * * * nightly bin/report\n@hourly warm bin/warm\n")
    let third = reload(broken.schedules, [fixed])
    #expect(third.isValid && third.keptFiles.isEmpty)
    #expect(third.diff.added.isEmpty && third.diff.removed.isEmpty)
    #expect(third.diff.changed.map { "\($0.new.name): \($0.fields.map(\.rawValue))" } == [
        "nightly: [\"schedule\", \"cpu\"]", "warm: [\"cpu\"]",
    ])
}

@Test func aFileThatWasNeverValidIsAddedOnceFixed() {
    let first = reload(ScheduleSet(), [file("b.cron", image + "@daily Other run\n")])
    #expect(first.rejectedFiles == ["b.cron"] && first.keptFiles.isEmpty)
    #expect(first.schedules.jobCount == 0 && first.diff.isEmpty)
    let second = reload(first.schedules, [file("b.cron", image + "@daily other run\n")])
    #expect(second.isValid && second.rejectedFiles.isEmpty)
    #expect(names(second.diff.added) == ["other"])
    #expect(second.diff.removed.isEmpty && second.diff.changed.isEmpty)
}

@Test func renamingAFileMovesItsJobs() {
    let first = reload(ScheduleSet(), [reports])
    let renamed = ScheduleFile(path: "reports.cron", contents: reports.contents)
    let second = reload(first.schedules, [renamed])
    #expect(second.diff.added.isEmpty && second.diff.removed.isEmpty)
    #expect(second.diff.changed.map(\.fields) == [[.sourceFile], [.sourceFile]])
    #expect(second.schedules.files == ["reports.cron"])
}

@Test func deletingAFileRemovesItsJobs() {
    let other = file("b.cron", image + "@daily other run\n")
    let first = reload(ScheduleSet(), [reports, other])
    let second = reload(first.schedules, [other])
    #expect(names(second.diff.removed) == ["nightly", "warm"])
    #expect(second.diff.added.isEmpty && second.diff.changed.isEmpty)
    #expect(names(second.schedules.jobs) == ["other"])
}

@Test func renamingAJobIsOneRemovedAndOneAdded() {
    let first = reload(ScheduleSet(), [reports])
    let second = reload(first.schedules, [file("a.cron", image + "30 3 * * * nightly-report bin/report\n@hourly warm bin/warm\n")])
    #expect(names(second.diff.removed) == ["nightly"])
    #expect(names(second.diff.added) == ["nightly-report"])
    #expect(second.diff.changed.isEmpty)
}

@Test func movingAJobToAnotherLineIsNotAChange() {
    let first = reload(ScheduleSet(), [reports])
    let second = reload(first.schedules, [file("a.cron", "# moved down\n\n" + image + "@hourly warm bin/warm\n30 3 * * * nightly bin/report\n")])
    #expect(second.diff.isEmpty)
    #expect(second.schedules.job(named: try! JobName("nightly"))?.location.line == 5)
}

@Test func changedFieldsAreNamed() {
    let first = reload(ScheduleSet(), [reports])
    let edited = file("a.cron", image + "X=1\nCRON_TZ=Asia/Tokyo\nCRON_SUSPEND=true\n30 3 * * * nightly bin/report --all\n@hourly warm bin/warm\n")
    let second = reload(first.schedules, [edited])
    #expect(second.diff.changed.map(\.fields) == [
        [.timeZone, .command, .environment, .isSuspended], [.timeZone, .environment, .isSuspended],
    ])
}

@Test func duplicateAcrossFilesRejectsTheNewFileNamingBothPlaces() {
    let first = reload(ScheduleSet(), [reports])
    // "0.cron" sorts first, but a file already loaded wins over a new one.
    let newcomer = file("0.cron", image + "@daily fresh run\n@daily warm other\n")
    let second = reload(first.schedules, [newcomer, reports])
    #expect(second.diagnostics.map(\.description) == ["0.cron:3:1: error: job 'warm' is already defined at a.cron:3:1"])
    #expect(second.rejectedFiles == ["0.cron"])
    #expect(second.diff.isEmpty)
}

@Test func duplicateAcrossNewFilesRejectsTheLaterOne() {
    let result = reload(ScheduleSet(), [file("b.cron", image + "@daily warm run\n"), reports])
    #expect(result.diagnostics.map(\.description) == ["b.cron:2:1: error: job 'warm' is already defined at a.cron:3:1"])
    #expect(result.rejectedFiles == ["b.cron"])
    #expect(names(result.schedules.jobs) == ["nightly", "warm"])
}

@Test func invalidNewFileLoadsNothingAndOtherFilesStillLoad() {
    let result = reload(ScheduleSet(), [reports, file("b.cron", image + "@daily Bad run\n")])
    #expect(result.rejectedFiles == ["b.cron"])
    #expect(names(result.diff.added) == ["nightly", "warm"])
}

@Test func aJobMovedBetweenFilesIsAChangeOfSourceFile() {
    let first = reload(ScheduleSet(), [reports, file("b.cron", image + "@daily other run\n")])
    let second = reload(first.schedules, [
        file("a.cron", image + "30 3 * * * nightly bin/report\n"),
        file("b.cron", image + "@daily other run\n@hourly warm bin/warm\n"),
    ])
    #expect(second.isValid)
    #expect(second.diff.changed.map { "\($0.new.name) \($0.fields)" } == ["warm [Schedules.JobSpec.Field.sourceFile]"])
}

@Test func aFileThatTakesANameFromAKeptFileFallsBackToItsOwnLastVersion() {
    let a = file("a.cron", image + "@daily x run\n")
    let b = file("b.cron", image + "@daily y run\n")
    let first = reload(ScheduleSet(), [a, b])
    // a.cron breaks (its x stays), and b.cron now also defines x: b is refused and keeps y.
    let second = reload(first.schedules, [
        file("a.cron", image + "@daily x run %\n"), file("b.cron", image + "@daily y run\n@daily x other\n"),
    ])
    #expect(second.keptFiles == ["a.cron", "b.cron"])
    #expect(second.diagnostics.map(\.description) == [
        "a.cron:2:14: error: unescaped '%' in the command: cron would turn it into a newline and standard input, which a Fargate job cannot take; write '\\%' for a percent sign",
        "b.cron:3:1: error: job 'x' is already defined at a.cron:2:1",
    ])
    #expect(second.diff.isEmpty)
    #expect(second.schedules == first.schedules)
}

@Test func loadingFromDiskReportsMissingPathsAndSkipsOtherFiles() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schedules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data((image + "@daily top run\n").utf8).write(to: folder.appendingPathComponent("a.cron"))
    try Data((image + "@daily nested run\n").utf8).write(to: folder.appendingPathComponent("sub/b.cron"))
    try Data("not a schedule".utf8).write(to: folder.appendingPathComponent("notes.txt"))
    let missing = folder.appendingPathComponent("missing.cron").path
    let result = ScheduleLoader.load(paths: [folder.path, missing])
    #expect(names(result.schedules.jobs) == ["top"])
    #expect(result.diagnostics.map(\.description) == ["\(missing):1:1: error: cannot read the file: no such file or folder"])
    #expect(result.rejectedFiles == [missing])
}
