import GRDB

extension RunLedger {
    /// Where a run's pod ran and what kept a run from starting (``Placement``, ``StartFailure``):
    /// schema v5, three columns added with ALTER TABLE, so that an older file upgrades in place without copying
    /// rows, and so that this migration stays independent of others added beside it (the hosts
    /// that ran a run come in a migration of their own).
    ///
    /// The CHECK lists are written out rather than computed from the Swift enums: a released
    /// migration never changes, and a new value takes a new migration.
    static func migrateToPlacement(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE run ADD COLUMN placement TEXT CHECK (placement IN ('fargate', 'not-fargate'));
                ALTER TABLE run ADD COLUMN placement_note TEXT;
                ALTER TABLE run ADD COLUMN start_failure TEXT CHECK (start_failure IN (
                    'admission-refused', 'quota-exceeded', 'service-account-missing', 'pod-refused', 'image-pull',
                    'invalid-image', 'container-config', 'unschedulable'));
                PRAGMA user_version = 5;
                """)
    }
}
