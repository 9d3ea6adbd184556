//! The post-commit hook: the provenance note on the commit just made, and
//! the journal records it covers retired; and the prepare-commit-msg hook,
//! which keeps what the commit comes from for it.
//!
//! For each file the commit added or changed, the journal's view of the
//! committed version gives its AI text; the note records, per origin, the
//! AI lines among the lines this commit added (older lines are covered by
//! the notes of the commits that added them, which blame finds), with the
//! ids of the approvals of the units that hold them and the rationale of
//! their latest request. Reading no blame keeps the hook quick.
//!
//! A commit made from other commits takes their AI lines too (see
//! [`crate::store::derive`]): a local squash merge (the commits git's
//! squash message lists, kept by prepare-commit-msg, since git removes
//! `SQUASH_MSG` before post-commit), a cherry-pick (`CHERRY_PICK_HEAD`, the
//! `-x` line, else the patch id), and a re-commit of text whose commit left
//! HEAD's history (a reset, a checkout of an older commit). A commit whose
//! trailer names an AI tool, or whose author is a bot, has every line it
//! added noted as AI with `history` evidence, the tool named.
//!
//! The `no-ai` attestation is written only when vouch knows: a commit with
//! no AI text found, none of whose lines came from a commit no vouch note
//! attests, whose sources were all found. A cherry-pick whose source is not
//! found, or a squash of commits vouch never saw, gets no `no-ai` (its
//! origin is unknown); a rebase's commits get their notes from the
//! post-rewrite hook.
//!
//! A journal record retires when all of its AI text is in the commit,
//! unchanged: text left out (partial staging, a stash) keeps its record, so
//! its provenance is still known when it is committed later. Records of a
//! person's mark that text is human-written are kept while they last.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use anyhow::Context as _;
use git2::Oid;

use super::Outcome;
use super::context::Context;
use super::gate_cache::{CachedMode, CachedRemoval, CachedUnit, GateCache};
use super::gitfiles;
use crate::analysis::attribution::{self, FileVersion, Views};
use crate::policy::Policy;
use crate::provenance::{AiDeletion, AiSource, Attribution, Evidence, Origin, Spans};
use crate::signoff::Ledger;
use crate::store::derive::{self, Derived, Sources};
use crate::store::journal::{Journal, Loaded, RecordId};
use crate::store::notes::{self, FileRecord, NoteRecord};
use crate::store::policy_file::Source;
use crate::syntax::Content;

pub fn post_commit() -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    // Tool calls long gone whose record never came are settled first: what
    // they changed may be what this commit holds.
    let settled = super::hook::settle_orphans(repo, None);
    // And commits whose note waited for calls no longer in flight (the
    // hook after a call may have run in another repository's directory).
    super::hook::note_deferred(repo);
    let head = repo.head().context("cannot read HEAD")?.peel_to_commit().context("HEAD is not a commit")?;
    catch_up(&ctx, &head);
    let (action, before) = repo
        .reflog("HEAD")
        .ok()
        .and_then(|log| log.get(0).map(|e| (e.message().unwrap_or_default().to_string(), e.id_old())))
        .unwrap_or((String::new(), Oid::zero()));
    let prepared = Prepared::take(repo).filter(|p| p.head.as_deref() == Some(before.to_string().as_str()));
    // A rebased commit's text comes from another commit, whose note the
    // post-rewrite hook carries over: it attests nothing new.
    let rebased = action.starts_with("rebase");
    let picking = action.starts_with("cherry-pick");
    let bots = match ctx.policy(&Source::Commit(head.id().to_string())) {
        Ok(policy) => policy.bots().to_vec(),
        Err(_) => Vec::new(),
    };
    let mut sources = Sources::default();
    // An amended commit holds what the commit it replaces held, whose note
    // the post-rewrite hook carries over: when that one has none (made
    // where git's hooks did not run, a no-ai note taken back), nothing
    // attests it, and an amend does not make it so.
    let mut source_unknown = action.starts_with("commit (amend)")
        && !before.is_zero()
        && notes::read_note(repo, before).context("cannot read the amended commit's note")?.is_none();
    if !rebased {
        if let Some(prepared) = &prepared {
            prepared.add_to(repo, &mut sources);
        }
        sources.add_from_message(repo, &String::from_utf8_lossy(head.message_bytes()));
        if picking && sources.picked.is_empty() {
            match notes::find_source(repo, head.id()).context("cannot find the cherry-picked commit")? {
                Some(source) => sources.picked.push(source),
                None => source_unknown = true,
            }
        }
        sources.add_left(repo).context("cannot read which commits left HEAD's history")?;
        // Files taken whole from a branch no worktree's HEAD was on.
        let parent = head.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read the parent's tree")?;
        let tree = head.tree().context("cannot read the commit's tree")?;
        let changes =
            crate::store::tree_diff::changes(repo, parent.as_ref(), &tree).context("cannot diff the commit")?;
        let files: Vec<(String, git2::Oid)> =
            changes.changes.into_iter().filter_map(|c| Some((c.path, c.new?.0))).collect();
        sources.add_fetched(repo, &files).context("cannot read the branches the commit's files may come from")?;
        // A revert of a commit of HEAD's own history takes its text from
        // there, not from a branch left behind: a person's revert of their
        // own commit is no copy of an AI's removal of the same lines.
        let reverts_own = notes::reverted(head.message_bytes())
            .and_then(|rev| repo.revparse_single(&rev).and_then(|o| o.peel_to_commit()).ok())
            .is_some_and(|x| {
                head.parent_ids().any(|p| p == x.id() || repo.graph_descendant_of(p, x.id()).unwrap_or(false))
            });
        if reverts_own {
            sources.switched.clear();
        }
    }
    let cache = GateCache::take(repo, &head).unwrap_or_default();
    let (mut records, retire, unknown) = records_for(&ctx, &head, &cache, &sources, &bots)?;
    // A commit that declares AI as a whole (a trailer, a bot author) is
    // never attested "no AI", even where none of its own claims became a
    // file record (a symbolic link it added: no text lines to note).
    let declared = crate::store::history::commit_declaration(&head, &bots).is_some();
    // Nor is one that commits what a command changed unrecorded, nor one
    // made while a damaged part of the journal is set aside (a commit the
    // gate, which refuses then, did not run for): what it held is unknown.
    let unrecorded = crate::store::unrecorded::touched_by(repo, &head);
    let damaged = Journal::damaged(repo);
    let known = !rebased && !source_unknown && !unknown && !declared && !unrecorded && !damaged;
    // A settled call may have noted this commit already.
    let noted = settled && notes::read_note(repo, head.id()).context("cannot read the commit's note")?.is_some();
    // A tool call in flight may have written what it holds: the note is
    // finished when the call's record comes ([`super::hook::note_deferred`]);
    // until then it names the AI records it has (kept now: another commit
    // may cover them first) and attests nothing else, the call's text
    // among it.
    let in_flight = match known && !noted {
        true => super::hook::call_in_flight(repo, &head),
        false => None,
    };
    let whole = known && in_flight.is_none();
    if let Some(before) = in_flight {
        match crate::store::deferred::add(repo, head.id(), &before) {
            Ok(()) => eprintln!(
                "vouch: an agent's tool call is in flight; this commit is noted when its record comes \
                 (unattested until then)"
            ),
            Err(e) => eprintln!("vouch: warning: cannot keep that this commit's note waits: {e}"),
        }
    } else if records.is_empty() && known && !noted {
        records.push(NoteRecord::NoAi);
    }
    // What vouch knew of the commit was not whole: its AI records are
    // noted, and nothing else is attested (the rest stays unknown).
    if !records.is_empty() && !whole && !rebased && !declared {
        records.push(NoteRecord::Partial);
    }
    if !records.is_empty() {
        // AI records stay in the journal until a note covers them, and a
        // rebuild writes them from there once what stopped the write is
        // fixed; "no AI" only this hook may say, as the commit is made.
        let short = &head.id().to_string()[..10];
        let again = match records.iter().any(|r| matches!(r, NoteRecord::File(_))) {
            true => format!("once what stopped it is fixed, vouch notes rebuild {short} writes it"),
            false => "the commit stays unattested: its \"no AI\" cannot be written later".to_string(),
        };
        notes::write_note(repo, head.id(), &records)
            .with_context(|| format!("cannot write the vouch note of commit {short} ({again})"))?;
    }
    retire_covered(repo, &retire, head.id())?;
    Ok(Outcome::Ok)
}

