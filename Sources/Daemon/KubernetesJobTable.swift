import CronExpression
public import FargateExecutor
import RunModel
import Scheduler
public import Schedules
import Synchronization

/// The Kubernetes settings of every `kubernetes` job now loaded, by job name: what the executor
/// looks up when it starts, follows or sweeps a job's runs. Replaced whole on each reload, so a
/// reload never leaves a job half-updated.
public final class KubernetesJobTable: Sendable {
    private let settings = Mutex<[String: KubernetesJobSettings]>([:])

    /// The table of `specs`' `kubernetes` jobs.
    public init(_ specs: [JobSpec]) { replace(with: specs) }

    /// Takes the jobs of a (re)loaded schedule set; jobs of other executors are left out.
    public func replace(with specs: [JobSpec]) {
        let table = Dictionary(
            specs.filter { $0.executor == .kubernetes }.map { ($0.name.rawValue, KubernetesJobSettings($0)) },
            uniquingKeysWith: { first, _ in first })
        settings.withLock { $0 = table }
    }

    /// The settings of `job`, or `nil` when it is not a loaded `kubernetes` job.
    public func settings(of job: String) -> KubernetesJobSettings? { settings.withLock { $0[job] } }

    /// Every loaded `kubernetes` job's settings, by name.
    public var all: [KubernetesJobSettings] { settings.withLock { $0.values.sorted { $0.jobName < $1.jobName } } }
}

extension KubernetesJobSettings {
    /// A schedule file's job as the executor needs it.
    init(_ spec: JobSpec) {
        self.init(
            jobName: spec.name.rawValue, namespace: spec.namespace, image: spec.image, cpu: spec.mainContainerCPU.text,
            memory: spec.mainContainerMemory.text, template: spec.template?.manifest, serviceAccount: spec.serviceAccount,
            retries: spec.retries, timeout: spec.timeout, keepSucceeded: spec.keepSucceeded, keepFailed: spec.keepFailed,
            podTTL: spec.podTTL, pendingTimeout: spec.pendingTimeout,
            concurrency: spec.concurrency,
            scheduleHasSeconds: spec.schedule.firesWithinMinutes,
            labels: Dictionary(spec.labels.map { ($0.key, $0.value) }, uniquingKeysWith: { _, later in later }),
            annotations: Dictionary(spec.annotations.map { ($0.key, $0.value) }, uniquingKeysWith: { _, later in later }),
            mainContainer: spec.container)
    }
}
