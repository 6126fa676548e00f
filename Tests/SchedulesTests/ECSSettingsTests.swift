import Foundation
import Schedules
import Testing

/// `check` knows ECS: which settings an ecs job needs and may not use, its lists and its task size.
struct ECSSettingsTests {
    /// What an ecs job needs, so that a case tests one thing.
    static let header = """
        CRON_EXECUTOR=ecs
        CRON_ECS_CLUSTER=batch
        CRON_ECS_SUBNETS=subnet-0123abcd
        CRON_ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/exec
        CRON_ECS_LOG_GROUP=/fargate-cron/jobs
        CRON_IMAGE=app:1
        CRON_MEMORY=512Mi

        """

    @Test func everyECSSettingIsRead() throws {
        let parsed = parse("""
            CRON_EXECUTOR=ecs
            CRON_ECS_CLUSTER=arn:aws:ecs:us-east-1:123456789012:cluster/batch
            CRON_ECS_SUBNETS=subnet-0123abcd, subnet-0123456789abcdef0
            CRON_ECS_SECURITY_GROUPS=sg-0123abcd
            CRON_ECS_ASSIGN_PUBLIC_IP=true
            CRON_ECS_CAPACITY_PROVIDERS=FARGATE_SPOT:3,FARGATE:1:2
            CRON_ECS_PLATFORM_VERSION=1.4.0
            CRON_ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/service/exec
            CRON_ECS_TASK_ROLE=arn:aws:iam::123456789012:role/etl
            CRON_ECS_LOG_GROUP=/fargate-cron/etl
            CRON_ECS_LOG_STREAM_PREFIX=etl
            CRON_IMAGE=app:1
            CRON_CPU=0.5
            CRON_MEMORY=1Gi
            CRON_TIMEOUT=1h
            0 1 * * * etl bin/etl

            """)
        #expect(parsed.diagnostics.isEmpty)
        let ecs = try #require(parsed.jobs.first).ecs
        #expect(ecs.cluster == "arn:aws:ecs:us-east-1:123456789012:cluster/batch")
        #expect(ecs.subnets == ["subnet-0123abcd", "subnet-0123456789abcdef0"] && ecs.securityGroups == ["sg-0123abcd"])
        #expect(ecs.assignsPublicIP && ecs.platformVersion == "1.4.0" && ecs.taskDefinition == nil)
        #expect(ecs.capacityProviders == [ECSCapacityProvider(name: "FARGATE_SPOT", weight: 3, base: 0),
                                          ECSCapacityProvider(name: "FARGATE", weight: 1, base: 2)])
        #expect(ecs.executionRole == "arn:aws:iam::123456789012:role/service/exec" && ecs.taskRole == "arn:aws:iam::123456789012:role/etl")
        #expect(ecs.logGroup == "/fargate-cron/etl" && ecs.logStreamPrefix == "etl")
    }

    @Test func aGivenTaskDefinitionNeedsNoImageRoleOrLogGroup() throws {
        let parsed = parse("""
            CRON_EXECUTOR=ecs
            CRON_ECS_CLUSTER=batch
            CRON_ECS_SUBNETS=subnet-0123abcd
            CRON_ECS_TASK_DEFINITION=arn:aws:ecs:us-east-1:123456789012:task-definition/etl:7
            CRON_ECS_CONTAINER=app
            CRON_CPU=1
            CRON_MEMORY=2Gi
            @daily etl bin/etl

            """)
        #expect(parsed.diagnostics.isEmpty)
        #expect(parsed.jobs.first?.ecs.taskDefinition == "arn:aws:ecs:us-east-1:123456789012:task-definition/etl:7")
        #expect(parsed.jobs.first?.ecs.container == "app")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var text: String
        var expected: [String]
        var testDescription: String { label }
    }

    @Test(arguments: [
        Case(label: "no cluster and no subnets", text: "CRON_EXECUTOR=ecs\nCRON_IMAGE=app:1\nCRON_MEMORY=512Mi\nCRON_ECS_EXECUTION_ROLE=arn:aws:iam::123456789012:role/e\nCRON_ECS_LOG_GROUP=g\n@daily etl bin/etl\n",
             expected: ["t.cron:6:8: error: ecs job 'etl' needs CRON_ECS_CLUSTER",
                        "t.cron:6:8: error: ecs job 'etl' needs CRON_ECS_SUBNETS (a Fargate task's network interface is in one of them)"]),
        Case(label: "a bad subnet in the list, located at it", text: header.replacingOccurrences(of: "CRON_ECS_SUBNETS=subnet-0123abcd", with: "CRON_ECS_SUBNETS=subnet-0123abcd, subnet-XYZ") + "@daily etl bin/etl\n",
             expected: ["t.cron:3:35: error: 'subnet-XYZ' in CRON_ECS_SUBNETS is not valid; expected a subnet id: subnet- and 8 or 17 hex digits"]),
        Case(label: "a repeated security group", text: header + "CRON_ECS_SECURITY_GROUPS=sg-0123abcd,sg-0123abcd\n@daily etl bin/etl\n",
             expected: ["t.cron:8:38: error: 'sg-0123abcd' appears twice in CRON_ECS_SECURITY_GROUPS"]),
        Case(label: "too many security groups", text: header + "CRON_ECS_SECURITY_GROUPS=" + (1...6).map { "sg-0000000\($0)" }.joined(separator: ",") + "\n@daily etl bin/etl\n",
             expected: ["t.cron:8:26: error: CRON_ECS_SECURITY_GROUPS lists 6 entries; ECS takes at most 5"]),
        Case(label: "an empty entry", text: header + "CRON_ECS_SECURITY_GROUPS=sg-0123abcd,,sg-0123abce\n@daily etl bin/etl\n",
             expected: ["t.cron:8:38: error: '' in CRON_ECS_SECURITY_GROUPS is not valid; expected a security group id: sg- and 8 or 17 hex digits"]),
        Case(label: "a capacity provider that is not Fargate's", text: header + "CRON_ECS_CAPACITY_PROVIDERS=FARGATE_SPOT, EC2\n@daily etl bin/etl\n",
             expected: ["t.cron:8:43: error: 'EC2' in CRON_ECS_CAPACITY_PROVIDERS is not valid; expected FARGATE or FARGATE_SPOT, with an optional :weight (0-1000) and :base (0-100000)"]),
        Case(label: "the default size is no task size", text: header.replacingOccurrences(of: "CRON_MEMORY=512Mi\n", with: "") + "@daily etl bin/etl\n",
             expected: ["t.cron:7:8: error: CPU 250m (CRON_CPU is not set) and memory 256Mi (CRON_MEMORY is not set) are not a Fargate task size; with 0.25 vCPU ECS takes 512Mi, 1Gi or 2Gi of memory"]),
        Case(label: "a size ECS does not round up", text: header + "CRON_CPU=1\nCRON_MEMORY=9Gi\n@daily etl bin/etl\n",
             expected: ["t.cron:10:8: error: CPU 1 and memory 9Gi are not a Fargate task size; with 1 vCPU ECS takes 2Gi to 8Gi of memory, in steps of 1Gi"]),
        Case(label: "a CPU Fargate has not", text: header + "CRON_CPU=3\nCRON_MEMORY=8Gi\n@daily etl bin/etl\n",
             expected: ["t.cron:10:8: error: CPU 3 and memory 8Gi are not a Fargate task size; ECS tasks take 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU"]),
        Case(label: "Kubernetes settings, at their assignments", text: "CRON_NAMESPACE=batch\nCRON_RETRIES=2\n" + header + "@daily etl bin/etl\n@daily etl2 bin/etl\n",
             expected: ["t.cron:1:1: error: CRON_NAMESPACE does not apply to ecs job 'etl': it describes a Kubernetes Job",
                        "t.cron:2:1: error: CRON_RETRIES does not apply to ecs job 'etl': it describes a Kubernetes Job"]),
        Case(label: "a registered definition's settings beside a given one",
             text: header + "CRON_ECS_TASK_DEFINITION=etl\n@daily etl bin/etl\n",
             expected: ["t.cron:6:1: error: CRON_IMAGE does not apply to ecs job 'etl': CRON_ECS_TASK_DEFINITION names a definition that has its own",
                        "t.cron:4:1: error: CRON_ECS_EXECUTION_ROLE does not apply to ecs job 'etl': CRON_ECS_TASK_DEFINITION names a definition that has its own",
                        "t.cron:5:1: error: CRON_ECS_LOG_GROUP does not apply to ecs job 'etl': CRON_ECS_TASK_DEFINITION names a definition that has its own"]),
        Case(label: "a container without a given definition", text: header + "CRON_ECS_CONTAINER=app\n@daily etl bin/etl\n",
             expected: ["t.cron:8:1: error: CRON_ECS_CONTAINER does not apply to ecs job 'etl': it names a container of CRON_ECS_TASK_DEFINITION, which is not set"]),
        Case(label: "ECS settings on a kubernetes job", text: "CRON_IMAGE=app:1\nCRON_ECS_CLUSTER=batch\n@daily job run\n",
             expected: ["t.cron:2:1: error: CRON_ECS_CLUSTER does not apply to kubernetes job 'job': CRON_ECS_ settings are for jobs with CRON_EXECUTOR=ecs"]),
        Case(label: "a malformed role and task definition", text: header + "CRON_ECS_TASK_ROLE=etl-role\nCRON_ECS_TASK_DEFINITION=arn:aws:ecs:us-east-1:123456789012:task-definition/etl\n@daily etl bin/etl\n",
             expected: ["t.cron:8:20: error: CRON_ECS_TASK_ROLE 'etl-role' is not valid; expected an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
                        "t.cron:9:26: error: CRON_ECS_TASK_DEFINITION 'arn:aws:ecs:us-east-1:123456789012:task-definition/etl' is not valid; expected a task definition family, family:revision or ARN"]),
        Case(label: "a typo in an ECS setting's name", text: header + "CRON_ECS_SUBNET=subnet-0123abcd\n@daily etl bin/etl\n",
             expected: ["t.cron:8:1: error: unknown setting CRON_ECS_SUBNET; did you mean CRON_ECS_SUBNETS?"]),
    ])
    func mistakesAreLocated(_ c: Case) {
        let parsed = parse(c.text)
        #expect(parsed.diagnostics.map(\.description) == c.expected, "\(c.label)")
        #expect(!parsed.isValid)
    }

    /// Every pair Fargate offers ECS tasks is accepted exactly.
    @Test func everyFargateTaskSizeIsAccepted() {
        for size in FargateSize.all {
            let cpu = ResourceQuantity(Substring("\(size.milliCPU)m"))!
            let memory = ResourceQuantity(Substring("\(size.memoryMiB)Mi"))!
            #expect(FargateSize.task(cpu: cpu, memory: memory) == size)
        }
        #expect(FargateSize.task(cpu: ResourceQuantity("2")!, memory: ResourceQuantity("4.5Gi")!) == nil)
        #expect(FargateSize.task(cpu: ResourceQuantity("0.25")!, memory: ResourceQuantity("536870913")!) == nil)
    }
}
