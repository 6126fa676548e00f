import HTTP
import Foundation
import Testing

@testable import Kubernetes

/// Recorded API JSON decodes into the typed model, and objects round-trip without losing fields.
@Suite struct ModelTests {
    @Test func jobFixtureDecodes() throws {
        let job = try KubernetesJSON.decoder.decode(Job.self, from: Fixture.data("job.json"))
        #expect(job.metadata.name == "nightly-report-29546100")
        #expect(job.metadata.uid == "0f3c2b9e-4a51-4c8e-9d2a-7c1f7e5d3b10")
        #expect(job.metadata.labels?["fargate-cron/job"] == "nightly-report")
        #expect(job.spec?.template.spec?.containers.first?.env?[1].valueFrom?["secretKeyRef"]?["name"] == .string("db"))
        #expect(job.status?.succeeded == 1)
        #expect(job.status?.isFinished == true)
        #expect(job.status?.completionTime == RFC3339.parse("2026-03-08T03:04:41Z"))
    }

    /// A CRON_TEMPLATE manifest holds fields this module does not model (volumes, tolerations,
    /// podFailurePolicy, securityContext); decoding and re-encoding must keep every one of them.
    @Test(arguments: ["job-template.json", "job.json"])
    func jobRoundTripKeepsUnknownFields(_ fixture: String) throws {
        let original = try KubernetesJSON.decoder.decode(JSONValue.self, from: Fixture.data(fixture))
        let job = try KubernetesJSON.decoder.decode(Job.self, from: Fixture.data(fixture))
        let reencoded = try KubernetesJSON.decoder.decode(JSONValue.self, from: KubernetesJSON.encoder.encode(job))
        #expect(reencoded == original)
    }

    @Test func editedTemplateKeepsUnknownFieldsAndTakesTheEdits() throws {
        var job = try KubernetesJSON.decoder.decode(Job.self, from: Fixture.data("job-template.json"))
        job.metadata.name = "nightly-report-29546100"
        job.spec?.template.spec?.containers[0].image = "app:2026.11"
        job.spec?.template.spec?.containers[0].command = ["/bin/sh", "-c", "bin/report"]
        let json = try KubernetesJSON.decoder.decode(JSONValue.self, from: KubernetesJSON.encoder.encode(job))
        let container = json["spec"]?["template"]?["spec"]?["containers"].flatMap { value -> JSONValue? in
            if case .array(let items) = value { return items.first }
            return nil
        }
        #expect(json["metadata"]?["name"] == .string("nightly-report-29546100"))
        #expect(container?["image"] == .string("app:2026.11"))
        #expect(container?["volumeMounts"] != nil)
        #expect(container?["securityContext"]?["runAsNonRoot"] == .bool(true))
        #expect(json["spec"]?["podFailurePolicy"] != nil)
        #expect(json["spec"]?["template"]?["spec"]?["tolerations"] != nil)
        #expect(json["spec"]?["ttlSecondsAfterFinished"] == .integer(600))
    }

    @Test func podFixtureDecodes() throws {
        let pod = try KubernetesJSON.decoder.decode(Pod.self, from: Fixture.data("pod.json"))
        #expect(pod.status?.phase == "Succeeded")
        #expect(pod.status?.isFinished == true)
        #expect(pod.status?.containerStatuses?.first?.state?.terminated?.exitCode == 0)
        #expect(pod.metadata.ownerReferences?.first?.uid == "0f3c2b9e-4a51-4c8e-9d2a-7c1f7e5d3b10")
    }

    @Test(arguments: [
        ("status-already-exists.json", 409, "AlreadyExists"),
        ("status-forbidden.json", 403, "Forbidden"),
    ])
    func statusFixtureDecodes(_ fixture: String, _ code: Int, _ reason: String) throws {
        let status = try KubernetesJSON.decoder.decode(Status.self, from: Fixture.data(fixture))
        #expect(status.code == code)
        #expect(status.reason == reason)
        #expect(status.message?.isEmpty == false)
    }