/// The file records of `commit`'s note: the AI text and removals of the
/// journal (as the gate's `cache` saw them, else read again), what its
/// `sources` carry, and its own claims; the journal records they cover;
/// and whether some of its lines came from a commit no vouch note attests.
fn records_for(
    ctx: &Context,
    commit: &git2::Commit<'_>,
    cache: &GateCache,
    sources: &Sources,
    bots: &[String],
) -> anyhow::Result<(Vec<NoteRecord>, Vec<RecordId>, bool)> {
    // One diff of the commit serves the note and what its sources carry.
    let (committed, raw) = gitfiles::committed_both(&ctx.repo, commit)?;
    let mut note = note_for(ctx, commit, cache, &committed)?;
    let derived = derived_for(ctx, commit, sources, bots, &committed, &raw)?;
    let removals = removals(ctx, commit, cache)?;
    note.retire.extend(removals.retire);
    let modes = modes(ctx, commit, cache)?;
    note.retire.extend(modes.retire);
    let mut files = note.files;
    files.extend(removals.records);
    files.extend(modes.records);
    add_uncovered(&mut files, derived.records);
    add_uncovered(&mut files, derived.own);
    let records = notes::merge_records(files).into_iter().map(NoteRecord::File).collect();
    Ok((records, note.retire, derived.unknown))
}

/// Retire the journal records `commit`'s note covers.
fn retire_covered(repo: &git2::Repository, retire: &[RecordId], commit: Oid) -> anyhow::Result<()> {
    if retire.is_empty() {
        return Ok(());
    }
    let journal = Journal::open(repo).context("cannot open the journal")?;
    journal.retire(retire, commit).context("cannot retire the journal records the note covers")?;
    super::context::tidy_journal(&journal, repo);
    Ok(())
}

/// The most commits made during one tool call that are noted again.
const MAX_NOTED_AGAIN: usize = 100;

/// Where HEAD and its reflog stood before a command ran: what the reflog
/// gains after it is what the command did.
#[derive(Debug, Clone, Default)]
pub struct ReflogMark {
    pub head: Option<Oid>,
    /// How many entries HEAD's reflog had; `None` when not known (a
    /// snapshot taken by an older vouch).
    pub entries: Option<usize>,
    /// When (seconds since the epoch), if known.
    pub since: Option<i64>,
    /// What the branches and remote-tracking branches pointed to
    /// ([`crate::store::snapshot::branch_tips`]): commits they reach were
    /// there before.
    pub tips: Vec<Oid>,
}

impl ReflogMark {
    pub fn now(repo: &git2::Repository) -> ReflogMark {
        ReflogMark {
            head: crate::store::repo::head_commit(repo),
            entries: repo.reflog("HEAD").ok().map(|log| log.len()),
            since: Some(crate::store::snapshot::epoch_seconds()),
            tips: crate::store::snapshot::branch_tips(repo),
        }
    }
}

/// The commits made while a command ran, oldest first, from what HEAD's
/// reflog gained since `mark` (whatever HEAD did meanwhile: a branch of its
/// own and back, a rebase): `own`, by `git commit` (what they add is what
/// the command wrote or staged), and `copies`, that a rebase, a pull's
/// rebase, a cherry-pick, a revert or `git am` made of those (a rebase
/// copies the note of the commit it copies, which the command may have
/// just made); and `merges`, the merge commits it made (`git merge`, `git
/// pull`, or `git commit` concluding a merge), of which only what neither
/// parent has is its own (a conflict it resolved). A copy of someone
/// else's commit (a teammate's commit cherry-picked) is none of these:
/// what it brings is others' work.
#[derive(Debug, Default)]
pub struct Made {
    pub own: Vec<Oid>,
    pub copies: Vec<Oid>,
    pub merges: Vec<Oid>,
    /// The copies it made of commits it did not make here: a teammate's,
    /// or one it made in another worktree ([`note_copies`]).
    pub foreign: Vec<Oid>,
}

impl Made {
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.copies.is_empty() && self.merges.is_empty()
    }

    /// Every kind, oldest first.
    pub fn all(&self, repo: &git2::Repository) -> Vec<Oid> {
        let mut all: Vec<Oid> = self.own.iter().chain(&self.copies).chain(&self.merges).copied().collect();
        all.sort_by_cached_key(|&oid| repo.find_commit(oid).map(|c| c.committer().when().seconds()).unwrap_or(0));
        all
    }
}

