#!/usr/bin/env bash
# Fails (exit 1) when src/core/ breaks the purity rules of docs/STYLE: no threads, files,
# clocks, randomness seeding, environment, storage or HTTP/JSON libraries in the scheduler
# core, and fg_core links only fg_common. Prints file:line for every violation.
# Usage: tools/check_layering.sh [repo_root]   (default: the repository holding this script)
set -u
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
core="$root/src/core"
if [[ ! -d "$core" ]]; then
  echo "check_layering: no $core" >&2
  exit 2
fi
status=0

# Banned includes: <thread> <mutex> <fstream> <filesystem> <chrono>, sqlite3.h, httplib,
# restinio, nlohmann.
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*/)?(thread|mutex|fstream|filesystem|chrono|sqlite3\.h|httplib[^>"]*|restinio/[^>"]*|nlohmann/[^>"]*)[>"]'
# Banned calls: clocks, randomness sources, environment.
call_re='::now\(\)|random_device|getenv|(^|[^[:alnum:]_])s?rand\(|(^|[^[:alnum:]_])time\('

while IFS= read -r hit; do
  echo "$hit: banned include in src/core"
  status=1
done < <(grep -rnE --include='*.h' --include='*.cc' --include='*.cpp' --include='*.hpp' \
           "$include_re" "$core")

while IFS= read -r hit; do
  echo "$hit: banned call in src/core"
  status=1
done < <(grep -rnE --include='*.h' --include='*.cc' --include='*.cpp' --include='*.hpp' \
           "$call_re" "$core")

# fg_core must link fg_common and nothing else: every link command in its CMakeLists.txt must
# be exactly `target_link_libraries(fg_core PUBLIC fg_common)`, and that line must exist.
cmake_file="$core/CMakeLists.txt"
allowed_re='^[[:space:]]*target_link_libraries\([[:space:]]*fg_core[[:space:]]+PUBLIC[[:space:]]+fg_common[[:space:]]*\)'
if ! grep -qE "$allowed_re" "$cmake_file"; then
  echo "$cmake_file:1: missing 'target_link_libraries(fg_core PUBLIC fg_common)'"
  status=1
fi
while IFS= read -r hit; do
  line="${hit%%:*}"
  text="${hit#*:}"
  if ! grep -qE "$allowed_re" <<<"$text"; then
    echo "$cmake_file:$line: fg_core must link only fg_common: $text"
    status=1
  fi
done < <(grep -nE 'link_libraries|link_options|link_directories' "$cmake_file" | grep -vE '^[0-9]+:[[:space:]]*#')

if [[ $status -eq 0 ]]; then echo "check_layering: src/core is clean"; fi
exit $status
