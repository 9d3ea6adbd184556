// Reports where text came from: an accepted inline suggestion is AI text
// (`vouch/aiEdit`, tool "vscode-inline"), whether taken whole (Tab) or a
// word or a line at a time, and a large insertion equal to the
// clipboard is a human paste (`vouch/humanPaste`), so the server's heuristic
// does not suspect it.

import * as vscode from "vscode";
import type { Range } from "./protocol";
import { endOfInsertedText, insertionBetween, insertionRange, isPasteOf } from "./textDiff";

export interface OriginSink {
  /** Whether the server looks after this document. */
  handles(document: vscode.TextDocument): boolean;
  aiEdit(document: vscode.TextDocument, version: number, range: Range, tool: string, kind: "completion"): void;
  humanPaste(document: vscode.TextDocument, version: number, range: Range): void;
}

export const INLINE_TOOL = "vscode-inline";

export class OriginTracker implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Documents whose inline suggestion is being accepted right now. */
  private readonly accepting = new Set<string>();

  constructor(private readonly sink: OriginSink) {
    this.subscriptions.push(vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)));
  }

  /**
   * Accepts the visible inline suggestion, or part of it, with VS Code's own
   * command (`editor.action.inlineSuggest.commit` for Tab,
   * `...acceptNextWord`, `...acceptNextLine`) and reports the text it
   * inserted. The document is snapshotted before and after and the two are
   * diffed, since the command does not say what it did.
   */
  async acceptInlineSuggestion(command = "editor.action.inlineSuggest.commit"): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      await vscode.commands.executeCommand(command);
      return;
    }
    const document = editor.document;
    const key = document.uri.toString();
    const before = document.getText();
    this.accepting.add(key);
    try {
      const changed = nextChange(document, 500);
      await vscode.commands.executeCommand(command);
      if (document.getText() === before) {
        await changed;
      }
    } finally {
      this.accepting.delete(key);
    }
    const after = document.getText();
    const insertion = insertionBetween(before, after);
    if (insertion === undefined || insertion.text.trim() === "" || !this.sink.handles(document)) {
      return;
    }
    const range = insertionRange(after, insertion);
    const version = document.version;
    const config = vscode.workspace.getConfiguration("vouch", document);
    if (config.get<boolean>("reportPastes", true)) {
      const clipboard = await readClipboard();
      if (isPasteOf(insertion.text, clipboard, config.get<number>("pasteMinLength", 40))) {
        this.sink.humanPaste(document, version, range);
        return;
      }
    }
    this.sink.aiEdit(document, version, range, INLINE_TOOL, "completion");
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    const { document } = event;
    if (
      event.contentChanges.length !== 1 ||
      event.reason !== undefined ||
      this.accepting.has(document.uri.toString()) ||
      !this.sink.handles(document)
    ) {
      return;
    }
    const config = vscode.workspace.getConfiguration("vouch", document);
    const minLength = config.get<number>("pasteMinLength", 40);
    const change = event.contentChanges[0];
    if (!config.get<boolean>("reportPastes", true) || change.text.trim().length < minLength) {
      return;
    }
    // The version and range are taken now: the clipboard answers later, when
    // the document may have moved on.
    const version = document.version;
    const start = { line: change.range.start.line, character: change.range.start.character };
    const range = { start, end: endOfInsertedText(start, change.text) };
    void readClipboard().then((clipboard) => {
      if (isPasteOf(change.text, clipboard, minLength)) {
        this.sink.humanPaste(document, version, range);
      }
    });
  }

  dispose(): void {
    this.subscriptions.forEach((d) => void d.dispose());
  }
}

async function readClipboard(): Promise<string> {
  try {
    return await vscode.env.clipboard.readText();
  } catch {
    return "";
  }
}

/** Resolves at the next change of `document`, or after `timeoutMs`. */
function nextChange(document: vscode.TextDocument, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === document) {
        done();
      }
    });
    function done(): void {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}
