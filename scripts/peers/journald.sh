#!/usr/bin/env bash
# Test peer: a working systemd-journald.
#
#   start  probes with a real send (a socket file left by a dead journald proves nothing) and, only
#          when that fails, starts /lib/systemd/systemd-journald in the background and waits until a
#          send works; then takes a lease on it and appends FARGATE_CRON_TEST_JOURNALD=1 to $PEER_ENV.
#   stop   gives the lease back, and stops a journald that a run of this script started only when
#          no other run still holds a lease on it.
#
# Test runs on one machine share one journald (there is one /run/systemd/journal/socket). A run
# that stopped "its" journald while another run was using it made that run's entries vanish
# (sends refused, so a reader waiting for them saw nothing): hence the leases. A lease is a file
# in $shared/leases naming the process the test run lives in (scripts/test, the caller of this
# script); a lease whose process is gone no longer counts.
#
# The hand-started journald gets a runtime drop-in that turns rate limiting off: the tests send
# 10,000 lines a second from one run and must not lose any (a real deployment keeps its own
# journald.conf; see README "Reading the journal").
set -euo pipefail

run_dir=${PEER_RUN_DIR:-/tmp/fargate-cron-peers}
shared=/run/fargate-cron-test-journald
lease="$shared/leases/$(basename "$run_dir")"
pid_file="$shared/journald.pid"
dropin_dir=/run/systemd/journald.conf.d
dropin="$dropin_dir/90-fargate-cron-tests.conf"
journald=/lib/systemd/systemd-journald

# A real send through the native protocol: succeeds only when a journald answers on the socket.
probe() {
    echo "fargate-cron journald probe" | systemd-cat -t fargate-cron-probe 2>/dev/null
}

# Whether $1 is a live systemd-journald (not a recycled pid).
is_journald() {
    [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "systemd-journal" ]
}

start() {
    mkdir -p "$run_dir" "$shared/leases"
    exec 9>"$shared/lock"
    flock 9
    if probe; then
        echo "journald: already running, using it" >&2
    else
        mkdir -p "$dropin_dir"
        printf '[Journal]\nRateLimitIntervalSec=0\nRateLimitBurst=0\n' >"$dropin"
        # Its own session, so that a Ctrl-C meant for the test run does not kill it before `stop`;
        # without the lock's descriptor, or it would hold the lock for as long as it runs.
        setsid "$journald" </dev/null >"$shared/journald.log" 2>&1 9>&- &
        local pid=$!
        echo "$pid" >"$pid_file"
        local deadline=$((SECONDS + 20))
        until probe; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "journald: $journald exited; its output:" >&2
                cat "$shared/journald.log" >&2
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
    echo "$PPID" >"$lease"
    if [ -n "${PEER_ENV:-}" ]; then
        echo "FARGATE_CRON_TEST_JOURNALD=1" >>"$PEER_ENV"
    fi
}

stop() {
    [ -d "$shared/leases" ] || return 0
    exec 9>"$shared/lock"
    flock 9
    rm -f "$lease"
    local other
    for other in "$shared"/leases/*; do
        [ -e "$other" ] || continue
        if kill -0 "$(cat "$other")" 2>/dev/null; then
            echo "journald: left running for the test run in process $(cat "$other")" >&2
            return 0
        fi
        rm -f "$other"  # that run is gone without giving its lease back
    done
    local pid
    pid=$(cat "$pid_file" 2>/dev/null || true)
    if is_journald "$pid"; then
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
    if [ -n "$pid" ]; then
        rm -f "$pid_file" "$dropin"
        rmdir "$dropin_dir" 2>/dev/null || true
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
