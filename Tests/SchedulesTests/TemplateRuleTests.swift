import Foundation
import Schedules
import Testing

/// What `check` knows of the API server: a template the server would refuse is an error at its
/// place in the template, and a field the server sets itself is left out with a warning, so that no
/// run fails at its fire time for a reason `check` could have seen.
@Suite struct TemplateRuleTests {
    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: testsFolder().appendingPathComponent("Fixtures/templates/\(name)"), encoding: .utf8)
    }

    static let job = "@daily report bin/report\n"

    func diagnostics(_ template: String, _ cron: String = "CRON_TEMPLATE=j.yaml\n" + job) -> [String] {
        parse(cron, templates: ["j.yaml": template]).diagnostics.map(\.description)
    }

    /// `resources.requests.cpu: 1` is a number in YAML, and a quantity to the API server.
    @Test func numericQuantitiesAreAccepted() throws {
        let parsed = parse("CRON_TEMPLATE=j.yaml\n" + Self.job, templates: ["j.yaml": try Self.fixture("cpu-number.yaml")])
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let manifest = String(decoding: try #require(parsed.jobs.first?.template?.manifest), as: UTF8.self)
        #expect(manifest.contains(#""requests":{"cpu":1,"memory":"2Gi"}"#))
    }

    /// Init containers, a native sidecar (`restartPolicy: Always`) and a second container are a Job
    /// the server accepts.
    @Test func sidecarAndInitContainersAreAccepted() throws {
        #expect(diagnostics(try Self.fixture("sidecar.yaml")).isEmpty)
    }

    /// A template pasted from `kubectl get job -o yaml`: every server-set field is left out, each
    /// with a warning at its line in the template, and the run's Job no longer carries them.
    @Test func aTemplateExportedFromALiveJobIsScrubbedSayingSo() throws {
        let parsed = parse("CRON_TEMPLATE=j.yaml\n" + Self.job, templates: ["j.yaml": try Self.fixture("exported.yaml")])
        #expect(parsed.isValid)
        let text = parsed.diagnostics.map(\.description)
        for (line, field) in [(25, "metadata.uid"), (24, "metadata.resourceVersion"), (7, "metadata.creationTimestamp"),
                              (8, "metadata.generation"), (17, "metadata.ownerReferences"), (65, "status"),
                              (33, "spec.selector"), (12, "metadata.labels.controller-uid"),
                              (13, "metadata.labels.job-name"), (39, "spec.template.metadata.creationTimestamp"),
                              (41, "spec.template.metadata.labels.batch.kubernetes.io/controller-uid"),
                              (44, "spec.template.metadata.labels.job-name"),
                              (6, "metadata.annotations.batch.kubernetes.io/job-tracking")] {
            #expect(text.contains { $0.hasPrefix("t.cron:1:15: warning: template 'j.yaml' \(line):") && $0.contains(" \(field) is left out") },
                    "no warning for \(field) at line \(line) in \(text)")
        }
        #expect(text.allSatisfy { $0.contains("warning:") })
        let manifest = String(decoding: try #require(parsed.jobs.first?.template?.manifest), as: UTF8.self)
        for gone in ["uid", "resourceVersion", "creationTimestamp", "ownerReferences", "status", "selector",
                     "controller-uid", "job-name", "job-tracking", "generation"] {
            #expect(!manifest.contains("\"\(gone)\""), "\(gone) is still in \(manifest)")
        }
        #expect(manifest.contains(#""team":"reports""#))
    }

    @Test func manualSelectorIsRefusedAtItsPlace() {
        let template = """
            apiVersion: batch/v1
            kind: Job
            spec:
              manualSelector: true
              selector:
                matchLabels: {app: x}
              template:
                metadata:
                  labels: {app: x}
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: app:2}]
            """
        #expect(diagnostics(template) == [
            "t.cron:1:15: error: template 'j.yaml' would be refused by the API server: 4:3: spec.manualSelector: manualSelector: true leaves the pods without the job-name label each run is followed by; remove it and spec.selector",
        ])
    }

    /// Every field the API server would refuse is its own error, at its line and column in the template.
    @Test func fieldsTheServerRefusesAreEachAnErrorAtTheirPlace() {
        let template = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              labels:
                "bad key!": x
                tier: "no spaces allowed"
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: Main
                      image: app:2
                      env:
                        - {name: 1ST, value: x}
                      resources:
                        requests: {cpu: 2, memory: lots}
                        limits: {cpu: 1}
                    - name: side
                      image: app:2
                    - name: side
                      image: app:2
            """
        let found = diagnostics(template)
        let prefix = "t.cron:1:15: error: template 'j.yaml' would be refused by the API server: "
        #expect(found == [
            prefix + "5:5: metadata.labels.bad key!: 'bad key!' is not a valid label key: [prefix/]name, the name at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric, the prefix a DNS subdomain",
            prefix + "6:5: metadata.labels.tier: 'no spaces allowed' is not a valid label value: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric, or empty",
            prefix + "12:11: spec.template.spec.containers[0].name: container name 'Main' is not a DNS-1123 label (at most 63 of [a-z0-9-], starting and ending alphanumeric)",
            prefix + "15:16: spec.template.spec.containers[0].env[0].name: '1ST' is not a valid environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]*",
            prefix + "17:32: spec.template.spec.containers[0].resources.requests.memory: 'lots' is not a Kubernetes quantity: a number, then a suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E) or an exponent (e3)",
            prefix + "17:24: spec.template.spec.containers[0].resources.requests.cpu: request 2 is above the limit 1",
            prefix + "21:11: spec.template.spec.containers[2].name: container name 'side' is used twice",
        ], "\(found.joined(separator: "\n"))")
    }

    /// The Job controller's own labels in `CRON_LABELS` (they go on the pods too) are refused where written.
    @Test(arguments: ["job-name", "controller-uid", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid"])
    func reservedLabelsAreRefused(_ key: String) {
        let found = parse(image + "CRON_LABELS=team=a,\(key)=x\n" + Self.job).diagnostics.map(\.description)
        #expect(found == [
            "t.cron:2:13: error: CRON_LABELS may not set '\(key)': the Job controller sets it on each run's pods, and the API server refuses a Job whose pods set it otherwise",
        ])
    }
}
