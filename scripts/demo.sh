#!/usr/bin/env bash
# Build vouch and run it on an example repository: an AI agent edits a file,
# the pre-commit gate refuses the commit, the author requests sign-off, a
# reviewer approves, the commit goes through with its provenance note.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
scripts_dir="$ROOT/scripts"
"$scripts_dir/install-deps.sh"
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin vouch
VOUCH="$ROOT/target/release/vouch"
export PATH="$(dirname "$VOUCH"):$PATH"

demo=$(mktemp -d "${TMPDIR:-/tmp}/vouch-demo.XXXXXX")
cd "$demo"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

git init -q -b main
git config user.name "Dana Developer"
git config user.email dana@example.com
cat > pricing.py <<'PY'
def base_price(item):
    return item.price
PY
run vouch init --agent claude-code
cat > .vouch.toml <<'TOML'
reviewers = ["sam@example.com"]
require_rationale = "risky"
TOML
git add -A && git commit -q -m "Start" --no-verify
# Name the repository by its root commit, so every command and CI agree on
# its id (vouch init does this in a repository that has a commit).
printf 'repository = "%s"\n' "$(git rev-parse HEAD)" >> .vouch.toml
git commit -q -am "Name the repository" --no-verify

# Claude Code adds a function; its PostToolUse hook reports the edit.
cat >> pricing.py <<'PY'


def discounted(item, percent):
    """Apply a percentage discount, never below zero."""
    price = base_price(item) * (100 - percent) / 100
    return max(price, 0)
PY
printf '{"hook_event_name":"PostToolUse","session_id":"demo","tool_name":"Edit","tool_input":{"file_path":"%s","old_string":"    return item.price\\n","new_string":"    return item.price\\n\\n\\ndef discounted(item, percent):\\n    \\"\\"\\"Apply a percentage discount, never below zero.\\"\\"\\"\\n    price = base_price(item) * (100 - percent) / 100\\n    return max(price, 0)\\n"}}' "$demo/pricing.py" > payload.json
run vouch hook claude-code < payload.json
rm payload.json
run vouch status

say git commit -am "Add discounts"
if git commit -q -am "Add discounts"; then echo "unexpected: the gate let it through" >&2; exit 1; fi

say 'vouch request pricing.py -m "Discounts for the spring sale; clamps at zero"'
json=$(vouch request pricing.py -m "Discounts for the spring sale; clamps at zero" --format json)
echo "$json"
id=$(printf '%s' "$json" | sed -n 's/.*"request": *"\([0-9a-f]*\)".*/\1/p' | head -1)

say "git config user.email sam@example.com   # the reviewer"
git config user.email sam@example.com
run vouch approve "$id" --yes --comment "Checked the clamp"
git config user.email dana@example.com

run git commit -q -am "Add discounts"
run git notes --ref=vouch show HEAD
run vouch blame pricing.py
echo
echo "demo repository: $demo"
