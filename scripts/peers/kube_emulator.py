#!/usr/bin/env python3
"""A Kubernetes API server for fargate-cron's tests: kmock's KubernetesEmulator plus what it lacks.

kmock (pinned at 0.8 in scripts/deps, because this file reaches into its internals) stores objects
and answers the Kubernetes REST paths. This launcher fills the gaps listed in shared/TEST-PEERS.md:

* create answers 201 and adds metadata.uid, resourceVersion and creationTimestamp (and generateName);
* a duplicate create is 409 with reason AlreadyExists; unknown objects are 404 NotFound;
* every change bumps one cluster-wide resourceVersion and is kept in a history, so that
  list honours labelSelector/fieldSelector and returns the list's resourceVersion, and
  watch honours resourceVersion (replays what came after), allowWatchBookmarks (BOOKMARK events),
  timeoutSeconds, and answers 410 Expired for a version older than the last compaction;
* PUT replaces an object, with resourceVersion as an optimistic-concurrency precondition (409 Conflict);
* DELETE honours preconditions.uid and, with propagationPolicy Background/Foreground, deletes the
  pods a Job owns (ownerReferences or controller-uid label);
* pod logs come from a store the tests fill, per container (follow, timestamps, sinceTime), refused as the API
  server and the kubelet refuse them: 400 without `container` on a pod of several containers ("choose one
  of: [...]"), for an unknown container, and for a container still waiting ("is waiting to start: REASON");
  an empty body for a pod not yet on a node;
* Jobs are validated as the API server validates them (kube_validation.py): 400 for a quantity that does
  not decode, 422 Invalid with the API's causes and field paths for names, labels, the Job controller's
  reserved labels and selector, required fields; and against Kubernetes' OpenAPI schemas
  (--schema-versions, PyPI kubernetes-validate, strict); `resourceVersion` on a create is the 500 the API
  server answers; generateName is cut to 58 characters before its 5 random ones;
* pods are admitted as a cluster admits them: a service account must exist (`default` always does), and a
  test may set a pod quota or Pod Security "restricted" per namespace (403 with the API's texts);
* DELETE honours finalizers (only a deletionTimestamp until they are patched away) and a running pod's
  grace period (it goes once its emulated containers end on SIGTERM, --kill-seconds);
* BOOKMARK events come about every 60 s (--bookmark-interval; per namespace through /_emulator/config);
* with --role FILE, every caller but `system:` tokens is held to that Role (kube_rbac.py): 403 otherwise;
* bearer token "reject-401" gets 401 and "forbid-403" gets 403, with the Status texts the real server uses.

Test controls under /_emulator/ (plain JSON over the same ports):
  POST /_emulator/logs/NS/POD   {"lines": ["text" | {"time": RFC3339, "text": "..."}], "close": bool,
                                "container": NAME (default: the pod's first container)}
  POST /_emulator/config        per-namespace settings: {"namespace": NS, "bookmarkInterval": seconds,
                                "podQuota": N (a ResourceQuota on pods), "podSecurity": "restricted",
                                "fargateProfiles": [{"name", "selectors": [{"namespace", "labels"}]}],
                                "ec2Nodes": N, "unpullableImages": [IMAGE]} (the last three for the controller)
  GET  /_emulator/world?namespace=NS   those settings
  POST /_emulator/compact       forget the history, so older resourceVersions get 410
                                ({"namespace": NS}: only for watches of that namespace)
  GET  /_emulator/health        200 when serving
  GET  /_emulator/stats         every request served so far, counted per wall-clock second, client
                                (its bearer token, or "anonymous"), verb and resource, for benchmarks:
                                {"requests": [{"second": S, "client": C, "verb": V, "resource": R, "count": N}],
                                 "lists": [{"client": C, "resource": R, "items": I, "count": N}]}: how many
                                lists of each client returned I objects

Benchmarks set FARGATE_CRON_EMULATOR_FORGET_REQUESTS=1: kmock keeps every request it has served and
matches each create and patch against all of them (its `request in filter` walk), so that one request
costs time in proportion to all before it; with the variable set, the log holds only the request being
served, which nothing here reads back, and a request costs the same after 100,000 others.

Extension point: `controllers` (a list of async callables taking (emulator, event)) is run after every
change, for a test-side Job/Pod controller to be added in its own module.

Usage: kube_emulator.py --http-port P --https-port Q --cert server.pem --key server.key [--ready-file F]
                        [--mtls-port R --client-ca ca.pem]
"""
import argparse
import asyncio
import bisect
import collections
import datetime
import json
import os
import random
import ssl
import string
import sys
import time
import uuid
from typing import Any, Awaitable, Callable

