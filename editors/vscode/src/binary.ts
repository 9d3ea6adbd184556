// Which vouch binary runs. Pure apart from the `isExecutable` callback, so
// that it can be tested without a file system.
//
// A repository must never choose the program that runs: only the user's own
// `vouch.path` (user or machine settings, never a workspace's) is read, a
// relative path is refused rather than taken from the workspace folder, and
// otherwise the binary shipped inside the extension runs, then `vouch` on
// PATH.

import * as path from "path";

export type BinarySource = "setting" | "bundled" | "path";

export interface BinaryChoice {
  file: string;
  source: BinarySource;
}

export interface BinaryOptions {
  /** `vouch.path` as the user set it (user or machine settings); undefined when unset. */
  userSetting: string | undefined;
  /** Where the extension's own binary would be (`<extension>/server/vouch`); undefined when none is packaged. */
  bundled: string | undefined;
  searchPath: string | undefined;
  home: string | undefined;
  isExecutable: (file: string) => boolean;
  platform?: NodeJS.Platform;
}

/**
 * The binary to run, and where it came from, or an error saying what is
 * wrong. The user's explicit `vouch.path` wins; then the bundled binary;
 * then `vouch` on PATH.
 */
export function chooseBinary(opts: BinaryOptions): BinaryChoice | { error: string } {
  const setting = opts.userSetting?.trim();
  if (setting) {
    const file = resolveBinary(setting, opts);
    if (typeof file === "string") {
      return { file, source: "setting" };
    }
    return { error: `"vouch.path" is "${setting}": ${file.error}` };
  }
  if (opts.bundled) {
    const found = executableVariant(opts.bundled, opts);
    if (found) {
      return { file: found, source: "bundled" };
    }
  }
  const onPath = resolveBinary("vouch", opts);
  if (typeof onPath === "string") {
    return { file: onPath, source: "path" };
  }
  return {
    error:
      "this extension has no vouch binary for this platform, and none is on PATH: install vouch " +
      "(cargo install --locked --path . in the vouch repository) or set vouch.path in your user settings",
  };
}

/**
 * Resolves a `vouch.path` value to a file: an absolute path, a path under
 * `~/`, or a bare name looked up on `searchPath`. A relative path with a
 * separator is refused: it would be taken from whatever folder is open.
 */
export function resolveBinary(setting: string, opts: BinaryOptions): string | { error: string } {
  const value = setting.trim() === "" ? "vouch" : setting.trim();
  const windows = (opts.platform ?? process.platform) === "win32";
  const hasSeparator = value.includes("/") || (windows && value.includes("\\"));

  if (value.startsWith("~/") && opts.home) {
    return executableVariant(path.join(opts.home, value.slice(2)), opts) ?? { error: "no executable file there" };
  }
  if (hasSeparator) {
    const absolute = windows ? path.win32.isAbsolute(value) : path.posix.isAbsolute(value);
    if (!absolute) {
      return { error: "a relative path is not accepted (it would depend on the folder that is open); give an absolute path" };
    }
    return executableVariant(value, opts) ?? { error: "no executable file there" };
  }
  for (const dir of (opts.searchPath ?? "").split(windows ? ";" : ":")) {
    if (dir === "" || !(windows ? path.win32.isAbsolute(dir) : path.posix.isAbsolute(dir))) {
      // An empty or relative PATH entry means the current folder: skipped.
      continue;
    }
    const found = executableVariant(path.join(dir, value), opts);
    if (found) {
      return found;
    }
  }
  return { error: `no "${value}" on PATH` };
}

function executableVariant(file: string, opts: BinaryOptions): string | undefined {
  const windows = (opts.platform ?? process.platform) === "win32";
  const exts = windows ? ["", ".exe", ".cmd"] : [""];
  return exts.map((e) => file + e).find(opts.isExecutable);
}
