import GRDB
import RunModel

extension RunLedger {
    /// Schema v3, the executor-neutral run: `executor` says which executor started the run and
    /// `handle`/`handle_uid` hold what finds it again — a Kubernetes Job's `NAMESPACE/NAME` and uid,
    /// a local process's `pid=… start=…`, an ECS task's ARN — the same columns for every executor.
    /// v2 kept them in `kubernetes_job`/`kubernetes_uid`, a local run's pid included, so the executor
    /// had to be guessed back from a string. The pod report's columns stay: optional detail.
    ///
    /// The trigger also widens to every reason a run is asked for (`catchUp` and `reboot` were
    /// recorded as `scheduled`). SQLite cannot change a column's CHECK, so the table is rebuilt in
    /// the migration's transaction: every row is copied with its id, and AUTOINCREMENT's counter is
    /// carried over so that an id pruned before the upgrade is still never reused.
    ///
    /// Room is left for what comes next: a v4 migration may add columns (the hosts that started
    /// and finished a run) with ALTER TABLE, as v2 did.
    static func migrateToVersion3(_ db: Database) throws {
        let states = RunState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let active = RunState.activeStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let triggers = Trigger.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let policies = ConcurrencyPolicy.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let executors = ExecutorKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let causes = FailureCause.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let platform = FailureCause.allCases.filter { $0.origin == .platform }
            .map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let kept = """
            id, job, scheduled_at, trigger, policy, state, recorded_at, created_at, running_at, finished_at, \
            pod, capacity, exit_code, reason, blocked_by, billed_ms, node, pod_count, pod_created_at, \
            pod_scheduled_at, pod_finished_at, pod_deleted_at, price_micros, failure_cause, output_lines, reported_at
            """
        let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'run'")
        try db.execute(
            sql: """
                CREATE TABLE run_v3 (
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
                    -- Which executor started the run (NULL until it started), and what finds it again.
                    executor TEXT CHECK (executor IN (\(executors))),
                    handle TEXT,
                    handle_uid TEXT,
                    pod TEXT,
                    capacity TEXT,
                    exit_code INTEGER,
                    reason TEXT,
                    blocked_by INTEGER,
                    billed_ms INTEGER,
                    node TEXT,
                    pod_count INTEGER CHECK (pod_count >= 0),
                    pod_created_at INTEGER,
                    pod_scheduled_at INTEGER,
                    pod_finished_at INTEGER,
                    pod_deleted_at INTEGER,
                    price_micros INTEGER CHECK (price_micros >= 0),
                    failure_cause TEXT CHECK (failure_cause IN (\(causes))),
                    failure_kind TEXT GENERATED ALWAYS AS (
                        CASE WHEN failure_cause IN (\(platform)) THEN 'platform'
                             WHEN failure_cause IS NOT NULL THEN 'job' END) VIRTUAL,
                    output_lines INTEGER CHECK (output_lines >= 0),
                    reported_at INTEGER,
                    -- A started run knows its executor and its handle; a run that never started has neither.
                    CHECK ((executor IS NULL) = (handle IS NULL)),
                    -- Once per slot.
                    UNIQUE (job, scheduled_at)
                ) STRICT;
                INSERT INTO run_v3 (\(kept), executor, handle, handle_uid)
                    SELECT \(kept), \(Run.handleFromVersion2.joined(separator: ", ")) FROM run;
                DROP TABLE run;
                ALTER TABLE run_v3 RENAME TO run;
                -- No overlap: at most one active run per job among runs recorded under forbid.
                CREATE UNIQUE INDEX run_one_active_per_forbidding_job ON run(job)
                    WHERE policy = 'forbid' AND state IN (\(active));
                -- Reconciling and status: the active runs, whatever their policy.
                CREATE INDEX run_active ON run(job) WHERE state IN (\(active));
                -- History of all jobs, and retention.
                CREATE INDEX run_by_scheduled_at ON run(scheduled_at);
                PRAGMA user_version = 3;
                """)
        // Dropping the old table dropped its AUTOINCREMENT counter; the copy's counter is the
        // largest id copied, which is lower if the newest runs had been pruned.
        if let sequence {
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'run'")
            try db.execute(
                sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('run', max(?, coalesce((SELECT max(id) FROM run), 0)))",
                arguments: [sequence])
        }
    }
}
