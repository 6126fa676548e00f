-- user_version 1; migrations: v1: runs
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
CREATE TABLE run (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL CHECK (length(job) BETWEEN 1 AND 63),
    scheduled_at INTEGER NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    policy TEXT NOT NULL CHECK (policy IN ('forbid', 'allow', 'replace')),
    state TEXT NOT NULL CHECK (state IN ('intended', 'started', 'running', 'succeeded', 'failed', 'cancelled', 'replaced', 'skipped', 'missed', 'suspended')),
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
CREATE INDEX run_active ON run(job) WHERE state IN ('intended', 'started', 'running');
CREATE INDEX run_by_scheduled_at ON run(scheduled_at);
CREATE UNIQUE INDEX run_one_active_per_forbidding_job ON run(job)
    WHERE policy = 'forbid' AND state IN ('intended', 'started', 'running');
