//! Commit by commit: attestation and whether each note matches its commit.

use super::*;

/// Attestation and note consistency, commit by commit.
pub(super) fn check_commits(
    repo: &Repository,
    policy: &Policy,
    range: &Range,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let coverage = &mut report.coverage;
    coverage.commits = range.commits.len();
    for &oid in &range.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let merge = commit.parent_count() > 1;
        coverage.merges += usize::from(merge);
        let subject = commit.summary().unwrap_or("").to_string();
        // A note of nothing but imported records attests nothing.
        let Some(records) = range.notes.get(&oid).filter(|r| notes::attests(r)) else {
            if !merge {
                coverage.without_note.push(oid.to_string());
                if policy.require_attestation() {
                    let mut failure = Failure::new(
                        Rule::MissingAttestation,
                        format!(
                            "commit {} ({subject}) carries no vouch note; the policy at BASE requires every commit to \
                             attest its AI text (a note with file records, or `no-ai`)",
                            short(&oid.to_string())
                        ),
                    );
                    failure.commits.push(oid.to_string());
                    report.failures.push(failure);
                }
            }
            continue;
        };
        coverage.with_note += 1;
        for problem in note_problems(repo, policy, &commit, records)? {
            let mut failure = Failure::new(Rule::NoteMismatch, problem.reason);
            failure.path = problem.path;
            failure.commits.push(oid.to_string());
            report.failures.push(failure);
        }
    }
    Ok(())
}

struct NoteProblem {
    path: Option<String>,
    reason: String,
}

/// What is wrong with the note on `commit`: records that name a blob the
/// commit does not have at that path or lines past the blob's end, text
/// that is not as vouch writes it (edited by hand), or a `no-ai`
/// attestation the commit's own trailer or author contradicts.
fn note_problems(
    repo: &Repository,
    policy: &Policy,
    commit: &Commit<'_>,
    records: &[NoteRecord],
) -> Result<Vec<NoteProblem>, VerifyError> {
    let oid = commit.id();
    let full = oid.to_string();
    let id = short(&full);
    let mut problems = Vec::new();
    let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
    for record in records {
        let NoteRecord::File(file) = record else { continue };
        let entry = tree.get_path(Path::new(&file.path)).ok();
        let Some(entry) = entry.filter(|e| e.kind() == Some(ObjectType::Blob)) else {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!("the note on commit {id} describes {}, which the commit does not have", file.path),
            });
            continue;
        };
        if entry.id().to_string() != file.blob {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} describes blob {} of {}, but the commit has blob {}",
                    short(&file.blob),
                    file.path,
                    short(&entry.id().to_string())
                ),
            });
            continue;
        }
        let blob = repo.find_blob(entry.id()).map_err(git(format!("read {}:{}", oid, file.path)))?;
        let lines = notes::line_spans(&String::from_utf8_lossy(blob.content())).len();
        if let Some(&[a, b]) = file.ai.iter().find(|r| r[1] as usize > lines) {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} marks lines {a}-{b} of {}, which has {lines} lines",
                    file.path
                ),
            });
        }
    }
    let raw = repo.find_note(Some(NOTES_REF), oid).map_err(git(format!("read the note on {oid}")))?;
    let text = String::from_utf8_lossy(raw.message_bytes()).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let canonical: BTreeSet<String> = records.iter().map(NoteRecord::to_line).collect();
    let written: Vec<&str> = canonical.iter().map(String::as_str).collect();
    if lines != written {
        let first =
            lines.iter().position(|l| !canonical.contains(*l)).map_or(String::new(), |i| format!(", line {}", i + 1));
        problems.push(NoteProblem {
            path: None,
            reason: format!("the note on commit {id} is not as vouch writes it (edited by hand?{first})"),
        });
    }
    let only_no_ai = !records.is_empty() && records.iter().all(|r| *r == NoteRecord::NoAi);
    if only_no_ai {
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let author = commit.author();
        let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
        let email = String::from_utf8_lossy(author.email_bytes()).into_owned();
        let evidence = history::ai_trailer_tool(&message)
            .map(|tool| format!("its trailer names {tool}"))
            .or_else(|| history::is_bot(&name, &email, policy.bots()).then(|| format!("its author {name} is a bot")));
        if let Some(evidence) = evidence {
            problems.push(NoteProblem {
                path: None,
                reason: format!("the note on commit {id} attests no AI text, but {evidence}"),
            });
        }
    }
    Ok(problems)
}

/// Paths that commits of the range changed (against their first parent)
/// and that HEAD still has, sorted.
pub(super) fn touched_paths(range: &Range) -> BTreeSet<String> {
    range.changed.values().flatten().cloned().collect()
}

/// The paths commit `oid` changed against its first parent (or all of its
/// files, for a root commit).
pub(super) fn changed_in(repo: &Repository, oid: Oid) -> Result<Vec<String>, VerifyError> {
    let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
    let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
    let parent = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(git(format!("read the parent tree of {oid}")))?),
        Err(_) => None,
    };
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None).map_err(git(format!("diff {oid}")))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.new_file(), delta.old_file()] {
            if let Some(path) = file.path().and_then(Path::to_str)
                && !out.iter().any(|p| p == path)
            {
                out.push(path.to_string());
            }
        }
    }
    Ok(out)
}
