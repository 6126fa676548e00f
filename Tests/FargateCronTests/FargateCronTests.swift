// End-to-end tests of the fargate-cron binary live beside this file.
