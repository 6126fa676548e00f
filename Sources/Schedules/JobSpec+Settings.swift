/// The settings and environment a job takes from the lines above it, shared by every job of a file
/// written under the same ones.
///
/// Immutable: changing one setting of one job gives that job a new instance, so sharing is never seen.
final class InheritedSettings: Sendable {
    let values: SettingValues
    let environment: [EnvironmentVariable]

    init(values: SettingValues, environment: [EnvironmentVariable]) {
        self.values = values
        self.environment = environment
    }

    /// Whether both hold the same settings and environment.
    func hasSameContent(as other: InheritedSettings) -> Bool {
        self === other || (values == other.values && environment == other.environment)
    }

    /// These settings with one change, as a new instance.
    func with(_ change: (inout SettingValues) -> Void) -> InheritedSettings {
        var values = values
        change(&values)
        return InheritedSettings(values: values, environment: environment)
    }
}

extension JobSpec {
    /// A `CRON_` setting in force at the job's line: `job.timeZone`, `job.cpu`, `job.concurrency`, …
    /// (the list, with each setting's meaning, is `SettingValues`). Setting one changes this job only.
    public subscript<Value>(dynamicMember setting: WritableKeyPath<SettingValues, Value>) -> Value {
        get { inherited.values[keyPath: setting] }
        set { inherited = inherited.with { $0[keyPath: setting] = newValue } }
    }

    /// The container's environment: the file's non-`CRON_` assignments above the job, in order.
    public var environment: [EnvironmentVariable] {
        get { inherited.environment }
        set { inherited = InheritedSettings(values: inherited.values, environment: newValue) }
    }
}
