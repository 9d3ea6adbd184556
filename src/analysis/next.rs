//! Where the units of the next commit stand, for the gate (`vouch check`),
//! `vouch status` and the commands that act on the working tree: the files
//! it changes ([`super::changes`]), the journal's view of each
//! ([`super::attribution::Views`]) with what the commits its text comes
//! from say of it ([`super::derived`]), the range it ends ([`super::scope`]),
//! and every unit verify will judge in it, judged ([`super::judge`]),
//! changes to trust files and files an AI deleted whole included.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::Context as _;
use git2::Repository;

use super::attribution::{FileVersion, View, Views};
use super::cache::AnalysisCache;
use super::changes::{self, Changes, Version};
use super::context::{Context, read_journal_strict};
use super::evidence::{Namer, add_labels};
use super::judge::{Judge, JudgedUnit, verifier};
use super::scope::{Brought, NextCommit, NextFile, Scope};
use crate::policy::Policy;
use crate::provenance::Attribution;
use crate::signoff::Ledger;
use crate::store::journal::{Journal, Loaded, ModeSet, RecordId};
use crate::store::policy_file::Source;
use crate::syntax::Content;

/// How to look at the next commit.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub version: Version,
    /// Fail closed on anything that cannot be read (the gate).
    pub strict: bool,
    /// Also the units of files only earlier commits of the range touched
    /// (status, request), not only those of the files the next commit
    /// touches (the gate).
    pub all: bool,
    /// The configured author and committer make the next commit, so they
    /// may not approve what it touches: the gate, where git is about to
    /// record them. Off for the views and commands that act on the working
    /// tree (`vouch status`, `approve`, `request`, the editor): whoever
    /// runs them may be a reviewer deciding, not the one who commits; if
    /// they do commit the unit, the gate and verify refuse their approval.
    pub next_people: bool,
    /// BASE as given (`--base REV`); `None`: found by [`super::base::resolve`].
    pub base: Option<&'a super::base::Base>,
}

/// The next commit, read and placed in its range, before any unit is
/// judged: what [`Prepared::judge`] judges.
pub struct Prepared {
    pub scope: Scope,
    pub ledger: Ledger,
    /// The files the next commit adds or changes, with the journal's view
    /// of each (what the post-commit note records).
    pub files: Vec<(FileVersion, View)>,
    /// The journal's live records of files agents removed whole: (record,
    /// path, who removed it).
    pub removals: Vec<(RecordId, String, Attribution)>,
    /// The journal's live records of changes agents made to files' modes:
    /// (record, path, the mode and who set it).
    pub modes: Vec<(RecordId, String, ModeSet)>,
    pub next: NextCommit,
    /// What a person needs to hear about (a view that could not use every
    /// record, when not strict).
    pub warnings: Vec<String>,
    /// What the commits the next commit's text comes from claim of it (a
    /// pending squash merge, cherry-pick or re-commit), if any.
    derived: Option<crate::store::derive::Derived>,
    verified: super::judge::Verifier,
    /// The files renamed since BASE ([`renamed_since_base`]).
    renamed: HashMap<String, String>,
    cache: AnalysisCache,
    git_dir: std::path::PathBuf,
    /// The trust files the range or the next commit changes, once found
    /// (reading them parses the policy at HEAD, CODEOWNERS included).
    trust: std::cell::OnceCell<BTreeSet<String>>,
}

/// The next commit and where its units stand.
pub struct Next {
    pub scope: Scope,
    pub ledger: Ledger,
    /// The units verify will judge, by path (trust-file changes among them).
    pub units: Vec<JudgedUnit>,
    /// The files the next commit adds or changes, with the journal's view
    /// of each.
    pub files: Vec<(FileVersion, View)>,
    pub warnings: Vec<String>,
    /// The journal's live records of files agents removed whole: (record,
    /// path, who removed it).
    pub removals: Vec<(RecordId, String, Attribution)>,
    /// The journal's live records of changes agents made to files' modes:
    /// (record, path, the mode and who set it).
    pub modes: Vec<(RecordId, String, ModeSet)>,
}

