// Draws `vouch/regions` in editors: a gutter mark, a subtle background and an
// overview ruler mark per region state. Keeps the last regions per document
// and redraws whenever an editor showing it becomes visible.

import * as vscode from "vscode";
import type { RegionsParams, RegionState } from "./protocol";
import { REGION_STATES } from "./protocol";
import { groupByStyle } from "./regions";

export class RegionDecorations implements vscode.Disposable {
  private readonly types = new Map<RegionState, vscode.TextEditorDecorationType>();
  private readonly regions = new Map<string, RegionsParams>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private enabled = true;

  constructor(
    extensionUri: vscode.Uri,
    private readonly toCode: (uri: string) => vscode.Uri,
  ) {
    for (const state of REGION_STATES) {
      this.types.set(
        state,
        vscode.window.createTextEditorDecorationType({
          backgroundColor: new vscode.ThemeColor(`vouch.${state}Background`),
          overviewRulerColor: new vscode.ThemeColor(`vouch.${state}Ruler`),
          overviewRulerLane: vscode.OverviewRulerLane.Left,
          gutterIconPath: vscode.Uri.joinPath(extensionUri, "media", `gutter-${state}.svg`),
          gutterIconSize: "contain",
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.draw(e))),
      vscode.workspace.onDidCloseTextDocument((doc) => this.regions.delete(doc.uri.toString())),
    );
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    vscode.window.visibleTextEditors.forEach((e) => this.draw(e));
  }

  /** Takes a `vouch/regions` notification. */
  update(params: RegionsParams): void {
    const uri = this.toCode(params.uri);
    this.regions.set(uri.toString(), params);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri.toString()) {
        this.draw(editor);
      }
    }
  }

  /** The regions last received for a document (used by tests and hovers). */
  regionsOf(uri: vscode.Uri): RegionsParams | undefined {
    return this.regions.get(uri.toString());
  }

  clear(): void {
    this.regions.clear();
    vscode.window.visibleTextEditors.forEach((e) => this.draw(e));
  }

  private draw(editor: vscode.TextEditor): void {
    const params = this.enabled ? this.regions.get(editor.document.uri.toString()) : undefined;
    const doc = editor.document;
    const groups = groupByStyle(params?.regions ?? [], (line) =>
      line < doc.lineCount ? doc.lineAt(line).text.length : 0,
    );
    for (const [state, type] of this.types) {
      const ranges = groups.get(state) ?? [];
      editor.setDecorations(
        type,
        ranges.map(({ range, hover }) => ({
          range: doc.validateRange(
            new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character),
          ),
          hoverMessage: hover,
        })),
      );
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => void d.dispose());
    this.types.forEach((t) => t.dispose());
  }
}
