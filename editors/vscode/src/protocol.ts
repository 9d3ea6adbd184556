// The vouch language server's extensions to LSP, as the client sees them.
// Positions are in the negotiated encoding; VS Code only offers UTF-16, which
// is what JavaScript strings and `vscode.Position` count in.

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Origin = "ai" | "human" | "unknown";
export type RegionState = "pending" | "suspected" | "requested" | "approved" | "rejected";
export const REGION_STATES: readonly RegionState[] = ["pending", "suspected", "requested", "approved", "rejected"];

export interface Region {
  range: Range;
  origin: Origin;
  tool?: string;
  state: RegionState;
}

/** Server → client notification `vouch/regions`, sent after every change. */
export interface RegionsParams {
  uri: string;
  version: number | null;
  regions: Region[];
}

export type AiKind = "completion" | "chat" | "agent";

/** Client → server notification `vouch/aiEdit`. */
export interface AiEditParams {
  textDocument: { uri: string; version: number };
  range: Range;
  tool: string;
  model?: string;
  session?: string;
  kind?: AiKind;
}

/** Client → server notification `vouch/humanPaste`. */
export interface HumanPasteParams {
  textDocument: { uri: string; version: number };
  range: Range;
}

export interface PendingUnit {
  uri: string;
  range: Range;
  path: string;
  kind: string;
  name?: string;
  fingerprint?: string;
  risk: string[];
  severity: "warning" | "information";
  state: RegionState;
  aiLines: number;
  /**
   * Lines an AI removed from the unit (none of them an AI line), when the
   * server knows how many: a unit an AI only removed lines from has no AI
   * line and still needs sign-off.
   */
  aiDeletedLines?: number;
  tool?: string;
  reviewers: string[];
  /** Whether the current git identity may approve or reject it now. */
  mayApprove?: boolean;
  /** Who asked for sign-off (requested units). */
  requester?: string;
  rationale?: string;
  /**
   * `"intent"` when the rationale was drafted from the agent's recorded
   * intent (and confirmed by the requester), not typed by them.
   */
  rationaleFrom?: "intent";
  /** False when the requested text is no longer in the file as it is now. */
  located?: boolean;
}

/**
 * Result of the request `vouch/pending` (params `{}`): the repository's
 * review queue (what `vouch review --list --all` lists) and the open files'
 * units that still need a request, riskiest first. `computing` is true while
 * the server reads the queue in the background; `vouch/pendingChanged` says
 * when a new one is ready.
 */
export interface PendingResult {
  units: PendingUnit[];
  computing?: boolean;
  reviewer?: string | null;
}

export const METHOD = {
  aiEdit: "vouch/aiEdit",
  humanPaste: "vouch/humanPaste",
  regions: "vouch/regions",
  pending: "vouch/pending",
  pendingChanged: "vouch/pendingChanged",
} as const;

/** Commands the server executes (workspace/executeCommand). */
export const SERVER_COMMAND = {
  requestSignoff: "vouch.requestSignoff",
  approve: "vouch.approve",
  reject: "vouch.reject",
  markAi: "vouch.markAi",
  markHuman: "vouch.markHuman",
  showProvenance: "vouch.showProvenance",
} as const;

export const DIAGNOSTIC_CODE = {
  unreviewedAi: "unreviewed-ai",
  signoffRequested: "signoff-requested",
  signoffRejected: "signoff-rejected",
  suspectedAi: "suspected-ai",
} as const;