impl Next {
    /// The policy it is judged under (BASE's).
    pub fn policy(&self) -> &Policy {
        &self.scope.policy
    }
}

/// Look at the next commit in `ctx`'s repository and judge every unit
/// verify will judge in it.
pub fn next(ctx: &Context, options: Options) -> anyhow::Result<Next> {
    let prepared = prepare(ctx, options)?;
    let units = prepared.judge(&ctx.repo, None)?;
    if options.strict
        && let Some(why) = prepared.ledger.damage()
    {
        anyhow::bail!("refusing to decide without every record: {}", crate::display::line(why));
    }
    let Prepared { scope, ledger, files, warnings, removals, modes, .. } = prepared;
    Ok(Next { scope, ledger, units, files, warnings, removals, modes })
}

/// Read the next commit in `ctx`'s repository and place it in its range.
pub fn prepare(ctx: &Context, options: Options) -> anyhow::Result<Prepared> {
    let repo = &ctx.repo;
    let git_dir = repo.path().to_path_buf();
    let cache = AnalysisCache::of(repo);
    let journal = Journal::open(repo)?;
    let fallback = match options.version {
        Version::Staged => Source::Index,
        Version::Worktree => Source::Worktree,
    };
    // The records and the journal are read on other threads while this one
    // finds BASE, the range's lineage and the changed files.
    let (scope, changes, loaded, ledger) = std::thread::scope(|s| -> anyhow::Result<_> {
        let root = ctx.root.as_path();
        let ledger = s.spawn(move || -> anyhow::Result<Ledger> {
            let ctx = Context::open_at(root)?;
            if options.strict { ctx.ledger_strict() } else { ctx.ledger() }
        });
        let loading = s.spawn(|| -> anyhow::Result<Loaded> {
            if options.strict {
                read_journal_strict(&journal)
            } else {
                let loaded = journal.records()?;
                for problem in &loaded.problems {
                    eprintln!("vouch: warning: {}", crate::display::line(&problem.to_string()));
                }
                Ok(loaded)
            }
        });
        let scope = Scope::open(repo, fallback.clone(), options.base)?;
        let mut index = match options.version {
            Version::Staged => Some(crate::store::repo::index(repo).context("cannot read the index")?),
            Version::Worktree => None,
        };
        let staged = match &mut index {
            Some(index) => Some(changes::staged(repo, index)?),
            None => None,
        };
        let loaded = loading.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the journal panicked")))?;
        let changes = match staged {
            Some(staged) => staged,
            None => changes::worktree(repo, &ctx.root, &loaded)?,
        };
        let ledger = ledger.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the records panicked")))?;
        Ok((scope, changes, loaded, ledger))
    })?;
    let views = Views { journal: &journal, loaded: &loaded, strict: options.strict, cache: Some(&cache) };
    let Changes { files, deleted } = changes;
    let seen = views.all(repo, &files)?;
    let mut warnings: Vec<String> = seen.iter().flat_map(|v| v.problems.iter().cloned()).collect();
    // A policy the next commit brings that does not parse: it is judged as
    // a change to a trust file under BASE's policy, and the author hears why
    // it would not work.
    if let Some(text) = files.iter().find(|f| f.path == crate::policy::POLICY_FILE).and_then(|f| f.content.text())
        && let Err(e) = Policy::parse(text, &fallback.name(crate::policy::POLICY_FILE))
    {
        warnings.push(format!("{e}; the change to it is judged under the policy at BASE"));
    }
    // A squash, a pick or a re-commit: the AI lines of the commits its text
    // comes from, which the post-commit note will carry, are its evidence too.
    let paths: HashSet<String> = files.iter().flat_map(|f| [f.path.clone(), f.history_path.clone()]).collect();
    let derived = super::derived::pending(repo, scope.policy.bots(), Some(&paths))?;
    let mut pending: Vec<NextFile> = Vec::with_capacity(files.len());
    for (file, view) in files.iter().zip(&seen) {
        let mut deletions = view.deletions.clone();
        let spans = match &derived {
            Some(derived) => {
                let (spans, more) = super::derived::carried_all(repo, derived, file, view.spans.clone())
                    .with_context(|| format!("cannot read the provenance of {}", file.path))?;
                for d in more {
                    if !deletions.iter().any(|e| e.at == d.at) {
                        deletions.push(d);
                    }
                }
                spans
            }
            None => view.spans.clone(),
        };
        // A file renamed from one HEAD has: what an agent that wrote it
        // whole left out of the old one is its removal.
        if file.history_path != file.path
            && let Content::Text(text) = &file.content
            && let Some((_, Content::Text(before))) = head_version(repo, &file.history_path)?
        {
            super::attribution::add_left_out(&before, text, &spans, &mut deletions);
        }
        pending.push(NextFile { file: file.clone(), spans, deletions });
    }
    let people = if options.next_people { Scope::next_people(repo) } else { Vec::new() };
    // A file an agent removed whole: the journal says so until a commit's
    // note covers its removal; or a commit this one comes from removed it
    // with an AI claim (a squash, a pick, a re-commit).
    let removed_by = |path: &str| {
        let recorded = loaded.removal(path).map(|(_, a)| a);
        recorded.or_else(|| derived.as_ref().and_then(|d| d.removal_claim(path))).cloned()
    };
    let deleted: Vec<(String, Option<Attribution>)> =
        deleted.into_iter().map(|p| (p.clone(), removed_by(&p))).collect();
    let removals =
        loaded.removals().filter_map(|(r, a)| Some((r.id.clone(), r.path()?.to_string(), a.clone()))).collect();
    let modes =
        loaded.mode_changes().filter_map(|(r, m)| Some((r.id.clone(), r.path()?.to_string(), m.clone()))).collect();
    let mut next = scope.next_commit(repo, &pending, &deleted, people, options.all)?;
    let renamed = renamed_since_base(repo, &scope, &files)?;
    let brought = brought(repo, &scope, &files, &next, &renamed)?;
    next.bring(brought);
    let verified = verifier(repo, &scope.policy, &scope.source, options.strict)?;
    Ok(Prepared {
        scope,
        ledger,
        files: files.into_iter().zip(seen).collect(),
        removals,
        modes,
        next,
        warnings,
        derived,
        verified,
        renamed,
        cache,
        git_dir,
        trust: std::cell::OnceCell::new(),
    })
}