pub fn commits_made(repo: &git2::Repository, mark: &ReflogMark) -> Made {
    let mut made = Made::default();
    let Ok(log) = repo.reflog("HEAD") else { return made };
    // The entries since the mark, newest first; without a count, back to
    // where HEAD was (which a branch started there passes on the way).
    let gained = match mark.entries {
        Some(before) if log.len() >= before => log.len() - before,
        _ => log.iter().position(|e| Some(e.id_new()) == mark.head).unwrap_or(log.len()),
    };
    // Where other moves took HEAD, walked once every entry that says what
    // made its commit is read: a rebase's last entry (`rebase (finish)`)
    // reaches the copies its picks made, which are copies, not commits the
    // command made with plumbing.
    let mut reached = Vec::new();
    for entry in log.iter().take(gained.min(MAX_NOTED_AGAIN * 4)) {
        let oid = entry.id_new();
        if made.own.contains(&oid) || made.copies.contains(&oid) || made.merges.contains(&oid) {
            continue;
        }
        let message = entry.message().unwrap_or_default();
        let action = message.split(':').next().unwrap_or_default();
        let merge = repo.find_commit(oid).is_ok_and(|c| c.parent_count() > 1);
        if action.starts_with("commit") {
            if merge { made.merges.push(oid) } else { made.own.push(oid) }
        } else if merge && message.contains(": Merge made by") {
            // A merge `git merge` or `git pull` made, not one a checkout, a
            // reset or a fast-forward moved HEAD to.
            made.merges.push(oid);
        } else if !merge
            && (["cherry-pick", "revert", "am"].contains(&action)
                || ["(pick)", "(reword)", "(edit)", "(squash)", "(fixup)", "(continue)"]
                    .iter()
                    .any(|a| action.ends_with(a)))
        {
            made.copies.push(oid);
        } else {
            // A reset, an update-ref, a fast-forward or a checkout: to
            // commits the command made with plumbing (`git commit-tree`),
            // if any.
            reached.push(oid);
        }
    }
    // A reflog shorter than at the mark was emptied or rewritten meanwhile
    // (`git reflog expire`): the commits HEAD reached since, made after the
    // mark, are the command's too.
    if let (Some(before), Some(head)) = (mark.entries, crate::store::repo::head_commit(repo))
        && log.len() < before
    {
        reached.push(head);
    }
    if let Some(since) = mark.since
        && !reached.is_empty()
    {
        let me = crate::store::identity::user(repo).ok().map(|i| i.email);
        for tip in reached {
            reached_since(repo, tip, mark, since, me.as_deref(), &mut made);
        }
    }
    made.own.reverse();
    made.copies.reverse();
    made.merges.reverse();
    made.own.truncate(MAX_NOTED_AGAIN);
    made.copies.truncate(MAX_NOTED_AGAIN);
    made.merges.truncate(MAX_NOTED_AGAIN);
    // A copy of the command's own work changes mostly what its own commits
    // changed (adds what they added, removes what they removed).
    let own: HashSet<(char, String, Vec<u8>)> = made.own.iter().flat_map(|&oid| changed_lines(repo, oid)).collect();
    let (copies, foreign) = made.copies.iter().partition(|&&oid| copies_mostly(&changed_lines(repo, oid), &own));
    (made.copies, made.foreign) = (copies, foreign);
    made
}

/// Whether a commit that changes `changed` ([`changed_lines`]) changes
/// mostly lines of `of`.
fn copies_mostly(changed: &HashSet<(char, String, Vec<u8>)>, of: &HashSet<(char, String, Vec<u8>)>) -> bool {
    !changed.is_empty() && 2 * changed.iter().filter(|l| of.contains(*l)).count() >= changed.len()
}

/// Note again `copies` (a command's cherry-picks, reverts and the like of
/// commits it did not make in this worktree: [`Made::foreign`]) that copy
/// one of `sources` (commits the command made in another worktree, noted
/// again by now): each from the commit whose changes it mostly makes, as the
/// post-commit hook of its pick would have had that commit's note said
/// what the command wrote. Returns the copies whose notes changed.
pub fn note_copies(ctx: &Context, copies: &[Oid], sources: &[Oid]) -> anyhow::Result<Vec<Oid>> {
    let repo = &ctx.repo;
    let mut changed = Vec::new();
    for &copy in copies {
        let lines = changed_lines(repo, copy);
        let Some(&source) = sources.iter().find(|&&s| copies_mostly(&lines, &changed_lines(repo, s))) else {
            continue;
        };
        let Ok(commit) = repo.find_commit(copy) else { continue };
        let bots = ctx.policy(&Source::Commit(copy.to_string())).map(|p| p.bots().to_vec()).unwrap_or_default();
        let sources = Sources { picked: vec![source], ..Sources::default() };
        let (records, _, _) = records_for(ctx, &commit, &GateCache::default(), &sources, &bots)?;
        if records.is_empty() {
            continue;
        }
        let mut all: Vec<NoteRecord> = notes::read_note(repo, copy)?.unwrap_or_default();
        all.retain(|r| !matches!(r, NoteRecord::NoAi));
        all.extend(records);
        notes::replace_note(repo, copy, &all).with_context(|| format!("cannot write the vouch note on {copy}"))?;
        changed.push(copy);
    }
    Ok(changed)
}

/// A command that ran with no snapshot to mark where HEAD's reflog stood
/// began at `since` (as its agent's transcript says): the commits it made,
/// in any worktree of the repository, that git's post-commit hook noted
/// "no AI" meanwhile, before anything could record what the command wrote,
/// lose that note (unattested, never human). Returns them.
pub fn take_back_no_ai(repo: &git2::Repository, since: i64) -> anyhow::Result<Vec<Oid>> {
    let mut taken = Vec::new();
    for oid in commits_made_since(repo, since) {
        let note = notes::read_note(repo, oid)?.unwrap_or_default();
        if !note.is_empty() && note.iter().all(|r| matches!(r, NoteRecord::NoAi)) {
            notes::replace_note(repo, oid, &[]).with_context(|| format!("cannot take back the note on {oid}"))?;
            taken.push(oid);
        }
    }
    Ok(taken)
}

/// The commits made since `since` (seconds since the epoch) in any worktree
/// of the repository, as HEAD's reflogs gained them ([`commits_made`]).
pub fn commits_made_since(repo: &git2::Repository, since: i64) -> Vec<Oid> {
    let others = crate::store::snapshot::other_worktrees(repo);
    let mut out = Vec::new();
    // In every worktree of the repository: a command may have gone to
    // another one to commit.
    for wt in std::iter::once(repo).chain(others.iter().map(|(_, wt)| wt)) {
        // One worktree whose reflog cannot be read keeps the others from
        // nothing.
        let Ok(log) = wt.reflog("HEAD") else {
            eprintln!(
                "vouch: warning: cannot read HEAD's reflog in {}",
                crate::display::line(&wt.path().display().to_string())
            );
            continue;
        };
        let gained = log.iter().take_while(|e| e.committer().when().seconds() >= since - 1).count();
        let mark = ReflogMark { head: None, entries: Some(log.len() - gained), since: Some(since), tips: Vec::new() };
        out.extend(commits_made(wt, &mark).all(wt));
    }
    out
}

/// Adds to `made` the commits `tip` reaches that nothing at `mark` did
/// (HEAD, the branches), made since `since` (newest first, as the
/// reflog's) by `me`, this clone's git identity: a command's own, however
/// HEAD got to them. A teammate's commit a fetch brought, however new, is
/// not.
fn reached_since(repo: &git2::Repository, tip: Oid, mark: &ReflogMark, since: i64, me: Option<&str>, made: &mut Made) {
    let Ok(mut walk) = repo.revwalk() else { return };
    if walk.push(tip).is_err() || walk.set_sorting(git2::Sort::TIME).is_err() {
        return;
    }
    for &then in mark.head.iter().chain(&mark.tips) {
        let _ = walk.hide(then);
    }
    for oid in walk.flatten().take(MAX_NOTED_AGAIN) {
        let Ok(commit) = repo.find_commit(oid) else { continue };
        if commit.committer().when().seconds() < since - 1 {
            break;
        }
        let committer = String::from_utf8_lossy(commit.committer().email_bytes()).into_owned();
        if me.is_some_and(|me| !me.eq_ignore_ascii_case(&committer))
            || made.own.contains(&oid)
            || made.copies.contains(&oid)
            || made.merges.contains(&oid)
        {
            continue;
        }
        if commit.parent_count() > 1 { made.merges.push(oid) } else { made.own.push(oid) }
    }
}

