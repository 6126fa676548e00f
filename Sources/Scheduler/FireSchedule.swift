public import Foundation

/// What the scheduler needs from a schedule: its fire times in a time zone.
///
/// `CronExpression` is the schedule users write; the core sees only this role, so its tests can also
/// drive it with schedules built for a scenario.
public protocol FireSchedule: Sendable, CustomStringConvertible {
    /// Whether the schedule is `@reboot`: it fires once when the daemon starts, and never on a timer.
    var isReboot: Bool { get }
    /// The first fire time strictly after `instant`, or `nil` if there is none.
    func nextFireDate(after instant: Date, in zone: TimeZone) -> Date?
    /// The last fire time strictly before `instant`, or `nil` if there is none.
    func previousFireDate(before instant: Date, in zone: TimeZone) -> Date?
}