impl Prepared {
    /// Every path [`Prepared::judge`] may find a unit in: those with AI
    /// lines in the range or the next commit, and those the range or the
    /// next commit changes (a trust file's change, a file an AI deleted).
    /// A path outside it holds no unit verify will judge.
    pub fn judged_paths(&self) -> HashSet<String> {
        let next = &self.next;
        let mut paths: HashSet<String> = next.paths().map(str::to_string).collect();
        paths.extend(next.touched().iter().cloned());
        for i in 0..next.range_commits().len() {
            paths.extend(next.changed_by(i).iter().cloned());
        }
        paths.extend(next.deleted_files().into_iter().map(|d| d.path));
        paths
    }

    /// The one judge, with this commit's policy and signers.
    pub fn judge_with(&self) -> Judge<'_> {
        Judge { policy: &self.scope.policy, ledger: &self.ledger, verified: &*self.verified, renamed: &self.renamed }
    }

    /// Name the evidence that made `unit`'s lines AI ([`super::evidence`])
    /// into its [`JudgedUnit::evidence`]: for each AI line, the evidence of
    /// the commits that touched it that makes the line's very claim (else
    /// every kind of AI evidence they carry); for the next commit, the
    /// journal, the source commits of a pending squash, pick or re-commit,
    /// or a bot author.
    pub fn name_evidence(&self, repo: &Repository, namer: &mut Namer<'_>, unit: &mut JudgedUnit) {
        if unit.trust_file {
            return;
        }
        if unit.deleted_file {
            unit.evidence = self.deletion_evidence(repo, namer, &unit.path);
            return;
        }
        let file = self.files.iter().find(|(f, _)| f.path == unit.path);
        let mut exact: Vec<String> = Vec::new();
        let mut loose: Vec<String> = Vec::new();
        for (line, attribution, commits) in self.next.ai_lines(&unit.path, unit.line, unit.end_line) {
            for commit in commits {
                match commit {
                    Some(c) => match namer.claims_exactly(c, &attribution) {
                        Some(label) => add_labels(&mut exact, [label]),
                        None => add_labels(&mut loose, namer.commit_labels(c, &attribution)),
                    },
                    None => {
                        let labels = self.next_labels(repo, namer, file, line, &attribution);
                        add_labels(&mut exact, labels);
                    }
                }
            }
        }
        let mut labels = if exact.is_empty() { loose } else { exact };
        if let Some(brought) = self.next.brought(&unit.path)
            && brought.lines.iter().any(|(line, _)| (unit.line..=unit.end_line).contains(&(line + 1)))
        {
            let said = &brought.said;
            add_labels(&mut labels, brought.found.sources.iter().map(|s| format!("{s} ({said})")));
        }
        // A removal leaves no AI line: its evidence is named apart.
        if !unit.facts.deletions.is_empty() {
            let content = self.version(repo, &unit.path).ok().flatten().map(|(_, c)| c);
            let at: Vec<usize> = unit.facts.deletions.iter().map(|d| d.at).collect();
            let bytes = content.as_ref().map_or(&[][..], Content::as_bytes);
            for (_, attribution, commits) in self.next.deletions_in(&unit.path, bytes, &at) {
                for commit in commits {
                    let named = match commit {
                        Some(c) => match namer.claims_exactly(c, &attribution) {
                            Some(label) => vec![label],
                            None => namer.commit_labels(c, &attribution),
                        },
                        None => self.next_deletion_labels(repo, &attribution),
                    };
                    add_labels(
                        &mut labels,
                        named.into_iter().map(|l| format!("{} ({l})", super::evidence::AI_DELETION)),
                    );
                }
            }
        }
        unit.evidence = labels;
    }

    /// The evidence of the commits that deleted file `path` whole, each
    /// named as [`Prepared::name_evidence`] names a removal's
    /// (`AI deletion (trailer: claude)`).
    fn deletion_evidence(&self, repo: &Repository, namer: &mut Namer<'_>, path: &str) -> Vec<String> {
        let mut labels = Vec::new();
        for deleted in self.next.deleted_files().into_iter().filter(|d| d.path == path) {
            for commit in &deleted.deleting {
                let named = match commit {
                    Some(c) => namer.commit_labels(*c, &deleted.attribution),
                    None => self.next_deletion_labels(repo, &deleted.attribution),
                };
                add_labels(&mut labels, named.into_iter().map(|l| format!("{} ({l})", super::evidence::AI_DELETION)));
            }
        }
        labels
    }

    /// What makes a removal the next commit makes an AI's, with
    /// `attribution`: the journal, or its bot author.
    fn next_deletion_labels(&self, repo: &Repository, attribution: &Attribution) -> Vec<String> {
        if let Some((claim, label)) = super::scope::next_bot(repo, &self.scope.policy)
            && &claim == attribution
        {
            return vec![label];
        }
        vec![super::evidence::JOURNAL.to_string()]
    }

    /// What makes line `line` (1-based) of `file` AI in the next commit,
    /// with `attribution`: the journal, a source commit it comes from, or
    /// its bot author.
    fn next_labels(
        &self,
        repo: &Repository,
        namer: &mut Namer<'_>,
        file: Option<&(FileVersion, View)>,
        line: usize,
        attribution: &Attribution,
    ) -> Vec<String> {
        if let Some((f, view)) = file {
            let bytes = f.content.as_bytes();
            let range = match &f.content {
                Content::Text(_) => crate::store::notes::line_spans(bytes).get(line - 1).cloned(),
                _ => Some(0..bytes.len()),
            };
            let in_journal = range.is_some_and(|r| {
                view.spans.iter().any(|(s, a)| a.is_ai() && s.start < r.end.max(r.start + 1) && r.start < s.end)
            });
            if in_journal {
                return vec![super::evidence::JOURNAL.to_string()];
            }
        }
        let mut out = Vec::new();
        if let Some(derived) = &self.derived {
            for source in derived.commits() {
                if let Some(label) = namer.claims_exactly(source, attribution) {
                    let short = &source.to_string()[..10];
                    out.push(format!("{label} (carried from {short})"));
                }
            }
        }
        if out.is_empty()
            && let Some((claim, label)) = super::scope::next_bot(repo, &self.scope.policy)
            && &claim == attribution
        {
            out.push(label);
        }
        out
    }

    /// The units verify will judge where the link `link` makes the file
    /// `to` stand (its link rule), judged under the link's rules: `to`'s AI
    /// lines from the range or the next commit; and when the range or the
    /// next commit adds or changes the link and wrote no AI line in `to`,
    /// what history before the range calls AI in it, if the link's rules
    /// are not `to`'s. With `to`'s version and those AI lines.
    pub fn judge_linked(&self, repo: &Repository, link: &str, to: &str) -> anyhow::Result<Option<Linked>> {
        let Some((blob, content)) = self.version(repo, to)? else { return Ok(None) };
        let policy = &self.scope.policy;
        let ai = self.next.ai_spans(to, &content);
        let mut history = Vec::new();
        if let Some(base) = &self.scope.base
            && self.next.paths().any(|p| p == link)
            && ai.is_empty()
            && !policy.same_rules(to, link)
            && matches!(content, Content::Text(_))
        {
            let tree = repo.find_commit(base.commit).and_then(|c| c.tree()).context("cannot read BASE's tree")?;
            if tree.get_path(Path::new(to)).is_ok() {
                let rev = base.commit.to_string();
                history = crate::brought::ai_in_history(repo, policy, (to, &rev), content.as_bytes(), |_| true)
                    .map_err(|e| anyhow::anyhow!("cannot read the history of {}: {}", e.path, e.reason))?
                    .0;
            }
        }
        let judge = self.judge_with();
        let scoped = self.next.units_through_link(Some(&self.cache), (link, to), blob, &content, &history)?;
        let units = scoped.iter().map(|u| judge.unit(u)).collect();
        let spans = crate::signoff::overlay(content.len(), &history, &ai);
        Ok(Some(Linked { content, spans, units }))
    }

    /// The version of `path` the next commit leaves: its own, or HEAD's.
    pub fn version(&self, repo: &Repository, path: &str) -> anyhow::Result<Option<(git2::Oid, Content)>> {
        version_of(repo, self.files.iter().map(|(f, _)| f), &self.next, path)
    }

    /// Every unit verify will judge in `paths` (all the paths it settled
    /// when `None`), judged, trust-file changes and files an AI deleted
    /// whole included, in path order.
    pub fn judge(&self, repo: &Repository, paths: Option<&[String]>) -> anyhow::Result<Vec<JudgedUnit>> {
        let files: Vec<&FileVersion> = self.files.iter().map(|(f, _)| f).collect();
        let judge = self.judge_with();
        // Found once: the queue asks about one path at a time.
        let mut trust = self.trust.get_or_init(|| trust_paths(repo, &self.scope, &self.next, &files)).clone();
        // A trust file's deletion is judged as a trust-file change.
        let deleted: Vec<_> = match &self.scope.base {
            Some(_) => self
                .next
                .deleted_files()
                .into_iter()
                .filter(|d| !trust.contains(&d.path) && paths.is_none_or(|ps| ps.contains(&d.path)))
                .collect(),
            None => Vec::new(),
        };
        if let Some(paths) = paths {
            trust.retain(|p| paths.contains(p));
        }
        let code: Vec<String> = self
            .next
            .paths()
            .filter(|p| !trust.contains(*p) && paths.is_none_or(|ps| ps.iter().any(|x| x == p)))
            .map(str::to_string)
            .collect();
        let (all, next, cache) = (&self.files, &self.next, &self.cache);
        let found = super::attribution::parallel(&self.git_dir, &code, |repo, path| {
            let Some((blob, content)) = version_of(repo, all.iter().map(|(f, _)| f), next, path)? else {
                return Ok(Vec::new());
            };
            next.units(Some(cache), path, blob, &content)
        })?;
        let mut units: Vec<JudgedUnit> = found.iter().flatten().map(|u| judge.unit(u)).collect();
        for path in &trust {
            if let Some(unit) = judge_trust_file(repo, &self.scope, &self.next, &judge, &files, path)? {
                units.push(unit);
            }
        }
        units.extend(deleted.iter().map(|d| judge.deleted_file(d)));
        units.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        debug_assert!(
            units.iter().all(|u| self.judged_paths().contains(&u.path)),
            "a unit outside the judged paths: {:?}",
            units.iter().map(|u| &u.path).collect::<Vec<_>>()
        );
        Ok(units)
    }
}

