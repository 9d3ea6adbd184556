#!/usr/bin/env node
// End-to-end test of the VS Code extension in real VS Code: code-server
// (VS Code 1.100 in a browser) driven through headless Chromium by
// playwright-core, against the real `vouch lsp` (VOUCH_BIN).
//
// The extension is the linux-x64 package with VOUCH_BIN inside
// (server/vouch): no vouch.path is set, none is on PATH, and the
// repository's own .vscode/settings.json names another program, which must
// be ignored. In a temporary git repository it opens app.py, types "def add", lets a
// test-only extension offer the rest as an inline suggestion, accepts it with
// Tab (the extension reports it through vouch/aiEdit), and then checks:
//   1. a vouch warning (unreviewed-ai) in the Problems panel and a squiggle,
//   2. the "pending" decoration (gutter mark and background) on the AI text,
//   3. the "Request sign-off" quick fix, with a rationale typed into the
//      input box, turns the diagnostic into signoff-requested and the
//      decoration into the "requested" style, and says that the request
//      stays in this clone until a sync;
//   4. the queue lists the unit without an Approve button for its author;
//   5. Show provenance opens a read-only document that closes without
//      asking to be saved;
//   6. Vouch: Sync pushes the records to the remote;
//   7. accepting an inline suggestion word by word (Ctrl+Right) is reported
//      as AI text too.
// Screenshots and logs go to target/editor-artifacts/.
//
// Environment: VOUCH_BIN (default target/debug/vouch), CODE_SERVER, CHROMIUM,
// PLAYWRIGHT_CORE_DIR (scripts/install-editor-deps.sh writes them to
// ~/.cache/vouch-ci/editor-env.sh), VOUCH_VSIX (default
// editors/vscode/vouch.vsix), VOUCH_E2E_KEEP=1 keeps the temporary folder.

import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const CACHE = process.env.VOUCH_CI_CACHE ?? path.join(os.homedir(), ".cache/vouch-ci");
const ARTIFACTS = path.join(ROOT, "target/editor-artifacts");
const VOUCH_BIN = path.resolve(ROOT, process.env.VOUCH_BIN ?? "target/debug/vouch");
const VSIX = path.resolve(ROOT, process.env.VOUCH_VSIX ?? "editors/vscode/vouch-linux-x64.vsix");
const CODE_SERVER = process.env.CODE_SERVER ?? path.join(CACHE, "code-server-4.100.3/node_modules/.bin/code-server");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PLAYWRIGHT_CORE_DIR =
  process.env.PLAYWRIGHT_CORE_DIR ?? path.join(CACHE, "playwright-core-1.52.0/node_modules/playwright-core");
const VSCE = path.join(ROOT, "editors/vscode/node_modules/.bin/vsce");
const STEP_TIMEOUT = 30_000;

const log = (msg) => console.log(`[vscode-e2e] ${msg}`);
let failures = 0;
let passes = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passes++;
    log(`ok   ${name}`);
  } else {
    failures++;
    log(`FAIL ${name}${detail ? `: ${detail}` : ""}`);
  }
  return ok;
}

for (const [what, file] of [
  ["VOUCH_BIN", VOUCH_BIN],
  ["the extension (npm run package:target -- --target linux-x64 --binary VOUCH_BIN in editors/vscode)", VSIX],
  ["code-server (scripts/install-editor-deps.sh)", CODE_SERVER],
  ["chromium", CHROMIUM],
  ["playwright-core", PLAYWRIGHT_CORE_DIR],
  ["vsce (npm ci in editors/vscode)", VSCE],
]) {
  if (!fs.existsSync(file)) {
    console.error(`[vscode-e2e] missing ${what}: ${file}`);
    process.exit(2);
  }
}
const { chromium } = createRequire(import.meta.url)(PLAYWRIGHT_CORE_DIR);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vouch-vscode-e2e-"));
const userData = path.join(tmp, "user-data");
const extensions = path.join(tmp, "extensions");
const repo = path.join(tmp, "repo");
fs.mkdirSync(ARTIFACTS, { recursive: true });
for (const f of fs.readdirSync(ARTIFACTS)) {
  if (f.startsWith("vscode-")) fs.rmSync(path.join(ARTIFACTS, f), { recursive: true, force: true });
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
}

