#!/usr/bin/env bash
# Test peer: a working systemd-journald.
#
#   start  probes with a real send (a socket file left by a dead journald proves nothing) and, only
#          when that fails, starts /lib/systemd/systemd-journald in the background, waits until a
#          send works, and records its pid; then appends FARGATE_CRON_TEST_JOURNALD=1 to $PEER_ENV.
#   stop   kills only a journald that `start` started, and removes the drop-in it wrote.
#
# The hand-started journald gets a runtime drop-in that turns rate limiting off: the tests send
# 10,000 lines a second from one run and must not lose any (a real deployment keeps its own
# journald.conf; see README "Reading the journal").
set -euo pipefail

run_dir=${PEER_RUN_DIR:-/tmp/fargate-cron-peers}
state="$run_dir/journald.pid"
dropin_dir=/run/systemd/journald.conf.d
dropin="$dropin_dir/90-fargate-cron-tests.conf"
journald=/lib/systemd/systemd-journald

# A real send through the native protocol: succeeds only when a journald answers on the socket.
probe() {
    echo "fargate-cron journald probe" | systemd-cat -t fargate-cron-probe 2>/dev/null
}

start() {
    mkdir -p "$run_dir"
    if probe; then
        echo "journald: already running, using it" >&2
    else
        mkdir -p "$dropin_dir"
        printf '[Journal]\nRateLimitIntervalSec=0\nRateLimitBurst=0\n' >"$dropin"
        # Its own session, so that a Ctrl-C meant for the test run does not kill it before `stop`.
        setsid "$journald" </dev/null >"$run_dir/journald.log" 2>&1 &
        local pid=$!
        echo "$pid" >"$state"
        local deadline=$((SECONDS + 20))
        until probe; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "journald: $journald exited; its output:" >&2
                cat "$run_dir/journald.log" >&2
                exit 1
            fi
            if ((SECONDS > deadline)); then
                echo "journald: no working journal after 20 s" >&2
                exit 1
            fi
            sleep 0.1
        done
        echo "journald: started $journald (pid $pid)" >&2
    fi
    if [ -n "${PEER_ENV:-}" ]; then
        echo "FARGATE_CRON_TEST_JOURNALD=1" >>"$PEER_ENV"
    fi
}

stop() {
    [ -f "$state" ] || return 0
    local pid
    pid=$(cat "$state")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        local deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS > deadline)); then
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.1
        done
    fi
    rm -f "$state" "$dropin"
    rmdir "$dropin_dir" 2>/dev/null || true
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
