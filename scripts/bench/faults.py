"""Drives the fault-sequence benchmark (#13); see scripts/bench/faults.

  faults.py run BINARY SERVER FRONT   one pass: prints one JSON object. FRONT is http1 (the daemon → the fault
                                      proxy → the emulator) or h2 (the daemon → a raw fault proxy → nghttpx,
                                      TLS and HTTP/2 → a fault proxy → the emulator)
  faults.py table PASS.json...        prints the Markdown table of BENCHMARKS.md

The emulator, the Fargate controller (direct to the emulator, unfaulted: it plays the cluster's side), the
daemon and its ledger come from fargate.py's pieces; this file adds the fault proxies and the fault sequence:
300 ms added before every request, every third new connection reset during its first request, watch and log
streams cut (reset) after 4 kB of their answer, every open connection killed twice.
"""
import datetime
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from fargate import (DAEMON_TOKEN, FINAL, NAMESPACE, OBSERVER_TOKEN, get_json, load_average, requests_by_second,
                     start_controller, start_daemon, start_front, stop)

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, "..", "peers", "fault_proxy.py")
JOB = "faulty"
PERIOD = 6  # seconds: the job's schedule is */6 * * * * *
DURATION = int(os.environ.get("DURATION", "180"))  # seconds of slots measured: 30 slots by default
LATENCY_MS = int(os.environ.get("LATENCY_MS", "300"))
RESET_EVERY = int(os.environ.get("RESET_EVERY", "3"))
# 1: the doomed connection's request reaches the server, which acts on it, and the answer is lost (a create's
# outcome unknown to the daemon); 0: the request is lost on the way.
RESET_FORWARD = os.environ.get("RESET_FORWARD", "1") == "1"
CUT_BYTES = int(os.environ.get("CUT_BYTES", "4096"))
KILLS = int(os.environ.get("KILLS", "2"))
# What fargate_controller.py does with each run: 75 lines over a 1.5 s run (about 4.7 kB of log with timestamps,
# so the 4 kB cut strikes the log stream too, but about 3 kB in any one second: a cut stream is resumed from the
# whole second of its last line, as sinceTime allows, and a second with more than the cut's bytes could never be
# read past), then the usual 1 s between the log's end and the phase change: a run ends about 4 s after its
# slot, well inside the 6 s period, so that `forbid` (the default) skips a slot only when a run was held up.
SCRIPT = {"run-seconds": "1.5", "lines": os.environ.get("LINES", "75")}
KILL_OFFSET = 0.4  # s after a slot: the kills strike while that slot's start is in flight (300 ms per request)


