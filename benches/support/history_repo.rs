//! Benchmark repositories, generated: a history shaped like a real AI-heavy
//! project (issue 15), and small synthetic repositories for single effects
//! (a long file blamed through many commits or one, deeply nested items).
//!
//! Everything is deterministic (a fixed seed, fixed timestamps, no network)
//! and written through `git fast-import`, so the full history (over 5,000
//! commits) takes seconds, not minutes. What vouch itself writes (notes,
//! request and approval records) goes through vouch's library, so the
//! formats are the ones vouch reads.
//!
//! The history: an initial import of several hundred Rust, Python and
//! TypeScript files (up to 3,000 lines) and a few Markdown and lock files,
//! then feature branches (one to several commits each, up to three open at
//! once, touching files of one module mostly) merged into `main` with merge
//! commits while other work lands on `main` directly. About 30% of the
//! non-merge commits carry an AI trailer (Claude, Copilot, Cursor, Codex,
//! Gemini), a few an aider author; about 2,000 carry a git-ai note
//! (`refs/notes/ai`, `authorship/3.0.0`, with prompt, session and
//! known-human keys) naming the lines they added. Past the middle of the
//! history the team adopts vouch: `.vouch.toml` is committed, then about 100
//! commits carry vouch notes (`refs/notes/vouch`: file records from an agent
//! hook, or a `no-ai` attestation), and for the AI commits among them the
//! units of HEAD's version of their files are requested and (mostly)
//! approved by the seniors the policy names. One Rust file is the "hot" file
//! a benchmark blames: about 2,200 lines touched by about 90 commits.
//!
//! Built repositories are cached under `target/bench-repos/<key>/`, where
//! the key names [`GENERATOR_VERSION`] and what the generated data depends
//! on in vouch (the fingerprint scheme, the record and note versions): bump
//! the version whenever the output changes.
//!
//! Shared by `benches/history.rs` and the smoke test `tests/bench_repo.rs`.
//! This is not a fixture for behaviour tests: only its proportions are
//! tested.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use vouch::cli::context::Context;
use vouch::policy::Verdict;
use vouch::provenance::{AiSource, Evidence};
use vouch::store::notes::{FileRecord, NoteRecord};
use vouch::store::policy_file::Source;
use vouch::store::records::{self, Approval, Person, Request};
use vouch::syntax::Language;

/// Bump when the generated repositories change, so cached ones are rebuilt
/// (5: records on the records branch, refs/heads/vouch-records).
pub const GENERATOR_VERSION: u32 = 5;

/// The history's size and proportions.
#[derive(Debug, Clone)]
pub struct Shape {
    pub name: &'static str,
    /// Commits in all, merges included (the last merges may add a few).
    pub commits: usize,
    /// Files of the initial import.
    pub files: usize,
    /// Lines of the hot file at the start, and the commits that touch it.
    pub hot_lines: usize,
    pub hot_commits: usize,
    /// Share of non-merge commits with an AI trailer, and with a git-ai note.
    pub trailer_share: f64,
    pub git_ai_share: f64,
    /// Commits with a vouch note (after the policy is committed).
    pub vouch_notes: usize,
    /// Commits in the range the benchmark verifies (`BASE..HEAD`).
    pub range: usize,
}

impl Shape {
    /// The size of the repository issue 15 measured.
    pub fn full() -> Shape {
        Shape {
            name: "full",
            commits: 5300,
            files: 640,
            hot_lines: 1060,
            hot_commits: 90,
            trailer_share: 0.30,
            git_ai_share: 0.46,
            vouch_notes: 100,
            range: 1000,
        }
    }

    /// A few hundred commits: for the smoke test and a quick bench run.
    pub fn small() -> Shape {
        Shape {
            name: "small",
            commits: 400,
            files: 90,
            hot_lines: 400,
            hot_commits: 20,
            trailer_share: 0.30,
            git_ai_share: 0.46,
            vouch_notes: 16,
            range: 100,
        }
    }
}

/// What was built, counted while building (and, where git is the judge,
/// by asking git).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: u32,
    pub shape: String,
    pub commits: usize,
    pub merges: usize,
    /// Non-merge commits whose message carries an AI trailer.
    pub trailer_commits: usize,
    /// Commits with an aider author (AI by history, without a trailer).
    pub aider_commits: usize,
    pub git_ai_notes: usize,
    pub vouch_notes: usize,
    /// Of which `no-ai` attestations.
    pub vouch_no_ai_notes: usize,
    pub requests: usize,
    pub approvals: usize,
    /// Files at HEAD, and the longest one's lines.
    pub files: usize,
    pub max_file_lines: usize,
    pub hot_file: String,
    pub hot_file_lines: usize,
    /// Commits that changed the hot file (`git log -- <file>`).
    pub hot_file_commits: usize,
    pub head: String,
    /// The first-parent commit of `main` whose range to HEAD holds about
    /// `Shape::range` commits.
    pub base: String,
    pub range_commits: usize,
    /// Files the range changed (`git log --name-only BASE..HEAD`).
    pub range_files: usize,
    pub build_seconds: f64,
}

/// A repository under `dir/repo`, its manifest in `dir/manifest.json`.
pub struct Built<M> {
    pub dir: PathBuf,
    pub manifest: M,
}

impl<M> Built<M> {
    pub fn repo(&self) -> PathBuf {
        self.dir.join("repo")
    }
}

// ---------------------------------------------------------------------------
// Caching

/// The cache key: the generator's version and what the generated data
/// depends on in vouch.
pub fn cache_key() -> String {
    let depends = format!(
        "{}/{}/{}",
        vouch::fingerprint::fingerprint("rust", "function", b"fn f() {}\n"),
        records::VERSION,
        vouch::store::notes::SCHEMA_VERSION
    );
    let hash = vouch::fingerprint::sha256_hex(depends.as_bytes());
    format!("v{GENERATOR_VERSION}-{}", &hash[..10])
}

/// The cache root: `target/bench-repos/<key>` (or under `$CARGO_TARGET_DIR`).
pub fn cache_root(manifest_dir: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| manifest_dir.join("target"));
    target.join("bench-repos").join(cache_key())
}

