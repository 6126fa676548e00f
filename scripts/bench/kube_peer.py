#!/usr/bin/env python3
"""The peer client for scripts/bench/kube: the same create+get loop with `requests` (one keep-alive
session), and the same 200 followed log streams with aiohttp, so the figures compare in one run."""
import argparse
import asyncio
import json
import random
import resource
import time

import aiohttp
import requests


def job(name: str) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "fargate-cron"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "job", "image": "busybox:1.36", "command": ["/bin/sh", "-c", "true"]}],
                "restartPolicy": "Never"}}}}


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def create_get(server: str, iterations: int) -> dict:
    session = requests.Session()
    namespace = f"peer-{random.getrandbits(32)}"
    base = f"{server}/apis/batch/v1/namespaces/{namespace}/jobs"
    for warmup in range(20):
        session.post(base, json=job(f"warmup-{warmup}")).raise_for_status()
    pairs = []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    for index in range(iterations):
        before = time.perf_counter()
        created = session.post(base, json=job(f"bench-{index}"))
        created.raise_for_status()
        session.get(f"{base}/{created.json()['metadata']['name']}").raise_for_status()
        pairs.append(time.perf_counter() - before)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    pairs.sort()
    return {"client": "python requests", "iterations": iterations, "seconds": seconds,
            "requests_per_second": iterations * 2 / seconds,
            "client_cpu_us_per_request": cpu / (iterations * 2) * 1_000_000, "p50_ms": pairs[len(pairs) // 2] * 1000,
            "p99_ms": pairs[min(len(pairs) - 1, len(pairs) * 99 // 100)] * 1000}


async def follow(server: str, streams: int, lines: int) -> dict:
    namespace = f"peer-logs-{random.getrandbits(32)}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for index in range(streams):
            async with session.post(f"{server}/api/v1/namespaces/{namespace}/pods",
                                    json={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{index}"}}) as r:
                r.raise_for_status()
        before = rss_kb()

        async def read(index: int) -> int:
            count = 0
            async with session.get(f"{server}/api/v1/namespaces/{namespace}/pods/pod-{index}/log",
                                   params={"follow": "true"}, timeout=aiohttp.ClientTimeout(total=None)) as r:
                async for _ in r.content:
                    count += 1
            return count

        readers = [asyncio.create_task(read(index)) for index in range(streams)]
        peak = before
        for round_ in range(lines):
            for index in range(streams):
                body = {"lines": [f"round {round_} of pod {index}: lorem ipsum dolor sit amet"],
                        "close": round_ == lines - 1}
                async with session.post(f"{server}/_emulator/logs/{namespace}/pod-{index}", json=body) as r:
                    r.raise_for_status()
            peak = max(peak, rss_kb())
        total = sum(await asyncio.gather(*readers))
        assert total == streams * lines, f"received {total} lines, expected {streams * lines}"
    return {"streams": streams, "lines_per_stream": lines, "rss_before_streams_kb": before, "rss_peak_streams_kb": peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--lines", type=int, default=50)
    args = parser.parse_args()
    result = create_get(args.server, args.iterations)
    result.update(asyncio.run(follow(args.server, args.streams, args.lines)))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
