#!/usr/bin/env bash
# The report's browser test: builds vouch, makes a small repository with AI
# notes, requests and approvals (tests/report/make-repo.mjs), writes
# `vouch report --html` from it with the real binary, and opens the page in
# Debian's headless Chromium through playwright-core
# (tests/report/check-report.mjs). Exits non-zero on any failure.
#
# Installs what it needs, idempotently: Debian's chromium (apt-get, as root
# or through sudo) when /usr/bin/chromium is missing, and playwright-core
# from tests/report/package-lock.json under $VOUCH_CI_CACHE (default
# ~/.cache/vouch-ci), keyed by the lock file's hash. Playwright never
# downloads a browser here.
#
# Usage: scripts/test-report.sh [--keep DIR]
#   VOUCH=path/to/vouch   use this binary instead of building one
#   --keep DIR            leave the repository, report and a screenshot in DIR
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${VOUCH_CI_CACHE:-$HOME/.cache/vouch-ci}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

log() { printf '[test-report] %s\n' "$*" >&2; }

keep=""
if [[ "${1:-}" == "--keep" ]]; then
  keep="${2:?--keep needs a directory}"
fi

# --- Chromium and Node ------------------------------------------------------
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  log "apt-get install $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
[[ -x "$CHROMIUM" ]] || { apt_install chromium; CHROMIUM=/usr/bin/chromium; }
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v git >/dev/null || apt_install git

# --- playwright-core, cached by the lock file --------------------------------
lock="$ROOT/tests/report/package-lock.json"
key="$(sha256sum "$lock" | cut -c1-12)"
PW_DIR="$CACHE/report-check-$key"
if [[ ! -f "$PW_DIR/.installed" ]]; then
  log "npm ci playwright-core into $PW_DIR"
  rm -rf "$PW_DIR"
  mkdir -p "$PW_DIR"
  cp "$ROOT/tests/report/package.json" "$lock" "$PW_DIR/"
  (cd "$PW_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  touch "$PW_DIR/.installed"
fi
export PLAYWRIGHT_CORE_DIR="$PW_DIR/node_modules/playwright-core"
export CHROMIUM

# --- vouch -------------------------------------------------------------------
if [[ -z "${VOUCH:-}" ]]; then
  log "cargo build --bin vouch"
  (cd "$ROOT" && cargo build --quiet --bin vouch)
  VOUCH="$ROOT/target/debug/vouch"
fi

# --- the report --------------------------------------------------------------
if [[ -n "$keep" ]]; then
  work="$keep"
  rm -rf "$work"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
node "$ROOT/tests/report/make-repo.mjs" "$work/repo" >&2
(cd "$work/repo" && GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "$VOUCH" report --html -o "$work/report.html")
shot=()
[[ -n "$keep" ]] && shot=(--screenshot "$work/report.png")
# The repository's queue, AI share and risk mix give well over ten bars.
node "$ROOT/tests/report/check-report.mjs" "$work/report.html" --min-bars 10 "${shot[@]}"
