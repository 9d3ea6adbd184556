#!/usr/bin/env bash
# End-to-end test of the Neovim plugin in headless Neovim 0.11 against the
# real `vouch lsp` (VOUCH_BIN, default target/debug/vouch): see nvim-e2e.lua.
# NVIM defaults to the one scripts/install-editor-deps.sh installs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${VOUCH_CI_CACHE:-$HOME/.cache/vouch-ci}"
NVIM="${NVIM:-$CACHE/neovim-0.11.4/bin/nvim}"
VOUCH_BIN="${VOUCH_BIN:-target/debug/vouch}"
[[ "$VOUCH_BIN" = /* ]] || VOUCH_BIN="$ROOT/$VOUCH_BIN"
ARTIFACTS="$ROOT/target/editor-artifacts"

for f in "$NVIM" "$VOUCH_BIN"; do
  [[ -x "$f" ]] || { echo "[nvim-e2e] missing $f (run scripts/install-editor-deps.sh, cargo build)" >&2; exit 2; }
done
mkdir -p "$ARTIFACTS"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/vouch-nvim-e2e-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for d in config data state cache; do mkdir -p "$tmp/xdg/$d"; done

repo="$tmp/repo"
mkdir -p "$repo"
git -C "$repo" init -q -b main
git -C "$repo" config user.email dev@example.com
git -C "$repo" config user.name Dev
printf 'def greet(name):\n    return "hello " + name\n\n\n' >"$repo/app.py"
git -C "$repo" add .
git -C "$repo" commit -q -m initial
git init -q --bare "$tmp/remote.git"
git -C "$repo" remote add origin "$tmp/remote.git"
git -C "$repo" push -q origin main

"$NVIM" --version | head -1
status=0
XDG_CONFIG_HOME="$tmp/xdg/config" XDG_DATA_HOME="$tmp/xdg/data" XDG_STATE_HOME="$tmp/xdg/state" \
  XDG_CACHE_HOME="$tmp/xdg/cache" VOUCH_E2E_REPO="$repo" VOUCH_E2E_PLUGIN="$ROOT/editors/nvim" \
  VOUCH_BIN="$VOUCH_BIN" VOUCH_E2E_REMOTE="$tmp/remote.git" VOUCH_E2E_LOG="$ARTIFACTS/nvim-e2e.log" \
  timeout 180 "$NVIM" --headless -n -u NONE -i NONE -c "luafile $HERE/nvim-e2e.lua" || status=$?
cp "$tmp/xdg/state/nvim/lsp.log" "$ARTIFACTS/nvim-lsp.log" 2>/dev/null || true
if [[ $status -ne 0 ]]; then
  echo "[nvim-e2e] failed (exit $status); see $ARTIFACTS/nvim-e2e.log and nvim-lsp.log" >&2
fi
exit $status
