#!/usr/bin/env python3
"""Times croniter and cronsim on scripts/bench/cron_expressions.txt, the list CronBenchmark times,
and prints one table with fargate-cron's figures (read as JSON from argv[2]) and the ratios.

Rates are best of five rounds by the process CPU clock (time.process_time), as CronBenchmark's, so
that other load on a shared machine does not skew the ratios; wall-clock rates are printed after."""
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
PER_EXPRESSION = 500
PARSES = 100


def best_rates(operations, body):
    cpu = wall = 0.0
    for _ in range(5):
        c0, w0 = time.process_time(), time.perf_counter()
        body()
        c, w = time.process_time() - c0, time.perf_counter() - w0
        cpu, wall = max(cpu, operations / c), max(wall, operations / w)
    return {"cpu": cpu, "wall": wall}


def next_rates(make_iterator, step, zone):
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))

    def body():
        for e in expressions:
            it = make_iterator(e, start)
            for _ in range(PER_EXPRESSION):
                step(it)
    return best_rates(PER_EXPRESSION * len(expressions), body)


def parse_rates(make):
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))

    def body():
        for _ in range(PARSES):
            for e in expressions:
                make(e, start)
    return best_rates(PARSES * len(expressions), body)


rows = [("parse/s", ours["parse"], parse_rates(CronSim), parse_rates(croniter))]
for zone in ("UTC", "America/New_York"):
    rows.append((f"next/s {zone}", ours["next"][zone],
                 next_rates(CronSim, next, zone), next_rates(croniter, lambda it: it.get_next(datetime), zone)))

print(f"{len(expressions)} expressions; cronsim {version('cronsim')}, croniter {version('croniter')}, "
      f"Python {sys.version.split()[0]}")
for clock in ("cpu", "wall"):
    print(f"\nper second of {'process CPU time' if clock == 'cpu' else 'wall-clock time'}:")
    print(f"{'':24}{'fargate-cron':>14}{'cronsim':>12}{'croniter':>12}{'x cronsim':>11}{'x croniter':>12}")
    for name, a, b, c in rows:
        a, b, c = a[clock], b[clock], c[clock]
        print(f"{name:24}{a:>14,.0f}{b:>12,.0f}{c:>12,.0f}{a / b:>10.1f}x{a / c:>11.1f}x")
failed = [name for name, a, b, _ in rows
          if a["cpu"] < 1_000_000 or (name.startswith("next") and a["cpu"] < 25 * b["cpu"])]
if failed:
    print("\nBELOW THE BAR (>= 1,000,000/s and next >= 25x cronsim, CPU clock): " + ", ".join(failed))
    sys.exit(1)
print("\nbar met (CPU clock): >= 1,000,000 parses/s and next fire times/s in both zones, next >= 25x cronsim")
