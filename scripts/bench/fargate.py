"""Drives the Fargate executor benchmark; see scripts/bench/fargate.

  fargate.py herd BINARY CAP JOBS LEAD SERVER   the daemon against a fresh emulator: prints one JSON object
  fargate.py peer JOBS CONCURRENCY SERVER       a plain aiohttp client creating JOBS Jobs: prints one JSON object
  fargate.py table HERD.json... PEER.json       prints the Markdown table of BENCHMARKS.md

Both runs have one scripts/peers/fargate_controller.py for the namespace, playing Job controller and Fargate.
"""
import asyncio
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
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CONTROLLER = os.path.join(HERE, "..", "peers", "fargate_controller.py")
NAMESPACE = "bench"
DAEMON_TOKEN = "fargate-cron-bench"  # the emulator's stats tell clients apart by bearer token
PEER_TOKEN = "peer-bench"
OBSERVER_TOKEN = "observer-bench"  # this script's own reads, so that they are not counted as the daemon's
# What fargate_controller.py does with each run (RUN_SECONDS, LINES: a longer run keeps all of a herd's
# pods running, each with its log stream open, at once).
SCRIPT = {"run-seconds": os.environ.get("RUN_SECONDS", "1"), "lines": os.environ.get("LINES", "3")}
TICKS = os.sysconf("SC_CLK_TCK")
FINAL = ("succeeded", "failed", "cancelled", "replaced", "skipped", "missed", "suspended")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else None


