#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust tests (unit, property,
# integration through the real binary and git), and the tests in real
# editors and a real browser. Installs what the tests need first; slow
# installs are cached under ~/.cache/vouch-ci but never required.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "system packages"
scripts/install-deps.sh

step "cargo fmt"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --all-targets -- -D warnings

step "cargo test"
cargo build --bins
cargo test --no-fail-fast 2>&1 | tee target/cargo-test.log
# Sum every test binary's result line into one closing line.
awk '/^test result:/ { p += $4; f += $6 } END { printf "rust: %d passed, %d failed\n", p, f }' target/cargo-test.log

if [ -x scripts/test-editors.sh ]; then
  step "editors (VS Code in code-server, Neovim)"
  scripts/test-editors.sh
fi

if [ -x scripts/test-report.sh ]; then
  step "HTML report in headless Chromium"
  scripts/test-report.sh
fi