// --- the repository ----------------------------------------------------------
fs.mkdirSync(repo, { recursive: true });
sh("git", ["init", "-q", "-b", "main"], { cwd: repo });
sh("git", ["config", "user.email", "dev@example.com"], { cwd: repo });
sh("git", ["config", "user.name", "Dev"], { cwd: repo });
fs.writeFileSync(path.join(repo, "app.py"), 'def greet(name):\n    return "hello " + name\n\n\n');
// What an agent will rewrite on disk while it is open (issue 13, finding 5).
fs.writeFileSync(path.join(repo, "agent.py"), "x = 1\n");
// A repository trying to choose the program that runs: must be ignored.
fs.mkdirSync(path.join(repo, ".vscode"));
fs.writeFileSync(
  path.join(repo, ".vscode/settings.json"),
  JSON.stringify({ "vouch.path": "/bin/false", "vouch.extraArgs": ["--not-an-option"] }),
);
sh("git", ["add", "."], { cwd: repo });
sh("git", ["commit", "-q", "-m", "initial"], { cwd: repo });
const remote = path.join(tmp, "remote.git");
sh("git", ["init", "-q", "--bare", remote]);
sh("git", ["remote", "add", "origin", remote], { cwd: repo });
sh("git", ["push", "-q", "origin", "main"], { cwd: repo });

// --- code-server ---------------------------------------------------------------
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userData, "User/settings.json"),
  JSON.stringify(
    {
      "workbench.startupEditor": "none",
      "security.workspace.trust.enabled": false,
      "workbench.tips.enabled": false,
      "telemetry.telemetryLevel": "off",
      "extensions.ignoreRecommendations": true,
      "editor.minimap.enabled": false,
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      "editor.wordBasedSuggestions": "off",
      "editor.suggestOnTriggerCharacters": false,
      "editor.inlineSuggest.enabled": true,
      "editor.glyphMargin": true,
      "git.enabled": false,
      "vouch.trace.server": "messages",
    },
    null,
    2,
  ),
);

