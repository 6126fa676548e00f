"""A timestamping TCP relay on 127.0.0.1 for scripts/bench/warm-create: it forwards each connection to an
upstream HTTP/1.1 server unchanged and logs, for every request a client sends, when the request's first byte
reached the relay's socket.

"When" is the kernel's receive timestamp of the segment that carries that byte (SO_TIMESTAMPNS, CLOCK_REALTIME):
on loopback it is taken as the sender's send() hands the segment to the loopback device, so it does not include
the relay's own wake-up. At the start of each request the relay reads one byte alone (so the timestamp is that
byte's segment's, not a later one's), then reads on. The time the relay's read returned is logged too.

  wire_relay.py UPSTREAM_PORT LOG      prints `ready PORT` once listening; one JSON object per request in LOG:
      {"conn": N, "seq": N, "kernel_ns": T, "user_ns": T, "method": M, "path": P, "client": BEARER_TOKEN,
       "scheduled_at": LABEL (a POST's body's fargate-cron/scheduled-at label, or null), "pipelined": BOOL}
  ("pipelined": the request began in the same read as the previous one's end: its timestamp is that read's.)

Requests are told apart by parsing HTTP/1.1 (Content-Length or chunked bodies); it does not speak HTTP/2 or TLS.
"""
import json
import socket
import struct
import sys
import threading
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python does not export it everywhere
SCHEDULED_AT_LABEL = "fargate-cron/scheduled-at"
CAPTURED_BODY = 1 << 16  # POST bodies up to this size are read for their labels


class RequestLog:
    def __init__(self, path):
        self.file, self.lock = open(path, "w"), threading.Lock()

    def write(self, entry):
        with self.lock:
            self.file.write(json.dumps(entry) + "\n")
            self.file.flush()


class RequestParser:
    """Splits one connection's client-to-server bytes into HTTP/1.1 requests."""

    def __init__(self, conn, log):
        self.conn, self.log, self.seq = conn, log, 0
        self.buffer, self.state, self.remaining = b"", "start", 0
        self.current = None

    @property
    def at_request_start(self):
        return self.state == "start" and not self.buffer

    def feed(self, data, kernel_ns, user_ns):
        self.buffer += data
        while self.buffer:
            if self.state == "start":
                self.current = {"conn": self.conn, "seq": self.seq, "kernel_ns": kernel_ns, "user_ns": user_ns,
                                "pipelined": kernel_ns is None, "body": b""}
                self.seq += 1
                self.state = "head"
            if self.state == "head":
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
                self.head(head)
            elif self.state == "body":
                take = min(self.remaining, len(self.buffer))
                self.keep(self.buffer[:take])
                self.buffer, self.remaining = self.buffer[take:], self.remaining - take
                if self.remaining == 0:
                    self.finish()
            elif self.state == "chunk-size":
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    return
                size = int(self.buffer[:end].split(b";")[0], 16)
                self.buffer = self.buffer[end + 2:]
                self.state, self.remaining = ("chunk-trailer", 0) if size == 0 else ("chunk", size + 2)
            elif self.state == "chunk":
                take = min(self.remaining, len(self.buffer))
                self.keep(self.buffer[:take][: max(0, self.remaining - 2)])
                self.buffer, self.remaining = self.buffer[take:], self.remaining - take
                if self.remaining == 0:
                    self.state = "chunk-size"
            elif self.state == "chunk-trailer":
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    return
                line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
                if not line:
                    self.finish()
            kernel_ns = None  # a request that begins after this point began in the same read

    def head(self, head):
        lines = head.split("\r\n")
        method, path = (lines[0].split(" ") + ["", ""])[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.current.update(method=method, path=path.split("?")[0],
                            client=headers.get("authorization", "").removeprefix("Bearer ") or "anonymous")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            self.state = "chunk-size"
        elif int(headers.get("content-length", "0") or 0) > 0:
            self.state, self.remaining = "body", int(headers["content-length"])
        else:
            self.finish()

    def keep(self, data):
        if self.current["method"] == "POST" and len(self.current["body"]) < CAPTURED_BODY:
            self.current["body"] += data

    def finish(self):
        entry, self.current, self.state = self.current, None, "start"
        body = entry.pop("body")
        entry["scheduled_at"] = None
        if body:
            try:
                entry["scheduled_at"] = json.loads(body).get("metadata", {}).get("labels", {}).get(SCHEDULED_AT_LABEL)
            except (ValueError, AttributeError):
                pass  # not a JSON object: not a Job create, nothing to match to a slot
        self.log.write(entry)


def pump_requests(client, upstream, parser):
    """Client to server: forwards every byte at once, timestamps the first byte of each request."""
    client.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        while True:
            kernel_ns = None
            if parser.at_request_start:
                data, ancillary, _, _ = client.recvmsg(1, socket.CMSG_SPACE(16))
                user_ns = time.time_ns()
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        seconds, nanoseconds = struct.unpack("qq", value[:16])
                        kernel_ns = seconds * 1_000_000_000 + nanoseconds
                if data:
                    data += rest_of(client)
            else:
                data, user_ns = client.recv(65536), time.time_ns()
            if not data:
                break
            upstream.sendall(data)
            parser.feed(data, kernel_ns if kernel_ns is not None else user_ns, user_ns)
    except OSError:
        pass  # either side went away: the other pump ends the connection
    finally:
        shut_both(client, upstream)


def shut_both(*sockets):
    """Ends both directions of each socket, so that the other pump's recv returns at once."""
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def rest_of(sock):
    """What else has arrived already, without waiting."""
    try:
        return sock.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return b""


def pump_responses(upstream, client):
    try:
        while data := upstream.recv(65536):
            client.sendall(data)
    except OSError:
        pass
    finally:
        shut_both(client, upstream)


def serve(upstream_port, log_path):
    log = RequestLog(log_path)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print(f"ready {listener.getsockname()[1]}", flush=True)
    conn = 0
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        parser = RequestParser(conn, log)
        conn += 1
        threading.Thread(target=pump_requests, args=(client, upstream, parser), daemon=True).start()
        threading.Thread(target=pump_responses, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
