import Foundation
import Schedules
import Testing

/// Fargate sizes a pod by all its containers: the larger of the largest init container and the sum
/// of the containers that run together (the pod's containers and its native sidecars), plus 256 MiB,
/// rounded up to a size it offers. `check` and `check --json` size every job so.
@Suite struct ContainerSizingTests {
    static func q(_ text: String) -> ResourceQuantity { ResourceQuantity(Substring(text))! }

    static func container(_ name: String, _ role: ContainerRequests.Role, _ cpu: String?, _ memory: String?) -> ContainerRequests {
        ContainerRequests(name: name, role: role, cpu: cpu.map(q), memory: memory.map(q))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var containers: [ContainerRequests]
        var milliCPU: Int64
        var memoryMiB: Int64
        var billed: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        Case(label: "one container", containers: [container("app", .container, "1", "2Gi")],
             milliCPU: 1000, memoryMiB: 2048, billed: "1 vCPU / 3 GB"),
        Case(label: "two containers add up", containers: [
            container("app", .container, "1", "2Gi"), container("metrics", .container, "500m", "1Gi"),
        ], milliCPU: 1500, memoryMiB: 3072, billed: "2 vCPU / 4 GB"),
        Case(label: "a native sidecar counts with the containers", containers: [
            container("proxy", .sidecar, "250m", "512Mi"), container("app", .container, "1", "2Gi"),
        ], milliCPU: 1250, memoryMiB: 2560, billed: "2 vCPU / 4 GB"),
        Case(label: "a larger init container decides", containers: [
            container("migrate", .initContainer, "4", "8Gi"), container("app", .container, "250m", "512Mi"),
        ], milliCPU: 4000, memoryMiB: 8192, billed: "4 vCPU / 9 GB"),
        Case(label: "each resource on its own: init CPU, containers' memory", containers: [
            container("migrate", .initContainer, "2", "1Gi"), container("proxy", .sidecar, "250m", "1Gi"),
            container("app", .container, "1", "2Gi"),
        ], milliCPU: 2000, memoryMiB: 3072, billed: "2 vCPU / 4 GB"),
        Case(label: "only the largest init container counts", containers: [
            container("a", .initContainer, "1", "1Gi"), container("b", .initContainer, "500m", "3Gi"),
            container("app", .container, "250m", "256Mi"),
        ], milliCPU: 1000, memoryMiB: 3072, billed: "1 vCPU / 4 GB"),
        Case(label: "a container without requests adds nothing", containers: [
            container("app", .container, "250m", "256Mi"), container("logs", .container, nil, nil),
        ], milliCPU: 250, memoryMiB: 256, billed: "0.25 vCPU / 0.5 GB"),
    ])
    func podsAreSizedAsFargateSizesThem(_ c: Case) {
        let pod = PodRequests(c.containers)
        #expect(pod.milliCPU == c.milliCPU && pod.memoryBytes == c.memoryMiB << 20)
        #expect(FargateSize.billed(pod: pod)?.description == c.billed)
    }

    static let sidecarTemplate = """
        apiVersion: batch/v1
        kind: Job
        spec:
          template:
            spec:
              restartPolicy: Never
              initContainers:
                - name: migrate
                  image: app:2
                  resources: {requests: {cpu: 2, memory: 1Gi}}
                - name: proxy
                  image: envoy:1.30
                  restartPolicy: Always
                  resources: {requests: {cpu: 250m, memory: 512Mi}}
              containers:
                - name: main
                  image: app:2
                  resources: {requests: {cpu: 500m, memory: 1Gi}}
                - name: metrics
                  image: statsd:1
                  resources: {limits: {cpu: 250m, memory: 512Mi}}
        """

    /// The template's main container keeps its own CPU and memory unless the file assigns
    /// `CRON_CPU`/`CRON_MEMORY`; the others count as the template gives them (a limit alone stands
    /// for the request, as Kubernetes defaults it).
    @Test func aTemplatesContainersAreSized() throws {
        let parsed = parse("CRON_TEMPLATE=j.yaml\n@daily report bin/report\n", templates: ["j.yaml": Self.sidecarTemplate])
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let job = try #require(parsed.jobs.first)
        #expect(job.mainContainerCPU == Self.q("500m") && job.mainContainerMemory == Self.q("1Gi"))
        // CPU: max(2, 0.25 + 0.5 + 0.25) = 2; memory: max(1Gi, 512Mi + 1Gi + 512Mi) = 2Gi, + 256Mi.
        #expect(job.podRequests.milliCPU == 2000 && job.podRequests.memoryBytes == 2 << 30)
        #expect(job.fargateSize?.description == "2 vCPU / 4 GB")

        let assigned = parse("CRON_TEMPLATE=j.yaml\nCRON_CPU=4\nCRON_MEMORY=8Gi\n@daily report bin/report\n",
                             templates: ["j.yaml": Self.sidecarTemplate])
        let big = try #require(assigned.jobs.first)
        #expect(big.mainContainerCPU == Self.q("4") && big.mainContainerMemory == Self.q("8Gi"))
        #expect(big.fargateSize?.description == "8 vCPU / 16 GB")  // 4.5 vCPU, 9Gi + 256Mi

        let reset = parse("CRON_TEMPLATE=j.yaml\nCRON_CPU=4\nCRON_CPU=\n@daily report bin/report\n",
                          templates: ["j.yaml": Self.sidecarTemplate])
        #expect(reset.jobs.first?.mainContainerCPU == Self.q("500m"), "an empty CRON_CPU= gives the template its say again")
    }

    /// Without a template the one container has `CRON_CPU` and `CRON_MEMORY` or their defaults.
    @Test func aJobWithoutTemplateIsItsOneContainer() throws {
        let job = try #require(parse(image + "@daily report bin/report\n").jobs.first)
        #expect(job.podRequests == PodRequests([ContainerRequests(
            name: "job", role: .container, image: "app:1", cpu: Self.q("250m"), memory: Self.q("256Mi"))]))
        #expect(job.fargateSize?.description == "0.25 vCPU / 0.5 GB")
    }

    /// A pod too large for Fargate, or one that jumps a vCPU size, is reported with its total and
    /// where the total comes from.
    @Test func checkNamesThePodsTotal() throws {
        let huge = Self.sidecarTemplate.replacingOccurrences(of: "{requests: {cpu: 2, memory: 1Gi}}", with: "{requests: {cpu: 17, memory: 1Gi}}")
        let parsed = parse("CRON_TEMPLATE=j.yaml\n@daily report bin/report\n", templates: ["j.yaml": huge])
        #expect(parsed.diagnostics.map(\.description) == [
            "t.cron:2:8: error: no Fargate size fits CPU 17 (the pod's, of migrate 17 (init), proxy 250m, main 500m, metrics 250m) "
                + "and memory 2Gi (the pod's, of migrate 1Gi (init), proxy 512Mi, main 1Gi, metrics 512Mi) (+256Mi for Kubernetes); "
                + "the largest is 16 vCPU / 120 GB",
        ])
        let small = Self.sidecarTemplate.replacingOccurrences(of: "{requests: {cpu: 2, memory: 1Gi}}", with: "{requests: {cpu: 500m, memory: 1Gi}}")
        let jump = parse("CRON_TEMPLATE=j.yaml\nCRON_MEMORY=7Gi\n@daily report bin/report\n", templates: ["j.yaml": small])
        #expect(jump.diagnostics.map(\.description) == [
            "t.cron:3:8: warning: CPU 1 (the pod's, of migrate 500m (init), proxy 250m, main 500m, metrics 250m) and memory 8Gi "
                + "(the pod's, of migrate 1Gi (init), proxy 512Mi, main 7Gi, metrics 512Mi) (+256Mi for Kubernetes) are billed as "
                + "2 vCPU / 9 GB, a larger vCPU than requested",
        ])
    }

    /// `CRON_CONTAINER` picks the main container: its CPU and memory, its image.
    @Test func cronContainerPicksTheMainContainer() throws {
        let parsed = parse("CRON_TEMPLATE=j.yaml\nCRON_CONTAINER=metrics\n@daily report bin/report\n",
                           templates: ["j.yaml": Self.sidecarTemplate])
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let job = try #require(parsed.jobs.first)
        #expect(job.container == "metrics" && job.mainContainerCPU == Self.q("250m"))
    }

    @Test(arguments: [
        ("CRON_CONTAINER=app", "t.cron:3:8: error: CRON_CONTAINER 'app' names no container of template 'j.yaml'; its containers are: main, metrics"),
        ("CRON_CONTAINER=proxy",
         "t.cron:3:8: error: CRON_CONTAINER 'proxy' is an init container of template 'j.yaml'; it must name one of the pod's containers: main, metrics"),
        ("CRON_CONTAINER=Main", "t.cron:2:16: error: CRON_CONTAINER 'Main' is not valid; expected the name of a container of the job's template (a DNS-1123 label)"),
    ])
    func cronContainerMustNameAPodContainer(_ setting: String, _ expected: String) {
        let parsed = parse("CRON_TEMPLATE=j.yaml\n\(setting)\n@daily report bin/report\n", templates: ["j.yaml": Self.sidecarTemplate])
        #expect(parsed.diagnostics.map(\.description).contains(expected), "\(parsed.diagnostics)")
        #expect(!parsed.isValid)
    }

    /// A named main container without an image needs `CRON_IMAGE`, as the first one would.
    @Test func theMainContainerNeedsAnImage() throws {
        let noImage = Self.sidecarTemplate.replacingOccurrences(of: "          image: statsd:1\n", with: "")
        let parsed = parse("CRON_TEMPLATE=j.yaml\nCRON_CONTAINER=metrics\n@daily report bin/report\n", templates: ["j.yaml": noImage])
        #expect(parsed.diagnostics.map(\.description) == [
            "t.cron:3:8: error: job 'report' has no image; set CRON_IMAGE above it, or CRON_TEMPLATE to a manifest whose main container (CRON_CONTAINER, by default the first) has one",
        ])
        let given = parse("CRON_TEMPLATE=j.yaml\nCRON_CONTAINER=metrics\nCRON_IMAGE=statsd:2\n@daily report bin/report\n",
                          templates: ["j.yaml": noImage])
        #expect(given.isValid, "\(given.diagnostics)")
    }
}
