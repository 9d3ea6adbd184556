import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveBinary } from "../src/binary";

const files = new Set(["/usr/local/bin/vouch", "/home/me/bin/vouch", "/repo/target/debug/vouch"]);
const opts = {
  searchPath: "/usr/bin:/usr/local/bin",
  workspaceRoot: "/repo",
  home: "/home/me",
  isExecutable: (f: string) => files.has(f),
  platform: "linux" as const,
};

test("a bare name is looked up on PATH", () => {
  assert.equal(resolveBinary("vouch", opts), "/usr/local/bin/vouch");
  assert.equal(resolveBinary("", opts), "/usr/local/bin/vouch");
  assert.equal(resolveBinary("vouch", { ...opts, searchPath: "/usr/bin" }), undefined);
});

test("paths are absolute, relative to the workspace, or under home", () => {
  assert.equal(resolveBinary("/repo/target/debug/vouch", opts), "/repo/target/debug/vouch");
  assert.equal(resolveBinary("target/debug/vouch", opts), "/repo/target/debug/vouch");
  assert.equal(resolveBinary("~/bin/vouch", opts), "/home/me/bin/vouch");
  assert.equal(resolveBinary("/nowhere/vouch", opts), undefined);
});
