//! Symbolic links. git stores a link as the path it names, one line a
//! person may write; but a checkout of HEAD puts at the link's path the
//! code it leads to, and that code runs, is imported and is deployed from
//! there. So AI text the range wrote is judged wherever a link makes it
//! stand, under the rules of that path: AI code from an exempt path
//! (`vendor/`), or approved by someone the policy trusts where it was
//! written and not at the link (`src/util/` and `src/payments/`), needs
//! the sign-off the link's path asks, as a copy of it would
//! ([`crate::lineage`]'s copy rule).
//!
//! Every link HEAD holds counts (one the range adds, and one that stood
//! before it, to a file the range writes AI text in), and links through
//! links: a link to a directory that holds links, chains of them. A link
//! is resolved in HEAD's tree; one that climbs out of the repository and
//! comes back into the checkout (`../../repo/vendor/x`, or an absolute path
//! into it) is resolved through the worktree it is checked out in. A link
//! that leads out of the repository, to nothing, or round in a loop brings
//! no code of the range.

use super::*;

/// How many links a path may go through, as the kernel allows (`ELOOP`).
const MAX_HOPS: usize = 40;

/// How many paths one file's AI text may stand at through links; past
/// that, the rest are not looked at (a tree of links that multiplies them).
const MAX_ALIASES: usize = 256;

/// Judge the AI text of the range's files wherever HEAD's links make it
/// stand.
pub(super) fn check_links(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let lineage = &range.lineage;
    let has_ai = |file: &lineage::FileLineage| {
        file.tags.iter().any(|&t| lineage.is_ai(t)) || file.deletions.iter().any(|d| lineage.is_ai(d.tag))
    };
    let ai_files: Vec<&String> = lineage.files.iter().filter(|(_, f)| has_ai(f)).map(|(p, _)| p).collect();
    let link_mode = i32::from(git2::FileMode::Link);
    let is_link = |path: &str| ends.head.get_path(Path::new(path)).is_ok_and(|e| e.filemode() == link_mode);
    let own_links: Vec<&String> = lineage.files.keys().filter(|p| is_link(p)).collect();
    if ai_files.is_empty() && own_links.is_empty() {
        return Ok(());
    }
    let worktree = repo.workdir().map(|w| std::fs::canonicalize(w).unwrap_or_else(|_| w.to_path_buf()));
    check_links_to_history(repo, judge, range, ends, (&own_links, &ai_files), worktree.as_deref(), report)?;
    if ai_files.is_empty() {
        return Ok(());
    }
    let links = links_of(ends.head)?;
    if links.is_empty() {
        return Ok(());
    }
    let resolved: Vec<(&String, (String, ObjectType))> = links
        .iter()
        .filter_map(|link| Some((link, destination(repo, ends.head, link, worktree.as_deref())?)))
        .collect();
    // (where it stands through links, the file it is, the link it is seen
    // through first)
    let mut brought: Vec<(String, &String, &String)> = Vec::new();
    for path in ai_files {
        for (at, link) in aliases(path, &resolved) {
            brought.push((at, path, link));
        }
    }
    let mut texts = Vec::new();
    for (at, path, link) in &brought {
        let file = &lineage.files[*path];
        let before = report.failures.len();
        if file.kind == VersionKind::Text {
            texts.push((TextFile { path: at, file, ai: ai_text(repo, judge, range, ends, path, file)? }, *link));
        } else {
            check_whole(repo, judge, range, at, file, None, report)?;
            say_linked(report, before, link, path);
        }
    }
    let ai: Vec<&AiText> = texts.iter().map(|(t, _)| &t.ai).collect();
    for ((text, link), facts) in texts.iter().zip(analyze_ai_texts(&ai)) {
        let facts = facts.map_err(|reason| VerifyError::Unreadable { path: text.ai.path.clone(), reason })?;
        let before = report.failures.len();
        check_file(judge, range, text, &facts, report);
        say_linked(report, before, link, &text.ai.path);
    }
    Ok(())
}

/// The links the range added or changed (`links`) to a file of HEAD it
/// wrote no AI text in (not among `ai_files`): lines history calls AI in
/// that file, as of BASE, are judged at the link, under its rules (an
/// agent's code landed under an exempt path, a person's later link to it
/// from a reviewed one). Links to directories are not followed here.
fn check_links_to_history(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    (links, ai_files): (&[&String], &[&String]),
    worktree: Option<&Path>,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let base_rev = ends.base_commit.to_string();
    let mut texts = Vec::new();
    for &link in links {
        let Some((to, ObjectType::Blob)) = destination(repo, ends.head, link, worktree) else { continue };
        if ai_files.contains(&&to) || ends.base.get_path(Path::new(&to)).is_err() || judge.policy.same_rules(&to, link)
        {
            continue;
        }
        let Ok(entry) = ends.head.get_path(Path::new(&to)) else { continue };
        let Ok(text) = repo.find_blob(entry.id()).map(|b| b.content().to_vec()) else { continue };
        let Ok(text) = String::from_utf8(text) else { continue };
        let (spans, sources) =
            crate::brought::ai_in_history(repo, judge.policy, (&to, &base_rev), text.as_bytes(), |_| true)
                .map_err(super::brought::unreadable)?;
        if spans.is_empty() {
            continue;
        }
        let ai = AiText { path: to.clone(), text, spans, deletions: Vec::new(), before: None };
        texts.push((TextFile { path: link, file: &range.lineage.files[link], ai }, to, sources));
    }
    let ai: Vec<&AiText> = texts.iter().map(|(t, _, _)| &t.ai).collect();
    for ((text, to, sources), facts) in texts.iter().zip(analyze_ai_texts(&ai)) {
        let facts = facts.map_err(|reason| VerifyError::Unreadable { path: to.clone(), reason })?;
        let before = report.failures.len();
        check_file(judge, range, text, &facts, report);
        say_linked(report, before, text.path, to);
        let commits: Vec<String> = range.commits_changing(text.path).map(|c| c.to_string()).collect();
        let detail = format!(
            "{} stood at BASE, where history says an AI wrote lines of it ({})",
            crate::display::line(to),
            crate::display::line(&sources.join(", "))
        );
        super::brought::say(&mut report.failures[before..], &detail, &commits);
    }
    Ok(())
}

