"""The tasks of scripts/peers/moto_ecs_front.py: each one's lifecycle as Fargate runs it, and the
awslogs driver that ships its output to CloudWatch Logs. See moto_ecs_front.py for what they do."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

# Fargate's task sizes: CPU units -> allowed memory in MiB.
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def fargate_size_error(cpu, memory) -> APIError | None:
    try:
        allowed = FARGATE_SIZES.get(int(cpu))
        ok = allowed is not None and int(memory) in allowed
    except (TypeError, ValueError):
        ok = False
    if ok:
        return None
    return APIError(400, "ClientException",
                    f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                    "See the Amazon ECS documentation for the valid values.")


class Task:
    """One task as the front runs it."""

    def __init__(self, arn: str, cluster_arn: str, container: str, command: list[str], environment: dict,
                 cpu: str, memory: str, log: dict | None, launch_type: str, capacity_provider: str | None,
                 platform_version: str, request: dict):
        self.arn, self.cluster_arn, self.container = arn, cluster_arn, container
        self.command, self.environment = command, environment
        self.cpu, self.memory, self.log = cpu, memory, log
        self.launch_type, self.capacity_provider, self.platform_version = launch_type, capacity_provider, platform_version
        self.request = request
        self.status = "PROVISIONING"
        self.desired = "RUNNING"
        self.times: dict[str, float] = {"createdAt": time.time()}
        self.exit_code: int | None = None
        self.container_reason: str | None = None
        self.stopped_reason: str | None = None
        self.stop_code: str | None = None
        self.stop_requested = threading.Event()
        self.stop_reason: str | None = None
        self.process: subprocess.Popen | None = None
        self.lines_logged = 0

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def overlay(self, task: dict) -> None:
        """Writes the front's view of the task over moto's description of it."""
        task["lastStatus"] = self.status
        task["desiredStatus"] = self.desired
        for key, value in self.times.items():
            task[key] = value
        task["cpu"], task["memory"] = self.cpu, self.memory
        task["launchType"] = self.launch_type
        if self.capacity_provider:
            task["capacityProviderName"] = self.capacity_provider
        task["platformVersion"] = self.platform_version
        task["platformFamily"] = "Linux"
        task["clusterArn"] = self.cluster_arn
        for key in ("stoppedReason", "stopCode"):
            task.pop(key, None)
        if self.stopped_reason or self.stop_reason:
            task["stoppedReason"] = self.stopped_reason or self.stop_reason
        if self.stop_code:
            task["stopCode"] = self.stop_code
        for container in task.get("containers", []):
            container["taskArn"] = self.arn
            container.pop("exitCode", None)
            container.pop("reason", None)
            if container.get("name") != self.container:
                continue
            container["lastStatus"] = {"PROVISIONING": "PENDING", "PENDING": "PENDING", "RUNNING": "RUNNING"}.get(
                self.status, "STOPPED")
            if self.exit_code is not None:
                container["exitCode"] = self.exit_code
            if self.container_reason:
                container["reason"] = self.container_reason

    def summary(self) -> dict:
        network = self.request.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        return {
            "taskArn": self.arn, "clusterArn": self.cluster_arn, "lastStatus": self.status,
            "desiredStatus": self.desired, "exitCode": self.exit_code, "stoppedReason": self.stopped_reason,
            "stopCode": self.stop_code, "startedBy": self.request.get("startedBy"),
            "tags": self.request.get("tags", []), "clientToken": self.request.get("clientToken"),
            "subnets": network.get("subnets", []), "securityGroups": network.get("securityGroups", []),
            "assignPublicIp": network.get("assignPublicIp"), "launchType": self.request.get("launchType"),
            "capacityProviderStrategy": self.request.get("capacityProviderStrategy"),
            "capacityProviderName": self.capacity_provider, "platformVersion": self.platform_version,
            "taskDefinition": self.request.get("taskDefinition"), "container": self.container,
            "command": self.command, "environment": self.environment, "cpu": self.cpu, "memory": self.memory,
            "linesLogged": self.lines_logged, "times": self.times,
        }


class TaskLifecycle:
    """Runs tasks: the front mixes this in (it provides `lock`, `aws`, `ecs` and `logs`)."""

    # --- the lifecycle of one task ---

    def wait(self, task: Task, seconds: float) -> bool:
        """Sleeps; True when a StopTask came first."""
        return task.stop_requested.wait(seconds)

    def set(self, task: Task, status: str, **times) -> None:
        with self.lock:
            task.status = status
            now = time.time()
            for key in times:
                task.times[key] = now

    def lifecycle(self, task: Task) -> None:
        env = task.environment
        stopped = self.wait(task, float(env.get("TEST_ECS_PROVISIONING_SECONDS", "0.1")))
        if not stopped:
            self.set(task, "PENDING", pullStartedAt=True)
            pending = env.get("TEST_ECS_PENDING_SECONDS", "0.1")
            stopped = self.wait(task, None if pending == "stuck" else float(pending))
            if not stopped and env.get("TEST_ECS_PULL_ERROR"):
                reason = f"CannotPullContainerError: {env['TEST_ECS_PULL_ERROR']}"
                self.finish(task, None, reason, "TaskFailedToStart", container_reason=reason)
                return
        if stopped:
            self.finish(task, None, task.stop_reason, "UserInitiated")
            return
        self.set(task, "RUNNING", pullStoppedAt=True, startedAt=True)
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
                "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/" + task.id}
        try:
            # setpriv makes the container's process die with its lifecycle thread (a killed front
            # leaves no task behind); not preexec_fn, which can deadlock the child of a threaded parent.
            process = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--"] + (task.command or ["/bin/true"]),
                                       env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:
            reason = f"CannotStartContainerError: {error}"
            self.finish(task, None, reason, "TaskFailedToStart", container_reason=reason)
            return
        task.process = process
        shipper = LogShipper(self, task)
        reader = threading.Thread(target=shipper.read, args=(process.stdout,), daemon=True)
        reader.start()
        stop_timeout = float(env.get("TEST_ECS_STOP_TIMEOUT", "2"))
        while process.poll() is None:
            if task.stop_requested.wait(0.05):
                self.set(task, "DEACTIVATING", stoppingAt=True)
                signal_group(process, signal.SIGTERM)
                try:
                    process.wait(stop_timeout)
                except subprocess.TimeoutExpired:
                    signal_group(process, signal.SIGKILL)
                    process.wait()
        code = process.returncode if process.returncode >= 0 else 128 - process.returncode
        if task.status == "RUNNING":
            self.set(task, "DEACTIVATING", stoppingAt=True)
        reader.join()
        shipper.flush(final=True)
        if task.stop_reason is not None:
            self.finish(task, code, task.stop_reason, "UserInitiated")
        else:
            self.finish(task, code, "Essential container in task exited", "EssentialContainerExited")

    def finish(self, task: Task, code: int | None, reason: str | None, stop_code: str,
               container_reason: str | None = None) -> None:
        with self.lock:
            now = time.time()
            task.times.setdefault("stoppingAt", now)
            task.times["executionStoppedAt"] = now
            task.times["stoppedAt"] = now
            task.exit_code = code
            task.stopped_reason = reason
            task.stop_code = stop_code
            task.container_reason = container_reason
            task.desired = "STOPPED"
            task.status = "STOPPED"
            already_stopped = task.stop_reason is not None
        if not already_stopped:
            # So that moto's ListTasks sees the task's desired status as STOPPED too.
            cluster = task.cluster_arn.rsplit("/", 1)[-1]
            self.aws(self.ecs.stop_task, cluster=cluster, task=task.arn, reason=reason or "")

    def stop(self, task: Task, reason: str) -> None:
        with self.lock:
            if task.status == "STOPPED" or task.stop_reason is not None:
                return
            task.stop_reason = reason
            task.desired = "STOPPED"
        task.stop_requested.set()


def signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


class LogShipper:
    """What the awslogs driver does for one container: its output lines, in order, to its stream."""

    def __init__(self, front: Front, task: Task):
        self.front, self.task = front, task
        self.options = task.log
        self.lag = float(task.environment.get("TEST_ECS_LOG_LAG_SECONDS", "0"))
        self.pending: list[tuple[float, dict]] = []
        self.lock = threading.Lock()
        self.stream_made = False
        if self.options:
            self.group = self.options.get("awslogs-group")
            self.stream = f"{self.options.get('awslogs-stream-prefix')}/{task.container}/{task.id}"

    def read(self, pipe) -> None:
        last_flush = time.time()
        for raw in iter(pipe.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.pending.append((time.time(), {"timestamp": int(time.time() * 1000), "message": text}))
            if time.time() - last_flush > 0.1:
                self.flush()
                last_flush = time.time()
        pipe.close()

    def flush(self, final: bool = False) -> None:
        if not self.options:
            return
        if final and self.lag > 0:
            # The driver's last batch lands after the task stopped.
            threading.Timer(self.lag, self.flush).start()
            return
        with self.lock:
            due = [event for at, event in self.pending if time.time() - at >= self.lag]
            self.pending = [(at, event) for at, event in self.pending if time.time() - at < self.lag]
        if not due:
            return
        if not self.stream_made:
            try:
                self.front.aws(self.front.logs.create_log_stream, logGroupName=self.group, logStreamName=self.stream)
            except APIError as error:
                if error.code != "ResourceAlreadyExistsException":
                    raise
            self.stream_made = True
        self.front.aws(self.front.logs.put_log_events, logGroupName=self.group, logStreamName=self.stream,
                       logEvents=due)
        with self.front.lock:
            self.task.lines_logged += len(due)
