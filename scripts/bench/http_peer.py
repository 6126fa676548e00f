#!/usr/bin/env python3
"""The peer for scripts/bench/http's streams: N followed log streams with aiohttp (one event-loop
thread, one HTTP/1.1 connection per stream), on the emulator directly. Prints one JSON object."""
import argparse
import asyncio
import json
import os
import random
import time

import aiohttp


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def running_pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "fargate-ip-10-0-1-1.compute.internal", "restartPolicy": "Never",
                     "containers": [{"name": "job", "image": "busybox:1.36"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "job", "ready": True, "restartCount": 0,
                                                                  "state": {"running": {"startedAt": "2026-03-08T03:00:00Z"}}}]}}


async def main(server: str, streams: int, lines: int) -> dict:
    namespace = f"peer-streams-{random.getrandbits(32)}"
    baseline = threads()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for index in range(streams):
            # Made as the test harness (a `system:` token is not held to the shipped Role), running on a
            # node with one container: the emulator refuses or empties the logs of any other pod.
            async with session.post(f"{server}/api/v1/namespaces/{namespace}/pods", json=running_pod(f"pod-{index}"),
                                    headers={"Authorization": "Bearer system:admin"}) as r:
                r.raise_for_status()
        before = rss_kb()
        opened = 0

        async def read(index: int) -> int:
            nonlocal opened
            count = 0
            async with session.get(f"{server}/api/v1/namespaces/{namespace}/pods/pod-{index}/log",
                                   params={"follow": "true"}, timeout=aiohttp.ClientTimeout(total=None)) as r:
                async for _ in r.content:
                    count += 1
                    if count == 1:
                        opened += 1
            return count

        started = time.perf_counter()
        readers = [asyncio.create_task(read(index)) for index in range(streams)]
        for index in range(streams):
            async with session.post(f"{server}/_emulator/logs/{namespace}/pod-{index}", json={"lines": ["first"]}) as r:
                r.raise_for_status()
        peak = threads()
        while opened < streams:
            await asyncio.sleep(0.02)
            peak = max(peak, threads())
        open_ms = (time.perf_counter() - started) * 1000
        rss_open = rss_kb()
        for round_ in range(1, lines):
            for index in range(streams):
                body = {"lines": [f"line {round_}"], "close": round_ == lines - 1}
                async with session.post(f"{server}/_emulator/logs/{namespace}/pod-{index}", json=body) as r:
                    r.raise_for_status()
        total = sum(await asyncio.gather(*readers))
        if total != streams * lines:
            raise SystemExit(f"received {total} lines, expected {streams * lines}")
    return {"scenario": "streams", "route": "python aiohttp (HTTP/1.1)", "streams": streams, "lines_per_stream": lines,
            "threads_baseline": baseline, "threads_peak": peak, "threads_added": peak - baseline,
            "connections_opened": streams, "ms_until_all_open": open_ms, "rss_before_kb": before,
            "rss_all_open_kb": rss_open}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--lines", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.server, args.streams, args.lines)), sort_keys=True))
