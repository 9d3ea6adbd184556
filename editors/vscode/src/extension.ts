// The vouch extension: runs `vouch lsp` for file documents in git work trees
// and adds what plain LSP cannot show: decorations from `vouch/regions`, the
// repository's review queue from `vouch/pending`, prompts for rationales and
// comments, what each command did, `vouch sync`, and reports of AI and
// pasted text.
//
// The program that runs is the extension's own (server/vouch), or the one
// the user's settings name, never one a repository's settings name; in an
// untrusted folder (Restricted Mode) nothing runs, since vouch runs git
// there and a repository's git configuration can name programs too.

import * as fs from "fs";
import * as os from "os";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
} from "vscode-languageclient/node";
import * as path from "path";
import { OriginTracker, type OriginSink } from "./aiDetection";
import { chooseBinary, type BinaryChoice } from "./binary";
import { decorationOptions, RegionDecorations } from "./decorations";
import { gitRootOf } from "./git";
import { failureText, successText } from "./messages";
import { ProvenanceView } from "./provenanceView";
import { runSync } from "./sync";
import {
  METHOD,
  SERVER_COMMAND,
  type AiEditParams,
  type AiKind,
  type HumanPasteParams,
  type PendingResult,
  type Range,
  type RegionsParams,
} from "./protocol";
import { QueueView, type QueueNode } from "./queueView";

/** What other extensions (AI tools) get from `vscode.extensions.getExtension("vouch.vouch").exports`. */
export interface VouchApi {
  /** Reports that `range` of `document` (at its current version) was just written by an AI tool. */
  reportAiEdit(
    document: vscode.TextDocument,
    range: vscode.Range,
    source: { tool: string; model?: string; session?: string; kind?: AiKind },
  ): Promise<void>;
  /** Reports that `range` of `document` was just pasted by the user. */
  reportHumanPaste(document: vscode.TextDocument, range: vscode.Range): Promise<void>;
  /** The regions the server last sent for a document. */
  regions(uri: vscode.Uri): RegionsParams | undefined;
  /** Whether the language server is running. */
  isRunning(): boolean;
}

let session: Session | undefined;

export function activate(context: vscode.ExtensionContext): VouchApi {
  session = new Session(context);
  context.subscriptions.push(session);
  void session.start();
  return session.api();
}

export async function deactivate(): Promise<void> {
  await session?.stop();
}

