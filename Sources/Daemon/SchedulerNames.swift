public import Scheduler

// The Scheduler module has a type named Scheduler, so `Scheduler.Slot` cannot name its types where
// the Ledger's and Schedules' types of the same names are in scope too. This file sees only the
// Scheduler's.
public typealias SchedulerSlot = Slot
public typealias SchedulerRunID = RunID
public typealias SchedulerRunState = RunState
public typealias SchedulerConcurrencyPolicy = ConcurrencyPolicy
public typealias SchedulerCatchUpPolicy = CatchUpPolicy
public typealias SchedulerExecutorKind = ExecutorKind
