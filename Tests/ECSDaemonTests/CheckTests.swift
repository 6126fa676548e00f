import Foundation
import TestSupport
import Testing

/// `fargate-cron check` on ecs jobs, run as the real binary: every mistake located at FILE:LINE:COL.
@Suite("fargate-cron check, ecs jobs")
struct CheckTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    @Test func everyMistakeIsLocated() throws {
        let run = try FargateCronBinary.run(["check", "Fixtures/ecs-mistakes.cron"], in: Self.folder)
        #expect(run.status == 1)
        #expect(run.stdout == """
            Fixtures/ecs-mistakes.cron:4:44: error: 'subnet-12' in CRON_ECS_SUBNETS is not valid; expected a subnet id: subnet- and 8 or 17 hex digits
            Fixtures/ecs-mistakes.cron:5:38: error: 'sg-0123abcd' appears twice in CRON_ECS_SECURITY_GROUPS
            Fixtures/ecs-mistakes.cron:8:1: error: unknown setting CRON_ECS_LOGGROUP; did you mean CRON_ECS_LOG_GROUP?
            Fixtures/ecs-mistakes.cron:12:1: error: CRON_NAMESPACE does not apply to ecs job 'nightly-etl': it describes a Kubernetes Job
            Fixtures/ecs-mistakes.cron:13:13: error: CPU 1 and memory 12Gi are not a Fargate task size; with 1 vCPU ECS takes 2Gi to 8Gi of memory, in steps of 1Gi

            """)
        #expect(run.stderr == "checked 1 file, 0 jobs: 5 errors, 0 warnings\n")
    }

    /// A job that sets no task size gets CPU 250m and memory 256Mi, which Fargate does not offer:
    /// the error at the job says which of the two were left unset. Memory alone is enough (0.25 vCPU).
    @Test func aMissingTaskSizeIsLocatedAtTheJobAndNamesTheUnsetSettings() throws {
        let run = try FargateCronBinary.run(["check", "Fixtures/ecs-no-size.cron"], in: Self.folder)
        #expect(run.status == 1)
        #expect(run.stdout == """
            Fixtures/ecs-no-size.cron:8:13: error: CPU 250m (CRON_CPU is not set) and memory 256Mi (CRON_MEMORY is not set) are not a Fargate task size; with 0.25 vCPU ECS takes 512Mi, 1Gi or 2Gi of memory
            Fixtures/ecs-no-size.cron:10:13: error: CPU 2 and memory 256Mi (CRON_MEMORY is not set) are not a Fargate task size; with 2 vCPU ECS takes 4Gi to 16Gi of memory, in steps of 1Gi

            """)
        #expect(run.stderr == "checked 1 file, 0 jobs: 2 errors, 0 warnings\n")
    }

    @Test func theExampleECSJobsAreValid() throws {
        let run = try FargateCronBinary.run(["check", "crontabs/ecs.cron", "--json"], in: Self.folder.deletingLastPathComponent().deletingLastPathComponent())
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("\"valid\" : true"))
    }
}
