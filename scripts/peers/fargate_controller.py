#!/usr/bin/env python3
"""Plays the Job controller and EKS Fargate against the Kubernetes API emulator, for fargate-cron's tests.

It talks to the emulator (scripts/peers/kube_emulator.py) only over its HTTP API, as a real controller
would: it watches Jobs in one namespace and, for each new Job, creates its pod (with ownerReferences, so a
Background delete of the Job takes the pod), then moves the pod Pending -> Running -> Succeeded/Failed,
sets the CapacityProvisioned annotation and spec.nodeName as Fargate does, writes the pod's output into the
emulator's log store (POST /_emulator/logs/NS/POD) and closes it when the container ends, and gives the Job
its Complete/Failed condition.

What each run does is scripted by annotations on the Job (the executor copies CRON_ANNOTATIONS there):
  test.fargate-cron/pending-seconds  time before the pod is scheduled (default 0.2), or "stuck": never
  test.fargate-cron/run-seconds      time the container runs (default 0.3)
  test.fargate-cron/lines            how many output lines, spread over the run (default 3): "line N of JOB"
  test.fargate-cron/exit-code        the container's exit status (default 0)
  test.fargate-cron/outcome          exit (default) | oom | evict
  test.fargate-cron/capacity         the CapacityProvisioned value (default "0.25vCPU 0.5GB")
A Job's spec.activeDeadlineSeconds is honoured: a run longer than it is failed with DeadlineExceeded.

Usage: fargate_controller.py --server http://127.0.0.1:PORT --namespace NS
It prints "ready" on standard output once its watch is open, and runs until killed.
"""
import argparse
import asyncio
import datetime
import json
import random
import signal
import string
import sys

import aiohttp