class Session implements vscode.Disposable, OriginSink {
  private client: LanguageClient | undefined;
  private readonly output = vscode.window.createOutputChannel("Vouch", { log: true });
  private readonly decorations: RegionDecorations;
  private readonly queue: QueueView;
  private readonly tracker: OriginTracker;
  private readonly provenance = new ProvenanceView();
  private readonly disposables: vscode.Disposable[] = [];
  /** The binary the running server was started from. */
  private binary: BinaryChoice | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    const toCode = (uri: string): vscode.Uri =>
      this.client ? this.client.protocol2CodeConverter.asUri(uri) : vscode.Uri.parse(uri);
    this.decorations = new RegionDecorations(context.extensionUri, toCode);
    this.queue = new QueueView(() => this.fetchPending(), toCode);
    this.tracker = new OriginTracker(this);
    this.disposables.push(
      this.output,
      this.decorations,
      this.queue,
      this.tracker,
      this.provenance,
      vscode.window.registerTreeDataProvider("vouch.pending", this.queue),
    );
    this.registerCommands();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("vouch.path") || e.affectsConfiguration("vouch.extraArgs")) {
          void this.restart();
        }
        if (e.affectsConfiguration("vouch.decorations")) {
          this.decorations.configure(decorationOptions(vscode.workspace.getConfiguration("vouch")));
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.client === undefined) {
          void this.start();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.client === undefined) {
          void this.start();
        }
      }),
      vscode.workspace.onDidSaveTextDocument(() => this.queue.scheduleRefresh()),
    );
    this.decorations.configure(decorationOptions(vscode.workspace.getConfiguration("vouch")));
  }

  api(): VouchApi {
    return {
      reportAiEdit: async (document, range, source) => {
        const client = await this.ready();
        const params: AiEditParams = {
          textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri), version: document.version },
          range: client.code2ProtocolConverter.asRange(range),
          ...source,
        };
        await client.sendNotification(METHOD.aiEdit, params);
      },
      reportHumanPaste: async (document, range) => {
        const client = await this.ready();
        const params: HumanPasteParams = {
          textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri), version: document.version },
          range: client.code2ProtocolConverter.asRange(range),
        };
        await client.sendNotification(METHOD.humanPaste, params);
      },
      regions: (uri) => this.decorations.regionsOf(uri),
      isRunning: () => this.client?.state === State.Running,
    };
  }

  /** The git roots of the workspace folders; the server runs only when there is one. */
  private gitRoots(): string[] {
    const roots = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme === "file") {
        const root = gitRootOf(folder.uri.fsPath);
        if (root) {
          roots.add(root);
        }
      }
    }
    return [...roots];
  }

  async start(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.queue.setStopped("vouch: this folder is not trusted (Restricted Mode); vouch starts once you trust it");
      return;
    }
    const roots = this.gitRoots();
    if (roots.length === 0) {
      this.queue.setStopped("vouch: no git repository in this workspace");
      return;
    }
    const config = vscode.workspace.getConfiguration("vouch");
    const binary = this.chooseBinary();
    if ("error" in binary) {
      const message = `vouch: ${binary.error}`;
      this.output.error(message);
      this.queue.setStopped(message);
      const choice = await vscode.window.showErrorMessage(message, "Open Settings");
      if (choice === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "vouch.path");
      }
      return;
    }
    this.binary = binary;
    const serverOptions: ServerOptions = {
      command: binary.file,
      args: ["lsp", ...userValue<string[]>(config, "extraArgs", [])],
      options: { cwd: roots[0] },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      diagnosticCollectionName: "vouch",
      outputChannel: this.output,
      middleware: this.middleware(),
      // This client asks people for rationales and comments, and shows what
      // each command did: the server leaves both to it.
      initializationOptions: { promptsForArguments: true, showsCommandResults: true },
      synchronize: {
        fileEvents: [
          vscode.workspace.createFileSystemWatcher("**/.vouch.toml"),
          vscode.workspace.createFileSystemWatcher("**/.git/vouch/**"),
          vscode.workspace.createFileSystemWatcher("**/.git/refs/vouch/**"),
        ],
      },
    };
    const client = new LanguageClient("vouch", "Vouch", serverOptions, clientOptions);
    client.onNotification(METHOD.regions, (params: RegionsParams) => {
      this.decorations.update(params);
      this.queue.scheduleRefresh();
    });
    client.onNotification(METHOD.pendingChanged, () => this.queue.scheduleRefresh(0));
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) {
        this.queue.setStopped("vouch: the language server stopped (see the Vouch output)");
      }
    });
    this.client = client;
    try {
      this.output.info(`starting ${binary.file} lsp in ${roots[0]} (${SOURCE_TEXT[binary.source]})`);
      await client.start();
      this.queue.scheduleRefresh(0);
    } catch (err) {
      const message = `vouch: the language server (${binary.file} lsp) failed to start: ${errorText(err)}`;
      this.output.error(message);
      this.queue.setStopped(message);
      void vscode.window.showErrorMessage(message);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.decorations.clear();
    if (client && client.state !== State.Stopped) {
      await client.stop();
    }
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async ready(): Promise<LanguageClient> {
    const client = this.client;
    if (client === undefined) {
      throw new Error("the vouch language server is not running");
    }
    if (client.state === State.Starting) {
      await new Promise<void>((resolve) => {
        const sub = client.onDidChangeState((e) => {
          if (e.newState !== State.Starting) {
            sub.dispose();
            resolve();
          }
        });
      });
    }
    if (client.state !== State.Running) {
      throw new Error("the vouch language server is not running");
    }
    return client;
  }

  /**
   * The binary to run: the user's own `vouch.path` (never a workspace's),
   * else the one inside the extension, else `vouch` on PATH.
   */
  private chooseBinary(): BinaryChoice | { error: string } {
    const config = vscode.workspace.getConfiguration("vouch");
    const ignored = config.inspect<string>("path");
    if (ignored?.workspaceValue !== undefined || ignored?.workspaceFolderValue !== undefined) {
      this.output.warn("ignoring vouch.path from the workspace settings: only your user settings choose the program");
    }
    const exe = process.platform === "win32" ? "vouch.exe" : "vouch";
    const bundled = path.join(this.context.extensionUri.fsPath, "server", exe);
    makeExecutable(bundled);
    return chooseBinary({
      userSetting: userValue<string>(config, "path", ""),
      bundled,
      searchPath: process.env.PATH,
      home: os.homedir(),
      isExecutable,
    });
  }

  private async fetchPending(): Promise<{ units: PendingResult["units"]; computing: boolean }> {
    const client = await this.ready();
    const result = await client.sendRequest<PendingResult>(METHOD.pending, {});
    return { units: result?.units ?? [], computing: result?.computing === true };
  }

  // --- OriginSink -----------------------------------------------------------

  handles(document: vscode.TextDocument): boolean {
    return this.client?.state === State.Running && document.uri.scheme === "file";
  }

  aiEdit(document: vscode.TextDocument, version: number, range: Range, tool: string, kind: AiKind): void {
    const client = this.client;
    if (!client) {
      return;
    }
    const params: AiEditParams = {
      textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri), version },
      range,
      tool,
      kind,
    };
    this.output.info(`aiEdit ${document.uri.fsPath} v${version} ${rangeText(range)} (${tool})`);
    void client.sendNotification(METHOD.aiEdit, params);
  }

  humanPaste(document: vscode.TextDocument, version: number, range: Range): void {
    const client = this.client;
    if (!client) {
      return;
    }
    const params: HumanPasteParams = {
      textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri), version },
      range,
    };
    this.output.info(`humanPaste ${document.uri.fsPath} v${version} ${rangeText(range)}`);
    void client.sendNotification(METHOD.humanPaste, params);
  }

  // --- commands -------------------------------------------------------------

  /**
   * Server commands reached through code actions and code lenses pass here:
   * ask for the rationale or comment the server wants from a person, and show
   * what `vouch.showProvenance` returns.
   */
  private middleware(): Middleware {
    return {
      executeCommand: async (command, args, next) => {
        await this.runWithPrompts(command, args, (prepared) => Promise.resolve(next(command, prepared)));
        return undefined;
      },
      provideCodeLenses: (document, token, next) =>
        vscode.workspace.getConfiguration("vouch").get<boolean>("codeLens", true) ? next(document, token) : [],
    };
  }

  /**
   * Asks for what the command needs, runs it, and says what happened. A
   * request or a rejection that fails asks again with the person's text
   * kept and the server's reason shown, so nothing typed is lost.
   */
  private async runWithPrompts(command: string, args: unknown[], run: (args: unknown[]) => Promise<unknown>): Promise<void> {
    let previous: { value: string; error: string } | undefined;
    for (;;) {
      const prepared = await promptForArguments(command, args, previous);
      if (prepared === undefined) {
        return;
      }
      try {
        const result = await run(prepared);
        await this.afterCommand(command, result, prepared[0]);
        return;
      } catch (err) {
        const message = failureText(command, err);
        this.output.error(message);
        const typed = typedText(command, prepared[0]);
        if (typed === undefined) {
          void vscode.window.showErrorMessage(message);
          return;
        }
        previous = { value: typed, error: message };
      }
    }
  }

  private async afterCommand(command: string, result: unknown, argument: unknown): Promise<void> {
    if (command === SERVER_COMMAND.showProvenance) {
      const given = typeof argument === "object" && argument !== null ? (argument as { uri?: unknown }).uri : undefined;
      const uri = typeof given === "string" ? given : "";
      await this.provenance.show(uri, markdownOf(result));
      return;
    }
    this.queue.scheduleRefresh(100);
    const text = successText(command, result);
    if (text === undefined) {
      return;
    }
    this.output.info(text);
    if (command === SERVER_COMMAND.markAi || command === SERVER_COMMAND.markHuman) {
      vscode.window.setStatusBarMessage(text, 5000);
      return;
    }
    const choice = await vscode.window.showInformationMessage(text, "Sync now");
    if (choice === "Sync now") {
      await this.sync();
    }
  }

  /** Runs a server command for the palette, the context menu and the tree. */
  private async runServerCommand(command: string, argument: Record<string, unknown>): Promise<void> {
    let client: LanguageClient;
    try {
      client = await this.ready();
    } catch (err) {
      void vscode.window.showErrorMessage(failureText(command, err));
      return;
    }
    await this.runWithPrompts(command, [argument], (prepared) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: prepared }),
    );
  }

  /** `Vouch: Sync`: `vouch sync` in the repository of the active file (or the workspace's first). */
  private async sync(): Promise<void> {
    const active = vscode.window.activeTextEditor?.document.uri;
    const root = (active?.scheme === "file" ? gitRootOf(path.dirname(active.fsPath)) : undefined) ?? this.gitRoots()[0];
    if (root === undefined) {
      void vscode.window.showErrorMessage("vouch: could not sync: no git repository is open");
      return;
    }
    const binary = this.binary ?? this.chooseBinary();
    if ("error" in binary) {
      void vscode.window.showErrorMessage(`vouch: could not sync: ${binary.error}`);
      return;
    }
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `vouch: syncing ${path.basename(root)}` },
      () => runSync(binary.file, root),
    );
    this.output.info(`vouch sync in ${root}:\n${result.output}`);
    const last = result.output.split("\n").filter((l) => l.trim() !== "").pop() ?? "";
    if (result.ok) {
      void vscode.window.showInformationMessage(`vouch: synced${last ? `: ${last}` : ""}`);
    } else {
      void vscode.window.showErrorMessage(`vouch: could not sync: ${last || "vouch sync failed"} (details in the Vouch output)`);
    }
    this.queue.scheduleRefresh(0);
  }

  /** The document and range a command acts on: a queue entry, else the active editor's selection. */
  private target(node: unknown, needSelection: boolean): { uri: string; range: Range; position: Range["start"] } | undefined {
    const client = this.client;
    if (!client) {
      void vscode.window.showErrorMessage("vouch: the language server is not running");
      return undefined;
    }
    if (isUnitNode(node)) {
      const { uri, range } = node.unit;
      return { uri, range, position: range.start };
    }
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      void vscode.window.showInformationMessage("vouch: open a file first");
      return undefined;
    }
    let selection: vscode.Range = editor.selection;
    if (needSelection && selection.isEmpty) {
      // Marking needs text: with no selection, take the cursor's line.
      selection = editor.document.lineAt(editor.selection.active.line).range;
    }
    return {
      uri: client.code2ProtocolConverter.asUri(editor.document.uri),
      range: client.code2ProtocolConverter.asRange(selection),
      position: client.code2ProtocolConverter.asPosition(editor.selection.active),
    };
  }

  private registerCommands(): void {
    const register = (id: string, run: (node: unknown) => Promise<void>): void => {
      this.disposables.push(vscode.commands.registerCommand(id, run));
    };
    register("vouch.ui.requestSignoff", async (node) => {
      const t = this.target(node, false);
      if (t) await this.runServerCommand(SERVER_COMMAND.requestSignoff, { uri: t.uri, range: t.range });
    });
    register("vouch.ui.approve", async (node) => {
      const t = this.target(node, false);
      if (t) await this.runServerCommand(SERVER_COMMAND.approve, { uri: t.uri, range: t.range });
    });
    register("vouch.ui.reject", async (node) => {
      const t = this.target(node, false);
      if (t) await this.runServerCommand(SERVER_COMMAND.reject, { uri: t.uri, range: t.range });
    });
    register("vouch.ui.markAi", async (node) => {
      const t = this.target(node, true);
      if (t) await this.runServerCommand(SERVER_COMMAND.markAi, { uri: t.uri, range: t.range });
    });
    register("vouch.ui.markHuman", async (node) => {
      const t = this.target(node, true);
      if (t) await this.runServerCommand(SERVER_COMMAND.markHuman, { uri: t.uri, range: t.range });
    });
    register("vouch.ui.showProvenance", async (node) => {
      const t = this.target(node, false);
      if (t) await this.runServerCommand(SERVER_COMMAND.showProvenance, { uri: t.uri, position: t.position });
    });
    register("vouch.ui.showQueue", async () => {
      await vscode.commands.executeCommand("vouch.pending.focus");
      await this.queue.refresh();
    });
    register("vouch.ui.refreshQueue", () => this.queue.refresh());
    register("vouch.ui.restartServer", () => this.restart());
    register("vouch.ui.acceptInlineSuggestion", () => this.tracker.acceptInlineSuggestion());
    register("vouch.ui.acceptInlineSuggestionNextWord", () =>
      this.tracker.acceptInlineSuggestion("editor.action.inlineSuggest.acceptNextWord"),
    );
    register("vouch.ui.acceptInlineSuggestionNextLine", () =>
      this.tracker.acceptInlineSuggestion("editor.action.inlineSuggest.acceptNextLine"),
    );
    register("vouch.ui.sync", () => this.sync());
  }

  dispose(): void {
    this.disposables.forEach((d) => void d.dispose());
  }
}

