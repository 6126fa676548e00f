#!/usr/bin/env python3
"""Generates the oracle vectors that Tests/CronExpressionTests/OracleTests.swift replays.

Two cron libraries that no one in this project wrote compute the next fire times of a fixed list of
expressions, in eight zones, from start instants chosen to be awkward: just before and inside
daylight-saving changes, around Feb 29, and on the 31st of short months.

    python3 scripts/oracles/generate_cron_vectors.py > Tests/CronExpressionTests/Fixtures/oracle_vectors.jsonl

Pinned oracles (scripts/deps): cronsim 2.8 (follows Vixie/Debian cron closely, including Debian's
DST handling of 5-field fixed-time jobs) and croniter 7.0.0 (wider syntax: W, ?, H, @ forms).

Which oracle each vector follows (the "oracle" field), decided here, in code, per case:
  both      - cronsim and croniter agree.
  cronsim   - they disagree; cronsim wins. croniter ORs the day fields in cases Vixie ANDs
              (`0 0 */2 * 1`: the day-of-month field starts with `*`, so Vixie ANDs), and croniter
              does not implement cron's DST rules for fixed-time jobs.
  cronie    - cronsim's answer adjusted to cronie's daemon-loop rule, which DESIGN.md adopts: when
              the start lies inside the second pass of a repeated hour, cronsim (which iterates
              in naive local time) answers a first-pass time *before* the start for a fixed-time
              job; cronie ran that job in the first pass already, so those answers are dropped.
  scan      - a wildcard job (minute or hour field starts with `*`) in a DST zone where cronsim and
              croniter disagree: cronie runs a wildcard job at every real instant whose wall-clock
              time matches, so the answer is found by scanning real instants minute by minute and
              asking croniter.match (with Vixie's AND/OR) whether each local time matches. This
              settles the Lord Howe cases where cronsim steps whole hours in UTC and, with a
              30-minute shift, lands on hh:30 and skips wall times that exist (`0 */6 * * *` on
              the day of the change).
  croniter  - syntax cronsim lacks (W): croniter, only in zones without DST (UTC, Tokyo),
              because croniter's DST behaviour is not cronie's.
Expressions cronsim lacks but can express another way (`?`, @ forms, H as croniter expands it)
are given to cronsim in that other spelling ("cronsim_expr").
"""
import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from importlib.metadata import version

from croniter import croniter
from cronsim import CronSim

COUNT = 4
HASH_KEY = "nightly-report"
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/London", "Europe/Berlin",
         "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago"]
NO_DST = {"UTC", "Asia/Tokyo"}

# (expression, spelling for cronsim or None if cronsim cannot express it, only in zones without DST)
FIVE_FIELD = [
    "* * * * *", "*/15 * * * *", "*/7 * * * *", "5-59/15 * * * *", "0 * * * *", "0 */6 * * *",
    "* 2 * * *", "*/10 1 * * *", "30 2 * * *", "0 2 * * *", "0 3 * * *", "30 1 * * *", "0 1-3 * * *",
    "30 0-4/2 * * *", "0,30 1,2 * * *", "23 0-23/2 * * *", "0 0 * * *", "15 0 * * *", "45 23 * * *",
    "30 23 * * *", "0 0 1 * *", "0 0 31 * *", "0 12 30 * *", "0 0 29 2 *", "0 * 29 2 *",
    "0 0 29,30,31 * *", "59 23 31 12 *", "0 0 1 1 *", "0 0 L * *", "0 0 LW * *", "0 0 * * 0",
    "0 0 * * 7", "0 9 * * MON-FRI", "0 22 * * 1-5", "0 0 * * 6,0", "0 0 1,15 * 0", "0 0 */2 * 1",
    "0 0 1-7 * 1", "0 0 15 * MON", "0 12 * JAN,JUL SUN", "0 0 * * 5L", "0 0 * * 5#3", "0 0 * * 0#1",
]
SIX_FIELD = ["*/20 * * * * *", "0 */5 * * * *", "30 * 2 * * *", "15 30 * * * *", "10 */2 0-3 * * *"]
SIX_FIELD_NO_DST = ["15 30 2 * * *", "0 0 0 29 2 *"]
OTHER_SPELLING = {  # ours/croniter's spelling -> cronsim's
    "0 12 ? * WED": "0 12 * * WED", "0 12 10 * ?": "0 12 10 * *",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}
