import AWS
import ECS
import ECSTestSupport
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// The ECS and CloudWatch Logs clients against moto (signatures checked) behind the ECS front.
@Suite(.enabled(if: Moto.isAvailable, "needs moto (scripts/peers/moto.sh, started by scripts/test)"), .timeLimit(.minutes(3)))
struct ClientAgainstMotoTests {
    let front: MotoFront
    let cluster = Moto.unique("client")
    let network: MotoFront.Network

    init() async throws {
        front = try MotoFront.shared()
        network = try await front.setup(cluster: cluster, logGroup: "/fargate-cron/tests")
    }

    func definition(_ family: String, cpu: String = "256", memory: String = "512") -> TaskDefinition {
        TaskDefinition(
            family: family,
            containerDefinitions: [ContainerDefinition(
                name: "main", image: "busybox", command: ["/bin/sh", "-c", "echo one; echo two; echo three"],
                logConfiguration: LogConfiguration(logDriver: "awslogs", options: [
                    "awslogs-group": "/fargate-cron/tests", "awslogs-region": Moto.region, "awslogs-stream-prefix": "t",
                ]))],
            cpu: cpu, memory: memory, executionRoleArn: "arn:aws:iam::123456789012:role/exec")
    }

    func runRequest(_ taskDefinition: String, token: String? = nil) -> RunTaskRequest {
        RunTaskRequest(
            cluster: cluster, taskDefinition: taskDefinition, launchType: "FARGATE",
            networkConfiguration: NetworkConfiguration(awsvpcConfiguration: AwsVpcConfiguration(
                subnets: [network.subnets[0]], securityGroups: network.securityGroups, assignPublicIp: "DISABLED")),
            startedBy: "fargate-cron/client-test", tags: [ECSTag(key: "managed-by", value: "fargate-cron")], clientToken: token)
    }

