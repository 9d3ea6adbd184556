import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseBinary, resolveBinary } from "../src/binary";

const files = new Set([
  "/usr/local/bin/vouch",
  "/home/me/bin/vouch",
  "/repo/target/debug/vouch",
  "/ext/server/vouch",
  "./vouch",
]);
const opts = {
  userSetting: undefined,
  bundled: "/ext/server/vouch",
  searchPath: "/usr/bin:/usr/local/bin",
  home: "/home/me",
  isExecutable: (f: string) => files.has(f),
  platform: "linux" as const,
};

test("the bundled binary comes before PATH", () => {
  assert.deepEqual(chooseBinary(opts), { file: "/ext/server/vouch", source: "bundled" });
  assert.deepEqual(chooseBinary({ ...opts, bundled: undefined }), { file: "/usr/local/bin/vouch", source: "path" });
  assert.deepEqual(chooseBinary({ ...opts, bundled: "/ext/missing/vouch" }), { file: "/usr/local/bin/vouch", source: "path" });
});

test("the user's own vouch.path wins, and a wrong one is an error, not a fallback", () => {
  assert.deepEqual(chooseBinary({ ...opts, userSetting: "~/bin/vouch" }), { file: "/home/me/bin/vouch", source: "setting" });
  assert.deepEqual(chooseBinary({ ...opts, userSetting: "  " }), { file: "/ext/server/vouch", source: "bundled" });
  const wrong = chooseBinary({ ...opts, userSetting: "/nowhere/vouch" });
  assert.ok("error" in wrong && wrong.error.includes("/nowhere/vouch"), JSON.stringify(wrong));
});

test("nothing found says how to install", () => {
  const none = chooseBinary({ ...opts, bundled: undefined, searchPath: "/usr/bin" });
  assert.ok("error" in none && none.error.includes("cargo install --locked --path ."), JSON.stringify(none));
});

test("a bare name is looked up on absolute PATH entries only", () => {
  assert.equal(resolveBinary("vouch", opts), "/usr/local/bin/vouch");
  assert.equal(resolveBinary("", opts), "/usr/local/bin/vouch");
  assert.deepEqual(resolveBinary("vouch", { ...opts, searchPath: "/usr/bin" }), { error: 'no "vouch" on PATH' });
  // An empty or relative entry would run ./vouch from the open folder.
  assert.deepEqual(resolveBinary("vouch", { ...opts, searchPath: ":.:/usr/bin" }), { error: 'no "vouch" on PATH' });
});

test("paths are absolute or under home; a relative path is refused, never taken from the workspace", () => {
  assert.equal(resolveBinary("/repo/target/debug/vouch", opts), "/repo/target/debug/vouch");
  assert.equal(resolveBinary("~/bin/vouch", opts), "/home/me/bin/vouch");
  const relative = resolveBinary("target/debug/vouch", opts);
  assert.ok(typeof relative === "object" && /relative path/.test(relative.error));
  assert.ok(typeof resolveBinary("./vouch", opts) === "object");
  assert.deepEqual(resolveBinary("/nowhere/vouch", opts), { error: "no executable file there" });
});

test("windows looks for .exe", () => {
  const win = { ...opts, platform: "win32" as const, isExecutable: (f: string) => f === "C:\\vouch\\vouch.exe" };
  assert.equal(resolveBinary("C:\\vouch\\vouch", win), "C:\\vouch\\vouch.exe");
  assert.deepEqual(chooseBinary({ ...win, bundled: "C:\\vouch\\vouch" }), { file: "C:\\vouch\\vouch.exe", source: "bundled" });
});
