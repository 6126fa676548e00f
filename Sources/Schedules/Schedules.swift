// The Schedules module. See DESIGN.md ("Shape of the repository") for what belongs here.