/// What the text files the range or the next commit changed hold from
/// other paths of BASE under other rules, as verify will find it in them
/// ([`crate::brought`]), by path.
fn brought(
    repo: &Repository,
    scope: &Scope,
    files: &[FileVersion],
    next: &NextCommit,
    renamed: &HashMap<String, String>,
) -> anyhow::Result<HashMap<String, Brought>> {
    let Some(base) = &scope.base else { return Ok(HashMap::new()) };
    let unreadable =
        |e: crate::brought::Unreadable| anyhow::anyhow!("cannot read the history of {}: {}", e.path, e.reason);
    // Reverts restore text wherever it stood (the versions of the files
    // they change are read only then).
    let reverting = Ending { next, files };
    let wanted = |path: &str| next.paths().any(|p| p == path);
    let mut found: HashMap<String, (crate::brought::Found, String)> =
        crate::brought::restored(repo, &scope.policy, &reverting, wanted)
            .map_err(unreadable)?
            .into_iter()
            .map(|(path, restored)| {
                let said = format!("restored by a revert of {}", &restored.reverted.to_string()[..10]);
                (path, (restored.found, said))
            })
            .collect();
    let done = |found: HashMap<String, (crate::brought::Found, String)>, texts: &[(String, git2::Oid, Content)]| {
        let content = |path: &str| texts.iter().find(|(p, ..)| p == path).map(|(_, _, c)| c);
        found
            .into_iter()
            .filter_map(|(path, (found, said))| {
                let brought = Brought::new(found, said, content(&path)?);
                Some((path, brought))
            })
            .collect()
    };
    // Moves matter only between paths judged otherwise: then every text
    // file the range or the next commit changed is read.
    let alike = scope.policy.judges_paths_alike();
    let mut texts: Vec<(String, git2::Oid, Content)> = Vec::new();
    for path in next.paths().filter(|p| !alike || found.contains_key(*p)) {
        if let Some((blob, content @ Content::Text(_))) = version_of(repo, files.iter(), next, path)? {
            texts.push((path.to_string(), blob, content));
        }
    }
    if alike || texts.is_empty() {
        return Ok(done(found, &texts));
    }
    let base_tree = repo.find_commit(base.commit).and_then(|c| c.tree()).context("cannot read BASE's tree")?;
    let head_tree = super::files::head_tree(repo)?;
    // Renamed from a path BASE has.
    let renamed: HashMap<String, String> = renamed
        .iter()
        .filter(|(_, from)| base_tree.get_path(Path::new(from.as_str())).is_ok())
        .map(|(to, from)| (to.clone(), from.clone()))
        .collect();
    // The paths of BASE the next commit leaves absent.
    let removed = || -> Vec<String> {
        let mut out: Vec<String> = match &head_tree {
            Some(head) => crate::store::tree_diff::changes(repo, Some(&base_tree), head)
                .map(|c| c.changes.into_iter().filter(|c| c.new.is_none()).map(|c| c.path).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        out.extend(
            next.touched()
                .iter()
                .filter(|p| next.content(p).is_none() && base_tree.get_path(Path::new(p.as_str())).is_ok())
                .cloned(),
        );
        out
    };
    let landing =
        crate::brought::Landing { base_commit: base.commit, base: &base_tree, renamed: &renamed, removed: &removed };
    let list: Vec<(&str, git2::Oid, &[u8])> = texts.iter().map(|(p, id, c)| (p.as_str(), *id, c.as_bytes())).collect();
    let moved = crate::brought::from_other_paths(repo, &scope.policy, &landing, &list).map_err(unreadable)?;
    for (path, more) in moved {
        let len = texts.iter().find(|(p, ..)| *p == path).map_or(0, |(_, _, c)| c.len());
        match found.get_mut(&path) {
            Some((had, _)) => had.spans = crate::signoff::overlay(len, &had.spans, &more.spans),
            None => {
                let said = format!("at {} before BASE", crate::display::line(&more.from));
                found.insert(path, (more, said));
            }
        }
    }
    Ok(done(found, &texts))
}

/// The files the next commit leaves renamed since BASE, as git pairs
/// renames (by the range: HEAD against BASE; then by the next commit: a
/// staged rename of HEAD's file), new path to the path BASE had: plain
/// renames only, a path BASE lacks taking the place of one the next
/// commit leaves absent, as verify will find them
/// ([`crate::verify::plain_renames`]).
fn renamed_since_base(
    repo: &Repository,
    scope: &Scope,
    files: &[FileVersion],
) -> anyhow::Result<HashMap<String, String>> {
    let Some(base) = &scope.base else { return Ok(HashMap::new()) };
    let base_tree = repo.find_commit(base.commit).and_then(|c| c.tree()).context("cannot read BASE's tree")?;
    let head = super::files::head_tree(repo)?;
    let mut renamed = match &head {
        Some(head) if head.id() != base_tree.id() => {
            let found = crate::store::tree_diff::renames(repo, Some(&base_tree), head)
                .context("cannot compare BASE's tree with HEAD's")?;
            crate::verify::plain_renames(&found, &base_tree, head)
        }
        _ => HashMap::new(),
    };
    for file in files.iter().filter(|f| f.history_path != f.path) {
        let from = renamed.remove(&file.history_path).unwrap_or_else(|| file.history_path.clone());
        // The next commit leaves no file at `from` (a staged rename), and
        // BASE had it there, not at the new path.
        let plain = base_tree.get_path(Path::new(&from)).is_ok() && base_tree.get_path(Path::new(&file.path)).is_err();
        if plain && !files.iter().any(|f| f.path == from) {
            renamed.insert(file.path.clone(), from);
        }
    }
    Ok(renamed)
}

/// A file as it stands at a symbolic link that leads to it
/// ([`Prepared::judge_linked`]).
pub struct Linked {
    pub content: Content,
    /// Its AI lines.
    pub spans: crate::provenance::Spans,
    /// Its units, judged under the link's rules.
    pub units: Vec<JudgedUnit>,
}

/// The range the next commit ends, as [`crate::brought::restored`] reads
/// it, with the files the next commit changes.
struct Ending<'a> {
    next: &'a NextCommit,
    files: &'a [FileVersion],
}

impl crate::brought::Reverting for Ending<'_> {
    fn commits(&self) -> &[git2::Oid] {
        self.next.range_commits()
    }

    fn changed_by(&self, i: usize) -> &[String] {
        self.next.changed_by(i)
    }

    fn added_lines(&self, repo: &Repository, path: &str) -> Option<(Vec<u8>, Vec<bool>)> {
        let Ok(Some((_, Content::Text(text)))) = version_of(repo, self.files.iter(), self.next, path) else {
            return None;
        };
        Some((text.into_bytes(), self.next.added_lines(path)))
    }
}