/// `made`, what [`commits_made`] found in `repo`'s worktree, with what it
/// finds in the repository's other worktrees (since the reflog lengths
/// `others`, by path, and `mark`'s time and branches; a worktree not there
/// is new; those at the paths `skip` left out, their caller reads them):
/// the command's own commits and merges (for
/// [`super::agent_record::record_committed`]), and every commit to note
/// again.
pub fn commits_made_everywhere(
    repo: &git2::Repository,
    made: &Made,
    mark: &ReflogMark,
    others: &std::collections::BTreeMap<std::path::PathBuf, usize>,
    skip: &[std::path::PathBuf],
) -> (Vec<Oid>, Vec<Oid>) {
    let (mut own, mut all) = (made.own.iter().chain(&made.merges).copied().collect::<Vec<_>>(), made.all(repo));
    for (path, wt) in crate::store::snapshot::other_worktrees(repo) {
        if skip.contains(&path) {
            continue;
        }
        let entries = Some(others.get(&path).copied().unwrap_or(0));
        let mark = ReflogMark { head: None, entries, ..mark.clone() };
        let there = commits_made(&wt, &mark);
        own.extend(there.own.iter().chain(&there.merges).copied());
        all.extend(there.all(&wt));
    }
    (own, all)
}

/// The lines `oid` adds (`+`) and removes (`-`) against its first parent,
/// by path.
fn changed_lines(repo: &git2::Repository, oid: Oid) -> HashSet<(char, String, Vec<u8>)> {
    let mut out = HashSet::new();
    let Ok(commit) = repo.find_commit(oid) else { return out };
    let (Ok(tree), parent) = (commit.tree(), commit.parent(0).ok().and_then(|p| p.tree().ok())) else { return out };
    let Ok(diff) = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None) else { return out };
    let _ = diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _, line| {
            let file = if line.origin() == '-' { delta.old_file() } else { delta.new_file() };
            if matches!(line.origin(), '+' | '-')
                && let Some(path) = file.path().and_then(|p| p.to_str())
            {
                out.insert((line.origin(), path.to_string(), line.content().to_vec()));
            }
            true
        }),
    );
    out
}

/// Note again `made`, commits a command made (oldest first): an agent's
/// shell command that commits its own work runs git's post-commit hook
/// before the hook after the command records what the command changed, so
/// those commits were noted without it (and a rebase within the command
/// copied that note). Their notes gain the AI text and removals the journal
/// now holds (a `no-ai` attestation gives way). Returns the commits whose
/// notes changed, oldest first.
pub fn note_again(ctx: &Context, made: &[Oid]) -> anyhow::Result<Vec<Oid>> {
    note_again_knowing(ctx, made, true)
}

/// [`note_again`]; `whole`: whether what vouch knew of those commits is
/// whole (else their notes attest nothing but the AI records: a journal
/// segment was set aside as damaged, a command changed files unrecorded).
pub fn note_again_knowing(ctx: &Context, made: &[Oid], whole: bool) -> anyhow::Result<Vec<Oid>> {
    let repo = &ctx.repo;
    let whole = whole && !Journal::damaged(repo);
    // Every note is worked out before any journal record is retired: a
    // commit and its copy (a rebase's) bring the same records.
    let mut noted = Vec::new();
    for &oid in made {
        let Ok(commit) = repo.find_commit(oid) else { continue };
        let bots = ctx.policy(&Source::Commit(oid.to_string())).map(|p| p.bots().to_vec()).unwrap_or_default();
        let (records, retire, _) = records_for(ctx, &commit, &GateCache::default(), &Sources::default(), &bots)?;
        if !records.is_empty() {
            noted.push((oid, records, retire));
        }
    }
    for (oid, records, _) in &noted {
        let mut all: Vec<NoteRecord> = notes::read_note(repo, *oid)?.unwrap_or_default();
        all.retain(|r| !matches!(r, NoteRecord::NoAi));
        all.extend(records.iter().cloned());
        if !whole && !all.contains(&NoteRecord::Partial) {
            all.push(NoteRecord::Partial);
        }
        notes::replace_note(repo, *oid, &all).with_context(|| format!("cannot write the vouch note on {oid}"))?;
    }
    // Oldest first, as they were made: the last commit that covers a
    // record is the one it is retired by.
    for (oid, _, retire) in &noted {
        retire_covered(repo, retire, *oid)?;
    }
    Ok(noted.into_iter().map(|(oid, _, _)| oid).collect())
}

/// The most commits [`note_unnoted`] looks at, from HEAD back.
const MAX_UNNOTED_WALK: usize = 1_000;

/// Note the commits HEAD reaches that carry no vouch note and hold text or
/// removals this worktree's journal still holds as an AI's: commits made
/// where git's hooks did not run (a clone where `vouch init` has not run,
/// though the agents' hooks came with the repository; `core.hooksPath`
/// pointed elsewhere; a client that runs no hooks). Only commits made since
/// the journal's oldest live record can hold what it records, and at most
/// [`MAX_UNNOTED_WALK`] are looked at; merges are left out. A commit the
/// journal says nothing of keeps no note: unattested, never "no AI".
/// Returns the commits noted, oldest first.
pub fn note_unnoted(ctx: &Context) -> anyhow::Result<Vec<Oid>> {
    let repo = &ctx.repo;
    let (_, loaded) = ctx.journal()?;
    let Some(oldest) = loaded.live().map(|r| r.time.unix_timestamp()).min() else { return Ok(Vec::new()) };
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else { return Ok(Vec::new()) };
    let mut walk = repo.revwalk().context("cannot walk HEAD's history")?;
    walk.set_sorting(git2::Sort::TIME).context("cannot walk HEAD's history")?;
    walk.push(head.id()).context("cannot walk HEAD's history")?;
    let mut since = Vec::new();
    for oid in walk.take(MAX_UNNOTED_WALK) {
        let commit = repo.find_commit(oid.context("cannot walk HEAD's history")?)?;
        // Newest first: the rest were made before anything the journal holds.
        if commit.committer().when().seconds() < oldest - 1 {
            break;
        }
        since.push(commit.id());
    }
    since.reverse();
    unnoted_in(ctx, &loaded, &since)
}

/// How many commits before it the post-commit hook looks at for one whose
/// own hook did not finish.
const MAX_CATCH_UP: usize = 20;

/// Note the commits right before `head` (its first parents, back to one
/// that has a note or is a merge) that have none, from the journal, as
/// [`unnoted_in`] does: their post-commit hook did not finish (killed, the
/// machine off), and their records are live still. One note read when the
/// commit before has its note, as it has in ordinary work.
fn catch_up(ctx: &Context, head: &git2::Commit<'_>) {
    let repo = &ctx.repo;
    let mut missing = Vec::new();
    let mut at = head.parent(0).ok();
    while let Some(commit) = at.filter(|c| c.parent_count() <= 1 && missing.len() < MAX_CATCH_UP) {
        if !matches!(notes::read_note(repo, commit.id()), Ok(None)) {
            break;
        }
        missing.push(commit.id());
        at = commit.parent(0).ok();
    }
    if missing.is_empty() {
        return;
    }
    missing.reverse();
    match ctx.journal().and_then(|(_, loaded)| unnoted_in(ctx, &loaded, &missing)) {
        Ok(noted) if noted.is_empty() => {}
        Ok(noted) => eprintln!(
            "vouch: {} earlier commit(s) had no note (their post-commit hook did not finish): noted from the journal",
            noted.len()
        ),
        Err(e) => eprintln!(
            "vouch: warning: cannot note the earlier commits that have none: {}",
            crate::display::line(&format!("{e:#}"))
        ),
    }
}

