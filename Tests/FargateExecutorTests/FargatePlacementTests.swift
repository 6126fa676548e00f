import Foundation
import Kubernetes
import Testing

@testable import FargateExecutor

/// On Fargate or not, read from the pod: a `fargate-` node and the `CapacityProvisioned` annotation.
struct FargatePlacementTests {
    static let box = [ClusterJSON.Box(name: "app", state: ClusterJSON.running)]

    @Test func aFargatePodIsOnFargate() throws {
        let pod = try ClusterJSON.pod(
            phase: "Running", containers: Self.box, node: "fargate-ip-10-0-1-23.ap-northeast-1.compute.internal",
            annotations: ["CapacityProvisioned": "0.25vCPU 0.5GB"])
        #expect(FargatePlacement(pod: pod) == .fargate(node: "fargate-ip-10-0-1-23.ap-northeast-1.compute.internal", capacity: "0.25vCPU 0.5GB"))
        #expect(FargatePlacement(pod: pod).warning == nil)
    }

    @Test func anEC2PodIsNot() throws {
        let pod = try ClusterJSON.pod(phase: "Running", containers: Self.box, node: "ip-10-0-1-23.ap-northeast-1.compute.internal")
        let placement = FargatePlacement(pod: pod)
        #expect(placement == .notFargate(
            node: "ip-10-0-1-23.ap-northeast-1.compute.internal",
            why: "its node ip-10-0-1-23.ap-northeast-1.compute.internal is not a Fargate node and it has no CapacityProvisioned annotation"))
        #expect(placement.warning?.hasPrefix("not on Fargate: its node ip-10-0-1-23") == true)
        #expect(placement.warning?.hasSuffix("(does a Fargate profile select the pod's namespace and labels?)") == true)
    }

    /// Either sign alone is not enough: a node named like Fargate's without Fargate's annotation,
    /// or the annotation copied onto a pod of another node.
    @Test func eitherSignMissingIsNotFargate() throws {
        let unannotated = try ClusterJSON.pod(phase: "Running", containers: Self.box, node: "fargate-ip-10-0-1-23.compute.internal")
        #expect(FargatePlacement(pod: unannotated) == .notFargate(
            node: "fargate-ip-10-0-1-23.compute.internal", why: "it has no CapacityProvisioned annotation"))
        let copied = try ClusterJSON.pod(
            phase: "Running", containers: Self.box, node: "ip-10-0-1-23.compute.internal", annotations: ["CapacityProvisioned": "1vCPU 2GB"])
        #expect(FargatePlacement(pod: copied) == .notFargate(
            node: "ip-10-0-1-23.compute.internal", why: "its node ip-10-0-1-23.compute.internal is not a Fargate node"))
    }

    @Test func aPodNotPlacedYetIsUnknown() throws {
        let pod = try ClusterJSON.pod(containers: Self.box)
        #expect(FargatePlacement(pod: pod) == .unknown && FargatePlacement(pod: pod).warning == nil)
    }
}
