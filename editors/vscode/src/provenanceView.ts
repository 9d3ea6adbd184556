// Provenance shown in a read-only virtual document (`vouch-provenance:`):
// it opens beside the code, never asks to be saved, and is replaced by the
// next one.

import * as vscode from "vscode";

export const PROVENANCE_SCHEME = "vouch-provenance";

export class ProvenanceView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly contents = new Map<string, string>();
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(PROVENANCE_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "No provenance is recorded here.";
  }

  /** Shows `markdown` for `source` (a file URI) beside the active editor. */
  async show(source: string, markdown: string): Promise<void> {
    const name = decodeURIComponent(source.split("/").pop() ?? "code");
    const uri = vscode.Uri.from({ scheme: PROVENANCE_SCHEME, path: `/Provenance of ${name}.md` });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== "markdown") {
      await vscode.languages.setTextDocumentLanguage(document, "markdown");
    }
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
