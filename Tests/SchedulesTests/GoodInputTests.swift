import Foundation
import RunModel
import Schedules
import Testing

@Test func defaultsApplyWhenNothingIsSet() throws {
    let parsed = parse(image + "30 3 * * * nightly bin/report\n")
    #expect(parsed.diagnostics.isEmpty)
    let job = try #require(parsed.jobs.first)
    #expect(job.name.rawValue == "nightly")
    #expect(job.command == "bin/report")
    #expect(job.timeZone.identifier == "Etc/UTC" && job.timeZone.secondsFromGMT(for: fixedInstant) == 0)
    #expect(job.executor == .kubernetes)
    #expect(job.namespace == "default")
    #expect(job.image == "app:1")
    #expect(job.cpu.text == "250m" && job.memory.text == "256Mi")
    #expect(job.fargateSize?.description == "0.25 vCPU / 0.5 GB")
    #expect(job.template == nil && job.serviceAccount == nil)
    #expect(job.concurrency == .forbid && job.catchUp == .latest)
    #expect(job.startingDeadline == nil && job.timeout == nil)
    #expect(job.retries == 0 && job.keepSucceeded == 3 && job.keepFailed == 1)
    #expect(job.podTTL == .zero && job.pendingTimeout == .seconds(300))
    #expect(!job.isSuspended && job.labels.isEmpty && job.annotations.isEmpty)
    #expect(job.location == SourceLocation(file: "t.cron", line: 2, column: 1))
}

@Test func everySettingIsRead() throws {
    let text = """
        CRON_TZ=Asia/Tokyo
        CRON_EXECUTOR=kubernetes
        CRON_NAMESPACE=batch
        CRON_IMAGE="repo/app:2"
        CRON_CPU=2
        CRON_MEMORY=4Gi
        CRON_SERVICE_ACCOUNT=reports.sa
        CRON_CONCURRENCY=replace
        CRON_STARTING_DEADLINE=10m
        CRON_CATCH_UP=all
        CRON_TIMEOUT=1h30m
        CRON_RETRIES=2
        CRON_KEEP_SUCCEEDED=5
        CRON_KEEP_FAILED=0
        CRON_POD_TTL=2m
        CRON_PENDING_TIMEOUT=90s
        CRON_SUSPEND=true
        CRON_LABELS=team=data, example.com/tier=batch
        CRON_ANNOTATIONS=example.com/owner=Data Team
        A=1
        B = 'two words'
        A=3
          0 3 * * *   report   bin/report --at "$(date +\\%H:\\%M)"   

        """
    let parsed = parse(text)
    #expect(parsed.diagnostics.isEmpty)
    let job = try #require(parsed.jobs.first)
    #expect(job.timeZone.identifier == "Asia/Tokyo")
    #expect(job.executor == .kubernetes)
    #expect(job.namespace == "batch")
    #expect(job.image == "repo/app:2")
    #expect(job.cpu == ResourceQuantity("2") && job.memory == ResourceQuantity("4Gi"))
    #expect(job.serviceAccount == "reports.sa")
    #expect(job.concurrency == .replace && job.catchUp == .all(limit: CatchUpPolicy.maximumRuns))
    #expect(job.startingDeadline == .seconds(600) && job.timeout == .seconds(5_400))
    #expect(job.retries == 2 && job.keepSucceeded == 5 && job.keepFailed == 0)
    #expect(job.podTTL == .seconds(120) && job.pendingTimeout == .seconds(90))
    #expect(job.isSuspended)
    #expect(job.labels == [.init(key: "team", value: "data"), .init(key: "example.com/tier", value: "batch")])
    #expect(job.annotations == [.init(key: "example.com/owner", value: "Data Team")])
    // Order of first assignment is kept; a later assignment replaces the value.
    #expect(job.environment == [.init(name: "A", value: "3"), .init(name: "B", value: "two words")])
    #expect(job.command == "bin/report --at \"$(date +%H:%M)\"")
    #expect(job.location == SourceLocation(file: "t.cron", line: 23, column: 3))
}

@Test func assignmentsApplyOnlyBelowThemAndEmptyRestoresTheDefault() throws {
    let parsed = parse(image + "@daily first a\nCRON_NAMESPACE=ops\nX=1\n@daily second b\nCRON_NAMESPACE=\n@daily third c\n")
    #expect(parsed.diagnostics.isEmpty)
    #expect(parsed.jobs.map(\.namespace) == ["default", "ops", "default"])
    #expect(parsed.jobs.map(\.environment.count) == [0, 1, 1])
}

