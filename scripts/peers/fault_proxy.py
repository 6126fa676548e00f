#!/usr/bin/env python3
"""A TCP proxy in front of the Kubernetes emulator that the tests steer, to inject faults.

Started per test: `fault_proxy.py --target 127.0.0.1:PORT` prints "PROXY_PORT CONTROL_PORT" on its
first line of output, then serves until stdin closes (so it dies with the test that started it).

The proxy reads each HTTP/1.1 request the client sends (head and Content-Length body), records it,
and looks for the first armed rule whose method and path-substring match. Rules, armed with
`POST /rules` on the control port (a JSON list; each used `times` times, default 1):

  {"action": "respond", "status": 503, "retry_after": "1"}   answer here, without the server
  {"action": "drop_response"}       forward the request, then reset the client before any answer
  {"action": "reset_after", "bytes": N}   forward, relay N bytes of the answer, then reset
  {"action": "stall_after", "bytes": N}   forward, relay N bytes, then relay nothing more (a stalled watch)
  {"action": "delay", "ms": M}      wait M ms before forwarding
  "match": {"method": "POST", "path": "/jobs"}   optional on every rule

With --raw the proxy relays bytes both ways without reading requests (for a TLS or HTTP/2 server,
such as nghttpx in front of the emulator): no rules, no latency, no /requests; /connections and
/reset-all work as below, so a test can kill every connection of an HTTP/2 client at once.

Control: GET /requests lists "METHOD PATH" of every request seen (forwarded or answered here);
GET /connections counts the client connections accepted so far; GET /faults counts the faults that
struck: {"connections", "open" (connections open now), "rules": {ACTION: times struck},
"reset_every": connections reset by it, "reset_all": connections reset by /reset-all,
"requests": {"reset_every": [...], "reset_all": [...]}:
"METHOD PATH" of the request each such reset struck, or for /reset-all the last request read on the
connection (it may have been answered already; "-" for none; always "-" with --raw)};
POST /reset-every {"n": N, "forward": true} resets every Nth client connection accepted from then on
(n 0: none) during its first request, as a connection lost mid-request: the request is read, then,
with "forward" (the default), sent to the server, which acts on it, and the client reset before any
answer (a create's outcome unknown to the client), or, without, reset with the request lost. With
--raw, where requests cannot be told apart, such a connection is reset "after_ms" (default 500) ms
after it was accepted, whatever is in flight then;
POST /latency {"ms": M} adds M ms before every forwarded request; POST /reset-all resets every
open connection; POST /blackhole {"on": true} cuts the client off as a network partition would:
from then on every request is read and dropped, never forwarded nor answered, and answers still
coming from the server are dropped too (connections stay open and silent), until {"on": false}.

What it still does not do that a real network fault does (scripts/bench/faults runs #13's sequence on it):
* Its faults strike at HTTP boundaries it chooses, the same way every time: a cut after exactly N bytes of an
  answer (headers included), a reset after the whole request was read. A real reset lands anywhere, also
  half-way through a request's body or a TLS record, and a real stream is not cut at the same byte every time
  (which matters for logs: a stream resumed from the whole second of its last line, as sinceTime allows, that
  is cut again at the same byte never gets past a second holding more than N bytes).
* Latency is a fixed pause before each request is forwarded, not per packet: no jitter, no bandwidth limit,
  no slow start, no reordering, loss or retransmission; an answer's bytes are not delayed.
* Its resets are RSTs the client sees at once. Half-open connections (a peer gone without a word, found only
  by a timeout or keepalive) exist only as /blackhole; there are no connect timeouts or refusals (the proxy
  always accepts), no DNS failures, and its own side towards the server is closed cleanly (FIN).
* With --raw (TLS, HTTP/2) it cannot see requests: no rules, no latency, and /reset-every resets a connection
  a fixed time after it opened, whatever is in flight then; no GOAWAY or RST_STREAM of its own (nghttpx sends
  those when its backend side fails).
"""
import argparse
import asyncio
import json
import socket
import struct
import sys


class Proxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.rules: list[dict] = []
        self.seen: list[str] = []
        self.latency_ms = 0
        self.connections: set[asyncio.StreamWriter] = set()
        self.accepted = 0
        self.blackhole = False
        # POST /reset-every: every Nth connection accepted since is reset during its first request.
        self.reset_every = {"n": 0, "forward": True, "after_ms": 500, "counted": 0}
        self.struck = {"rules": {}, "reset_every": 0, "reset_all": 0}
        # "METHOD PATH" of the last request read on each open connection (HTTP mode), and of those struck.
        self.last_request: dict[asyncio.StreamWriter, str] = {}
        self.struck_requests = {"reset_every": [], "reset_all": []}

    def doomed(self) -> bool:
        """Whether the connection just accepted is one that POST /reset-every resets."""
        if self.reset_every["n"] <= 0:
            return False
        self.reset_every["counted"] += 1
        return self.reset_every["counted"] % self.reset_every["n"] == 0

    def take_rule(self, method: str, path: str) -> dict | None:
        for rule in self.rules:
            match = rule.get("match", {})
            if match.get("method", method) == method and match.get("path", "") in path:
                rule["times"] = rule.get("times", 1) - 1
                if rule["times"] <= 0:
                    self.rules.remove(rule)
                self.struck["rules"][rule["action"]] = self.struck["rules"].get(rule["action"], 0) + 1
                return rule
        return None

    @staticmethod
    def reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        self.accepted += 1
        doomed = self.doomed()
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        # What the relay does with the answer to the request in flight.
        mode = {"limit": None, "then": None}
        relay = asyncio.create_task(self.relay(upstream_reader, writer, mode))
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                method, path = head.split(b" ", 2)[:2]
                method, path = method.decode(), path.decode()
                self.seen.append(f"{method} {path}")
                self.last_request[writer] = f"{method} {path}"
                # A new answer: what a rule did to the last one's is spent. (Without this, the bytes a cut
                # left unused when its answer ended first cut the next answer on a kept-alive connection,
                # a request no rule named.)
                mode["limit"], mode["then"] = None, None
                if self.blackhole:
                    continue  # partitioned: the request is lost on the way
                if doomed:  # POST /reset-every: this connection dies under its first request
                    doomed = False
                    self.struck["reset_every"] += 1
                    self.struck_requests["reset_every"].append(f"{method} {path}")
                    if not self.reset_every["forward"]:
                        self.reset(writer)
                        break
                    mode["limit"], mode["then"] = 0, "reset_after"
                    if self.latency_ms:
                        await asyncio.sleep(self.latency_ms / 1000)
                    upstream_writer.write(head + body)
                    await upstream_writer.drain()
                    continue
                rule = self.take_rule(method, path)
                action = rule["action"] if rule else None
                if action == "respond":
                    status = int(rule.get("status", 503))
                    payload = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": status,
                                          "reason": rule.get("reason", "ServiceUnavailable"),
                                          "message": "injected by fault_proxy"}).encode()
                    extra = f"Retry-After: {rule['retry_after']}\r\n" if "retry_after" in rule else ""
                    writer.write(f"HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\n{extra}"
                                 f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)
                    await writer.drain()
                    break
                delay = self.latency_ms + (rule.get("ms", 0) if action == "delay" else 0)
                if delay:
                    await asyncio.sleep(delay / 1000)
                if action in ("reset_after", "stall_after"):
                    mode["limit"], mode["then"] = int(rule.get("bytes", 0)), action
                elif action == "drop_response":  # the server acts on it; the client never hears back
                    mode["limit"], mode["then"] = 0, "reset_after"
                upstream_writer.write(head + body)
                await upstream_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass  # the client (or a rule) ended the connection
        except asyncio.CancelledError:
            # The proxy is stopping while a kept-alive connection waits for its next request; without
            # this, asyncio prints the cancelled handler's traceback for every such connection.
            pass
        finally:
            relay.cancel()
            self.connections.discard(writer)
            self.last_request.pop(writer, None)
            upstream_writer.close()
            if not writer.is_closing():
                writer.close()

    async def raw_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        self.accepted += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self.reset(writer)
            self.connections.discard(writer)
            return
        if self.doomed():  # POST /reset-every: no requests to tell apart here, so a while after it opened
            def reset_doomed() -> None:
                if writer in self.connections:
                    self.struck["reset_every"] += 1
                    self.reset(writer)
            asyncio.get_running_loop().call_later(self.reset_every["after_ms"] / 1000, reset_doomed)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                if not sink.is_closing():
                    sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.connections.discard(writer)

    async def relay(self, upstream: asyncio.StreamReader, writer: asyncio.StreamWriter, mode: dict) -> None:
        try:
            while True:
                chunk = await upstream.read(65536)
                if not chunk:
                    writer.close()
                    return
                if self.blackhole:
                    continue  # partitioned: the answer is lost on the way back
                if mode["limit"] is not None:
                    allowed = chunk[: mode["limit"]]
                    writer.write(allowed)
                    await writer.drain()
                    mode["limit"] -= len(allowed)
                    if mode["limit"] <= 0:
                        if mode["then"] == "reset_after":
                            self.reset(writer)
                        else:  # stall: keep the connection open and silent until the client gives up
                            await asyncio.Event().wait()
                        return
                    continue
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = json.loads(await reader.readexactly(length) or b"null") if length else None
            method, path = head.decode().split(" ", 2)[:2]
            answer: object = {"ok": True}
            if method == "POST" and path == "/rules":
                self.rules.extend(body)
            elif method == "POST" and path == "/latency":
                self.latency_ms = int(body["ms"])
            elif method == "POST" and path == "/blackhole":
                self.blackhole = bool(body["on"])
            elif method == "POST" and path == "/reset-all":
                for connection in list(self.connections):
                    self.struck["reset_all"] += 1
                    self.struck_requests["reset_all"].append(self.last_request.get(connection, "-"))
                    self.reset(connection)
            elif method == "POST" and path == "/reset-every":
                self.reset_every.update(n=int(body["n"]), forward=bool(body.get("forward", True)),
                                        after_ms=int(body.get("after_ms", 500)), counted=0)
            elif method == "GET" and path == "/requests":
                answer = self.seen
            elif method == "GET" and path == "/connections":
                answer = self.accepted
            elif method == "GET" and path == "/faults":
                answer = {"connections": self.accepted, "open": len(self.connections), **self.struck,
                          "requests": self.struck_requests}
            else:
                answer = {"error": f"unknown control {method} {path}"}
            payload = json.dumps(answer).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            await writer.drain()
        finally:
            writer.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description="fault-injecting TCP proxy for fargate-cron's tests")
    parser.add_argument("--target", required=True, help="HOST:PORT of the server")
    parser.add_argument("--raw", action="store_true", help="relay bytes without reading HTTP (TLS, HTTP/2)")
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    proxy = Proxy(host, int(port))
    server = await asyncio.start_server(proxy.raw_client if args.raw else proxy.client, "127.0.0.1", 0)
    control = await asyncio.start_server(proxy.control, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], control.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the test that started us closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    control.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
