#!/usr/bin/env python3
"""ECS as Fargate runs it, in front of moto, for fargate-cron's tests.

moto's server (scripts/peers/moto.sh) stores clusters, task definitions, tasks, tags, subnets and
CloudWatch Logs, and checks SigV4 signatures. It does not run anything: its tasks start RUNNING,
advance one status per DescribeTasks call, always report exit code 0, carry no timestamps, CPU or
memory, ignore clientToken and capacity provider strategies (RunTask answers 500 without a launch
type), accept task sizes Fargate refuses, list every task when ListTasks names no desiredStatus,
answer StopTask of an unknown task with 500, and answer DescribeTasks of unknown tasks with no
failure. This front passes every request to moto (with its Host header and signature untouched,
so moto still checks the signature) and fills those gaps as ECS does:

  * RunTask: launchType FARGATE or a capacityProviderStrategy of FARGATE / FARGATE_SPOT (not both);
    the task's size (task definition, or the task-level override) must be a Fargate size; container
    overrides must name a container of the task definition; assignPublicIp is ENABLED or DISABLED;
    clientToken is idempotent per cluster: the same token with the same parameters answers the first
    result again, with other parameters 400 ConflictException.
  * RegisterTaskDefinition with FARGATE: networkMode awsvpc, a task-level Fargate size, and an
    executionRoleArn when a container logs with awslogs (as ECS refuses otherwise).
  * Each task really runs: PROVISIONING -> PENDING -> RUNNING -> DEACTIVATING -> STOPPED, with
    createdAt, pullStartedAt, pullStoppedAt, startedAt, stoppingAt, executionStoppedAt, stoppedAt.
    RUNNING starts the container's command (the override's, else the definition's) as a local
    process with the container's environment (the image is not pulled: the host's /bin/sh runs
    it). Its output lines (stdout and stderr, as the awslogs driver takes both) are written to
    CloudWatch Logs in moto with PutLogEvents, to the stream awslogs names:
    PREFIX/CONTAINER/TASK_ID in the awslogs-group of the container's log configuration. Its exit
    status is the container's exitCode (128+N when killed by signal N), stoppedReason "Essential
    container in task exited", stopCode EssentialContainerExited.
  * StopTask: SIGTERM to the process group, SIGKILL after the stop timeout; stoppedReason is the
    request's reason (default "Task stopped by user"), stopCode UserInitiated; a task stopped before
    it ran has no exit code. Unknown tasks: 400 InvalidParameterException.
  * DescribeTasks: at most 100 tasks; unknown ones are failures with reason MISSING.
  * ListTasks: desiredStatus defaults to RUNNING; startedBy may not be combined with family,
    serviceName or containerInstance; maxResults (default 100) pages with nextToken.
  * Errors are ECS's JSON ({"__type": ..., "message": ...}); moto's XML signature errors become
    InvalidSignatureException (403) and UnrecognizedClientException (400).

What a task does is scripted by variables of the container's environment (a job's schedule file
sets them like any other variable):
  TEST_ECS_PROVISIONING_SECONDS  time in PROVISIONING (default 0.1)
  TEST_ECS_PENDING_SECONDS       time in PENDING, pulling the image (default 0.1), or "stuck": stays
                                 PENDING until stopped
  TEST_ECS_PULL_ERROR            the task fails to start: STOPPED from PENDING, stopCode
                                 TaskFailedToStart, stoppedReason "CannotPullContainerError: VALUE"
  TEST_ECS_LOG_LAG_SECONDS       output reaches CloudWatch this long after it is printed (awslogs
                                 batches), so the last lines may arrive after the task STOPPED
  TEST_ECS_STOP_TIMEOUT          seconds between SIGTERM and SIGKILL on StopTask (default 2; ECS's is 30)

Faults and inspection, on the same port under /_front/ (unsigned, JSON):
  POST /_front/faults   a list of rules, each used `times` times (default 1), first match wins:
      {"target": "RunTask", "action": "throttle"}      400 ThrottlingException "Rate exceeded"
      {"target": "DescribeTasks", "action": "error", "status": 503}   5xx ServerException
      {"target": "RunTask", "action": "drop_response"}  pass the request to ECS, then reset the
                                                        connection before any answer
      "target" is an operation name (RunTask, GetLogEvents, ...); without it any operation matches
  GET  /_front/requests  every operation seen, in order: ["ecs:RunTask", "logs:GetLogEvents", ...]
  GET  /_front/tasks     every task the front runs, with what it was started with and its state
  GET  /_front/describes how many tasks each DescribeTasks call named, in order
  POST /_front/config {"listPageSize": N}  ListTasks pages of N (default 100, as ECS)
  POST /_front/setup {"cluster": C, "logGroup": G}  creates them (idempotent) and answers the
      default VPC's {"subnets": [...], "securityGroups": [...], "region": R}

Usage: moto_ecs_front.py --moto URL --region R --access-key-id K --secret-access-key S
Prints its port on the first line of standard output; runs until standard input closes.
"""
import argparse
import datetime
import faulthandler
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# `kill -USR1 PID` prints every thread's stack: how to see where a hung test's front waits. Set
# before botocore is imported, which takes a while.
faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)

