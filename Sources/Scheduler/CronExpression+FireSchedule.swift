public import CronExpression

/// The schedules users write are cron expressions.
extension CronExpression: FireSchedule {}
