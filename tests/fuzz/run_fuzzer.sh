#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus:
#   run_fuzzer.sh BINARY TARGET SEED_DIR [SECONDS]   (default: $FASTGPU_FUZZ_SECONDS, else 5)
# BINARY holds every target; TARGET names the one to run (fuzz_targets.cc). New inputs go to a
# temporary corpus (the seeds in the tree stay as they are); a crash leaves its input in the
# working folder (crash-*) and fails the test.
set -euo pipefail
bin=$1
target=$2
seeds=$3
seconds=${4:-${FASTGPU_FUZZ_SECONDS:-5}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds"/. "$work/"
FASTGPU_FUZZ_TARGET=$target "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$PWD/" "$work"
