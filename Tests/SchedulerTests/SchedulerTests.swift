// Tests of the Scheduler module.
