// Tests of the CronExpression module live beside this file.
