#!/usr/bin/env bash
# The Kubernetes API test peer: kmock's emulator behind scripts/peers/kube_emulator.py, on 127.0.0.1,
# over plain HTTP and over HTTPS with a CA made here at start (and a second, unrelated CA that a
# client must refuse). Appends to $PEER_ENV:
#   FARGATE_CRON_TEST_KUBE_HTTP, FARGATE_CRON_TEST_KUBE_HTTPS (base URLs),
#   FARGATE_CRON_TEST_KUBE_CA, FARGATE_CRON_TEST_KUBE_WRONG_CA (PEM files),
#   FARGATE_CRON_TEST_KUBE_SCRIPTS (this folder, for the fault proxy).
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
}

start() {
    mkdir -p "$run_dir"
    make_certificates "$run_dir"
    local http_port https_port
    http_port=$(free_port)
    https_port=$(free_port)
    rm -f "$run_dir/ready"
    nohup python3 "$here/kube_emulator.py" --http-port "$http_port" --https-port "$https_port" \
        --cert "$run_dir/server.pem" --key "$run_dir/server.key" --ready-file "$run_dir/ready" \
        >"$run_dir/emulator.log" 2>&1 &
    echo $! >"$run_dir/pid"
    for _ in $(seq 1 100); do  # up to 10 s
        [ -e "$run_dir/ready" ] && break
        kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || { cat "$run_dir/emulator.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -e "$run_dir/ready" ] || { echo "kmock: emulator did not start" >&2; cat "$run_dir/emulator.log" >&2; exit 1; }
    {
        echo "FARGATE_CRON_TEST_KUBE_HTTP=http://127.0.0.1:$http_port"
        echo "FARGATE_CRON_TEST_KUBE_HTTPS=https://127.0.0.1:$https_port"
        echo "FARGATE_CRON_TEST_KUBE_CA=$run_dir/ca.pem"
        echo "FARGATE_CRON_TEST_KUBE_WRONG_CA=$run_dir/wrong-ca.pem"
        echo "FARGATE_CRON_TEST_KUBE_SCRIPTS=$here"
    } >>"${PEER_ENV:-/dev/stdout}"
}

stop() {
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
