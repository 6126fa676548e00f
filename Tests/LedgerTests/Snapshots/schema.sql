-- user_version 5; migrations: v1: runs, v2: pod reports, v3: executor-neutral runs, v4: hosts, v5: placement and start failures
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "run" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL CHECK (length(job) BETWEEN 1 AND 63),
    scheduled_at INTEGER NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'catchUp', 'manual', 'reboot')),
    policy TEXT NOT NULL CHECK (policy IN ('forbid', 'allow', 'replace')),
    state TEXT NOT NULL CHECK (state IN ('intended', 'started', 'running', 'succeeded', 'failed', 'cancelled', 'replaced', 'skipped', 'missed', 'suspended')),
    recorded_at INTEGER NOT NULL,
    created_at INTEGER,
    running_at INTEGER,
    finished_at INTEGER,
    -- Which executor started the run (NULL until it started), and what finds it again.
    executor TEXT CHECK (executor IN ('kubernetes', 'local', 'ecs')),
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
    failure_cause TEXT CHECK (failure_cause IN ('exit-status', 'out-of-memory', 'deadline-exceeded', 'evicted', 'pending-timeout')),
    failure_kind TEXT GENERATED ALWAYS AS (
        CASE WHEN failure_cause IN ('evicted', 'pending-timeout') THEN 'platform'
             WHEN failure_cause IS NOT NULL THEN 'job' END) VIRTUAL,
    output_lines INTEGER CHECK (output_lines >= 0),
    reported_at INTEGER, started_by TEXT, finished_by TEXT, placement TEXT CHECK (placement IN ('fargate', 'not-fargate')), placement_note TEXT, start_failure TEXT CHECK (start_failure IN (
    'admission-refused', 'quota-exceeded', 'service-account-missing', 'pod-refused', 'image-pull',
    'invalid-image', 'container-config', 'unschedulable')),
    -- A started run knows its executor and its handle; a run that never started has neither.
    CHECK ((executor IS NULL) = (handle IS NULL)),
    -- Once per slot.
    UNIQUE (job, scheduled_at)
) STRICT;
CREATE INDEX run_active ON run(job) WHERE state IN ('intended', 'started', 'running');
CREATE INDEX run_by_scheduled_at ON run(scheduled_at);
CREATE UNIQUE INDEX run_one_active_per_forbidding_job ON run(job)
    WHERE policy = 'forbid' AND state IN ('intended', 'started', 'running');
