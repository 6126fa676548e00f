#!/usr/bin/env python3
"""SIGTERM sent the moment a service says READY=1, many times, on a busy host: how many are lost.

Usage: scripts/bench/sigterm_after_ready.py [--daemon] [--burners N] [--times N] BINARY
  BINARY      the notify-probe test tool (default mode), or fargate-cron with --daemon
  --burners   busy-loop processes beside it (default 3 on this 2-core host): the race needs a late
              Dispatch manager thread
  --times     how many starts (default 100)
A service that registers its signal sources before READY=1 loses none; one that says READY=1 first
loses those sent before the registration (the signal is still SIG_IGN then, and the main thread, which
`dispatch_main` leaves with an empty mask, makes the kernel drop it). Measured in BENCHMARKS.md
("Systemd"). Everything is local: a temporary folder and a notify socket in it.
"""
import argparse, os, shutil, signal, socket, subprocess, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("--daemon", action="store_true")
parser.add_argument("--burners", type=int, default=3)
parser.add_argument("--times", type=int, default=100)
options = parser.parse_args()

burners = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(options.burners)]
lost, stops = 0, []
try:
    for attempt in range(options.times):
        folder = tempfile.mkdtemp(prefix="sigterm-ready.")
        crontabs = os.path.join(folder, "crontabs")
        os.mkdir(crontabs)
        with open(os.path.join(crontabs, "a.cron"), "w") as f:
            f.write("CRON_EXECUTOR=local\n0 0 1 1 * yearly true\n")
        notify = os.path.join(folder, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify)
        listener.settimeout(30)
        command = [options.binary, "--crontabs", crontabs]
        if options.daemon:
            command = [options.binary, "daemon", "--crontabs", crontabs, "--state-dir", os.path.join(folder, "state")]
        environment = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        environment["NOTIFY_SOCKET"] = notify
        service = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while "READY=1" not in listener.recv(4096).decode():
            pass
        service.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            service.wait(timeout=5)
            stops.append(time.monotonic() - sent)
        except subprocess.TimeoutExpired:
            lost += 1
            service.kill()
            service.wait()
        listener.close()
        shutil.rmtree(folder)
finally:
    for burner in burners:
        burner.kill()
        burner.wait()
slowest = f"{max(stops) * 1000:.0f} ms" if stops else "-"
print(f"{options.binary}: {lost} of {options.times} SIGTERMs sent right after READY=1 lost "
      f"({options.burners} busy loops beside it; slowest stop {slowest})")
