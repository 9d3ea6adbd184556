// The review queue's shape: pending units (already ordered by risk by the
// server) grouped by file, the riskiest file first, and the labels the tree
// shows. Pure: no vscode import.

import type { PendingUnit } from "./protocol";

export interface FileGroup {
  uri: string;
  path: string;
  units: PendingUnit[];
}

/**
 * Groups units by file, keeping the server's order: a file comes where its
 * riskiest unit came, and its units keep their relative order.
 */
export function groupByFile(units: readonly PendingUnit[]): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const unit of units) {
    let group = groups.get(unit.uri);
    if (group === undefined) {
      group = { uri: unit.uri, path: unit.path, units: [] };
      groups.set(unit.uri, group);
    }
    group.units.push(unit);
  }
  return [...groups.values()];
}

/** Beside a file's name: its folder in the repository (if any) and how many units wait. */
export function fileDescription(group: FileGroup): string {
  const slash = group.path.lastIndexOf("/");
  const count = `${group.units.length} unit${group.units.length === 1 ? "" : "s"}`;
  return slash > 0 ? `${group.path.slice(0, slash)} · ${count}` : count;
}

/** `fn parse_config` or `function (line 12)` when the unit has no name. */
export function unitLabel(unit: PendingUnit): string {
  const kind = unit.kind.replace(/_/g, " ");
  return unit.name ? `${kind} ${unit.name}` : `${kind} (line ${unit.range.start.line + 1})`;
}

function counted(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** "3 AI lines", "2 AI-deleted lines", or both: what an AI did to the unit. */
export function aiAmount(unit: PendingUnit): string {
  const deleted = unit.aiDeletedLines ?? 0;
  if (deleted === 0) {
    return counted(unit.aiLines, "AI line");
  }
  const removed = counted(deleted, "AI-deleted line");
  return unit.aiLines === 0 ? removed : `${counted(unit.aiLines, "AI line")}, ${removed}`;
}

/** The units that are a whole file (no buffer holds them), by kind: what each is. */
const WHOLE_FILE: Record<string, string | undefined> = {
  "deleted-file": "the file was deleted by AI",
  "trust-file": "a change to a trust file",
  "file-mode": "an AI changed the file's mode (its executable bit)",
};

/** The short text beside a unit: state, risks, what an AI did to it. */
export function unitDescription(unit: PendingUnit): string {
  const parts: string[] = [unit.mayApprove ? `${unit.state}, for you` : unit.state];
  if (unit.risk.length > 0) {
    parts.push(unit.risk.join(", "));
  }
  parts.push(aiAmount(unit));
  return parts.join(" · ");
}

export function unitTooltip(unit: PendingUnit): string {
  const lines = [
    `${unitLabel(unit)} in ${unit.path}`,
    `state: ${unit.state}`,
    `risk: ${unit.risk.length > 0 ? unit.risk.join(", ") : "none beyond AI origin"}`,
    `AI lines: ${unit.aiLines}${unit.aiDeletedLines ? `, AI-deleted lines: ${unit.aiDeletedLines}` : ""}${unit.tool ? ` (${unit.tool})` : ""}`,
  ];
  if (unit.reviewers.length > 0) {
    lines.push(`reviewers: ${unit.reviewers.join(", ")}`);
  }
  if (unit.requester) {
    lines.push(`requested by: ${unit.requester}`);
  }
  if (unit.rationale) {
    // Whose words they are, when not the requester's own.
    const from = unit.rationaleFrom === "intent" ? " (drafted from the agent's intent, confirmed by the requester)" : "";
    lines.push(`rationale: ${unit.rationale}${from}`);
  }
  const whole = WHOLE_FILE[unit.kind];
  if (whole) {
    // A whole-file unit: no buffer holds it, the CLI signs it off.
    lines.push(`${whole}: sign it off with \`vouch approve --file ${unit.path}\` or \`vouch review\``);
  } else if (unit.located === false) {
    lines.push("the requested text is no longer in the file as it is now");
  }
  if (unit.mayApprove) {
    lines.push("you may sign it off");
  }
  return lines.join("\n");
}

/**
 * Whether clicking the unit opens its file: not for a file an AI deleted,
 * which no longer exists (its tooltip says how to sign it off).
 */
export function opensFile(unit: PendingUnit): boolean {
  return unit.kind !== "deleted-file";
}

/**
 * The tree item's context value, which decides the buttons it shows:
 * `unit.<state>`, plus `.approvable` when the current identity may approve
 * or reject it (so the author of a request is never offered Approve).
 */
export function unitContext(unit: PendingUnit): string {
  return `unit.${unit.state}${unit.mayApprove ? ".approvable" : ""}`;
}
