#!/usr/bin/env bash
# Configures and builds the libFuzzer targets (tests/fuzz/project) with clang into $1.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
CXX=${FASTGPU_FUZZ_CXX:-clang++} cmake -S "$here/project" -B "$out" -G Ninja >/dev/null
cmake --build "$out" -j 2