class FaultProxy:
    """scripts/peers/fault_proxy.py in front of TARGET (HOST:PORT), stopped by stop() (its stdin closed)."""

    def __init__(self, target, raw=False):
        self.process = subprocess.Popen([sys.executable, PROXY, "--target", target] + (["--raw"] if raw else []),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ports = self.process.stdout.readline().split()
        if len(ports) != 2:
            self.stop()
            raise RuntimeError("the fault proxy did not start")
        self.port, self.control = int(ports[0]), f"http://127.0.0.1:{int(ports[1])}"

    def call(self, path, body=None, method=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.control + path, data=data, method=method or ("POST" if data else "GET"),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def write_schedule(crontabs):
    annotations = ",".join(f"test.fargate-cron/{k}={v}" for k, v in SCRIPT.items())
    with open(os.path.join(crontabs, "faulty.cron"), "w") as f:
        f.write(f"CRON_TZ=UTC\nCRON_NAMESPACE={NAMESPACE}\nCRON_IMAGE=app:1\nCRON_CPU=0.25\nCRON_MEMORY=0.5Gi\n"
                f"CRON_STARTING_DEADLINE=5s\nCRON_ANNOTATIONS={annotations}\n*/{PERIOD} * * * * * {JOB} bin/report\n")


def label(slot):
    """The Job's fargate-cron/scheduled-at label value of a slot (OwnershipLabels.labelValue)."""
    return datetime.datetime.fromtimestamp(slot, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ledger(folder, first, last):
    with sqlite3.connect(f"file:{os.path.join(folder, 'state', 'ledger.sqlite')}?mode=ro", uri=True, timeout=10) as db:
        return db.execute("SELECT scheduled_at / 1000, state, created_at, reported_at, output_lines, reason FROM run "
                          "WHERE job = ? AND scheduled_at BETWEEN ? AND ? ORDER BY scheduled_at",
                          (JOB, first * 1000, last * 1000)).fetchall()


def jobs_created(server, version):
    """(name, uid, slot label) of every Job created in the namespace since resourceVersion `version`, in order: the
    emulator's own record (its watch history), as the daemon deletes all but the last few finished Jobs."""
    url = (f"{server}/apis/batch/v1/namespaces/{NAMESPACE}/jobs?watch=true&resourceVersion={version}"
           f"&timeoutSeconds=2")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {OBSERVER_TOKEN}"})
    created = []
    with urllib.request.urlopen(request, timeout=30) as response:
        for line in response:
            event = json.loads(line)
            if event["type"] == "ADDED":
                meta = event["object"]["metadata"]
                created.append((meta["name"], meta["uid"], (meta.get("labels") or {}).get("fargate-cron/scheduled-at")))
    return created


def arm(proxy, *, latency, resets, cuts):
    if latency:
        proxy.call("/latency", {"ms": LATENCY_MS})
    if resets:
        proxy.call("/reset-every", {"n": RESET_EVERY, "forward": RESET_FORWARD})
    if cuts:  # every watch and log stream, for the whole run
        proxy.call("/rules", [{"action": "reset_after", "bytes": CUT_BYTES, "times": 10**9, "match": {"path": p}}
                              for p in ("watch=true", "/log?")])


def run(binary, server, front):
    """One pass of the fault sequence against the emulator at SERVER (http://127.0.0.1:PORT)."""
    folder = tempfile.mkdtemp(prefix="fc-faults-", dir="/tmp")  # short: the control socket's path
    emulator = server.removeprefix("http://")
    controller = start_controller(server)
    processes, proxies, daemon = [], [], None
    try:
        os.mkdir(os.path.join(folder, "crontabs"))
        write_schedule(os.path.join(folder, "crontabs"))
        if front == "http1":
            inner = FaultProxy(emulator)
            proxies.append(inner)
            arm(inner, latency=True, resets=True, cuts=True)
            outer, url, ca = inner, f"http://127.0.0.1:{inner.port}", None
        else:  # latency and cuts behind nghttpx, per request; resets and kills of the daemon's own connections in front
            inner = FaultProxy(emulator)
            proxies.append(inner)
            arm(inner, latency=True, resets=False, cuts=True)
            nghttpx, port = start_front(inner.port, folder)
            processes.append(nghttpx)
            outer = FaultProxy(f"127.0.0.1:{port}", raw=True)
            proxies.append(outer)
            arm(outer, latency=False, resets=True, cuts=False)
            url, ca = f"https://127.0.0.1:{outer.port}", os.path.join(os.environ["PEER_RUN_DIR"], "kmock", "ca.pem")
        version = get_json(f"{server}/apis/batch/v1/namespaces/{NAMESPACE}/jobs", OBSERVER_TOKEN)["metadata"]["resourceVersion"]
        load_before = load_average()
        daemon = start_daemon(binary, folder, url, ca=ca)  # under the faults from its first request
        ready = time.time()
        first = (int(ready) // PERIOD + 1) * PERIOD
        if first - ready < 2:
            first += PERIOD
        last = first + DURATION - PERIOD  # the slots measured: first, first + 6 s, ..., last
        kills = [first + (i + 1) * (DURATION // PERIOD // (KILLS + 1)) * PERIOD + KILL_OFFSET for i in range(KILLS)]
        killed = []
        for at in kills:
            time.sleep(max(0.0, at - time.time()))
            before = outer.call("/faults")
            outer.call("/reset-all", method="POST")
            killed.append(outer.call("/faults")["reset_all"] - before["reset_all"])
            print(f"faults: killed {killed[-1]} connections ({before['open']} open)", file=sys.stderr)
        deadline = last + 90
        while time.time() < deadline:  # until every slot measured is settled and every started run reported
            rows = ledger(folder, first, last)
            if (time.time() > last + 5 and len(rows) == DURATION // PERIOD
                    and all(r[1] in FINAL and (r[2] is None or r[3] is not None) for r in rows)):
                break
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited ({daemon.returncode}); see {folder}/daemon.log")
            time.sleep(0.5)
        rows = ledger(folder, first, last)
        load_after = load_average()
        created = jobs_created(server, version)
        pods = get_json(f"{server}/api/v1/namespaces/{NAMESPACE}/pods", OBSERVER_TOKEN)["items"]
        faults = [p.call("/faults") for p in proxies]
        seen = proxies[0].call("/requests")
        verbs = {}
        for second in requests_by_second(server, DAEMON_TOKEN).values():
            for key, count in second.items():
                verbs[key] = verbs.get(key, 0) + count
        exit_code = stop(daemon)
        daemon = None
    finally:
        if daemon is not None:
            daemon.kill()
            daemon.wait()
        for proxy in reversed(proxies):
            proxy.stop()
        for process in processes:
            stop(process)
        stop(controller)
    slots = list(range(first, last + 1, PERIOD))
    labels = {label(s): s for s in slots}
    jobs_per_slot = {s: 0 for s in slots}
    for _, _, slot_label in created:
        if slot_label in labels:
            jobs_per_slot[labels[slot_label]] += 1
    in_window = {label(s) for s in slots}
    finished_left = [p["metadata"]["name"] for p in pods
                     if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")
                     and (p["metadata"].get("labels") or {}).get("fargate-cron/scheduled-at") in in_window]
    states = {}
    for row in rows:
        states[row[1]] = states.get(row[1], 0) + 1
    keep = exit_code != 0 or os.environ.get("KEEP_STATE") == "1"
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "front": front, "slots_due": len(slots), "duration_s": DURATION, "reset_forward": RESET_FORWARD,
        "slots_with_job": sum(1 for n in jobs_per_slot.values() if n >= 1),
        "slots_with_two_jobs": sum(1 for n in jobs_per_slot.values() if n >= 2),
        "jobs_created_in_all": len(created),  # the slots measured, and any after them before the daemon stopped
        "slots_with_job_in_ledger": sum(1 for r in rows if r[2] is not None),
        "slots_without_job": [f"{label(s)} ({next((f'{r[1]}: {r[5]}' for r in rows if r[0] == s), 'not in the ledger')})"
                              for s, n in jobs_per_slot.items() if n == 0],
        "states": states,
        "runs_missing_lines": [f"{label(r[0])} ({r[4]} lines)" for r in rows
                               if r[2] is not None and r[4] != int(SCRIPT["lines"])],
        "finished_pods_left": finished_left, "pods_left_in_window": sum(
            1 for p in pods if (p["metadata"].get("labels") or {}).get("fargate-cron/scheduled-at") in in_window),
        "daemon_requests_by_verb": verbs, "requests_through_proxy": len(seen),
        "proxies": faults, "killed_per_kill": killed,
        "load_before": load_before, "load_after": load_after, "daemon_exit": exit_code,
        "kept_folder": folder if keep else None,
    }


def table(passes):
    print("| measure | " + " | ".join({"http1": "HTTP/1.1 through the proxy", "h2": "HTTP/2 (nghttpx) between proxies"}[p["front"]]
                                        for p in passes) + " |")
    print("|---|" + "---|" * len(passes))

    def row(label_, cell):
        print(f"| {label_} | " + " | ".join(cell(p) for p in passes) + " |")

    row("slots due", lambda p: f"{p['slots_due']} ({p['duration_s']} s)")
    row("slots with their Job (Jobs the emulator created, by slot label / ledger `created_at`)",
        lambda p: f"**{p['slots_with_job']}** ({100 * p['slots_with_job'] / p['slots_due']:.0f} %) / {p['slots_with_job_in_ledger']}")
    row("slots with two Jobs", lambda p: str(p["slots_with_two_jobs"]))
    row("slots without a Job (ledger state: reason)", lambda p: "; ".join(p["slots_without_job"]) or "none")
    row("runs by final state", lambda p: ", ".join(f"{s} {n}" for s, n in sorted(p["states"].items())))
    row(f"runs without all their {SCRIPT['lines']} lines (ledger `output_lines`)", lambda p: str(len(p["runs_missing_lines"])))
    row("finished pods left in the cluster / pods of the slots left", lambda p: f"{len(p['finished_pods_left'])} / {p['pods_left_in_window']}")
    row("daemon's requests at the emulator (from its start, by verb)", lambda p: f"{sum(p['daemon_requests_by_verb'].values())}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(p["daemon_requests_by_verb"].items(), key=lambda kv: -kv[1])))
    row("connections the daemon opened (the front proxy's count: first + reconnects)", lambda p: str(p["proxies"][-1]["connections"]))
    row("faults struck: connections reset (every 3rd) / killed (two kills) / streams cut", lambda p: "{} / {} ({}) / {}".format(
        p["proxies"][-1]["reset_every"], p["proxies"][-1]["reset_all"], " + ".join(map(str, p["killed_per_kill"])),
        p["proxies"][0]["rules"].get("reset_after", 0)))
    row("of which on the start path (Job create POSTs; lookups after a lost create): reset / killed",
        lambda p: "{} creates, {} lookups / {} creates, {} lookups".format(*(
            sum(1 for r in p["proxies"][-1]["requests"][kind] if r.startswith(verb) and test(r))
            for kind in ("reset_every", "reset_all")
            for verb, test in (("POST ", lambda r: r.endswith("/jobs")),
                               ("GET ", lambda r: "/jobs/" in r and "watch" not in r))))
        if p["front"] == "http1" else "– (not visible through TLS)")
    row("load average before / after", lambda p: f"{p['load_before']} / {p['load_after']}")
    row("daemon exit status on SIGTERM", lambda p: str(p["daemon_exit"]))


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: leave no child behind
    command = sys.argv[1]
    if command == "run":
        print(json.dumps(run(os.path.abspath(sys.argv[2]), sys.argv[3], sys.argv[4])))
    elif command == "table":
        table([json.load(open(path)) for path in sys.argv[2:]])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
