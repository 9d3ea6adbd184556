//! Text BASE held at another path, which the range brings where it now
//! stands: a file renamed, or a copy of one whole. The range's lineage
//! follows AI text the range wrote; text that was BASE's is BASE's, and
//! needed nothing. But what an agent wrote under an exempt path (landed
//! there as the policy allows), or what a reviewer approved under one
//! path's rules, is still an agent's code when a person's later pull
//! request moves it where other rules hold: in one range the copy rule
//! ([`crate::lineage`]) and the link rule ([`super::links`]) catch it, and
//! two ranges must not be a way round them. So the lines such a file holds
//! unchanged from its source are blamed in BASE's history at the source's
//! path, and those history calls AI are AI here, judged under this path's
//! rules (an approval of the same text counts where its approver may
//! approve here: the path is not hashed into a fingerprint).
//!
//! Only files the range brings whole are followed (git's renames, and
//! copies byte for byte): a function copied out of one file into another
//! across two ranges is not, and neither is text a person restores from
//! BASE's older history (a revert of its removal).

use super::*;
use crate::provenance::Attribution;
use crate::store::history;

/// How many files brought from another path of BASE are blamed there, at
/// most (each is one `git blame`).
const MAX_BROUGHT_FILES: usize = 200;

/// The AI lines a text file of HEAD holds from another path of BASE.
pub(super) struct Brought {
    /// Where BASE held the text.
    pub from: String,
    /// Its lines that history calls AI there, as byte spans of HEAD's text.
    pub spans: Vec<(std::ops::Range<usize>, Attribution)>,
    /// What evidence of history says so (`trailer: claude`), each once.
    pub sources: Vec<String>,
    /// The range's commits that changed the file (brought it), in order.
    pub commits: Vec<String>,
}

impl Brought {
    /// What a failure about a unit of the file says of it.
    pub fn detail(&self) -> String {
        format!(
            "its text stood at {} at BASE, where history says an AI wrote lines of it ({}); the range brought it \
             here, where this path's rules hold",
            crate::display::line(&self.from),
            crate::display::line(&self.sources.join(", "))
        )
    }
}

/// The text files among `paths` (of HEAD, touched by the range) that BASE
/// lacks at their path and holds at another (renamed from it, or a copy of
/// it byte for byte), with the AI lines history gives them there.
pub(super) fn brought_ai(
    repo: &Repository,
    judge: &Judge<'_>,
    range: &Range,
    ends: &Ends<'_>,
    paths: &[&String],
) -> Result<HashMap<String, Brought>, VerifyError> {
    let mut out = HashMap::new();
    let candidates: Vec<(&String, Oid)> = paths
        .iter()
        .filter_map(|&path| {
            let file = range.lineage.files.get(path)?;
            (file.kind == VersionKind::Text && ends.base.get_path(Path::new(path)).is_err()).then_some((path, file.id))
        })
        .collect();
    if candidates.is_empty() {
        return Ok(out);
    }
    let renamed = ends.renames(repo);
    // BASE's blobs by id, read once when a new file is no rename.
    let mut copied: Option<HashMap<Oid, String>> = None;
    let base_rev = ends.base_commit.to_string();
    for (path, id) in candidates.into_iter().take(MAX_BROUGHT_FILES) {
        let from = match renamed.get(path.as_str()) {
            Some(from) => from.clone(),
            None => match copied.get_or_insert_with(|| blobs_of(ends.base)).get(&id) {
                Some(from) => from.clone(),
                None => continue,
            },
        };
        let blob = repo.find_blob(id).map_err(git(format!("read HEAD:{path}")))?;
        let text = blob.content();
        let origins = history::blame_contents(repo, &from, Some(&base_rev), text, judge.policy.bots())
            .map_err(|e| VerifyError::Unreadable { path: from.clone(), reason: e.to_string() })?;
        let lines = notes::line_spans(text);
        let mut sources: Vec<String> = Vec::new();
        let mut spans = Vec::new();
        for origin in origins.iter().filter(|o| o.attribution.is_ai()) {
            let Some(line) = lines.get((origin.line as usize).wrapping_sub(1)) else { continue };
            spans.push((line.clone(), origin.attribution.clone()));
            if let Some(source) = &origin.source
                && !sources.contains(source)
            {
                sources.push(source.clone());
            }
        }
        if !spans.is_empty() {
            let commits = range
                .commits
                .iter()
                .filter(|c| range.changed.get(c).is_some_and(|paths| paths.contains(path)))
                .map(Oid::to_string)
                .collect();
            out.insert(path.clone(), Brought { from, spans, sources, commits });
        }
    }
    Ok(out)
}

/// The path of each blob `tree` holds (the first in tree order).
fn blobs_of(tree: &git2::Tree<'_>) -> HashMap<Oid, String> {
    let mut out = HashMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob)
            && let Some(name) = entry.name()
        {
            out.entry(entry.id()).or_insert_with(|| format!("{dir}{name}"));
        }
        git2::TreeWalkResult::Ok
    })
    .ok();
    out
}
