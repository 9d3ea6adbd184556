#!/usr/bin/env node
// A stand-in for `vouch lsp` that speaks the editor protocol of vouch (the
// standard surface plus vouch/aiEdit, vouch/humanPaste, vouch/regions and
// vouch/pending) with none of its analysis: a region is whatever range a
// client reported, its "unit" is its lines, and every decision is trivial.
//
// It exists so the editor clients can be developed and their end-to-end
// tests debugged without the real server. The e2e tests run against the real
// binary (VOUCH_BIN) unless told otherwise: `VOUCH_BIN=tests/editors/fake-vouch-lsp.mjs`.
//
// Usage: fake-vouch-lsp.mjs lsp   (JSON-RPC over stdio; logs to stderr)

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const COMMANDS = [
  "vouch.requestSignoff",
  "vouch.approve",
  "vouch.reject",
  "vouch.markAi",
  "vouch.markHuman",
  "vouch.showProvenance",
];
const log = (...args) => process.stderr.write(`[fake-vouch] ${args.join(" ")}\n`);

let encoding = "utf-16";
/** uri -> { text, version, regions: [{ start, end, origin, tool, state, rationale? }] } (UTF-16 offsets) */
const docs = new Map();

// --- JSON-RPC framing -------------------------------------------------------

let buffer = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const header = buffer.subarray(0, headerEnd).toString("ascii");
    const match = /Content-Length: *(\d+)/i.exec(header);
    if (!match) {
      log("bad header", header);
      process.exit(1);
    }
    const length = Number(match[1]);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
    buffer = buffer.subarray(headerEnd + 4 + length);
    let message;
    try {
      message = JSON.parse(body);
    } catch (err) {
      log("bad json", String(err));
      continue;
    }
    handle(message);
  }
});
process.stdin.on("end", () => process.exit(0));

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}
const reply = (id, result) => send({ id, result });
const fail = (id, code, message) => send({ id, error: { code, message } });
const notify = (method, params) => send({ method, params });

// --- positions --------------------------------------------------------------

function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offsetAt(text, pos) {
  const starts = lineStarts(text);
  if (pos.line >= starts.length) return text.length;
  const start = starts[pos.line];
  const end = pos.line + 1 < starts.length ? starts[pos.line + 1] - 1 : text.length;
  const line = text.slice(start, end);
  if (encoding === "utf-16") return start + Math.min(pos.character, line.length);
  let bytes = 0;
  let i = 0;
  while (i < line.length && bytes < pos.character) {
    const cp = line.codePointAt(i);
    bytes += Buffer.byteLength(String.fromCodePoint(cp), "utf8");
    i += cp > 0xffff ? 2 : 1;
  }
  return start + i;
}

function positionAt(text, offset) {
  const starts = lineStarts(text);
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
  const prefix = text.slice(starts[line], offset);
  const character = encoding === "utf-16" ? prefix.length : Buffer.byteLength(prefix, "utf8");
  return { line, character };
}

const rangeOf = (doc, r) => ({ start: positionAt(doc.text, r.start), end: positionAt(doc.text, r.end) });
const overlaps = (r, a, b) => r.start < b && a < r.end || (a === b && r.start <= a && a <= r.end);

// --- document edits ---------------------------------------------------------

function applyChange(doc, change) {
  if (!change.range) {
    doc.text = change.text;
    doc.regions = [];
    return;
  }
  const a = offsetAt(doc.text, change.range.start);
  const b = offsetAt(doc.text, change.range.end);
  const delta = change.text.length - (b - a);
  doc.text = doc.text.slice(0, a) + change.text + doc.text.slice(b);
  const map = (x, isEnd) => (x < a || (x === a && isEnd && a !== b) ? x : x >= b ? x + delta : isEnd ? a : a + change.text.length);
  for (const r of doc.regions) {
    r.start = map(r.start, false);
    r.end = map(r.end, true);
    if (r.state === "approved") r.state = "pending"; // an edit voids an approval
  }
  doc.regions = doc.regions.filter((r) => r.end > r.start);
  // The heuristic: one insertion of three lines or more that nobody reported.
  if (change.text.split("\n").length >= 3 && change.text.trim().length >= 60) {
    doc.regions.push({ start: a, end: a + change.text.length, origin: "unknown", state: "suspected" });
  }
}