HASHED = ["H H * * *", "H/15 * * * *", "H(0-29) H(1-5) * * *", "0 H * * H"]
CRONITER_NO_DST = ["0 0 15W * *", "0 0 1W * *", "0 0 31W * *", "0 0 30W * *", "30 12 6W * *"]  # croniter has no L-n


def starts(zone_name):
    """Awkward start instants in `zone_name`, as aware datetimes."""
    tz = ZoneInfo(zone_name)
    local = [
        datetime(2028, 2, 28, 12, 0), datetime(2028, 2, 29, 23, 59), datetime(2027, 2, 28, 23, 30),
        datetime(2026, 4, 30, 23, 59, 30), datetime(2026, 6, 30, 12, 0), datetime(2026, 9, 30, 23, 0),
        datetime(2026, 11, 30, 23, 59), datetime(2026, 12, 31, 23, 59, 59),
    ]
    result = [d.replace(tzinfo=tz) for d in local]
    # Every offset change in 2026: 90 minutes and 1 minute before it, 10 minutes after (inside the
    # second pass of a repeated interval), and 1 second before it, so that the first instant a search
    # may answer is the change itself (a fixed time in the gap then fires right there: #12).
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    previous = t.astimezone(tz).utcoffset()
    while t.year < 2027:
        t += timedelta(minutes=15)
        offset = t.astimezone(tz).utcoffset()
        if offset != previous:
            for delta in (timedelta(minutes=-90), timedelta(minutes=-1), timedelta(minutes=10),
                          timedelta(seconds=-1)):
                result.append((t + delta).astimezone(tz))
            previous = offset
    return result


def cronsim_next(expr, start):
    try:
        it = CronSim(expr, start)
        return [next(it).isoformat() for _ in range(COUNT + 2)]
    except Exception as e:  # noqa: BLE001 -- any failure is recorded as the oracle's answer
        return "error: " + type(e).__name__


def croniter_next(expr, start, hash_key=None):
    try:
        second_first = len(expr.split()) == 6
        it = croniter(expr, start, hash_id=hash_key, second_at_beginning=second_first)
        return [it.get_next(datetime).isoformat() for _ in range(COUNT)]
    except Exception as e:  # noqa: BLE001
        return "error: " + type(e).__name__


def is_wildcard(expr):
    fields = expr.split()
    if len(fields) == 6:
        fields = fields[1:]
    return fields[0].startswith("*") or fields[1].startswith("*")


def scan(expr, start, tz):
    """Real instants after `start` whose wall time matches, minute by minute (then the seconds field)."""
    fields = expr.split()
    seconds = [0]
    if len(fields) == 6:
        seconds = sorted(croniter.expand(expr, second_at_beginning=True)[0][5])
        fields = fields[1:]
    five = " ".join(fields)
    day_or = not (fields[2].startswith("*") or fields[4].startswith("*"))
    minute = start.astimezone(timezone.utc).replace(second=0, microsecond=0)
    found = []
    for _ in range(8 * 24 * 60):
        # A naive wall-clock time: croniter.match on an aware time steps across the change itself.
        if croniter.match(five, minute.astimezone(tz).replace(tzinfo=None), day_or=day_or):
            found += [(minute + timedelta(seconds=s)).astimezone(tz).isoformat()
                      for s in seconds if minute + timedelta(seconds=s) > start]
            if len(found) >= COUNT:
                return found[:COUNT]
        minute += timedelta(minutes=1)
    return None


def iso(s):
    return datetime.fromisoformat(s)


