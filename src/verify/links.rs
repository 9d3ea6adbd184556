//! Symbolic links the range added or changed. git stores a link as the
//! path it names, one line a person may write; but a checkout of HEAD puts
//! at the link's path the code it leads to, and that code runs, is
//! imported and is deployed from there. So a link is judged as the AI text
//! it brings, under the rules of its own path: AI code from an exempt path
//! (`vendor/`), or approved by someone the policy trusts there and not at
//! the link (`src/util/` and `src/payments/`), needs the sign-off the
//! link's path asks, as a copy of it would ([`crate::lineage`]'s copy
//! rule).
//!
//! The AI text is what the range's lineage says of the file the link leads
//! to (a link to a file, or to a directory: each file under it), at HEAD.
//! A link that leads out of the repository (an absolute path, or above its
//! root), to nothing, or round in a loop brings no code of the range.

use super::*;

/// How many links a path may go through, as the kernel allows (`ELOOP`).
const MAX_HOPS: usize = 40;

/// Judge the AI text that each link among `paths` (the range's touched
/// paths at HEAD) brings to its own path.
pub(super) fn check_links(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    paths: &[&String],
    report: &mut Report,
) -> Result<(), VerifyError> {
    let lineage = &range.lineage;
    let link_mode = i32::from(git2::FileMode::Link);
    // (where it stands through the link, the file it is, the link)
    let mut brought: Vec<(String, &String, &String)> = Vec::new();
    for &link in paths {
        if ends.head.get_path(Path::new(link.as_str())).map_or(true, |e| e.filemode() != link_mode) {
            continue;
        }
        let Some((to, kind)) = destination(repo, ends.head, link) else { continue };
        let under = format!("{to}/");
        let first = if kind == ObjectType::Tree { &under } else { &to };
        let files = lineage.files.range::<String, _>(first..).take_while(|(path, _)| match kind {
            ObjectType::Tree => path.starts_with(&under),
            _ => **path == to,
        });
        for (path, file) in files {
            let ai = file.tags.iter().any(|&t| lineage.is_ai(t)) || file.deletions.iter().any(|d| lineage.is_ai(d.tag));
            if ai && path != link {
                brought.push((format!("{link}{}", &path[to.len()..]), path, link));
            }
        }
    }
    let mut texts = Vec::new();
    for (at, path, link) in &brought {
        let file = &lineage.files[*path];
        let before = report.failures.len();
        if file.kind == VersionKind::Text {
            texts.push((TextFile { path: at, file, ai: ai_text(repo, judge, range, ends, path, file)? }, *link));
        } else {
            check_whole(repo, judge, range, at, file, report)?;
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

/// Say, on each failure from `from` on, through which link its text
/// stands there.
fn say_linked(report: &mut Report, from: usize, link: &str, path: &str) {
    for failure in &mut report.failures[from..] {
        failure.details.push(format!(
            "{} is a symbolic link to {}: the AI text it brings is judged under the rules of the link's path",
            crate::display::line(link),
            crate::display::line(path)
        ));
    }
}

/// Where the link at `link` leads in `tree`: the path of the entry it
/// names and that entry's kind, through any link on the way; `None` when
/// it leads out of the tree (an absolute path, or above the root), to
/// nothing, or through more than [`MAX_HOPS`] links.
fn destination(repo: &Repository, tree: &git2::Tree<'_>, link: &str) -> Option<(String, ObjectType)> {
    let link_mode = i32::from(git2::FileMode::Link);
    let mut ahead: Vec<String> = link.split('/').rev().map(str::to_string).collect();
    let mut at: Vec<String> = Vec::new();
    let mut hops = 0;
    let mut kind = ObjectType::Tree;
    while let Some(part) = ahead.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                at.pop()?;
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
            if target.starts_with('/') {
                return None;
            }
            at.pop();
            ahead.extend(target.split('/').rev().map(str::to_string));
            kind = ObjectType::Tree;
        } else {
            kind = entry.kind()?;
        }
    }
    (!at.is_empty() && kind != ObjectType::Commit).then(|| (at.join("/"), kind))
}
