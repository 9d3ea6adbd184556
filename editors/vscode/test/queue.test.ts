import assert from "node:assert/strict";
import { test } from "node:test";
import type { PendingUnit } from "../src/protocol";
import { queueStatus } from "../src/messages";
import {
  fileDescription,
  groupByFile,
  opensFile,
  unitContext,
  unitDescription,
  unitLabel,
  unitTooltip,
} from "../src/queue";

function unit(uri: string, line: number, extra: Partial<PendingUnit> = {}): PendingUnit {
  return {
    uri,
    path: uri.replace("file:///repo/", ""),
    range: { start: { line, character: 0 }, end: { line: line + 3, character: 1 } },
    kind: "function_item",
    risk: [],
    severity: "information",
    state: "pending",
    aiLines: 3,
    reviewers: [],
    ...extra,
  };
}

test("files follow their riskiest unit and keep the server's order inside", () => {
  const units = [
    unit("file:///repo/db.rs", 40, { risk: ["sql"], severity: "warning" }),
    unit("file:///repo/api.rs", 3, { risk: ["network"] }),
    unit("file:///repo/db.rs", 10),
    unit("file:///repo/api.rs", 90),
  ];
  const groups = groupByFile(units);
  assert.deepEqual(
    groups.map((g) => [g.path, g.units.map((u) => u.range.start.line)]),
    [
      ["db.rs", [40, 10]],
      ["api.rs", [3, 90]],
    ],
  );
});

test("labels and descriptions", () => {
  assert.equal(unitLabel(unit("file:///repo/a.rs", 4, { name: "parse" })), "function item parse");
  assert.equal(unitLabel(unit("file:///repo/a.rs", 4)), "function item (line 5)");
  assert.equal(
    unitDescription(unit("file:///repo/a.rs", 4, { risk: ["sql", "unsafe"], aiLines: 1, state: "requested" })),
    "requested · sql, unsafe · 1 AI line",
  );
});

test("a unit an AI removed lines from says so", () => {
  const removed = unit("file:///repo/a.rs", 4, { aiLines: 0, aiDeletedLines: 2 });
  assert.equal(unitDescription(removed), "pending · 2 AI-deleted lines");
  assert.match(unitTooltip(removed), /^AI lines: 0, AI-deleted lines: 2$/m);
  const both = unit("file:///repo/a.rs", 4, { aiLines: 3, aiDeletedLines: 1 });
  assert.equal(unitDescription(both), "pending · 3 AI lines, 1 AI-deleted line");
  // Where only the request speaks of the unit, the server cannot count them.
  const unknown = unit("file:///repo/a.rs", 4, { aiLines: 0 });
  assert.equal(unitDescription(unknown), "pending · 0 AI lines");
});

test("the tooltip says when the rationale was drafted from the agent's intent", () => {
  const drafted = unitTooltip(unit("file:///repo/a.rs", 4, { rationale: "doubles it", rationaleFrom: "intent" }));
  assert.match(drafted, /^rationale: doubles it \(drafted from the agent's intent, confirmed by the requester\)$/m);
  const typed = unitTooltip(unit("file:///repo/a.rs", 4, { rationale: "doubles it" }));
  assert.match(typed, /^rationale: doubles it$/m);
});

test("status text", () => {
  assert.equal(queueStatus(undefined, 0).text, "$(shield) vouch");
  assert.equal(queueStatus(0, 0).text, "$(pass) vouch");
  assert.equal(queueStatus(3, 0).text, "$(shield) vouch: 3");
  assert.equal(queueStatus(3, 2).text, "$(shield) vouch: 2 for you");
  assert.match(queueStatus(3, 2).tooltip, /3 units await sign-off; 2 of them you may sign off/);
});

test("only a unit the identity may sign off gets the approve buttons", () => {
  assert.equal(unitContext(unit("file:///repo/a.rs", 1, { state: "requested" })), "unit.requested");
  assert.equal(unitContext(unit("file:///repo/a.rs", 1, { state: "requested", mayApprove: true })), "unit.requested.approvable");
  assert.equal(unitDescription(unit("file:///repo/a.rs", 1, { state: "requested", mayApprove: true })), "requested, for you · 3 AI lines");
});

test("file descriptions name the folder, not the file again", () => {
  const [top, nested] = groupByFile([unit("file:///repo/db.rs", 1), unit("file:///repo/src/net/api.rs", 1), unit("file:///repo/src/net/api.rs", 9)]);
  assert.equal(fileDescription(top), "1 unit");
  assert.equal(fileDescription(nested), "src/net · 2 units");
});

test("a file deleted by AI, a trust file's change or a file's mode says how to sign it off", () => {
  const deleted = unit("file:///repo/tests/auth_test.rs", 0, { kind: "deleted-file", located: false, aiLines: 0 });
  assert.match(
    unitTooltip(deleted),
    /^the file was deleted by AI: sign it off with `vouch approve --file tests\/auth_test.rs` or `vouch review`$/m,
  );
  assert.doesNotMatch(unitTooltip(deleted), /no longer in the file/);
  assert.equal(opensFile(deleted), false, "the file no longer exists");
  const policy = unit("file:///repo/.vouch.toml", 0, { kind: "trust-file" });
  assert.match(unitTooltip(policy), /^a change to a trust file: sign it off with `vouch approve --file .vouch.toml`/m);
  assert.equal(opensFile(policy), true, "the policy's new text is in the file");
  const mode = unit("file:///repo/scripts/deploy.sh", 0, { kind: "file-mode", aiLines: 0 });
  assert.match(
    unitTooltip(mode),
    /^an AI changed the file's mode \(its executable bit\): sign it off with `vouch approve --file scripts\/deploy.sh`/m,
  );
  assert.equal(opensFile(mode), true, "the file is there");
});
