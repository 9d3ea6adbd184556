import assert from "node:assert/strict";
import { test } from "node:test";
import { endOfInsertedText, insertionBetween, insertionRange, isPasteOf, positionAt } from "../src/textDiff";

test("an accepted completion at the end of a line", () => {
  const before = "fn main() {\n    let x = \n}\n";
  const after = "fn main() {\n    let x = compute(42);\n}\n";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.text, "compute(42);");
  assert.equal(ins.removed, 0);
  assert.deepEqual(insertionRange(after, ins), {
    start: { line: 1, character: 12 },
    end: { line: 1, character: 24 },
  });
});

test("a multi-line completion", () => {
  const before = "def f():\n    \n";
  const after = "def f():\n    a = 1\n    return a\n";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.text, "a = 1\n    return a");
  assert.deepEqual(insertionRange(after, ins), {
    start: { line: 1, character: 4 },
    end: { line: 2, character: 12 },
  });
});

test("a completion that replaces the typed prefix reports only what is new", () => {
  const before = "const total = su\n";
  const after = "const total = sum(values)\n";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.text, "m(values)");
  assert.equal(ins.removed, 0);
});

test("a replacement reports the removed length", () => {
  const ins = insertionBetween("a foo b", "a barbaz b");
  assert.ok(ins);
  assert.equal(ins.text, "barbaz");
  assert.equal(ins.removed, 3);
  assert.equal(ins.start, 2);
});

test("suffix never overlaps the prefix on repeated text", () => {
  // Inserting "ab" into "abab" is ambiguous; whatever is picked must be a
  // valid single replacement of length 2 with nothing removed.
  const before = "abab";
  const after = "ababab";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.removed, 0);
  assert.equal(ins.end - ins.start, 2);
  assert.equal(before.slice(0, ins.start) + ins.text + before.slice(ins.start + ins.removed), after);
});

test("equal snapshots give no insertion", () => {
  assert.equal(insertionBetween("same", "same"), undefined);
});

test("surrogate pairs are not split", () => {
  const before = "x = '😀'";
  const after = "x = '😁'";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.text, "😁");
  assert.equal(ins.removed, 2);
  assert.deepEqual(insertionRange(after, ins), {
    start: { line: 0, character: 5 },
    end: { line: 0, character: 7 },
  });
});

test("positions count UTF-16 units and never land inside a CRLF", () => {
  const text = "é😀b\r\nnext";
  assert.deepEqual(positionAt(text, 3), { line: 0, character: 3 });
  assert.deepEqual(positionAt(text, 5), { line: 0, character: 4 }); // between \r and \n
  assert.deepEqual(positionAt(text, 6), { line: 1, character: 0 });
  assert.deepEqual(positionAt(text, 999), { line: 1, character: 4 });
});

test("end of inserted text", () => {
  assert.deepEqual(endOfInsertedText({ line: 3, character: 4 }, "abc"), { line: 3, character: 7 });
  assert.deepEqual(endOfInsertedText({ line: 3, character: 4 }, "abc\n  de"), { line: 4, character: 4 });
  assert.deepEqual(endOfInsertedText({ line: 3, character: 4 }, "abc\n"), { line: 4, character: 0 });
});

test("a paste is the clipboard, modulo line endings and re-indentation", () => {
  const clipboard = "function add(a, b) {\r\n  return a + b;\r\n}\r\n";
  const inserted = "function add(a, b) {\n      return a + b;\n    }\n";
  assert.equal(isPasteOf(inserted, clipboard, 20), true);
  assert.equal(isPasteOf(inserted.replace("+", "-"), clipboard, 20), false);
});

test("short insertions and an empty clipboard are never pastes", () => {
  assert.equal(isPasteOf("abc", "abc", 20), false);
  assert.equal(isPasteOf("x".repeat(50), "", 20), false);
});

test("inserted lines are reported from column 0 when they can be", () => {
  const before = "A\nB\n";
  const after = "A\nBX\nB\n";
  const ins = insertionBetween(before, after);
  assert.ok(ins);
  assert.equal(ins.text, "BX\n");
  assert.deepEqual(insertionRange(after, ins), { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } });
  // Mid-line insertions stay where the prefix puts them.
  assert.equal(insertionBetween("fo", "foo")?.start, 2);
});
