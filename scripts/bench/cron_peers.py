#!/usr/bin/env python3
"""Times croniter and cronsim on scripts/bench/cron_expressions.txt, the list CronBenchmark times,
and prints one table with fargate-cron's figures (read as JSON from argv[2]) and the ratios."""
import json
import sys
import time
from datetime import datetime
from importlib.metadata import version
from zoneinfo import ZoneInfo

from croniter import croniter
from cronsim import CronSim

expressions = [line.strip() for line in open(sys.argv[1]) if line.strip() and not line.startswith("#")]
ours = json.loads(open(sys.argv[2]).read())
PER_EXPRESSION = 1000
PARSES = 200


def best_of(runs, body):
    return max(body() for _ in range(runs))


def rate_next(make):
    def run():
        count = 0
        t0 = time.perf_counter()
        for e in expressions:
            count += make(e)
        return count / (time.perf_counter() - t0)
    return best_of(3, run)


def cronsim_next(zone):
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))

    def one(e):
        it = CronSim(e, start)
        for _ in range(PER_EXPRESSION):
            next(it)
        return PER_EXPRESSION
    return rate_next(one)


def croniter_next(zone):
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))

    def one(e):
        it = croniter(e, start)
        for _ in range(PER_EXPRESSION):
            it.get_next(datetime)
        return PER_EXPRESSION
    return rate_next(one)


def parse_rate(make):
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))

    def run():
        t0 = time.perf_counter()
        for _ in range(PARSES):
            for e in expressions:
                make(e, start)
        return PARSES * len(expressions) / (time.perf_counter() - t0)
    return best_of(3, run)


rows = [("parse/s", ours["parse_per_second"], parse_rate(CronSim), parse_rate(croniter))]
for zone in ("UTC", "America/New_York"):
    rows.append((f"next/s {zone}", ours["next_per_second"][zone], cronsim_next(zone), croniter_next(zone)))

print(f"{len(expressions)} expressions; cronsim {version('cronsim')}, croniter {version('croniter')}, "
      f"Python {sys.version.split()[0]}")
print(f"{'':24}{'fargate-cron':>14}{'cronsim':>12}{'croniter':>12}{'x cronsim':>11}{'x croniter':>12}")
for name, a, b, c in rows:
    print(f"{name:24}{a:>14,.0f}{b:>12,.0f}{c:>12,.0f}{a / b:>10.1f}x{a / c:>11.1f}x")
failed = [name for name, a, b, _ in rows if a < 1_000_000 or (name.startswith("next") and a < 25 * b)]
if failed:
    print("BELOW THE BAR (>= 1,000,000/s and next >= 25x cronsim): " + ", ".join(failed))
    sys.exit(1)
print("bar met: >= 1,000,000 parses/s and next fire times/s in both zones, next >= 25x cronsim")
