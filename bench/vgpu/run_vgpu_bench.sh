#!/bin/sh
# Runs vgpu_bench without the library, with it but no limits (pass-through), with limits and
# the compute limiter off (share 1000) and on (share 500), then the start-up cost.
# Usage: bench/vgpu/run_vgpu_bench.sh BUILD_DIR
set -eu
B=${1:?usage: run_vgpu_bench.sh BUILD_DIR}
LIB=$B/src/vgpu/libfastgpu-vgpu.so
FAKE=$B/tests/vgpu/fakedriver
BENCH=$B/bench/vgpu/vgpu_bench
PROBE=$B/tests/vgpu/vgpu_probe
SHM=$(mktemp -d)
export LD_LIBRARY_PATH=$FAKE
run() {  # label, env...
  label=$1; shift
  echo "== $label"
  env "$@" "$BENCH" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_min_time=0.2 2>/dev/null | grep -E "_median"
}
run "no library"
run "library, no limits (pass-through)" LD_PRELOAD=$LIB
run "library, 4GiB limit, share 1000 (limiter off)" LD_PRELOAD=$LIB \
  FASTGPU_VGPU_MEMORY_LIMIT=4GiB FASTGPU_VGPU_COMPUTE_SHARE=1000 FASTGPU_VGPU_SHM=$SHM/a
run "library, 4GiB limit, share 500 (limiter on)" LD_PRELOAD=$LIB \
  FASTGPU_VGPU_MEMORY_LIMIT=4GiB FASTGPU_VGPU_COMPUTE_SHARE=500 FASTGPU_VGPU_SHM=$SHM/b
# Start-up: 300 interleaved runs of a process that makes one cuMemAlloc, without the library
# and with it (limits set, so the first call does the whole init: environment, ledger file,
# driver lookup); prints the medians and the difference.
echo "== start-up (median of 300 interleaved runs of vgpu_probe alloc)"
python3 - "$PROBE" "$LIB" "$SHM/c" <<'PY'
import os, statistics, subprocess, sys, time
probe, lib, shm = sys.argv[1:]
base = dict(os.environ)
withlib = dict(base, LD_PRELOAD=lib, FASTGPU_VGPU_MEMORY_LIMIT="4GiB", FASTGPU_VGPU_SHM=shm)
runs = {"without": [], "with": []}
for _ in range(300):
    for name, env in (("without", base), ("with", withlib)):
        t = time.perf_counter()
        subprocess.run([probe, "alloc", "link", "1048576"], env=env, stdout=subprocess.DEVNULL,
                       check=True)
        runs[name].append(time.perf_counter() - t)
a, b = (statistics.median(runs[k]) * 1000 for k in ("without", "with"))
print(f"without {a:.3f} ms, with {b:.3f} ms, added {b - a:.3f} ms per process")
PY
rm -rf "$SHM"
