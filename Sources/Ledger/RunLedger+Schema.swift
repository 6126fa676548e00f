import GRDB

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
            let triggers = Trigger.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
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
        return migrator
    }()
}