    @Test func aSignedRegistrationIsDescribedBackWithItsTags() async throws {
        let ecs = front.ecs()
        let family = Moto.unique("family")
        let made = try await ecs.registerTaskDefinition(definition(family), tags: [ECSTag(key: "k", value: "v")])
        #expect(made.family == family && made.revision == 1 && made.cpu == "256" && made.memory == "512")
        let described = try #require(try await ecs.describeTaskDefinition(family))
        #expect(described.definition.taskDefinitionArn == made.taskDefinitionArn)
        #expect(described.tags == [ECSTag(key: "k", value: "v")])
        #expect(described.definition.containerDefinitions.first?.logConfiguration?.awslogsStream(container: "main", taskID: "abc")
                == AWSLogsStream(group: "/fargate-cron/tests", stream: "t/main/abc", region: Moto.region))
        #expect(try await ecs.describeTaskDefinition(Moto.unique("nothing")) == nil)
    }

    /// moto checks the signature of what the front passes on; the front checks what it rewrites.
    @Test(arguments: ["DescribeTaskDefinition", "RegisterTaskDefinition"])
    func aWrongSecretIsRefusedWithAWSsCode(_ operation: String) async throws {
        let ecs = front.ecs(secret: "not-the-secret")
        do {
            if operation == "RegisterTaskDefinition" {
                _ = try await ecs.registerTaskDefinition(definition(Moto.unique("family")), tags: [])
            } else {
                _ = try await ecs.describeTaskDefinition("whatever")
            }
            Issue.record("a request signed with the wrong secret was accepted")
        } catch {
            #expect(error.code == "InvalidSignatureException", "\(error)")
            #expect(!error.isTransient)
        }
    }

    @Test func fargateRefusalsCarryECSsCodeAndMessage() async throws {
        let ecs = front.ecs()
        await #expect {
            _ = try await ecs.registerTaskDefinition(definition(Moto.unique("family"), cpu: "256", memory: "256"), tags: [])
        } throws: { error in
            let error = try #require(error as? ECSError)
            guard case .api(let api) = error else { return false }
            return api.code == "ClientException" && api.status == 400
                && api.message.contains("No Fargate configuration exists for given values: 256 CPU, 256 memory")
        }
        await #expect {
            try await ecs.stopTask(cluster: cluster, task: "arn:aws:ecs:us-east-1:123456789012:task/\(cluster)/0000", reason: "r")
        } throws: { ($0 as? ECSError)?.code == "InvalidParameterException" }
    }

    @Test func aTaskRunsStopsAndItsOutputIsReadPageByPageToTheEnd() async throws {
        let ecs = front.ecs()
        let logs = front.logs()
        let made = try await ecs.registerTaskDefinition(definition(Moto.unique("family")), tags: [])
        let started = try await ecs.runTask(runRequest(try #require(made.taskDefinitionArn)))
        #expect(started.failures.isEmpty)
        let task = try #require(started.tasks.first)
        #expect(task.lastStatus == "PROVISIONING" && task.createdAt != nil)
        var last = task
        let stopped = try await poll(within: .seconds(20)) {
            last = try #require(try await ecs.describeTasks(cluster: cluster, tasks: [task.taskArn]).tasks.first)
            return last.isStopped
        }
        #expect(stopped)
        #expect(last.container(named: "main")?.exitCode == 0)
        #expect(last.stopCode == "EssentialContainerExited" && last.pullStartedAt != nil && last.stoppedAt != nil)
        let stream = "t/main/\(task.id)"
        let first = try #require(try await logs.events(group: "/fargate-cron/tests", stream: stream, after: nil))
        #expect(first.events.map(\.message) == ["one", "two", "three"])
        // At the end of the stream the next token is the one sent, and no events come.
        let end = try #require(try await logs.events(group: "/fargate-cron/tests", stream: stream, after: first.nextForwardToken))
        #expect(end.events.isEmpty && end.nextForwardToken == first.nextForwardToken)
        #expect(try await logs.events(group: "/fargate-cron/tests", stream: "t/main/none", after: nil) == nil)
    }

    @Test func aClientTokenStartsOneTaskHoweverOftenItIsSent() async throws {
        let ecs = front.ecs()
        let made = try await ecs.registerTaskDefinition(definition(Moto.unique("family")), tags: [])
        let arn = try #require(made.taskDefinitionArn)
        let token = Moto.unique("token")
        let first = try await ecs.runTask(runRequest(arn, token: token))
        let second = try await ecs.runTask(runRequest(arn, token: token))
        #expect(first.tasks.map(\.taskArn) == second.tasks.map(\.taskArn) && first.tasks.count == 1)
        var changed = runRequest(arn, token: token)
        changed.startedBy = "someone-else"
        await #expect { _ = try await ecs.runTask(changed) } throws: { ($0 as? ECSError)?.code == "ConflictException" }
        #expect(try await front.tasks().filter { $0.clientToken == token }.count == 1)
    }

    @Test func listTasksFollowsEveryPage() async throws {
        // Its own front: the page size is the front's.
        let front = try MotoFront()
        let network = try await front.setup(cluster: cluster)
        let ecs = front.ecs()
        let made = try await ecs.registerTaskDefinition(definition(Moto.unique("family")), tags: [])
        let arn = try #require(made.taskDefinitionArn)
        var started: Set<String> = []
        for _ in 0..<5 {
            var request = runRequest(arn)
            request.networkConfiguration?.awsvpcConfiguration.subnets = [network.subnets[0]]
            request.overrides = TaskOverride(containerOverrides: [ContainerOverride(name: "main", command: ["sleep", "20"])])
            started.formUnion(try await ecs.runTask(request).tasks.map(\.taskArn))
        }
        try await front.setListPageSize(2)
        let listed = try await ecs.listTasks(cluster: cluster, startedBy: "fargate-cron/client-test")
        #expect(Set(listed) == started && listed.count == 5)
        for task in started { try await ecs.stopTask(cluster: cluster, task: task, reason: "test over") }
        #expect(try await ecs.listTasks(cluster: cluster, startedBy: "fargate-cron/client-test").isEmpty)
        let stopping = try await ecs.listTasks(cluster: cluster, startedBy: "fargate-cron/client-test", desiredStatus: "STOPPED")
        #expect(Set(stopping) == started)
    }
}
