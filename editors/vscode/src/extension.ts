// The vouch extension: runs `vouch lsp` for file documents in git work trees
// and adds what plain LSP cannot show: decorations from `vouch/regions`, the
// review queue from `vouch/pending`, prompts for rationales and comments, and
// reports of AI and pasted text.

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
import { OriginTracker, type OriginSink } from "./aiDetection";
import { resolveBinary } from "./binary";
import { RegionDecorations } from "./decorations";
import { gitRootOf } from "./git";
import {
  METHOD,
  SERVER_COMMAND,
  type AiEditParams,
  type AiKind,
  type HumanPasteParams,
  type PendingResult,
  type PendingUnit,
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
  private readonly disposables: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext) {
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
      vscode.window.registerTreeDataProvider("vouch.pending", this.queue),
    );
    this.registerCommands();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("vouch.path") || e.affectsConfiguration("vouch.extraArgs")) {
          void this.restart();
        }
        if (e.affectsConfiguration("vouch.decorations")) {
          this.decorations.setEnabled(vscode.workspace.getConfiguration("vouch").get("decorations", true));
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.client === undefined) {
          void this.start();
        }
      }),
      vscode.workspace.onDidSaveTextDocument(() => this.queue.scheduleRefresh()),
    );
    this.decorations.setEnabled(vscode.workspace.getConfiguration("vouch").get("decorations", true));
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
    const roots = this.gitRoots();
    if (roots.length === 0) {
      this.queue.setStopped("vouch: no git repository in this workspace");
      return;
    }
    const config = vscode.workspace.getConfiguration("vouch");
    const setting = config.get<string>("path", "vouch");
    const binary = resolveBinary(setting, {
      searchPath: process.env.PATH,
      workspaceRoot: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      home: os.homedir(),
      isExecutable,
    });
    if (binary === undefined) {
      const message =
        `vouch: cannot find the vouch binary ("vouch.path" is "${setting}"). ` +
        "Install vouch (cargo install --path . in its repository) or set vouch.path to the binary.";
      this.output.error(message);
      this.queue.setStopped(message);
      const choice = await vscode.window.showErrorMessage(message, "Open Settings");
      if (choice === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "vouch.path");
      }
      return;
    }
    const serverOptions: ServerOptions = {
      command: binary,
      args: ["lsp", ...config.get<string[]>("extraArgs", [])],
      options: { cwd: roots[0] },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      diagnosticCollectionName: "vouch",
      outputChannel: this.output,
      middleware: this.middleware(),
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
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) {
        this.queue.setStopped("vouch: the language server stopped (see the Vouch output)");
      }
    });
    this.client = client;
    try {
      this.output.info(`starting ${binary} lsp in ${roots[0]}`);
      await client.start();
      this.queue.scheduleRefresh(0);
    } catch (err) {
      const message = `vouch: the language server (${binary} lsp) failed to start: ${errorText(err)}`;
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

  private async fetchPending(): Promise<PendingUnit[]> {
    const client = await this.ready();
    const result = await client.sendRequest<PendingResult>(METHOD.pending, {});
    return result?.units ?? [];
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
        const prepared = await promptForArguments(command, args);
        if (prepared === undefined) {
          return undefined;
        }
        const result: unknown = await next(command, prepared);
        await this.afterCommand(command, result);
        return result;
      },
    };
  }

  private async afterCommand(command: string, result: unknown): Promise<void> {
    if (command === SERVER_COMMAND.showProvenance) {
      await showMarkdown(markdownOf(result));
    } else {
      this.queue.scheduleRefresh(100);
    }
  }

  /** Runs a server command for the palette, the context menu and the tree. */
  private async runServerCommand(command: string, argument: Record<string, unknown>): Promise<void> {
    let client: LanguageClient;
    try {
      client = await this.ready();
    } catch (err) {
      void vscode.window.showErrorMessage(`vouch: ${errorText(err)}`);
      return;
    }
    const prepared = await promptForArguments(command, [argument]);
    if (prepared === undefined) {
      return;
    }
    try {
      const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: prepared });
      await this.afterCommand(command, result);
    } catch (err) {
      void vscode.window.showErrorMessage(`vouch: ${command} failed: ${errorText(err)}`);
    }
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
  }

  dispose(): void {
    this.disposables.forEach((d) => void d.dispose());
  }
}

/**
 * Fills in what a person must supply: a rationale for a sign-off request
 * (optional, but asked for) and a comment for a rejection (required).
 * Undefined when the person cancelled.
 */
async function promptForArguments(command: string, args: unknown[]): Promise<unknown[] | undefined> {
  const first = args[0];
  if (typeof first !== "object" || first === null) {
    return args;
  }
  const argument = { ...(first as Record<string, unknown>) };
  if (command === SERVER_COMMAND.requestSignoff && argument.rationale === undefined) {
    const rationale = await vscode.window.showInputBox({
      title: "vouch: request sign-off",
      prompt: "Why should this AI-written code land? Reviewers see this rationale beside the code.",
      placeHolder: "rationale (optional)",
      // The server drafts one from the agent's recorded intent: the
      // requester confirms it (Enter) or writes their own.
      value: typeof argument.rationaleDraft === "string" ? argument.rationaleDraft : undefined,
      ignoreFocusOut: true,
    });
    if (rationale === undefined) {
      return undefined;
    }
    if (rationale.trim() !== "") {
      argument.rationale = rationale.trim();
    }
  } else if (command === SERVER_COMMAND.reject && (typeof argument.comment !== "string" || argument.comment === "")) {
    const comment = await vscode.window.showInputBox({
      title: "vouch: reject",
      prompt: "What must change? The author sees this comment.",
      placeHolder: "comment (required)",
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

async function showMarkdown(content: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content });
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
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
