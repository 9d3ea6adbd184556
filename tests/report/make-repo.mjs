// Builds a small repository for the report check: a policy, commits over
// three weeks with vouch notes marking AI lines, and request and approval
// records on the records branch (refs/heads/vouch-records) written the way
// vouch writes them (RFC 8785 canonical JSON named by its SHA-256, in
// <kind>/<id[0..2]>/<id>.json), at fingerprint version 2.
//
// Usage: node make-repo.mjs DIR   (DIR must not exist or be empty)

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node make-repo.mjs DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (args, options = {}) =>
  execFileSync('git', args, { cwd: dir, env: { ...env, ...(options.env || {}) }, input: options.input, encoding: 'utf8' }).trim();

const write = (path, text) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
// Texts here have LF endings and no trailing blanks: already normalized.
const fingerprint = (language, kind, text) => sha256(`vouch-fp/2\0${language}\0${kind}\0${text}`);

// RFC 8785 for what records hold (strings, small integers, arrays, objects).
const canonical = (value) => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

git(['init', '-q', '-b', 'main']);
git(['config', 'user.email', 'dev@example.com']);
git(['config', 'user.name', 'Dev']);
git(['config', 'commit.gpgsign', 'false']);

write('.vouch.toml', `reviewers = ["carol@example.com", "dora@example.com"]

[[rules]]
paths = ["src/db/"]
risk = "high"

[[triage]]
paths = ["tests/"]
max_ai_lines = 10
peer = true

[budget]
ai_lines_per_reviewer = 6
`);

const commit = (message, date, files) => {
  for (const [path, text] of files) write(path, text);
  git(['add', '-A']);
  git(['commit', '-q', '--no-verify', '-m', message], { env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  const head = git(['rev-parse', 'HEAD']);
  const lines = files
    .filter(([, , ai]) => ai)
    .map(([path, , ai]) =>
      JSON.stringify({
        v: 1,
        path,
        blob: git(['rev-parse', `HEAD:${path}`]),
        ai: [ai],
        origin: { tool: 'claude-code', model: 'claude-opus-4' },
        evidence: 'agent-hook',
        accepted_by: 'dev@example.com',
        approvals: [],
      }),
    );
  if (lines.length) git(['notes', '--ref=refs/notes/vouch', 'add', '-f', '-m', lines.join('\n'), head]);
  return head;
};

const root = commit('policy', '2026-10-26T10:00:00Z', []);
const DB = 'fn query(db: &Db, name: &str) -> Rows {\n    db.execute(&format!("SELECT * FROM users WHERE name = \'{name}\'"))\n}\n';
const SHELL = 'fn run(cmd: &str) {\n    std::process::Command::new("sh").arg("-c").arg(cmd).status().ok();\n}\n';
const PLAIN = 'fn double(x: u32) -> u32 {\n    x * 2\n}\n';
const TEST = 'fn doubles() {\n    assert_eq!(double(2), 4);\n}\n';
commit('parser', '2026-10-27T10:00:00Z', [['src/parse.rs', `fn keep() {}\n\n${PLAIN}`, [3, 5]]]);
commit('db', '2026-11-03T10:00:00Z', [['src/db/query.rs', DB, [1, 3]], ['src/run.rs', SHELL, [1, 3]]]);
commit('tests', '2026-11-10T10:00:00Z', [['tests/double.rs', TEST, [1, 3]]]);
commit('readme', '2026-11-11T10:00:00Z', [['README.md', '# demo\n\nA human wrote this.\n']]);

const repository = git(['rev-list', '--max-parents=0', 'HEAD']);
const unit = (path, name, text, ai) => ({
  path,
  language: 'rust',
  kind: 'function',
  name,
  fingerprint: fingerprint('rust', 'function', text),
  fingerprint_version: 2,
  text,
  ai_lines: [ai],
  tool: 'claude-code',
  model: 'claude-opus-4',
});
const person = (email) => ({ name: email.split('@')[0], email });

const requests = [
  { created: '2026-11-03T11:00:00.000Z', rationale: 'the report needs users by name', units: [unit('src/db/query.rs', 'query', DB, [1, 3])] },
  { created: '2026-11-03T11:05:00.000Z', units: [unit('src/run.rs', 'run', SHELL, [1, 3])] },
  { created: '2026-11-20T09:00:00.000Z', rationale: 'a helper', units: [unit('src/parse.rs', 'double', PLAIN, [1, 3])] },
  { created: '2026-11-27T09:00:00.000Z', units: [unit('tests/double.rs', 'doubles', TEST, [1, 3])] },
].map((r) => ({ type: 'request', version: 1, repository, requester: person('dev@example.com'), ...r }));
const approvals = [
  { fingerprint: fingerprint('rust', 'function', PLAIN), fingerprint_version: 2, decision: 'approve', reviewer: person('carol@example.com'), created: '2026-11-20T13:00:00.000Z', path: 'src/parse.rs' },
].map((a) => ({ type: 'approval', version: 1, repository, ...a }));

// One commit on the records branch whose tree holds every record.
const tree = (entries) => git(['mktree'], { input: `${entries.join('\n')}\n` });
const kindTree = (records) => {
  const byPrefix = new Map();
  for (const record of records) {
    const json = canonical(record);
    const id = sha256(json);
    const blob = git(['hash-object', '-w', '--stdin'], { input: json });
    if (!byPrefix.has(id.slice(0, 2))) byPrefix.set(id.slice(0, 2), []);
    byPrefix.get(id.slice(0, 2)).push(`100644 blob ${blob}\t${id}.json`);
  }
  return tree([...byPrefix.entries()].map(([prefix, entries]) => `040000 tree ${tree(entries)}\t${prefix}`));
};
const records = tree([
  `040000 tree ${kindTree(approvals)}\tapprovals`,
  `040000 tree ${kindTree(requests)}\trequests`,
]);
git(['update-ref', 'refs/heads/vouch-records', git(['commit-tree', records, '-m', 'vouch: records'])]);