function publish(uri) {
  const doc = docs.get(uri);
  if (!doc) return;
  const diagnostics = doc.regions
    .filter((r) => r.state !== "approved")
    .map((r) => {
      const tool = r.tool ? ` (${r.tool})` : "";
      const byState = {
        pending: [2, "unreviewed-ai", `AI-written code${tool} needs a senior sign-off`],
        requested: [3, "signoff-requested", `sign-off requested${r.rationale ? `: ${r.rationale}` : ""}`],
        rejected: [2, "signoff-rejected", `sign-off rejected: ${r.comment ?? ""}`],
        suspected: [3, "suspected-ai", "large insertion no tool reported: mark it as AI or as human"],
      }[r.state];
      return { range: rangeOf(doc, r), severity: byState[0], code: byState[1], source: "vouch", message: byState[2] };
    });
  notify("textDocument/publishDiagnostics", { uri, version: doc.version, diagnostics });
  notify("vouch/regions", {
    uri,
    version: doc.version,
    regions: doc.regions.map((r) => ({ range: rangeOf(doc, r), origin: r.origin, tool: r.tool, state: r.state })),
  });
}

function regionsAt(doc, range) {
  const a = offsetAt(doc.text, range.start);
  const b = offsetAt(doc.text, range.end);
  return doc.regions.filter((r) => overlaps(r, a, b));
}

