// What the extension tells a person after a command: one short sentence per
// outcome, with each prefix said once. Pure: no vscode import.

import { SERVER_COMMAND } from "./protocol";

const VERB: Record<string, string> = {
  [SERVER_COMMAND.requestSignoff]: "request sign-off",
  [SERVER_COMMAND.approve]: "approve",
  [SERVER_COMMAND.reject]: "reject",
  [SERVER_COMMAND.markAi]: "mark the text as AI-written",
  [SERVER_COMMAND.markHuman]: "mark the text as human-written",
  [SERVER_COMMAND.showProvenance]: "show provenance",
};

/** What a command does, in words ("approve"), or its name. */
export function verbOf(command: string): string {
  return VERB[command] ?? command;
}

/**
 * The text of an error, without the prefixes that the server and the
 * language client put on it ("vouch: ", "vouch.approve: ", "Request
 * workspace/executeCommand failed with message: ").
 */
export function reason(err: unknown, command?: string): string {
  let text = err instanceof Error ? err.message : String(err);
  for (;;) {
    const before = text;
    text = text.replace(/^Request \S+ failed with message:\s*/i, "");
    text = text.replace(/^vouch:\s*/i, "");
    if (command) {
      text = text.startsWith(`${command}: `) ? text.slice(command.length + 2) : text;
    }
    text = text.trim();
    if (text === before) {
      return text;
    }
  }
}

/** "vouch: could not approve: no AI-written unit there". */
export function failureText(command: string, err: unknown): string {
  return `vouch: could not ${verbOf(command)}: ${reason(err, command)}`;
}

/**
 * What to say after a command succeeded, from the server's reply (a
 * sentence such as "approved 1 unit(s) as a@example.com"). Approvals and
 * requests are records in this clone until `vouch sync` pushes them: said
 * each time, since nothing else tells the reviewer.
 */
export function successText(command: string, reply: unknown): string | undefined {
  const said = typeof reply === "string" && reply.trim() !== "" ? reason(reply, command) : undefined;
  switch (command) {
    case SERVER_COMMAND.approve:
    case SERVER_COMMAND.reject:
    case SERVER_COMMAND.requestSignoff:
      return `vouch: ${said ?? `${verbOf(command)}: done`}. It stays in this clone until you sync (Vouch: Sync, or vouch sync).`;
    case SERVER_COMMAND.markAi:
    case SERVER_COMMAND.markHuman:
      return said ? `vouch: ${said}` : undefined;
    default:
      return undefined;
  }
}

/** The status bar text for a queue: how many await sign-off, and how many of them you may sign off. */
export function queueStatus(total: number | undefined, mine: number): { text: string; tooltip: string } {
  if (total === undefined) {
    return { text: "$(shield) vouch", tooltip: "vouch: reading the review queue" };
  }
  if (total === 0) {
    return { text: "$(pass) vouch", tooltip: "vouch: nothing awaits sign-off in this repository" };
  }
  const units = `${total} unit${total === 1 ? "" : "s"}`;
  return {
    text: mine > 0 ? `$(shield) vouch: ${mine} for you` : `$(shield) vouch: ${total}`,
    tooltip:
      mine > 0
        ? `vouch: ${units} await sign-off; ${mine} of them you may sign off (click for the queue)`
        : `vouch: ${units} await sign-off (click for the queue)`,
  };
}