import botocore.exceptions  # noqa: E402
import botocore.session  # noqa: E402

from moto_ecs_tasks import APIError, Task, TaskLifecycle, fargate_size_error, signal_group

ECS_PREFIX = "AmazonEC2ContainerServiceV20141113."
LOGS_PREFIX = "Logs_20140328."


class Front(TaskLifecycle):
    """ECS's API checks and answers over moto; the tasks' lifecycle comes from TaskLifecycle."""

    def __init__(self, moto: str, region: str, key_id: str, secret: str):
        parsed = urllib.parse.urlparse(moto)
        self.moto_host, self.moto_port = parsed.hostname, parsed.port
        self.region = region
        self.key_id, self.secret = key_id, secret
        session = botocore.session.get_session()
        kwargs = dict(endpoint_url=moto, region_name=region, aws_access_key_id=key_id, aws_secret_access_key=secret)
        self.ecs = session.create_client("ecs", **kwargs)
        self.logs = session.create_client("logs", **kwargs)
        self.ec2 = session.create_client("ec2", **kwargs)
        self.lock = threading.Lock()
        self.aws_lock = threading.Lock()  # botocore clients are shared by the task threads
        self.tasks: dict[str, Task] = {}
        self.tokens: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.token_locks: dict[tuple[str, str], threading.Lock] = {}
        self.faults: list[dict] = []
        self.requests: list[str] = []
        self.describe_sizes: list[int] = []
        self.list_page_size = 100

    # --- moto ---

    def forward(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(self.moto_host, self.moto_port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def aws(self, call, **kwargs):
        """Calls moto through botocore, signed with the test key; moto's refusals become APIErrors."""
        with self.aws_lock:
            try:
                answer = call(**kwargs)
            except botocore.exceptions.ClientError as error:
                details = error.response.get("Error", {})
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
                raise APIError(status, details.get("Code", "ClientException"), details.get("Message", str(error)))
        answer.pop("ResponseMetadata", None)
        return answer

    def verify(self, headers: dict, body: bytes, service: str) -> None:
        """Checks a request's SigV4 signature as AWS does, for the requests the front rewrites before
        moto sees them (moto checks the signature of every request passed on unchanged)."""
        authorization = headers.get("Authorization", "")
        fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(",")
                      if "=" in part) if authorization.startswith("AWS4-HMAC-SHA256 ") else {}
        if not fields:
            raise APIError(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
        key_id, date, region, scope_service, terminator = (fields.get("Credential", "").split("/") + [""] * 5)[:5]
        if key_id != self.key_id:
            raise APIError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
        if scope_service != service or region != self.region or terminator != "aws4_request":
            raise APIError(403, "InvalidSignatureException",
                           f"Credential should be scoped to a valid region and to the service '{service}'.")
        stamp = headers.get("X-Amz-Date", "")
        try:
            signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise APIError(400, "IncompleteSignatureException", "X-Amz-Date is missing or malformed.")
        if abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) > 300:
            raise APIError(400, "InvalidSignatureException", "Signature expired.")
        lowered = {k.lower(): " ".join(v.split()) for k, v in headers.items()}
        signed = fields.get("SignedHeaders", "").split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            raise APIError(403, "InvalidSignatureException", "host and x-amz-date must be signed.")
        canonical = "\n".join(["POST", "/", "", "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed),
                               ";".join(signed), hashlib.sha256(body).hexdigest()])
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = f"AWS4{self.secret}".encode()
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            raise APIError(403, "InvalidSignatureException",
                           "The request signature we calculated does not match the signature you provided.")

    # --- faults ---

    def take_fault(self, operation: str) -> dict | None:
        with self.lock:
            for rule in self.faults:
                if rule.get("target") in (None, operation):
                    rule["times"] = rule.get("times", 1) - 1
                    if rule["times"] <= 0:
                        self.faults.remove(rule)
                    return rule
        return None

    # --- ECS operations the front completes ---

    def cluster_arn(self, cluster: str) -> str:
        found = self.aws(self.ecs.describe_clusters, clusters=[cluster])["clusters"]
        if not found:
            raise APIError(400, "ClusterNotFoundException", "Cluster not found.")
        return found[0]["clusterArn"]

    def register_task_definition(self, request: dict) -> dict:
        if "FARGATE" in request.get("requiresCompatibilities", []):
            if request.get("networkMode") != "awsvpc":
                raise APIError(400, "ClientException", "Fargate only supports network mode 'awsvpc'.")
            if "cpu" not in request or "memory" not in request:
                raise APIError(400, "ClientException",
                               "Fargate requires that 'cpu' be defined at the task level.")
            error = fargate_size_error(request["cpu"], request["memory"])
            if error:
                raise error
            logs_with_awslogs = any(c.get("logConfiguration", {}).get("logDriver") == "awslogs"
                                    for c in request.get("containerDefinitions", []))
            if logs_with_awslogs and not request.get("executionRoleArn"):
                raise APIError(400, "ClientException",
                               "Fargate requires task definition to have execution role ARN to support log driver awslogs.")
        # moto's RunTask fails (500) on a container without memory; Fargate takes the task's.
        for container in request.get("containerDefinitions", []):
            if not any(k in container for k in ("memory", "memoryReservation")) and "memory" in request:
                container["memoryReservation"] = int(request["memory"])
        return request

    def run_task_checks(self, request: dict) -> tuple[str, str | None]:
        """Validates a RunTask as ECS does; returns the launch type and the capacity provider."""
        launch_type = request.get("launchType")
        strategy = request.get("capacityProviderStrategy")
        if launch_type and strategy:
            raise APIError(400, "InvalidParameterException",
                           "Specifying both a launch type and capacity provider strategy is not supported.")
        provider = None
        if strategy:
            names = [item.get("capacityProvider") for item in strategy]
            if any(name not in ("FARGATE", "FARGATE_SPOT") for name in names):
                raise APIError(400, "InvalidParameterException",
                               "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.")
            # Somewhat simplified placement: a provider with a base first, else the heaviest weight.
            with_base = [item for item in strategy if item.get("base", 0) > 0]
            chosen = with_base[0] if with_base else max(strategy, key=lambda item: item.get("weight", 0))
            provider = chosen["capacityProvider"]
        elif launch_type != "FARGATE":
            raise APIError(400, "InvalidParameterException",
                           "fargate-cron's test ECS runs FARGATE tasks only (launchType FARGATE or a FARGATE capacity provider strategy).")
        network = request.get("networkConfiguration", {}).get("awsvpcConfiguration")
        if not network or not network.get("subnets"):
            raise APIError(400, "InvalidParameterException",
                           "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
        if network.get("assignPublicIp", "DISABLED") not in ("ENABLED", "DISABLED"):
            raise APIError(400, "InvalidParameterException", "assignPublicIp must be ENABLED or DISABLED.")
        if request.get("platformVersion", "LATEST") not in ("LATEST", "1.4.0", "1.3.0"):
            raise APIError(400, "PlatformUnknownException", "The specified platform does not exist.")
        return "FARGATE", provider

    def run_task(self, request: dict) -> tuple[dict, list[Task]]:
        launch_type, provider = self.run_task_checks(request)
        cluster = request.get("cluster", "default")
        definition = self.aws(self.ecs.describe_task_definition, taskDefinition=request["taskDefinition"])["taskDefinition"]
        overrides = request.get("overrides", {})
        cpu = str(overrides.get("cpu") or definition.get("cpu", ""))
        memory = str(overrides.get("memory") or definition.get("memory", ""))
        error = fargate_size_error(cpu, memory)
        if error:
            raise error
        containers = {c["name"]: c for c in definition["containerDefinitions"]}
        for override in overrides.get("containerOverrides", []):
            if override.get("name") not in containers:
                raise APIError(400, "InvalidParameterException",
                               f"Override for container named {override.get('name')} is not a container in the TaskDefinition.")
        # moto knows launch types only; the capacity provider is the front's to report.
        to_moto = dict(request)
        to_moto.pop("capacityProviderStrategy", None)
        to_moto.pop("clientToken", None)
        to_moto["launchType"] = launch_type
        answer = self.aws(self.ecs.run_task, **to_moto)
        essential = next((c for c in definition["containerDefinitions"] if c.get("essential", True)),
                         definition["containerDefinitions"][0])
        override = next((o for o in overrides.get("containerOverrides", []) if o.get("name") == essential["name"]), {})
        environment = {e["name"]: e["value"] for e in essential.get("environment", [])}
        environment.update({e["name"]: e["value"] for e in override.get("environment", [])})
        log = essential.get("logConfiguration")
        started = []
        for described in answer.get("tasks", []):
            task = Task(described["taskArn"], self.cluster_arn(cluster), essential["name"],
                        override.get("command") or essential.get("command") or [], environment, cpu, memory,
                        log.get("options") if log and log.get("logDriver") == "awslogs" else None,
                        launch_type, provider, "1.4.0" if request.get("platformVersion", "LATEST") == "LATEST"
                        else request["platformVersion"], request)
            task.overlay(described)
            started.append(task)
        return answer, started

def headers_without_length(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    front: Front = None  # set in main

    def log_message(self, format, *args):  # quiet: the tests read /_front/requests instead
        pass

    def answer(self, status: int, body: bytes, content_type: str = "application/x-amz-json-1.1",
               extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", os.urandom(16).hex())
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, error: APIError) -> None:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        self.answer(error.status, body, extra={"x-amzn-ErrorType": error.code})

    def reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        front = self.front
        if self.path == "/_front/requests":
            with front.lock:
                self.answer(200, json.dumps(front.requests).encode(), "application/json")
        elif self.path == "/_front/describes":
            with front.lock:
                self.answer(200, json.dumps(front.describe_sizes).encode(), "application/json")
        elif self.path == "/_front/tasks":
            with front.lock:
                self.answer(200, json.dumps([t.summary() for t in front.tasks.values()]).encode(), "application/json")
        else:
            self.proxy("GET", body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        front = self.front
        if self.path == "/_front/faults":
            with front.lock:
                front.faults.extend(json.loads(body))
            self.answer(200, b"{}", "application/json")
        elif self.path == "/_front/config":
            with front.lock:
                front.list_page_size = json.loads(body).get("listPageSize", front.list_page_size)
            self.answer(200, b"{}", "application/json")
        elif self.path == "/_front/setup":
            self.answer(200, json.dumps(self.prepare(json.loads(body))).encode(), "application/json")
        else:
            self.proxy("POST", body)

    def prepare(self, request: dict) -> dict:
        front = self.front
        if request.get("cluster"):
            front.aws(front.ecs.create_cluster, clusterName=request["cluster"])
        if request.get("logGroup"):
            try:
                front.aws(front.logs.create_log_group, logGroupName=request["logGroup"])
            except APIError as error:
                if error.code != "ResourceAlreadyExistsException":
                    raise
        vpc = front.aws(front.ec2.describe_vpcs, Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = front.aws(front.ec2.describe_subnets, Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        groups = front.aws(front.ec2.describe_security_groups, Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
        return {"subnets": sorted(s["SubnetId"] for s in subnets), "securityGroups": [g["GroupId"] for g in groups],
                "region": front.region}

    def proxy(self, method: str, body: bytes) -> None:
        front = self.front
        headers = {k: v for k, v in self.headers.items()}
        target = self.headers.get("X-Amz-Target", "")
        service, operation = ("ecs", target[len(ECS_PREFIX):]) if target.startswith(ECS_PREFIX) else \
            ("logs", target[len(LOGS_PREFIX):]) if target.startswith(LOGS_PREFIX) else ("other", self.path)
        with front.lock:
            front.requests.append(f"{service}:{operation}")
        fault = front.take_fault(operation) if service in ("ecs", "logs") else None
        if fault and fault.get("action") == "throttle":
            return self.error(APIError(400, "ThrottlingException", "Rate exceeded"))
        if fault and fault.get("action") == "error":
            status = fault.get("status", 500)
            code = "ServerException" if service == "ecs" else "ServiceUnavailableException"
            return self.error(APIError(status, fault.get("code", code), "The service is unavailable (a fault the test injected)."))
        try:
            if service == "ecs":
                status, answer = self.ecs(operation, headers, body)
            else:
                status, _, answer = front.forward(method, self.path, headers_without_length(headers), body)
                status, answer = translate_moto_error(status, answer) if service == "logs" else (status, answer)
        except APIError as error:
            if fault and fault.get("action") == "drop_response":
                return self.reset()
            return self.error(error)
        except Exception as error:  # a defect of the front: loud on stderr, and a 500 the test sees
            import traceback
            traceback.print_exc()
            return self.error(APIError(500, "FrontFailure", f"moto_ecs_front.py failed: {error!r}"))
        if fault and fault.get("action") == "drop_response":
            return self.reset()
        if status >= 400 and service in ("ecs", "logs"):
            code = json.loads(answer).get("__type", "") if answer.startswith(b"{") else ""
            self.answer(status, answer, extra={"x-amzn-ErrorType": code} if code else None)
        else:
            self.answer(status, answer, "application/x-amz-json-1.1" if service != "other" else "text/xml")

    def ecs(self, operation: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        front = self.front
        request = json.loads(body or b"{}")
        if operation in ("RunTask", "RegisterTaskDefinition", "ListTasks"):
            # Rewritten before moto sees them: the front checks the caller's signature itself.
            front.verify(headers, body, "ecs")
        if operation == "RunTask":
            return 200, to_json(self.run_task(request))
        if operation == "RegisterTaskDefinition":
            return 200, to_json(front.aws(front.ecs.register_task_definition, **front.register_task_definition(request)))
        if operation == "ListTasks":
            if request.get("startedBy") and any(request.get(k) for k in ("family", "serviceName", "containerInstance")):
                raise APIError(400, "InvalidParameterException",
                               "startedBy may not be specified with family, serviceName or containerInstance.")
            request.setdefault("desiredStatus", "RUNNING")
            page_size = int(request.pop("maxResults", front.list_page_size))
            start = int(request.pop("nextToken", "0") or "0")
            arns = front.aws(front.ecs.list_tasks, **request)["taskArns"]
            page = {"taskArns": arns[start:start + page_size]}
            if start + page_size < len(arns):
                page["nextToken"] = str(start + page_size)
            return 200, to_json(page)
        if operation == "StopTask":
            with front.lock:
                task = next((t for t in front.tasks.values() if request.get("task") in (t.arn, t.id)), None)
            if task is None:
                raise APIError(400, "InvalidParameterException", "The referenced task was not found.")
            front.stop(task, request.get("reason") or "Task stopped by user")
        elif operation == "DescribeTasks":
            if len(request.get("tasks", [])) > 100:
                raise APIError(400, "InvalidParameterException", "Tasks cannot contain more than 100 elements.")
            with front.lock:
                front.describe_sizes.append(len(request.get("tasks", [])))
        status, _, answer = front.forward("POST", self.path, headers_without_length(headers), body)
        if status != 200:
            return translate_moto_error(status, answer)
        return 200, self.overlay(operation, request, answer)

    def run_task(self, request: dict) -> dict:
        front = self.front
        token = request.get("clientToken")
        if not token:
            answer, started = front.run_task(request)
            self.start(started)
            return answer
        key = (request.get("cluster", "default"), token)
        with front.lock:
            lock = front.token_locks.setdefault(key, threading.Lock())
        with lock:
            parameters = json.dumps({k: v for k, v in request.items() if k != "clientToken"}, sort_keys=True)
            if key in front.tokens:
                first_parameters, first_answer = front.tokens[key]
                if first_parameters != parameters:
                    raise APIError(400, "ConflictException",
                                   "The specified client token has already been used with different parameters.")
                return first_answer
            answer, started = front.run_task(request)
            front.tokens[key] = (parameters, answer)
            self.start(started)
            return answer

    def start(self, started: list[Task]) -> None:
        front = self.front
        with front.lock:
            for task in started:
                front.tasks[task.arn] = task
        for task in started:
            threading.Thread(target=front.lifecycle, args=(task,), daemon=True).start()

    def overlay(self, operation: str, request: dict, answer: bytes) -> bytes:
        front = self.front
        data = json.loads(answer)
        described = data.get("tasks", []) if operation == "DescribeTasks" else \
            [data["task"]] if operation == "StopTask" and "task" in data else []
        with front.lock:
            for task in described:
                known = front.tasks.get(task.get("taskArn"))
                if known:
                    known.overlay(task)
        if operation == "DescribeTasks":
            found = {t["taskArn"] for t in described} | {t["taskArn"].rsplit("/", 1)[-1] for t in described}
            data["failures"] = [{"arn": arn, "reason": "MISSING"} for arn in request.get("tasks", [])
                                if arn not in found]
        return json.dumps(data).encode()


def to_json(data: dict) -> bytes:
    """botocore's answer as the wire's JSON: timestamps as epoch seconds."""
    return json.dumps(data, default=lambda value: value.timestamp() if hasattr(value, "timestamp") else str(value)).encode()


def translate_moto_error(status: int, answer: bytes) -> tuple[int, bytes]:
    """moto answers signature failures in XML; ECS and CloudWatch Logs answer JSON."""
    if status < 400 or answer.startswith(b"{"):
        return status, answer
    text = answer.decode("utf-8", "replace")
    if "<Code>" in text:
        code = text.split("<Code>", 1)[1].split("</Code>", 1)[0]
        message = text.split("<Message>", 1)[1].split("</Message>", 1)[0] if "<Message>" in text else code
        mapped = {"SignatureDoesNotMatch": (403, "InvalidSignatureException"),
                  "InvalidClientTokenId": (400, "UnrecognizedClientException")}.get(code, (status, code))
        return mapped[0], json.dumps({"__type": mapped[1], "message": message}).encode()
    return status, json.dumps({"__type": "ServerException", "message": f"moto failed: {text[:200]}"}).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Handler.front = Front(args.moto, args.region, args.access_key_id, args.secret_access_key)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    # Dies with whoever started it: a test closes our standard input (or dies).
    sys.stdin.read()
    # Leave no container process behind.
    with Handler.front.lock:
        processes = [t.process for t in Handler.front.tasks.values() if t.process and t.process.poll() is None]
    for process in processes:
        signal_group(process, signal.SIGKILL)
    server.shutdown()


if __name__ == "__main__":
    main()
