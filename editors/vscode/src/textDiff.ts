// Finding the text an edit inserted, from snapshots of a document before and
// after it, and telling a paste from other insertions. Pure: no vscode import,
// so that node's test runner can check it.

import type { Position, Range } from "./protocol";

/** What changed between two snapshots: `after[start, end)` replaced `before[start, start + removed)`. */
export interface Insertion {
  start: number;
  end: number;
  removed: number;
  text: string;
}

/**
 * The smallest single replacement that turns `before` into `after`, found by
 * trimming their common prefix and suffix (the suffix never overlaps the
 * prefix); a pure insertion that can start at a line start does. Undefined
 * when the snapshots are equal.
 */
export function insertionBetween(before: string, after: string): Insertion | undefined {
  if (before === after) {
    return undefined;
  }
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) {
    prefix++;
  }
  // Do not split a surrogate pair: back off to its first half.
  if (prefix > 0 && isHighSurrogate(after.charCodeAt(prefix - 1))) {
    prefix--;
  }
  let suffix = 0;
  const suffixLimit = Math.min(before.length, after.length) - prefix;
  while (
    suffix < suffixLimit &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLowSurrogate(after.charCodeAt(after.length - suffix))) {
    suffix--;
  }
  let start = prefix;
  let end = after.length - suffix;
  const removed = before.length - suffix - prefix;
  if (removed === 0) {
    // A pure insertion can slide left while the character before it equals
    // its last one; do so if that reaches a line start, so that inserted
    // lines are reported from column 0.
    let s = start;
    let e = end;
    while (s > 0 && after.charCodeAt(s - 1) !== 10 && after.charCodeAt(s - 1) === after.charCodeAt(e - 1)) {
      s--;
      e--;
    }
    if (s === 0 || after.charCodeAt(s - 1) === 10) {
      start = s;
      end = e;
    }
  }
  return { start, end, removed, text: after.slice(start, end) };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The LSP position (UTF-16 columns) of a string offset. An offset between the
 * `\r` and `\n` of a CRLF is not a position: it maps to the end of the line.
 */
export function positionAt(text: string, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let character = clamped - lineStart;
  if (clamped > lineStart && text.charCodeAt(clamped - 1) === 13 && text.charCodeAt(clamped) === 10) {
    character--;
  }
  return { line, character };
}

/** The range of `after` that an insertion covers. */
export function insertionRange(after: string, insertion: Insertion): Range {
  return { start: positionAt(after, insertion.start), end: positionAt(after, insertion.end) };
}

/** Where text inserted at `start` ends. */
export function endOfInsertedText(start: Position, text: string): Position {
  const lines = text.split("\n");
  if (lines.length === 1) {
    return { line: start.line, character: start.character + text.length };
  }
  const last = lines[lines.length - 1];
  return { line: start.line + lines.length - 1, character: last.length };
}

/**
 * Whether inserted text is the clipboard pasted: equal once line endings and
 * the indentation an editor adds or strips on paste are ignored, and at least
 * `minLength` characters long (short insertions are never worth reporting).
 */
export function isPasteOf(inserted: string, clipboard: string, minLength: number): boolean {
  if (inserted.trim().length < minLength || clipboard.length === 0) {
    return false;
  }
  return normalizeForPaste(inserted) === normalizeForPaste(clipboard);
}

function normalizeForPaste(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .join("\n")
    .trim();
}