def get_json(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def emulator_pid():
    """The emulator's process: this run's own, started by kmock.sh under PEER_RUN_DIR."""
    with open(os.path.join(os.environ["PEER_RUN_DIR"], "kmock", "pid")) as f:
        return int(f.read())


def start_controller(server):
    controller = subprocess.Popen([sys.executable, CONTROLLER, "--server", server, "--namespace", NAMESPACE],
                                  stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    if controller.stdout.readline().strip() != b"ready":
        controller.kill()
        raise RuntimeError("the Fargate controller did not start")
    return controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_front(backend_port, folder):
    """nghttpx (scripts/peers/nghttpx.sh serve: TLS, h2 by ALPN, with kmock's certificate in FOLDER) in front of
    127.0.0.1:BACKEND_PORT; returns it and its port. Used by scripts/bench/faults and scripts/bench/warm-create."""
    port = free_port()
    front = subprocess.Popen([os.path.join(HERE, "..", "peers", "nghttpx.sh"), "serve", os.path.join(folder, "nghttpx"),
                              f"127.0.0.1,{backend_port}", str(port)],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return front, port
        except OSError:
            if front.poll() is not None:
                break
            time.sleep(0.1)
    stop(front)
    raise RuntimeError("nghttpx did not listen")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def requests_by_second(server, client):
    """{second: {verb resource: count}} of one client's requests, from the emulator's stats."""
    seconds = {}
    for row in get_json(f"{server}/_emulator/stats")["requests"]:
        if client is None or row["client"] == client:
            verbs = seconds.setdefault(row["second"], {})
            key = f"{row['verb']} {row['resource']}"
            verbs[key] = verbs.get(key, 0) + row["count"]
    return seconds


def peak(seconds, key=None):
    """The busiest second: (second, count, its verbs), counting all requests or only `key`."""
    def count(verbs):
        return verbs.get(key, 0) if key else sum(verbs.values())
    if not seconds:
        return None, 0, {}
    second = max(seconds, key=lambda s: count(seconds[s]))
    return second, count(seconds[second]), seconds[second]


def thread_names(pid):
    """{name: count} of the process's threads (/proc/PID/task/*/comm, what `ps -L` shows)."""
    names = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                name = f.read().strip()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        names[name] = names.get(name, 0) + 1
    return names


class Sampler(threading.Thread):
    """Samples the daemon's RSS and thread count every 100 ms while the herd runs (and the threads' names
    at the peak)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_threads, self.peak_thread_names, self.running = pid, 0, 0, {}, True
        self.peak_smaps = ""

    def run(self):
        while self.running:
            try:
                rss = status_kib(self.pid, "VmRSS")
                if rss > self.peak_rss and os.environ.get("SMAPS_AT_PEAK"):
                    with open(f"/proc/{self.pid}/smaps") as f:
                        self.peak_smaps = f.read()
                self.peak_rss = max(self.peak_rss, rss)
                if os.environ.get("MALLOC_STATS_AT_MIB") and rss > int(os.environ["MALLOC_STATS_AT_MIB"]) * 1024:
                    os.environ.pop("MALLOC_STATS_AT_MIB")  # once: glibc's arena figures, into daemon.log
                    subprocess.run(["gdb", "-batch", "-p", str(self.pid), "-ex", "call (void)malloc_stats()"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                threads = status_kib(self.pid, "Threads")
                if threads > self.peak_threads:
                    self.peak_threads, self.peak_thread_names = threads, thread_names(self.pid)
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.1)


def write_schedules(crontabs, jobs, slot):
    """JOBS kubernetes jobs in files of 100, all with the one slot: a seconds schedule `S M H * * *` (UTC)."""
    at = datetime.datetime.fromtimestamp(slot, datetime.timezone.utc)
    schedule = f"{at.second} {at.minute} {at.hour} * * *"
    annotations = ",".join(f"test.fargate-cron/{k}={v}" for k, v in SCRIPT.items())
    for first in range(0, jobs, 100):
        with open(os.path.join(crontabs, f"herd-{first // 100}.cron"), "w") as f:
            f.write(f"CRON_TZ=UTC\nCRON_NAMESPACE={NAMESPACE}\nCRON_IMAGE=app:1\nCRON_CPU=0.25\nCRON_MEMORY=0.5Gi\n"
                    f"CRON_CONCURRENCY=forbid\nCRON_ANNOTATIONS={annotations}\n")
            for i in range(first, min(first + 100, jobs)):
                f.write(f"{schedule} herd-{i:03d} bin/report\n")
    return schedule


def start_daemon(binary, folder, server, cap=None, ca=None):
    """The daemon on FOLDER/crontabs, its state in FOLDER/state, its output in FOLDER/daemon.log, talking to
    SERVER (trusting the CA file `ca` for https) with the bench token; returns it once it notified READY=1.
    `cap`: its --max-starts-per-second (the daemon's default when None). Also used by scripts/bench/faults and scripts/bench/warm-create."""
    authority = f"    certificate-authority: {ca}\n" if ca else ""
    with open(os.path.join(folder, "kubeconfig"), "w") as f:
        f.write(f"apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: {server}\n{authority}"
                f"users:\n- name: bench\n  user:\n    token: {DAEMON_TOKEN}\ncontexts:\n- name: emulator\n"
                f"  context: {{cluster: emulator, user: bench}}\ncurrent-context: emulator\n")
    notify = os.path.join(folder, "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify)
    env = {k: v for k, v in os.environ.items()
           if k not in ("JOURNAL_STREAM", "WATCHDOG_USEC", "KUBECONFIG", "FARGATE_CRON_STATE_DIR", "FARGATE_CRON_CRONTABS")}
    env.update(NOTIFY_SOCKET=notify, FARGATE_CRON_KUBECONFIG=os.path.join(folder, "kubeconfig"))
    log = open(os.path.join(folder, "daemon.log"), "w")
    daemon = subprocess.Popen(
        [binary, "daemon", "--crontabs", os.path.join(folder, "crontabs"), "--state-dir", os.path.join(folder, "state")]
        + (["--max-starts-per-second", str(cap)] if cap is not None else [])
        + (["--max-active-runs", os.environ["MAX_ACTIVE_RUNS"]] if os.environ.get("MAX_ACTIVE_RUNS") else []),
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    listener.settimeout(30)
    try:
        while b"READY=1" not in listener.recv(4096).split(b"\n"):
            pass
    except BaseException:  # not READY in 30 s (or interrupted): the caller has no daemon to stop, so stop it here
        daemon.kill()
        daemon.wait()
        raise
    finally:
        listener.close()
    return daemon


def ledger_rows(folder, slot):
    database = os.path.join(folder, "state", "ledger.sqlite")
    if not os.path.exists(database):
        return []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(
            "SELECT job, state, recorded_at, created_at, pod_finished_at, pod_deleted_at, reported_at, pod, "
            "pod_scheduled_at, output_lines "
            "FROM run WHERE scheduled_at = ?", (slot * 1000,)).fetchall()


def herd(binary, server, cap, jobs, lead):
    controller = start_controller(server)
    daemon = front = None
    folder = tempfile.mkdtemp(prefix="fc-fargate-", dir="/tmp")  # short: the control socket's path
    try:
        os.mkdir(os.path.join(folder, "crontabs"))
        slot = int(time.time()) + lead
        schedule = write_schedules(os.path.join(folder, "crontabs"), jobs, slot)
        if os.environ.get("FRONT") == "h2":  # as to EKS: HTTP/2 over TLS, every stream on one connection
            front, port = start_front(int(server.rsplit(":", 1)[1]), folder)
            ca = os.path.join(os.environ["PEER_RUN_DIR"], "kmock", "ca.pem")
            daemon = start_daemon(binary, folder, f"https://127.0.0.1:{port}", cap, ca=ca)
        else:
            daemon = start_daemon(binary, folder, server, cap)
        if time.time() > slot - 2:
            raise RuntimeError(f"the daemon was ready less than 2 s before the slot; raise LEAD (now {lead} s)")
        if os.environ.get("HEAPTRACK_OUTPUT"):  # a heap profile from READY to the daemon's exit
            subprocess.Popen(["heaptrack", "-o", f"{os.environ['HEAPTRACK_OUTPUT']}.cap{cap}", "-p", str(daemon.pid)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(5)
        rss_ready = status_kib(daemon.pid, "VmRSS")
        threads_ready = thread_names(daemon.pid)
        time.sleep(max(0.0, slot - 1 - time.time()))
        pids = {"daemon": daemon.pid, "emulator": emulator_pid(), "controller": controller.pid}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load_before = load_average()
        sampler = Sampler(daemon.pid)
        sampler.start()
        if os.environ.get("PERF_DATA"):  # a CPU profile of the daemon's first 30 s of the herd
            profiler = subprocess.Popen(["perf", "record", "-F", "199", "-g", "-o", os.environ["PERF_DATA"],
                                         "-p", str(daemon.pid), "--", "sleep", "30"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = slot + 300
        while time.time() < deadline:  # until every slot is settled and every started run reported
            rows = ledger_rows(folder, slot)
            if len(rows) == jobs and all(r[1] in FINAL and (r[3] is None or r[6] is not None) for r in rows):
                break
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited ({daemon.returncode}); see {folder}/daemon.log")
            time.sleep(0.5)
        settled = time.time()
        sampler.running = False
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        rss_peak = max(sampler.peak_rss, status_kib(daemon.pid, "VmHWM"))
        if os.environ.get("SMAPS_AT_PEAK"):
            with open(f"{os.environ['SMAPS_AT_PEAK']}.cap{cap}", "w") as f:
                f.write(sampler.peak_smaps)
        load_after = load_average()
        rows = ledger_rows(folder, slot)
        pods_left = len(get_json(f"{server}/api/v1/namespaces/{NAMESPACE}/pods", OBSERVER_TOKEN)["items"])
        jobs_in_cluster = len(get_json(f"{server}/apis/batch/v1/namespaces/{NAMESPACE}/jobs", OBSERVER_TOKEN)["items"])
        ours = requests_by_second(server, DAEMON_TOKEN)
        everyone = requests_by_second(server, None)
        lists = {}
        for row in get_json(f"{server}/_emulator/stats")["lists"]:
            if row["client"] == DAEMON_TOKEN:
                entry = lists.setdefault(row["resource"], {"lists": 0, "items": 0, "largest": 0})
                entry["lists"] += row["count"]
                entry["items"] += row["items"] * row["count"]
                entry["largest"] = max(entry["largest"], row["items"])
        exit_code = stop(daemon)
        daemon = None
    finally:
        if daemon is not None:
            daemon.kill()
            daemon.wait()
        if front is not None:
            stop(front)
        stop(controller)
    states = {}
    for row in rows:
        states[row[1]] = states.get(row[1], 0) + 1
    created = sorted(r[3] - slot * 1000 for r in rows if r[3] is not None)
    deleted = sorted(r[5] - r[4] for r in rows if r[4] is not None and r[5] is not None)
    starts = {}
    for r in rows:
        if r[3] is not None:
            starts[r[3] // 1000] = starts.get(r[3] // 1000, 0) + 1
    # Pods running at once (scheduled to finished, from the ledger): how many log streams were open together.
    edges = sorted([(r[8], 1) for r in rows if r[8] is not None and r[4] is not None]
                   + [(r[4], -1) for r in rows if r[8] is not None and r[4] is not None])
    running, running_peak = 0, 0
    for _, step in edges:
        running += step
        running_peak = max(running_peak, running)
    herd_seconds = {s: v for s, v in ours.items() if s >= slot - 1}
    ours_peak = peak(herd_seconds)
    creates_peak = peak(herd_seconds, "create jobs")
    all_peak = peak({s: v for s, v in everyone.items() if s >= slot - 1})
    totals, whole_life = {}, {}
    for verbs in herd_seconds.values():
        for key, count in verbs.items():
            totals[key] = totals.get(key, 0) + count
    for verbs in ours.values():  # from the daemon's start: its caches list and watch before the herd
        for key, count in verbs.items():
            whole_life[key] = whole_life.get(key, 0) + count
    keep = exit_code != 0 or os.environ.get("KEEP_STATE") == "1"
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "cap": cap, "jobs": jobs, "schedule": schedule, "lead_s": lead, "front": os.environ.get("FRONT") or "none",
        "states": states, "runs_recorded": len(rows),
        "slot_to_first_job_ms": created[0] if created else None,
        "slot_to_job_p50_ms": percentile(created, 50), "slot_to_last_job_ms": created[-1] if created else None,
        "peak_starts_per_second_ledger": max(starts.values()) if starts else 0,
        "peak_daemon_requests_per_second": ours_peak[1], "peak_daemon_second_verbs": ours_peak[2],
        "peak_job_creates_per_second": creates_peak[1],
        "peak_all_clients_requests_per_second": all_peak[1], "peak_all_clients_second_verbs": all_peak[2],
        "daemon_requests_by_verb": totals, "daemon_requests_whole_life": whole_life, "daemon_lists": lists,
        "finished_to_deleted_ms": {"n": len(deleted), "p50": percentile(deleted, 50), "p99": percentile(deleted, 99),
                                   "max": deleted[-1] if deleted else None},
        "runs_without_pod_times": sorted(f"{r[0]} (pod {r[7]}, finished {r[4]}, deleted {r[5]})"
                                         for r in rows if r[3] is not None and (r[4] is None or r[5] is None)),
        "runs_missing_lines": sorted(f"{r[0]} ({r[9]} lines)" for r in rows
                                     if r[3] is not None and r[9] != int(SCRIPT["lines"])),
        "pods_running_at_once_peak": running_peak,
        "pods_left": pods_left, "jobs_in_cluster": jobs_in_cluster,
        "herd_wall_s": round(settled - (slot - 1), 1),
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "daemon_rss_ready_mib": round(rss_ready / 1024, 1), "daemon_rss_peak_mib": round(rss_peak / 1024, 1),
        "daemon_threads_ready": sum(threads_ready.values()), "daemon_threads_peak": sampler.peak_threads,
        "daemon_thread_names_ready": threads_ready, "daemon_thread_names_peak": sampler.peak_thread_names,
        "script": SCRIPT, "max_active_runs": os.environ.get("MAX_ACTIVE_RUNS") or "the daemon's default",
        "load_before": load_before, "load_after": load_after, "daemon_exit": exit_code,
        "kept_folder": folder if keep else None,
    }


def peer_job(name, labels=None):
    """The Job a plain client creates: the daemon's Job for a run, less its ownership labels (`labels` adds some)."""
    annotations = {f"test.fargate-cron/{k}": v for k, v in SCRIPT.items()}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": NAMESPACE, "annotations": annotations,
                         "labels": {"app.kubernetes.io/managed-by": "peer", **(labels or {})}},
            "spec": {"backoffLimit": 0, "template": {"metadata": {"annotations": annotations}, "spec": {
                "restartPolicy": "Never", "containers": [{"name": "main", "image": "app:1", "command": ["bin/report"],
                "resources": {"requests": {"cpu": "0.25", "memory": "0.5Gi"}}}]}}}}


async def create_all(server, jobs, concurrency):
    import aiohttp
    url = f"{server}/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Authorization": f"Bearer {PEER_TOKEN}"}
    done = []
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def create(i):
            async with session.post(url, json=peer_job(f"peer-{i:03d}")) as response:
                await response.read()
                if response.status != 201:
                    raise RuntimeError(f"create peer-{i:03d}: HTTP {response.status}")
                done.append(time.time())
        began = time.time()
        await asyncio.gather(*(create(i) for i in range(jobs)))
    return began, sorted(done)


def peer(server, jobs, concurrency):
    controller = start_controller(server)
    try:
        began, done = asyncio.run(create_all(server, jobs, concurrency))
        creates = peak({s: v for s, v in requests_by_second(server, PEER_TOKEN).items()}, "create jobs")[1]
    finally:
        stop(controller)
    return {"jobs": jobs, "concurrency": concurrency, "first_job_ms": round((done[0] - began) * 1000),
            "last_job_ms": round((done[-1] - began) * 1000), "jobs_per_second": round(jobs / (done[-1] - began), 1),
            "peak_job_creates_per_second": creates}


def per_run(h):
    """(requests per run besides the watches, the log streams and the first list of each kind; log streams per run),
    from the daemon's start."""
    verbs = h["daemon_requests_whole_life"]
    started = sum(n for s, n in h["states"].items() if s not in ("skipped", "missed")) or 1
    first_lists = sum(1 for k in verbs if k.startswith("list "))
    rest = sum(v for k, v in verbs.items() if not k.startswith("watch ") and not k.startswith("log ")) - first_lists
    return rest / started, sum(v for k, v in verbs.items() if k.startswith("log ")) / started


def table(herds, ceiling):
    print("| measure | " + " | ".join(f"cap {h['cap']}/s" + (" (HTTP/2 via nghttpx)" if h.get("front") == "h2" else "")
                                      for h in herds) + " |")
    print("|---|" + "---|" * len(herds))

    def row(label, cell):
        print(f"| {label} | " + " | ".join(cell(h) for h in herds) + " |")

    row("slots started / skipped / missed (of " + str(herds[0]["jobs"]) + ")", lambda h: " / ".join(
        str(sum(n for s, n in h["states"].items() if s not in ("skipped", "missed")) if k == "started" else h["states"].get(k, 0))
        for k in ("started", "skipped", "missed")))
    row("final states", lambda h: ", ".join(f"{s} {n}" for s, n in sorted(h["states"].items())))
    row("slot to first / median / last Job created (ledger `created_at`)",
        lambda h: f"{h['slot_to_first_job_ms']} / {h['slot_to_job_p50_ms']} / **{h['slot_to_last_job_ms']} ms**")
    row(f"floor for the last Job at the cap ({herds[0]['jobs']} / cap)", lambda h: f"{h['jobs'] / h['cap'] * 1000:.0f} ms")
    row("Jobs created per second, peak (ledger / API server)",
        lambda h: f"{h['peak_starts_per_second_ledger']} / {h['peak_job_creates_per_second']} (cap {h['cap']})")
    row("daemon's requests in its busiest second", lambda h: f"{h['peak_daemon_requests_per_second']}: " + ", ".join(
        f"{k} {v}" for k, v in sorted(h["peak_daemon_second_verbs"].items(), key=lambda kv: -kv[1])))
    row("all clients' requests in the API server's busiest second (daemon + controller)",
        lambda h: str(h["peak_all_clients_requests_per_second"]))
    row("daemon's requests for the whole herd", lambda h: f"{sum(h['daemon_requests_by_verb'].values())}: " + ", ".join(
        f"{k} {v}" for k, v in sorted(h["daemon_requests_by_verb"].items(), key=lambda kv: -kv[1])))
    row("daemon's lists: objects returned in all / the largest", lambda h: "; ".join(
        f"{r} {v['lists']} lists, {v['items']} objects, largest {v['largest']}" for r, v in sorted(h["daemon_lists"].items())))
    row("pod finished to pod deleted, p50 / p99 / max (`pod_deleted_at − pod_finished_at`)",
        lambda h: "{p50} / {p99} / {max} ms (n={n})".format(**h["finished_to_deleted_ms"]))
    row("runs with no pod in their report (no output lines, no pod times)",
        lambda h: str(len(h["runs_without_pod_times"])))
    row("runs without all their output lines (ledger `output_lines`)", lambda h: str(len(h.get("runs_missing_lines", []))))
    row("pods running at once, peak (ledger `pod_scheduled_at` to `pod_finished_at`)",
        lambda h: str(h.get("pods_running_at_once_peak", "–")))
    row("daemon's requests from its start to the herd's end (its caches list and watch at start-up)",
        lambda h: f"{sum(h['daemon_requests_whole_life'].values())}: " + ", ".join(
            f"{k} {v}" for k, v in sorted(h["daemon_requests_whole_life"].items(), key=lambda kv: -kv[1])))
    row("daemon's watches from its start to the herd's end (one namespace)",
        lambda h: str(sum(v for k, v in h["daemon_requests_whole_life"].items() if k.startswith("watch "))))
    row("daemon's requests per run besides the watches and the first list of each kind: the rest / log streams",
        lambda h: "{:.2f} / {:.2f}".format(*per_run(h)))
    row("pods left in the cluster after the herd / Jobs kept", lambda h: f"{h['pods_left']} / {h['jobs_in_cluster']}")
    row("herd wall time (slot − 1 s to every run reported)", lambda h: f"{h['herd_wall_s']} s")
    row("CPU seconds in that time: daemon / emulator / controller", lambda h: " / ".join(
        str(h["cpu_s"][k]) for k in ("daemon", "emulator", "controller")))
    row("daemon RSS at READY / peak", lambda h: f"{h['daemon_rss_ready_mib']} / {h['daemon_rss_peak_mib']} MiB")
    row("daemon threads at READY / peak (`/proc/PID/status`), by name at the peak", lambda h: "{} / **{}**: {}".format(
        h.get("daemon_threads_ready", "–"), h.get("daemon_threads_peak", "–"),
        ", ".join(f"{n} {c}" for n, c in sorted(h.get("daemon_thread_names_peak", {}).items(), key=lambda kv: -kv[1]))))
    row("load average before / after", lambda h: f"{h['load_before']} / {h['load_after']}")
    row("daemon exit status on SIGTERM", lambda h: str(h["daemon_exit"]))
    print()
    print(f"Ceiling (same run, fresh emulator + controller): a plain aiohttp client creating {ceiling['jobs']} Jobs, "
          f"{ceiling['concurrency']} connections: last Job after {ceiling['last_job_ms']} ms = "
          f"{ceiling['jobs_per_second']} Jobs/s (peak {ceiling['peak_job_creates_per_second']} in one second).")
    for h in herds:
        rate = h["jobs"] / (h["slot_to_last_job_ms"] / 1000) if h["slot_to_last_job_ms"] else 0
        print(f"- cap {h['cap']}/s: the daemon made its {h['jobs']} Jobs at {rate:.1f} Jobs/s (slot to last), "
              f"{rate / min(h['cap'], ceiling['jobs_per_second']):.2f} of min(cap, ceiling); "
              f"time to the last Job {h['slot_to_last_job_ms'] / ceiling['last_job_ms']:.2f}× the plain client's.")


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: leave no child behind
    command = sys.argv[1]
    if command == "herd":
        binary, cap, jobs, lead, server = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        print(json.dumps(herd(os.path.abspath(binary), server, cap, jobs, lead)))
    elif command == "peer":
        print(json.dumps(peer(sys.argv[4], int(sys.argv[2]), int(sys.argv[3]))))
    elif command == "table":
        results = [json.load(open(path)) for path in sys.argv[2:]]
        table(results[:-1], results[-1])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
