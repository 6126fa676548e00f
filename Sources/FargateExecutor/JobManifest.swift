import Foundation
public import Kubernetes
public import RunModel
public import Scheduler

/// Why a Job manifest could not be built for a run.
public struct ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the job and the field.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds the `batch/v1` Job of one run.
///
/// From the job's template when it has one (fields this module does not model, such as volumes or
/// tolerations, are kept), or a minimal Job otherwise. Either way the result has
/// `restartPolicy: Never` (the Job controller, not the kubelet, retries, up to `backoffLimit`),
/// `backoffLimit` from `CRON_RETRIES`, `activeDeadlineSeconds` from `CRON_TIMEOUT`, CPU and memory
/// requests equal to limits (Fargate sizes a pod from its requests and bills that size), the ownership
/// labels on the Job and its pod template, and `SCHEDULED_TIME` and `CRON_RUN_ID` in the container's
/// environment.
public enum JobManifest {
    /// The name of the container a minimal Job gets.
    public static let containerName = "job"

    /// The Job for one run.
    /// - Parameters:
    ///   - request: the run (slot, run id, command, environment).
    ///   - settings: the job's Kubernetes settings.
    ///   - host: the host creating the Job, written as ``OwnershipLabels/startedBy`` (nil: none).
    /// - Throws: ``ManifestError`` when the template is not a Job or no image is known.
    public static func build(
        for request: RunRequest, settings: KubernetesJobSettings, startedBy host: String? = nil
    ) throws(ManifestError) -> Job {
        var job = try base(settings)
        let name = JobNaming.jobName(
            for: settings.jobName, slot: request.slot.scheduledAt, scheduleHasSeconds: settings.scheduleHasSeconds)
        let scheduled = OwnershipLabels.annotationValue(of: request.slot.scheduledAt)

        var labels = job.metadata.labels ?? [:]
        labels.merge(settings.labels) { $1 }
        labels[OwnershipLabels.managedBy] = OwnershipLabels.managedByValue
        labels[OwnershipLabels.job] = settings.jobName
        labels[OwnershipLabels.scheduledAt] = OwnershipLabels.labelValue(of: request.slot.scheduledAt)
        var annotations = job.metadata.annotations ?? [:]
        annotations.merge(settings.annotations) { $1 }
        annotations[OwnershipLabels.scheduledAt] = scheduled
        annotations[OwnershipLabels.runID] = request.run.description
        annotations[OwnershipLabels.trigger] = request.trigger.rawValue
        if let host { annotations[OwnershipLabels.startedBy] = host }

        job.metadata.name = name
        job.metadata.generateName = nil
        job.metadata.namespace = settings.namespace
        job.metadata.labels = labels
        job.metadata.annotations = annotations

        guard var spec = job.spec else { throw ManifestError("\(settings.jobName): the template has no spec") }
        spec.backoffLimit = settings.retries
        if let timeout = settings.timeout {
            // Kubernetes counts whole seconds; round up so a run is never cut shorter than asked.
            let (seconds, attos) = timeout.components
            spec.activeDeadlineSeconds = seconds + (attos > 0 ? 1 : 0)
        }
        var template = spec.template
        var podMeta = template.metadata ?? ObjectMeta()
        podMeta.labels = (podMeta.labels ?? [:]).merging(labels) { $1 }
        podMeta.annotations = (podMeta.annotations ?? [:]).merging(annotations) { $1 }
        template.metadata = podMeta
        guard var pod = template.spec, !pod.containers.isEmpty else {
            throw ManifestError("\(settings.jobName): the template's pod has no containers")
        }
        pod.restartPolicy = "Never"
        if let account = settings.serviceAccount { pod.serviceAccountName = account }
        let main = try mainIndex(in: pod, settings: settings)
        pod.containers[main] = try container(pod.containers[main], for: request, settings: settings)
        template.spec = pod
        spec.template = template
        job.spec = spec
        // The typed container is authoritative for `args` (dropped for the command) and `env` (which
        // keeps `valueFrom` itself): without this, the template's JSON under them would survive the
        // overlay that writes the Job back.
        job.decodedJSON = job.decodedJSON.map { removingArgsAndEnv(fromContainer: main, of: $0) }
        return job
    }

