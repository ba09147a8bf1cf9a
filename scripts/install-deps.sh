#!/usr/bin/env bash
# Installs every Debian package fastgpu needs to build, test and run (PostgreSQL 15: libpq to
# build, the server for the tests' own throwaway cluster, scripts/pg-test-cluster.sh; the
# browser tests use Debian's chromium and firefox-esr), then, from npm, what the browser tests
# run on (tests/web/setup.sh: playwright-core and axe-core into tests/web/node_modules, and a
# Node.js 22 into tests/web/node-runtime when the system's node is older than 20, as Debian 12's
# 18 is). No browser is downloaded. Idempotent and non-interactive: what is already there is
# skipped.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  librestinio-dev libasio-dev libhttp-parser-dev libfmt-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libyaml-cpp-dev libcpp-httplib-dev
  libsqlite3-dev libpq-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql
  python3 python3-yaml curl procps iproute2 tmux
  openssl  # the TLS test makes its CA and certificates with it
  chromium firefox-esr fonts-dejavu-core
  clang libclang-rt-dev prometheus wrk  # fuzz tests (libFuzzer), promtool, API benchmarks
)
# Node.js and npm for the browser tests: Debian's, unless a node is already installed (a
# Node.js package from elsewhere brings its own npm and conflicts with Debian's npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

bash "$(dirname "$0")/../tests/web/setup.sh"
