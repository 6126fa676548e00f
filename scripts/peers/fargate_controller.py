#!/usr/bin/env python3
"""Plays the Job controller, the scheduler, EKS Fargate and the kubelet against the Kubernetes API emulator.

It talks to the emulator (scripts/peers/kube_emulator.py) only over its HTTP API, as a real controller
would, with the bearer token `system:kube-controller-manager` (the emulator holds every other caller to the
daemon's Role). For each new Job in its namespace:

* the Job controller creates its pod from the template (generateName `JOB-`, which the API server cuts to
  58 characters; ownerReferences; the job-name and controller-uid labels). When the API server refuses the
  pod (a quota, Pod Security admission, a missing service account) it records a `FailedCreate` Event on the
  Job ("Error creating: ...") and tries again, 1 s, 2 s, 4 s, ... (at most 10 s) apart, as long as the Job exists;
* the scheduler places it: where a Fargate profile of the namespace's world matches (namespace and label
  selectors, `*` and `?` wildcards; by default one profile for every namespace) Fargate provisions a node
  (`CapacityProvisioned`, the `eks.amazonaws.com/fargate-profile` label, a `fargate-ip-...` node); otherwise
  an EC2 node if the world has any (no `CapacityProvisioned`), or the pod stays Pending, Unschedulable, with
  a `FailedScheduling` Event in the scheduler's words;
* the kubelet pulls the images (containers `waiting: ContainerCreating`; an image the world lists as
  unpullable stays `ErrImagePull`, then `ImagePullBackOff`, with `Failed` and `BackOff` Events), runs the init
  containers one after another, then the containers (native sidecars, init containers with
  `restartPolicy: Always`, run beside them), writes each container's output into the emulator's log store,
  closes the logs when the containers end and, about a second later (as a kubelet's status sync lags the
  end of the log stream), sets the pod's phase; the Job gets its Complete/Failed condition.

The namespace's world is read from the emulator (GET /_emulator/world?namespace=NS, set by a test through
POST /_emulator/config): `fargateProfiles`, `ec2Nodes`, `unpullableImages`.

What each run does is scripted by annotations on the Job (the executor copies CRON_ANNOTATIONS there):
  test.fargate-cron/pending-seconds  time before the pod is scheduled (default 0.2), or "stuck": never
  test.fargate-cron/run-seconds      time the container runs (default 0.3)
  test.fargate-cron/lines            how many output lines of the first container, spread over the run
                                     (default 3): "line N of JOB"; every other container prints one line,
                                     "NAME of JOB"
  test.fargate-cron/exit-code        the first container's exit status (default 0)
  test.fargate-cron/outlives         the name of an ordinary container that never ends by itself: the others
                                     end, the pod stays Running until deleted
  test.fargate-cron/exit-codes       other containers' exit statuses, "name=code,..." (default 0 each); the pod
                                     fails when any container does
  test.fargate-cron/outcome          exit (default) | oom | evict
  test.fargate-cron/capacity         the CapacityProvisioned value (default "0.25vCPU 0.5GB")
  test.fargate-cron/phase-lag-seconds  time between the logs' end and the phase change (default 1.0)
A Job's spec.activeDeadlineSeconds is honoured: a run longer than it is failed with DeadlineExceeded.

Usage: fargate_controller.py --server http://127.0.0.1:PORT --namespace NS
It prints "ready" on standard output once its watch is open, and runs until killed.
"""
import argparse
import asyncio
import datetime
import fnmatch
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
        # The core/v1 recorder's aggregation: an Event repeated (same object, reason, message, source) is
        # one Event whose count grows and whose lastTimestamp moves, not a new one.
        self.recorded: dict[tuple, tuple[str, int]] = {}
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

    async def logs(self, pod: str, lines: list[str], close: bool = False, container: str | None = None) -> None:
        body = {"lines": [{"time": now(), "text": text} for text in lines], "close": close}
        if container:
            body["container"] = container
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

    async def world(self) -> dict:
        async with self.session.get(f"{self.server}/_emulator/world?namespace={self.namespace}") as response:
            return await response.json() if response.status == 200 else {}

    async def event(self, about: dict, kind: str, reason: str, message: str, source: str, type_: str = "Warning") -> None:
        """Records a core/v1 Event about an object, as the component named `source` would.

        The kubelet and the Job controller record with the core/v1 recorder (whole-second
        firstTimestamp/lastTimestamp, `source.component`, a count). The scheduler records through
        events.k8s.io/v1, which a core/v1 reader sees with only `eventTime` (microseconds), null
        first/lastTimestamp, an empty `source` and `reportingComponent` instead. The core/v1 recorder
        aggregates a repeat (same object, reason, message and source) into the Event it already made:
        count + 1 and a new lastTimestamp. (Not done: the events.k8s.io `series`, and the recorder's
        further merging of similar Events whose messages differ.)"""
        meta = about["metadata"]
        stamp = now_seconds()
        key = (kind, meta["name"], meta.get("uid"), reason, message, source)
        if source != "default-scheduler" and key in self.recorded:
            name, count = self.recorded[key]
            url = f"{self.server}/api/v1/namespaces/{self.namespace}/events/{name}"
            if await self.patch(url, {"count": count + 1, "lastTimestamp": stamp}):
                self.recorded[key] = (name, count + 1)
                return
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": f"{meta['name']}.{random.getrandbits(64):016x}", "namespace": self.namespace},
                 "involvedObject": {"apiVersion": "batch/v1" if kind == "Job" else "v1", "kind": kind,
                                    "name": meta["name"], "namespace": self.namespace, "uid": meta.get("uid")},
                 "reason": reason, "message": message, "type": type_, "count": 1,
                 "firstTimestamp": stamp, "lastTimestamp": stamp, "source": {"component": source}}
        if source == "default-scheduler":
            event.update({"eventTime": now(), "firstTimestamp": None, "lastTimestamp": None, "count": None,
                          "source": {}, "reportingComponent": source, "reportingInstance": f"{source}-emulated",
                          "action": "Scheduling"})
        async with self.session.post(f"{self.server}/api/v1/namespaces/{self.namespace}/events", json=event) as response:
            await response.read()
            if response.status < 300:
                self.recorded[key] = (event["metadata"]["name"], 1)

    async def alive(self, pod_url: str) -> bool:
        """Whether the pod is still there and not being deleted (then the kubelet stops it, not us)."""
        async with self.session.get(pod_url) as response:
            if response.status != 200:
                return False
            return not (await response.json()).get("metadata", {}).get("deletionTimestamp")

    async def create_pod(self, job: dict, pod: dict) -> dict | None:
        """The Job controller's create, with FailedCreate Events and backoff while the API server refuses."""
        delay = 1.0
        while True:
            async with self.session.post(self.pods_url(), json=pod) as response:
                body = await response.json(content_type=None)
                if response.status < 300:
                    return body
            if not await self.exists(self.jobs_url(job["metadata"]["name"])):
                return None
            await self.event(job, "Job", "FailedCreate", f"Error creating: {body.get('message', response.status)}",
                             "job-controller")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    @staticmethod
    def profile_for(world: dict, namespace: str, labels: dict) -> str | None:
        """The first Fargate profile whose selector matches the pod (namespace and every label; `*`, `?`)."""
        profiles = world.get("fargateProfiles")
        if profiles is None:
            profiles = [{"name": "default", "selectors": [{"namespace": "*"}]}]
        for profile in profiles:
            for selector in profile.get("selectors") or []:
                if not fnmatch.fnmatchcase(namespace, selector.get("namespace", "")):
                    continue
                wanted = selector.get("labels") or {}
                if all(k in labels and fnmatch.fnmatchcase(labels[k], v) for k, v in wanted.items()):
                    return profile["name"]
        return None

    async def play(self, job: dict) -> None:
        meta = job["metadata"]
        script = {k[len(PREFIX):]: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(PREFIX)}
        template = job["spec"]["template"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update({"job-name": meta["name"], "controller-uid": meta["uid"],
                       "batch.kubernetes.io/job-name": meta["name"], "batch.kubernetes.io/controller-uid": meta["uid"]})
        world = await self.world()
        spec = dict(template["spec"])
        profile = self.profile_for(world, self.namespace, labels)
        if profile is not None:
            spec["schedulerName"] = "fargate-scheduler"  # EKS's webhook picks Fargate's scheduler at admission
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": meta["name"] + "-", "namespace": self.namespace, "labels": labels,
                            "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                                 "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]},
               "spec": spec, "status": {"phase": "Pending", "conditions": []}}
        created = await self.create_pod(job, pod)
        if created is None:
            return
        pod_name = created["metadata"]["name"]
        job_url, pod_url = self.jobs_url(meta["name"]), self.pods_url(pod_name)
        await self.patch(job_url, {"status": {"active": 1, "startTime": now_seconds()}})
        pending = script.get("pending-seconds", "0.2")
        if pending == "stuck":
            await self.patch(pod_url, {"status": {"conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": now_seconds(),
                "message": "no Fargate profile matches the pod's namespace and labels"}]}})
            return
        await asyncio.sleep(float(pending))
        if profile is not None:
            node = f"fargate-ip-10-0-{random.randint(1, 254)}-{random.randint(1, 254)}.compute.internal"
            placed = {"metadata": {"annotations": {"CapacityProvisioned": script.get("capacity", "0.25vCPU 0.5GB")},
                                   "labels": {"eks.amazonaws.com/fargate-profile": profile}}}
        elif int(world.get("ec2Nodes", 0)) > 0:
            node = f"ip-10-0-{random.randint(1, 254)}-{random.randint(1, 254)}.ap-northeast-1.compute.internal"
            placed = {}
        else:
            message = ("0/0 nodes are available: no Fargate profile matches the pod and the cluster has no EC2 nodes. "
                       "preemption: 0/0 nodes are available: no preemption victims found for incoming pod.")
            await self.patch(pod_url, {"status": {"conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": now_seconds(),
                "message": message}]}})
            await self.event(created, "Pod", "FailedScheduling", message, "default-scheduler")
            return
        init = list(spec.get("initContainers") or [])
        containers = list(spec["containers"])
        # While init containers run, the containers wait with PodInitializing (the kubelet's reason).
        waiting = {"waiting": {"reason": "PodInitializing" if init else "ContainerCreating"}}
        scheduled = now()
        if not await self.patch(pod_url, dict(placed, spec={"nodeName": node}, status={
                "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": scheduled}],
                "initContainerStatuses": [{"name": c["name"], "ready": False, "restartCount": 0,
                                           "state": {"waiting": {"reason": "PodInitializing"}}} for c in init],
                "containerStatuses": [{"name": c["name"], "ready": False, "restartCount": 0, "state": waiting}
                                      for c in containers]})):
            return
        unpullable = set(world.get("unpullableImages") or [])
        bad = [c for c in init + containers if c.get("image") in unpullable]
        if bad:
            await self.image_pull_fails(created, pod_url, bad[0], init, containers)
            return
        await asyncio.sleep(0.1)  # pulling the images
        started = now()
        sidecars = [c for c in init if c.get("restartPolicy") == "Always"]
        init_statuses = []
        for container in init:
            state = {"running": {"startedAt": now()}}
            if container in sidecars:
                init_statuses.append({"name": container["name"], "ready": True, "restartCount": 0, "started": True,
                                      "state": state})
                await self.logs(pod_name, [f"{container['name']} of {meta['name']}"], container=container["name"])
                continue
            await self.patch(pod_url, {"status": {"initContainerStatuses": init_statuses + [
                {"name": container["name"], "ready": False, "restartCount": 0, "state": state}]}})
            await self.logs(pod_name, [f"{container['name']} of {meta['name']}"], close=True, container=container["name"])
            init_statuses.append({"name": container["name"], "ready": True, "restartCount": 0, "state": {"terminated": {
                "exitCode": 0, "reason": "Completed", "startedAt": state["running"]["startedAt"], "finishedAt": now()}}})
        running = {"running": {"startedAt": started}}
        if not await self.alive(pod_url) or not await self.patch(pod_url, {"status": {
                "phase": "Running", "startTime": started, "initContainerStatuses": init_statuses,
                "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0, "started": True,
                                       "state": running} for c in containers]}}):
            return
        for container in containers[1:]:
            await self.logs(pod_name, [f"{container['name']} of {meta['name']}"], container=container["name"])
        run_seconds = float(script.get("run-seconds", "0.3"))
        deadline = job["spec"].get("activeDeadlineSeconds")
        killed_by_deadline = deadline is not None and run_seconds > float(deadline)
        if killed_by_deadline:
            run_seconds = float(deadline)
        count = int(script.get("lines", "3"))
        main = containers[0]["name"]
        for index in range(count):
            await asyncio.sleep(run_seconds / max(count, 1))
            await self.logs(pod_name, [f"line {index + 1} of {meta['name']}"], container=main)
        if count == 0:
            await asyncio.sleep(run_seconds)
        outlives = script.get("outlives")
        if outlives:
            await self.outlive(pod_url, pod_name, containers, sidecars, outlives, started, script)
            return
        # The kubelet: every container's log ends, then (its status sync lagging) the phase changes.
        for container in containers + sidecars:
            await self.logs(pod_name, [], close=True, container=container["name"])
        await asyncio.sleep(float(script.get("phase-lag-seconds", "1.0")))
        if not await self.alive(pod_url):
            return
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

        def terminated(exit_code: int, why: str) -> dict:
            return {"terminated": {"exitCode": exit_code, "reason": why, "startedAt": started, "finishedAt": finished}}

        # test.fargate-cron/exit-codes ("name=code,..."): the exit status of containers besides the first.
        others = {k.strip(): int(v) for k, v in (part.split("=", 1) for part in
                                                 filter(None, script.get("exit-codes", "").split(",")))}

        def final(index: int, container: dict) -> dict:
            if index == 0:
                return terminated(code, reason)
            other = others.get(container["name"], 0)
            return terminated(other, "Completed" if other == 0 else "Error")

        statuses = [{"name": c["name"], "ready": False, "restartCount": 0, "state": final(i, c)}
                    for i, c in enumerate(containers)]
        failed = any(s["state"]["terminated"]["exitCode"] != 0 for s in statuses)
        status = {"phase": "Failed" if failed else "Succeeded", "containerStatuses": statuses}
        if sidecars:
            # The kubelet stops native sidecars once the containers end (SIGTERM): a sidecar that does not
            # handle it ends with 143, which never decides the pod's phase (nor the run's verdict).
            status["initContainerStatuses"] = [
                dict(s, ready=False, state=terminated(143, "Error")) if s.get("started") else s for s in init_statuses]
        if pod_reason:
            status["reason"], status["message"] = pod_reason, pod_message
        if not await self.patch(pod_url, {"status": status}):
            return
        if not failed:
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

    async def outlive(self, pod_url: str, pod_name: str, containers: list, sidecars: list, outlives: str, started: str,
                      script: dict) -> None:
        """An ordinary container that never ends by itself (a sidecar written before Kubernetes had native
        ones): the other containers end, their logs close and their statuses say so; the pod stays Running
        (and the Job active) until someone deletes it."""
        for container in containers + sidecars:
            if container["name"] != outlives:
                await self.logs(pod_name, [], close=True, container=container["name"])
        await asyncio.sleep(float(script.get("phase-lag-seconds", "1.0")))
        code = int(script.get("exit-code", "0"))
        finished = now()

        def state(index: int, container: dict) -> dict:
            if container["name"] == outlives:
                return {"running": {"startedAt": started}}
            return {"terminated": {"exitCode": code if index == 0 else 0, "reason": "Completed" if index or not code else "Error",
                                   "startedAt": started, "finishedAt": finished}}

        if await self.alive(pod_url):
            await self.patch(pod_url, {"status": {"containerStatuses": [
                {"name": c["name"], "ready": c["name"] == outlives, "restartCount": 0, "state": state(i, c)}
                for i, c in enumerate(containers)]}})

    async def image_pull_fails(self, pod: dict, pod_url: str, container: dict, init: list, containers: list) -> None:
        """The kubelet cannot pull an image: ErrImagePull, then ImagePullBackOff, again and again (the kubelet
        retries with a growing back-off; here 0.5 s doubling to 4 s) for as long as the pod exists, with the
        kubelet's Events, each repeat aggregated into the Event it already made (count + 1)."""
        image = container["image"]
        detail = (f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": failed to resolve '
                  f'reference "{image}": {image}: not found')
        attempts = (("ErrImagePull", detail), ("ImagePullBackOff", f'Back-off pulling image "{image}"'))
        pause = 0.5
        for attempt in range(1000):
            reason, message = attempts[attempt % 2]
            def statuses(group: list) -> list:
                return [{"name": c["name"], "ready": False, "restartCount": 0, "image": c.get("image"),
                         "state": {"waiting": {"reason": reason, "message": message} if c is container
                                   else {"reason": "PodInitializing" if group is containers and init else "ContainerCreating"}}}
                        for c in group]
            if not await self.alive(pod_url) or not await self.patch(pod_url, {"status": {
                    "initContainerStatuses": statuses(init), "containerStatuses": statuses(containers)}}):
                return
            if reason == "ErrImagePull":
                await self.event(pod, "Pod", "Failed", f'Failed to pull image "{image}": {detail}', "kubelet")
                await self.event(pod, "Pod", "Failed", "Error: ErrImagePull", "kubelet")
            else:
                await self.event(pod, "Pod", "BackOff", message, "kubelet", "Normal")
                await self.event(pod, "Pod", "Failed", "Error: ImagePullBackOff", "kubelet")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 4.0)


async def main() -> int:
    # A child of a Swift test process inherits its blocked signals: take SIGTERM and SIGINT back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--namespace", required=True)
    args = parser.parse_args()
    # A cluster component: the emulator holds every caller but `system:` ones to the daemon's Role.
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer system:kube-controller-manager"}) as session:
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
