// Finding the vouch binary the `vouch.path` setting names. Pure apart from
// the `isExecutable` callback, so that it can be tested without a file system.

import * as path from "path";

/**
 * Resolves `setting` to a file: a value with a path separator is taken as a
 * path (relative ones against `workspaceRoot`, `~` against `home`); a bare
 * name is looked up on `searchPath`. Undefined when nothing executable is found.
 */
export function resolveBinary(
  setting: string,
  opts: {
    searchPath: string | undefined;
    workspaceRoot: string | undefined;
    home: string | undefined;
    isExecutable: (file: string) => boolean;
    platform?: NodeJS.Platform;
  },
): string | undefined {
  const value = setting.trim() === "" ? "vouch" : setting.trim();
  const windows = (opts.platform ?? process.platform) === "win32";
  const exts = windows ? ["", ".exe", ".cmd"] : [""];
  const candidates = (file: string): string | undefined => exts.map((e) => file + e).find(opts.isExecutable);

  if (value.startsWith("~/") && opts.home) {
    return candidates(path.join(opts.home, value.slice(2)));
  }
  if (value.includes("/") || (windows && value.includes("\\"))) {
    const file = path.isAbsolute(value) ? value : path.resolve(opts.workspaceRoot ?? process.cwd(), value);
    return candidates(file);
  }
  for (const dir of (opts.searchPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const found = candidates(path.join(dir, value));
    if (found) {
      return found;
    }
  }
  return undefined;
}
