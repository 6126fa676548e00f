#!/usr/bin/env bash
# The metrics test peers: Debian's prometheus (a real scraper; each test starts its own instance
# with its own configuration, storage and port, since the target's port is the test's) and PyPI
# prometheus-client's text-format parser. Nothing runs between tests, so `stop` has nothing to do.
# Appends to $PEER_ENV:
#   FARGATE_CRON_TEST_PROMETHEUS         the prometheus binary
#   FARGATE_CRON_TEST_PROMETHEUS_CLIENT  1 when prometheus_client imports
set -euo pipefail

start() {
    {
        if command -v prometheus >/dev/null; then
            echo "FARGATE_CRON_TEST_PROMETHEUS=$(command -v prometheus)"
        else
            echo "prometheus: not installed (scripts/deps installs it); the scrape test will be skipped" >&2
        fi
        if python3 -c 'import prometheus_client' 2>/dev/null; then
            echo "FARGATE_CRON_TEST_PROMETHEUS_CLIENT=1"
        fi
    } >>"${PEER_ENV:-/dev/stdout}"
}

case "${1:-}" in
start) start ;;
stop) ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
