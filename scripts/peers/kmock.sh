#!/usr/bin/env bash
# The Kubernetes API test peer: kmock's emulator behind scripts/peers/kube_emulator.py, on 127.0.0.1,
# over plain HTTP and over HTTPS with a CA made here at start (and a second, unrelated CA that a
# client must refuse). Appends to $PEER_ENV:
#   FARGATE_CRON_TEST_KUBE_HTTP, FARGATE_CRON_TEST_KUBE_HTTPS (base URLs),
#   FARGATE_CRON_TEST_KUBE_CA, FARGATE_CRON_TEST_KUBE_WRONG_CA (PEM files),
#   FARGATE_CRON_TEST_KUBE_MTLS (HTTPS that requires a client certificate), and the client's
#   FARGATE_CRON_TEST_KUBE_CLIENT_CERT / _CLIENT_KEY (signed by the test CA),
#   FARGATE_CRON_TEST_KUBE_SCRIPTS (this folder, for the fault proxy),
#   FARGATE_CRON_TEST_HTTP2 (nghttpd over TLS with the same certificate, when nghttp2-server is installed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir="${PEER_RUN_DIR:-/tmp/fargate-cron-peers}/kmock"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

make_certificates() {
    local d=$1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fargate-cron test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=an unrelated CA" \
        -keyout "$d/wrong-ca.key" -out "$d/wrong-ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=fargate-cron-test-client/O=system:masters" \
        -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
    openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/client.ext" -out "$d/client.pem" 2>/dev/null
}

start() {
    mkdir -p "$run_dir"
    make_certificates "$run_dir"
    local http_port https_port mtls_port
    http_port=$(free_port)
    https_port=$(free_port)
    mtls_port=$(free_port)
    rm -f "$run_dir/ready"
    # The daemon's shipped Role (deploy/) and the OpenAPI schemas of Kubernetes 1.29-1.33 hold every
    # test: FARGATE_CRON_EMULATOR_ROLE=none or FARGATE_CRON_EMULATOR_SCHEMAS=none turn them off (the
    # client benchmark creates pods, which the Role does not allow, and schema checks cost ~100 ms a Job).
    local role="${FARGATE_CRON_EMULATOR_ROLE:-$here/../../deploy/kubernetes/rbac.yaml}"
    local schemas="${FARGATE_CRON_EMULATOR_SCHEMAS:-1.29,1.30,1.31,1.32,1.33}"
    local strict=()
    [ "$role" = none ] || strict+=(--role "$role")
    [ "$schemas" = none ] || strict+=(--schema-versions "$schemas")
    # kmock keeps every request and walks them all on each create and patch: late in a full test run
    # each request cost seconds. Nothing reads that log back (see kube_emulator.py).
    export FARGATE_CRON_EMULATOR_FORGET_REQUESTS="${FARGATE_CRON_EMULATOR_FORGET_REQUESTS:-1}"
    nohup python3 "$here/kube_emulator.py" --http-port "$http_port" --https-port "$https_port" "${strict[@]}" \
        --cert "$run_dir/server.pem" --key "$run_dir/server.key" --ready-file "$run_dir/ready" \
        --mtls-port "$mtls_port" --client-ca "$run_dir/ca.pem" \
        >"$run_dir/emulator.log" 2>&1 &
    echo $! >"$run_dir/pid"
    for _ in $(seq 1 100); do  # up to 10 s
        [ -e "$run_dir/ready" ] && break
        kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || { cat "$run_dir/emulator.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -e "$run_dir/ready" ] || { echo "kmock: emulator did not start" >&2; cat "$run_dir/emulator.log" >&2; exit 1; }
    # nghttpd (Debian nghttp2-server), an HTTP/2 server with the same certificate, to show that the
    # client speaks HTTP/2 when a server offers it over TLS (kmock's aiohttp speaks HTTP/1.1 only).
    local h2_port=""
    if command -v nghttpd >/dev/null; then
        h2_port=$(free_port)
        mkdir -p "$run_dir/h2"
        echo '{"kind":"Status","status":"Success"}' >"$run_dir/h2/status.json"
        nohup nghttpd --address=127.0.0.1 -d "$run_dir/h2" "$h2_port" "$run_dir/server.key" "$run_dir/server.pem" \
            >"$run_dir/nghttpd.log" 2>&1 &
        echo $! >"$run_dir/h2.pid"
        for _ in $(seq 1 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$h2_port") 2>/dev/null && break
            sleep 0.1
        done
    fi
    {
        echo "FARGATE_CRON_TEST_KUBE_HTTP=http://127.0.0.1:$http_port"
        echo "FARGATE_CRON_TEST_KUBE_HTTPS=https://127.0.0.1:$https_port"
        echo "FARGATE_CRON_TEST_KUBE_CA=$run_dir/ca.pem"
        echo "FARGATE_CRON_TEST_KUBE_WRONG_CA=$run_dir/wrong-ca.pem"
        echo "FARGATE_CRON_TEST_KUBE_MTLS=https://127.0.0.1:$mtls_port"
        echo "FARGATE_CRON_TEST_KUBE_CLIENT_CERT=$run_dir/client.pem"
        echo "FARGATE_CRON_TEST_KUBE_CLIENT_KEY=$run_dir/client.key"
        echo "FARGATE_CRON_TEST_KUBE_SCRIPTS=$here"
        [ -z "$h2_port" ] || echo "FARGATE_CRON_TEST_HTTP2=https://127.0.0.1:$h2_port"
    } >>"${PEER_ENV:-/dev/stdout}"
}

stop() {
    if [ -e "$run_dir/h2.pid" ]; then
        kill "$(cat "$run_dir/h2.pid")" 2>/dev/null || true
        rm -f "$run_dir/h2.pid"
    fi
    [ -e "$run_dir/pid" ] || return 0
    local pid
    pid=$(cat "$run_dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$run_dir/pid"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
