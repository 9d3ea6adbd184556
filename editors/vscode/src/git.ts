// Whether a folder lies in a git work tree, found by walking up to a `.git`
// entry (a directory, or a file in linked worktrees and submodules).

import * as fs from "fs";
import * as path from "path";

export function gitRootOf(folder: string): string | undefined {
  let dir = path.resolve(folder);
  for (;;) {
    if (fs.existsSync(path.join(dir, ".git"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}