PREFIX = "test.fargate-cron/"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_seconds() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Controller:
    def __init__(self, session: aiohttp.ClientSession, server: str, namespace: str) -> None:
        self.session = session
        self.server = server.rstrip("/")
        self.namespace = namespace
        self.seen: set[str] = set()
        self.tasks: set[asyncio.Task] = set()

    def jobs_url(self, name: str = "") -> str:
        return f"{self.server}/apis/batch/v1/namespaces/{self.namespace}/jobs" + (f"/{name}" if name else "")

    def pods_url(self, name: str = "") -> str:
        return f"{self.server}/api/v1/namespaces/{self.namespace}/pods" + (f"/{name}" if name else "")

    async def patch(self, url: str, body: dict) -> bool:
        """Merge-patches an object; False when it is gone (deleted by the test or the executor)."""
        async with self.session.patch(url, data=json.dumps(body),
                                      headers={"Content-Type": "application/merge-patch+json"}) as response:
            await response.read()
            return response.status < 300

    async def exists(self, url: str) -> bool:
        async with self.session.get(url) as response:
            await response.read()
            return response.status == 200

    async def logs(self, pod: str, lines: list[str], close: bool = False) -> None:
        body = {"lines": [{"time": now(), "text": text} for text in lines], "close": close}
        async with self.session.post(f"{self.server}/_emulator/logs/{self.namespace}/{pod}", json=body) as response:
            await response.read()

    async def watch(self, ready: asyncio.Event) -> None:
        version = None
        while True:
            url = self.jobs_url() + "?watch=true" + (f"&resourceVersion={version}" if version else "")
            async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:
                ready.set()
                async for raw in response.content:
                    if not raw.strip():
                        continue
                    event = json.loads(raw)
                    obj = event.get("object", {})
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if event.get("type") == "ADDED":
                        uid = obj["metadata"].get("uid")
                        if uid and uid not in self.seen:
                            self.seen.add(uid)
                            task = asyncio.create_task(self.run(obj))
                            self.tasks.add(task)
                            task.add_done_callback(self.tasks.discard)

    async def run(self, job: dict) -> None:
        try:
            await self.play(job)
        except Exception as error:  # a test deleting things mid-run is normal; say anything else
            print(f"controller: {job['metadata']['name']}: {error!r}", file=sys.stderr, flush=True)

    async def play(self, job: dict) -> None:
        meta = job["metadata"]
        script = {k[len(PREFIX):]: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(PREFIX)}
        template = job["spec"]["template"]
        pod_name = meta["name"] + "-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update({"job-name": meta["name"], "controller-uid": meta["uid"],
                       "batch.kubernetes.io/controller-uid": meta["uid"]})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": self.namespace, "labels": labels,
                            "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]},
               "spec": dict(template["spec"], schedulerName="fargate-scheduler"),
               "status": {"phase": "Pending", "conditions": []}}
        async with self.session.post(self.pods_url(), json=pod) as response:
            await response.read()
            if response.status >= 300:
                return
        job_url, pod_url = self.jobs_url(meta["name"]), self.pods_url(pod_name)
        await self.patch(job_url, {"status": {"active": 1, "startTime": now_seconds()}})
        pending = script.get("pending-seconds", "0.2")
        if pending == "stuck":
            await self.patch(pod_url, {"status": {"conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": now_seconds(),
                "message": "no Fargate profile matches the pod's namespace and labels"}]}})
            return
        await asyncio.sleep(float(pending))
        scheduled = now()
        capacity = script.get("capacity", "0.25vCPU 0.5GB")
        node = "fargate-ip-10-0-" + str(random.randint(1, 254)) + "-" + str(random.randint(1, 254)) + ".compute.internal"
        if not await self.patch(pod_url, {"metadata": {"annotations": {"CapacityProvisioned": capacity}},
                                          "spec": {"nodeName": node},
                                          "status": {"conditions": [{"type": "PodScheduled", "status": "True",
                                                                     "lastTransitionTime": scheduled}]}}):
            return
        started = now()
        container = template["spec"]["containers"][0]["name"]
        if not await self.patch(pod_url, {"status": {"phase": "Running", "startTime": started, "containerStatuses": [
                {"name": container, "ready": True, "restartCount": 0, "state": {"running": {"startedAt": started}}}]}}):
            return
        run_seconds = float(script.get("run-seconds", "0.3"))
        deadline = job["spec"].get("activeDeadlineSeconds")
        killed_by_deadline = deadline is not None and run_seconds > float(deadline)
        if killed_by_deadline:
            run_seconds = float(deadline)
        count = int(script.get("lines", "3"))
        for index in range(count):
            await asyncio.sleep(run_seconds / max(count, 1))
            await self.logs(pod_name, [f"line {index + 1} of {meta['name']}"])
        if count == 0:
            await asyncio.sleep(run_seconds)
        await self.logs(pod_name, [], close=True)
        outcome = script.get("outcome", "exit")
        code = int(script.get("exit-code", "0"))
        reason, pod_reason, pod_message = "Completed" if code == 0 else "Error", None, None
        if outcome == "oom":
            code, reason = 137, "OOMKilled"
        elif outcome == "evict":
            code, reason = 143, "Error"
            pod_reason, pod_message = "Evicted", "Pod was evicted by Fargate for scheduled maintenance"
        elif killed_by_deadline:
            code, reason = 143, "Error"
            pod_reason, pod_message = "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
        finished = now()
        status = {"phase": "Succeeded" if code == 0 else "Failed", "containerStatuses": [
            {"name": container, "ready": False, "restartCount": 0, "state": {"terminated": {
                "exitCode": code, "reason": reason, "startedAt": started, "finishedAt": finished}}}]}
        if pod_reason:
            status["reason"], status["message"] = pod_reason, pod_message
        if not await self.patch(pod_url, {"status": status}):
            return
        if code == 0:
            conditions = [{"type": "Complete", "status": "True", "reason": "CompletionsReached",
                           "lastTransitionTime": now_seconds()}]
            counts = {"succeeded": 1, "active": 0}
        elif killed_by_deadline:
            conditions = [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                           "message": "Job was active longer than specified deadline", "lastTransitionTime": now_seconds()}]
            counts = {"failed": 1, "active": 0}
        else:
            conditions = [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                           "message": "Job has reached the specified backoff limit", "lastTransitionTime": now_seconds()}]
            counts = {"failed": 1, "active": 0}
        await self.patch(job_url, {"status": dict(counts, conditions=conditions, completionTime=now_seconds())})


async def main() -> int:
    # A child of a Swift test process inherits its blocked signals: take SIGTERM and SIGINT back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--namespace", required=True)
    args = parser.parse_args()
    async with aiohttp.ClientSession() as session:
        controller = Controller(session, args.server, args.namespace)
        ready = asyncio.Event()
        watch = asyncio.create_task(controller.watch(ready))
        await ready.wait()
        print("ready", flush=True)
        await watch
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(0)