    @Test func watchEventsDecode() throws {
        let lines = try Fixture.text("watch-jobs.jsonl").split(separator: "\n").map { Data($0.utf8) }
        let events = try lines.map { try WatchEvent<Job>(line: $0) }
        guard events.count == 5 else {
            Issue.record("expected 5 events, got \(events.count)")
            return
        }
        if case .added(let job) = events[0] { #expect(job.metadata.resourceVersion == "48101") } else { Issue.record("0: \(events[0])") }
        if case .modified(let job) = events[1] { #expect(job.status?.active == 1) } else { Issue.record("1: \(events[1])") }
        if case .bookmark(let version) = events[2] { #expect(version == "48190") } else { Issue.record("2: \(events[2])") }
        if case .deleted(let job) = events[3] { #expect(job.status?.succeeded == 1) } else { Issue.record("3: \(events[3])") }
        if case .error(let status) = events[4] { #expect(status.code == 410 && status.reason == "Expired") } else { Issue.record("4: \(events[4])") }
    }

    /// A pod's watch event, read in one pass: the object is the same as the pod read alone, and
    /// keeps its JSON unless the decoder says not to.
    @Test(arguments: ["ADDED", "MODIFIED", "DELETED"])
    func podWatchEventDecodes(_ type: String) throws {
        let pod = try KubernetesJSON.decoder.decode(Pod.self, from: Fixture.data("pod.json"))
        let line = Data(#"{"type":"\#(type)","object":"#.utf8) + (try Fixture.data("pod.json")) + Data("}".utf8)
        func object(_ event: WatchEvent<Pod>) -> Pod? {
            switch (type, event) {
            case ("ADDED", .added(let pod)), ("MODIFIED", .modified(let pod)), ("DELETED", .deleted(let pod)): return pod
            default: return nil
            }
        }
        let kept = object(try WatchEvent<Pod>(line: line))
        #expect(kept == pod)
        #expect(kept?.decodedJSON?["spec"]?["schedulerName"] == .string("fargate-scheduler"))
        let lean = object(try WatchEvent<Pod>(line: line, decoder: KubernetesJSON.decoder(keepingUnmodelledFields: false)))
        var typed = pod
        typed.decodedJSON = nil
        #expect(lean == typed)
        #expect(lean?.status?.containerStatuses?.first?.state?.terminated?.exitCode == 0)
    }

    /// Without unmodelled fields a Job or pod has no `decodedJSON` and every typed field as before;
    /// the default decoder keeps the JSON (what a write-back of a template needs).
    @Test(arguments: ["job.json", "job-template.json", "pod.json"])
    func decoderWithoutUnmodelledFieldsKeepsTheTypedFields(_ fixture: String) throws {
        let lean = KubernetesJSON.decoder(keepingUnmodelledFields: false)
        let original = try KubernetesJSON.decoder.decode(JSONValue.self, from: Fixture.data(fixture))
        if fixture.hasPrefix("pod") {
            let full = try KubernetesJSON.decoder.decode(Pod.self, from: Fixture.data(fixture))
            var typed = try lean.decode(Pod.self, from: Fixture.data(fixture))
            #expect(full.decodedJSON == original)
            #expect(typed.decodedJSON == nil)
            typed.decodedJSON = full.decodedJSON
            #expect(typed == full)
        } else {
            let full = try KubernetesJSON.decoder.decode(Job.self, from: Fixture.data(fixture))
            var typed = try lean.decode(Job.self, from: Fixture.data(fixture))
            #expect(full.decodedJSON == original)
            #expect(typed.decodedJSON == nil)
            typed.decodedJSON = full.decodedJSON
            #expect(typed == full)
        }
    }

    struct BadLine: Sendable, CustomTestStringConvertible {
        var line: String
        var says: String
        var testDescription: String { says }
    }

    /// A line that is not a watch event is a `DecodingError` that says what was wrong with it.
    @Test(arguments: [
        BadLine(line: #"{"type":"SYNC","object":{}}"#, says: #"unknown watch event type "SYNC""#),
        BadLine(line: #"{"type":"BOOKMARK","object":{"metadata":{}}}"#, says: "BOOKMARK without resourceVersion"),
        BadLine(line: #"{"type":"BOOKMARK","object":{"kind":"Job"}}"#, says: "BOOKMARK without resourceVersion"),
        BadLine(line: #"{"type":"ADDED"}"#, says: #""object""#),
        BadLine(line: #"{"object":{"metadata":{"name":"a"}}}"#, says: #""type""#),
        BadLine(line: #"{"type":"ADDED","object":{"metadata":{"name":7}}}"#, says: "Path: object.metadata.name"),
        BadLine(line: #"{"type":"ERROR","object":{"code":"410"}}"#, says: "Path: object.code"),
        BadLine(line: #"{"type":"ADDED","object":{"metadata":{}}"#, says: "JSON"),
    ])
    func badWatchLinesAreDecodingErrors(_ bad: BadLine) throws {
        let error = #expect(throws: DecodingError.self) { try WatchEvent<Job>(line: Data(bad.line.utf8)) }
        #expect(error.map { "\($0)" }?.contains(bad.says) == true, "\(String(describing: error))")
    }

    @Test func leaseKeepsMicroseconds() throws {
        let lease = try KubernetesJSON.decoder.decode(Lease.self, from: Fixture.data("lease.json"))
        #expect(lease.spec?.holderIdentity == "host-a")
        let json = try KubernetesJSON.decoder.decode(JSONValue.self, from: KubernetesJSON.encoder.encode(lease))
        #expect(json["spec"]?["renewTime"] == .string("2026-03-08T03:04:59.987654Z"))
        #expect(json["spec"]?["acquireTime"] == .string("2026-03-08T02:00:00.123456Z"))
    }

    @Test func eventListDecodes() throws {
        let list = try KubernetesJSON.decoder.decode(ObjectList<Event>.self, from: Fixture.data("events.json"))
        #expect(list.metadata.resourceVersion == "48300")
        #expect(list.items.map(\.reason) == ["LoggingDisabled", "Pulled"])
        #expect(list.items[0].involvedObject.name == "nightly-report-29546100-x7k2p")
    }

    struct TimeCase: Sendable, CustomTestStringConvertible {
        var text: String
        var epoch: Double?
        var testDescription: String { text }
    }

    @Test(arguments: [
        TimeCase(text: "2026-03-08T07:30:15Z", epoch: 1_772_955_015),
        TimeCase(text: "2026-03-08T07:30:15.250000Z", epoch: 1_772_955_015.25),
        TimeCase(text: "2026-03-08T16:30:15+09:00", epoch: 1_772_955_015),
        TimeCase(text: "1999-12-31T23:59:59Z", epoch: 946_684_799),
        TimeCase(text: "2026-03-08 07:30:15Z", epoch: nil),
        TimeCase(text: "2026-13-08T07:30:15Z", epoch: nil),
    ])
    func rfc3339Parses(_ c: TimeCase) {
        let parsed = RFC3339.parse(c.text)?.timeIntervalSince1970
        if let epoch = c.epoch {
            #expect(abs((parsed ?? 0) - epoch) < 0.000_001)
            #expect(RFC3339.parse(RFC3339.format(Date(timeIntervalSince1970: epoch)))?.timeIntervalSince1970 == parsed)
        } else {
            #expect(parsed == nil)
        }
    }
}