/// The version of `path` the next commit leaves (its own, or HEAD's) and
/// its blob; `None` when it deletes it.
fn version_of<'a>(
    repo: &Repository,
    mut files: impl Iterator<Item = &'a FileVersion>,
    next: &NextCommit,
    path: &str,
) -> anyhow::Result<Option<(git2::Oid, Content)>> {
    match (files.find(|f| f.path == path), next.content(path)) {
        (Some(f), Some(content)) => Ok(Some((f.blob, content.clone()))),
        _ if next.touched().iter().any(|p| p == path) => Ok(None),
        _ => head_version(repo, path),
    }
}

/// The content of `path` at HEAD, and its blob (or a submodule's commit).
fn head_version(repo: &Repository, path: &str) -> anyhow::Result<Option<(git2::Oid, Content)>> {
    let Some(tree) = super::files::head_tree(repo)? else { return Ok(None) };
    let Ok(entry) = tree.get_path(Path::new(path)) else { return Ok(None) };
    if entry.filemode() == i32::from(git2::FileMode::Commit) {
        return Ok(Some((entry.id(), Content::Submodule(entry.id().to_string()))));
    }
    Ok(Some((entry.id(), super::files::blob_content(repo, entry.id())?)))
}

/// The paths the range or the next commit touched that are trust files
/// under the policy at BASE, or under the policy the next commit holds
/// (it may name another allowed-signers file, or more `trust_files`).
fn trust_paths(repo: &Repository, scope: &Scope, next: &NextCommit, files: &[&FileVersion]) -> BTreeSet<String> {
    let mut touched: BTreeSet<String> = next.touched().iter().cloned().collect();
    for i in 0..next.range_commits().len() {
        touched.extend(next.changed_by(i).iter().cloned());
    }
    let Some(base) = &scope.base else {
        // The first commit: nothing before it to protect.
        return BTreeSet::new();
    };
    if touched.is_empty() {
        return touched;
    }
    let staged = files
        .iter()
        .find(|f| f.path == crate::policy::POLICY_FILE)
        .and_then(|f| f.content.text())
        .and_then(|text| Policy::parse(text, crate::policy::POLICY_FILE).ok());
    let next_policy = match staged {
        Some(policy) => Some(policy),
        // HEAD is BASE: its policy is BASE's, read already (a large
        // CODEOWNERS is not parsed twice).
        None if repo.head().ok().and_then(|h| h.target()) == Some(base.commit) => None,
        None => crate::store::policy_file::load(repo, &Source::Commit("HEAD".into())).ok(),
    };
    touched
        .into_iter()
        .filter(|p| scope.policy.is_trust_file(p) || next_policy.as_ref().is_some_and(|n| n.is_trust_file(p)))
        .collect()
}

