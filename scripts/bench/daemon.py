"""Drives the daemon benchmark; see scripts/bench/daemon. Prints a Markdown table."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

binary, idle_seconds, firings = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
# The exact half's driver, built beside the daemon (not part of the shipped binary).
bench_scheduler = os.path.join(os.path.dirname(binary), "bench-scheduler")
ticks = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def rss_parts_mib(pid):
    """RSS split into anonymous memory (the heap, stacks) and file pages (the binary, the libraries)."""
    parts = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Anonymous"):
                parts[name] = int(rest.split()[0]) / 1024
    return parts["Anonymous"], parts["Rss"] - parts["Anonymous"]


def start(folder, crontabs):
    notify = os.path.join(folder, "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify)
    env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "WATCHDOG_USEC")}
    env["NOTIFY_SOCKET"] = notify
    log = open(os.path.join(folder, "daemon.log"), "w")
    began = time.monotonic()
    daemon = subprocess.Popen(
        [binary, "daemon", "--crontabs", crontabs, "--state-dir", os.path.join(folder, "state")],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    listener.settimeout(30)
    while True:
        message = listener.recv(4096)
        if b"READY=1" in message.split(b"\n"):
            ready = time.monotonic() - began
            break
    # Keep reading, as systemd does: an undrained socket fills and makes sd_notify block.
    threading.Thread(target=drain, args=(listener,), daemon=True).start()
    return daemon, ready, listener


def drain(listener):
    listener.settimeout(None)
    try:
        while listener.recv(4096):
            pass
    except OSError:  # closed by the benchmark
        pass


def stop(daemon):
    began = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(timeout=30)
    return code, time.monotonic() - began


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# The same binary with no jobs at all: the floor the 10,000 jobs add to.
with tempfile.TemporaryDirectory(prefix="fc-bench-", dir="/tmp") as folder:
    crontabs = os.path.join(folder, "crontabs")
    os.mkdir(crontabs)
    daemon, _, listener = start(folder, crontabs)
    time.sleep(2)
    rss_empty, (anon_empty, file_empty) = rss_mib(daemon.pid), rss_parts_mib(daemon.pid)
    stop(daemon)
    listener.close()

with tempfile.TemporaryDirectory(prefix="fc-bench-", dir="/tmp") as folder:
    crontabs = os.path.join(folder, "crontabs")
    os.mkdir(crontabs)
    # 10,000 jobs whose slots are all in January: loaded and timed, none fires during the idle window.
    with open(os.path.join(crontabs, "jobs.cron"), "w") as f:
        f.write("CRON_EXECUTOR=local\nCRON_TZ=UTC\n")
        for i in range(10_000):
            f.write(f"{i % 60} {(i // 60) % 24} {1 + (i // 1440) % 28} 1 * job-{i:05d} true\n")
    daemon, startup, listener = start(folder, crontabs)
    rss_ready = rss_mib(daemon.pid)
    time.sleep(2)  # let start-up work settle before measuring idleness
    cpu_before, wall_before = cpu_seconds(daemon.pid), time.monotonic()
    time.sleep(idle_seconds)
    cpu_idle = cpu_seconds(daemon.pid) - cpu_before
    wall_idle = time.monotonic() - wall_before
    rss_idle = rss_mib(daemon.pid)
    anon_idle, file_idle = rss_parts_mib(daemon.pid)
    code, stop_time = stop(daemon)
    listener.close()

def fire(jobs, count):
    """Runs `jobs` per-second jobs until `count` runs started; returns, per run, the delays (ms) from
    its slot to: the intent write beginning (the ledger's recorded_at, read just before the write),
    the executor's start call returning (created_at, read right after it returns), and the command
    running (the job's own clock: `date` run by the job's shell); and what was skipped."""
    with tempfile.TemporaryDirectory(prefix="fc-bench-", dir="/tmp") as folder:
        crontabs = os.path.join(folder, "crontabs")
        os.mkdir(crontabs)
        clocks = os.path.join(folder, "clocks.txt")
        with open(os.path.join(crontabs, "fire.cron"), "w") as f:
            f.write("CRON_EXECUTOR=local\nCRON_CONCURRENCY=allow\n")
            for i in range(jobs):
                # \\% is a literal percent sign in a schedule file.
                f.write(f"* * * * * * fire-{i:02d} echo $CRON_RUN_ID $(date +\\%s\\%N) >> {clocks}\n")
        daemon, _, listener = start(folder, crontabs)
        database = os.path.join(folder, "state", "ledger.sqlite")
        deadline = time.monotonic() + count / jobs + 30
        while time.monotonic() < deadline:
            time.sleep(1)
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
                if db.execute("SELECT count(*) FROM run WHERE created_at IS NOT NULL").fetchone()[0] >= count:
                    break
        time.sleep(1)  # let the last commands write their clocks
        code, _ = stop(daemon)
        listener.close()
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT id, scheduled_at, recorded_at, created_at FROM run WHERE created_at IS NOT NULL "
                "ORDER BY scheduled_at, id LIMIT ?", (count,)).fetchall()
            skipped = db.execute("SELECT count(*) FROM run WHERE state IN ('skipped', 'missed')").fetchone()[0]
        running = {}
        with open(clocks) as f:
            for line in f:
                run, nanoseconds = line.split()
                running[int(run)] = int(nanoseconds) / 1e6
    to_intent = [recorded - scheduled for _, scheduled, recorded, _ in rows]
    to_returned = [created - scheduled for _, scheduled, _, created in rows]
    to_running = [running[run] - scheduled for run, scheduled, _, _ in rows if run in running]
    return to_intent, to_returned, to_running, skipped, code


def row(label, values, bar=""):
    p50, p99, worst = percentile(values, 50), percentile(values, 99), max(values)
    return f"| {label}, {len(values)} firings | p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms | {bar} |"


def exact(jobs, count):
    """The daemon's scheduler, ledger and local executor in `bench-scheduler`, which reads the clock
    as each start call is made: the exact delay from the slot to the start call."""
    with tempfile.TemporaryDirectory(prefix="fc-bench-", dir="/tmp") as folder:
        out = subprocess.run(
            [bench_scheduler, "--jobs", str(jobs), "--firings", str(count), "--state-dir",
             os.path.join(folder, "state")], check=True, capture_output=True, text=True, timeout=count / jobs + 60)
    return json.loads(out.stdout)


load_before = os.getloadavg()[0]
single = fire(1, max(10, firings // 10))
herd = fire(10, firings)
single_exact = exact(1, max(10, firings // 10))
herd_exact = exact(10, firings)
load_after = os.getloadavg()[0]

print("| measure | value | bar |")
print("|---|---|---|")
print(f"| start-up with 10,000 jobs (exec to READY=1) | {startup * 1000:.0f} ms | < 1 s |")
print(f"| RSS at READY=1 / after {idle_seconds} s idle | {rss_ready:.1f} MiB / {rss_idle:.1f} MiB "
      f"(anonymous {anon_idle:.1f}, file pages {file_idle:.1f}) | < 40 MB |")
print(f"| RSS with no jobs (same binary) | {rss_empty:.1f} MiB (anonymous {anon_empty:.1f}, file pages {file_empty:.1f}) | |")
print(f"| CPU over {wall_idle:.0f} idle seconds | {cpu_idle:.2f} s = {100 * cpu_idle / wall_idle:.3f} % of one core | < 0.5 % |")
print(f"| SIGTERM to exit (10,000 jobs) | {stop_time * 1000:.0f} ms, exit {code} | exit 0 within 10 s |")
for label, (to_intent, to_returned, to_running, _, _) in (("1 job a second", single), ("10 jobs a second", herd)):
    print(row(f"{label}: slot to intent write begun (before the start call)", to_intent))
    print(row(f"{label}: slot to start call returned (after it)", to_returned))
    print(row(f"{label}: slot to command running (its own clock)", to_running))
for label, result in (("1 job a second", single_exact), ("10 jobs a second", herd_exact)):
    print(f"| {label}: slot to the start call itself (bench-scheduler), {result['count']:.0f} firings | "
          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms | p99 ≤ 5 ms |")
print(f"| machine load (1-minute average) before / after the firing runs | {load_before:.1f} / {load_after:.1f} on {os.cpu_count()} cores | |")
print(f"| slots skipped or missed / exit status on SIGTERM in the firing runs | {single[3] + herd[3]} / {single[4]}, {herd[4]} | 0 / 0 |")
