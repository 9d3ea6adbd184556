//! `vouch export --agent-trace RANGE` and `vouch import --agent-trace
//! FILE`: provenance exchanged with other tools as Agent Trace records
//! (see [`crate::agent_trace`] for the mapping).
//!
//! Export writes one record per commit of RANGE (`BASE..HEAD`, or one
//! commit) whose vouch note has AI lines, as JSON Lines on standard
//! output. Import reads records (an object, an array, JSON Lines), checks
//! every one against the repository first (the commit exists, each path is
//! a file of it, each range within that file), and only then adds their
//! AI lines to the vouch notes of those commits, marked `imported`: they
//! count as AI evidence like any note's, never attest a commit (a note of
//! nothing but imported lines leaves the commit unattested), and human
//! claims are not imported. Bad input is an error (exit 2) and writes
//! nothing.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use git2::{Oid, Sort};

use super::context::Context;
use super::{Format, FormatArg, Outcome};
use crate::agent_trace::{self, CommitTrace};
use crate::display;
use crate::provenance::{AiSource, Evidence};
use crate::store::notes::{self, FileRecord, NoteRecord};

/// The largest file `import` reads.
const MAX_INPUT: u64 = 64 << 20;

/// What `imported` says of lines read from Agent Trace records.
pub const IMPORTED: &str = "agent-trace";

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The commits to export (`BASE..HEAD`, or one commit), as Agent Trace
    /// records (JSON Lines on standard output).
    #[arg(long = "agent-trace", value_name = "RANGE")]
    pub range: String,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A file of Agent Trace records (one JSON object, an array, or JSON
    /// Lines); `-` reads standard input.
    #[arg(long = "agent-trace", value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub format: FormatArg,
}

/// What an import did, for `--format json`.
#[derive(Debug, serde::Serialize)]
struct Imported {
    records: usize,
    commits: Vec<String>,
    ai_lines: usize,
    /// Ranges a human or unknown contributor claims: not imported.
    not_imported: usize,
}

pub fn run_export(args: ExportArgs) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    if args.range.contains("..") {
        let (base, head) = crate::verify::range_ends(repo, &args.range)?;
        walk.push(head)?;
        walk.hide(base)?;
    } else {
        let commit = crate::verify::resolve(repo, &args.range)?;
        walk.push(commit.id())?;
        for parent in commit.parent_ids() {
            walk.hide(parent)?;
        }
    }
    let mut out = String::new();
    let (mut exported, mut without) = (0, 0);
    let mut reader = notes::NoteReader::new(repo);
    for oid in walk {
        let oid = oid?;
        let commit = repo.find_commit(oid)?;
        let records: Vec<FileRecord> = reader
            .read(oid)?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r {
                NoteRecord::File(f) if !f.ai.is_empty() => Some(f),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            without += 1;
            continue;
        }
        let trace = agent_trace::to_trace(&CommitTrace {
            commit: &oid.to_string(),
            time: commit.time().seconds(),
            records: &records,
        });
        out.push_str(&serde_json::to_string(&trace)?);
        out.push('\n');
        exported += 1;
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::output::broken_pipe(),
            result => result.context("cannot write to stdout")?,
        }
    }
    eprintln!("vouch: {exported} commit(s) exported; {without} with no AI lines in a vouch note left out");
    Ok(Outcome::Ok)
}

pub fn run_import(args: ImportArgs) -> anyhow::Result<Outcome> {
    let ctx = Context::open()?;
    let repo = &ctx.repo;
    let shown = display::line(&args.file.display().to_string()).into_owned();
    let bytes = read_input(&args.file).with_context(|| format!("cannot read {shown}"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{shown} is not UTF-8"))?;
    let all = agent_trace::parse(&text).map_err(|e| anyhow::anyhow!("{shown}: {}", display::line(&e)))?;

    // Check everything before writing anything.
    let mut writes: Vec<(Oid, Vec<FileRecord>)> = Vec::new();
    let mut not_ai = 0;
    for (i, claims) in all.iter().enumerate() {
        let at = |what: String| anyhow::anyhow!("{shown}: record {}: {}", i + 1, display::line(&what));
        not_ai += claims.not_ai;
        let commit = repo
            .revparse_single(&claims.revision)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| at(format!("revision {} is not a commit of this repository", claims.revision)))?;
        let tree = commit.tree()?;
        let existing: Vec<FileRecord> = notes::read_note(repo, commit.id())?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| match r {
                NoteRecord::File(f) => Some(f),
                NoteRecord::NoAi | NoteRecord::Partial => None,
            })
            .collect();
        let mut records = Vec::new();
        for claim in &claims.files {
            let blob = notes::tree_blob(&tree, &claim.path)
                .ok_or_else(|| at(format!("{} is not a file of commit {}", claim.path, commit.id())))?;
            let content = repo.find_blob(blob)?;
            let lines = notes::line_spans(content.content()).len() as u32;
            if let Some(r) = claim.ai.iter().find(|r| r[1] > lines) {
                return Err(at(format!(
                    "{} has {lines} line(s) at {}, but a range ends at line {}",
                    claim.path,
                    commit.id(),
                    r[1]
                )));
            }
            // Lines vouch already knows as AI need no second claim.
            let known = notes::merge_line_ranges(
                existing
                    .iter()
                    .filter(|f| f.path == claim.path && f.blob == blob.to_string())
                    .flat_map(|f| f.ai.clone()),
            );
            let ai = crate::store::derive::subtract(&claim.ai, &known);
            if ai.is_empty() {
                continue;
            }
            records.push(FileRecord {
                path: claim.path.clone(),
                blob: blob.to_string(),
                ai,
                origin: AiSource {
                    tool: claim.tool.clone(),
                    model: claim.model.clone(),
                    session: claim.session.clone(),
                    kind: None,
                },
                evidence: Evidence::History,
                accepted_by: None,
                rationale: None,
                approvals: Vec::new(),
                intent: claim.intent.clone(),
                imported: Some(IMPORTED.to_string()),
                deleted_before: Vec::new(),
                removed: false,
                mode: None,
            });
        }
        if !records.is_empty() {
            writes.push((commit.id(), records));
        }
    }
    let mut lines = 0;
    for (commit, records) in &writes {
        lines += records.iter().flat_map(|r| &r.ai).map(|r| (r[1] - r[0] + 1) as usize).sum::<usize>();
        let records: Vec<NoteRecord> =
            notes::merge_records(records.clone()).into_iter().map(NoteRecord::File).collect();
        notes::write_note(repo, *commit, &records).with_context(|| format!("cannot write the note on {commit}"))?;
    }
    if args.format.format == Format::Json {
        let report = Imported {
            records: all.len(),
            commits: writes.iter().map(|(c, _)| c.to_string()).collect(),
            ai_lines: lines,
            not_imported: not_ai,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    eprintln!(
        "vouch: imported {lines} AI line(s) into the notes of {} commit(s) from {} record(s)",
        writes.len(),
        all.len()
    );
    if not_ai > 0 {
        eprintln!(
            "vouch: {not_ai} range(s) a human or unknown contributor claims were not imported: \
             a claim of human never outranks AI evidence, and an import never attests no-ai"
        );
    }
    Ok(Outcome::Ok)
}

fn read_input(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().lock().take(MAX_INPUT + 1).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?.take(MAX_INPUT + 1).read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > MAX_INPUT {
        bail!("larger than {} MiB", MAX_INPUT >> 20);
    }
    Ok(bytes)
}