    /// Where the main container (`CRON_CONTAINER`, else the first) is among the pod's containers.
    static func mainIndex(in pod: PodSpec, settings: KubernetesJobSettings) throws(ManifestError) -> Int {
        guard let name = settings.mainContainer else { return 0 }
        if settings.template == nil { return 0 }  // the minimal Job's one container, named after it
        guard let index = pod.containers.firstIndex(where: { $0.name == name }) else {
            throw ManifestError("\(settings.jobName): CRON_CONTAINER '\(name)' names no container of the template: "
                + pod.containers.map(\.name).joined(separator: ", "))
        }
        return index
    }

    static func removingArgsAndEnv(fromContainer index: Int, of json: JSONValue) -> JSONValue {
        guard case .object(var root) = json, case .object(var spec)? = root["spec"],
            case .object(var template)? = spec["template"], case .object(var pod)? = template["spec"],
            case .array(var containers)? = pod["containers"], containers.indices.contains(index),
            case .object(var first) = containers[index]
        else { return json }
        first["args"] = nil
        first["env"] = nil
        containers[index] = .object(first)
        pod["containers"] = .array(containers)
        template["spec"] = .object(pod)
        spec["template"] = .object(template)
        root["spec"] = .object(spec)
        return .object(root)
    }

    /// The template decoded, or a minimal Job with one container.
    static func base(_ settings: KubernetesJobSettings) throws(ManifestError) -> Job {
        guard let data = settings.template else {
            let container = Container(name: settings.mainContainer ?? containerName, image: settings.image)
            return Job(metadata: ObjectMeta(), spec: JobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [container]))))
        }
        let job: Job
        do {
            job = try KubernetesJSON.decoder.decode(Job.self, from: data)
        } catch {
            throw ManifestError("\(settings.jobName): the template is not a batch/v1 Job: \(error)")
        }
        guard job.kind == "Job", job.apiVersion == "batch/v1" else {
            throw ManifestError("\(settings.jobName): the template is a \(job.apiVersion) \(job.kind), not a batch/v1 Job")
        }
        return job
    }

    /// The run's container: image, `/bin/sh -c COMMAND`, equal requests and limits, environment.
    static func container(
        _ original: Container, for request: RunRequest, settings: KubernetesJobSettings
    ) throws(ManifestError) -> Container {
        var container = original
        if let image = settings.image { container.image = image }
        guard let image = container.image, !image.isEmpty else {
            throw ManifestError("\(settings.jobName): no image: set CRON_IMAGE or give the template's container one")
        }
        if !request.command.isEmpty {
            container.command = ["/bin/sh", "-c", request.command]
            container.args = nil
        }
        var resources = container.resources ?? ResourceRequirements()
        var requests = resources.requests ?? [:]
        var limits = resources.limits ?? [:]
        if let cpu = settings.cpu { requests["cpu"] = cpu }
        if let memory = settings.memory { requests["memory"] = memory }
        for key in ["cpu", "memory"] {
            // Fargate sizes from requests; a limit above them would be a promise it does not keep.
            if let value = requests[key] ?? limits[key] {
                requests[key] = value
                limits[key] = value
            }
        }
        resources.requests = requests.isEmpty ? nil : requests
        resources.limits = limits.isEmpty ? nil : limits
        container.resources = resources.requests == nil && resources.limits == nil ? original.resources : resources

        var environment = container.env ?? []
        var added = request.environment
        added["SCHEDULED_TIME"] = OwnershipLabels.annotationValue(of: request.slot.scheduledAt)
        added["CRON_RUN_ID"] = request.run.description
        environment.removeAll { added[$0.name] != nil }
        for (name, value) in added.sorted(by: { $0.key < $1.key }) { environment.append(EnvVar(name: name, value: value)) }
        container.env = environment
        return container
    }
}
