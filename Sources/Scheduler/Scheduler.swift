// The Scheduler module: the daemon core (see DESIGN.md).
