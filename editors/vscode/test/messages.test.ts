import assert from "node:assert/strict";
import { test } from "node:test";
import { failureText, reason, successText } from "../src/messages";

test("a failure says each prefix once", () => {
  const err = new Error("Request workspace/executeCommand failed with message: vouch.approve: no AI-written unit there");
  assert.equal(failureText("vouch.approve", err), "vouch: could not approve: no AI-written unit there");
  assert.equal(reason("vouch: vouch: cannot read the policy"), "cannot read the policy");
  assert.equal(
    failureText("vouch.reject", "vouch.reject: a rejection needs a comment saying what to change"),
    "vouch: could not reject: a rejection needs a comment saying what to change",
  );
});

test("an approval's message says it stays local until sync", () => {
  const text = successText("vouch.approve", "approved 1 unit(s) as lead@example.com");
  assert.equal(text, "vouch: approved 1 unit(s) as lead@example.com. It stays in this clone until you sync (Vouch: Sync, or vouch sync).");
  assert.match(successText("vouch.requestSignoff", undefined) ?? "", /request sign-off: done.*sync/);
  assert.equal(successText("vouch.showProvenance", "# md"), undefined);
});
