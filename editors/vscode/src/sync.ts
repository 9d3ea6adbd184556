// `Vouch: Sync`: runs `vouch sync` in a repository, so that the requests and
// approvals recorded in this clone reach the remote (and others' arrive).

import { execFile } from "child_process";

export interface SyncResult {
  ok: boolean;
  output: string;
}

/** Runs `<binary> sync` in `root`; never rejects. */
export function runSync(binary: string, root: string, timeoutMs = 120_000): Promise<SyncResult> {
  return new Promise((resolve) => {
    execFile(binary, ["sync"], { cwd: root, timeout: timeoutMs, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } }, (err, stdout, stderr) => {
      const output = [stdout, stderr].map((s) => String(s).trim()).filter((s) => s !== "").join("\n");
      resolve({ ok: err === null, output: output || (err ? err.message : "") });
    });
  });
}