const SOURCE_TEXT: Record<BinaryChoice["source"], string> = {
  setting: "from your vouch.path setting",
  bundled: "the binary inside the extension",
  path: "found on PATH",
};

/**
 * Fills in what a person must supply: a rationale for a sign-off request
 * (required or optional as the policy says: the server's code actions carry
 * `rationaleRequired`) and a comment for a rejection (always required).
 * `previous` is the text typed before a failed attempt, and why it failed.
 * Undefined when the person cancelled.
 */
async function promptForArguments(
  command: string,
  args: unknown[],
  previous?: { value: string; error: string },
): Promise<unknown[] | undefined> {
  const first = args[0];
  if (typeof first !== "object" || first === null) {
    return args;
  }
  const argument = { ...(first as Record<string, unknown>) };
  if (command === SERVER_COMMAND.requestSignoff && (argument.rationale === undefined || previous)) {
    // The server's code actions say whether the policy requires one; from
    // the palette it is not known until the server answers.
    const required = argument.rationaleRequired === true;
    const known = typeof argument.rationaleRequired === "boolean";
    const rationale = await vscode.window.showInputBox({
      title: "vouch: request sign-off",
      prompt: previous
        ? `${previous.error}. Edit the rationale and press Enter, or Escape to cancel.`
        : "Why should this AI-written code land? Reviewers see this rationale beside the code.",
      placeHolder: required
        ? "rationale (required by the policy for this code)"
        : known
          ? "rationale (optional)"
          : "rationale (optional unless the policy asks for one)",
      // The server drafts one from the agent's recorded intent: the
      // requester confirms it (Enter) or writes their own.
      value:
        previous?.value ??
        (typeof argument.rationaleDraft === "string"
          ? argument.rationaleDraft
          : typeof argument.rationale === "string"
            ? argument.rationale
            : ""),
      ignoreFocusOut: true,
      validateInput: required ? (value) => (value.trim() === "" ? "the policy asks for a rationale here" : undefined) : undefined,
    });
    if (rationale === undefined) {
      return undefined;
    }
    delete argument.rationale;
    if (rationale.trim() !== "") {
      argument.rationale = rationale.trim();
    }
  } else if (command === SERVER_COMMAND.reject && (typeof argument.comment !== "string" || argument.comment === "" || previous)) {
    const comment = await vscode.window.showInputBox({
      title: "vouch: reject",
      prompt: previous ? `${previous.error}. Edit the comment and press Enter, or Escape to cancel.` : "What must change? The author sees this comment.",
      placeHolder: "comment (required)",
      value: previous?.value ?? "",
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === "" ? "a rejection needs a comment" : undefined),
    });
    if (comment === undefined) {
      return undefined;
    }
    argument.comment = comment.trim();
  }
  return [argument, ...args.slice(1)];
}

