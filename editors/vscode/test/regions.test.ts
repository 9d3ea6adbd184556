import assert from "node:assert/strict";
import { test } from "node:test";
import type { Region } from "../src/protocol";
import { groupByStyle, styleOf } from "../src/regions";

const r = (l1: number, c1: number, l2: number, c2: number) => ({
  start: { line: l1, character: c1 },
  end: { line: l2, character: c2 },
});

test("only AI text and suspected text are styled, each by its state", () => {
  const cases: [Region, string | undefined][] = [
    [{ range: r(0, 0, 1, 0), origin: "ai", state: "pending" }, "pending"],
    [{ range: r(0, 0, 1, 0), origin: "ai", state: "requested" }, "requested"],
    [{ range: r(0, 0, 1, 0), origin: "ai", state: "approved" }, "approved"],
    [{ range: r(0, 0, 1, 0), origin: "ai", state: "rejected" }, "rejected"],
    [{ range: r(0, 0, 1, 0), origin: "unknown", state: "suspected" }, "suspected"],
    [{ range: r(0, 0, 1, 0), origin: "ai", state: "suspected" }, "suspected"],
    [{ range: r(0, 0, 1, 0), origin: "human", state: "approved" }, undefined],
    [{ range: r(0, 0, 1, 0), origin: "unknown", state: "pending" }, undefined],
  ];
  for (const [region, style] of cases) {
    assert.equal(styleOf(region), style, JSON.stringify(region));
  }
});

test("a region ending at column 0 stops at the end of the line before", () => {
  const groups = groupByStyle(
    [
      { range: r(2, 0, 5, 0), origin: "ai", state: "pending", tool: "copilot" },
      { range: r(7, 4, 7, 9), origin: "ai", state: "approved" },
      { range: r(8, 3, 8, 3), origin: "ai", state: "approved" },
      { range: r(9, 0, 9, 5), origin: "human", state: "pending" },
    ],
    (line) => line * 10,
  );
  assert.deepEqual(
    groups.get("pending")?.map((s) => s.range),
    [r(2, 0, 4, 40)],
  );
  assert.deepEqual(
    groups.get("approved")?.map((s) => s.range),
    [r(7, 4, 7, 9)],
  );
  assert.deepEqual(groups.get("rejected"), []);
});

test("approved text can go unmarked", () => {
  const regions: Region[] = [
    { range: r(1, 0, 2, 0), origin: "ai", state: "approved" },
    { range: r(4, 0, 5, 0), origin: "ai", state: "pending" },
  ];
  const hidden = groupByStyle(regions, () => 3, { approved: false });
  assert.deepEqual(hidden.get("approved"), []);
  assert.equal(hidden.get("pending")?.length, 1);
  assert.equal(groupByStyle(regions, () => 3).get("approved")?.length, 1);
});
