#!/usr/bin/env bash
# Every control-plane figure of issue 6 in one series, in the order of docs/performance.md's
# tables: rests REST seconds (default 300) first, then runs each benchmark with 30-90 s between
# them, printing the clock before each. Run it on a quiet machine from the repository root:
#   bench/control/series.sh [REST]
set -euo pipefail
cd "$(dirname "$0")/../.."
rest="${1:-300}"
step() { date -u +%H:%M:%S; "$@"; }
sleep "$rest"
step python3 bench/control/e2e_bench.py --mode http --jobs 1000 | tail -1
sleep 90; step python3 bench/control/e2e_bench.py --mode latency --samples 100 | tail -1
sleep 60; step python3 bench/control/e2e_bench.py --mode cli --jobs 300 | tail -1
sleep 60; step python3 bench/control/e2e_bench.py --mode run --samples 15 | tail -2
sleep 30; step python3 bench/control/api_bench.py --mode get --seconds 4 --server-arg=--http-threads=2 | grep get
sleep 30; step python3 bench/control/api_bench.py --mode all --seconds 5 | grep -E "get|submit"