/// Remove the repositories other generator versions built next to `root`.
pub fn prune_stale(root: &Path) {
    let (Some(parent), Some(current)) = (root.parent(), root.file_name()) else { return };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name != current && name.to_string_lossy().starts_with('v') {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The repository `name` under `root`, built by `build` (into an empty
/// directory) unless a complete one is there already. Building happens in a
/// temporary directory that is renamed into place when complete, so an
/// interrupted build is never taken for a cached one.
pub fn cached<M: Serialize + for<'de> Deserialize<'de>>(
    root: &Path,
    name: &str,
    build: impl FnOnce(&Path) -> M,
) -> (Built<M>, bool) {
    let dir = root.join(name);
    let manifest_path = dir.join("manifest.json");
    if let Ok(bytes) = std::fs::read(&manifest_path)
        && let Ok(manifest) = serde_json::from_slice(&bytes)
    {
        return (Built { dir, manifest }, true);
    }
    std::fs::create_dir_all(root).expect("create the cache directory");
    let _ = std::fs::remove_dir_all(&dir);
    let tmp = root.join(format!("{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("create a build directory");
    let manifest = build(&tmp);
    std::fs::write(tmp.join("manifest.json"), serde_json::to_vec_pretty(&manifest).expect("manifest JSON"))
        .expect("write the manifest");
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process finished first: keep its copy.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    (Built { dir, manifest }, false)
}

// ---------------------------------------------------------------------------
// Determinism

/// SplitMix64: tiny, fast, and the same sequence on every platform and
/// version (a crate's generator may change its stream between releases).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }
}

/// 2024-01-01T00:00:00Z.
const EPOCH: i64 = 1_704_067_200;

// ---------------------------------------------------------------------------
// Source text

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Rust,
    Python,
    TypeScript,
    Markdown,
    Lock,
}

/// One line of a file: its text, the commit that wrote it, and, for a plain
/// statement (which an edit may replace, or insert another before), its
/// indentation.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    origin: u32,
    stmt: Option<u8>,
}

/// A file as a header and top-level items (a function, a type with its
/// methods, a section), each ending with its blank separator lines.
#[derive(Debug, Clone)]
struct File {
    lang: Lang,
    header: Vec<Line>,
    items: Vec<Vec<Line>>,
    /// Names handed out so far, to keep them unique.
    names: u32,
}

const VERBS: &[&str] = &[
    "parse",
    "load",
    "store",
    "merge",
    "resolve",
    "render",
    "encode",
    "decode",
    "validate",
    "schedule",
    "dispatch",
    "collect",
    "flush",
    "compact",
    "index",
    "fetch",
    "retry",
    "score",
    "rank",
    "split",
    "normalize",
    "hash",
    "sync",
    "prune",
    "apply",
];
const NOUNS: &[&str] = &[
    "header", "config", "record", "batch", "token", "session", "chunk", "query", "plan", "span", "note", "queue",
    "budget", "segment", "frame", "entry", "cache", "policy", "event", "payload", "request", "report", "window",
    "cursor", "ledger",
];
const TYPES: &[&str] = &[
    "Scheduler",
    "Store",
    "Planner",
    "Resolver",
    "Encoder",
    "Session",
    "Ledger",
    "Pipeline",
    "Router",
    "Registry",
    "Indexer",
    "Compactor",
    "Dispatcher",
    "Tracker",
    "Window",
];
const VARS: &[&str] = &["acc", "delta", "count", "offset", "width", "score", "step", "mask", "seed", "limit_left"];

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Lines for one item, built with their origin.
struct ItemBuilder {
    origin: u32,
    lines: Vec<Line>,
}

impl ItemBuilder {
    fn new(origin: u32) -> ItemBuilder {
        ItemBuilder { origin, lines: Vec::new() }
    }

    fn fixed(&mut self, text: impl Into<String>) {
        self.lines.push(Line { text: text.into(), origin: self.origin, stmt: None });
    }

    fn stmt(&mut self, indent: u8, text: String) {
        self.lines.push(Line { text, origin: self.origin, stmt: Some(indent) });
    }

    /// Between `lo` and `hi` statements of `lang` at `indent`.
    fn stmts(&mut self, lang: Lang, rng: &mut Rng, indent: u8, lo: usize, hi: usize) {
        for _ in 0..rng.range(lo, hi) {
            self.stmt(indent, statement(lang, rng, indent));
        }
    }
}

/// One plain statement of `lang` at `indent`.
fn statement(lang: Lang, rng: &mut Rng, indent: u8) -> String {
    let pad = " ".repeat(indent as usize);
    let v = format!("{}_{}", rng.pick(VARS), rng.below(100));
    let n = rng.range(2, 997);
    let m = rng.range(1, 31);
    let verb = rng.pick(VERBS);
    let noun = rng.pick(NOUNS);
    let risky = rng.chance(0.04);
    let body = match lang {
        Lang::Rust if risky => match rng.below(4) {
            0 => "let out = std::process::Command::new(\"sh\").arg(\"-c\").arg(&command).output()?;".to_string(),
            1 => format!("unsafe {{ std::ptr::write_volatile(&mut total, total.wrapping_add({n})) }};"),
            2 => "conn.execute(\"DELETE FROM jobs WHERE id = ?1\", [total as i64])?;".to_string(),
            _ => format!("std::fs::remove_file(format!(\"/tmp/{noun}-{{}}\", total))?;"),
        },
        Lang::Rust => match rng.below(7) {
            0 => format!("let {v} = total.wrapping_mul({n}).rotate_left({m});"),
            1 => format!("total = total.wrapping_add({n} ^ input.len() as u64);"),
            2 => format!("if total > {n}_000 {{ return Err(Error::Budget({n})); }}"),
            3 => format!("let {v}: Vec<u64> = input.iter().map(|x| x ^ {n}).collect();"),
            4 => format!("tracing::debug!(step = {n}, total, \"{verb} {noun}\");"),
            5 => format!("let {v} = {verb}_{noun}(&input[..limit.min({n})])?;"),
            _ => format!("total ^= (total >> {m}).wrapping_add({n});"),
        },
        Lang::Python if risky => match rng.below(4) {
            0 => "subprocess.run([\"sh\", \"-c\", command], check=True)".to_string(),
            1 => "cursor.execute(\"SELECT * FROM jobs WHERE id = %s\" % total)".to_string(),
            2 => "state = pickle.loads(blob)".to_string(),
            _ => format!("os.remove(\"/tmp/{noun}-%d\" % total)"),
        },
        Lang::Python => match rng.below(7) {
            0 => format!("{v} = total * {n} + len(items)"),
            1 => format!("total += {n} % ({m} + len(items))"),
            2 => format!("if total > {n}000: raise ValueError(\"{noun} over budget: %d\" % total)"),
            3 => format!("{v} = [x * {n} for x in items if x % {m}]"),
            4 => format!("logger.debug(\"{verb} {noun} step %d: %s\", {n}, total)"),
            5 => format!("{v} = {verb}_{noun}(items[:{n}])"),
            _ => format!("total ^= hash((total, {n})) & 0xFFFF"),
        },
        Lang::TypeScript if risky => match rng.below(4) {
            0 => "eval(code);".to_string(),
            1 => "execSync(`git ${command}`);".to_string(),
            2 => "void fetch(url, { method: \"POST\", body: JSON.stringify(total) });".to_string(),
            _ => "localStorage.setItem(\"token\", String(total));".to_string(),
        },
        Lang::TypeScript => match rng.below(7) {
            0 => format!("const {} = total * {n} + items.length;", camel(&v)),
            1 => format!("total += {n} % ({m} + items.length);"),
            2 => format!("if (total > {n}000) {{ throw new Error(`{noun} over budget: ${{total}}`); }}"),
            3 => format!("const {} = items.filter((x) => x % {m} === 0).map((x) => x * {n});", camel(&v)),
            4 => format!("console.debug(\"{verb} {noun}\", {n}, total);"),
            5 => format!("const {} = {}(items.slice(0, {n}));", camel(&v), camel(&format!("{verb}_{noun}"))),
            _ => format!("total ^= (total << {m}) & 0xffff;"),
        },
        Lang::Markdown => format!(
            "The {noun} {verb}s in step {n}; see the {} notes when the {} budget is over {m}.",
            rng.pick(NOUNS),
            rng.pick(NOUNS)
        ),
        Lang::Lock => format!("version = \"{}.{}.{}\"", rng.below(4), rng.below(30), rng.below(20)),
    };
    format!("{pad}{body}")
}

impl File {
    fn new(lang: Lang, rng: &mut Rng, module: &str, origin: u32) -> File {
        let mut h = ItemBuilder::new(origin);
        match lang {
            Lang::Rust => {
                h.fixed(format!("//! The {module} {} and what it {}s.", rng.pick(NOUNS), rng.pick(VERBS)));
                h.fixed("");
                h.fixed("use std::collections::HashMap;");
                h.fixed("");
                h.fixed("use crate::error::Error;");
                h.fixed("");
            }
            Lang::Python => {
                h.fixed(format!("\"\"\"The {module} {} and what it {}s.\"\"\"", rng.pick(NOUNS), rng.pick(VERBS)));
                h.fixed("");
                h.fixed("import logging");
                h.fixed("import os");
                h.fixed("");
                h.fixed("logger = logging.getLogger(__name__)");
                h.fixed("");
                h.fixed("");
            }
            Lang::TypeScript => {
                h.fixed("import { execSync } from \"node:child_process\";");
                h.fixed(format!("import {{ Logger }} from \"../{module}/logger\";"));
                h.fixed("");
            }
            Lang::Markdown => {
                h.fixed(format!("# The {module} {}", rng.pick(NOUNS)));
                h.fixed("");
            }
            Lang::Lock => {
                h.fixed("# This file is automatically @generated by Cargo.");
                h.fixed("version = 4");
                h.fixed("");
            }
        }
        File { lang, header: h.lines, items: Vec::new(), names: 0 }
    }

    fn line_count(&self) -> usize {
        self.header.len() + self.items.iter().map(Vec::len).sum::<usize>()
    }

    fn render(&self) -> String {
        let mut out = String::with_capacity(self.line_count() * 40);
        for line in self.header.iter().chain(self.items.iter().flatten()) {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }

    /// 1-based line ranges written by commit `origin`.
    fn lines_of(&self, origin: u32) -> Vec<[u32; 2]> {
        let mut out: Vec<[u32; 2]> = Vec::new();
        for (i, line) in self.header.iter().chain(self.items.iter().flatten()).enumerate() {
            if line.origin != origin {
                continue;
            }
            let n = i as u32 + 1;
            match out.last_mut() {
                Some(last) if last[1] + 1 == n => last[1] = n,
                _ => out.push([n, n]),
            }
        }
        out
    }

    fn fresh_name(&mut self, rng: &mut Rng) -> String {
        self.names += 1;
        format!("{}_{}_{}", rng.pick(VERBS), rng.pick(NOUNS), self.names)
    }

    /// A new top-level item.
    fn new_item(&mut self, rng: &mut Rng, origin: u32) -> Vec<Line> {
        let mut b = ItemBuilder::new(origin);
        let lang = self.lang;
        let class = rng.chance(0.25);
        match (lang, class) {
            (Lang::Rust, false) => {
                let name = self.fresh_name(rng);
                b.fixed(format!(
                    "/// {}s the {} for stage {}.",
                    capitalize(rng.pick::<&str>(VERBS)),
                    rng.pick(NOUNS),
                    self.names
                ));
                b.fixed(format!("pub fn {name}(input: &[u64], limit: usize) -> Result<u64, Error> {{"));
                b.stmt(4, "    let mut total: u64 = 0;".into());
                b.stmts(lang, rng, 4, 2, 8);
                if rng.chance(0.5) {
                    b.fixed("    for x in input.iter().take(limit) {");
                    b.stmts(lang, rng, 8, 1, 5);
                    b.fixed("    }");
                    b.stmts(lang, rng, 4, 0, 3);
                }
                b.fixed("    Ok(total)");
                b.fixed("}");
                b.fixed("");
            }
            (Lang::Rust, true) => {
                self.names += 1;
                let ty = format!("{}{}", rng.pick(TYPES), self.names);
                b.fixed(format!("/// What the {} keeps between calls.", rng.pick(NOUNS)));
                b.fixed("#[derive(Debug, Clone, Default)]");
                b.fixed(format!("pub struct {ty} {{"));
                b.fixed("    pub id: u64,");
                b.fixed("    pub name: String,");
                b.fixed("    limit: usize,");
                b.fixed("}");
                b.fixed("");
                b.fixed(format!("impl {ty} {{"));
                let methods = rng.range(1, 4);
                for k in 0..methods {
                    let name = self.fresh_name(rng);
                    b.fixed(format!("    pub fn {name}(&self, input: &[u64]) -> u64 {{"));
                    b.stmt(8, "        let mut total: u64 = self.id;".into());
                    b.stmts(lang, rng, 8, 2, 7);
                    b.fixed("        total");
                    b.fixed("    }");
                    if k + 1 < methods {
                        b.fixed("");
                    }
                }
                b.fixed("}");
                b.fixed("");
            }
            (Lang::Python, false) => {
                let name = self.fresh_name(rng);
                b.fixed(format!("def {name}(items, limit=100):"));
                b.fixed(format!(
                    "    \"\"\"{} the {} for stage {}.\"\"\"",
                    capitalize(rng.pick::<&str>(VERBS)),
                    rng.pick(NOUNS),
                    self.names
                ));
                b.stmt(4, "    total = 0".into());
                b.stmts(lang, rng, 4, 2, 8);
                if rng.chance(0.5) {
                    b.fixed("    for item in items[:limit]:");
                    b.stmts(lang, rng, 8, 1, 5);
                    b.stmts(lang, rng, 4, 0, 3);
                }
                b.fixed("    return total");
                b.fixed("");
                b.fixed("");
            }
            (Lang::Python, true) => {
                self.names += 1;
                let ty = format!("{}{}", rng.pick(TYPES), self.names);
                b.fixed(format!("class {ty}:"));
                b.fixed(format!("    \"\"\"What the {} keeps between calls.\"\"\"", rng.pick(NOUNS)));
                b.fixed("");
                b.fixed("    def __init__(self, name, limit=100):");
                b.fixed("        self.name = name");
                b.fixed("        self.limit = limit");
                for _ in 0..rng.range(1, 4) {
                    let name = self.fresh_name(rng);
                    b.fixed("");
                    b.fixed(format!("    def {name}(self, items):"));
                    b.stmt(8, "        total = self.limit".into());
                    b.stmts(lang, rng, 8, 2, 7);
                    b.fixed("        return total");
                }
                b.fixed("");
                b.fixed("");
            }
            (Lang::TypeScript, false) => {
                let name = camel(&self.fresh_name(rng));
                b.fixed(format!(
                    "/** {}s the {} for stage {}. */",
                    capitalize(rng.pick::<&str>(VERBS)),
                    rng.pick(NOUNS),
                    self.names
                ));
                b.fixed(format!("export function {name}(items: number[], limit: number): number {{"));
                b.stmt(2, "  let total = 0;".into());
                b.stmts(lang, rng, 2, 2, 8);
                if rng.chance(0.5) {
                    b.fixed("  for (const item of items.slice(0, limit)) {");
                    b.stmts(lang, rng, 4, 1, 5);
                    b.fixed("  }");
                    b.stmts(lang, rng, 2, 0, 3);
                }
                b.fixed("  return total;");
                b.fixed("}");
                b.fixed("");
            }
            (Lang::TypeScript, true) => {
                self.names += 1;
                let ty = format!("{}{}", rng.pick(TYPES), self.names);
                b.fixed(format!("export class {ty} {{"));
                b.fixed("  private readonly limit: number;");
                b.fixed("");
                b.fixed("  constructor(private readonly name: string, limit = 100) {");
                b.fixed("    this.limit = limit;");
                b.fixed("  }");
                for _ in 0..rng.range(1, 4) {
                    let name = camel(&self.fresh_name(rng));
                    b.fixed("");
                    b.fixed(format!("  {name}(items: number[]): number {{"));
                    b.stmt(4, "    let total = this.limit;".into());
                    b.stmts(lang, rng, 4, 2, 7);
                    b.fixed("    return total;");
                    b.fixed("  }");
                }
                b.fixed("}");
                b.fixed("");
            }
            (Lang::Markdown, _) => {
                self.names += 1;
                b.fixed(format!("## {} {}", capitalize(rng.pick::<&str>(VERBS)), rng.pick(NOUNS)));
                b.fixed("");
                b.stmts(lang, rng, 0, 2, 8);
                b.fixed("");
            }
            (Lang::Lock, _) => {
                self.names += 1;
                b.fixed("[[package]]");
                b.fixed(format!("name = \"{}-{}\"", rng.pick(NOUNS), self.names));
                b.stmt(0, statement(Lang::Lock, rng, 0));
                b.fixed("");
            }
        }
        b.lines
    }

    /// Items until the file has about `lines` lines.
    fn fill(&mut self, rng: &mut Rng, lines: usize, origin: u32) {
        while self.line_count() < lines {
            let item = self.new_item(rng, origin);
            self.items.push(item);
        }
    }

    fn add_item(&mut self, rng: &mut Rng, origin: u32) {
        let item = self.new_item(rng, origin);
        let at = rng.range(0, self.items.len());
        self.items.insert(at, item);
    }

    /// Replace up to `replace` statements of one or two items and insert up
    /// to `insert` new ones.
    fn modify(&mut self, rng: &mut Rng, origin: u32, replace: usize, insert: usize) {
        if self.items.is_empty() {
            return;
        }
        let lang = self.lang;
        for _ in 0..rng.range(1, 2) {
            let item = rng.below(self.items.len());
            let lines = &mut self.items[item];
            let stmts: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].stmt.is_some()).collect();
            if stmts.is_empty() {
                continue;
            }
            for _ in 0..replace {
                let i = *rng.pick(&stmts);
                let indent = lines[i].stmt.unwrap_or(0);
                lines[i] = Line { text: statement(lang, rng, indent), origin, stmt: Some(indent) };
            }
            for _ in 0..insert {
                let i = *rng.pick(&stmts);
                let indent = lines[i].stmt.unwrap_or(0);
                lines.insert(i, Line { text: statement(lang, rng, indent), origin, stmt: Some(indent) });
            }
        }
    }

    fn delete_item(&mut self, rng: &mut Rng) {
        if self.items.len() > 4 {
            let at = rng.below(self.items.len());
            self.items.remove(at);
        }
    }

    /// One commit's change to this file: edits of the size real commits make.
    fn change(&mut self, rng: &mut Rng, origin: u32) {
        let big = self.line_count() > 2850;
        match rng.below(20) {
            0..=8 => {
                let (replace, insert) = (rng.range(1, 4), rng.range(0, 3));
                self.modify(rng, origin, replace, insert);
            }
            9..=14 if !big => self.add_item(rng, origin),
            9..=14 => {
                self.delete_item(rng);
                self.modify(rng, origin, 2, 0);
            }
            15..=17 => {
                if !big {
                    self.add_item(rng, origin);
                }
                let (replace, insert) = (rng.range(1, 3), rng.range(0, 2));
                self.modify(rng, origin, replace, insert);
            }
            _ => {
                self.delete_item(rng);
                self.modify(rng, origin, 1, 1);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// People and messages

#[derive(Debug, Clone, Copy)]
struct Who {
    name: &'static str,
    email: &'static str,
}

const DEVS: &[Who] = &[
    Who { name: "Ana Lima", email: "ana@example.com" },
    Who { name: "Ben Okafor", email: "ben@example.com" },
    Who { name: "Chen Wei", email: "chen@example.com" },
    Who { name: "Dana Smith", email: "dana@example.com" },
    Who { name: "Eli Cohen", email: "eli@example.com" },
    Who { name: "Fatima Noor", email: "fatima@example.com" },
    Who { name: "Gus Berg", email: "gus@example.com" },
    Who { name: "Hana Sato", email: "hana@example.com" },
    Who { name: "Ivan Petrov", email: "ivan@example.com" },
    Who { name: "Jules Martin", email: "jules@example.com" },
];

/// The reviewers the policy names; they write some code too.
const SENIORS: &[Who] = &[
    Who { name: "Sam Rivera", email: "sam@example.com" },
    Who { name: "Rita Okoye", email: "rita@example.com" },
    Who { name: "Lee Park", email: "lee@example.com" },
];

const GITHUB: Who = Who { name: "GitHub", email: "noreply@github.com" };

/// AI trailers as tools write them, with weights (out of 100).
const AI_TRAILERS: &[(u32, &str)] = &[
    (40, "Co-authored-by: Claude <noreply@anthropic.com>"),
    (
        20,
        "\u{1F916} Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    ),
    (8, "Co-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>"),
    (12, "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>"),
    (8, "Co-authored-by: Cursor Agent <cursoragent@cursor.com>"),
    (6, "Co-authored-by: Codex <codex@openai.com>"),
    (6, "Assisted-by: Gemini Code Assist"),
];

fn ai_trailer(rng: &mut Rng) -> &'static str {
    let mut roll = rng.below(100) as u32;
    for &(weight, trailer) in AI_TRAILERS {
        if roll < weight {
            return trailer;
        }
        roll -= weight;
    }
    AI_TRAILERS[0].1
}

const KINDS: &[&str] = &["feat", "fix", "refactor", "perf", "test", "docs", "chore"];

fn title(rng: &mut Rng, module: &str) -> String {
    format!("{}({module}): {} the {} {}", rng.pick(KINDS), rng.pick(VERBS), rng.pick(NOUNS), rng.pick(NOUNS))
}

/// A fast-import `data` block.
fn data(out: &mut impl Write, bytes: &[u8]) {
    writeln!(out, "data {}", bytes.len()).expect("write to fast-import");
    out.write_all(bytes).expect("write to fast-import");
    out.write_all(b"\n").expect("write to fast-import");
}

fn ident(who: Who, time: i64) -> String {
    format!("{} <{}> {time} +0000", who.name, who.email)
}

// ---------------------------------------------------------------------------
// git

/// Run `cmd` in `dir` with no system or global git configuration and `dir`
/// as its home.
pub fn isolate(cmd: &mut Command, dir: &Path) {
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
}

/// `git` in `dir`, isolated as [`isolate`] says.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    isolate(&mut cmd, dir);
    cmd
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn init_repo(repo: &Path) {
    std::fs::create_dir_all(repo).expect("create the repository directory");
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["config", "user.name", "Bench"]);
    git(repo, &["config", "user.email", "bench@example.com"]);
    git(repo, &["config", "commit.gpgsign", "false"]);
    git(repo, &["config", "gc.auto", "0"]);
}

struct FastImport {
    child: Child,
    out: BufWriter<ChildStdin>,
}

impl FastImport {
    fn start(repo: &Path) -> FastImport {
        let mut child = git_command(repo)
            .args(["fast-import", "--quiet", "--force", "--done"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("git fast-import runs");
        let out = BufWriter::with_capacity(1 << 20, child.stdin.take().expect("stdin"));
        FastImport { child, out }
    }

    fn finish(mut self) {
        self.out.write_all(b"done\n").expect("write to fast-import");
        drop(self.out);
        let status = self.child.wait().expect("git fast-import ends");
        assert!(status.success(), "git fast-import failed");
    }
}

/// Check out `main`, drop the scratch ref, pack and write the commit-graph
/// (as a maintained clone has them).
fn finish_repo(repo: &Path) {
    let _ = git_command(repo).args(["update-ref", "-d", "refs/heads/wip"]).output();
    git(repo, &["reset", "-q", "--hard", "main"]);
    git(repo, &["gc", "-q"]);
    git(repo, &["commit-graph", "write", "--reachable"]);
}

// ---------------------------------------------------------------------------
// The history

/// A vouch policy naming the seniors as reviewers.
pub fn policy_text() -> String {
    let seniors: Vec<String> = SENIORS.iter().map(|s| format!("\"{}\"", s.email)).collect();
    format!(
        "# vouch policy: who signs off on AI-written code.\n\
         gate = \"block\"\n\
         reviewers = [\"@seniors\"]\n\
         approvals = 1\n\
         exempt = [\"**/generated/**\", \"vendor/\", \"*.lock\"]\n\
         \n\
         [groups]\n\
         seniors = [{}]\n",
        seniors.join(", ")
    )
}

const MODULES: &[(&str, Lang, &str)] = &[
    ("src/engine", Lang::Rust, "rs"),
    ("src/storage", Lang::Rust, "rs"),
    ("src/net", Lang::Rust, "rs"),
    ("src/query", Lang::Rust, "rs"),
    ("src/auth", Lang::Rust, "rs"),
    ("src/cli", Lang::Rust, "rs"),
    ("crates/codec/src", Lang::Rust, "rs"),
    ("py/pipeline", Lang::Python, "py"),
    ("py/analysis", Lang::Python, "py"),
    ("py/tools", Lang::Python, "py"),
    ("web/src/api", Lang::TypeScript, "ts"),
    ("web/src/components", Lang::TypeScript, "ts"),
    ("web/src/state", Lang::TypeScript, "ts"),
    ("docs", Lang::Markdown, "md"),
];

/// The file the benchmark blames.
pub const HOT_FILE: &str = "src/engine/scheduler.rs";

/// Initial size of a file: most are small, a few long (up to 3,000 lines).
fn initial_lines(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=49 => rng.range(25, 150),
        50..=79 => rng.range(150, 500),
        80..=94 => rng.range(500, 1500),
        _ => rng.range(1500, 2900),
    }
}

/// One of `items`, each as likely as its weight says.
fn pick_weighted(rng: &mut Rng, items: &[(String, u32)]) -> Option<String> {
    let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.next_u64() % total;
    for (item, w) in items {
        if roll < u64::from(*w) {
            return Some(item.clone());
        }
        roll -= u64::from(*w);
    }
    None
}

/// What one commit says about itself.
#[derive(Default)]
struct Attributes {
    trailer: Option<&'static str>,
    aider: bool,
    git_ai: bool,
    vouch: bool,
}

impl Attributes {
    fn is_ai(&self) -> bool {
        self.trailer.is_some() || self.aider || self.git_ai
    }
}

struct Branch {
    id: usize,
    tip: u32,
    author: Who,
    module: usize,
    commits: usize,
    target: usize,
    /// This branch's versions of the files it changed (new files included).
    overlay: BTreeMap<String, File>,
    /// Files changed on `main` since the branch forked: off limits to it.
    forbidden: BTreeSet<String>,
    title: String,
}

struct History<'a> {
    shape: &'a Shape,
    rng: Rng,
    fi: FastImport,
    time: i64,
    /// Commits made so far; also the next commit's mark.
    made: u32,
    merges: usize,
    nonmerge: usize,
    trailers: usize,
    aiders: usize,
    main_tip: u32,
    main: BTreeMap<String, File>,
    /// Files a branch changed, to the branch.
    locked: BTreeMap<String, usize>,
    /// How likely each file is to be picked, relative to others.
    heat: BTreeMap<String, u32>,
    open: Vec<Branch>,
    next_branch: usize,
    hot_due: usize,
    hot_step: usize,
    policy_at: u32,
    policy_done: bool,
    vouch_made: usize,
    new_files: usize,
    git_ai_notes: Vec<(u32, String)>,
    vouch_notes: Vec<(u32, String)>,
    vouch_no_ai: usize,
    /// Vouch-noted AI commits: their mark, author, time and files.
    signoff_plan: Vec<(u32, Who, i64, Vec<String>)>,
}

/// Where a commit goes.
#[derive(Clone, Copy)]
enum Target {
    Main,
    Branch(usize),
}

impl History<'_> {
    fn tick(&mut self) -> i64 {
        self.time += self.rng.range(600, 5400) as i64;
        self.time
    }

    fn module_of(path: &str) -> Option<usize> {
        MODULES.iter().position(|(dir, _, _)| path.rsplit_once('/').is_some_and(|(d, _)| d == *dir))
    }

    fn may_touch(&self, target: Target, path: &str) -> bool {
        match target {
            Target::Main => !self.locked.contains_key(path),
            Target::Branch(b) => {
                let branch = &self.open[b];
                self.locked.get(path).is_none_or(|&owner| owner == branch.id) && !branch.forbidden.contains(path)
            }
        }
    }

    /// Files for one commit: mostly from `module`, some anywhere.
    fn pick_files(&mut self, target: Target, module: usize) -> Vec<String> {
        let mut candidates: Vec<&String> = self.main.keys().collect();
        if let Target::Branch(b) = target {
            candidates.extend(self.open[b].overlay.keys().filter(|p| !self.main.contains_key(*p)));
        }
        let eligible: Vec<String> = candidates
            .into_iter()
            .filter(|p| p.as_str() != HOT_FILE && !p.ends_with(".lock") && self.may_touch(target, p))
            .cloned()
            .collect();
        let weigh = |paths: Vec<&String>| -> Vec<(String, u32)> {
            paths.into_iter().map(|p| (p.clone(), self.heat.get(p).copied().unwrap_or(1))).collect()
        };
        let home = weigh(eligible.iter().filter(|p| Self::module_of(p) == Some(module)).collect());
        let anywhere = weigh(eligible.iter().collect());
        let k = match self.rng.below(100) {
            0..=44 => 1,
            45..=71 => 2,
            72..=86 => 3,
            _ => self.rng.range(4, 7),
        };
        let mut out: Vec<String> = Vec::new();
        for _ in 0..k {
            let from = if !home.is_empty() && self.rng.chance(0.8) { &home } else { &anywhere };
            let Some(path) = pick_weighted(&mut self.rng, from) else { continue };
            if !out.contains(&path) {
                out.push(path);
            }
        }
        out
    }

    /// How often a new file will change: a fifth of the files get most of
    /// the changes, half are rarely touched (new files are more often hot).
    fn new_heat(&mut self, path: &str, new: bool) {
        let heat = match self.rng.below(100) {
            r if r < 20 || new && r < 50 => 40,
            r if r < 50 => 6,
            _ => 1,
        };
        self.heat.insert(path.to_string(), heat);
    }

    /// The version of `path` that `target` sees.
    fn file_for(&self, target: Target, path: &str) -> Option<File> {
        if let Target::Branch(b) = target
            && let Some(f) = self.open[b].overlay.get(path)
        {
            return Some(f.clone());
        }
        self.main.get(path).cloned()
    }

    fn store_file(&mut self, target: Target, path: String, file: File) {
        match target {
            Target::Main => {
                for branch in &mut self.open {
                    branch.forbidden.insert(path.clone());
                }
                self.main.insert(path, file);
            }
            Target::Branch(b) => {
                let id = self.open[b].id;
                self.locked.insert(path.clone(), id);
                self.open[b].overlay.insert(path, file);
            }
        }
    }

    fn attributes(&mut self) -> Attributes {
        let shape = self.shape;
        let mut a = Attributes::default();
        if self.policy_done && self.vouch_made < shape.vouch_notes {
            let left = (shape.commits as i64 - self.made as i64).max(1) as f64 * 0.8;
            let p = (shape.vouch_notes - self.vouch_made) as f64 / left;
            a.vouch = self.rng.chance(p.min(1.0));
        }
        if a.vouch {
            // An agent commit, its hook recorded (the note has file
            // records), or a human one attested "no AI".
            if self.rng.chance(0.8) {
                a.trailer = self.rng.chance(0.5).then(|| ai_trailer(&mut self.rng));
                a.git_ai = self.rng.chance(0.3);
                if a.trailer.is_none() && !a.git_ai {
                    a.trailer = Some(AI_TRAILERS[0].1);
                }
            }
            return a;
        }
        a.trailer = self.rng.chance(shape.trailer_share).then(|| ai_trailer(&mut self.rng));
        a.aider = a.trailer.is_none() && self.rng.chance(0.02);
        a.git_ai = self.rng.chance(shape.git_ai_share);
        a
    }

    fn message(&mut self, module: usize, a: &Attributes) -> String {
        let mut msg = title(&mut self.rng, MODULES[module].0);
        msg.push('\n');
        if self.rng.chance(0.5) {
            msg.push('\n');
            for _ in 0..self.rng.range(1, 3) {
                msg.push_str(&format!(
                    "The {} now {}s the {} before the {} is written.\n",
                    self.rng.pick(NOUNS),
                    self.rng.pick(VERBS),
                    self.rng.pick(NOUNS),
                    self.rng.pick(NOUNS),
                ));
            }
        }
        let mut trailers: Vec<String> = Vec::new();
        if self.rng.chance(0.05) {
            let who = self.rng.pick(DEVS);
            trailers.push(format!("Co-authored-by: {} <{}>", who.name, who.email));
        }
        if let Some(t) = a.trailer {
            trailers.push(t.to_string());
        }
        if !trailers.is_empty() {
            msg.push('\n');
            msg.push_str(&trailers.join("\n"));
            msg.push('\n');
        }
        msg
    }

    /// One non-merge commit on `target`.
    fn commit(&mut self, target: Target) {
        let mark = self.made + 1;
        let time = self.tick();
        let (module, author) = match target {
            Target::Main => {
                let author = if self.rng.chance(0.15) { *self.rng.pick(SENIORS) } else { *self.rng.pick(DEVS) };
                (self.rng.below(MODULES.len()), author)
            }
            Target::Branch(b) => (self.open[b].module, self.open[b].author),
        };
        let a = self.attributes();

        let mut paths = self.pick_files(target, module);
        let mut new_path = None;
        // A new file now and then.
        if self.rng.chance(0.02) || paths.is_empty() {
            let (dir, lang, ext) = MODULES[module];
            self.new_files += 1;
            let name = format!("{dir}/{}_{}_{}.{ext}", self.rng.pick(NOUNS), self.rng.pick(NOUNS), self.new_files);
            let mut file = File::new(lang, &mut self.rng, dir.rsplit('/').next().unwrap_or(dir), mark);
            let lines = self.rng.range(20, 200);
            file.fill(&mut self.rng, lines, mark);
            self.store_file(target, name.clone(), file);
            self.new_heat(&name, true);
            paths.push(name.clone());
            new_path = Some(name);
        }
        // The hot file, when its turn has come and this commit may have it.
        if self.made as usize >= self.hot_due && self.may_touch(target, HOT_FILE) {
            self.hot_due += self.hot_step;
            paths.push(HOT_FILE.to_string());
        }

        let mut changed: Vec<(String, String, Vec<[u32; 2]>)> = Vec::new();
        for path in paths {
            let Some(mut file) = self.file_for(target, &path) else { continue };
            if new_path.as_ref() != Some(&path) {
                if path == HOT_FILE {
                    // About 11 lines more each time: 90 commits take it
                    // from 1,200 lines to about 2,200.
                    if self.rng.chance(0.5) {
                        file.add_item(&mut self.rng, mark);
                    }
                    file.modify(&mut self.rng, mark, 3, 1);
                } else {
                    file.change(&mut self.rng, mark);
                }
            }
            let lines = file.lines_of(mark);
            changed.push((path.clone(), file.render(), lines));
            self.store_file(target, path, file);
        }

        let author = if a.aider { Who { name: "Ana Lima (aider)", email: "ana@example.com" } } else { author };
        let msg = self.message(module, &a);
        let (refname, parent) = match target {
            Target::Main => ("refs/heads/main", self.main_tip),
            Target::Branch(b) => ("refs/heads/wip", self.open[b].tip),
        };
        let out = &mut self.fi.out;
        write!(out, "commit {refname}\nmark :{mark}\n").expect("write");
        writeln!(out, "author {}", ident(author, time)).expect("write");
        writeln!(out, "committer {}", ident(author, time)).expect("write");
        data(out, msg.as_bytes());
        writeln!(out, "from :{parent}").expect("write");
        for (path, text, _) in &changed {
            writeln!(out, "M 100644 inline {path}").expect("write");
            data(out, text.as_bytes());
        }

        self.made = mark;
        self.nonmerge += 1;
        self.trailers += usize::from(a.trailer.is_some());
        self.aiders += usize::from(a.aider);
        match target {
            Target::Main => self.main_tip = mark,
            Target::Branch(b) => {
                self.open[b].tip = mark;
                self.open[b].commits += 1;
            }
        }
        if a.git_ai {
            let note = self.git_ai_note(author, &changed, a.trailer.is_none() && !a.aider && !a.vouch);
            self.git_ai_notes.push((mark, note));
        }
        if a.vouch {
            self.vouch_note(mark, author, time, &a, &changed);
        }
    }

    /// A git-ai authorship log (`authorship/3.0.0`) for the lines the commit
    /// wrote: mostly an agent's, some a known human's; with `may_be_human`,
    /// one in ten says only a human wrote them.
    fn git_ai_note(&mut self, author: Who, changed: &[(String, String, Vec<[u32; 2]>)], may_be_human: bool) -> String {
        let rng = &mut self.rng;
        let human_only = may_be_human && rng.chance(0.1);
        let (tool, model) = *rng.pick(&[
            ("claude", "claude-sonnet-4-5"),
            ("claude", "claude-opus-4-1"),
            ("cursor", "gpt-5"),
            ("copilot", "gpt-4.1"),
            ("codex", "gpt-5-codex"),
        ]);
        let session_style = rng.chance(0.5);
        let (key, session) = if session_style {
            let s = format!("s_{}", rng.hex(14));
            (format!("{s}::t_{}", rng.hex(14)), s)
        } else {
            let k = rng.hex(16);
            (k.clone(), k)
        };
        let human = format!("h_{}", rng.hex(14));
        let human_author = format!("{} <{}>", author.name, author.email);
        let mut attestation = String::new();
        let mut accepted = 0;
        let mut used_human = false;
        for (path, _, lines) in changed {
            if lines.is_empty() {
                continue;
            }
            attestation.push_str(path);
            attestation.push('\n');
            let ranges = |rs: &[[u32; 2]]| {
                rs.iter()
                    .map(|r| if r[0] == r[1] { r[0].to_string() } else { format!("{}-{}", r[0], r[1]) })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            if human_only {
                attestation.push_str(&format!("  {human} {}\n", ranges(lines)));
                used_human = true;
                continue;
            }
            // A known human touched up the last range now and then.
            let split = lines.len() > 1 && rng.chance(0.2);
            let (ai, hu) = if split { lines.split_at(lines.len() - 1) } else { (&lines[..], &[][..]) };
            accepted += ai.iter().map(|r| r[1] - r[0] + 1).sum::<u32>();
            attestation.push_str(&format!("  {key} {}\n", ranges(ai)));
            if !hu.is_empty() {
                attestation.push_str(&format!("  {human} {}\n", ranges(hu)));
                used_human = true;
            }
        }
        let agent = serde_json::json!({"tool": tool, "id": format!("{}-{}", rng.hex(8), rng.hex(12)), "model": model});
        let messages = if rng.chance(0.2) {
            serde_json::json!([
                {"type": "user", "text": format!("{} the {} in {}", rng.pick(VERBS), rng.pick(NOUNS), changed.first().map_or("", |c| c.0.as_str())), "timestamp": "2025-06-01T10:00:00.000Z"},
                {"type": "assistant", "text": "Done: the change is in place and the tests pass.", "timestamp": "2025-06-01T10:00:42.000Z"}
            ])
        } else {
            serde_json::json!([])
        };
        let record = serde_json::json!({
            "agent_id": agent,
            "human_author": human_author,
            "messages": messages,
            "total_additions": accepted + rng.below(5) as u32,
            "total_deletions": rng.below(10),
            "accepted_lines": accepted,
            "overriden_lines": 0,
        });
        let mut meta = serde_json::json!({
            "schema_version": "authorship/3.0.0",
            "git_ai_version": "1.3.4",
            "base_commit_sha": rng.hex(40),
            "prompts": {},
        });
        let one = |k: String, v: serde_json::Value| serde_json::Value::Object([(k, v)].into_iter().collect());
        if !human_only {
            if session_style {
                meta["sessions"] = one(session, record);
            } else {
                meta["prompts"] = one(key, record);
            }
        }
        if used_human {
            meta["humans"] = one(human, serde_json::json!({"author": human_author}));
        }
        format!("{attestation}---\n{}", serde_json::to_string_pretty(&meta).expect("JSON"))
    }

    /// The note vouch's post-commit hook writes: file records of an agent's
    /// lines, or a `no-ai` attestation.
    fn vouch_note(
        &mut self,
        mark: u32,
        author: Who,
        time: i64,
        a: &Attributes,
        changed: &[(String, String, Vec<[u32; 2]>)],
    ) {
        let mut lines: BTreeSet<String> = BTreeSet::new();
        if a.is_ai() {
            let session = format!("{}-{}", self.rng.hex(8), self.rng.hex(12));
            for (path, text, ai) in changed {
                if ai.is_empty() {
                    continue;
                }
                let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).expect("hash a blob");
                let record = FileRecord {
                    path: path.clone(),
                    blob: blob.to_string(),
                    ai: ai.clone(),
                    origin: AiSource {
                        tool: "claude".into(),
                        model: Some("claude-sonnet-4-5".into()),
                        session: Some(session.clone()),
                        kind: None,
                    },
                    evidence: Evidence::AgentHook,
                    accepted_by: Some(author.email.to_string()),
                    rationale: None,
                    approvals: Vec::new(),
                    intent: None,
                    imported: None,
                    deleted_before: Vec::new(),
                    removed: false,
                    mode: None,
                };
                lines.insert(NoteRecord::File(record).to_line());
            }
            let files: Vec<String> = changed.iter().filter(|c| !c.2.is_empty()).map(|c| c.0.clone()).collect();
            if !files.is_empty() {
                self.signoff_plan.push((mark, author, time, files));
            }
        } else {
            lines.insert(NoteRecord::NoAi.to_line());
            self.vouch_no_ai += 1;
        }
        if lines.is_empty() {
            // Nothing the agent wrote is left (only deletions): no note.
            return;
        }
        let text: String = lines.into_iter().map(|l| l + "\n").collect();
        self.vouch_notes.push((mark, text));
        self.vouch_made += 1;
    }

    fn open_branch(&mut self) {
        let module = self.rng.below(MODULES.len());
        let author = if self.rng.chance(0.1) { *self.rng.pick(SENIORS) } else { *self.rng.pick(DEVS) };
        let target = match self.rng.below(10) {
            0..=3 => 1,
            4..=6 => 2,
            7..=8 => self.rng.range(3, 5),
            _ => self.rng.range(6, 12),
        };
        self.next_branch += 1;
        let title = title(&mut self.rng, MODULES[module].0);
        self.open.push(Branch {
            id: self.next_branch,
            tip: self.main_tip,
            author,
            module,
            commits: 0,
            target,
            overlay: BTreeMap::new(),
            forbidden: BTreeSet::new(),
            title,
        });
    }

    /// Merge branch `b` into `main` with a merge commit (a pull request's).
    fn merge(&mut self, b: usize) {
        let branch = self.open.remove(b);
        if branch.commits == 0 {
            return;
        }
        let mark = self.made + 1;
        let time = self.tick();
        let merger = *self.rng.pick(SENIORS);
        let msg = format!(
            "Merge pull request #{} from example/{}-{}\n\n{}\n",
            branch.id + 100,
            branch.author.email.split('@').next().unwrap_or("dev"),
            branch.id,
            branch.title
        );
        let out = &mut self.fi.out;
        write!(out, "commit refs/heads/main\nmark :{mark}\n").expect("write");
        writeln!(out, "author {}", ident(merger, time)).expect("write");
        writeln!(out, "committer {}", ident(GITHUB, time)).expect("write");
        data(out, msg.as_bytes());
        writeln!(out, "from :{}", self.main_tip).expect("write");
        writeln!(out, "merge :{}", branch.tip).expect("write");
        // The branch's files were not changed on main since it forked, so
        // main's tree with the branch's versions is the clean merge.
        for (path, file) in &branch.overlay {
            writeln!(out, "M 100644 inline {path}").expect("write");
            data(out, file.render().as_bytes());
        }
        self.made = mark;
        self.merges += 1;
        self.main_tip = mark;
        for (path, file) in branch.overlay {
            self.locked.remove(&path);
            for other in &mut self.open {
                other.forbidden.insert(path.clone());
            }
            self.main.insert(path, file);
        }
    }

    /// The commit that adopts vouch: its policy.
    fn commit_policy(&mut self) {
        let mark = self.made + 1;
        let time = self.tick();
        let who = SENIORS[0];
        let out = &mut self.fi.out;
        write!(out, "commit refs/heads/main\nmark :{mark}\n").expect("write");
        writeln!(out, "author {}", ident(who, time)).expect("write");
        writeln!(out, "committer {}", ident(who, time)).expect("write");
        data(out, b"chore: adopt vouch: AI-written units need a senior's sign-off\n");
        writeln!(out, "from :{}", self.main_tip).expect("write");
        writeln!(out, "M 100644 inline .vouch.toml").expect("write");
        data(out, policy_text().as_bytes());
        self.made = mark;
        self.nonmerge += 1;
        self.main_tip = mark;
        self.policy_done = true;
    }

    /// A dependency bump by a bot, on main.
    fn commit_bot(&mut self) {
        let Some(mut file) = self.main.get("Cargo.lock").cloned() else { return };
        if self.locked.contains_key("Cargo.lock") {
            return;
        }
        let mark = self.made + 1;
        let time = self.tick();
        file.modify(&mut self.rng, mark, 1, 0);
        let bot = Who { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com" };
        let out = &mut self.fi.out;
        write!(out, "commit refs/heads/main\nmark :{mark}\n").expect("write");
        writeln!(out, "author {}", ident(bot, time)).expect("write");
        writeln!(out, "committer {}", ident(GITHUB, time)).expect("write");
        data(out, format!("chore(deps): bump {} in the cargo group\n", self.rng.pick(NOUNS)).as_bytes());
        writeln!(out, "from :{}", self.main_tip).expect("write");
        writeln!(out, "M 100644 inline Cargo.lock").expect("write");
        data(out, file.render().as_bytes());
        self.made = mark;
        self.nonmerge += 1;
        self.main_tip = mark;
        self.store_file(Target::Main, "Cargo.lock".into(), file);
    }

    fn initial_import(&mut self) {
        let mark = 1;
        self.time = EPOCH;
        let mut counts = vec![0usize; MODULES.len()];
        for i in 0..self.shape.files {
            let module = if i < MODULES.len() { i } else { self.rng.below(MODULES.len()) };
            let (dir, lang, ext) = MODULES[module];
            counts[module] += 1;
            let path = format!("{dir}/{}_{}.{ext}", self.rng.pick(NOUNS), counts[module]);
            let mut file = File::new(lang, &mut self.rng, dir.rsplit('/').next().unwrap_or(dir), mark);
            let lines = if lang == Lang::Markdown { self.rng.range(20, 200) } else { initial_lines(&mut self.rng) };
            file.fill(&mut self.rng, lines, mark);
            self.new_heat(&path, false);
            self.main.insert(path, file);
        }
        let mut hot = File::new(Lang::Rust, &mut self.rng, "engine", mark);
        hot.fill(&mut self.rng, self.shape.hot_lines, mark);
        self.main.insert(HOT_FILE.into(), hot);
        let mut lock = File::new(Lang::Lock, &mut self.rng, "", mark);
        lock.fill(&mut self.rng, 600, mark);
        self.main.insert("Cargo.lock".into(), lock);

        let who = SENIORS[0];
        let out = &mut self.fi.out;
        write!(out, "commit refs/heads/main\nmark :{mark}\n").expect("write");
        writeln!(out, "author {}", ident(who, self.time)).expect("write");
        writeln!(out, "committer {}", ident(who, self.time)).expect("write");
        data(out, b"Initial import\n");
        for (path, file) in &self.main {
            writeln!(out, "M 100644 inline {path}").expect("write");
            data(out, file.render().as_bytes());
        }
        self.made = 1;
        self.nonmerge = 1;
        self.main_tip = 1;
    }

    fn run(&mut self) {
        self.initial_import();
        while (self.made as usize) < self.shape.commits {
            if !self.policy_done && self.made >= self.policy_at {
                self.commit_policy();
                continue;
            }
            if self.open.len() < 3 && self.rng.chance(0.25) {
                self.open_branch();
                continue;
            }
            if let Some(b) = self.open.iter().position(|b| b.commits >= b.target)
                && self.rng.chance(0.6)
            {
                self.merge(b);
                continue;
            }
            if self.rng.chance(0.01) {
                self.commit_bot();
            } else if !self.open.is_empty() && self.rng.chance(0.7) {
                let b = self.rng.below(self.open.len());
                self.commit(Target::Branch(b));
            } else {
                self.commit(Target::Main);
            }
        }
        while !self.open.is_empty() {
            if self.open[0].commits == 0 {
                self.commit(Target::Branch(0));
            }
            self.merge(0);
        }
    }

    fn write_notes(&mut self) {
        let time = self.time + 60;
        for (refname, who, notes) in [
            ("refs/notes/ai", Who { name: "git-ai", email: "git-ai@localhost" }, &self.git_ai_notes),
            ("refs/notes/vouch", Who { name: "vouch", email: "vouch@localhost" }, &self.vouch_notes),
        ] {
            if notes.is_empty() {
                continue;
            }
            let out = &mut self.fi.out;
            writeln!(out, "commit {refname}").expect("write");
            writeln!(out, "committer {}", ident(who, time)).expect("write");
            data(out, b"Notes added by the benchmark generator\n");
            for (mark, text) in notes {
                writeln!(out, "N inline :{mark}").expect("write");
                data(out, text.as_bytes());
            }
        }
    }
}

/// Build the history of `shape` into `dir/repo`.
pub fn build_history(shape: &Shape, dir: &Path) -> Manifest {
    let started = Instant::now();
    let repo = dir.join("repo");
    init_repo(&repo);
    let hot_step = shape.commits / shape.hot_commits.max(1);
    let mut h = History {
        shape,
        rng: Rng::new(0x5EED_0015 ^ shape.commits as u64),
        fi: FastImport::start(&repo),
        time: EPOCH,
        made: 0,
        merges: 0,
        nonmerge: 0,
        trailers: 0,
        aiders: 0,
        main_tip: 0,
        main: BTreeMap::new(),
        locked: BTreeMap::new(),
        heat: BTreeMap::new(),
        open: Vec::new(),
        next_branch: 0,
        hot_due: hot_step / 2,
        hot_step,
        policy_at: (shape.commits * 11 / 20) as u32,
        policy_done: false,
        vouch_made: 0,
        new_files: 0,
        git_ai_notes: Vec::new(),
        vouch_notes: Vec::new(),
        vouch_no_ai: 0,
        signoff_plan: Vec::new(),
    };
    h.run();
    h.write_notes();
    let History {
        fi, made, merges, trailers, aiders, git_ai_notes, vouch_notes, vouch_no_ai, signoff_plan, rng, ..
    } = h;
    fi.finish();
    finish_repo(&repo);
    let (requests, approvals) = sign_off(&repo, &signoff_plan, rng);
    let _ = std::fs::remove_dir_all(repo.join(".git/vouch/cache"));

    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let (base, range_commits) = find_base(&repo, shape.range);
    let range_files = git(&repo, &["log", "--format=", "--name-only", &format!("{base}..HEAD")])
        .lines()
        .filter(|l| !l.is_empty())
        .collect::<BTreeSet<_>>()
        .len();
    let files: Vec<String> = git(&repo, &["ls-files"]).lines().map(str::to_string).collect();
    let max_file_lines = files
        .iter()
        .map(|f| std::fs::read_to_string(repo.join(f)).map(|t| t.lines().count()).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let hot_file_lines = std::fs::read_to_string(repo.join(HOT_FILE)).expect("the hot file").lines().count();
    let hot_file_commits = git(&repo, &["log", "--format=%H", "--", HOT_FILE]).lines().count();
    Manifest {
        generator: GENERATOR_VERSION,
        shape: shape.name.to_string(),
        commits: made as usize,
        merges,
        trailer_commits: trailers,
        aider_commits: aiders,
        git_ai_notes: git_ai_notes.len(),
        vouch_notes: vouch_notes.len(),
        vouch_no_ai_notes: vouch_no_ai,
        requests,
        approvals,
        files: files.len(),
        max_file_lines,
        hot_file: HOT_FILE.to_string(),
        hot_file_lines,
        hot_file_commits,
        head,
        base,
        range_commits,
        range_files,
        build_seconds: started.elapsed().as_secs_f64(),
    }
}

/// The first-parent commit of HEAD from which HEAD's range holds at least
/// `range` commits (or the root), and that count.
fn find_base(repo: &Path, range: usize) -> (String, usize) {
    let line: Vec<String> = git(repo, &["rev-list", "--first-parent", "HEAD"]).lines().map(str::to_string).collect();
    let count = |i: usize| -> usize {
        git(repo, &["rev-list", "--count", &format!("{}..HEAD", line[i])]).trim().parse().expect("a count")
    };
    // Counts grow with the index along the first-parent line.
    let (mut lo, mut hi) = (0, line.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if count(mid) >= range { hi = mid } else { lo = mid + 1 }
    }
    (line[lo].clone(), count(lo))
}

/// Requests and decisions for the AI units of HEAD's versions of the files
/// the vouch-noted AI commits changed: asked for by the commit's author,
/// decided by a senior (most approve, a few reject, a few are pending).
/// Returns how many requests and decisions were written.
fn sign_off(repo: &Path, plan: &[(u32, Who, i64, Vec<String>)], mut rng: Rng) -> (usize, usize) {
    let ctx = Context::open_at(repo).expect("open the repository");
    let policy = ctx.policy(&Source::Commit("HEAD".into())).expect("the policy at HEAD");
    let journal = ctx.journal().expect("the journal");
    let repository = vouch::store::repo::repository_id(&ctx.repo).expect("the repository id");
    let (mut requests, mut approvals) = (0, 0);
    for (_, author, time, files) in plan {
        let Some(path) = files.iter().find(|p| repo.join(p).is_file() && !p.ends_with(".md")) else { continue };
        let text = std::fs::read_to_string(repo.join(path)).expect("a file of HEAD");
        let spans = ctx.spans(&policy, &journal, path, &text, false).expect("the file's provenance");
        let (_, facts) = ctx.facts(path, text.clone(), &spans).expect("the file's units");
        if facts.is_empty() {
            continue;
        }
        let language = Language::from_path(Path::new(path));
        let start = rng.below(facts.len());
        let chosen: Vec<_> = facts.iter().cycle().skip(start).take(facts.len().min(rng.range(1, 3))).collect();
        let units =
            chosen.iter().map(|f| vouch::signoff::requested_unit(path, language.name(), f, text.as_bytes())).collect();
        let requester = Person { name: author.name.into(), email: author.email.into() };
        let mut request = Request::new(&repository, requester, units);
        request.created = at(time + 3600);
        request.rationale =
            Some(format!("{} the {} as the {} expects", rng.pick(VERBS), rng.pick(NOUNS), rng.pick(NOUNS)));
        let request_id = records::add(&ctx.repo, &request).expect("add a request");
        requests += 1;
        for facts in chosen {
            let roll = rng.below(100);
            if roll >= 95 {
                continue;
            }
            let reviewers: Vec<Who> = SENIORS.iter().copied().filter(|s| s.email != author.email).collect();
            let reviewer = *rng.pick(&reviewers);
            let verdict = if roll >= 90 { Verdict::Reject } else { Verdict::Approve };
            let person = Person { name: reviewer.name.into(), email: reviewer.email.into() };
            let mut approval = Approval::new(&repository, &facts.unit.fingerprint, verdict, person);
            approval.created = at(time + 3600 * rng.range(2, 48) as i64);
            approval.request = Some(request_id.clone());
            approval.path = Some(path.clone());
            records::add(&ctx.repo, &approval).expect("add an approval");
            approvals += 1;
        }
    }
    (requests, approvals)
}

fn at(unix: i64) -> String {
    records::format_time(time::OffsetDateTime::from_unix_timestamp(unix).expect("a valid time"))
}

// ---------------------------------------------------------------------------
// Synthetic repositories

/// A small repository's manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Synthetic {
    pub generator: u32,
    /// The file of interest, its lines and the commits that changed it.
    pub path: String,
    pub lines: usize,
    pub commits: usize,
    /// The root commit (the policy): `base..HEAD` is the interesting range.
    pub base: String,
    pub head: String,
}

fn synthetic_root(fi: &mut FastImport, time: i64) {
    let who = SENIORS[0];
    let out = &mut fi.out;
    write!(out, "commit refs/heads/main\nmark :1\n").expect("write");
    writeln!(out, "author {}", ident(who, time)).expect("write");
    writeln!(out, "committer {}", ident(who, time)).expect("write");
    data(out, b"chore: adopt vouch\n");
    writeln!(out, "M 100644 inline .vouch.toml").expect("write");
    data(out, policy_text().as_bytes());
    writeln!(out, "M 100644 inline README.md").expect("write");
    data(out, b"# bench\n");
}

fn synthetic_manifest(repo: &Path, path: &str, commits: usize) -> Synthetic {
    finish_repo(repo);
    Synthetic {
        generator: GENERATOR_VERSION,
        path: path.to_string(),
        lines: std::fs::read_to_string(repo.join(path)).expect("the file").lines().count(),
        commits,
        base: git(repo, &["rev-list", "--max-parents=0", "HEAD"]).trim().to_string(),
        head: git(repo, &["rev-parse", "HEAD"]).trim().to_string(),
    }
}

/// A Rust file of about 5,000 lines, then `ai_commits - 1` AI commits that
/// each rewrite about 25 of its statements and add one (about 5,200 lines
/// in the end); with `ai_commits == 1`, the end state of the 200-commit
/// history written by one AI commit. Every commit carries a Claude trailer.
pub fn build_blame_file(dir: &Path, ai_commits: usize) -> Synthetic {
    const PATH: &str = "src/big.rs";
    let repo = dir.join("repo");
    init_repo(&repo);
    let mut fi = FastImport::start(&repo);
    synthetic_root(&mut fi, EPOCH);
    let mut rng = Rng::new(0x5EED_0200);
    let mut file = File::new(Lang::Rust, &mut rng, "engine", 2);
    file.fill(&mut rng, 4900, 2);
    let mut versions = vec![file.render()];
    for c in 1..200u32 {
        for _ in 0..25 {
            file.modify(&mut rng, c + 2, 1, 0);
        }
        file.modify(&mut rng, c + 2, 0, 1);
        versions.push(file.render());
    }
    let commits: Vec<&String> =
        if ai_commits == 1 { vec![&versions[199]] } else { versions.iter().take(ai_commits).collect() };
    for (i, text) in commits.iter().enumerate() {
        claude_commit(&mut fi, i, PATH, text);
    }
    fi.finish();
    synthetic_manifest(&repo, PATH, commits.len())
}

/// One AI commit writing a Rust file of about 100 lines: what blame costs
/// beyond `git blame` where there is little to analyse (vouch's fixed cost
/// per process).
pub fn build_small_file(dir: &Path) -> Synthetic {
    const PATH: &str = "src/small.rs";
    let repo = dir.join("repo");
    init_repo(&repo);
    let mut fi = FastImport::start(&repo);
    synthetic_root(&mut fi, EPOCH);
    let mut rng = Rng::new(0x5EED_0001);
    let mut file = File::new(Lang::Rust, &mut rng, "engine", 2);
    file.fill(&mut rng, 100, 2);
    claude_commit(&mut fi, 0, PATH, &file.render());
    fi.finish();
    synthetic_manifest(&repo, PATH, 1)
}

/// The `i`th commit after the synthetic root (mark `i + 2`), writing `text`
/// to `path`, with a Claude trailer.
fn claude_commit(fi: &mut FastImport, i: usize, path: &str, text: &str) {
    let mark = i + 2;
    let time = EPOCH + 3600 * (i as i64 + 1);
    let who = DEVS[i % DEVS.len()];
    let out = &mut fi.out;
    write!(out, "commit refs/heads/main\nmark :{mark}\n").expect("write");
    writeln!(out, "author {}", ident(who, time)).expect("write");
    writeln!(out, "committer {}", ident(who, time)).expect("write");
    data(
        out,
        format!("feat(engine): rework the scheduler, step {i}\n\nCo-authored-by: Claude <noreply@anthropic.com>\n")
            .as_bytes(),
    );
    writeln!(out, "from :{}", mark - 1).expect("write");
    writeln!(out, "M 100644 inline {path}").expect("write");
    data(out, text.as_bytes());
}

/// `depth` Rust `fn` items, each inside the one before (`fn f(){` per line,
/// then the closing braces), added by one AI commit.
pub fn build_nested(dir: &Path, depth: usize) -> Synthetic {
    const PATH: &str = "src/nested.rs";
    let repo = dir.join("repo");
    init_repo(&repo);
    let mut fi = FastImport::start(&repo);
    synthetic_root(&mut fi, EPOCH);
    let mut text = "fn f(){\n".repeat(depth);
    for chunk in 0..depth.div_ceil(100) {
        let n = (depth - chunk * 100).min(100);
        text.push_str(&"}".repeat(n));
        text.push('\n');
    }
    let who = DEVS[0];
    let out = &mut fi.out;
    write!(out, "commit refs/heads/main\nmark :2\n").expect("write");
    writeln!(out, "author {}", ident(who, EPOCH + 3600)).expect("write");
    writeln!(out, "committer {}", ident(who, EPOCH + 3600)).expect("write");
    data(out, format!("feat: {depth} nested functions\n\nCo-authored-by: Claude <noreply@anthropic.com>\n").as_bytes());
    writeln!(out, "from :1").expect("write");
    writeln!(out, "M 100644 inline {PATH}").expect("write");
    data(out, text.as_bytes());
    fi.finish();
    synthetic_manifest(&repo, PATH, 1)
}
