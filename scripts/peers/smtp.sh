#!/usr/bin/env bash
# The mail test peer: an SMTP sink on 127.0.0.1 (scripts/peers/smtp_sink.py, PyPI aiosmtpd) that
# keeps what it receives, and an msmtp configuration that relays to it, so that Debian's msmtp is
# the real `sendmail -t` the daemon hands its mail to. Appends to $PEER_ENV:
#   FARGATE_CRON_TEST_SMTP_PORT     the sink's port
#   FARGATE_CRON_TEST_MAILDIR       the folder of received messages (NNNNNN.eml + NNNNNN.json)
#   FARGATE_CRON_TEST_SENDMAIL      a sendmail command line relaying to the sink (msmtp -C FILE -oi -t)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir="${PEER_RUN_DIR:-/tmp/fargate-cron-peers}/smtp"

start() {
    if ! command -v msmtp >/dev/null || ! python3 -c 'import aiosmtpd' 2>/dev/null; then
        echo "smtp: msmtp or aiosmtpd missing (scripts/deps installs them); mail tests will be skipped" >&2
        return 0
    fi
    mkdir -p "$run_dir/mail"
    rm -f "$run_dir/port"
    nohup python3 "$here/smtp_sink.py" --dir "$run_dir/mail" --port-file "$run_dir/port" >"$run_dir/sink.log" 2>&1 &
    echo $! >"$run_dir/pid"
    for _ in $(seq 1 100); do  # up to 10 s
        [ -e "$run_dir/port" ] && break
        kill -0 "$(cat "$run_dir/pid")" 2>/dev/null || { cat "$run_dir/sink.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -e "$run_dir/port" ] || { echo "smtp: the sink did not start" >&2; cat "$run_dir/sink.log" >&2; exit 1; }
    local port
    port=$(cat "$run_dir/port")
    # msmtp refuses a configuration file others can read only when it holds a password; 0600 anyway.
    umask 077
    cat >"$run_dir/msmtprc" <<RC
defaults
auth off
tls off
timeout 10
logfile $run_dir/msmtp.log

account sink
host 127.0.0.1
port $port
from fargate-cron@test.invalid

account default : sink
RC
    {
        echo "FARGATE_CRON_TEST_SMTP_PORT=$port"
        echo "FARGATE_CRON_TEST_MAILDIR=$run_dir/mail"
        # Quoted: scripts/test sources this file.
        echo "FARGATE_CRON_TEST_SENDMAIL='msmtp -C $run_dir/msmtprc -oi -t'"
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
