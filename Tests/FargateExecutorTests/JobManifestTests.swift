import Foundation
import Kubernetes
import RunModel
import Scheduler
import Testing

@testable import FargateExecutor

struct JobManifestTests {
    let request = RunRequest(
        slot: Slot(job: "nightly-report", scheduledAt: instant("2026-11-29T06:30:00Z")), run: RunID(rawValue: 42),
        trigger: .scheduled, command: "bundle exec rake report:nightly", environment: ["RAILS_ENV": "production"],
        timeout: nil)

    func env(_ container: Container) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (container.env ?? []).map { ($0.name, $0.value ?? "<from>") })
    }

    @Test func aMinimalJobHasEverythingFargateAndOwnershipNeed() throws {
        let settings = KubernetesJobSettings(
            jobName: "nightly-report", namespace: "batch", image: "app:2026.11", cpu: "0.5", memory: "1Gi",
            serviceAccount: "reports", retries: 2, timeout: .milliseconds(90_500), labels: ["team": "data"])
        let job = try JobManifest.build(for: request, settings: settings)
        #expect(job.metadata.name == "nightly-report-29932230")
        #expect(job.metadata.namespace == "batch")
        let labels = try #require(job.metadata.labels)
        #expect(labels["app.kubernetes.io/managed-by"] == "fargate-cron")
        #expect(labels["fargate-cron/job"] == "nightly-report")
        #expect(labels["fargate-cron/scheduled-at"] == "20261129T063000Z")
        #expect(labels["team"] == "data")
        #expect(job.metadata.annotations?["fargate-cron/scheduled-at"] == "2026-11-29T06:30:00Z")
        #expect(job.metadata.annotations?["fargate-cron/run-id"] == "42")
        let spec = try #require(job.spec)
        #expect(spec.backoffLimit == 2)
        #expect(spec.activeDeadlineSeconds == 91)  // 90.5 s rounded up
        #expect(spec.template.metadata?.labels == labels)  // the pod carries them too: the sweep finds it
        let pod = try #require(spec.template.spec)
        #expect(pod.restartPolicy == "Never")
        #expect(pod.serviceAccountName == "reports")
        let container = try #require(pod.containers.first)
        #expect(container.image == "app:2026.11")
        #expect(container.command == ["/bin/sh", "-c", "bundle exec rake report:nightly"])
        #expect(container.resources?.requests == ["cpu": "0.5", "memory": "1Gi"])
        #expect(container.resources?.limits == container.resources?.requests)
        #expect(env(container) == ["RAILS_ENV": "production", "SCHEDULED_TIME": "2026-11-29T06:30:00Z", "CRON_RUN_ID": "42"])
    }

    @Test func aTemplateKeepsWhatItSaysAndGetsOurRules() throws {
        let settings = KubernetesJobSettings(
            jobName: "nightly-report", namespace: "batch", memory: "2Gi", template: try Fixture.data("template-job.json"),
            retries: 0)
        let job = try JobManifest.build(for: request, settings: settings)
        let json = try JSONValue(encoding: job)
        // Written back: fields the model does not know survive.
        let podSpec = try #require(json["spec"]?["template"]?["spec"])
        #expect(podSpec["tolerations"] != nil)
        #expect(podSpec["volumes"] != nil)
        #expect(json["spec"]?["ttlSecondsAfterFinished"] == .integer(100))
        let containers = try #require(job.spec?.template.spec?.containers)
        #expect(containers.count == 2)
        let main = containers[0]
        #expect(main.image == "template:1")
        #expect(main.resources?.requests?["cpu"] == "250m" && main.resources?.limits?["cpu"] == "250m")
        #expect(main.resources?.requests?["memory"] == "2Gi" && main.resources?.limits?["memory"] == "2Gi")
        #expect(env(main)["CRON_RUN_ID"] == "42")  // ours wins over the template's
        #expect(env(main)["DB_PASSWORD"] == "<from>")  // valueFrom kept
        if case .array(let written)? = podSpec["containers"] {
            #expect(written[0]["args"] == nil)  // the command replaces the template's arguments
            #expect(written[0]["volumeMounts"] != nil)
        } else {
            Issue.record("containers not written")
        }
        #expect(job.spec?.template.spec?.restartPolicy == "Never")
        #expect(job.spec?.backoffLimit == 0)
        #expect(job.metadata.labels?["fargate-cron/job"] == "nightly-report")  // a spoofed label is overwritten
        #expect(job.metadata.labels?["team"] == "data")
        #expect(job.metadata.annotations?["owner"] == "data-team")
        #expect(job.spec?.template.metadata?.labels?["fargate"] == "yes")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var label: String
        var fixture: String?
        var text: String?
        var mentions: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        Bad(label: "no image anywhere", mentions: "CRON_IMAGE"),
        Bad(label: "a Deployment as template", fixture: "template-deployment.json", mentions: "template"),
        Bad(label: "not JSON", text: "kind: Job", mentions: "not a batch/v1 Job"),
    ])
    func badInputSaysWhat(_ bad: Bad) throws {
        let template = try bad.fixture.map(Fixture.data) ?? bad.text.map { Data($0.utf8) }
        let settings = KubernetesJobSettings(jobName: "j", namespace: "n", template: template)
        #expect {
            _ = try JobManifest.build(for: request, settings: settings)
        } throws: { error in
            "\(error)".contains(bad.mentions) && "\(error)".hasPrefix("j:")
        }
    }
}