const helperVsix = path.join(tmp, "vouch-e2e-helper.vsix");
sh(VSCE, ["package", "--allow-missing-repository", "--skip-license", "-o", helperVsix], {
  cwd: path.join(HERE, "vscode-test-extension"),
});
for (const vsix of [VSIX, helperVsix]) {
  sh(CODE_SERVER, ["--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix]);
}
log("extensions installed");

const port = await new Promise((resolve, reject) => {
  const srv = net.createServer();
  srv.listen(0, "127.0.0.1", () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
  srv.on("error", reject);
});
const serverLog = fs.openSync(path.join(ARTIFACTS, "vscode-code-server.log"), "w");
const server = spawn(
  CODE_SERVER,
  [
    "--auth", "none",
    "--bind-addr", `127.0.0.1:${port}`,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--user-data-dir", userData,
    "--extensions-dir", extensions,
    repo,
  ],
  {
    stdio: ["ignore", serverLog, serverLog],
    detached: true,
    env: {
      ...process.env,
      // No vouch on PATH: the extension must run the binary inside it.
      PATH: (process.env.PATH ?? "").split(":").filter((d) => d && !fs.existsSync(path.join(d, "vouch"))).join(":"),
      VOUCH_E2E_HELPER_LOG: path.join(ARTIFACTS, "vscode-helper.log"),
    },
  },
);
const base = `http://127.0.0.1:${port}`;

let browser;
let page;
async function cleanup() {
  await browser?.close().catch(() => {});
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {}
  // The server's logs (extension host, the Vouch output channel) help most when a run fails.
  const logs = path.join(userData, "logs");
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(ARTIFACTS, "vscode-logs"), { recursive: true });
  if (process.env.VOUCH_E2E_KEEP !== "1") fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

async function waitFor(what, fn, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ""}`);
}

/**
 * How many gutter marks and background pieces a vouch decoration style has on
 * screen. The extension's decoration type for a state is found through its
 * gutter icon (media/gutter-STATE.svg): its CSS rule names the type's class,
 * `ced-N-TextEditorDecorationTypeM-K`; the type's other classes (the
 * background) share the prefix up to K.
 */
async function decorations(state) {
  return page.evaluate((icon) => {
    let prefix;
    for (const sheet of document.styleSheets) {
      let rules;
      try {
        rules = sheet.cssRules;
      } catch {
        continue;
      }
      for (const rule of rules) {
        const m = rule.cssText?.includes(icon) && /\.(ced-[\w]+-[\w]+-)\w+/.exec(rule.selectorText ?? "");
        if (m) prefix = m[1];
      }
    }
    if (!prefix) return { gutter: 0, background: 0 };
    const count = (root) =>
      [...document.querySelectorAll(`${root} [class*="${prefix}"]`)].filter((e) => e.getBoundingClientRect().width > 0).length;
    return { gutter: count(".monaco-editor .margin"), background: count(".monaco-editor .view-overlays") };
  }, `gutter-${state}.svg`);
}

/** The Vouch output channel's log, as the extension host wrote it. */
function vouchLog() {
  const logs = path.join(userData, "logs");
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/Vouch\.log$/.test(entry.name)) found.push(fs.readFileSync(file, "utf8"));
    }
  };
  walk(logs);
  return found.join("\n");
}

async function problemsText() {
  return page.evaluate(() => document.querySelector(".markers-panel")?.innerText ?? "");
}

async function editorTextOf(locator) {
  return ((await locator.innerText().catch(() => "")) ?? "").replace(/\u00a0/g, " ");
}

async function editorText() {
  // Monaco renders spaces as no-break spaces.
  const text = await page.evaluate(() => document.querySelector(".monaco-editor .view-lines")?.innerText ?? "");
  return text.replace(/\u00a0/g, " ");
}

try {
  await waitFor("code-server /healthz", async () => (await fetch(`${base}/healthz`)).ok, 60_000);
  log(`code-server up on ${base}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = await context.newPage();
  await page.goto(`${base}/?folder=${encodeURIComponent(repo)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  log("workbench loaded");

  const row = page.locator(".explorer-folders-view .monaco-list-row", { hasText: "app.py" });
  await row.waitFor({ timeout: STEP_TIMEOUT });
  await row.click();
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: STEP_TIMEOUT });
  await waitFor("app.py in the editor", async () => (await editorText()).includes("greet"));

  // Both extensions must be running before typing, or the suggestion is missed.
  const helperLog = path.join(ARTIFACTS, "vscode-helper.log");
  await waitFor("the helper extension", () => fs.existsSync(helperLog) && fs.readFileSync(helperLog, "utf8").includes("activated"));
  await waitFor("the vouch status bar item", () => page.locator(".statusbar-item", { hasText: /vouch/ }).count());
  const started = await waitFor("the server start in the Vouch log", () => /starting .* lsp in/.test(vouchLog()) && vouchLog()).catch(() => vouchLog());
  check(
    "the binary inside the extension runs, not the repository's vouch.path",
    /starting \S*\/server\/vouch lsp in .*\(the binary inside the extension\)/.test(started) && !/\/bin\/false/.test(started.split("\n").find((l) => l.includes("starting")) ?? ""),
    started.split("\n").filter((l) => /starting|vouch\.path/.test(l)).join(" | "),
  );

  // Write "def add" at the end, then accept the helper's inline suggestion with Tab.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("def add", { delay: 40 });
  // Inline suggestions come on their own after typing; ask for one explicitly
  // (Alt+\\, editor.action.inlineSuggest.trigger) if none came.
  const ghost = () => page.locator(".ghost-text-decoration, .ghost-text").count();
  if (!(await waitFor("the inline suggestion", ghost, 5_000).catch(() => 0))) {
    log("no inline suggestion yet; triggering one");
    const classes = await page.evaluate(() => [...new Set([...document.querySelectorAll('.monaco-editor [class*="ghost"], .monaco-editor [class*="inline"]')].map((e) => e.className))]);
    log(`ghost/inline classes: ${JSON.stringify(classes)}`);
    await page.keyboard.press("Alt+Backslash");
    await waitFor("the inline suggestion", ghost);
  }
  await page.keyboard.press("Tab");
  await waitFor("the accepted suggestion", async () => (await editorText()).includes("return a + b"));
  check("Tab accepted the inline suggestion", true);

  await page.keyboard.press("Control+Shift+M");
  await page.waitForSelector(".markers-panel", { timeout: STEP_TIMEOUT });
  const warned = await waitFor("a vouch diagnostic in the Problems panel", async () => {
    const text = await problemsText();
    return /unreviewed-ai/.test(text) ? text : undefined;
  }).catch((err) => err);
  check("Problems panel shows unreviewed-ai", typeof warned === "string", warned instanceof Error ? warned.message : "");
  const squiggles = await page.locator(".monaco-editor .squiggly-warning, .monaco-editor .squiggly-info").count();
  check("the AI unit has one squiggle (its first line), not one per line", squiggles === 1, `${squiggles} squiggles`);
  const pending = await waitFor("the pending decoration", async () => {
    const d = await decorations("pending");
    return d.gutter > 0 && d.background > 0 ? d : undefined;
  }).catch(async () => decorations("pending"));
  check(
    "the AI text has the pending decoration (gutter and background)",
    pending.gutter >= 2 && pending.background > 0,
    JSON.stringify(pending),
  );
  await page.screenshot({ path: path.join(ARTIFACTS, "vscode-1-pending.png") });

  // Request sign-off through the quick fix, with a rationale.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("End");
  await page.keyboard.press("Control+.");
  // Pick the action with the keyboard: the widget's pointer block swallows clicks.
  const rows = page.locator(".action-widget .monaco-list-row.action");
  await page.locator(".action-widget .monaco-list-row.action", { hasText: /request/i }).first().waitFor({ timeout: STEP_TIMEOUT });
  const labels = await rows.evaluateAll((els) => els.map((e) => [e.getAttribute("aria-label") ?? e.textContent, e.classList.contains("focused")]));
  log(`code actions: ${JSON.stringify(labels.map(([l]) => l))}`);
  const target = labels.findIndex(([l]) => /request/i.test(l));
  const focused = Math.max(0, labels.findIndex(([, f]) => f));
  for (let i = focused; i < target; i++) await page.keyboard.press("ArrowDown");
  for (let i = focused; i > target; i--) await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: STEP_TIMEOUT });
  await input.fill("adds two numbers for the demo");
  await page.keyboard.press("Enter");
  const requested = await waitFor("signoff-requested in the Problems panel", async () => {
    const text = await problemsText();
    return /signoff-requested/.test(text) && !/unreviewed-ai/.test(text) ? text : undefined;
  }).catch((err) => err);
  check(
    "after Request sign-off the diagnostic is signoff-requested",
    typeof requested === "string",
    requested instanceof Error ? `${requested.message}; panel: ${await problemsText()}` : "",
  );
  const toast = await waitFor("the request's notification", async () => {
    const text = await page.evaluate(() => document.querySelector(".notifications-toasts")?.innerText ?? "");
    return /stays in this clone until you sync/.test(text) ? text : undefined;
  }).catch((err) => err);
  check("the request's notification says it stays local until a sync", typeof toast === "string", toast instanceof Error ? toast.message : "");
  const requestedDecorations = await waitFor("the requested decoration", async () => {
    const d = await decorations("requested");
    return d.gutter > 0 && d.background > 0 ? d : undefined;
  }).catch(async () => decorations("requested"));
  const pendingAfter = await decorations("pending");
  check(
    "the AI text has the requested decoration, and no longer the pending one",
    requestedDecorations.gutter > 0 && requestedDecorations.background > 0 && pendingAfter.gutter === 0,
    JSON.stringify({ requested: requestedDecorations, pending: pendingAfter }),
  );
  const status = await page
    .locator(".statusbar-item", { hasText: /vouch/ })
    .first()
    .innerText()
    .catch(() => "");
  check("the status bar shows the vouch item", /vouch/.test(status), status);

  // A large paste of the clipboard is the user's: reported as such
  // (vouch/humanPaste), so it must not end up suspected of being AI text.
  const snippet = [
    "def pasted_helper(values):",
    "    total = 0",
    "    for value in values:",
    "        total += value * 2",
    "    return total",
    "",
  ].join("\n");
  await page.evaluate((text) => navigator.clipboard.writeText(text), snippet);
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Control+V");
  await waitFor("the pasted text", async () => (await editorText()).includes("pasted_helper"));
  // Give the server time to classify the insertion and the report to arrive.
  await new Promise((r) => setTimeout(r, 2500));
  const afterPaste = await problemsText();
  const suspected = await decorations("suspected");
  check(
    "a pasted function is not suspected",
    !/suspected-ai/.test(afterPaste) && suspected.gutter === 0,
    `${JSON.stringify(suspected)}; panel: ${afterPaste}`,
  );

  // The status bar item opens the queue, which lists the unit under its file.
  await page.locator(".statusbar-item", { hasText: /vouch/ }).first().click();
  const queue = await waitFor("the queue view", async () => {
    const text = await page.evaluate(
      () => document.querySelector('[id="workbench.view.extension.vouch"]')?.innerText ?? document.querySelector(".sidebar")?.innerText ?? "",
    );
    return /app\.py/.test(text) && /requested/.test(text) ? text : undefined;
  }).catch((err) => err);
  check("the status bar opens the queue, listing app.py's unit", typeof queue === "string", queue instanceof Error ? queue.message : "");
  // The author of the request is never offered Approve on it.
  const unitRow = page.locator('[id="workbench.view.extension.vouch"] .monaco-list-row', { hasText: /add/ }).first();
  await unitRow.hover().catch(() => {});
  const approveButtons = await page.locator('[id="workbench.view.extension.vouch"] .action-label[aria-label*="Approve"]').count();
  check("the queue offers its author no Approve", approveButtons === 0, `${approveButtons} Approve buttons`);
  await page.screenshot({ path: path.join(ARTIFACTS, "vscode-2-requested.png") });

  async function palette(command) {
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("F1");
    const box = page.locator(".quick-input-widget input");
    await box.waitFor({ timeout: STEP_TIMEOUT });
    await box.fill(`>${command}`);
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: command }).first().waitFor({ timeout: STEP_TIMEOUT });
    await page.keyboard.press("Enter");
  }

  // Provenance in a read-only document, closed without a save prompt.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await palette("Vouch: Show provenance");
  const tab = await waitFor("the provenance tab", async () => {
    const labels = await page.locator(".tab").allInnerTexts();
    return labels.find((l) => /Provenance of app\.py/.test(l));
  }).catch((err) => err);
  check("Show provenance opens a 'Provenance of app.py' document", typeof tab === "string", tab instanceof Error ? tab.message : "");
  const provenanceText = await editorTextOf(page.locator(".editor-group-container.active .monaco-editor .view-lines").first());
  check("the provenance names the tool", /vscode-inline/.test(provenanceText), provenanceText.slice(0, 200));
  await page.keyboard.press("Control+W");
  await new Promise((r) => setTimeout(r, 800));
  const dialog = await page.locator(".monaco-dialog-box").count();
  const stillOpen = (await page.locator(".tab").allInnerTexts()).some((l) => /Provenance of/.test(l));
  check("the provenance closes without asking to be saved", dialog === 0 && !stillOpen, `dialog ${dialog}, open ${stillOpen}`);
  if (dialog > 0) await page.keyboard.press("Escape");

  // Vouch: Sync pushes the request to the remote.
  await palette("Vouch: Sync");
  const synced = await waitFor("the sync notification", async () => {
    const text = await page.evaluate(() => document.querySelector(".notifications-toasts")?.innerText ?? "");
    return /vouch: (synced|could not sync)/.test(text) ? text : undefined;
  }).catch((err) => err);
  const remoteRefs = sh("git", ["--git-dir", remote, "for-each-ref", "--format=%(refname)"]);
  check(
    "Vouch: Sync pushed the records",
    typeof synced === "string" && /synced/.test(synced) && /vouch/.test(remoteRefs),
    `${synced instanceof Error ? synced.message : synced} | remote refs: ${remoteRefs}`,
  );

  // Word by word: Ctrl+Right takes the next word of the suggestion, and it
  // is reported as AI text like a whole suggestion.
  const reportsBefore = (vouchLog().match(/aiEdit .*\(vscode-inline\)/g) ?? []).length;
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Enter");
  await page.keyboard.type("def add", { delay: 40 });
  if (!(await waitFor("the inline suggestion", ghost, 5_000).catch(() => 0))) {
    await page.keyboard.press("Alt+Backslash");
    await waitFor("the inline suggestion", ghost);
  }
  await page.keyboard.press("Control+ArrowRight");
  const partial = await waitFor("a second vscode-inline report", () => {
    const n = (vouchLog().match(/aiEdit .*\(vscode-inline\)/g) ?? []).length;
    return n > reportsBefore ? n : undefined;
  }).catch((err) => err);
  const lastLine = (await editorText()).split("\n").filter((l) => l.startsWith("def add")).pop() ?? "";
  check(
    "a word accepted from an inline suggestion is reported as AI",
    typeof partial === "number" && lastLine.length > "def add".length && !/return/.test(lastLine),
    `${partial instanceof Error ? partial.message : partial} reports; line: ${lastLine}`,
  );

  // Issue 13, finding 5: an agent rewrites agent.py, open and unmodified,
  // on disk and marks its function AI; VS Code reloads it (a didChange of
  // the difference). The server must not take the reloaded text as typed:
  // the function shows as AI, and its snapshot keeps the agent's record.
  // Quick Open: the side bar shows vouch's queue, not the explorer.
  await page.keyboard.press("Escape");
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+p");
  const quickOpen = page.locator(".quick-input-widget input");
  await quickOpen.waitFor({ timeout: STEP_TIMEOUT });
  await quickOpen.fill("agent.py");
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: "agent.py" }).first().waitFor({ timeout: STEP_TIMEOUT });
  await page.keyboard.press("Enter");
  await waitFor("agent.py in the editor", async () => {
    const text = await editorText();
    return text.includes("x = 1") && !text.includes("greet");
  });
  // The editor sends didOpen as it shows the file; give the server a moment.
  await new Promise((r) => setTimeout(r, 2_000));
  fs.writeFileSync(path.join(repo, "agent.py"), "x = 1\n\ndef agent_written(v):\n    return v * 3\n");
  sh(VOUCH_BIN, ["mark", "--ai", "--tool", "claude-code", "agent.py:3-4"], { cwd: repo });
  await waitFor("agent.py reloaded", async () => (await editorText()).includes("agent_written"));
  const agentProblem = await waitFor("agent.py's function in the Problems panel", async () => {
    const text = await problemsText();
    return /agent_written[^\n]*claude-code[^\n]*needs sign-off/.test(text) ? text : undefined;
  }).catch((err) => err);
  check(
    "the reloaded agent's function shows as AI awaiting sign-off",
    typeof agentProblem === "string",
    agentProblem instanceof Error ? agentProblem.message : "",
  );
  // The server writes its snapshot when the file is saved or idle (5 s).
  await page.keyboard.press("Control+s");
  await new Promise((r) => setTimeout(r, 6_000));
  const blame = JSON.parse(sh(VOUCH_BIN, ["blame", "agent.py", "--format", "json"], { cwd: repo }));
  const aiLines = blame.lines.filter((l) => l.origin === "ai").map((l) => l.line);
  check(
    "after the reload and the server's snapshot, vouch blame still says the agent's lines are AI",
    JSON.stringify(aiLines) === "[3,4]",
    JSON.stringify(aiLines),
  );
} catch (err) {
  failures++;
  log(`FAIL ${err instanceof Error ? err.stack : String(err)}`);
  await page?.screenshot({ path: path.join(ARTIFACTS, "vscode-failure.png") }).catch(() => {});
} finally {
  await cleanup();
}
console.log(`vscode-e2e: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
