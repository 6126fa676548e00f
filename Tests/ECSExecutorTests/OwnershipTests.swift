import RunModel
import ECS
import ECSExecutor
import Foundation
import Scheduler
import Testing

/// How tasks are marked: startedBy, tags and clientToken.
struct OwnershipTests {
    let slot = Slot(job: "nightly-report", scheduledAt: Date(timeIntervalSince1970: 1_795_930_200))

    @Test func theClientTokenIsTheSameForASlotAndDiffersForEveryOther() {
        let token = TaskOwnership.clientToken(for: slot)
        #expect(token == TaskOwnership.clientToken(for: slot))
        #expect(token.hasPrefix("nightly-report-") && token.count == "nightly-report-".count + 23)
        #expect(token != TaskOwnership.clientToken(for: Slot(job: slot.job, scheduledAt: slot.scheduledAt.addingTimeInterval(1))))
        #expect(token != TaskOwnership.clientToken(for: Slot(job: "nightly-repor", scheduledAt: slot.scheduledAt)))
        // A manual trigger's slot has milliseconds: they count.
        #expect(token != TaskOwnership.clientToken(for: Slot(job: slot.job, scheduledAt: slot.scheduledAt.addingTimeInterval(0.001))))
    }

    @Test func theClientTokenFitsECSsLimitsForTheLongestJobName() {
        let token = TaskOwnership.clientToken(for: Slot(job: String(repeating: "a", count: 52), scheduledAt: slot.scheduledAt))
        #expect(token.count <= 64 && token.utf8.allSatisfy { (33...126).contains($0) })
    }

    @Test func tagsNameTheJobTheSlotAndTheRun() {
        let request = RunRequest(slot: slot, run: RunID(rawValue: 7), trigger: .catchUp, command: "x", environment: [:], timeout: nil)
        let tags = TaskOwnership.tags(for: request)
        #expect(tags == [
            ECSTag(key: "managed-by", value: "fargate-cron"), ECSTag(key: "fargate-cron/job", value: "nightly-report"),
            ECSTag(key: "fargate-cron/scheduled-at", value: "2026-11-29T05:30:00Z"), ECSTag(key: "fargate-cron/run-id", value: "7"),
            ECSTag(key: "fargate-cron/trigger", value: "catchUp"),
        ])
        var task = ECSTask(taskArn: "arn:aws:ecs:us-east-1:1:task/c/x")
        task.tags = tags
        #expect(TaskOwnership.isTask(task, of: slot))
        #expect(!TaskOwnership.isTask(task, of: Slot(job: slot.job, scheduledAt: slot.scheduledAt.addingTimeInterval(60))))
        #expect(TaskOwnership.startedBy(job: "nightly-report") == "fargate-cron/nightly-report")
    }
}
