//! Everyday git workflows keep the truth about AI text (issue 13): local
//! squash merges, cherry-picks, resets and re-commits, commits whose
//! trailer names an AI tool, and agent edits that another hook reformats.
//! Each runs through the real `vouch` binary, the real git binary and the
//! hooks `vouch init` installs; CI's answer is asked of `vouch verify`.
//!
//! The rule these tests pin: vouch may say "unknown"; it says "no AI" (the
//! `no-ai` attestation) only when it knows.

mod support {
    pub mod repo;
    pub mod run;
    pub mod vouch_repo;
}

use support::run::Run;
use support::vouch_repo::{VOUCH, VouchRepo, deref_to_inner};

/// The gate warns (so unapproved AI commits can be made through the
/// hooks, as a team in `warn` mode makes them); alice reviews.
const WARN: &str = "gate = \"warn\"\nreviewers = [\"alice@example.com\"]\n";
/// The gate blocks; alice reviews.
const BLOCK: &str = "reviewers = [\"alice@example.com\"]\n";

const CART_BEFORE: &str = "def total(items):\n    return sum(i.price for i in items)\n";
const CART_AFTER: &str = "def total(items, coupon=None):\n    subtotal = sum(i.price * i.qty for i in items)\n    if coupon:\n        subtotal -= coupon.discount(subtotal)\n    return max(subtotal, 0)\n";
const COUPONS: &str = "import hashlib\n\n\nclass Coupon:\n    def __init__(self, code, percent):\n        self.code = code\n        self.percent = percent\n\n    def discount(self, amount):\n        return amount * self.percent / 100\n";

/// A repository set up with `vouch init`, driven through the real hooks
/// (see [`VouchRepo`]), with what these tests ask of it besides.
struct Repo {
    inner: VouchRepo,
}

deref_to_inner!(Repo);

impl Repo {
    /// `vouch init` with `policy`, and a first commit of it and `files`.
    fn init(policy: &str, files: &[(&str, &str)]) -> Repo {
        let mut all = vec![(".vouch.toml", policy)];
        all.extend_from_slice(files);
        Repo { inner: VouchRepo::init_with(&all, &[]) }
    }

    /// git, through the hooks.
    fn git(&self, args: &[&str]) -> Run {
        self.git_run(args)
    }

    /// git with no hooks at all: what a clone without vouch does.
    fn bare_git(&self, args: &[&str]) -> String {
        let mut all = vec!["-c", "core.hooksPath=/dev/null"];
        all.extend_from_slice(args);
        self.ok(&all)
    }

    fn rev(&self, rev: &str) -> String {
        self.ok(&["rev-parse", rev]).trim().to_string()
    }

    /// Claude Code's PostToolUse hook for an edit that replaced `old` by
    /// `new` in `rel` (whose content is now `content`).
    fn agent_edit(&self, rel: &str, content: &str, old: &str, new: &str) {
        self.write(rel, content);
        let payload = serde_json::json!({
            "session_id": "s-1",
            "hook_event_name": "PostToolUse",
            "tool_name": "Edit",
            "tool_use_id": format!("toolu_{}", rel.len()),
            "tool_input": {"file_path": self.root().join(rel), "old_string": old, "new_string": new},
        });
        let run = self.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
    }

    /// Claude Code's PostToolUse hook for a Write of a new file.
    fn agent_write(&self, rel: &str, content: &str) {
        self.write(rel, content);
        let payload = serde_json::json!({
            "session_id": "s-1",
            "hook_event_name": "PostToolUse",
            "tool_name": "Write",
            "tool_use_id": "toolu_w",
            "tool_input": {"file_path": self.root().join(rel), "content": content},
        });
        let run = self.vouch_stdin(&["hook", "claude-code"], payload.to_string().as_bytes());
        assert_eq!(run.code, 0, "{run:?}");
    }
}

/// The file records of a note (its `no-ai` line left out).
fn files(note: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    note.iter().filter(|r| r.get("path").is_some()).collect()
}

fn says_no_ai(note: &[serde_json::Value]) -> bool {
    note.iter().any(|r| r["attest"] == "no-ai")
}

/// The AI line ranges a note gives `path`, merged across its records.
fn ai_lines(note: &[serde_json::Value], path: &str) -> Vec<[u64; 2]> {
    let mut lines: Vec<u64> = Vec::new();
    for r in files(note).into_iter().filter(|r| r["path"] == path) {
        for range in r["ai"].as_array().unwrap() {
            let (a, b) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
            lines.extend(a..=b);
        }
    }
    lines.sort_unstable();
    lines.dedup();
    let mut out: Vec<[u64; 2]> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some(last) if last[1] + 1 == l => last[1] = l,
            _ => out.push([l, l]),
        }
    }
    out
}

