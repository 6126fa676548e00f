#!/usr/bin/env bash
# The AWS test peer for the ECS executor: moto's server (PyPI moto[server], from scripts/deps) on
# 127.0.0.1, with SigV4 really checked.
#
#   start  starts `moto_server` with INITIAL_NO_AUTH_ACTION_COUNT=3, spends those three unsigned
#          actions on an IAM user, its access key and an allow-all policy, and from then on moto
#          refuses any request not signed with that key (SignatureDoesNotMatch, InvalidClientTokenId).
#          It sets moto's ECS task transitions to manual (the ECS front drives the lifecycle, see
#          scripts/peers/moto_ecs_front.py) and appends to $PEER_ENV:
#            FARGATE_CRON_TEST_MOTO                     moto's base URL
#            FARGATE_CRON_TEST_MOTO_ACCESS_KEY_ID       the key moto accepts
#            FARGATE_CRON_TEST_MOTO_SECRET_ACCESS_KEY
#   stop   stops it (moto_server, a werkzeug server, ignores SIGTERM while serving: SIGKILL after 2 s).
#
# Tests do not call moto directly: each starts its own front (moto_ecs_front.py) in front of this
# one moto, in a cluster of its own, so that faults and task scripts of one test touch no other.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir="${PEER_RUN_DIR:-/tmp/fargate-cron-peers}/moto"
region=us-east-1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start() {
    if ! command -v moto_server >/dev/null; then
        echo "moto: moto_server is not installed (scripts/deps installs moto[server]); ECS tests are skipped" >&2
        return 0
    fi
    mkdir -p "$run_dir"
    local port
    port=$(free_port)
    # Its own session: a Ctrl-C meant for the test run must not kill it before `stop`.
    INITIAL_NO_AUTH_ACTION_COUNT=3 setsid moto_server -H 127.0.0.1 -p "$port" </dev/null >"$run_dir/moto.log" 2>&1 &
    echo $! >"$run_dir/pid"
    local url="http://127.0.0.1:$port"
    for _ in $(seq 1 200); do  # up to 20 s: importing moto takes a while on a loaded machine
        # /moto-api/ is not an AWS action: it does not spend the unsigned ones.
        curl -sf -o /dev/null "$url/moto-api/" && break
        kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || { cat "$run_dir/moto.log" >&2; exit 1; }
        sleep 0.1
    done
    curl -sf -o /dev/null "$url/moto-api/" || { echo "moto: did not start" >&2; cat "$run_dir/moto.log" >&2; exit 1; }
    python3 "$here/moto_setup.py" --endpoint "$url" --region "$region" >"$run_dir/key.env"
    {
        echo "FARGATE_CRON_TEST_MOTO=$url"
        cat "$run_dir/key.env"
    } >>"${PEER_ENV:-/dev/stdout}"
    echo "moto: serving $url (signatures checked)" >&2
}

stop() {
    [ -e "$run_dir/pid" ] || return 0
    local pid
    pid=$(cat "$run_dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$run_dir/pid"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
