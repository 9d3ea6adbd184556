#!/usr/bin/env node
// Checks package.json for what the VS Code Marketplace and Open VSX (the
// registry of VSCodium, Cursor, Windsurf, Kiro and other VS Code forks)
// need or show, and for the workspace-trust rules vouch relies on: a
// repository's settings must never choose the program that runs. Prints
// "N passed, M failed" and exits non-zero on a failure.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const EXT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(fs.readFileSync(path.join(EXT, "package.json"), "utf8"));
let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ""}`);
  }
}

const semver = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
check("name is lowercase, no spaces", /^[a-z0-9][a-z0-9-]*$/.test(pkg.name ?? ""), pkg.name);
check("publisher is set (Open VSX namespace)", /^[a-z0-9][a-z0-9-]*$/i.test(pkg.publisher ?? ""), pkg.publisher);
check("version is semver", semver.test(pkg.version ?? ""), pkg.version);
check("displayName", typeof pkg.displayName === "string" && pkg.displayName.length > 0);
check("description", typeof pkg.description === "string" && pkg.description.length > 0);
check("license is an SPDX expression", /^[A-Za-z0-9.+-]+( (OR|AND) [A-Za-z0-9.+-]+)*$/.test(pkg.license ?? ""), pkg.license);
check("repository.url is https", /^https:\/\//.test(pkg.repository?.url ?? ""), JSON.stringify(pkg.repository));
check("engines.vscode is a range", /^\^?\d+\.\d+\.\d+$/.test(pkg.engines?.vscode ?? ""), pkg.engines?.vscode);
const icon = pkg.icon && path.join(EXT, pkg.icon);
check("icon is a PNG in the package (SVG icons are refused)", !!icon && icon.endsWith(".png") && fs.existsSync(icon), pkg.icon);
if (icon && fs.existsSync(icon)) {
  const png = fs.readFileSync(icon);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  check("icon is at least 128x128", width >= 128 && height >= 128, `${width}x${height}`);
}
const known = ["Azure", "Data Science", "Debuggers", "Education", "Extension Packs", "Formatters", "Keymaps", "Language Packs", "Linters", "Machine Learning", "Notebooks", "Programming Languages", "SCM Providers", "Snippets", "Testing", "Themes", "Visualization", "AI", "Chat", "Other"];
check("categories are the marketplace's", Array.isArray(pkg.categories) && pkg.categories.length > 0 && pkg.categories.every((c) => known.includes(c)), JSON.stringify(pkg.categories));
check("main is compiled JavaScript", /\.js$/.test(pkg.main ?? ""), pkg.main);
check("vscode-languageclient 9 (engine ^1.82)", /^\^9\./.test(pkg.dependencies?.["vscode-languageclient"] ?? ""));

// Workspace trust.
const trust = pkg.capabilities?.untrustedWorkspaces;
check("untrustedWorkspaces is declared", trust?.supported === "limited" || trust?.supported === false, JSON.stringify(trust));
const restricted = trust?.restrictedConfigurations ?? [];
for (const key of ["vouch.path", "vouch.extraArgs"]) {
  check(`${key} is a restricted configuration`, restricted.includes(key), JSON.stringify(restricted));
  const scope = pkg.contributes?.configuration?.properties?.[key]?.scope;
  check(`${key} is machine-scoped (no workspace may set it)`, scope === "machine", scope);
}
check("vouch.path defaults to empty (the bundled binary)", pkg.contributes?.configuration?.properties?.["vouch.path"]?.default === "");

// Packaging: the bundled binary goes in, sources and tests stay out.
const ignore = fs.readFileSync(path.join(EXT, ".vscodeignore"), "utf8").split("\n").map((l) => l.trim());
check(".vscodeignore keeps server/ in the package", !ignore.some((l) => l === "server/**" || l === "server"));
check(".vscodeignore leaves scripts/ out", ignore.includes("scripts/**"));

console.log(`check-manifest: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
