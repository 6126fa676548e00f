"""Drives scripts/bench/warm-create: one run on a warm connection, slot to the create's first byte on the wire.

  warm_create.py pass NAME BINARY EMULATOR_PORT [FRONT]   one pass, the daemon then the plain client: one JSON object
      FRONT: "h2" puts scripts/peers/nghttpx.sh (TLS, HTTP/2 by ALPN) in front of the relay; without it the
      daemon and the client speak plain HTTP/1.1 to the relay.
  warm_create.py fsync DIR COUNT                           fdatasync latency on DIR's file system: one JSON object
  warm_create.py table PASS.json... FSYNC.json...          the Markdown table of BENCHMARKS.md

Topology of a pass (everything on 127.0.0.1):
  daemon / plain client --HTTP/1.1--> wire_relay.py --> emulator          (FRONT unset)
  daemon / plain client --TLS, h2 or HTTP/1.1--> nghttpx --HTTP/1.1--> wire_relay.py --> emulator   (FRONT=h2)
The relay stamps each request's first byte as the kernel received it (wire_relay.py); scripts/peers/
fargate_controller.py talks to the emulator directly. The daemon runs one `kubernetes` job, `* * * * * *`,
CRON_CONCURRENCY=allow (every slot creates a Job, whatever the earlier runs do), runs of RUN_SECONDS (0.3 s);
WARMUP (5) slots warm the connection and are left out, then SLOTS (200) slots are measured. The plain client
then does the same on one kept-alive connection: it sleeps to each wall-clock second, builds the Job's JSON
and POSTs it (Python http.client).
"""
import bisect
import datetime
import http.client
import itertools
import json
import os
import re
import socket
import ssl
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fargate  # noqa: E402  the emulator, controller and daemon helpers of scripts/bench/fargate
from fargate import DAEMON_TOKEN, NAMESPACE, PEER_TOKEN, load_average, percentile  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "wire_relay.py")
JOB = "warm"
SLOTS = int(os.environ.get("SLOTS", "200"))
WARMUP = int(os.environ.get("WARMUP", "5"))
# A short run: the controller's pod is Running for this long and prints one line.
fargate.SCRIPT.update({"run-seconds": os.environ.get("RUN_SECONDS", "0.3"), "lines": os.environ.get("LINES", "1")})
SCHEDULED_AT_LABEL = "fargate-cron/scheduled-at"


