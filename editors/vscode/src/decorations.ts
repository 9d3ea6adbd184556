// Draws `vouch/regions` in editors: per region state, a gutter mark, a
// subtle background and an overview ruler mark, each of which a setting can
// turn off (`vouch.decorations.*`). Keeps the last regions per document and
// redraws whenever an editor showing it becomes visible.

import * as vscode from "vscode";
import type { RegionsParams, RegionState } from "./protocol";
import { REGION_STATES } from "./protocol";
import { groupByStyle } from "./regions";

/** What is drawn; read from the `vouch.decorations*` settings. */
export interface DecorationOptions {
  enabled: boolean;
  gutter: boolean;
  background: boolean;
  overviewRuler: boolean;
  approved: boolean;
}

export function decorationOptions(config: vscode.WorkspaceConfiguration): DecorationOptions {
  return {
    enabled: config.get<boolean>("decorations", true),
    gutter: config.get<boolean>("decorations.gutter", true),
    background: config.get<boolean>("decorations.background", true),
    overviewRuler: config.get<boolean>("decorations.overviewRuler", true),
    approved: config.get<boolean>("decorations.approved", true),
  };
}

export class RegionDecorations implements vscode.Disposable {
  private types = new Map<RegionState, vscode.TextEditorDecorationType>();
  private readonly regions = new Map<string, RegionsParams>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private options: DecorationOptions = {
    enabled: true,
    gutter: true,
    background: true,
    overviewRuler: true,
    approved: true,
  };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly toCode: (uri: string) => vscode.Uri,
  ) {
    this.createTypes();
    this.subscriptions.push(
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.draw(e))),
      vscode.workspace.onDidCloseTextDocument((doc) => this.regions.delete(doc.uri.toString())),
    );
  }

  private createTypes(): void {
    this.types.forEach((t) => t.dispose());
    this.types = new Map();
    const o = this.options;
    for (const state of REGION_STATES) {
      const style: vscode.DecorationRenderOptions = { rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed };
      if (o.background) {
        style.backgroundColor = new vscode.ThemeColor(`vouch.${state}Background`);
      }
      if (o.overviewRuler) {
        style.overviewRulerColor = new vscode.ThemeColor(`vouch.${state}Ruler`);
        style.overviewRulerLane = vscode.OverviewRulerLane.Left;
      }
      if (o.gutter) {
        style.gutterIconPath = vscode.Uri.joinPath(this.extensionUri, "media", `gutter-${state}.svg`);
        style.gutterIconSize = "contain";
      }
      this.types.set(state, vscode.window.createTextEditorDecorationType(style));
    }
  }

  configure(options: DecorationOptions): void {
    this.options = options;
    this.createTypes();
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

  /** The regions last received for a document (used by tests and other extensions). */
  regionsOf(uri: vscode.Uri): RegionsParams | undefined {
    return this.regions.get(uri.toString());
  }

  clear(): void {
    this.regions.clear();
    vscode.window.visibleTextEditors.forEach((e) => this.draw(e));
  }

  private draw(editor: vscode.TextEditor): void {
    const params = this.options.enabled ? this.regions.get(editor.document.uri.toString()) : undefined;
    const doc = editor.document;
    const groups = groupByStyle(
      params?.regions ?? [],
      (line) => (line < doc.lineCount ? doc.lineAt(line).text.length : 0),
      { approved: this.options.approved },
    );
    for (const [state, type] of this.types) {
      const ranges = groups.get(state) ?? [];
      editor.setDecorations(
        type,
        ranges.map(({ range }) =>
          doc.validateRange(new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character)),
        ),
      );
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => void d.dispose());
    this.types.forEach((t) => t.dispose());
  }
}
