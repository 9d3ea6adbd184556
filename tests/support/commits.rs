//! Commits made directly with git (no hooks), each adding one distinct
//! function, for the tests that build a history and then compare views.

// Each test binary uses a different part of the support code.
#![allow(dead_code)]

use git2::{Oid, Repository};
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{self, FileRecord, NoteRecord};

use super::repo::TestRepo;

/// A distinct four-line Rust function.
pub fn function(name: &str) -> String {
    format!("pub fn {name}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({});\n    y ^ 0x5f\n}}\n", name.len() * 7919)
}

pub fn head(repo: &TestRepo) -> Oid {
    Oid::from_str(repo.git(&["rev-parse", "HEAD"]).trim()).unwrap()
}

/// Commit `path` holding one new function, as `author` (name, email), with
/// `message`.
pub fn commit_file(repo: &TestRepo, path: &str, name: &str, author: (&str, &str), message: &str) -> Oid {
    repo.write(path, &function(name));
    repo.git(&["add", "-A"]);
    let ident = format!("{} <{}>", author.0, author.1);
    repo.git(&[
        "-c",
        &format!("user.name={}", author.0),
        "commit",
        "-q",
        "--no-verify",
        "--author",
        &ident,
        "-m",
        message,
    ]);
    head(repo)
}

/// [`commit_file`] with a vouch note from Claude Code's agent hook naming
/// all four lines of the function AI (accepted by `author`).
pub fn commit_noted(repo: &TestRepo, path: &str, name: &str, author: (&str, &str)) -> Oid {
    let commit = commit_file(repo, path, name, author, name);
    let blob = repo.git(&["rev-parse", &format!("HEAD:{path}")]).trim().to_string();
    let record = FileRecord {
        path: path.into(),
        blob,
        ai: vec![[1, 4]],
        origin: AiSource { tool: "claude-code".into(), model: Some("opus".into()), session: None, kind: None },
        evidence: Evidence::AgentHook,
        accepted_by: Some(author.1.into()),
        rationale: None,
        approvals: Vec::new(),
        intent: None,
        imported: None,
        deleted_before: Vec::new(),
        removed: false,
        mode: None,
    };
    notes::write_note(&Repository::open(&repo.root).unwrap(), commit, &[NoteRecord::File(record)]).unwrap();
    commit
}

/// [`commit_file`] with a git-ai note (`authorship/3.0.0`) naming all four
/// lines of the function Cursor's, `author` the human beside it.
pub fn commit_git_ai_noted(repo: &TestRepo, path: &str, name: &str, author: (&str, &str)) -> Oid {
    let commit = commit_file(repo, path, name, author, "git-ai");
    let note = format!(
        "{path}\n  0123456789abcdef 1-4\n---\n{{\"schema_version\":\"authorship/3.0.0\",\"git_ai_version\":\"1.3.4\",\
         \"base_commit_sha\":\"0000000000000000000000000000000000000000\",\"prompts\":{{\"0123456789abcdef\":\
         {{\"agent_id\":{{\"tool\":\"cursor\",\"id\":\"p1\",\"model\":\"gpt-5\"}},\"human_author\":\"{} <{}>\",\
         \"messages\":[],\"total_additions\":4,\"total_deletions\":0,\"accepted_lines\":4,\"overriden_lines\":0}}}}}}\n",
        author.0, author.1
    );
    repo.git(&["notes", "--ref=ai", "add", "-m", &note, &commit.to_string()]);
    commit
}
