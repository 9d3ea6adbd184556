#!/usr/bin/env bash
# The work of vouch's GitHub Action (action.yml at the repository root):
# verify a pull request with `vouch verify BASE..HEAD` and leave its results
# where GitHub shows them. Run by the action's first step; it can be run
# locally with the same environment (tests/pull_request.rs does).
#
# Reads (action.yml sets them from its inputs and the event):
#   INPUT_BASE, INPUT_HEAD   BASE and HEAD (default: the tip of the pull
#                            request's base branch, fetched now, and its
#                            head commit, PR_HEAD_SHA)
#   INPUT_REMOTE             the remote to fetch from (default origin)
#   PR_HEAD_REPO_URL         the pull request's repository (a fork's notes are read there)
#   INPUT_VOUCH              the vouch program (default: vouch on PATH, else
#                            built from the action's own source)
#   PR_BASE_REF, PR_BASE_SHA, PR_HEAD_SHA, PR_NUMBER   from the event: a
#                            pull request's, or a merge group's (a merge
#                            queue: its base_ref is refs/heads/BRANCH, its
#                            head the commit the queue would land; no number)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH, RUNNER_TEMP
# Writes:
#   annotations (workflow commands) on standard output, the report as
#   Markdown appended to $GITHUB_STEP_SUMMARY, and outputs: result
#   (pass, fail or error), exit-code, sarif, summary, report, sarif-ref and
#   sarif-sha. It exits 0 whatever vouch found, so that the SARIF upload
#   runs; the action's last step fails the job on exit-code.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this from action.yml}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set: run this from action.yml}"

