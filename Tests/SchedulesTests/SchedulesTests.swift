// Tests of the Schedules module live beside this file.
