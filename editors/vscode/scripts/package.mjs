#!/usr/bin/env node
// Packages the extension for one platform with the vouch binary inside
// (server/vouch, or server/vouch.exe on Windows), as the VS Code Marketplace
// and Open VSX serve platform-specific extensions:
//
//   node scripts/package.mjs --target linux-x64 --binary ../../target/release/vouch [--out vouch-linux-x64.vsix]
//
// Targets: linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64,
// alpine-x64 (vsce's names). Run `tsc -p .` first (npm run package:target
// does). The binary is copied in for the packaging and removed after.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXT = path.resolve(HERE, "..");
const TARGETS = ["linux-x64", "linux-arm64", "linux-armhf", "alpine-x64", "alpine-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const target = arg("target");
const binary = arg("binary");
if (!target || !TARGETS.includes(target) || !binary) {
  console.error(`usage: package.mjs --target <${TARGETS.join("|")}> --binary <path to vouch> [--out file.vsix]`);
  process.exit(2);
}
const source = path.resolve(process.cwd(), binary);
if (!fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
  console.error(`package.mjs: no binary at ${source}`);
  process.exit(2);
}
const out = path.resolve(process.cwd(), arg("out") ?? `vouch-${target}.vsix`);
const serverDir = path.join(EXT, "server");
const name = target.startsWith("win32") ? "vouch.exe" : "vouch";
fs.rmSync(serverDir, { recursive: true, force: true });
fs.mkdirSync(serverDir);
fs.copyFileSync(source, path.join(serverDir, name));
fs.chmodSync(path.join(serverDir, name), 0o755);
try {
  const vsce = path.join(EXT, "node_modules/.bin/vsce");
  execFileSync(vsce, ["package", "--target", target, "--skip-license", "-o", out], { cwd: EXT, stdio: "inherit" });
} finally {
  fs.rmSync(serverDir, { recursive: true, force: true });
}
console.log(`package.mjs: ${out} (${target}, server/${name} from ${source})`);