def label_of(slot):
    """The slot as fargate-cron's scheduled-at label value (OwnershipLabels.labelValue): 20261129T063000Z."""
    return datetime.datetime.fromtimestamp(slot, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def slot_of(label):
    return int(datetime.datetime.strptime(label, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


def start_relay(upstream_port, log):
    relay = subprocess.Popen([sys.executable, RELAY, str(upstream_port), log], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
    line = relay.stdout.readline().split()
    if line[:1] != [b"ready"]:
        relay.kill()
        raise RuntimeError("the wire relay did not start")
    return relay, int(line[1])


def measured_slots(ready):
    """The slots measured after a start at READY: WARMUP whole seconds go first."""
    first = int(ready) + 1 + WARMUP
    return range(first, first + SLOTS)


def sleep_until(instant):
    while (left := instant - time.time()) > 0:
        time.sleep(left)


def daemon_pass(binary, url, ca, folder):
    os.mkdir(os.path.join(folder, "crontabs"))
    annotations = ",".join(f"test.fargate-cron/{k}={v}" for k, v in fargate.SCRIPT.items())
    with open(os.path.join(folder, "crontabs", "warm.cron"), "w") as f:
        f.write(f"CRON_TZ=UTC\nCRON_NAMESPACE={NAMESPACE}\nCRON_IMAGE=app:1\nCRON_CPU=0.25\nCRON_MEMORY=0.5Gi\n"
                f"CRON_CONCURRENCY=allow\nCRON_ANNOTATIONS={annotations}\n* * * * * * {JOB} bin/report\n")
    daemon = fargate.start_daemon(binary, folder, url, 50, ca)
    profiler = None
    try:
        slots = measured_slots(time.time())
        sleep_until(slots[0] - 0.5)
        if os.environ.get("TRACE") == "1":
            profiler = start_syscall_trace(daemon.pid, os.path.join(folder, "perf.data"))
        load_before, cpu_before = load_average(), fargate.cpu_seconds(daemon.pid)
        sleep_until(slots[-1] + 2)  # the last slot's create, and its answer
        load_after, cpu = load_average(), fargate.cpu_seconds(daemon.pid) - cpu_before
        if profiler is not None:
            profiler.send_signal(fargate.signal.SIGINT)
            profiler.wait(timeout=60)
        exit_code = fargate.stop(daemon)
    finally:
        if profiler is not None and profiler.poll() is None:
            profiler.kill()
            profiler.wait()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    database = os.path.join(folder, "state", "ledger.sqlite")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("SELECT scheduled_at, recorded_at, created_at, state FROM run WHERE job = ? AND scheduled_at "
                          "BETWEEN ? AND ?", (JOB, slots[0] * 1000, slots[-1] * 1000)).fetchall()
    ledger = {r[0] // 1000: {"recorded_at": r[1], "created_at": r[2], "state": r[3]} for r in rows}
    return {"slots": slots, "ledger": ledger, "load_before": load_before, "load_after": load_after,
            "cpu_s": round(cpu, 2), "exit": exit_code,
            "syscalls": syscall_trace(os.path.join(folder, "perf.data")) if profiler is not None else None}


# System call numbers (x86-64) the breakdown looks for.
FDATASYNC, FSYNC = 75, 74


def start_syscall_trace(pid, data):
    """`perf record` of every system call of the daemon's threads, on CLOCK_MONOTONIC (perf 6.1 here refuses
    `-k realtime`); the breakdown maps it to the wall clock with the offset read here."""
    profiler = subprocess.Popen(["perf", "record", "-q", "-k", "monotonic", "-e", "raw_syscalls:sys_enter",
                                 "-e", "raw_syscalls:sys_exit", "-p", str(pid), "-o", data],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(data + ".offset", "w") as f:
        f.write(str(time.time_ns() - time.monotonic_ns()))
    time.sleep(0.3)  # perf attaches to each thread before the first measured slot
    return profiler


def syscall_trace(data):
    """[(wall-clock ns, thread name, tid, "enter" | "exit", syscall number)] from a trace of start_syscall_trace."""
    with open(data + ".offset") as f:
        offset = int(f.read())
    script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,time,event,trace", "--ns"],
                            stderr=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, check=True).stdout
    events = []
    for line in script.splitlines():
        # " http-loop 17653 25686.542008762:  raw_syscalls:sys_exit: NR 202 = 0"
        match = re.match(r"\s*(.*?)\s+(\d+)\s+(\d+)\.(\d{9}):\s+raw_syscalls:sys_(enter|exit):\s+NR (-?\d+)", line)
        if match:
            comm, tid, seconds, nanoseconds, kind, number = match.groups()
            events.append((int(seconds) * 1_000_000_000 + int(nanoseconds) + offset, comm, int(tid), kind, int(number)))
    events.sort()
    return events


def breakdown(events, slot_ns, wire_ns):
    """One slot's path from the trace: the first system call a thread other than the HTTP loop returns from after
    the slot (the timer's wake-up), the ledger's fdatasync (enter, exit) before the create reached the wire."""
    after = list(itertools.takewhile(
        lambda e: e[0] <= wire_ns, itertools.islice(events, bisect.bisect_left(events, (slot_ns,)), None)))
    wake = next((e for e in after if e[3] == "exit" and e[1] != "http-loop"), None)
    sync = next((e for e in after if e[3] == "enter" and e[4] in (FDATASYNC, FSYNC)), None)
    if wake is None or sync is None:
        return None
    done = next((e for e in after if e[0] >= sync[0] and e[2] == sync[2] and e[3] == "exit"), None)
    if done is None or done[0] > wire_ns:
        return None
    return {"wake": (wake[0] - slot_ns) / 1e6, "wake_to_sync": (sync[0] - wake[0]) / 1e6,
            "sync": (done[0] - sync[0]) / 1e6, "sync_to_wire": (wire_ns - done[0]) / 1e6}


def peer_pass(host, port, ca):
    """A plain client: one kept-alive connection; at each second, build the Job's JSON and POST it."""
    if ca:
        context = ssl.create_default_context(cafile=ca)
        connection = http.client.HTTPSConnection(host, port, context=context)
    else:
        connection = http.client.HTTPConnection(host, port)
    headers = {"Authorization": f"Bearer {PEER_TOKEN}", "Content-Type": "application/json"}
    path = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
    slots = measured_slots(time.time())
    load_before = None
    for slot in range(slots[0] - WARMUP, slots[-1] + 1):
        if slot == slots[0]:
            load_before = load_average()
        sleep_until(slot)
        body = json.dumps(fargate.peer_job(f"peer-warm-{slot}", {SCHEDULED_AT_LABEL: label_of(slot)})).encode()
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(f"the plain client's create at {slot}: HTTP {response.status}")
    connection.close()
    return {"slots": slots, "load_before": load_before, "load_after": load_average()}


def wire_creates(log, client, slots):
    """{slot: relay entry} of CLIENT's Job creates for the measured slots."""
    creates = {}
    with open(log) as f:
        for line in f:
            entry = json.loads(line)
            if entry["client"] == client and entry["method"] == "POST" and entry["path"].endswith("/jobs") \
                    and entry["scheduled_at"]:
                slot = slot_of(entry["scheduled_at"])
                if slot in slots and slot not in creates:  # a retried create would be the second
                    creates[slot] = entry
    return creates


def summary(values):
    values = sorted(values)
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), 3), "p90": round(percentile(values, 90), 3),
            "p99": round(percentile(values, 99), 3), "max": round(values[-1], 3), "min": round(values[0], 3)}


def run_pass(name, binary, emulator_port, front):
    folder = tempfile.mkdtemp(prefix="fc-warm-", dir=os.environ.get("STATE_ROOT", "/tmp"))  # short: the control socket
    log = os.path.join(folder, "relay.jsonl")
    relay, relay_port = start_relay(emulator_port, log)
    front_process, controller, ca = None, None, None
    try:
        if front == "h2":
            front_process, front_port = fargate.start_front(relay_port, folder)
            ca = os.path.join(os.environ["PEER_RUN_DIR"], "kmock", "ca.pem")
            url, port = f"https://127.0.0.1:{front_port}", front_port
        else:
            url, port = f"http://127.0.0.1:{relay_port}", relay_port
        controller = fargate.start_controller(f"http://127.0.0.1:{emulator_port}")
        daemon_folder = os.path.join(folder, "daemon")
        os.mkdir(daemon_folder)
        daemon = daemon_pass(binary, url, ca, daemon_folder)
        peer = peer_pass("127.0.0.1", port, ca)
    finally:
        for process in (controller, front_process, relay):
            if process is not None:
                fargate.stop(process)
    result = {"pass": name, "front": front or "none", "slots": SLOTS, "warmup": WARMUP, "state_dir": folder,
              "state_fs": filesystem_of(folder)}
    for who, token, run in (("daemon", DAEMON_TOKEN, daemon), ("peer", PEER_TOKEN, peer)):
        creates = wire_creates(log, token, run["slots"])
        latency = {slot: (e["kernel_ns"] - slot * 1_000_000_000) / 1e6 for slot, e in creates.items()}
        relay_read = [(e["user_ns"] - e["kernel_ns"]) / 1e6 for e in creates.values()]
        result[who] = {
            "wire_ms": summary(latency.values()), "slots_without_create": len(run["slots"]) - len(creates),
            "first_request_of_a_connection": sum(1 for e in creates.values() if e["seq"] == 0),
            "connections": len({e["conn"] for e in creates.values()}), "relay_read_after_kernel_ms": summary(relay_read),
            "load_before": run["load_before"], "load_after": run["load_after"],
        }
        if who == "daemon":
            ledger = run["ledger"]
            both = [s for s in latency if s in ledger and ledger[s]["created_at"] is not None]
            result[who].update({
                "ledger_slot_to_recorded_ms": summary([ledger[s]["recorded_at"] - s * 1000 for s in both]),
                "ledger_recorded_to_wire_ms": summary([latency[s] - (ledger[s]["recorded_at"] - s * 1000) for s in both]),
                "wire_to_created_ms": summary([ledger[s]["created_at"] - s * 1000 - latency[s] for s in both]),
                "states": {st: sum(1 for r in ledger.values() if r["state"] == st) for st in {r["state"] for r in ledger.values()}},
                "cpu_s": run["cpu_s"], "exit": run["exit"],
                "slowest": sorted(((round(v, 3), label_of(s)) for s, v in latency.items()), reverse=True)[:5],
            })
            if run["syscalls"] is not None:
                parts = [b for s, e in creates.items() if (b := breakdown(run["syscalls"], s * 1_000_000_000, e["kernel_ns"]))]
                result[who]["traced"] = {
                    "slots": len(parts),
                    **{f"{k}_ms": summary([p[k] for p in parts]) for k in ("wake", "wake_to_sync", "sync", "sync_to_wire")}}
    if os.environ.get("KEEP_STATE") != "1":
        subprocess.run(["rm", "-rf", folder], check=False)
    return result


def filesystem_of(path):
    return subprocess.run(["df", "--output=fstype,source", path], capture_output=True, text=True).stdout.split()[-2:]


def fsync_probe(directory, count):
    """What one durable commit costs the disk: a 4 KiB append to a file, then fdatasync, COUNT times (as SQLite
    appends a frame to its WAL and syncs it at each commit under synchronous=FULL)."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    took = []
    try:
        block = os.urandom(4096)
        for _ in range(count):
            os.write(fd, block)
            began = time.perf_counter_ns()
            os.fdatasync(fd)
            took.append((time.perf_counter_ns() - began) / 1e6)
            time.sleep(0.01)
    finally:
        os.close(fd)
        os.unlink(path)
    return {"dir": directory, "fs": filesystem_of(directory), "fdatasync_ms": summary(took), "load": load_average()}


def table(passes, probes):
    def cell(s):
        return f"{s['p50']} / {s['p90']} / **{s['p99']}** / {s['max']} ms (n={s['n']})" if s.get("n") else "–"

    print("| pass | who | slot → create's first byte on the wire, p50 / p90 / p99 / max | p99 ratio to the plain client "
          "| creates on a fresh connection / connections | load before / after |")
    print("|---|---|---|---|---|---|")
    for p in passes:
        label = f"{p['pass']} (state on {p['state_fs'][0]})"
        for who in ("daemon", "peer"):
            r = p[who]
            ratio = f"{r['wire_ms']['p99'] / p['peer']['wire_ms']['p99']:.2f}" if who == "daemon" and r["wire_ms"].get("n") \
                else "1"
            name = "fargate-cron" if who == "daemon" else "plain client (Python http.client, kept alive)"
            print(f"| {label} | {name} | {cell(r['wire_ms'])} | {ratio} | {r['first_request_of_a_connection']} / "
                  f"{r['connections']} | {r['load_before']} / {r['load_after']} |")
    print()
    print("| pass | slot → intent's `recorded_at` (ledger, ms) | `recorded_at` → wire | wire → `created_at` (answer) | "
          "slots without a create | states | daemon CPU | slowest five |")
    print("|---|---|---|---|---|---|---|---|")
    for p in passes:
        d = p["daemon"]
        print(f"| {p['pass']} | {cell(d['ledger_slot_to_recorded_ms'])} | {cell(d['ledger_recorded_to_wire_ms'])} | "
              f"{cell(d['wire_to_created_ms'])} | {d['slots_without_create']} | "
              f"{', '.join(f'{k} {v}' for k, v in sorted(d['states'].items()))} | {d['cpu_s']} s | "
              f"{', '.join(f'{v} ms' for v, _ in d['slowest'])} |")
    traced = [p for p in passes if p["daemon"].get("traced")]
    if traced:
        print("\n| pass (perf-traced: every system call of the daemon) | slot → timer wake-up | wake-up → intent's "
              "fdatasync | fdatasync | fdatasync done → create on the wire | slots traced |")
        print("|---|---|---|---|---|---|")
        for p in traced:
            t = p["daemon"]["traced"]
            print(f"| {p['pass']} | {cell(t['wake_ms'])} | {cell(t['wake_to_sync_ms'])} | {cell(t['sync_ms'])} | "
                  f"{cell(t['sync_to_wire_ms'])} | {t['slots']} |")
    for probe in probes:
        print(f"\nfdatasync of a 4 KiB append on {probe['dir']} ({' '.join(probe['fs'])}): {cell(probe['fdatasync_ms'])}, "
              f"load {probe['load']}")


def main():
    command = sys.argv[1]
    if command == "pass":
        front = sys.argv[5] if len(sys.argv) > 5 else None
        print(json.dumps(run_pass(sys.argv[2], os.path.abspath(sys.argv[3]), int(sys.argv[4]), front)))
    elif command == "fsync":
        print(json.dumps(fsync_probe(sys.argv[2], int(sys.argv[3]))))
    elif command == "table":
        results = [json.load(open(path)) for path in sys.argv[2:]]
        table([r for r in results if "pass" in r], [r for r in results if "fdatasync_ms" in r])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    fargate.signal.signal(fargate.signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    main()
