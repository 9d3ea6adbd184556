import assert from "node:assert/strict";
import { test } from "node:test";
import type { Region } from "../src/protocol";
import { describe, groupByStyle, styleOf } from "../src/regions";

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
  assert.equal(groups.get("pending")?.[0].hover, "vouch: AI-written (copilot), needs a sign-off request");
});

test("hover text names the origin and the state", () => {
  assert.equal(
    describe({ range: r(0, 0, 0, 1), origin: "unknown", state: "suspected" }),
    "vouch: Unattested, suspected AI text (a large insertion no tool reported): mark it as AI or as human",
  );
  assert.equal(
    describe({ range: r(0, 0, 0, 1), origin: "ai", state: "requested" }),
    "vouch: AI-written, sign-off requested, awaiting a reviewer",
  );
});
