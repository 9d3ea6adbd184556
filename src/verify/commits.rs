//! Commit by commit: attestation and whether each note matches its commit.

use super::*;

/// Attestation and note consistency, commit by commit, and the evidence
/// each commit carries.
pub(super) fn check_commits(
    repo: &Repository,
    policy: &Policy,
    range: &Range,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let coverage = &mut report.coverage;
    coverage.commits = range.commits.len();
    let none = lineage::CommitEvidence::default();
    let mut reader = notes::NoteReader::new(repo);
    for &oid in &range.commits {
        let commit = repo.find_commit(oid).map_err(git(format!("read commit {oid}")))?;
        let merge = commit.parent_count() > 1;
        coverage.merges += usize::from(merge);
        // A commit that writes code attests it: every commit but a merge
        // that only joins its parents (one that adds lines of its own, an
        // evil merge or a conflict resolved, writes code too; so does one
        // that removes or changes on its own what its parents agree on).
        let adds = |files: &Vec<lineage::AddedLines>| files.iter().any(|f| f.added() > 0);
        let writes = !merge
            || range.lineage.added.get(&oid).is_some_and(adds)
            || merge_changes_own(repo, &commit).map_err(git(format!("read the merge {oid}")))?;
        let evidence = range.lineage.evidence.get(&oid).unwrap_or(&none);
        let labels = evidence.labels();
        coverage.with_git_ai_note += usize::from(evidence.git_ai_note.is_some());
        coverage.with_declaration += usize::from(evidence.declared.is_some());
        if labels.is_empty() && writes {
            coverage.without_provenance.push(oid.to_string());
        }
        if !labels.is_empty() {
            coverage.provenance.insert(oid.to_string(), labels);
        }
        let subject = commit.summary().unwrap_or("").to_string();
        let Some(records) = &evidence.vouch_note else {
            if writes {
                coverage.without_note.push(oid.to_string());
                if policy.require_attestation() {
                    let mut failure = Failure::new(
                        Rule::MissingAttestation,
                        format!(
                            "commit {} ({subject}) carries no vouch note; the policy at BASE requires every commit to \
                             attest its AI text (a note with file records, or `no-ai`); where vouch's post-commit hook \
                             did not run or finish, `vouch notes rebuild BASE..HEAD` in the clone that made it notes \
                             it from the journal, and `vouch sync` shares the note",
                            short(&oid.to_string())
                        ),
                    );
                    failure.commits.push(oid.to_string());
                    report.failures.push(failure);
                }
            }
            continue;
        };
        // A note of nothing but imported records (Agent Trace) adds AI
        // lines and attests nothing: the commit counts as one with no note,
        // and its records are still checked against it.
        if notes::attests(records) {
            coverage.with_note += 1;
        } else if writes {
            coverage.without_note.push(oid.to_string());
            if policy.require_attestation() {
                let mut failure = Failure::new(
                    Rule::MissingAttestation,
                    match records.is_empty() {
                        true => format!(
                            "commit {} ({subject}) carries an empty vouch note, which attests nothing; the policy at \
                             BASE requires every commit to attest its AI text (a note with file records, or `no-ai`)",
                            short(&oid.to_string())
                        ),
                        false => format!(
                            "commit {} ({subject}) carries only AI lines imported from another tool's records; the \
                             policy at BASE requires every commit to attest its AI text with a vouch note",
                            short(&oid.to_string())
                        ),
                    },
                );
                failure.commits.push(oid.to_string());
                report.failures.push(failure);
            }
        }
        for problem in note_problems(repo, &mut reader, &commit, records, evidence)? {
            let mut failure = Failure::new(Rule::NoteMismatch, problem.reason);
            failure.path = problem.path;
            failure.commits.push(oid.to_string());
            report.failures.push(failure);
        }
    }
    Ok(())
}

