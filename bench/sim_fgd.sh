#!/usr/bin/env bash
# The FGD paper's fill experiment on every shipped workload: 10 seeds, 130 % inflation, all
# policies; results under OUT/<workload>/ (alloc.csv, summary.csv, alloc.svg) and a table each.
# Usage: bench/sim_fgd.sh [BUILD_DIR] [OUT] [TRACES]
#   TRACES defaults to the first shared/traces/alibaba-gpu-v2023 found above this script
#   (the repository's ../shared, or /work/shared for a work tree under /work/wt).
#   POLICIES=a,b and WORKLOADS="default gpushare40" restrict the run; SEEDS=42-51 by default.
#   IMG=docs/img copies each workload's chart to IMG/sim_fill_<workload>.svg (the charts in
#   docs/scheduler.md are made this way).
set -euo pipefail
build="${1:-build}"
out="${2:-/tmp/fastgpu-sim-fgd}"
traces="${3:-}"
if [[ -z "$traces" ]]; then
  dir="$(cd "$(dirname "$0")/.." && pwd)"
  while [[ "$dir" != "/" ]]; do
    dir="$(dirname "$dir")"
    if [[ -d "$dir/shared/traces/alibaba-gpu-v2023" ]]; then
      traces="$dir/shared/traces/alibaba-gpu-v2023"
      break
    fi
  done
fi
if [[ -z "$traces" || ! -d "$traces" ]]; then
  echo "sim_fgd.sh: no trace folder found; pass it as the third argument" >&2
  exit 2
fi
sim="$build/src/sim/fastgpu-sim"
policies="${POLICIES:-random,bestfit,pack,spread,fgd,fgd+}"
for w in ${WORKLOADS:-default cpu050 cpu250 gpushare40 gpuspec33 multigpu30}; do
  /usr/bin/time -f "$w: %e s wall" "$sim" sim fill \
    --nodes "$traces/openb_node_list_gpu_node.csv" \
    --pods "$traces/openb_pod_list_$w.csv" \
    --policy "$policies" --seeds "${SEEDS:-42-51}" --inflate 1.3 --out "$out/$w"
  if [[ -n "${IMG:-}" ]]; then
    cp "$out/$w/alloc.svg" "$IMG/sim_fill_$w.svg"
  fi
done
