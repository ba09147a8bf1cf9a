#!/usr/bin/env bash
# Installs the browser tests' npm packages (playwright-core and axe-core, the versions
# package-lock.json pins) into tests/web/node_modules. It downloads no browser: the tests drive
# Debian's /usr/bin/chromium. Idempotent: does nothing when the pinned versions are there.
# Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
stale=$(node -e '
  const lock = require("./package-lock.json").packages;
  for (const [dir, p] of Object.entries(lock)) {
    if (!dir) continue;
    let have = "";
    try { have = require(`./${dir}/package.json`).version; } catch {}
    if (have !== p.version) console.log(`${dir}@${p.version}`);
  }')
[ -z "$stale" ] && exit 0
echo "installing into $(pwd)/node_modules:" $stale
# No browser download (playwright-core has none, but be explicit), no audit or funding calls.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