/// The rules of verify's failures.
fn rules(report: &serde_json::Value) -> Vec<String> {
    report["failures"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

/// A branch `feature` with one unapproved AI commit (coupons.py written by
/// the agent) and one human commit, made through the hooks; back on main,
/// which moved on meanwhile.
fn feature_branch(repo: &Repo) -> String {
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_write("src/coupons.py", COUPONS);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons"]);
    let ai = repo.rev("HEAD");
    assert_eq!(ai_lines(&repo.note("HEAD"), "src/coupons.py"), [[1, 10]]);
    repo.write("README", "readme\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "readme"]);
    assert!(says_no_ai(&repo.note("HEAD")));
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("NOTES", "main moved on\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "notes"]);
    ai
}

/// What every derived note must say of coupons.py: its AI lines, with the
/// agent's evidence, and no blanket `no-ai`.
fn assert_carries_coupons(note: &[serde_json::Value]) {
    assert_eq!(ai_lines(note, "src/coupons.py"), [[1, 10]], "{note:?}");
    let record = files(note).into_iter().find(|r| r["path"] == "src/coupons.py").unwrap();
    assert_eq!(record["origin"]["tool"], "claude-code", "{record}");
    assert_eq!(record["evidence"], "agent-hook", "{record}");
}

fn assert_unapproved(repo: &Repo, range: &str, path: &str) {
    let (code, report) = repo.verify(range);
    assert_eq!(code, 1, "{report:#}");
    let failures = report["failures"].as_array().unwrap();
    assert!(
        failures.iter().any(|f| f["rule"] == "unapproved-ai" && f["path"] == path),
        "expected unapproved AI in {path}: {report:#}"
    );
    assert!(!rules(&report).contains(&"note-mismatch".to_string()), "{report:#}");
}

// ---------------------------------------------------------------------------
// 13.1: local squash merges and cherry-picks

#[test]
fn a_local_squash_merge_carries_the_branch_ai_lines() {
    for no_verify in [false, true] {
        let repo = Repo::init(WARN, &[("README", "")]);
        feature_branch(&repo);
        repo.ok(&["merge", "-q", "--squash", "feature"]);
        let mut args = vec!["commit", "-q", "-m", "Coupons (#1)"];
        if no_verify {
            args.push("--no-verify");
        }
        repo.ok(&args);
        let note = repo.note("HEAD");
        assert_carries_coupons(&note);
        assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");
    }
}

#[test]
fn cherry_picks_carry_the_source_ai_lines() {
    let variants: [&[&str]; 3] = [&["cherry-pick"], &["cherry-pick", "-x"], &["cherry-pick", "--no-commit"]];
    for variant in variants {
        let repo = Repo::init(WARN, &[("README", "")]);
        let ai = feature_branch(&repo);
        let mut args = variant.to_vec();
        args.push(&ai);
        repo.ok(&args);
        if variant.contains(&"--no-commit") {
            repo.ok(&["commit", "-q", "-m", "coupons, picked"]);
        }
        let note = repo.note("HEAD");
        assert_carries_coupons(&note);
        assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");
    }
}

#[test]
fn a_cherry_pick_resolved_by_hand_carries_the_source_ai_lines() {
    let repo = Repo::init(WARN, &[("src/cart.py", CART_BEFORE)]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_edit("src/cart.py", CART_AFTER, CART_BEFORE, CART_AFTER);
    repo.ok(&["commit", "-q", "-am", "coupons"]);
    let ai = repo.rev("HEAD");
    repo.ok(&["checkout", "-q", "main"]);
    repo.write("src/cart.py", &format!("# cart\n{CART_BEFORE}"));
    repo.ok(&["commit", "-q", "-am", "header"]);
    // A conflict: the person takes the agent's function under the header.
    let run = repo.git(&["cherry-pick", &ai]);
    assert_ne!(run.code, 0, "{run:?}");
    repo.write("src/cart.py", &format!("# cart\n{CART_AFTER}"));
    repo.ok(&["add", "src/cart.py"]);
    repo.ok(&["commit", "-q", "--no-edit"]);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/cart.py"), [[2, 6]], "{note:?}");
    assert!(!says_no_ai(&note), "{note:?}");
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/cart.py");
}

#[test]
fn a_cherry_pick_of_a_git_ai_commit_carries_its_lines() {
    let repo = Repo::init(WARN, &[("README", "")]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    // Made where vouch is not set up: only git-ai's note says who wrote it.
    repo.write("src/coupons.py", COUPONS);
    repo.bare_git(&["add", "-A"]);
    repo.bare_git(&["commit", "-q", "-m", "coupons"]);
    let source = repo.rev("HEAD");
    let git_ai = "src/coupons.py\n  s_abc::t_1 1-10\n---\n{\"schema_version\":\"authorship/3.0.0\",\"sessions\":{\"s_abc\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"x\",\"model\":\"gpt-5\"}}}}\n";
    repo.bare_git(&["notes", "--ref=ai", "add", "-m", git_ai, &source]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["cherry-pick", &source]);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/coupons.py"), [[1, 10]], "{note:?}");
    let record = files(&note)[0];
    assert_eq!((record["origin"]["tool"].as_str(), record["evidence"].as_str()), (Some("cursor"), Some("history")));
    assert!(!says_no_ai(&note), "{note:?}");
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");
}

/// A teammate's commit lands on main, without this worktree's HEAD
/// going there (`git fetch origin main:main`).
fn teammate_moves_main(repo: &Repo) {
    let tree = repo.rev("main^{tree}");
    let teammate = repo.ok(&["commit-tree", &tree, "-p", "main", "-m", "a teammate's commit"]);
    repo.ok(&["update-ref", "refs/heads/main", teammate.trim()]);
}

/// Splitting an AI branch by hand: main moved on meanwhile (`git fetch
/// origin main:main`), and on a branch from it the agent's file as the AI
/// branch has it is committed (`git checkout feature -- f`, `git restore
/// --source`, its text written out as `git show feature:f > f` does, or
/// onto a branch with no history). No source named it, and the commit was
/// noted "no AI": verify passed the agent's code on the new branch. Its AI
/// lines come with it, however it came, and the gate says so first.
#[test]
fn a_file_brought_from_an_ai_branch_carries_its_ai_lines() {
    for how in ["checkout", "restore", "show", "orphan"] {
        let repo = Repo::init(WARN, &[("README", "")]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        repo.agent_write("src/coupons.py", COUPONS);
        repo.ok(&["add", "-A"]);
        repo.ok(&["commit", "-q", "-m", "coupons"]);
        // The branch's last commit is not the one that wrote it.
        repo.write("README", "coupons\n");
        repo.ok(&["commit", "-q", "-am", "readme"]);
        teammate_moves_main(&repo);
        match how {
            // A branch with no history: git's reflog says nothing of the
            // switch to it. Everything comes over, the policy too.
            "orphan" => {
                repo.ok(&["switch", "-q", "--orphan", "part"]);
                repo.ok(&["checkout", "feature", "--", "."]);
            }
            _ => drop(repo.ok(&["switch", "-q", "-c", "part", "main"])),
        }
        match how {
            "orphan" => {}
            "restore" => drop(repo.ok(&["restore", "--source", "feature", "-SW", "src/coupons.py"])),
            "show" => {
                repo.write("src/coupons.py", &repo.ok(&["show", "feature:src/coupons.py"]));
                repo.ok(&["add", "-A"]);
            }
            _ => drop(repo.ok(&["checkout", "feature", "--", "src/coupons.py"])),
        }
        let run = repo.git(&["commit", "-q", "-m", "coupons, split off"]);
        assert_eq!(run.code, 0, "{how}: {run:?}");
        assert!(run.all().contains("src/coupons.py:4 class `Coupon` — needs sign-off"), "{how}: {run:?}");
        assert_carries_coupons(&repo.note("HEAD"));
        if how != "orphan" {
            assert_unapproved(&repo, "main..part", "src/coupons.py");
        }
    }
}

/// A cloud agent's branch, fetched and never checked out here
/// (`origin/feature`, its commit naming Claude as co-author; or a pull
/// request fetched by number, which only FETCH_HEAD names): a person takes
/// its file whole (`git checkout origin/feature -- f`, `git restore
/// --source`, `git show ... > f`). No worktree's HEAD was ever on that
/// branch, so it was no source, and the commit was noted "no AI": verify
/// passed the agent's code. A file committed byte-identical to its version
/// on a branch or remote-tracking branch that HEAD does not reach takes
/// that branch's AI lines.
#[test]
fn a_file_taken_whole_from_a_fetched_ai_branch_carries_its_ai_lines() {
    for how in ["checkout", "restore", "show", "pull request"] {
        let repo = Repo::init(WARN, &[("README", "")]);
        // The agent's commit, made elsewhere and fetched.
        let message = "coupons\n\nCo-authored-by: Claude <noreply@anthropic.com>\n";
        let commit = fetched_commit(&repo, "src/coupons.py", COUPONS, message);
        if how == "pull request" {
            // `git fetch origin pull/7/head`: only FETCH_HEAD names it.
            std::fs::write(
                repo.root().join(".git/FETCH_HEAD"),
                format!("{commit}\t\tbranch 'pull/7/head' of https://example.com/shop\n"),
            )
            .unwrap();
        } else {
            repo.ok(&["update-ref", "refs/remotes/origin/feature", &commit]);
        }
        teammate_moves_main(&repo);
        repo.ok(&["switch", "-q", "-c", "part", "main"]);
        match how {
            "pull request" => drop(repo.ok(&["checkout", "FETCH_HEAD", "--", "src/coupons.py"])),
            "restore" => drop(repo.ok(&["restore", "--source", "origin/feature", "-SW", "src/coupons.py"])),
            "show" => {
                repo.write("src/coupons.py", &repo.ok(&["show", "origin/feature:src/coupons.py"]));
                repo.ok(&["add", "-A"]);
            }
            _ => drop(repo.ok(&["checkout", "origin/feature", "--", "src/coupons.py"])),
        }
        let run = repo.git(&["commit", "-q", "-m", "coupons, taken"]);
        assert_eq!(run.code, 0, "{how}: {run:?}");
        assert!(run.all().contains("src/coupons.py:4 class `Coupon` — needs sign-off"), "{how}: {run:?}");
        assert_eq!(ai_lines(&repo.note("HEAD"), "src/coupons.py"), [[1, 10]], "{how}");
        assert_unapproved(&repo, "main..part", "src/coupons.py");
    }
}

/// A commit made elsewhere and fetched, never checked out here: `path`
/// at `text` on top of main, its message `message` (built with plumbing,
/// the index and worktree left as they were); its id.
fn fetched_commit(repo: &Repo, path: &str, text: &str, message: &str) -> String {
    let index = repo.root().join(".git/fetched-index");
    let with_index = |args: &[&str]| {
        let out = repo.command("git", args).env("GIT_INDEX_FILE", &index).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    with_index(&["read-tree", "main"]);
    let file = repo.root().join(".git/fetched-file");
    std::fs::write(&file, text).unwrap();
    let blob = repo.ok(&["hash-object", "-w", file.to_str().unwrap()]);
    with_index(&["update-index", "--add", "--cacheinfo", &format!("100644,{},{path}", blob.trim())]);
    let tree = with_index(&["write-tree"]);
    repo.ok(&["commit-tree", tree.trim(), "-p", "main", "-m", message]).trim().to_string()
}

/// Red team, round three: a person's own small file that a fetched
/// branch happens to hold as is (the same release bump in a one-line
/// version file, an AI's on its branch) became AI; and with
/// `require_attestation`, a fetched branch's commit with no note at all (a
/// teammate's, its notes not fetched) left the person's own commit of the
/// same one-line fix unattested. A small file is not taken for a copy of a
/// fetched branch's, and a fetched commit only ever adds AI text it claims,
/// never "unknown".
#[test]
fn a_persons_change_a_fetched_branch_happens_to_hold_stays_theirs() {
    let auth = |message: &str| {
        format!(
            "def can_delete(user, doc):\n    if not user.is_admin:\n        raise PermissionError(\"{message}\")\n    return True\n"
        )
    };
    let start = auth("not admin");
    let repo =
        Repo::init(&format!("{WARN}require_attestation = true\n"), &[("VERSION", "1.2.0\n"), ("src/auth.py", &start)]);
    let bump = fetched_commit(&repo, "VERSION", "1.3.0\n", "bump\n\nCo-authored-by: Claude <noreply@anthropic.com>\n");
    repo.ok(&["update-ref", "refs/remotes/origin/bump", &bump]);
    let fixed = auth("admin only");
    let fix = fetched_commit(&repo, "src/auth.py", &fixed, "the same fix on the release line");
    repo.ok(&["update-ref", "refs/remotes/origin/release-1.x", &fix]);
    repo.write("VERSION", "1.3.0\n");
    repo.write("src/auth.py", &fixed);
    repo.ok(&["commit", "-q", "-am", "release 1.3.0, and the fix"]);
    let note = repo.note("HEAD");
    assert!(note.iter().any(|r| r["attest"] == "no-ai"), "{note:?}");
    // The commit is main's own: main..HEAD would hold none.
    let (code, report) = repo.verify("HEAD~1..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

/// Red team, against this session's first build, which carried only
/// blocks of lines the parent lacked, one source commit at a time, and
/// read only the versions the branch's tip held: a file brought whole
/// from any commit of the branch keeps every AI line of it, however small
/// (one line made weaker, lines two AI commits wrote side by side), also
/// where the branch's tip has since rewritten it.
#[test]
fn a_small_ai_change_brought_whole_from_any_commit_of_a_branch_keeps_its_ai_lines() {
    let weaker = CART_BEFORE.replace("for i in items", "for i in items if i.price > 0");
    let discount = format!("{weaker}DISCOUNT = 0.5\n");
    let twice = format!("{discount}MAX_DISCOUNT = 1.0\n");
    for (how, from, ai) in [("the tip rewrote it", "feature~1", vec![[2, 2]]), ("two commits", "feature", vec![[2, 4]])]
    {
        let repo = Repo::init(WARN, &[("src/cart.py", CART_BEFORE)]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        repo.agent_edit("src/cart.py", &weaker, CART_BEFORE, &weaker);
        repo.ok(&["commit", "-q", "-am", "weaker"]);
        if how == "two commits" {
            repo.agent_edit("src/cart.py", &discount, &weaker, &discount);
            repo.ok(&["commit", "-q", "-am", "discount"]);
            repo.agent_edit("src/cart.py", &twice, &discount, &twice);
            repo.ok(&["commit", "-q", "-am", "max discount"]);
        } else {
            repo.write("src/cart.py", CART_BEFORE);
            repo.ok(&["commit", "-q", "-am", "back to the safe total"]);
        }
        teammate_moves_main(&repo);
        repo.ok(&["switch", "-q", "-c", "part", "main"]);
        repo.ok(&["checkout", from, "--", "src/cart.py"]);
        repo.ok(&["commit", "-q", "-m", "bring it over"]);
        let note = repo.note("HEAD");
        assert_eq!(ai_lines(&note, "src/cart.py"), ai, "{how}: {note:?}");
        assert_unapproved(&repo, "main..part", "src/cart.py");
    }
}

/// Red team: a commit of a branch HEAD left that carries a git-ai note
/// vouch cannot parse stopped every later commit that touched a file the
/// branch touched, `gate = "warn"` or not; then (second pass) the commit
/// went on but its vouch note's AI lines were dropped with the rest. What
/// its vouch note says is carried; the rest is of unknown origin (no
/// `no-ai`), with a warning, and the commit goes on.
#[test]
fn an_unreadable_note_on_a_branch_left_behind_stops_no_commit() {
    let repo = Repo::init(WARN, &[("src/cart.py", CART_BEFORE)]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_edit("src/cart.py", CART_AFTER, CART_BEFORE, CART_AFTER);
    repo.ok(&["commit", "-q", "-am", "coupons"]);
    repo.ok(&["notes", "--ref=ai", "add", "-m", "this is { not a git-ai note", "HEAD"]);
    repo.ok(&["switch", "-q", "-c", "mine", "main"]);
    repo.ok(&["checkout", "feature", "--", "src/cart.py"]);
    let run = repo.git(&["commit", "-q", "-m", "coupons, by hand"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("taken as of unknown origin"), "{run:?}");
    let note = repo.note("HEAD");
    assert!(!says_no_ai(&note), "{note:?}");
    assert_eq!(ai_lines(&note, "src/cart.py"), [[1, 5]], "{note:?}");
}

/// Red team, second pass: a small AI change brought over in part, by the
/// ordinary ways of taking one commit's change (`git cherry-pick -n` and a
/// commit, which leaves git no `CHERRY_PICK_HEAD`; `git diff | git apply`
/// onto a file the person had changed; the whole file and an edit), was
/// noted "no AI": only blocks of four lines counted. A commit's AI change
/// held whole counts however small, a removal with it.
#[test]
fn a_small_ai_change_taken_by_hand_keeps_its_ai_lines() {
    let weaker = CART_BEFORE.replace("for i in items", "for i in items if i.price > 0");
    for how in ["cherry-pick -n", "apply", "checkout and edit"] {
        let repo = Repo::init(WARN, &[("src/cart.py", CART_BEFORE)]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        repo.agent_edit("src/cart.py", &weaker, CART_BEFORE, &weaker);
        repo.ok(&["commit", "-q", "-am", "weaker"]);
        teammate_moves_main(&repo);
        repo.ok(&["switch", "-q", "-c", "part", "main"]);
        repo.write("src/cart.py", &format!("# The cart.\n{CART_BEFORE}"));
        repo.ok(&["commit", "-q", "-am", "a header"]);
        match how {
            "cherry-pick -n" => drop(repo.ok(&["cherry-pick", "-n", "feature"])),
            "apply" => {
                let diff = repo.ok(&["diff", "main", "feature", "--", "src/cart.py"]);
                let mut apply = repo.command("git", &["apply", "-3"]);
                apply.stdin(std::process::Stdio::piped());
                let mut child = apply.spawn().unwrap();
                std::io::Write::write_all(child.stdin.as_mut().unwrap(), diff.as_bytes()).unwrap();
                assert!(child.wait().unwrap().success());
            }
            _ => {
                repo.ok(&["checkout", "feature", "--", "src/cart.py"]);
                let text = format!("{weaker}# Totals in cents.\n");
                repo.write("src/cart.py", &text);
                repo.ok(&["add", "src/cart.py"]);
            }
        }
        repo.ok(&["commit", "-q", "-m", "weaker, here too"]);
        let note = repo.note("HEAD");
        assert!(!says_no_ai(&note), "{how}: {note:?}");
        assert_eq!(ai_lines(&note, "src/cart.py").len(), 1, "{how}: one AI line: {note:?}");
        assert_unapproved(&repo, "HEAD~1..HEAD", "src/cart.py");
    }
}

/// Red team, second pass: an AI's removal of a check, brought over in a
/// file whose line endings an editor or `core.autocrlf` changed, was lost:
/// removals were placed by an exact line diff. They are placed whitespace
/// aside, as the lines are.
#[test]
fn an_ai_removal_brought_with_other_line_endings_needs_sign_off() {
    const GUARDED: &str =
        "def export(user, doc):\n    if not user.is_admin:\n        raise PermissionError()\n    return doc.dump()\n";
    let open = GUARDED.replace("    if not user.is_admin:\n        raise PermissionError()\n", "");
    let repo = Repo::init(WARN, &[("src/export.py", GUARDED)]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_edit("src/export.py", &open, GUARDED, &open);
    repo.ok(&["commit", "-q", "-am", "simpler export"]);
    teammate_moves_main(&repo);
    repo.ok(&["switch", "-q", "-c", "part", "main"]);
    repo.write("src/export.py", &open.replace('\n', "\r\n"));
    repo.ok(&["commit", "-q", "-am", "simpler export, here too"]);
    let note = repo.note("HEAD");
    assert!(!says_no_ai(&note), "{note:?}");
    assert!(files(&note).iter().any(|r| r["deleted_before"].as_array().is_some_and(|d| !d.is_empty())), "{note:?}");
    assert_unapproved(&repo, "main..part", "src/export.py");
}

/// Red team, third pass: an AI change whose line the file also holds
/// elsewhere (`return True` put first in one function, another function
/// ending so) was never read, brought whole or by `git cherry-pick -n`: a
/// commit was read only for text it was the first to hold. And the AI's
/// function pasted at another place of the same file than its branch had
/// it was where no line diff put it. Both are the AI's.
#[test]
fn ai_text_the_file_holds_twice_or_pasted_elsewhere_is_found() {
    const AUTH: &str = "def can_delete(user):\n    if not user.is_admin:\n        return False\n    return user.active\n\n\ndef can_read(user):\n    return True\n";
    let bypass = AUTH.replace("def can_delete(user):\n", "def can_delete(user):\n    return True\n");
    let purge = "\n\ndef purge(db):\n    for table in db.tables():\n        table.truncate(cascade=True)\n    db.vacuum(full=True)\n";
    for how in ["bypass, cherry-pick -n", "bypass, whole", "function pasted elsewhere"] {
        let repo = Repo::init(WARN, &[("src/auth.py", AUTH)]);
        repo.ok(&["checkout", "-q", "-b", "feature"]);
        let ai = if how.starts_with("bypass") { bypass.clone() } else { format!("{AUTH}{purge}") };
        repo.agent_edit("src/auth.py", &ai, AUTH, &ai);
        repo.ok(&["commit", "-q", "-am", "the agent's change"]);
        teammate_moves_main(&repo);
        repo.ok(&["switch", "-q", "-c", "part", "main"]);
        match how {
            "bypass, cherry-pick -n" => drop(repo.ok(&["cherry-pick", "-n", "feature"])),
            "bypass, whole" => drop(repo.ok(&["checkout", "feature", "--", "src/auth.py"])),
            _ => {
                repo.write("src/auth.py", &format!("import db\n{}\n\n{AUTH}", purge.trim_start()));
                repo.ok(&["add", "src/auth.py"]);
            }
        }
        repo.ok(&["commit", "-q", "-m", "brought over"]);
        let note = repo.note("HEAD");
        assert!(!says_no_ai(&note) && !files(&note).is_empty(), "{how}: {note:?}");
        assert_unapproved(&repo, "main..part", "src/auth.py");
    }
}

/// Red team, third pass: a person reverts their own commit (a debug line)
/// after leaving a branch where the agent had removed the same line: the
/// revert's removal was taken for the agent's. A revert of a commit of
/// HEAD's own history takes its text from there.
#[test]
fn a_persons_revert_of_their_own_commit_stays_theirs() {
    let repo = Repo::init(WARN, &[("src/cart.py", CART_BEFORE)]);
    let debug = format!("{CART_BEFORE}print(\"cart loaded\")\n");
    repo.write("src/cart.py", &debug);
    repo.ok(&["commit", "-q", "-am", "debug line"]);
    let own = repo.rev("HEAD");
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.agent_edit("src/cart.py", CART_BEFORE, &debug, CART_BEFORE);
    repo.ok(&["commit", "-q", "-am", "drop the debug line"]);
    teammate_moves_main(&repo);
    repo.ok(&["switch", "-q", "-c", "part", "main"]);
    repo.ok(&["revert", "--no-edit", &own]);
    let note = repo.note("HEAD");
    assert!(says_no_ai(&note) && files(&note).is_empty(), "{note:?}");
}

/// Red team, second pass: a person's own function that repeats lines of
/// the AI's function in the same file (a loop, a guard), brought alone to
/// another branch, was taken for the AI's: the branch's AI text was
/// matched by text, not by where a line diff puts it.
#[test]
fn a_persons_function_that_repeats_the_ais_lines_stays_theirs() {
    let names = "def names(rows):\n    if not rows:\n        return []\n    result = []\n    for row in rows:\n        result.append(row.name)\n    return result\n";
    let totals = "def totals(rows):\n    if not rows:\n        return []\n    result = []\n    for row in rows:\n        result.append(row.total)\n    return result\n";
    let repo = Repo::init(WARN, &[("src/report.py", "import os\n")]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/report.py", &format!("import os\n\n\n{names}"));
    repo.ok(&["commit", "-q", "-am", "names, by hand"]);
    let text = format!("import os\n\n\n{names}\n\n{totals}");
    repo.agent_edit("src/report.py", &text, names, &format!("{names}\n\n{totals}"));
    repo.ok(&["commit", "-q", "-am", "totals"]);
    repo.ok(&["switch", "-q", "-c", "part", "main"]);
    repo.write("src/report.py", &format!("import os\nimport sys\n\n\n{names}"));
    repo.ok(&["commit", "-q", "-am", "names, brought over"]);
    let note = repo.note("HEAD");
    assert!(says_no_ai(&note) && files(&note).is_empty(), "{note:?}");
}

/// Red team, second pass: every commit and every commit a rebase picks is
/// a move of HEAD, and only the last 100 were read: a branch left a
/// hundred commits ago was forgotten, and its AI file brought over was
/// noted "no AI". The last 500 of each worktree's moves are read.
#[test]
fn a_branch_left_a_hundred_commits_ago_is_still_a_source() {
    let repo = Repo::init(WARN, &[("README", "")]);
    feature_branch(&repo);
    repo.ok(&["switch", "-q", "-c", "part", "main"]);
    for i in 0..120 {
        repo.ok(&["-c", "core.hooksPath=.git/no-hooks", "commit", "-q", "--allow-empty", "-m", &format!("work {i}")]);
    }
    repo.ok(&["checkout", "feature", "--", "src/coupons.py"]);
    repo.ok(&["commit", "-q", "-m", "coupons, at last"]);
    assert_carries_coupons(&repo.note("HEAD"));
}

/// The honest side of the above: a person's own code on main that shares
/// a line with the AI branch's (an import) is theirs. Only blocks of two
/// or more lines come from a branch left behind.
#[test]
fn a_line_a_person_writes_that_an_ai_branch_also_has_stays_theirs() {
    let repo = Repo::init(WARN, &[("README", "")]);
    feature_branch(&repo);
    repo.write(
        "src/coupons.py",
        "import hashlib\n\n\ndef digest(code):\n    return hashlib.sha256(code).hexdigest()\n",
    );
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "digest"]);
    let note = repo.note("HEAD");
    assert!(says_no_ai(&note) && files(&note).is_empty(), "{note:?}");
}

#[test]
fn a_squash_of_commits_vouch_never_saw_is_not_attested() {
    let repo = Repo::init(WARN, &[("README", "")]);
    repo.ok(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/coupons.py", COUPONS);
    repo.bare_git(&["add", "-A"]);
    repo.bare_git(&["commit", "-q", "-m", "coupons, from a clone without vouch"]);
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["merge", "-q", "--squash", "feature"]);
    repo.ok(&["commit", "-q", "-m", "Coupons (#2)"]);
    let note = repo.note("HEAD");
    assert!(!says_no_ai(&note), "vouch never saw these lines written: {note:?}");
}

#[test]
fn an_ordinary_human_commit_is_still_attested() {
    let repo = Repo::init(WARN, &[("README", "")]);
    repo.write("src/human.py", "def f():\n    return 1\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "human"]);
    let note = repo.note("HEAD");
    assert!(says_no_ai(&note) && files(&note).is_empty(), "{note:?}");
    let (code, report) = repo.verify("HEAD~1..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn notes_rebuild_repairs_a_wrong_no_ai_note() {
    let no_ai = r#"{"v":1,"attest":"no-ai"}"#;
    // As an older vouch left them: a squash (git's message lists the
    // commits) and a cherry-pick -x, each attested no-ai.
    let repo = Repo::init(WARN, &[("README", "")]);
    let ai = feature_branch(&repo);
    repo.bare_git(&["merge", "-q", "--squash", "feature"]);
    repo.bare_git(&["commit", "-q", "--no-edit"]);
    let squash = repo.rev("HEAD");
    repo.bare_git(&["notes", "--ref=vouch", "add", "-m", no_ai, &squash]);
    repo.bare_git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.bare_git(&["cherry-pick", "-x", &ai]);
    let picked = repo.rev("HEAD");
    repo.bare_git(&["notes", "--ref=vouch", "add", "-m", no_ai, &picked]);
    // A person's commit, truly without AI, and one with AI records.
    repo.write("src/human.py", "def f():\n    return 1\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "human"]);
    let human = repo.rev("HEAD");

    let run = repo.vouch(&["notes", "rebuild", &format!("{squash}~1..{squash}")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_carries_coupons(&repo.note(&squash));
    assert!(!says_no_ai(&repo.note(&squash)), "{:?}", repo.note(&squash));

    let run = repo.vouch(&["notes", "rebuild", "HEAD~2..HEAD"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_carries_coupons(&repo.note(&picked));
    assert!(!says_no_ai(&repo.note(&picked)), "{:?}", repo.note(&picked));
    let note = repo.note(&human);
    assert!(says_no_ai(&note) && files(&note).is_empty(), "a true no-ai stays: {note:?}");
    // Nothing is ever downgraded: a second run changes nothing.
    let before = (repo.note(&squash), repo.note(&picked));
    let run = repo.vouch(&["notes", "rebuild", "HEAD~2..HEAD"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(before, (repo.note(&squash), repo.note(&picked)));
}

#[test]
fn notes_rebuild_repairs_a_squash_named_by_its_branch() {
    // A squash committed with its own message: only the branch tells.
    let repo = Repo::init(WARN, &[("README", "")]);
    feature_branch(&repo);
    repo.bare_git(&["merge", "-q", "--squash", "feature"]);
    repo.bare_git(&["commit", "-q", "-m", "Coupons (#1)"]);
    repo.bare_git(&["notes", "--ref=vouch", "add", "-m", r#"{"v":1,"attest":"no-ai"}"#, "HEAD"]);
    // Without being told where the commits are, a no-ai note is kept.
    let run = repo.vouch(&["notes", "rebuild", "HEAD~1..HEAD"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(says_no_ai(&repo.note("HEAD")));
    let run = repo.vouch(&["notes", "rebuild", "HEAD~1..HEAD", "--source", "feature"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_carries_coupons(&repo.note("HEAD"));
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");
}

// ---------------------------------------------------------------------------
// 13.2: reset and re-commit

/// An unapproved AI commit on main (made past the gate), on top of `start`.
fn unapproved_cart() -> Repo {
    let repo = Repo::init(BLOCK, &[("src/cart.py", CART_BEFORE)]);
    repo.agent_edit("src/cart.py", CART_AFTER, CART_BEFORE, CART_AFTER);
    repo.ok(&["commit", "-q", "--no-verify", "-am", "coupons"]);
    assert_eq!(ai_lines(&repo.note("HEAD"), "src/cart.py"), [[1, 5]]);
    repo
}

/// The gate refuses the re-commit as it refused the original, and a
/// commit past it gets the original's AI lines.
fn assert_judged_like_the_original(repo: &Repo, commit: &[&str]) {
    let run = repo.git(commit);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.all().contains("src/cart.py:1 function `total` — needs sign-off"), "{run:?}");
    let mut past = commit.to_vec();
    past.push("--no-verify");
    repo.ok(&past);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/cart.py"), [[1, 5]], "{note:?}");
    let record = files(&note)[0];
    assert_eq!(record["origin"]["tool"], "claude-code", "{record}");
}

#[test]
fn reset_soft_and_recommit_is_judged_like_the_original() {
    let repo = unapproved_cart();
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "-m", "coupons, again"]);
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/cart.py");
}

#[test]
fn reset_mixed_and_recommit_is_judged_like_the_original() {
    let repo = unapproved_cart();
    repo.ok(&["reset", "-q", "--mixed", "HEAD~1"]);
    repo.ok(&["add", "-A"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "-m", "coupons, again"]);
}

/// The same commit reset and made again and again (with its note, and
/// once past every hook, with none): the commits that left HEAD hold the
/// same text, read once for all (`store::derive`), and the last commit is
/// still judged like the original.
#[test]
fn the_same_commit_reset_again_and_again_is_judged_like_the_original() {
    let repo = unapproved_cart();
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "coupons, again"]);
    assert_eq!(ai_lines(&repo.note("HEAD"), "src/cart.py"), [[1, 5]]);
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    repo.ok(&["-c", "core.hooksPath=.git/no-hooks", "commit", "-q", "-m", "coupons, with no hooks"]);
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "-m", "coupons, once more"]);
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/cart.py");
}

#[test]
fn amend_after_a_reset_is_judged_like_the_original() {
    let repo = Repo::init(BLOCK, &[("src/cart.py", CART_BEFORE)]);
    repo.write("NOTES", "notes\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "notes"]);
    repo.agent_edit("src/cart.py", CART_AFTER, CART_BEFORE, CART_AFTER);
    repo.ok(&["commit", "-q", "--no-verify", "-am", "coupons"]);
    // Fold the AI commit into the one before it.
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "--amend", "-m", "notes and coupons"]);
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/cart.py");
}

#[test]
fn moving_the_commit_to_a_branch_keeps_its_provenance() {
    let repo = unapproved_cart();
    repo.ok(&["reset", "-q", "--soft", "HEAD~1"]);
    repo.ok(&["switch", "-q", "-c", "topic"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "-m", "coupons, on a branch"]);
}

#[test]
fn checkout_of_an_older_commit_with_the_changes_kept() {
    let repo = unapproved_cart();
    let ai = repo.rev("HEAD");
    repo.ok(&["checkout", "-q", "--detach", "HEAD~1"]);
    repo.ok(&["checkout", &ai, "--", "src/cart.py"]);
    assert_judged_like_the_original(&repo, &["commit", "-q", "-m", "coupons, detached"]);
}

#[test]
fn a_hard_reset_then_a_person_rewriting_the_code_is_not_ai() {
    let repo = unapproved_cart();
    repo.ok(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("src/cart.py", "def total(items):\n    return round(sum(i.price for i in items), 2)\n");
    repo.ok(&["commit", "-q", "-am", "rounding, by hand"]);
    let note = repo.note("HEAD");
    assert!(says_no_ai(&note) && files(&note).is_empty(), "{note:?}");
}

// ---------------------------------------------------------------------------
// 13.3: commits whose trailer or author says AI

#[test]
fn a_trailer_commit_through_the_hooks_notes_its_lines_and_approval_clears_it() {
    let repo = Repo::init(WARN, &[("README", "")]);
    repo.write("src/coupons.py", COUPONS);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "coupons\n\nCo-authored-by: Claude <noreply@anthropic.com>"]);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/coupons.py"), [[1, 10]], "{note:?}");
    let record = files(&note)[0];
    assert_eq!((record["origin"]["tool"].as_str(), record["evidence"].as_str()), (Some("claude"), Some("history")));
    assert!(!says_no_ai(&note), "{note:?}");
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");

    // Alice approves every unit verify names: that is all it asks. The
    // commit is on main itself, so the range is named as verify names it.
    let (_, report) = repo.verify("HEAD~1..HEAD");
    let me = repo.ok(&["config", "user.email"]);
    repo.ok(&["config", "user.email", "alice@example.com"]);
    for failure in report["failures"].as_array().unwrap() {
        let at = format!("{}:{}", failure["path"].as_str().unwrap(), failure["line"]);
        // With BASE the merge-base with main (HEAD here), the unit landed
        // before it, and approve says which range it looked in.
        let landed = repo.vouch(&["approve", &at, "--yes"]);
        assert_eq!(landed.code, 2, "{landed:?}");
        assert!(landed.all().contains("would ask about from BASE"), "{landed:?}");
        let run = repo.vouch(&["approve", &at, "--yes", "--base", "HEAD~1"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    repo.ok(&["config", "user.email", me.trim()]);
    let (code, report) = repo.verify("HEAD~1..HEAD");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_bot_commit_through_the_hooks_notes_its_lines() {
    let repo = Repo::init(WARN, &[("README", "")]);
    repo.write("src/coupons.py", COUPONS);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "--author", "renovate[bot] <bot@renovateapp.com>", "-m", "coupons"]);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/coupons.py"), [[1, 10]], "{note:?}");
    assert_eq!(files(&note)[0]["origin"]["tool"], "renovate[bot]");
    assert!(!says_no_ai(&note), "{note:?}");
    assert_unapproved(&repo, "HEAD~1..HEAD", "src/coupons.py");
}

// ---------------------------------------------------------------------------
// 13.4: agent edits reformatted by another hook; snapshots before the tool

/// The agent's edit as it wrote it, and as a formatter (black) leaves it.
const AGENT_RAW: &str = "def total(items,coupon=None):\n  subtotal=sum(i.price*i.qty for i in items)\n  if coupon:\n    subtotal-=coupon.discount(subtotal)\n  return max(subtotal,0)\n";
const FORMATTED: &str = "def total(items, coupon=None):\n    subtotal = sum(i.price * i.qty for i in items)\n    if coupon:\n        subtotal -= coupon.discount(subtotal)\n    return max(subtotal, 0)\n";
/// A person's function after the agent's.
const HUMAN_TAIL: &str = "\n\ndef count(items):\n    return len(items)\n";

impl Repo {
    fn edit_input(&self, rel: &str, old: &str, new: &str) -> serde_json::Value {
        serde_json::json!({"file_path": self.root().join(rel), "old_string": old, "new_string": new})
    }

    /// The names of the AI units `vouch status` shows in `version`
    /// (`index`, `worktree`).
    fn ai_units(&self, version: &str) -> Vec<String> {
        let run = self.vouch(&["status", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        status[version].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap_or("").to_string()).collect()
    }

    fn snapshots(&self) -> usize {
        std::fs::read_dir(self.root().join(".git/vouch/pre")).map_or(0, |d| d.count())
    }

    /// Commit everything past the gate; the note's AI lines of `rel`.
    fn commit_ai_lines(&self, rel: &str) -> Vec<[u64; 2]> {
        self.ok(&["add", "-A"]);
        self.ok(&["commit", "-q", "--no-verify", "-m", "agent work"]);
        ai_lines(&self.note("HEAD"), rel)
    }
}

#[test]
fn an_edit_reformatted_before_vouch_looks_stays_ai() {
    // Both orders of the snapshot: with the PreToolUse hook, and without it
    // (a configuration from an older vouch).
    for snapshot in [true, false] {
        let repo = Repo::init(WARN, &[("src/cart.py", &format!("{CART_BEFORE}{HUMAN_TAIL}"))]);
        let input = repo.edit_input("src/cart.py", CART_BEFORE, AGENT_RAW);
        if snapshot {
            repo.claude_hook("PreToolUse", "Edit", "toolu_1", input.clone());
        }
        // The tool edits; the formatter's PostToolUse hook runs first.
        repo.write("src/cart.py", &format!("{FORMATTED}{HUMAN_TAIL}"));
        repo.claude_hook("PostToolUse", "Edit", "toolu_1", input);
        assert_eq!(repo.snapshots(), 0, "the snapshot is taken once and removed");
        assert_eq!(repo.commit_ai_lines("src/cart.py"), [[1, 5]], "snapshot: {snapshot}");
    }
}

#[test]
fn an_edit_reformatted_after_vouch_looked_stays_ai() {
    let repo = Repo::init(WARN, &[("src/cart.py", &format!("{CART_BEFORE}{HUMAN_TAIL}"))]);
    let input = repo.edit_input("src/cart.py", CART_BEFORE, AGENT_RAW);
    repo.claude_hook("PreToolUse", "Edit", "toolu_1", input.clone());
    repo.write("src/cart.py", &format!("{AGENT_RAW}{HUMAN_TAIL}"));
    repo.claude_hook("PostToolUse", "Edit", "toolu_1", input);
    // The formatter's hook lands after vouch's.
    repo.write("src/cart.py", &format!("{FORMATTED}{HUMAN_TAIL}"));
    assert_eq!(repo.commit_ai_lines("src/cart.py"), [[1, 5]]);
}

#[test]
fn a_write_over_an_existing_file_marks_only_what_changed() {
    let before = format!("{CART_BEFORE}{HUMAN_TAIL}");
    let after = before.replace("return len(items)", "return len(list(items))");
    for snapshot in [true, false] {
        let repo = Repo::init(WARN, &[("src/cart.py", &before)]);
        let input = serde_json::json!({"file_path": repo.root().join("src/cart.py"), "content": after});
        if snapshot {
            repo.claude_hook("PreToolUse", "Write", "toolu_w", input.clone());
        }
        repo.write("src/cart.py", &after);
        repo.claude_hook("PostToolUse", "Write", "toolu_w", input);
        // Only the function the agent changed holds AI text.
        assert_eq!(repo.ai_units("worktree"), ["count"], "snapshot: {snapshot}");
        assert_eq!(repo.commit_ai_lines("src/cart.py"), [[6, 6]], "snapshot: {snapshot}");
    }
    // A new file is all the agent's.
    let repo = Repo::init(WARN, &[("README", "")]);
    let input = serde_json::json!({"file_path": repo.root().join("src/new.py"), "content": COUPONS});
    repo.claude_hook("PreToolUse", "Write", "toolu_n", input.clone());
    repo.write("src/new.py", COUPONS);
    repo.claude_hook("PostToolUse", "Write", "toolu_n", input);
    assert_eq!(repo.commit_ai_lines("src/new.py"), [[1, 10]]);
}

#[test]
fn files_a_shell_command_changes_are_recorded() {
    let repo = Repo::init(WARN, &[("src/cart.py", &format!("{CART_BEFORE}{HUMAN_TAIL}")), ("README", "")]);
    // A person's change, not yet committed, before the agent's command.
    repo.write("README", "readme by a person\n");
    let input = serde_json::json!({"command": "sed -i ... && cat > src/coupons.py"});
    repo.claude_hook("PreToolUse", "Bash", "toolu_b", input.clone());
    repo.write("src/cart.py", &format!("{CART_AFTER}{HUMAN_TAIL}"));
    repo.write("src/coupons.py", COUPONS);
    let run = repo.claude_hook("PostToolUse", "Bash", "toolu_b", input);
    assert!(run.stderr.contains("recorded 5 AI line(s) of src/cart.py"), "{run:?}");
    assert_eq!(repo.snapshots(), 0);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "agent work"]);
    let note = repo.note("HEAD");
    assert_eq!(ai_lines(&note, "src/cart.py"), [[1, 5]], "{note:?}");
    assert_eq!(ai_lines(&note, "src/coupons.py"), [[1, 10]], "{note:?}");
    assert!(ai_lines(&note, "README").is_empty(), "the person's edit is not the agent's: {note:?}");

    // Without a snapshot, nothing is claimed (and nothing fails).
    let run = repo.claude_hook("PostToolUse", "Bash", "toolu_c", serde_json::json!({"command": "ls"}));
    assert!(run.stderr.contains("no snapshot"), "{run:?}");
}

#[test]
fn init_writes_both_claude_code_hooks() {
    let repo = Repo::init(WARN, &[("README", "")]);
    let run = repo.vouch(&["init", "--agent", "claude-code"]);
    assert_eq!(run.code, 0, "{run:?}");
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.root().join(".claude/settings.json")).unwrap()).unwrap();
    for event in ["PreToolUse", "PostToolUse"] {
        let entry = &settings["hooks"][event][0];
        assert_eq!(entry["matcher"], "Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.*", "{settings:#}");
        assert_eq!(entry["hooks"][0]["command"], "vouch hook claude-code", "{settings:#}");
    }
}

// ---------------------------------------------------------------------------
// 13.7: the agent hook without vouch on PATH

#[test]
fn doctor_runs_the_agent_hook_as_the_agent_would() {
    let repo = Repo::init(WARN, &[("README", "")]);
    let run_with_path = |args: &[&str], path: &str| {
        let mut cmd = repo.command(VOUCH, args);
        cmd.env("PATH", path);
        Run::from(cmd.output().unwrap())
    };
    // The real binary, not on PATH: as after `cargo build --release`.
    let bare = "/usr/bin:/bin";
    let run = run_with_path(&["init", "--agent", "claude-code", "--agent", "cursor"], bare);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("no `vouch` on PATH"), "{run:?}");
    let settings = std::fs::read_to_string(repo.root().join(".claude/settings.json")).unwrap();
    assert!(!settings.contains(VOUCH), "no machine's path in a committed file: {settings}");

    let run = run_with_path(&["doctor"], bare);
    assert_eq!(run.code, 1, "{run:?}");
    for agent in ["Claude Code", "Cursor"] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(&format!("agent {agent} hook")))
            .unwrap_or_else(|| panic!("{run:?}"));
        assert!(line.starts_with("FAIL") && line.contains("exit 127") && line.contains("no `vouch` on PATH"), "{line}");
    }

    // With vouch on PATH, the hooks run.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(VOUCH, bin.path().join("vouch")).unwrap();
    let path = format!("{}:{bare}", bin.path().display());
    let run = run_with_path(&["doctor"], &path);
    for agent in ["Claude Code", "Cursor"] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(&format!("agent {agent} hook")))
            .unwrap_or_else(|| panic!("{run:?}"));
        assert!(line.starts_with("ok") && line.contains("runs"), "{line}");
    }
    // And running them recorded nothing.
    assert!(
        !repo.root().join(".git/vouch/journal").exists()
            || std::fs::read_dir(repo.root().join(".git/vouch/journal")).unwrap().count() == 0
    );
}