def vector(expr, zone_name, start, cronsim_expr, croniter_ok, hash_key=""):
    tz = ZoneInfo(zone_name)
    a = cronsim_next(cronsim_expr, start) if cronsim_expr else "not expressible"
    b = croniter_next(expr, start, hash_key or None) if croniter_ok else "not used"
    if isinstance(a, list):
        after = [x for x in a if iso(x) > start]
        oracle = "cronie" if len(after) != len(a) else None
        expect = after[:COUNT]
        if oracle is None:
            oracle = "both" if isinstance(b, list) and [iso(x) for x in b] == [iso(x) for x in expect] else "cronsim"
        why = None
        if oracle == "cronie":
            why = "start inside the second pass: cronsim answers the first-pass time before the start"
        elif oracle == "cronsim":
            if isinstance(b, str):
                why = "croniter rejects this syntax"
            elif any(f.startswith("*") and f != "*" for f in expr.split()[-3::2]):  # day-of-month, day-of-week
                why = "croniter ORs the day fields; Vixie ANDs them when one starts with *"
            else:
                why = "croniter does not follow cron across the DST change"
        if oracle == "cronsim" and zone_name not in NO_DST and is_wildcard(expr):
            scanned = scan(expr, start, tz)
            if scanned is not None and [iso(x) for x in scanned] != [iso(x) for x in expect]:
                expect, oracle = scanned, "scan"
                why = "cronsim steps whole hours in UTC and skips wall times of a 30-minute shift"
            elif scanned is not None:
                why += "; the real-instant scan agrees with cronsim"
    elif isinstance(b, list):
        expect, oracle, why = b, "croniter", None
    else:
        return None
    # Normalise to the zone's own offset, as `fargate-cron next` prints them.
    expect = [iso(x).astimezone(tz).isoformat() for x in expect]
    v = {"expr": expr, "zone": zone_name, "start": start.isoformat(), "expect": expect, "oracle": oracle}
    if oracle == "croniter":
        why = "cronsim lacks this syntax; zone without DST"
    if why:
        v["why"] = why
    # Only what differs is kept, to keep the fixture small: the other oracle's answer where it
    # disagrees, cronsim's spelling where it is not ours, the hash key where H is used.
    if hash_key:
        v["hash"] = hash_key
    if cronsim_expr and cronsim_expr != expr:
        v["cronsim_expr"] = cronsim_expr
    if isinstance(a, str) or [iso(x) for x in a[:COUNT]] != [iso(x) for x in expect]:
        v["cronsim"] = a if isinstance(a, str) else a[:COUNT + 1]
    if isinstance(b, str) or [iso(x) for x in b] != [iso(x) for x in expect]:
        v["croniter"] = b
    return v


def main():
    vectors = []
    for zone_name in ZONES:
        dst = zone_name not in NO_DST
        for start in starts(zone_name):
            cases = [(e, e, True, "") for e in FIVE_FIELD + SIX_FIELD]
            cases += [(e, s, True, "") for e, s in OTHER_SPELLING.items()]
            for e in HASHED:
                expanded = " ".join(str(f) for f in [
                    ",".join(str(v) for v in field) for field in
                    croniter.expand(e, hash_id=HASH_KEY.encode())[0][:5]])
                # croniter.expand lists values; "*"-ness is lost but H is never "*" (fixed-time), so
                # cronsim sees the same schedule with the same DST rule.
                cases.append((e, expanded.replace("0,1,2,3,4,5,6", "*").replace(
                    ",".join(map(str, range(1, 32))), "*").replace(",".join(map(str, range(1, 13))), "*"), True, HASH_KEY))
            if not dst:
                cases += [(e, e, True, "") for e in SIX_FIELD_NO_DST]
                cases += [(e, None, True, "") for e in CRONITER_NO_DST]
            for expr, cronsim_expr, croniter_ok, hash_key in cases:
                v = vector(expr, zone_name, start, cronsim_expr, croniter_ok, hash_key)
                if v is not None:
                    vectors.append(v)
    for v in vectors:
        print(json.dumps(v, separators=(",", ":")))
    counts = {}
    for v in vectors:
        counts[v["oracle"]] = counts.get(v["oracle"], 0) + 1
    print(f"{len(vectors)} vectors (cronsim {version('cronsim')}, croniter {version('croniter')}): {counts}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