/// The paths `path` stands at through `links` (each with where it leads),
/// other than its own, each with the first link on the way there.
fn aliases<'l>(path: &str, links: &'l [(&'l String, (String, ObjectType))]) -> Vec<(String, &'l String)> {
    let mut found: Vec<(String, &String)> = Vec::new();
    let mut known: HashSet<String> = HashSet::from([path.to_string()]);
    let mut fresh: Vec<(String, Option<&String>)> = vec![(path.to_string(), None)];
    for _ in 0..MAX_HOPS {
        let mut next = Vec::new();
        for (at, first) in &fresh {
            for (link, (to, kind)) in links {
                let rest = match kind {
                    ObjectType::Tree => at.strip_prefix(to.as_str()).filter(|r| r.starts_with('/')),
                    _ => (at == to).then_some(""),
                };
                let Some(rest) = rest else { continue };
                let alias = format!("{link}{rest}");
                if known.len() < MAX_ALIASES && known.insert(alias.clone()) {
                    let first = first.unwrap_or(link);
                    found.push((alias.clone(), first));
                    next.push((alias, Some(first)));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        fresh = next;
    }
    found
}

/// Every symbolic link of `tree`, by path.
fn links_of(tree: &git2::Tree<'_>) -> Result<Vec<String>, VerifyError> {
    let link_mode = i32::from(git2::FileMode::Link);
    let mut links = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.filemode() == link_mode
            && let Some(name) = entry.name()
        {
            links.push(format!("{dir}{name}"));
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(git("list HEAD's symbolic links"))?;
    Ok(links)
}

/// Say, on each failure from `from` on, through which link its text
/// stands there.
fn say_linked(report: &mut Report, from: usize, link: &str, path: &str) {
    for failure in &mut report.failures[from..] {
        failure.details.push(format!(
            "{} is a symbolic link on the way to {}: the AI text it brings is judged under the rules of this path; \
             approve it through {} (by someone the rules of this path name)",
            crate::display::line(link),
            crate::display::line(path),
            crate::display::line(path)
        ));
    }
}

/// Where the link at `link` leads in `tree`: the path of the entry it
/// names and that entry's kind, through any link on the way; `None` when
/// it leads out of the repository, to nothing, or through more than
/// [`MAX_HOPS`] links. A target that climbs out of the tree or is
/// absolute is read against `worktree` (where HEAD is checked out): one
/// that comes back into it is that path of the tree.
fn destination(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    link: &str,
    worktree: Option<&Path>,
) -> Option<(String, ObjectType)> {
    let link_mode = i32::from(git2::FileMode::Link);
    let mut ahead: Vec<String> = link.split('/').rev().map(str::to_string).collect();
    let mut at: Vec<String> = Vec::new();
    let mut hops = 0;
    let mut kind = ObjectType::Tree;
    while let Some(part) = ahead.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                if at.pop().is_none() {
                    // Above the root: back in only through the worktree.
                    let rest: Vec<String> = std::iter::once(part).chain(ahead.drain(..).rev()).collect();
                    ahead = reenter(worktree?, &rest)?.into_iter().rev().collect();
                }
                kind = ObjectType::Tree;
                continue;
            }
            _ => at.push(part),
        }
        let entry = tree.get_path(Path::new(&at.join("/"))).ok()?;
        if entry.filemode() == link_mode {
            hops += 1;
            if hops > MAX_HOPS {
                return None;
            }
            let target = repo.find_blob(entry.id()).ok()?;
            let target = std::str::from_utf8(target.content()).ok()?;
            at.pop();
            if target.starts_with('/') {
                // Absolute: back in only through the worktree, from the
                // root of the tree.
                let inside = reenter_absolute(worktree?, target)?;
                at.clear();
                ahead.extend(inside.into_iter().rev());
            } else {
                ahead.extend(target.split('/').rev().map(str::to_string));
            }
            kind = ObjectType::Tree;
        } else {
            kind = entry.kind()?;
        }
    }
    (!at.is_empty() && kind != ObjectType::Commit).then(|| (at.join("/"), kind))
}

/// `rest` (path parts, the first a `..` that climbs out of the root of the
/// worktree at `worktree`) as parts of a path in the worktree, when it
/// comes back into it.
fn reenter(worktree: &Path, rest: &[String]) -> Option<Vec<String>> {
    inside(worktree, &worktree.join(rest.join("/")))
}

/// An absolute `target` as parts of a path in the worktree at `worktree`,
/// when it leads into it.
fn reenter_absolute(worktree: &Path, target: &str) -> Option<Vec<String>> {
    inside(worktree, Path::new(target))
}

/// The parts of `path` (absolute), normalized lexically, below `worktree`,
/// when it is there.
fn inside(worktree: &Path, path: &Path) -> Option<Vec<String>> {
    let normal = repo::lexical_normal(path);
    let below = normal.strip_prefix(worktree).ok()?;
    let parts: Vec<String> =
        below.components().map(|c| c.as_os_str().to_str().map(str::to_string)).collect::<Option<_>>()?;
    (!parts.is_empty()).then_some(parts)
}