/// Note those of `commits` (oldest first) that have no vouch note, are no
/// merges, were made in this clone (by its git identity, since the oldest
/// record of `loaded`, this worktree's journal) and hold what the journal
/// records as an AI's: what [`note_unnoted`] and `vouch notes rebuild` do
/// for commits made where git's hooks did not run. A teammate's commit
/// fetched is not this journal's to note, even where it adds lines at the
/// place of a record. Returns the commits noted.
pub fn unnoted_in(ctx: &Context, loaded: &Loaded, commits: &[Oid]) -> anyhow::Result<Vec<Oid>> {
    let repo = &ctx.repo;
    let paths: HashSet<&str> = loaded.live().filter_map(|r| r.path()).collect();
    let oldest = loaded.live().map(|r| r.time.unix_timestamp()).min();
    let me = crate::store::identity::user(repo).ok().map(|i| i.email);
    let (Some(oldest), Some(me)) = (oldest, me) else { return Ok(Vec::new()) };
    let mut touching = Vec::new();
    for &oid in commits {
        let commit = repo.find_commit(oid)?;
        let committer = String::from_utf8_lossy(commit.committer().email_bytes()).into_owned();
        if commit.parent_count() > 1
            || commit.committer().when().seconds() < oldest - 1
            || !committer.eq_ignore_ascii_case(&me)
            || notes::read_note(repo, oid)?.is_some()
        {
            continue;
        }
        // Only a commit that changes a file the journal knows can hold its
        // records: one tree diff spares the rest the note's work.
        let parent = commit.parents().next().map(|p| p.tree()).transpose()?;
        let changed = crate::store::tree_diff::changes(repo, parent.as_ref(), &commit.tree()?)?;
        if changed.changes.iter().any(|c| paths.contains(c.path.as_str())) {
            touching.push(oid);
        }
    }
    note_again(ctx, &touching)
}

/// git's prepare-commit-msg hook: what the commit about to be made comes
/// from (a squash merge's commits, the commit being cherry-picked), kept
/// for the post-commit hook. git removes `SQUASH_MSG` and
/// `CHERRY_PICK_HEAD` before the post-commit hook runs, and the pre-commit
/// hook does not run for `git commit --no-verify`; this hook runs for every
/// commit.
pub fn prepare_commit_msg() -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    let git_dir = repo.path();
    let mut sources = Sources::default();
    if let Ok(text) = std::fs::read_to_string(git_dir.join("SQUASH_MSG")) {
        sources.add_from_message(repo, &text);
    }
    if let Ok(text) = std::fs::read_to_string(git_dir.join("CHERRY_PICK_HEAD")) {
        sources.add_picked(repo, text.trim());
    }
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok()).map(|c| c.id().to_string());
    Prepared {
        v: PREPARED_VERSION,
        head,
        squashed: sources.squashed.iter().map(Oid::to_string).collect(),
        picked: sources.picked.iter().map(Oid::to_string).collect(),
        missing: sources.missing,
    }
    .write(repo);
    Ok(Outcome::Ok)
}

const PREPARED_VERSION: u32 = 1;

/// What the prepare-commit-msg hook found, for the post-commit hook; at
/// `<worktree git dir>/vouch/commit-sources.json`. Used only by the commit
/// made on top of `head`, the HEAD it saw.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Prepared {
    v: u32,
    head: Option<String>,
    squashed: Vec<String>,
    picked: Vec<String>,
    missing: Vec<String>,
}

impl Prepared {
    fn file(repo: &git2::Repository) -> std::path::PathBuf {
        crate::store::repo::git_dir(repo).join("vouch").join("commit-sources.json")
    }

    /// Write it; a file with nothing to say is removed instead. Failing
    /// costs the post-commit hook its sources: it then writes no `no-ai`
    /// for a commit whose message names a squash or a pick, and treats
    /// the rest as ordinary commits.
    fn write(&self, repo: &git2::Repository) {
        let file = Self::file(repo);
        if self.squashed.is_empty() && self.picked.is_empty() && self.missing.is_empty() {
            let _ = std::fs::remove_file(&file);
            return;
        }
        if let Ok(bytes) = serde_json::to_vec(self)
            && let Err(e) = crate::store::write_atomic(&file, &bytes)
        {
            eprintln!("vouch: warning: cannot keep the commit's sources in {}: {e}", file.display());
        }
    }

    /// Read and remove it.
    fn take(repo: &git2::Repository) -> Option<Prepared> {
        let file = Self::file(repo);
        let bytes = std::fs::read(&file).ok()?;
        let _ = std::fs::remove_file(&file);
        serde_json::from_slice::<Prepared>(&bytes).ok().filter(|p| p.v == PREPARED_VERSION)
    }

    fn add_to(&self, repo: &git2::Repository, sources: &mut Sources) {
        for id in &self.squashed {
            sources.add_squashed(repo, id);
        }
        for id in &self.picked {
            sources.add_picked(repo, id);
        }
        sources.missing.extend(self.missing.iter().cloned());
    }
}

/// What a commit's sources and its own trailer or author say of it.
struct DerivedNote {
    /// The sources' AI lines among the lines the commit added.
    records: Vec<FileRecord>,
    /// The commit's own claims (a trailer naming an AI tool, a bot author,
    /// a git-ai note): the lines it added.
    own: Vec<FileRecord>,
    /// Some of its lines came from a commit no vouch note attests, or a
    /// source could not be found.
    unknown: bool,
}

/// The records `commit` takes from `sources` and from itself.
fn derived_for(
    ctx: &Context,
    commit: &git2::Commit<'_>,
    sources: &Sources,
    bots: &[String],
    committed: &[gitfiles::Changed],
    raw: &[derive::Changed],
) -> anyhow::Result<DerivedNote> {
    let repo = &ctx.repo;
    let own = derive::own_claims(repo, commit.id(), bots)
        .with_context(|| format!("cannot read what commit {} says of itself", commit.id()))?;
    let mut out = DerivedNote { records: Vec::new(), own, unknown: false };
    if sources.is_empty() {
        return Ok(out);
    }
    // Renamed files' old paths too: the sources' records of them are the
    // renamed files'. A picked or squashed commit's file the branch renamed
    // since (git applies the change at the new path) is that file too.
    let onto = commit.parent(0).and_then(|p| p.tree()).map(|t| sources.renamed_onto(repo, &t)).unwrap_or_default();
    let raw: Vec<derive::Changed> = raw
        .iter()
        .cloned()
        .map(|mut c| {
            if c.from.is_none() {
                c.from = onto.iter().find(|(_, new)| **new == c.path).map(|(old, _)| old.clone());
            }
            c
        })
        .collect();
    let paths: HashSet<String> = committed
        .iter()
        .flat_map(|c| std::iter::once(&c.path).chain(&c.from))
        .chain(raw.iter().filter_map(|c| c.from.as_ref()))
        .cloned()
        .collect();
    let derived =
        Derived::load(repo, sources, bots, Some(&paths), true).context("cannot read the commits it came from")?;
    let carried = derived.carry_onto_files(repo, &raw).context("cannot read the commits it came from")?;
    out.unknown = derived.unattested() || carried.unknown;
    out.records = carried.records;
    // A file the commit removes that a source removed with an AI claim
    // (the commit is diffed for its removals only when a source has one).
    out.records.extend(derived.removals_onto(repo, commit).context("cannot read the files the commit removes")?);
    // And a change of a file's mode a source's AI made, which the commit
    // makes too (a pick of an agent's `chmod`).
    out.records.extend(derived.modes_onto(repo, commit).context("cannot read the modes the commit sets")?);
    Ok(out)
}

