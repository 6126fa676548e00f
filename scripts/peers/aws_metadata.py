#!/usr/bin/env python3
"""AWS's local credential endpoints and EKS DescribeCluster on 127.0.0.1, for fargate-cron's tests.

One HTTP server (Python's standard library, plus botocore's SigV4 to check signatures) speaking:

* IMDSv2, as an EC2 instance with an instance profile answers it:
    PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1-21600, else 400; a request
      with X-Forwarded-For is refused 403, as the real service refuses proxied token requests);
    GET /latest/meta-data/iam/security-credentials/        -> the role's name (token required: 401 without
      or with an expired one, as with HttpTokens=required)
    GET /latest/meta-data/iam/security-credentials/ROLE    -> {"Code": "Success", "Type": "AWS-HMAC",
      "AccessKeyId", "SecretAccessKey", "Token", "Expiration", "LastUpdated"}
  Every credentials answer is a new key (ASIAIMDS0001, ...), valid for --lifetime seconds.
* Container credentials (ECS task roles, EKS Pod Identity): GET /v1/credentials (the path EKS Pod Identity's
  agent uses; any path is served) with Authorization equal to --container-token -> {"AccessKeyId",
  "SecretAccessKey", "Token", "Expiration", "RoleArn"}; a wrong or missing token gets 401/400 with the agent's
  JSON error. Keys ASIACONT0001, ...
* STS AssumeRole: POST / with Action=AssumeRole (form-encoded), SigV4-signed (service sts) with
  credentials this server issued (checked as for DescribeCluster) -> STS's XML with new keys ASIAROLE0001, ...
* EKS DescribeCluster: GET /clusters/NAME -> {"cluster": {"name", "endpoint", "certificateAuthority":
  {"data"}, "status": "ACTIVE"}} (from --cluster-endpoint and --cluster-ca). The request must be SigV4-signed
  (service eks) with credentials this server issued; the signature is recomputed with botocore and a wrong
  one gets 403 SignatureDoesNotMatch, an unknown key 403 UnrecognizedClientException.

Test controls: GET /_peer/requests (every request: method, path, headers), POST /_peer/config
({"lifetime": seconds, "imds": "on"|"off"|"v1-only", "now": RFC 3339 instant issued credentials count
their lifetime from, "expireTokens": true to forget every IMDS session token}).

Usage: aws_metadata.py [--port 0] [--lifetime 3600] [--container-token T] [--cluster-endpoint URL]
                       [--cluster-ca PEM-FILE] [--role NAME]
Prints "port N" on standard output once it serves, then runs until killed.
"""
import argparse
import base64
import datetime
import http.server
import json
import secrets
import signal
import sys
import threading
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def rfc3339(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.lock = threading.Lock()
        self.args = args
        self.lifetime = args.lifetime
        self.imds = "on"
        self.now: datetime.datetime | None = None  # a fixed instant for issued expirations (tests' clocks)
        self.tokens: dict[str, datetime.datetime] = {}
        self.issued: dict[str, str] = {}  # access key -> secret, for checking signatures
        self.counters = {"IMDS": 0, "CONT": 0, "ROLE": 0}
        self.requests: list[dict] = []

    def issue(self, kind: str) -> dict:
        with self.lock:
            self.counters[kind] += 1
            key = f"ASIA{kind}{self.counters[kind]:04d}"
            secret = secrets.token_urlsafe(30)
            self.issued[key] = secret
            start = self.now or datetime.datetime.now(datetime.timezone.utc)
            expires = start + datetime.timedelta(seconds=self.lifetime)
            return {"AccessKeyId": key, "SecretAccessKey": secret, "Token": f"session-{key}",
                    "Expiration": rfc3339(expires)}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "aws-metadata-peer"
    state: State

    def log_message(self, *_args) -> None:  # quiet: the tests read /_peer/requests instead
        pass

    def answer(self, status: int, body, content_type: str = "application/json", headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def record(self, body: bytes) -> None:
        if not self.path.startswith("/_peer/"):
            with self.state.lock:
                self.state.requests.append({"method": self.command, "path": self.path,
                                            "headers": {k.lower(): v for k, v in self.headers.items()}})

    def do_PUT(self) -> None:
        body = self.body()
        self.record(body)
        if self.path != "/latest/api/token":
            return self.answer(404, "Not Found", "text/plain")
        if self.state.imds == "off":
            return self.answer(404, "Not Found", "text/plain")
        if self.state.imds == "v1-only":
            return self.answer(405, "Method Not Allowed", "text/plain")
        if "X-Forwarded-For" in self.headers:
            return self.answer(403, "Forbidden", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.answer(400, "Bad Request", "text/plain")
        token = "imds-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(ttl))
        self.answer(200, token, "text/plain", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})

    def do_POST(self) -> None:
        body = self.body()
        if self.path == "/_peer/config":
            config = json.loads(body or b"{}")
            with self.state.lock:
                self.state.lifetime = int(config.get("lifetime", self.state.lifetime))
                self.state.imds = config.get("imds", self.state.imds)
                if config.get("now"):
                    self.state.now = datetime.datetime.fromisoformat(config["now"].replace("Z", "+00:00"))
                if config.get("expireTokens"):
                    self.state.tokens.clear()
            return self.answer(200, {"ok": True})
        self.record(body)
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if self.path == "/" and form.get("Action") == "AssumeRole":
            return self.assume_role(form, body)
        self.answer(404, {"message": "not found"})

    def assume_role(self, form: dict, body: bytes) -> None:
        denied = self.check_signature("sts", body)
        if denied:
            error = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{denied[0].replace("Exception", "")}</Code>'
                     f'<Message>{denied[1]}</Message></Error></ErrorResponse>')
            return self.answer(403, error, "text/xml")
        issued = self.state.issue("ROLE")
        self.answer(200, (
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
            f"<AssumedRoleUser><Arn>{form.get('RoleArn')}/{form.get('RoleSessionName')}</Arn></AssumedRoleUser>"
            f"<Credentials><AccessKeyId>{issued['AccessKeyId']}</AccessKeyId>"
            f"<SecretAccessKey>{issued['SecretAccessKey']}</SecretAccessKey><SessionToken>{issued['Token']}</SessionToken>"
            f"<Expiration>{issued['Expiration']}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"),
            "text/xml")

    def do_GET(self) -> None:
        self.record(b"")
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_peer/requests":
            with self.state.lock:
                return self.answer(200, {"requests": self.state.requests})
        if path.startswith("/latest/"):
            return self.instance_metadata(path)
        if path.startswith("/clusters/"):
            return self.describe_cluster(path)
        return self.container_credentials()

    def instance_metadata(self, path: str) -> None:
        if self.state.imds == "off":
            return self.answer(404, "Not Found", "text/plain")
        if self.state.imds != "v1-only":
            token = self.headers.get("X-aws-ec2-metadata-token")
            expires = self.state.tokens.get(token or "")
            if expires is None or expires < datetime.datetime.now(datetime.timezone.utc):
                return self.answer(401, "Unauthorized", "text/plain")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if path == prefix:
            return self.answer(200, self.state.args.role, "text/plain")
        if path == prefix + self.state.args.role:
            issued = self.state.issue("IMDS")
            now = rfc3339(datetime.datetime.now(datetime.timezone.utc))
            return self.answer(200, dict(Code="Success", LastUpdated=now, Type="AWS-HMAC", **issued))
        self.answer(404, "Not Found", "text/plain")

    def container_credentials(self) -> None:
        token = self.headers.get("Authorization")
        if token is None:
            return self.answer(400, {"code": "InvalidToken", "message": "Authorization header is missing"})
        if token != self.state.args.container_token:
            return self.answer(401, {"code": "AccessDeniedException", "message": "Token is not valid"})
        issued = self.state.issue("CONT")
        issued["RoleArn"] = "arn:aws:iam::123456789012:role/fargate-cron-pod"
        self.answer(200, issued)

    def describe_cluster(self, path: str) -> None:
        denied = self.check_signature("eks")
        if denied:
            return self.answer(403, {"__type": denied[0], "message": denied[1]}, headers={"x-amzn-ErrorType": denied[0]})
        name = urllib.parse.unquote(path[len("/clusters/"):])
        with open(self.state.args.cluster_ca, "rb") as ca:
            data = base64.b64encode(ca.read()).decode()
        self.answer(200, {"cluster": {
            "name": name, "arn": f"arn:aws:eks:ap-northeast-1:123456789012:cluster/{name}", "status": "ACTIVE",
            "endpoint": self.state.args.cluster_endpoint, "certificateAuthority": {"data": data}}})

    def check_signature(self, service: str, body: bytes = b"") -> tuple[str, str] | None:
        """Recomputes the SigV4 signature with botocore; a reason when it does not match."""
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            return ("MissingAuthenticationTokenException", "Missing Authentication Token")
        fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
        key, date, region, signed_service, _ = fields["Credential"].split("/")
        secret = self.state.issued.get(key)
        if secret is None:
            return ("UnrecognizedClientException", "The security token included in the request is invalid.")
        signed = fields["SignedHeaders"].split(";")
        request = AWSRequest(method=self.command, url=f"http://{self.headers['Host']}{self.path}", data=body,
                             headers={name: self.headers[name] for name in signed if name in self.headers})
        request.context["timestamp"] = self.headers.get("X-Amz-Date", "")
        signer = SigV4Auth(Credentials(key, secret, self.headers.get("X-Amz-Security-Token")), signed_service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if signed_service != service or expected != fields["Signature"]:
            return ("InvalidSignatureException",
                    "The request signature we calculated does not match the signature you provided.")
        return None


def main() -> int:
    # A child of a Swift test process inherits its blocked signals: take SIGTERM and SIGINT back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds each issued credential is valid")
    parser.add_argument("--container-token", default="pod-identity-token")
    parser.add_argument("--cluster-endpoint", default="https://127.0.0.1:6443")
    parser.add_argument("--cluster-ca", default="/dev/null")
    parser.add_argument("--role", default="fargate-cron-host")
    args = parser.parse_args()
    Handler.state = State(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
