import FargateExecutor
import Foundation
import Kubernetes

extension KubeClient {
    /// The pods fargate-cron owns in the jobs' namespaces that finished but still exist: Fargate
    /// bills each until it is deleted. One line each, `NAMESPACE/POD (phase, finished at TIME)`; a
    /// namespace that cannot be listed gives a line saying so.
    func finishedPods(in jobs: [KubernetesJobSettings]) async -> [String] {
        var lines: [String] = []
        for namespace in Set(jobs.map(\.namespace)).sorted() {
            do {
                let pods = try await list(Pod.self, in: namespace, labelSelector: OwnershipLabels.ownedSelector).items
                for pod in pods where pod.status?.isFinished == true {
                    let finished = PodTimeline(pod: pod).finishedAt.map { ", finished at \($0.formatted(.iso8601))" } ?? ""
                    lines.append("\(namespace)/\(pod.metadata.name ?? "?") (\(pod.status?.phase ?? "finished")\(finished))")
                }
            } catch {
                lines.append("\(namespace): cannot list pods: \(error)")
            }
        }
        return lines.sorted()
    }
}