/** What the person typed for a command that asks for text, to offer again after a failure. */
function typedText(command: string, argument: unknown): string | undefined {
  if (typeof argument !== "object" || argument === null) {
    return undefined;
  }
  const a = argument as { rationale?: unknown; comment?: unknown };
  if (command === SERVER_COMMAND.requestSignoff) {
    return typeof a.rationale === "string" ? a.rationale : "";
  }
  if (command === SERVER_COMMAND.reject) {
    return typeof a.comment === "string" ? a.comment : "";
  }
  return undefined;
}

/** A setting's value from the user's own settings (user or machine), never a workspace's. */
function userValue<T>(config: vscode.WorkspaceConfiguration, key: string, fallback: T): T {
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

/** A packaged binary may lose its executable bit on the way through a .vsix. */
function makeExecutable(file: string): void {
  try {
    if (fs.statSync(file).isFile() && !isExecutable(file) && process.platform !== "win32") {
      fs.chmodSync(file, 0o755);
    }
  } catch {
    // No bundled binary: nothing to do.
  }
}

function markdownOf(result: unknown): string {
  if (typeof result === "string") {
    return result;
  }
  if (typeof result === "object" && result !== null) {
    const value = (result as { value?: unknown; contents?: unknown; markdown?: unknown }).value ??
      (result as { contents?: unknown }).contents ??
      (result as { markdown?: unknown }).markdown;
    if (typeof value === "string") {
      return value;
    }
  }
  return "No provenance is recorded here.";
}

function isUnitNode(node: unknown): node is Extract<QueueNode, { kind: "unit" }> {
  return typeof node === "object" && node !== null && (node as { kind?: unknown }).kind === "unit";
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function rangeText(range: Range): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}