function gitPath(uri) {
  const file = fileURLToPath(uri);
  let dir = path.dirname(file);
  while (!fs.existsSync(path.join(dir, ".git"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return file;
    dir = parent;
  }
  return path.relative(dir, file);
}

// --- handlers -----------------------------------------------------------------

function handle(msg) {
  const { id, method, params } = msg;
  if (method === undefined) return; // a reply to something we never ask
  switch (method) {
    case "initialize": {
      const offered = params?.capabilities?.general?.positionEncodings ?? [];
      encoding = offered.includes("utf-8") ? "utf-8" : "utf-16";
      log(`initialize; encoding ${encoding}`);
      return reply(id, {
        capabilities: {
          positionEncoding: encoding,
          textDocumentSync: { openClose: true, change: 2, save: { includeText: false } },
          codeActionProvider: { codeActionKinds: ["quickfix"] },
          codeLensProvider: { resolveProvider: false },
          hoverProvider: true,
          executeCommandProvider: { commands: COMMANDS },
        },
        serverInfo: { name: "fake-vouch", version: "0" },
      });
    }
    case "initialized":
      return;
    case "shutdown":
      return reply(id, null);
    case "exit":
      return process.exit(0);
    case "textDocument/didOpen": {
      const { uri, text, version } = params.textDocument;
      docs.set(uri, { text, version, regions: [] });
      return publish(uri);
    }
    case "textDocument/didChange": {
      const doc = docs.get(params.textDocument.uri);
      if (!doc) return;
      for (const change of params.contentChanges) applyChange(doc, change);
      doc.version = params.textDocument.version;
      return publish(params.textDocument.uri);
    }
    case "textDocument/didClose":
      docs.delete(params.textDocument.uri);
      return notify("textDocument/publishDiagnostics", { uri: params.textDocument.uri, diagnostics: [] });
    case "textDocument/didSave":
    case "workspace/didChangeWatchedFiles":
    case "workspace/didChangeConfiguration":
    case "$/setTrace":
    case "$/cancelRequest":
      return;
    case "vouch/aiEdit": {
      const doc = docs.get(params.textDocument.uri);
      if (!doc) return;
      const a = offsetAt(doc.text, params.range.start);
      const b = offsetAt(doc.text, params.range.end);
      doc.regions = doc.regions.filter((r) => !(r.state === "suspected" && overlaps(r, a, b)));
      doc.regions.push({ start: a, end: b, origin: "ai", tool: params.tool, state: "pending" });
      log(`aiEdit ${params.textDocument.uri} ${a}-${b} ${params.tool}`);
      return publish(params.textDocument.uri);
    }
    case "vouch/humanPaste": {
      const doc = docs.get(params.textDocument.uri);
      if (!doc) return;
      const a = offsetAt(doc.text, params.range.start);
      const b = offsetAt(doc.text, params.range.end);
      doc.regions = doc.regions.filter((r) => !(r.state === "suspected" && overlaps(r, a, b)));
      log(`humanPaste ${params.textDocument.uri} ${a}-${b}`);
      return publish(params.textDocument.uri);
    }
    case "vouch/pending": {
      const units = [];
      for (const [uri, doc] of docs) {
        for (const r of doc.regions) {
          if (r.state === "approved") continue;
          const range = rangeOf(doc, r);
          units.push({
            uri,
            range,
            path: gitPath(uri),
            kind: "lines",
            risk: [],
            severity: r.state === "requested" || r.state === "suspected" ? "information" : "warning",
            state: r.state,
            aiLines: range.end.line - range.start.line + 1,
            tool: r.tool,
            reviewers: [],
          });
        }
      }
      return reply(id, { units });
    }
    case "textDocument/codeAction": {
      const uri = params.textDocument.uri;
      const doc = docs.get(uri);
      if (!doc) return reply(id, []);
      const actions = [];
      for (const r of regionsAt(doc, params.range)) {
        const range = rangeOf(doc, r);
        const action = (title, command, args) => actions.push({ title, kind: "quickfix", command: { title, command, arguments: [args] } });
        if (r.state === "pending" || r.state === "rejected") action("vouch: request sign-off", "vouch.requestSignoff", { uri, range });
        if (r.state === "requested") {
          action("vouch: approve", "vouch.approve", { uri, range, fingerprint: "fake" });
          action("vouch: reject", "vouch.reject", { uri, range, fingerprint: "fake" });
        }
        if (r.state === "suspected") {
          action("vouch: mark as AI-written", "vouch.markAi", { uri, range });
          action("vouch: mark as human-written", "vouch.markHuman", { uri, range });
        }
        action("vouch: show provenance", "vouch.showProvenance", { uri, position: range.start });
      }
      return reply(id, actions);
    }
    case "textDocument/codeLens": {
      const uri = params.textDocument.uri;
      const doc = docs.get(uri);
      const lenses = (doc?.regions ?? []).map((r) => {
        const range = rangeOf(doc, r);
        return {
          range: { start: range.start, end: range.start },
          command: { title: `vouch: ${r.state}`, command: "vouch.showProvenance", arguments: [{ uri, position: range.start }] },
        };
      });
      return reply(id, lenses);
    }
    case "textDocument/hover": {
      const doc = docs.get(params.textDocument.uri);
      const [r] = doc ? regionsAt(doc, { start: params.position, end: params.position }) : [];
      return reply(id, r ? { contents: { kind: "markdown", value: `**vouch**: ${r.origin} text, ${r.state}` } } : null);
    }
    case "workspace/executeCommand":
      return executeCommand(id, params.command, params.arguments?.[0] ?? {});
    default:
      if (id !== undefined) fail(id, -32601, `unhandled method ${method}`);
  }
}

function executeCommand(id, command, arg) {
  const doc = docs.get(arg.uri);
  if (!doc) return fail(id, -32602, `unknown document ${arg.uri}`);
  const range = arg.range ?? (arg.position ? { start: arg.position, end: arg.position } : { start: { line: 0, character: 0 }, end: positionAt(doc.text, doc.text.length) });
  const hits = regionsAt(doc, range);
  log(`${command} ${JSON.stringify(arg)} -> ${hits.length} region(s)`);
  switch (command) {
    case "vouch.requestSignoff":
      for (const r of hits) if (r.origin === "ai") Object.assign(r, { state: "requested", rationale: arg.rationale });
      break;
    case "vouch.approve":
      for (const r of hits) if (r.origin === "ai") r.state = "approved";
      break;
    case "vouch.reject":
      if (!arg.comment) return fail(id, -32602, "a rejection needs a comment");
      for (const r of hits) if (r.origin === "ai") Object.assign(r, { state: "rejected", comment: arg.comment });
      break;
    case "vouch.markAi": {
      const a = offsetAt(doc.text, range.start);
      const b = offsetAt(doc.text, range.end);
      doc.regions = doc.regions.filter((r) => !overlaps(r, a, b));
      doc.regions.push({ start: a, end: b, origin: "ai", tool: arg.tool ?? "manual", state: "pending" });
      break;
    }
    case "vouch.markHuman": {
      const a = offsetAt(doc.text, range.start);
      const b = offsetAt(doc.text, range.end);
      doc.regions = doc.regions.filter((r) => !overlaps(r, a, b));
      break;
    }
    case "vouch.showProvenance": {
      const lines = hits.map((r) => `- ${r.origin} text${r.tool ? ` from ${r.tool}` : ""}: ${r.state}`);
      return reply(id, `# Provenance\n\n${lines.length ? lines.join("\n") : "No provenance is recorded here."}\n`);
    }
    default:
      return fail(id, -32602, `unknown command ${command}`);
  }
  reply(id, null);
  publish(arg.uri);
}