output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
fail() {
  # Values are the action's own, but escape them as the runner reads them.
  local message=${1//'%'/'%25'}
  message=${message//$'\r'/'%0D'}
  message=${message//$'\n'/'%0A'}
  echo "::error title=vouch::${message}"
  printf '## vouch verify — ERROR\n\n%s\n' "$1" >>"$GITHUB_STEP_SUMMARY"
  output result error
  output exit-code 2
  exit 0
}

remote=${INPUT_REMOTE:-origin}
work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vouch-action"
mkdir -p "$work"

# The program. Never one from the pull request's tree: vouch on PATH (set
# up by the workflow), the one named, or the action's own source, which is
# the version the workflow pinned in `uses:`.
vouch=${INPUT_VOUCH:-}
if [ -z "$vouch" ]; then
  if command -v vouch >/dev/null 2>&1; then
    vouch=vouch
  elif [ -n "${GITHUB_ACTION_PATH:-}" ] && [ -f "$GITHUB_ACTION_PATH/Cargo.toml" ]; then
    echo "::group::Build vouch from the action's source"
    cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$work/install" ||
      fail "cannot build vouch from the action's source"
    echo "::endgroup::"
    vouch="$work/install/bin/vouch"
  else
    fail "vouch is not on PATH; install it first (cargo install --locked vouch-cli) or set the input vouch"
  fi
fi
"$vouch" --version || fail "cannot run $vouch"

# History: blame, lineage and the repository id need all of it.
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --no-tags --quiet --unshallow "$remote" || fail "cannot fetch the full history from $remote"
fi

# BASE: the branch the pull request merges into, as it is now. The event's
# base commit is only where the branch stood when the event was made (a
# re-run replays it): a policy or a reviewer list changed on the base
# branch since then must count, as it will for what lands.
base=${INPUT_BASE:-}
base_ref=${PR_BASE_REF:-${GITHUB_BASE_REF:-}}
base_ref=${base_ref#refs/heads/}
if [ -n "$base_ref" ]; then
  git check-ref-format --branch "$base_ref" >/dev/null 2>&1 || fail "the base branch name is not a branch name"
  git fetch --no-tags --quiet "$remote" "+refs/heads/$base_ref:refs/remotes/$remote/$base_ref" ||
    fail "cannot fetch the base branch from $remote"
  if [ -z "$base" ]; then
    base=$(git rev-parse --verify --quiet "refs/remotes/$remote/$base_ref^{commit}") ||
      fail "the base branch $base_ref is not a commit here"
    if [ -n "${PR_BASE_SHA:-}" ] && [ "$base" != "$PR_BASE_SHA" ]; then
      if [ -n "${PR_HEAD_SHA:-}" ] && git merge-base --is-ancestor "$PR_HEAD_SHA" "$base" 2>/dev/null; then
        # Merged: the branch as it is now holds the head, and a range from
        # it holds nothing. Judge the range the event gave, as before the merge.
        echo "::notice title=vouch::the pull request is merged into $base_ref: verified against the base the event gave (${PR_BASE_SHA:0:12})"
        base=$PR_BASE_SHA
      else
        echo "::notice title=vouch::$base_ref moved since the event (${PR_BASE_SHA:0:12} then, ${base:0:12} now): verified against it as it is now"
      fi
    fi
  fi
fi
base=${base:-${PR_BASE_SHA:-}}
[ -n "$base" ] || fail "no BASE: run on a pull request, or set the input base"

# HEAD: the pull request's head commit (not the merge commit GitHub makes:
# verify judges what the branch holds).
head=${INPUT_HEAD:-${PR_HEAD_SHA:-HEAD}}
if ! git cat-file -e "$head^{commit}" 2>/dev/null && [ -n "${PR_NUMBER:-}" ]; then
  git fetch --no-tags --quiet "$remote" "+refs/pull/$PR_NUMBER/head:refs/remotes/$remote/pull/$PR_NUMBER" ||
    fail "cannot fetch the pull request's head from $remote"
fi
head_sha=$(git rev-parse --verify --quiet "$head^{commit}") || fail "HEAD $head is not a commit here"
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || fail "BASE $base is not a commit here"

# vouch's notes and records: vouch knows where they live (sync never
# pushes with --no-push, and merges as a union: nothing local is lost).
echo "::group::Fetch vouch's notes and records"
"$vouch" sync --no-push "$remote" || fail "cannot fetch vouch's notes and records from $remote"
# A pull request from a fork: its author's notes went where they push, the
# fork. Its notes are merged in as a union (notes are the author's word in
# any case); its records are not: approvals come from the base repository.
head_repo=${PR_HEAD_REPO_URL:-}
if [ -n "$head_repo" ] && [ "$head_repo" != "$(git remote get-url "$remote" 2>/dev/null || true)" ]; then
  if git fetch --no-tags --quiet "$head_repo" "+refs/notes/vouch:refs/vouch-fork/notes/vouch" 2>/dev/null; then
    git -c user.name=vouch -c user.email=vouch@localhost notes --ref=vouch merge --quiet -s cat_sort_uniq \
      refs/vouch-fork/notes/vouch || fail "cannot merge the notes of the pull request's repository"
  else
    echo "the pull request's repository has no vouch notes to fetch"
  fi
fi
echo "::endgroup::"

# Commits the forge made carry no note (a stacked pull request squashed or
# rebased into this one's branch, "Update branch" by rebase): they get the
# notes of the commits they came from, any branch's, deleted or not, as
# `vouch notes rebuild` gives them. Local notes only: nothing is pushed.
echo "::group::Note commits the forge made"
"$vouch" notes rebuild "$base..$head_sha" --all-notes ||
  fail "cannot give notes to the commits of $base..$head_sha that have none"
echo "::endgroup::"

sarif="$work/vouch.sarif"
summary="$work/summary.md"
report="$work/report.json"
rm -f "$sarif" "$summary" "$report"
set +e
"$vouch" verify "$base..$head_sha" --format github \
  --report "sarif=$sarif" --report "markdown=$summary" --report "json=$report"
code=$?
set -e

output exit-code "$code"
# Code scanning files results of a pull_request_target run under the base
# branch unless told the pull request's ref and commit (both or neither).
if [ -n "${PR_NUMBER:-}" ]; then
  output sarif-ref "refs/pull/$PR_NUMBER/head"
  output sarif-sha "$head_sha"
fi
case $code in
  0) output result pass ;;
  1) output result fail ;;
  *)
    fail "vouch verify could not decide (exit $code): it fails closed on what it cannot read or judge (a note, a record, the policy, the allowed signers, a range with no commit); the log above says which"
    ;;
esac
cat "$summary" >>"$GITHUB_STEP_SUMMARY"
output summary "$summary"
output sarif "$sarif"
output report "$report"
