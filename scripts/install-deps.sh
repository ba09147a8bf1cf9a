#!/usr/bin/env bash
# Installs every Debian package fastgpu needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  librestinio-dev libasio-dev libhttp-parser-dev libfmt-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libyaml-cpp-dev libcpp-httplib-dev
  libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-yaml curl procps iproute2 tmux
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