/// Add to `files` the lines (and places of AI deletions) of `more` that no
/// record in `files` has for the same file version yet: one origin per
/// line, the first one found.
fn add_uncovered(files: &mut Vec<FileRecord>, more: Vec<FileRecord>) {
    for mut record in more {
        let taken = notes::merge_line_ranges(
            files.iter().filter(|f| f.path == record.path && f.blob == record.blob).flat_map(|f| f.ai.clone()),
        );
        record.ai = derive::subtract(&record.ai, &taken);
        // A place of an AI deletion that a record already has is taken too.
        let places: Vec<u32> = files
            .iter()
            .filter(|f| f.path == record.path && f.blob == record.blob)
            .flat_map(|f| f.deleted_before.iter().copied())
            .collect();
        record.deleted_before.retain(|p| !places.contains(p));
        // A file's removal, or a change of its mode, that a record already
        // has is taken too.
        let removal = record.removed && !files.iter().any(|f| f.removed && f.path == record.path);
        let mode = record.mode.is_some() && !files.iter().any(|f| f.mode == record.mode && f.path == record.path);
        if !mode {
            record.mode = None;
        }
        if !record.ai.is_empty() || !record.deleted_before.is_empty() || removal || mode {
            files.push(record);
        }
    }
}

/// What the post-commit hook writes.
#[derive(Debug, Default)]
pub struct Note {
    pub files: Vec<FileRecord>,
    /// Journal records the note covers.
    pub retire: Vec<RecordId>,
}

/// What the note needs of one committed file version.
#[derive(Default)]
struct Found {
    /// The journal's attributed ranges.
    spans: Spans,
    /// Where the journal says agents removed lines (byte offsets).
    deletions: Vec<AiDeletion>,
    units: Vec<CachedUnit>,
    /// The journal records a commit of it covers.
    covered: Vec<RecordId>,
}

/// The journals of the repository's other worktrees (its linked ones, and
/// the main one seen from a linked one), with their live records: an
/// agent's work moved from the worktree it was done in to the one that
/// commits it (a stash popped there, a patch applied) is still its. Each
/// worktree keeps its own journal; none is written here.
#[derive(Default)]
struct Elsewhere {
    /// Each worktree's repository (a journal is read with its own), its
    /// journal and what it holds.
    journals: Vec<(git2::Repository, Journal, Loaded)>,
}

impl Elsewhere {
    /// Read them; one that cannot be read is left out, with a warning
    /// (this worktree's note does not depend on it).
    fn load(ctx: &Context) -> Elsewhere {
        let repo = &ctx.repo;
        let common = repo.commondir().to_path_buf();
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        if !repo.is_bare() && common.join("HEAD").is_file() {
            dirs.push(common.clone());
        }
        if let Ok(entries) = std::fs::read_dir(common.join("worktrees")) {
            dirs.extend(entries.flatten().map(|e| e.path()));
        }
        let own = std::fs::canonicalize(repo.path()).unwrap_or_else(|_| repo.path().to_path_buf());
        let mut out = Elsewhere::default();
        for dir in dirs {
            if std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone()) == own
                || !dir.join("vouch").join("journal").is_dir()
            {
                continue;
            }
            let read = || -> anyhow::Result<_> {
                let other = git2::Repository::open(&dir)?;
                let journal = Journal::open(&other)?;
                let loaded = journal.records()?;
                Ok((other, journal, loaded))
            };
            match read() {
                Ok(found) => out.journals.push(found),
                Err(e) => eprintln!(
                    "vouch: warning: cannot read the journal of the worktree at {}: {}",
                    crate::display::line(&dir.display().to_string()),
                    crate::display::line(&format!("{e:#}"))
                ),
            }
        }
        out
    }

    /// Whether another worktree's journal has live records of `path`.
    fn holds(&self, path: &str) -> bool {
        self.journals.iter().any(|(_, _, loaded)| !loaded.records_for(path).is_empty())
    }

    /// Add to `found` the AI text other worktrees' journals find in `file`,
    /// where it has no AI text yet, and the places they say an agent
    /// removed lines at, where it has none (a patch of the agent's work
    /// applied here carries its removals too).
    fn add_view(&self, file: &FileVersion, found: &mut Found) -> anyhow::Result<()> {
        for (repo, journal, loaded) in &self.journals {
            if loaded.records_for(&file.path).is_empty() {
                continue;
            }
            // Only the agent's text found here unchanged: this worktree's
            // text did not grow out of the other's records.
            let (spans, deletions) = match &file.content {
                Content::Text(text) => {
                    let view = journal.view_unchanged(repo, loaded, &file.path, text)?;
                    for problem in &view.problems {
                        eprintln!("vouch: warning: {}", crate::display::line(&problem.to_string()));
                    }
                    (view.spans, view.deletions)
                }
                _ => {
                    let view = Views { journal, loaded, strict: false, cache: None }.view(repo, file)?;
                    (view.spans, view.deletions)
                }
            };
            for (range, attribution) in spans {
                let taken = found.spans.iter().any(|(r, a)| a.is_ai() && r.start < range.end && range.start < r.end);
                if attribution.is_ai() && !taken {
                    found.spans.push((range, attribution));
                }
            }
            for deletion in deletions {
                if !found.deletions.iter().any(|d| d.at == deletion.at) {
                    found.deletions.push(deletion);
                }
            }
        }
        found.spans.sort_by_key(|(r, _)| r.start);
        found.deletions.sort_by_key(|d| d.at);
        Ok(())
    }
}

/// What working a file out again needs, read once, when the gate's cache
/// does not cover a file.
struct Fallback {
    policy: Policy,
    ledger: Ledger,
    journal: (Journal, Loaded),
    verified: crate::analysis::judge::Verifier,
}

impl Fallback {
    fn load(ctx: &Context, commit: &git2::Commit<'_>) -> anyhow::Result<Fallback> {
        let source = Source::Commit(commit.id().to_string());
        let policy = match ctx.policy(&source) {
            Ok(policy) => policy,
            Err(e) => {
                eprintln!("vouch: warning: {e:#}; the note is written under the default policy");
                Policy::default()
            }
        };
        let verified = crate::analysis::judge::verifier(&ctx.repo, &policy, &source, false)?;
        Ok(Fallback { ledger: ctx.ledger()?, journal: ctx.journal()?, policy, verified })
    }