@Test func lineEndingsAndByteOrderMarkDoNotChangeTheJobs() {
    let plain = parse(image + "0 3 * * * job run\n").jobs
    #expect(parse("\u{FEFF}" + image + "0 3 * * * job run\n").jobs == plain)
    #expect(parse(image.replacingOccurrences(of: "\n", with: "\r\n") + "0 3 * * * job run\r\n").jobs == plain)
    #expect(parse(image + "0 3 * * * job run").jobs == plain)
    #expect(plain.count == 1)
}

@Test func commentsAndBlankLinesAreSkipped() {
    let parsed = parse("# header\n\n   \t\n" + image + "  # indented comment\n@hourly job run\n")
    #expect(parsed.diagnostics.isEmpty && parsed.jobs.count == 1)
}

@Test func localJobsNeedNoImage() {
    let parsed = parse("CRON_EXECUTOR=local\n@daily rotate logrotate /etc/logrotate.conf\n")
    #expect(parsed.diagnostics.isEmpty)
    #expect(parsed.jobs.first?.image == nil)
}

@Test func templateSuppliesTheImageAndIsCanonicalJSON() throws {
    let yaml = """
        kind: Job
        apiVersion: batch/v1
        metadata: {labels: {b: "2", a: "1"}}
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: OnFailure
              containers: [{name: main, image: "repo/app:3", args: ["2026-01-01T00:00:00Z", yes, ~, 1.5]}]

        """
    let parsed = parse("CRON_TEMPLATE=templates/j.yaml\n@daily job run\n", templates: ["templates/j.yaml": yaml])
    #expect(parsed.diagnostics.isEmpty)
    let template = try #require(parsed.jobs.first?.template)
    #expect(template.path == "templates/j.yaml")
    #expect(template.image == "repo/app:3")
    #expect(String(decoding: template.manifest, as: UTF8.self) == """
        {"apiVersion":"batch/v1","kind":"Job","metadata":{"labels":{"a":"1","b":"2"}},"spec":{"backoffLimit":0,\
        "template":{"spec":{"containers":[{"args":["2026-01-01T00:00:00Z",true,null,1.5],"image":"repo/app:3",\
        "name":"main"}],"restartPolicy":"OnFailure"}}}}
        """)
}

/// Warnings are reported but the file still loads.
@Test(arguments: [
    ("Fargate rounds 1 vCPU / 8Gi up to 2 vCPU", image + "CRON_CPU=1\nCRON_MEMORY=8Gi\n@daily job run\n",
     ["t.cron:4:8: warning: CPU 1 and memory 8Gi (+256Mi for Kubernetes) are billed as 2 vCPU / 9 GB, a larger vCPU than requested"]),
    ("a setting after the last job", image + "@daily job run\nCRON_TZ=UTC\n",
     ["t.cron:3:1: warning: CRON_TZ has no effect: no job follows it in this file"]),
    ("a setting written in lowercase", image + "cron_tz=Asia/Tokyo\n@daily job run\n",
     ["t.cron:2:1: warning: cron_tz is passed to the job as an environment variable; did you mean the setting CRON_TZ?"]),
    ("a template that names the Job", "CRON_TEMPLATE=j.yaml\n@daily job run\n",
     ["t.cron:1:15: warning: template 'j.yaml' sets metadata.name, which is ignored: each run's Job is named after the job and its slot"]),
])
func warnings(_ name: String, _ text: String, _ expected: [String]) {
    let named = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: m, image: i}]}}}\n"
    let parsed = parse(text, templates: ["j.yaml": named])
    #expect(parsed.diagnostics.map(\.description) == expected, "\(name)")
    #expect(parsed.isValid && parsed.jobs.count == 1, "\(name)")
}

@Test func localJobsHaveNoFargateSize() {
    let parsed = parse("CRON_EXECUTOR=local\nCRON_CPU=64\n@daily job run\n")
    #expect(parsed.diagnostics.isEmpty)
    #expect(parsed.jobs.first?.fargateSize == nil)
}

@Test func sizeWarningIsReportedOncePerSize() {
    let parsed = parse(image + "CRON_CPU=1\nCRON_MEMORY=8Gi\n@daily a run\n@daily b run\n")
    #expect(parsed.diagnostics.count == 1 && parsed.jobs.count == 2)
}

@Test func jobNamesAreDNSLabelsOfAtMost52() throws {
    #expect(try JobName(String(repeating: "a", count: 52)).rawValue.count == 52)
    #expect(throws: JobName.Problem.tooLong(length: 53)) { try JobName(String(repeating: "a", count: 53)) }
    #expect(throws: JobName.Problem.cronValue) { try JobName("jan") }
    #expect(throws: JobName.Problem.empty) { try JobName("") }
    #expect(try JobName("a1-b2").rawValue == "a1-b2")
}