/// Whether merge `commit` changes on its own what its parents bring: a
/// file every parent has that it removes, a mode that differs from every
/// parent's, a line every parent's version of a file holds that its version
/// lacks (a check dropped while resolving a conflict), or a parent's change
/// of a file since the parents forked that it drops, keeping another
/// parent's version (a check main added, merged into a branch that keeps
/// its own). A merge that joins its parents takes each file, mode and line
/// from one of them, and every change each made.
fn merge_changes_own(repo: &Repository, commit: &Commit<'_>) -> Result<bool, git2::Error> {
    let tree = commit.tree()?;
    let parents: Vec<git2::Tree<'_>> = commit.parents().map(|p| p.tree()).collect::<Result<_, _>>()?;
    let Some(first) = parents.first() else { return Ok(false) };
    // Where the parents forked: what each changed is against it.
    let ids: Vec<Oid> = commit.parent_ids().collect();
    let fork = match ids.len() {
        2 => repo.merge_base(ids[0], ids[1]).ok(),
        _ => repo.merge_base_many(&ids).ok(),
    };
    let fork = fork.map(|f| repo.find_commit(f).and_then(|c| c.tree())).transpose()?;
    // The paths the merge changed against its first parent, and those the
    // other parents changed since the fork (a name that is not UTF-8 fails
    // the range of itself: `unreadable`).
    let mut paths: BTreeSet<String> = BTreeSet::new();
    paths.extend(tree_diff::changes(repo, Some(first), &tree)?.changes.into_iter().map(|c| c.path));
    if let Some(fork) = &fork {
        for other in &parents[1..] {
            paths.extend(tree_diff::changes(repo, Some(fork), other)?.changes.into_iter().map(|c| c.path));
        }
    }
    for path in &paths {
        let path = Path::new(path);
        let entry = |tree: &git2::Tree<'_>| tree.get_path(path).ok().map(|e| (e.id(), e.filemode()));
        let mine = entry(&tree);
        let theirs: Vec<Option<(Oid, i32)>> = parents.iter().map(entry).collect();
        if theirs.contains(&mine) {
            // Taken from a parent: another parent's change of it is dropped.
            let forked = fork.as_ref().map(entry);
            if forked.is_some_and(|forked| theirs.iter().any(|v| *v != forked && *v != mine)) {
                return Ok(true);
            }
            continue;
        }
        let held: Vec<(Oid, i32)> = theirs.iter().flatten().copied().collect();
        let all = held.len() == parents.len();
        let Some((id, mode)) = mine else {
            if all {
                return Ok(true);
            }
            continue;
        };
        if !held.is_empty() && held.iter().all(|&(_, m)| m != mode) {
            return Ok(true);
        }
        if all && lines_all_hold_that_lack(repo, &held, id)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether a line every one of the blobs `held` holds (as many times as
/// each holds it) is missing from blob `mine`.
fn lines_all_hold_that_lack(repo: &Repository, held: &[(Oid, i32)], mine: Oid) -> Result<bool, git2::Error> {
    let count = |id: Oid| -> Result<HashMap<Vec<u8>, usize>, git2::Error> {
        let blob = repo.find_blob(id)?;
        let mut out: HashMap<Vec<u8>, usize> = HashMap::new();
        for line in crate::lineage::split_lines(blob.content()) {
            *out.entry(line.strip_suffix(b"\n").unwrap_or(line).to_vec()).or_default() += 1;
        }
        Ok(out)
    };
    let mut common = count(held[0].0)?;
    for &(id, _) in &held[1..] {
        let other = count(id)?;
        common.retain(|line, n| {
            *n = (*n).min(other.get(line).copied().unwrap_or(0));
            *n > 0
        });
    }
    let mine = count(mine)?;
    Ok(common.iter().any(|(line, &n)| mine.get(line).copied().unwrap_or(0) < n))
}

struct NoteProblem {
    path: Option<String>,
    reason: String,
}

/// What is wrong with the note on `commit`: records that name a blob the
/// commit does not have at that path or lines past the blob's end, text
/// that is not as vouch writes it (edited by hand), or a `no-ai`
/// attestation that the commit's other evidence contradicts (a trailer,
/// aider or a bot author, a git-ai note attributing lines to AI): a claim of
/// "not AI" never outranks a claim of AI.
/// What is wrong with `file`, a note's record that the commit removed a
/// file: the commit must lack the path, and its first parent must have it
/// as the blob the record names.
fn removal_problem(
    commit: &Commit<'_>,
    tree: &git2::Tree<'_>,
    file: &notes::FileRecord,
    id: &str,
) -> Result<Option<NoteProblem>, VerifyError> {
    let path = Path::new(&file.path);
    let problem = |reason: String| Ok(Some(NoteProblem { path: Some(file.path.clone()), reason }));
    if tree.get_path(path).is_ok() {
        return problem(format!("the note on commit {id} says it removed {}, which the commit has", file.path));
    }
    let parent = match commit.parent(0) {
        Ok(parent) => parent.tree().map_err(git(format!("read the tree of {}'s parent", commit.id())))?,
        Err(_) => {
            return problem(format!("the note on commit {id} says it removed {}, but it has no parent", file.path));
        }
    };
    match parent.get_path(path) {
        Ok(entry) if entry.id().to_string() == file.blob => Ok(None),
        _ => problem(format!(
            "the note on commit {id} says it removed blob {} of {}, which its parent does not have",
            short(&file.blob),
            file.path
        )),
    }
}

fn note_problems(
    repo: &Repository,
    reader: &mut notes::NoteReader<'_>,
    commit: &Commit<'_>,
    records: &[NoteRecord],
    evidence: &lineage::CommitEvidence,
) -> Result<Vec<NoteProblem>, VerifyError> {
    let oid = commit.id();
    let full = oid.to_string();
    let id = short(&full);
    let mut problems = Vec::new();
    let tree = commit.tree().map_err(git(format!("read the tree of {oid}")))?;
    for record in records {
        let NoteRecord::File(file) = record else { continue };
        if file.removed {
            problems.extend(removal_problem(commit, &tree, file, id)?);
            continue;
        }
        let entry = tree.get_path(Path::new(&file.path)).ok();
        // A submodule's record names the submodule's commit as its blob and
        // has one line.
        let gitlink = entry.as_ref().is_some_and(|e| e.kind() == Some(ObjectType::Commit));
        let Some(entry) = entry.filter(|e| gitlink || e.kind() == Some(ObjectType::Blob)) else {
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
        let lines = if gitlink {
            1
        } else {
            let blob = repo.find_blob(entry.id()).map_err(git(format!("read {}:{}", oid, file.path)))?;
            notes::line_spans(blob.content()).len()
        };
        if let Some(&[a, b]) = file.ai.iter().find(|r| r[1] as usize > lines) {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} marks lines {a}-{b} of {}, which has {lines} lines",
                    file.path
                ),
            });
        }
        if let Some(before) = file.deleted_before.iter().find(|&&b| b as usize > lines + 1 || gitlink) {
            problems.push(NoteProblem {
                path: Some(file.path.clone()),
                reason: format!(
                    "the note on commit {id} places an AI deletion before line {before} of {}, which has {lines} lines",
                    file.path
                ),
            });
        }
    }
    // Each note read (the local one, or the fetched ones not merged yet),
    // as vouch writes one: its records' lines, sorted, once each.
    let texts = reader.texts(oid)?;
    for blob in &texts {
        let text = String::from_utf8_lossy(notes::note_text(blob.content())).into_owned();
        let own = notes::parse_note(oid, text.as_bytes())?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let canonical: BTreeSet<String> = own.iter().map(NoteRecord::to_line).collect();
        let written: Vec<&str> = canonical.iter().map(String::as_str).collect();
        if lines != written {
            let first = lines
                .iter()
                .position(|l| !canonical.contains(*l))
                .map_or(String::new(), |i| format!(", line {}", i + 1));
            problems.push(NoteProblem {
                path: None,
                reason: format!("the note on commit {id} is not as vouch writes it (edited by hand?{first})"),
            });
        }
    }
    let only_no_ai = !records.is_empty() && records.iter().all(|r| *r == NoteRecord::NoAi);
    if only_no_ai && let Some(evidence) = evidence.other_ai_claim() {
        problems.push(NoteProblem {
            path: None,
            reason: format!("the note on commit {id} attests no AI text, but {evidence}"),
        });
    }
    Ok(problems)
}

/// Paths that commits of the range touched, sorted: those HEAD has (the
/// lineage's files) and those a commit changed against its first parent,
/// deleted ones included (a deleted trust file is a change to approve).
pub(super) fn touched_paths(range: &Range) -> BTreeSet<String> {
    range.lineage.files.keys().chain(range.changed.values().flatten()).cloned().collect()
}
