import GRDB
import RunModel

extension RunLedger {
    /// The schema, one migration per version; each sets `PRAGMA user_version` to its number so
    /// that an older fargate-cron recognises a newer file and refuses it.
    ///
    /// Times are INTEGER milliseconds since 1970 (UTC): exact, compact, and ordered.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs") { db in
            let states = RunState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let active = RunState.activeStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            // A migration never changes once released: v1 knew these two triggers (v3 adds the others).
            let triggers = "'scheduled', 'manual'"
            let policies = ConcurrencyPolicy.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        job TEXT NOT NULL CHECK (length(job) BETWEEN 1 AND 63),
                        scheduled_at INTEGER NOT NULL,
                        trigger TEXT NOT NULL CHECK (trigger IN (\(triggers))),
                        policy TEXT NOT NULL CHECK (policy IN (\(policies))),
                        state TEXT NOT NULL CHECK (state IN (\(states))),
                        recorded_at INTEGER NOT NULL,
                        created_at INTEGER,
                        running_at INTEGER,
                        finished_at INTEGER,
                        kubernetes_job TEXT,
                        kubernetes_uid TEXT,
                        pod TEXT,
                        capacity TEXT,
                        exit_code INTEGER,
                        reason TEXT,
                        blocked_by INTEGER,
                        billed_ms INTEGER,
                        -- Once per slot.
                        UNIQUE (job, scheduled_at)
                    ) STRICT;
                    -- No overlap: at most one active run per job among runs recorded under forbid.
                    CREATE UNIQUE INDEX run_one_active_per_forbidding_job ON run(job)
                        WHERE policy = 'forbid' AND state IN (\(active));
                    -- Reconciling and status: the active runs, whatever their policy.
                    CREATE INDEX run_active ON run(job) WHERE state IN (\(active));
                    -- History of all jobs, and retention.
                    CREATE INDEX run_by_scheduled_at ON run(scheduled_at);
                    PRAGMA user_version = 1;
                    """
            )
        }
        migrator.registerMigration("v2: pod reports") { db in
            // What the executor reports once a run's pods are deleted (``PodReport``). Added with
            // ALTER TABLE, so that a v1 file upgrades in place, in one transaction, without copying rows.
            let causes = FailureCause.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let platform = FailureCause.allCases.filter { $0.origin == .platform }
                .map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    ALTER TABLE run ADD COLUMN node TEXT;
                    ALTER TABLE run ADD COLUMN pod_count INTEGER CHECK (pod_count >= 0);
                    ALTER TABLE run ADD COLUMN pod_created_at INTEGER;
                    ALTER TABLE run ADD COLUMN pod_scheduled_at INTEGER;
                    ALTER TABLE run ADD COLUMN pod_finished_at INTEGER;
                    ALTER TABLE run ADD COLUMN pod_deleted_at INTEGER;
                    ALTER TABLE run ADD COLUMN price_micros INTEGER CHECK (price_micros >= 0);
                    ALTER TABLE run ADD COLUMN failure_cause TEXT CHECK (failure_cause IN (\(causes)));
                    ALTER TABLE run ADD COLUMN failure_kind TEXT GENERATED ALWAYS AS (
                        CASE WHEN failure_cause IN (\(platform)) THEN 'platform'
                             WHEN failure_cause IS NOT NULL THEN 'job' END) VIRTUAL;
                    ALTER TABLE run ADD COLUMN output_lines INTEGER CHECK (output_lines >= 0);
                    ALTER TABLE run ADD COLUMN reported_at INTEGER;
                    PRAGMA user_version = 2;
                    """
            )
        }
        migrator.registerMigration("v3: executor-neutral runs", migrate: migrateToVersion3)
        migrator.registerMigration("v4: hosts") { db in
            // With several hosts electing a leader (--lease), which host started a run and which
            // recorded its end: a run started by one leader may be finished by the next. Added with
            // ALTER TABLE, as v2 did: a v3 file upgrades in place, without copying rows.
            try db.execute(
                sql: """
                    ALTER TABLE run ADD COLUMN started_by TEXT;
                    ALTER TABLE run ADD COLUMN finished_by TEXT;
                    PRAGMA user_version = 4;
                    """)
        }
        migrator.registerMigration("v5: placement and start failures", migrate: migrateToPlacement)
        return migrator
    }()
}