    /// The journal's spans, the units and the covered records of a
    /// committed file version; `None` when the journal knows nothing of it.
    fn work_out(&self, ctx: &Context, commit: &git2::Commit<'_>, file: FileVersion) -> anyhow::Result<Option<Found>> {
        if self.journal.1.records_for(&file.path).is_empty() {
            return Ok(None);
        }
        let views = Views { journal: &self.journal.0, loaded: &self.journal.1, strict: false, cache: None };
        let view = views.view(&ctx.repo, &file)?;
        let authors = vec![String::from_utf8_lossy(commit.author().email_bytes()).into_owned()];
        let units = attribution::units_changed(&file.path, &file.content, &view.spans, &view.deletions)?
            .into_iter()
            .map(|(facts, _, _)| {
                let was = (file.history_path != file.path).then_some(file.history_path.as_str());
                let judgement = self.ledger.judge(&self.policy, (&file.path, was), &facts, &authors, &*self.verified);
                CachedUnit {
                    start: facts.unit.range.start,
                    end: facts.unit.range.end,
                    approvals: crate::analysis::judge::approval_ids(&self.ledger, &facts.unit.fingerprint, &judgement),
                    rationale: self.ledger.rationale(&facts.unit.fingerprint).map(str::to_string),
                }
            })
            .collect();
        Ok(Some(Found { spans: view.spans, deletions: view.deletions, units, covered: view.covered }))
    }
}

/// What the commit does with journal records that describe no text (an
/// agent's removal of a file, or change of its mode): the note records it
/// makes of them, and the records it settles.
#[derive(Default)]
struct Settled {
    records: Vec<FileRecord>,
    retire: Vec<RecordId>,
}

/// What the commit does with the files agents removed whole (the
/// journal's records of removals, see [`Loaded::removal`]): a note record
/// for each file the commit removed that an agent had removed; and the
/// removal records it settles: those of the files it removed (its note now
/// says so), and those of files an agent removed that are back in the
/// worktree (the removal was undone, and a later removal by a person is
/// theirs).
fn removals(ctx: &Context, commit: &git2::Commit<'_>, cache: &GateCache) -> anyhow::Result<Settled> {
    let mut out = Settled::default();
    // As the gate read them; else (no gate ran) from the journal.
    let live: Vec<CachedRemoval> = match &cache.removals {
        Some(seen) => seen.clone(),
        None => {
            let (_, loaded) = ctx.journal()?;
            loaded
                .removals()
                .filter_map(|(r, by)| Some(CachedRemoval { id: r.id.clone(), path: r.path()?.into(), by: by.clone() }))
                .collect()
        }
    };
    if live.is_empty() {
        return Ok(out);
    }
    let tree = commit.tree().context("cannot read the commit's tree")?;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read the parent's tree")?;
    for CachedRemoval { id, path, by } in live {
        let at = std::path::Path::new(&path);
        let removed = parent.as_ref().and_then(|t| t.get_path(at).ok()).filter(|_| tree.get_path(at).is_err());
        if let Some(entry) = removed {
            out.records.extend(FileRecord::removal(&path, entry.id(), &by));
            out.retire.push(id);
        } else if std::fs::symlink_metadata(ctx.root.join(&path)).is_ok() {
            out.retire.push(id);
        }
    }
    Ok(out)
}

/// What the commit does with the modes agents set on files (the journal's
/// records of changes of mode, see [`Loaded::mode_changes`]): a note record
/// for each file whose mode the commit changed to the one an agent set,
/// and the records it settles: those, and those of files that no longer
/// have that mode in the worktree nor in the index (undone, or changed
/// again by a person, whose later change is theirs).
fn modes(ctx: &Context, commit: &git2::Commit<'_>, cache: &GateCache) -> anyhow::Result<Settled> {
    let mut out = Settled::default();
    // As the gate read them; else (no gate ran) from the journal.
    let live: Vec<CachedMode> = match &cache.modes {
        Some(seen) => seen.clone(),
        None => {
            let (_, loaded) = ctx.journal()?;
            loaded
                .mode_changes()
                .filter_map(|(r, set)| {
                    let path = r.path()?.to_string();
                    Some(CachedMode { id: r.id.clone(), path, mode: set.mode.clone(), by: set.by.clone() })
                })
                .collect()
        }
    };
    if live.is_empty() {
        return Ok(out);
    }
    let tree = commit.tree().context("cannot read the commit's tree")?;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read the parent's tree")?;
    let index = ctx.repo.index().context("cannot read the index")?;
    for CachedMode { id, path, mode, by } in live {
        if notes::mode_set_by(&ctx.repo, commit.id(), &tree, &path, &mode).is_some() {
            let blob = tree.get_path(std::path::Path::new(&path)).map_or(Oid::zero(), |e| e.id());
            out.records.extend(FileRecord::mode_set(&path, blob, &mode, &by));
            out.retire.push(id);
            continue;
        }
        // A file an agent created with that mode, now added with it (moved
        // from none): its content speaks for it.
        let at = |tree: &git2::Tree<'_>| tree.get_path(std::path::Path::new(&path)).ok();
        if at(&tree).is_some_and(|e| format!("{:o}", e.filemode()) == mode)
            && parent.as_ref().is_none_or(|p| at(p).is_none())
        {
            out.retire.push(id);
            continue;
        }
        let worktree = crate::store::snapshot::worktree_mode(&ctx.root.join(&path));
        let staged = index.get_path(std::path::Path::new(&path), 0).map(|e| e.mode);
        if format!("{worktree:o}") != mode && staged.is_none_or(|m| format!("{m:o}") != mode) {
            out.retire.push(id);
        }
    }
    Ok(out)
}

/// The note for `commit`, which changed `committed` (see
/// [`gitfiles::committed`]): from what the gate found where it saw the
/// committed version of a file, else from the journal.
pub fn note_for(
    ctx: &Context,
    commit: &git2::Commit<'_>,
    cache: &GateCache,
    committed: &[gitfiles::Changed],
) -> anyhow::Result<Note> {
    let repo = &ctx.repo;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose().context("cannot read the parent's tree")?;
    let mut fallback: Option<Fallback> = None;
    let elsewhere = Elsewhere::load(ctx);
    let mut note = Note::default();
    for changed in committed {
        let cached = cache.get(&changed.path, &changed.blob.to_string());
        let other_worktrees = elsewhere.holds(&changed.path);
        if !other_worktrees
            && cached.is_some_and(|c| c.spans.is_empty() && c.deletions.is_empty() && c.covered.is_empty())
        {
            continue;
        }
        let content = gitfiles::content(repo, changed)?;
        let file = FileVersion {
            path: changed.path.clone(),
            history_path: changed.path.clone(),
            blob: changed.blob,
            content: content.clone(),
        };
        let found = match cached {
            Some(c) => Some(Found {
                spans: c.spans(),
                deletions: c.deletions.clone(),
                units: c.units.clone(),
                covered: c.covered.clone(),
            }),
            None => {
                if fallback.is_none() {
                    fallback = Some(Fallback::load(ctx, commit)?);
                }
                match &fallback {
                    Some(fallback) => fallback.work_out(ctx, commit, file.clone())?,
                    None => None,
                }
            }
        };
        let found = match (found, other_worktrees) {
            (Some(found), false) => found,
            (None, false) => continue,
            (found, true) => {
                let mut found = found.unwrap_or_default();
                elsewhere.add_view(&file, &mut found)?;
                found
            }
        };
        let Found { spans, deletions, units, covered } = found;
        note.retire.extend(covered);
        if !spans.iter().any(|(_, a)| a.is_ai()) && deletions.is_empty() {
            continue;
        }
        let (added, removed) = match &content {
            Content::Text(text) => {
                let before = parent
                    .as_ref()
                    .and_then(|t| gitfiles::tree_blob(t, changed.from.as_deref().unwrap_or(&changed.path)))
                    .map(|id| gitfiles::blob_text(repo, id))
                    .transpose()?
                    .flatten()
                    .unwrap_or_default();
                // All of a new file, else the lines that differ from the
                // parent's; and the places the commit removed lines at.
                let mut removed = removed_in(&before, text, &deletions);
                if changed.from.is_some() {
                    attribution::add_left_out(&before, text, &spans, &mut removed);
                }
                (super::agents::inserted_ranges(&before, text), removed)
            }
            // Bytes vouch cannot diff as text, and a submodule's new
            // commit: all of it is what the commit brings.
            other => (std::iter::once(0..other.len()).collect(), Vec::new()),
        };
        let change = Change { added: &added, removed: &removed };
        note.files.extend(file_records(&changed.path, changed.blob, content.as_bytes(), &spans, &change, &units));
    }
    Ok(note)
}

