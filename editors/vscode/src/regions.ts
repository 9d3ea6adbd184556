// How `vouch/regions` turns into decorations: which regions get one, in which
// style, over which lines, and what the hover over them says. Pure: no vscode
// import.

import type { Range, Region, RegionState } from "./protocol";
import { REGION_STATES } from "./protocol";

export type RegionStyle = RegionState;

/**
 * The style a region is drawn in, or undefined when it is not drawn: only AI
 * text is marked, plus text suspected of being AI (whatever origin the server
 * put on it). Human and unknown text stays plain.
 */
export function styleOf(region: Region): RegionStyle | undefined {
  if (region.state === "suspected") {
    return "suspected";
  }
  if (region.origin !== "ai") {
    return undefined;
  }
  return REGION_STATES.includes(region.state) ? region.state : "pending";
}

export interface StyledRange {
  range: Range;
}

/** Which marks a person asked for (settings `vouch.decorations.*`). */
export interface MarkOptions {
  /** Marks on approved AI text too (`vouch.decorations.approved`). */
  approved: boolean;
}

/**
 * Groups regions by style. A range that ends at column 0 of a later line is
 * cut back to the end of the line before, so the gutter mark does not spill
 * onto a line the region does not touch; `lineLength(line)` gives that end.
 * Empty ranges are dropped, and approved text when `options.approved` is
 * false. The marks carry no hover of their own: the server's hover and the
 * diagnostic already say what the text is, once each.
 */
export function groupByStyle(
  regions: readonly Region[],
  lineLength: (line: number) => number,
  options: MarkOptions = { approved: true },
): Map<RegionStyle, StyledRange[]> {
  const groups = new Map<RegionStyle, StyledRange[]>();
  for (const style of REGION_STATES) {
    groups.set(style, []);
  }
  for (const region of regions) {
    const style = styleOf(region);
    if (style === undefined || (style === "approved" && !options.approved)) {
      continue;
    }
    const range = trimTrailingNewline(region.range, lineLength);
    if (isEmpty(range)) {
      continue;
    }
    groups.get(style)?.push({ range });
  }
  return groups;
}

function trimTrailingNewline(range: Range, lineLength: (line: number) => number): Range {
  const { start, end } = range;
  if (end.character === 0 && end.line > start.line) {
    const line = end.line - 1;
    return { start, end: { line, character: lineLength(line) } };
  }
  return range;
}

function isEmpty(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character >= range.end.character;
}
