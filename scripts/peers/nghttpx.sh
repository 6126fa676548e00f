#!/usr/bin/env bash
# An HTTP/2 front for the Kubernetes emulator, as EKS's API servers speak HTTP/2: Debian's nghttpx
# (package nghttp2-proxy) terminates TLS and HTTP/2 (h2 by ALPN; HTTP/1.1 too) in front of the
# emulator's plain HTTP/1.1 port. Needs scripts/peers/kmock.sh started before it (its certificate,
# its port). Appends to $PEER_ENV:
#   FARGATE_CRON_TEST_KUBE_H2      the front's base URL (https; trust FARGATE_CRON_TEST_KUBE_CA)
#   FARGATE_CRON_TEST_KUBE_H2_LOG  its access log, one line per request as its response head is sent:
#                                  CLIENT_PORT ALPN SESSION_REUSED(r|.) "METHOD PATH PROTO" STATUS
#   FARGATE_CRON_TEST_NGHTTPX      this script, for a test that starts a front of its own with `serve`
#   FARGATE_CRON_TEST_KUBE_SERVER_CERT, _SERVER_KEY  the certificate the fronts present
#
#   nghttpx.sh start | stop
#   nghttpx.sh serve DIR BACKEND_HOST,PORT FRONT_PORT [NGHTTPX OPTION...]
#       a front in the foreground (exec'd, so its pid is nghttpx's) with its logs in DIR; extra
#       options such as --frontend-http2-max-concurrent-streams=N or --frontend-max-requests=N.
#
# What it does not do that a real API server does: nghttpx itself never sends GOAWAY on its own
# except after --frontend-max-requests or at shutdown, and its HTTP/2 stream limit is a flag here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir="${PEER_RUN_DIR:-/tmp/fargate-cron-peers}/nghttpx"
kmock_dir="${PEER_RUN_DIR:-/tmp/fargate-cron-peers}/kmock"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

serve() {
    local dir=$1 backend=$2 port=$3
    shift 3
    mkdir -p "$dir"
    # --single-process: one process to stop. Backend reads wait up to an hour: a followed log may be
    # silent that long, and the API server does not cut it either. The access log is written when a
    # response's head goes out (--accesslog-write-early), so an open watch is already in it.
    # --conf=/dev/null: not Debian's /etc/nghttpx/nghttpx.conf, which adds a front on port 3000 and logs to syslog.
    exec nghttpx --conf=/dev/null --single-process --workers=1 --no-ocsp --no-via \
        --frontend="127.0.0.1,$port" --backend="$backend;;proto=http/1.1" \
        --backend-read-timeout=1h --backend-write-timeout=1h \
        --accesslog-file="$dir/access.log" --accesslog-write-early \
        --accesslog-format='$remote_port $alpn $tls_session_reused "$request" $status' \
        --errorlog-file="$dir/error.log" \
        "$@" "${FARGATE_CRON_TEST_KUBE_SERVER_KEY:-$kmock_dir/server.key}" \
        "${FARGATE_CRON_TEST_KUBE_SERVER_CERT:-$kmock_dir/server.pem}"
}

start() {
    command -v nghttpx >/dev/null || { echo "nghttpx: not installed (scripts/deps installs nghttp2-proxy)" >&2; exit 1; }
    local emulator port
    emulator=$(sed -n 's|^FARGATE_CRON_TEST_KUBE_HTTP=http://||p' "${PEER_ENV:?}" | tail -1)
    [ -n "$emulator" ] || { echo "nghttpx: start scripts/peers/kmock.sh first" >&2; exit 1; }
    port=$(free_port)
    mkdir -p "$run_dir"
    nohup "$here/nghttpx.sh" serve "$run_dir" "${emulator/:/,}" "$port" >"$run_dir/stdout.log" 2>&1 &
    echo $! >"$run_dir/pid"
    for _ in $(seq 1 100); do  # up to 10 s
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || { cat "$run_dir"/*.log >&2; exit 1; }
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "nghttpx: did not listen" >&2; exit 1; }
    {
        echo "FARGATE_CRON_TEST_KUBE_H2=https://127.0.0.1:$port"
        echo "FARGATE_CRON_TEST_KUBE_H2_LOG=$run_dir/access.log"
        echo "FARGATE_CRON_TEST_NGHTTPX=$here/nghttpx.sh"
        echo "FARGATE_CRON_TEST_KUBE_SERVER_CERT=$kmock_dir/server.pem"
        echo "FARGATE_CRON_TEST_KUBE_SERVER_KEY=$kmock_dir/server.key"
    } >>"$PEER_ENV"
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
serve) shift; serve "$@" ;;
*) echo "usage: $0 start|stop|serve DIR BACKEND_HOST,PORT FRONT_PORT [OPTION...]" >&2; exit 2 ;;
esac
