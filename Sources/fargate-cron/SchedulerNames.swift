import Scheduler

// The Scheduler module has a type named Scheduler, so `Scheduler.Slot` cannot name its types where
// the Ledger's and Schedules' types of the same names are in scope too. This file sees only the
// Scheduler's.
typealias SchedulerSlot = Slot
typealias SchedulerRunID = RunID
typealias SchedulerRunState = RunState
typealias SchedulerConcurrencyPolicy = ConcurrencyPolicy
typealias SchedulerCatchUpPolicy = CatchUpPolicy
typealias SchedulerExecutorKind = ExecutorKind
