#!/usr/bin/env bash
# Shows that tools/check_layering.sh fails on a tree that breaks each rule, and passes on a
# clean one. Usage: check_layering_selftest.sh path/to/check_layering.sh
set -u
checker="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail=0

# make_tree DIR: a clean src/core with one source file and the allowed link line.
make_tree() {
  mkdir -p "$1/src/core"
  printf '#include <map>\nint Add(int a, int b) { return a + b; }\n' >"$1/src/core/ok.cc"
  printf 'add_library(fg_core STATIC ok.cc)\ntarget_link_libraries(fg_core PUBLIC fg_common)\n' \
    >"$1/src/core/CMakeLists.txt"
}

expect() {  # expect WANT_RC NAME DIR
  bash "$checker" "$3" >"$work/out" 2>&1
  local rc=$?
  if [[ $rc -ne $1 ]]; then
    echo "FAIL $2: exit $rc, want $1"; cat "$work/out"; fail=1
  fi
}

make_tree "$work/clean"
expect 0 clean "$work/clean"

i=0
for bad in '#include <thread>' '#include <mutex>' '#include <fstream>' '#include <filesystem>' \
           '#include <chrono>' '#include <sqlite3.h>' '#include "httplib.h"' \
           '#include <restinio/all.hpp>' '#include <nlohmann/json.hpp>' \
           'auto t = std::chrono::steady_clock::now();' 'std::random_device rd;' \
           'const char* h = getenv("HOME");' 'int r = rand();' 'long t = time(nullptr);'; do
  i=$((i + 1))
  make_tree "$work/bad$i"
  printf '%s\n' "$bad" >>"$work/bad$i/src/core/ok.cc"
  expect 1 "$bad" "$work/bad$i"
  grep -q "ok.cc:3" "$work/out" || { echo "FAIL $bad: no file:line in output"; fail=1; }
done

make_tree "$work/link"
echo 'target_link_libraries(fg_core PRIVATE SQLite::SQLite3)' >>"$work/link/src/core/CMakeLists.txt"
expect 1 extra-link "$work/link"

[[ $fail -eq 0 ]] && echo "check_layering self-test passed"
exit $fail
