#!/usr/bin/env bash
# Installs playwright-core (the version package-lock.json pins) into tests/web/node_modules for
# the browser tests. It downloads no browser: the tests drive Debian's /usr/bin/chromium.
# Idempotent: does nothing when the pinned version is already there. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -p 'require("./package-lock.json").packages["node_modules/playwright-core"].version')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch { "" }')
[ "$have" = "$want" ] && exit 0
echo "installing playwright-core $want into $(pwd)/node_modules"
# No browser download (playwright-core has none, but be explicit), no audit or funding calls.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