import aiohttp.web
import kmock
from kmock._internal import enums, k8s

import kube_rbac
import kube_validation
from kube_selectors import field_value, parse_selector

try:  # PyPI kubernetes-validate (scripts/deps): the real OpenAPI schemas, strict
    import kubernetes_validate
except ImportError:  # pragma: no cover - scripts/deps installs it; --schema-versions then refuses to start
    kubernetes_validate = None

LIST_KINDS = {"jobs": "Job", "pods": "Pod", "events": "Event", "leases": "Lease", "namespaces": "Namespace"}


def now_rfc3339(fraction: bool = False) -> str:
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def status_error(code: int, reason: str, message: str, details: dict | None = None) -> k8s.KubernetesError:
    return k8s.KubernetesError(status=code, reason=reason, message=message, details=details or {"causes": []})


def describe(resource) -> str:
    return f"{resource.plural}.{resource.group}" if resource.group else resource.plural


class FargateCronEmulator(kmock.KubernetesEmulator):
    """kmock's emulator with versions, history, selectors, watches, logs and preconditions."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.revision = 1000
        self.compacted = 0
        self.compacted_namespaces: dict[str, int] = {}
        self.history: list[tuple[int, Any, str | None, dict]] = []  # (rv, resource, namespace, event)
        self.history_rvs: list[int] = []
        self.changed = asyncio.Event()
        self.logs: dict[tuple[str, str], dict] = {}
        self.logs_changed = asyncio.Event()
        self.bookmark_interval = 60.0  # the real server's "about every minute"
        self.namespace_config: dict[str, dict] = {}  # per-namespace test settings (bookmarkInterval, world)
        self.role: kube_rbac.Role | None = None
        self.schema_versions: list[str] = []
        self.kill_seconds = 0.5  # how long a container takes to end on SIGTERM after a graceful delete
        self.deletions: set[asyncio.Task] = set()
        self.controllers: list[Callable[["FargateCronEmulator", dict], Awaitable[None]]] = []
        self.request_counts: collections.Counter[tuple[int, str, str, str]] = collections.Counter()
        self.list_sizes: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self.forget_requests = os.environ.get("FARGATE_CRON_EMULATOR_FORGET_REQUESTS") == "1"

    # -- bookkeeping ------------------------------------------------------------------------------

    def next_revision(self) -> str:
        self.revision += 1
        return str(self.revision)

    async def record(self, resource, namespace: str | None, kind: str, obj: dict) -> None:
        rv = int(obj.get("metadata", {}).get("resourceVersion") or self.revision)
        event = {"type": kind, "object": obj}
        self.history.append((rv, resource, namespace, event))
        self.history_rvs.append(rv)
        old, self.changed = self.changed, asyncio.Event()
        old.set()
        for controller in self.controllers:
            await controller(self, event)

    def live_objects(self, resource, namespace: str | None) -> list[dict]:
        return [obj.raw for (res, ns, _), obj in self._objects.items()
                if res == resource and (namespace is None or ns == namespace) and not obj.deleted]

    # The fields each resource may be selected by (the API server's field label conversion funcs):
    # any other answers 400 "field label not supported", as a real server does.
    SELECTABLE_FIELDS = {
        "events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                   "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                   "reason", "reportingComponent", "source", "type"},
        "pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                 "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
        "jobs": {"status.successful"},
    }

    def check_field_selector(self, request: kmock.Request) -> None:
        """400 for a field selector naming a field the resource cannot be selected by."""
        allowed = {"metadata.name", "metadata.namespace"} | self.SELECTABLE_FIELDS.get(request.resource.plural, set())
        for requirement in filter(None, request.params.get("fieldSelector", "").split(",")):
            field = requirement.replace("!=", "=").replace("==", "=").split("=", 1)[0].strip()
            if field not in allowed:
                raise status_error(400, "BadRequest", f'Unable to find "{request.resource.group}/{request.resource.version}, '
                                                      f'Resource={request.resource.plural}" that match label selector '
                                                      f'"{request.params.get("labelSelector", "")}", field selector '
                                                      f'"{request.params.get("fieldSelector", "")}": field label not '
                                                      f'supported: {field}')

    def matches(self, request: kmock.Request, obj: dict) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        if not all(test(labels) for test in parse_selector(request.params.get("labelSelector", ""))):
            return False
        for requirement in filter(None, request.params.get("fieldSelector", "").split(",")):
            negate = "!=" in requirement
            path, value = requirement.replace("!=", "=").replace("==", "=").split("=", 1)
            path = "source.component" if path.strip() == "source" else path.strip()
            if (str(field_value(obj, path)) == value.strip()) == negate:
                return False
        return True

    # -- dispatch ---------------------------------------------------------------------------------

    def count(self, request: kmock.Request) -> None:
        """Counts a request in its wall-clock second, for GET /_emulator/stats."""
        method = request._raw_request.method
        client = self.client(request)
        if request.url.path.startswith("/_emulator/"):
            verb, resource = "emulator", request.url.path.strip("/").split("/")[1]
        else:
            resource = request.resource.plural if request.resource is not None else request.url.path
            if request.subresource == "log":
                verb = "log"
            elif request.action == enums.action.UPDATE:
                verb = "update" if method == "PUT" else "patch"
            elif request.action == enums.action.DELETE and not request.name:
                verb = "deletecollection"
            elif request.action is not None:
                verb = {"FETCH": "get"}.get(request.action.name, request.action.name.lower())
            else:
                verb = method.lower()
        self.request_counts[(int(time.time()), client, verb, resource)] += 1

    @staticmethod
    def client(request: kmock.Request) -> str:
        auth = request.headers.get("Authorization", "")
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else "anonymous"

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if self.forget_requests:
            self._requests[:] = [request]  # kmock's dispatch finds the request being served by identity
        if request.url.path != "/_emulator/stats":
            self.count(request)
        if request.url.path.startswith("/_emulator/"):
            return await self.control(request)
        denied = self.check_token(request)
        if denied is not None:
            raise denied
        if request.resource is None:
            return await super()._handle(request)
        method = request._raw_request.method
        denied = self.authorize(request, method)
        if denied is not None:
            raise denied
        if request.subresource == "log" and method == "GET":
            return await self.serve_log(request)
        if request.action == enums.action.WATCH:
            return await self.serve_watch(request)
        if request.action == enums.action.LIST:
            return self.serve_list(request)
        if request.action == enums.action.CREATE:
            return await self.serve_create(request)
        if method == "PUT" and request.name:
            return await self.serve_replace(request)
        if request.action == enums.action.UPDATE:
            return await self.serve_patch(request)
        if request.action == enums.action.DELETE and request.name:
            return await self.serve_delete(request)
        try:
            return await super()._handle(request)
        except k8s.KubernetesNotFoundError:
            raise self.not_found(request)

    def not_found(self, request: kmock.Request) -> k8s.KubernetesError:
        what = describe(request.resource)
        return status_error(404, "NotFound", f'{what} "{request.name}" not found',
                            {"name": request.name, "group": request.resource.group, "kind": request.resource.plural})

    def check_token(self, request: kmock.Request) -> k8s.KubernetesError | None:
        auth = request.headers.get("Authorization", "")
        if auth == "Bearer reject-401":
            return status_error(401, "Unauthorized", "Unauthorized")
        if auth == "Bearer forbid-403" and request.resource is not None:
            verb = {"CREATE": "create", "LIST": "list", "WATCH": "watch", "FETCH": "get", "UPDATE": "patch",
                    "DELETE": "delete"}.get(request.action.name if request.action else "", "get")
            group = request.resource.group
            return status_error(403, "Forbidden",
                                f'{describe(request.resource)} is forbidden: User "system:anonymous" cannot {verb} '
                                f'resource "{request.resource.plural}" in API group "{group}" in the namespace '
                                f'"{request.namespace}"')
        return None

    def authorize(self, request: kmock.Request, method: str) -> k8s.KubernetesError | None:
        """The shipped Role (--role): 403 for what it does not allow (see kube_rbac.py)."""
        if self.role is None or kube_rbac.is_unrestricted(request.headers.get("Authorization", "")):
            return None
        resource = request.resource.plural + (f"/{request.subresource}" if request.subresource else "")
        verb = kube_rbac.verb_of(method, request.name, request.action == enums.action.WATCH)
        group = request.resource.group or ""
        if request.namespace and self.role.allows(verb, group, resource, request.name):
            return None
        return status_error(403, "Forbidden", kube_rbac.forbidden_message(
            self.role.user, verb, group, resource, request.name, request.namespace),
            {"name": request.name or "", "group": group, "kind": request.resource.plural})

    # -- objects ----------------------------------------------------------------------------------

    async def serve_create(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        data = request.data if isinstance(request.data, dict) else {}
        posted = json.loads(json.dumps(data))  # as the client sent it, for the schema check
        meta = data.setdefault("metadata", {})
        if meta.get("resourceVersion"):
            raise status_error(500, "", "resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            # names.SimpleNameGenerator: the prefix cut to 58 characters, then 5 random ones (63 in all).
            meta["name"] = meta["generateName"][:58] + "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
        namespace = request.namespace or meta.get("namespace")
        if namespace:
            meta["namespace"] = namespace
        key = (request.resource, namespace, meta.get("name"))
        if key in self._objects and not self._objects[key].deleted:
            raise self.already_exists(request, meta.get("name"))
        meta["uid"] = str(uuid.uuid4())
        meta["resourceVersion"] = self.next_revision()
        meta["creationTimestamp"] = now_rfc3339()
        for server_set in ("deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"):
            meta.pop(server_set, None)
        if request.resource.plural == "jobs":
            self.validate_job(data, posted)
        if request.resource.plural == "pods":
            await self.admit_pod(data, namespace)
        try:
            response = await super()._handle(request)
        except k8s.KubernetesObjectConflictError:
            raise self.already_exists(request, meta.get("name"))
        response.set_status(201)
        await self.record(request.resource, namespace, "ADDED", self._objects[key].raw)
        return response

    def validate_job(self, job: dict, posted: dict) -> None:
        """The API server's checks of a new Job: decoding, then validation (422 Invalid with causes),
        then every --schema-versions OpenAPI schema (kubernetes-validate, strict)."""
        name = job["metadata"].get("name") or ""
        try:
            kube_validation.check_quantities(job)
            errors = kube_validation.prepare_and_validate_job(job)
        except kube_validation.BadQuantity as error:
            raise status_error(400, "BadRequest", f'Job in version "v1" cannot be handled as a Job: {error}')
        if errors.items:
            status = errors.status("Job", "batch", name)
            raise k8s.KubernetesError(status=422, reason="Invalid", message=status["message"], details=status["details"])
        for version in self.schema_versions:
            try:
                kubernetes_validate.validate(posted, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                raise status_error(422, "Invalid", f'Job.batch "{name}" is invalid: kubernetes-validate {version} '
                                                   f'(strict): {path}: {error.message}')

    async def admit_pod(self, pod: dict, namespace: str) -> None:
        """Admission of a new pod: the ServiceAccount plugin (the account must exist), a ResourceQuota on
        pod count and Pod Security "restricted", as a test configures them (POST /_emulator/admission)."""
        config = self.namespace_config.get(namespace, {})
        name = pod["metadata"].get("name") or pod["metadata"].get("generateName", "")
        account = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        accounts = kmock.resource("", "v1", "serviceaccounts")
        if account != "default" and (accounts, namespace, account) not in self._objects:
            raise status_error(403, "Forbidden", f'pods "{name}" is forbidden: error looking up service account '
                                                 f'{namespace}/{account}: serviceaccount "{account}" not found',
                               {"name": name, "kind": "pods"})
        quota = config.get("podQuota")
        if quota is not None:
            used = len([p for p in self.live_objects(kmock.resource("", "v1", "pods"), namespace)
                        if ((p.get("status") or {}).get("phase")) not in ("Succeeded", "Failed")])
            if used + 1 > int(quota):
                raise status_error(403, "Forbidden", f'pods "{name}" is forbidden: exceeded quota: compute, requested: '
                                                     f'pods=1, used: pods={used}, limited: pods={quota}',
                                   {"name": name, "kind": "pods"})
        if config.get("podSecurity") == "restricted":
            problems = []
            for container in (pod.get("spec") or {}).get("containers") or []:
                context = container.get("securityContext") or {}
                if context.get("allowPrivilegeEscalation") is not False:
                    problems.append(f'allowPrivilegeEscalation != false (container "{container.get("name")}" must set '
                                    "securityContext.allowPrivilegeEscalation=false)")
                if context.get("runAsNonRoot") is not True:
                    problems.append(f'runAsNonRoot != true (container "{container.get("name")}" must set '
                                    "securityContext.runAsNonRoot=true)")
            if problems:
                raise status_error(403, "Forbidden", f'pods "{name}" is forbidden: violates PodSecurity '
                                                     f'"restricted:latest": {", ".join(problems)}',
                                   {"name": name, "kind": "pods"})

    def already_exists(self, request: kmock.Request, name: str) -> k8s.KubernetesError:
        return status_error(409, "AlreadyExists", f'{describe(request.resource)} "{name}" already exists',
                            {"name": name, "group": request.resource.group, "kind": request.resource.plural})

    async def serve_patch(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        key = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise self.not_found(request)
        revision = self.next_revision()
        if isinstance(request.data, dict):
            request.data.setdefault("metadata", {})["resourceVersion"] = revision
        elif isinstance(request.data, list):
            request.data.append({"op": "add", "path": "/metadata/resourceVersion", "value": revision})
        response = await super()._handle(request)
        if not self._objects[key].deleted:
            await self.record(request.resource, request.namespace, "MODIFIED", self._objects[key].raw)
        else:
            # kmock removes an object whose deletion waited on finalizers once the last one is patched away.
            final = json.loads(json.dumps(self._objects[key].last.raw))
            final["metadata"]["resourceVersion"] = self.next_revision()
            await self.record(request.resource, request.namespace, "DELETED", final)
        return response

    async def serve_replace(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        key = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise self.not_found(request)
        current = self._objects[key].raw
        data = request.data if isinstance(request.data, dict) else {}
        meta = data.setdefault("metadata", {})
        wanted = meta.get("resourceVersion")
        if wanted and wanted != current["metadata"].get("resourceVersion"):
            raise status_error(409, "Conflict",
                               f'Operation cannot be fulfilled on {describe(request.resource)} "{request.name}": '
                               'the object has been modified; please apply your changes to the latest version '
                               'and try again', {"name": request.name, "kind": request.resource.plural})
        for kept in ("uid", "creationTimestamp", "namespace", "name"):
            meta[kept] = current["metadata"].get(kept)
        for kept in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            if current["metadata"].get(kept) is not None:
                meta[kept] = current["metadata"][kept]
        meta["resourceVersion"] = self.next_revision()
        self._objects[key].create(data)
        await self.record(request.resource, request.namespace, "MODIFIED", self._objects[key].raw)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            await self.delete_object(key, self._objects[key].raw)  # the last finalizer was removed
        return aiohttp.web.json_response(data)

    async def serve_delete(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        key = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise self.not_found(request)
        current = self._objects[key].raw
        options = request.data if isinstance(request.data, dict) else {}
        expected_uid = (options.get("preconditions") or {}).get("uid")
        actual_uid = current["metadata"].get("uid")
        if expected_uid and expected_uid != actual_uid:
            raise status_error(409, "Conflict",
                               f"Precondition failed: UID in precondition: {expected_uid}, "
                               f"UID in object meta: {actual_uid}", {"name": request.name})
        policy = request.params.get("propagationPolicy") or options.get("propagationPolicy")
        grace = request.params.get("gracePeriodSeconds") or options.get("gracePeriodSeconds")
        answer = await self.delete_gracefully(key, current, None if grace is None else int(grace))
        if policy in ("Background", "Foreground"):
            await self.delete_dependents(request.namespace, actual_uid)
        return aiohttp.web.json_response(answer)

    async def delete_gracefully(self, key, raw: dict, grace: int | None) -> dict:
        """As the API server deletes: an object with finalizers only gets a deletionTimestamp (it goes when
        they are removed); a pod bound to a node and still running is given its grace period
        (gracePeriodSeconds, else spec.terminationGracePeriodSeconds, else 30 s) and goes once its
        containers have ended (the kubelet's part: SIGTERM, which the emulated containers obey within
        --kill-seconds); anything else goes at once. Returns the object as the DELETE answers it."""
        meta = raw.get("metadata", {})
        if meta.get("deletionTimestamp"):
            return raw  # already being deleted
        is_pod = key[0].plural == "pods"
        phase = (raw.get("status") or {}).get("phase")
        running = is_pod and (raw.get("spec") or {}).get("nodeName") and phase not in ("Succeeded", "Failed")
        if grace is None:
            grace = int((raw.get("spec") or {}).get("terminationGracePeriodSeconds", 30)) if is_pod else 0
        if not meta.get("finalizers") and not (running and grace > 0):
            await self.delete_object(key, raw)
            return raw
        marked = json.loads(json.dumps(raw))
        stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=grace if running else 0)
        marked["metadata"]["deletionTimestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        marked["metadata"]["deletionGracePeriodSeconds"] = grace if running else 0
        marked["metadata"]["resourceVersion"] = self.next_revision()
        self._objects[key].create(marked)
        await self.record(key[0], key[1], "MODIFIED", marked)
        if running:
            task = asyncio.create_task(self.kubelet_terminates(key, min(float(grace), self.kill_seconds)))
            self.deletions.add(task)
            task.add_done_callback(self.deletions.discard)
        return marked

    async def kubelet_terminates(self, key, after: float) -> None:
        """The kubelet's side of a graceful pod delete: the containers end (SIGTERM: exit 143), the pod's
        phase becomes Failed, and the pod is removed unless a finalizer still holds it."""
        await asyncio.sleep(after)
        if key not in self._objects or self._objects[key].deleted:
            return
        pod = json.loads(json.dumps(self._objects[key].raw))
        status = pod.setdefault("status", {})
        finished = now_rfc3339()
        for entry in status.get("containerStatuses") or []:
            state = entry.get("state") or {}
            if "terminated" in state:
                continue
            started = (state.get("running") or {}).get("startedAt")
            if started:
                entry["state"] = {"terminated": {"exitCode": 143, "reason": "Error", "startedAt": started,
                                                 "finishedAt": finished}}
            else:
                # A container that never started (still pulling its image, say): the kubelet reports it
                # so, with no startedAt, and it has no output to read.
                entry["state"] = {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                                 "message": "The container could not be located when the pod was terminated",
                                                 "finishedAt": finished}}
            entry["ready"] = False
        status["phase"] = "Failed"
        pod["metadata"]["resourceVersion"] = self.next_revision()
        self._objects[key].create(pod)
        await self.record(key[0], key[1], "MODIFIED", pod)
        if not pod["metadata"].get("finalizers"):
            await self.delete_object(key, pod)

    async def delete_object(self, key, raw: dict) -> None:
        self._objects[key].delete()
        final = json.loads(json.dumps(raw))
        final["metadata"]["resourceVersion"] = self.next_revision()
        await self.record(key[0], key[1], "DELETED", final)

    async def delete_dependents(self, namespace: str | None, owner_uid: str) -> None:
        for key, obj in list(self._objects.items()):
            if obj.deleted or key[1] != namespace:
                continue
            meta = obj.raw.get("metadata", {})
            labels = meta.get("labels") or {}
            owners = {ref.get("uid") for ref in meta.get("ownerReferences") or []}
            if owner_uid in owners or owner_uid in (labels.get("controller-uid"),
                                                    labels.get("batch.kubernetes.io/controller-uid")):
                await self.delete_gracefully(key, obj.raw, None)

    def serve_list(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        self.check_field_selector(request)
        items = [obj for obj in self.live_objects(request.resource, request.namespace) if self.matches(request, obj)]
        items.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"].get("name") or ""))
        self.list_sizes[(self.client(request), request.resource.plural, len(items))] += 1
        kind = LIST_KINDS.get(request.resource.plural, request.resource.plural.capitalize())
        api_version = f"{request.resource.group}/{request.resource.version}" if request.resource.group else request.resource.version
        return aiohttp.web.json_response({"apiVersion": api_version, "kind": f"{kind}List",
                                          "metadata": {"resourceVersion": str(self.revision)}, "items": items})

    # -- watch ------------------------------------------------------------------------------------

    async def serve_watch(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        self.check_field_selector(request)
        params = request.params
        since = params.get("resourceVersion") or "0"
        bookmarks = params.get("allowWatchBookmarks") == "true"
        timeout = float(params.get("timeoutSeconds") or 1800)
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request._raw_request)

        async def send(event: dict) -> None:
            await response.write(json.dumps(event).encode() + b"\n")

        try:
            oldest = max(self.compacted, self.compacted_namespaces.get(request.namespace or "", 0))
            if since != "0" and int(since) < oldest:
                await send({"type": "ERROR", "object": {
                    "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": 410,
                    "reason": "Expired", "message": f"too old resource version: {since} ({oldest})"}})
                return response
            if since == "0":
                cursor = self.revision
                initial = [o for o in self.live_objects(request.resource, request.namespace) if self.matches(request, o)]
                for obj in initial:
                    await send({"type": "ADDED", "object": obj})
            else:
                cursor = int(since)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            interval = float(self.namespace_config.get(request.namespace or "", {}).get("bookmarkInterval",
                                                                                         self.bookmark_interval))
            next_bookmark = loop.time() + interval
            while loop.time() < deadline:
                wakeup = self.changed
                start = bisect.bisect_right(self.history_rvs, cursor)
                for rv, resource, namespace, event in self.history[start:]:
                    cursor = max(cursor, rv)
                    if resource == request.resource and request.namespace in (None, namespace) \
                            and self.matches(request, event["object"]):
                        await send(event)
                if bookmarks and loop.time() >= next_bookmark:
                    kind = LIST_KINDS.get(request.resource.plural, request.resource.plural.capitalize())
                    await send({"type": "BOOKMARK", "object": {"kind": kind, "metadata": {
                        "resourceVersion": str(max(cursor, self.revision))}}})
                    next_bookmark = loop.time() + interval
                wait = min(deadline, next_bookmark if bookmarks else deadline) - loop.time()
                try:
                    await asyncio.wait_for(wakeup.wait(), timeout=max(wait, 0.01))
                except asyncio.TimeoutError:
                    pass
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return response

    # -- logs -------------------------------------------------------------------------------------

    @staticmethod
    def container_names(pod: dict) -> tuple[list[str], list[str]]:
        spec = pod.get("spec") or {}
        return ([c.get("name") for c in spec.get("initContainers") or []],
                [c.get("name") for c in spec.get("containers") or []])

    def log_store(self, namespace: str, pod: str, container: str | None) -> dict:
        """The lines of one container (tests and the controller write them through /_emulator/logs).
        Lines written without a container belong to the pod's first container, whether they were
        written before the pod existed, before its log was requested, or after."""
        pod_key = (kmock.resource("", "v1", "pods"), namespace, pod)
        live = pod_key in self._objects and not self._objects[pod_key].deleted
        first = (self.container_names(self._objects[pod_key].raw)[1][:1] or [None])[0] if live else None
        name = container or first or ""
        key = (namespace, pod, name)
        if key not in self.logs:
            unnamed = self.logs.get((namespace, pod, ""))
            # Written before the pod existed, without a container: the first container's lines.
            self.logs[key] = unnamed if unnamed is not None and name == first else {"lines": [], "closed": False}
        return self.logs[key]

    def log_refusal(self, pod: dict, container: str | None) -> tuple[str | None, str | None]:
        """(the container, None) or (None, the 400 message), as the API server and the kubelet answer."""
        name = pod["metadata"]["name"]
        init, regular = self.container_names(pod)
        if container:
            if container not in init + regular:
                return None, f"container {container} is not valid for pod {name}"
        elif len(regular) == 1:
            container = regular[0]
        elif not regular:
            return None, f"a container name must be specified for pod {name}"
        else:
            return None, f"a container name must be specified for pod {name}, choose one of: [{' '.join(init + regular)}]"
        if not (pod.get("spec") or {}).get("nodeName"):
            return container, None  # not on a node yet: the API server answers an empty body
        status = pod.get("status") or {}
        entries = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
        entry = next((e for e in entries if e.get("name") == container), None)
        if entry is None:
            return None, f'container "{container}" in pod "{name}" is not available'
        waiting = (entry.get("state") or {}).get("waiting")
        if waiting is not None and not (entry.get("lastState") or {}).get("terminated"):
            reason = waiting.get("reason") or "ContainerCreating"
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                reason = "trying and failing to pull image"
            return None, f'container "{container}" in pod "{name}" is waiting to start: {reason}'
        return container, None

    async def serve_log(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        pod_key = (kmock.resource("", "v1", "pods"), request.namespace, request.name)
        if pod_key not in self._objects or self._objects[pod_key].deleted:
            raise self.not_found(request)
        params = request.params
        pod = self._objects[pod_key].raw
        container, refusal = self.log_refusal(pod, params.get("container"))
        if refusal is not None:
            raise status_error(400, "BadRequest", refusal)
        follow = params.get("follow") == "true"
        stamps = params.get("timestamps") == "true"
        since = parse_time(params["sinceTime"]) if params.get("sinceTime") else None
        if not (pod.get("spec") or {}).get("nodeName"):
            return aiohttp.web.Response(status=200, body=b"", content_type="text/plain")
        store = self.log_store(request.namespace, request.name, container)
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        await response.prepare(request._raw_request)
        position = 0
        try:
            while True:
                wakeup = self.logs_changed
                # Index by index: a write may wait on a slow reader while more lines arrive, and
                # `position = len(lines)` after the loop skipped those (lost lines under load).
                while position < len(store["lines"]):
                    time, text = store["lines"][position]
                    position += 1
                    if since is None or parse_time(time) >= since:
                        await response.write(((time + " ") if stamps else "").encode() + text.encode() + b"\n")
                if not follow or store["closed"]:
                    break
                await wakeup.wait()
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return response

    # -- test controls ----------------------------------------------------------------------------

    async def control(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        parts = request.url.path.strip("/").split("/")
        body = request.data if isinstance(request.data, dict) else {}
        if parts[1:2] == ["health"]:
            return aiohttp.web.json_response({"ok": True})
        if parts[1:2] == ["stats"]:
            return aiohttp.web.json_response({"requests": [
                {"second": second, "client": client, "verb": verb, "resource": resource, "count": count}
                for (second, client, verb, resource), count in sorted(self.request_counts.items())],
                "lists": [{"client": client, "resource": resource, "items": items, "count": count}
                          for (client, resource, items), count in sorted(self.list_sizes.items())]})
        if parts[1:2] == ["compact"]:
            # {"namespace": NS} expires versions for watches of that namespace only, so that tests
            # running side by side in other namespaces keep their history.
            # Versions before the current one expire; the current one stays watchable, as after an
            # etcd compaction at the current revision: a client that relists after 410 gets the
            # current version and must be able to watch from it (compacting at current + 1 made
            # every relist meet 410 again until some later change).
            if body.get("namespace"):
                self.compacted_namespaces[body["namespace"]] = self.revision
                return aiohttp.web.json_response({"compacted": self.revision, "namespace": body["namespace"]})
            self.compacted = self.revision
            self.history.clear()
            self.history_rvs.clear()
            return aiohttp.web.json_response({"compacted": self.compacted})
        if parts[1:2] == ["config"]:
            # Per-namespace settings for the tests running there: {"namespace": NS, "bookmarkInterval": s,
            # "podQuota": n, "podSecurity": "restricted", "fargateProfiles": [...], "ec2Nodes": n,
            # "unpullableImages": [...]} (the last three are read by fargate_controller.py).
            namespace = body.get("namespace", "")
            self.namespace_config.setdefault(namespace, {}).update({k: v for k, v in body.items() if k != "namespace"})
            return aiohttp.web.json_response(self.namespace_config[namespace])
        if parts[1:2] == ["world"]:
            return aiohttp.web.json_response(self.namespace_config.get(request.params.get("namespace", ""), {}))
        if parts[1:2] == ["logs"] and len(parts) == 4:
            store = self.log_store(parts[2], parts[3], body.get("container"))
            for line in body.get("lines", []):
                if isinstance(line, dict):
                    store["lines"].append((line["time"], line["text"]))
                else:
                    store["lines"].append((now_rfc3339(fraction=True), line))
            store["closed"] = store["closed"] or bool(body.get("close"))
            old, self.logs_changed = self.logs_changed, asyncio.Event()
            old.set()
            return aiohttp.web.json_response({"lines": len(store["lines"]), "closed": store["closed"]})
        return aiohttp.web.json_response({"error": f"unknown control {request.url.path}"}, status=404)


async def serve(args: argparse.Namespace) -> None:
    emulator = FargateCronEmulator()
    emulator.bookmark_interval = args.bookmark_interval
    emulator.kill_seconds = args.kill_seconds
    if args.role:
        emulator.role = kube_rbac.Role(args.role)
    emulator.schema_versions = [v for v in args.schema_versions.replace(",", " ").split() if v]
    if emulator.schema_versions and kubernetes_validate is None:
        raise SystemExit("--schema-versions needs PyPI kubernetes-validate (scripts/deps installs it)")
    async with emulator:
        server = aiohttp.web.Server(emulator)
        runner = aiohttp.web.ServerRunner(server)
        await runner.setup()
        plain = aiohttp.web.TCPSite(runner, "127.0.0.1", args.http_port)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        secure = aiohttp.web.TCPSite(runner, "127.0.0.1", args.https_port, ssl_context=context)
        await plain.start()
        await secure.start()
        if args.mtls_port:
            # A third port that demands a client certificate signed by --client-ca (kubeconfig client-certificate users).
            mutual = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            mutual.load_cert_chain(args.cert, args.key)
            mutual.load_verify_locations(args.client_ca)
            mutual.verify_mode = ssl.CERT_REQUIRED
            await aiohttp.web.TCPSite(runner, "127.0.0.1", args.mtls_port, ssl_context=mutual).start()
        if args.ready_file:
            with open(args.ready_file, "w") as ready:
                ready.write("ready\n")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--https-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ready-file")
    parser.add_argument("--mtls-port", type=int, help="also serve HTTPS that requires a client certificate")
    parser.add_argument("--client-ca", help="the CA that signs accepted client certificates (with --mtls-port)")
    parser.add_argument("--bookmark-interval", type=float, default=60.0,
                        help="seconds between BOOKMARK events (tests set it per namespace: POST /_emulator/config)")
    parser.add_argument("--role", help="a file with the Role (and RoleBinding) every non-system caller is held to")
    parser.add_argument("--schema-versions", default="",
                        help="Kubernetes versions (1.29,1.30,...) whose OpenAPI schemas each new Job must pass, strict")
    parser.add_argument("--kill-seconds", type=float, default=0.5,
                        help="how long an emulated container takes to end on SIGTERM after a graceful pod delete")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
