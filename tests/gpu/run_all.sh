#!/bin/sh
# Every real-GPU check, for a machine with an NVIDIA GPU, its driver, nvidia-smi and (for the
# vGPU checks) PyTorch: the agent's NVML code against nvidia-smi, then the vGPU layer under
# PyTorch. Usage: tests/gpu/run_all.sh BUILD_DIR   (the output is also kept in
# $OUT/gpu-checks.txt when $OUT is set). Exit 0 when every check passed or skipped (77).
set -u
B=${1:?usage: run_all.sh BUILD_DIR}
DIR=$(dirname "$0")
LOG=$(mktemp)
rc=0
nvidia-smi -L >>"$LOG" 2>&1
for script in nvml_real_gpu.py vgpu_real_gpu.py; do
  echo "== $script" >>"$LOG"
  python3 "$DIR/$script" "$B" >>"$LOG" 2>&1
  r=$?
  echo "== $script: exit $r" >>"$LOG"
  if [ "$r" -ne 0 ] && [ "$r" -ne 77 ]; then rc=$r; fi
done
cat "$LOG"
if [ -n "${OUT:-}" ]; then cp "$LOG" "$OUT/gpu-checks.txt"; fi
rm -f "$LOG"
exit $rc