/// The AI deletions (byte offsets of `text`) that are the commit's own: at
/// a place where it removed lines of `before` (a diff may put a removal at
/// any of several places: each counts), one each.
fn removed_in(before: &str, text: &str, deletions: &[AiDeletion]) -> Vec<AiDeletion> {
    if deletions.is_empty() || before.is_empty() {
        return Vec::new();
    }
    let removals = crate::lineage::removals(
        &crate::lineage::split_lines(before.as_bytes()),
        &crate::lineage::split_lines(text.as_bytes()),
    );
    let starts = notes::line_spans(text.as_bytes());
    deletions
        .iter()
        .filter(|d| {
            let gap = starts.partition_point(|l| l.start < d.at);
            removals.iter().any(|r| r.gaps.contains(&gap))
        })
        .cloned()
        .collect()
}

/// What a commit changed in one file: the byte ranges of its lines that
/// differ from the parent's, and the AI deletions that are its own.
struct Change<'a> {
    added: &'a [Range<usize>],
    removed: &'a [AiDeletion],
}

/// The note's records for one committed file: AI lines among the lines
/// `change` added and the places of its AI deletions, one record per
/// origin, with the approvals and rationale of the units that hold them.
fn file_records(
    path: &str,
    blob: Oid,
    text: &[u8],
    spans: &[(Range<usize>, Attribution)],
    change: &Change<'_>,
    units: &[CachedUnit],
) -> Vec<FileRecord> {
    /// The AI bytes and deletions of one origin.
    struct Group {
        origin: AiSource,
        evidence: Evidence,
        accepted_by: Option<String>,
        intent: Option<crate::intent::Intent>,
        bytes: Vec<Range<usize>>,
        /// Byte offsets of the places lines were removed at.
        removed: Vec<usize>,
    }
    let key_of = |source: &AiSource, attr: &Attribution| {
        let evidence = attr.evidence.unwrap_or(Evidence::Editor);
        serde_json::to_string(&(source, evidence, &attr.accepted_by, &attr.intent)).unwrap_or_default()
    };
    let group_of = |source: &AiSource, attr: &Attribution| Group {
        origin: source.clone(),
        evidence: attr.evidence.unwrap_or(Evidence::Editor),
        accepted_by: attr.accepted_by.clone(),
        intent: attr.intent.as_deref().cloned(),
        bytes: Vec::new(),
        removed: Vec::new(),
    };
    // Group the AI bytes that fall in added lines, and the AI deletions, by
    // origin.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for d in change.removed {
        let Origin::Ai(source) = &d.attribution.origin else { continue };
        let group = groups.entry(key_of(source, &d.attribution)).or_insert_with(|| group_of(source, &d.attribution));
        group.removed.push(d.at);
    }
    for (range, attr) in spans {
        let Origin::Ai(source) = &attr.origin else { continue };
        for a in change.added {
            let (start, end) = (range.start.max(a.start), range.end.min(a.end));
            // Whitespace alone is no AI line, except in content that is not
            // text, where every byte counts.
            if start >= end || text[start..end].iter().all(u8::is_ascii_whitespace) && std::str::from_utf8(text).is_ok()
            {
                continue;
            }
            let group = groups.entry(key_of(source, attr)).or_insert_with(|| group_of(source, attr));
            group.bytes.push(start..end);
        }
    }
    let starts = notes::line_spans(text);
    groups
        .into_values()
        .filter_map(|Group { origin, evidence, accepted_by, intent, bytes, removed }| {
            let ai = notes::bytes_to_lines(text, &bytes);
            let mut deleted_before: Vec<u32> =
                removed.iter().map(|&at| starts.partition_point(|l| l.start < at) as u32 + 1).collect();
            deleted_before.sort_unstable();
            deleted_before.dedup();
            if ai.is_empty() && deleted_before.is_empty() {
                return None;
            }
            let holding: Vec<&CachedUnit> = units
                .iter()
                .filter(|u| {
                    bytes.iter().any(|b| b.start < u.end && u.start < b.end)
                        || removed.iter().any(|&at| u.start <= at && at <= u.end)
                })
                .collect();
            let mut approvals: Vec<String> = holding.iter().flat_map(|u| u.approvals.iter().cloned()).collect();
            approvals.sort();
            approvals.dedup();
            let rationale = holding.iter().find_map(|u| u.rationale.clone());
            Some(FileRecord {
                path: path.to_string(),
                blob: blob.to_string(),
                ai,
                origin,
                evidence,
                accepted_by,
                rationale,
                approvals,
                intent,
                imported: None,
                deleted_before,
                removed: false,
                mode: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_added_ai_lines_are_noted_by_origin() {
        let ai = |tool: &str| {
            Attribution::ai(
                AiSource { tool: tool.into(), model: None, session: None, kind: None },
                Evidence::AgentHook,
                Some("a@x".into()),
            )
        };
        let text = "one\ntwo\nthree\nfour\n";
        // Lines 1-2 by tool a (line 1 not added by this commit), line 4 by b.
        let spans = vec![(0..8, ai("a")), (14..19, ai("b"))];
        let added: Vec<Range<usize>> = std::iter::once(4..19).collect();
        let change = Change { added: &added, removed: &[] };
        let records = file_records("f.txt", Oid::zero(), text.as_bytes(), &spans, &change, &[]);
        let got: Vec<(String, Vec<[u32; 2]>)> = records.iter().map(|r| (r.origin.tool.clone(), r.ai.clone())).collect();
        assert_eq!(got, vec![("a".to_string(), vec![[2, 2]]), ("b".to_string(), vec![[4, 4]])]);
        assert!(records.iter().all(|r| r.evidence == Evidence::AgentHook && r.accepted_by.as_deref() == Some("a@x")));
    }
}
