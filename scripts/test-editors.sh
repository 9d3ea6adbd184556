#!/usr/bin/env bash
# Runs every editor test: the VS Code extension's lint, unit tests and
# packaging; the Neovim plugin's unit tests and headless e2e; the VS Code e2e
# in code-server + headless Chromium. The e2e tests drive the real server,
# VOUCH_BIN (default target/debug/vouch, built if missing). Installs what
# they need first (scripts/install-editor-deps.sh, cached; skip with
# VOUCH_EDITOR_SKIP_INSTALL=1). Runs every step, then exits non-zero if any
# failed. Artifacts (screenshots, logs): target/editor-artifacts/.
#
# To check the clients alone against a stand-in server:
#   VOUCH_BIN=tests/editors/fake-vouch-lsp.mjs scripts/test-editors.sh
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${VOUCH_CI_CACHE:-$HOME/.cache/vouch-ci}"

if [[ "${VOUCH_EDITOR_SKIP_INSTALL:-0}" != 1 ]]; then
  bash scripts/install-editor-deps.sh || { echo "test-editors: installing the editor dependencies failed" >&2; exit 1; }
fi
# shellcheck source=/dev/null
source "$CACHE/editor-env.sh"

export VOUCH_BIN="${VOUCH_BIN:-target/debug/vouch}"
[[ "$VOUCH_BIN" = /* ]] || VOUCH_BIN="$ROOT/$VOUCH_BIN"
if [[ ! -x "$VOUCH_BIN" && "$VOUCH_BIN" == "$ROOT/target/debug/vouch" ]]; then
  echo "test-editors: building $VOUCH_BIN" >&2
  cargo build --bin vouch || exit 1
fi

passed=0
failed=0
failures=()
step() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

vscode() { (cd editors/vscode && npm run --silent "$@"); }
nvim_unit() {
  VOUCH_E2E_PLUGIN="$ROOT/editors/nvim" timeout 60 "$NVIM" --headless -n -u NONE -i NONE \
    -c "luafile $ROOT/tests/editors/nvim-unit.lua"
}

step "vscode: lint" vscode lint
step "vscode: unit tests" vscode test
step "vscode: manifest" vscode check-manifest
step "vscode: package" vscode package
step "vscode: package linux-x64 with the server" vscode package:target -- --target linux-x64 --binary "$VOUCH_BIN" --out vouch-linux-x64.vsix
step "nvim: unit tests" nvim_unit
step "nvim: e2e" bash tests/editors/nvim-e2e.sh
step "vscode: e2e" node tests/editors/vscode-e2e.mjs

echo
if ((failed > 0)); then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "test-editors: $passed passed, $failed failed"
((failed == 0))