/// The change to trust file `path` from BASE to what the next commit leaves,
/// judged as verify judges it; `None` when there is none.
fn judge_trust_file(
    repo: &Repository,
    scope: &Scope,
    next: &NextCommit,
    judge: &Judge<'_>,
    files: &[&FileVersion],
    path: &str,
) -> anyhow::Result<Option<JudgedUnit>> {
    let Some(base) = &scope.base else { return Ok(None) };
    let base_tree = repo.find_commit(base.commit).and_then(|c| c.tree()).context("cannot read BASE's tree")?;
    let at_base = base_tree.get_path(Path::new(path)).ok().map(|e| (e.id(), e.filemode()));
    let in_next = next.touched().iter().any(|p| p == path);
    let after: Option<(git2::Oid, Vec<u8>)> = match files.iter().find(|f| f.path == path) {
        Some(f) => Some((f.blob, f.content.as_bytes().to_vec())),
        None if in_next => None,
        None => head_version(repo, path)?.map(|(id, content)| (id, content.as_bytes().to_vec())),
    };
    let unchanged = match (&at_base, &after) {
        (None, None) => true,
        (Some((id, _)), Some((after, _))) => id == after,
        _ => false,
    };
    if unchanged {
        return Ok(None);
    }
    let numbers: Vec<u32> = (0..next.range_commits().len())
        .filter(|&i| next.changed_by(i).iter().any(|p| p == path))
        .map(|i| i as u32)
        .chain(in_next.then_some(next.range_commits().len() as u32))
        .collect();
    if numbers.is_empty() {
        // The difference comes from BASE's side.
        return Ok(None);
    }
    let commits =
        numbers.iter().filter_map(|&i| next.range_commits().get(i as usize)).map(git2::Oid::to_string).collect();
    let people = next.people_of(&numbers);
    let bytes = after.as_ref().map(|(_, b)| b.as_slice());
    let since = scope.trust_last_change(repo, path)?;
    Ok(Some(judge.trust_file(repo, path, bytes, &people, commits, in_next, since)))
}
