// The "Awaiting sign-off" tree: pending units by file, riskiest first, from
// `vouch/pending`, and the status bar item showing how many there are.

import * as vscode from "vscode";
import type { PendingUnit } from "./protocol";
import { queueStatus } from "./messages";
import {
  fileDescription,
  groupByFile,
  opensFile,
  unitContext,
  unitDescription,
  unitLabel,
  unitTooltip,
  type FileGroup,
} from "./queue";

export type QueueNode = { kind: "file"; group: FileGroup } | { kind: "unit"; unit: PendingUnit };

export class QueueView implements vscode.TreeDataProvider<QueueNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<QueueNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private groups: FileGroup[] = [];
  private readonly status: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly fetch: () => Promise<{ units: PendingUnit[]; computing: boolean }>,
    private readonly toCode: (uri: string) => vscode.Uri,
  ) {
    this.status = vscode.window.createStatusBarItem("vouch.pending", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "Vouch";
    this.status.command = "vouch.ui.showQueue";
    this.status.text = queueStatus(undefined, 0).text;
    this.status.tooltip = "vouch: starting";
    this.status.show();
  }

  /** Fetches the queue again soon; bursts of calls make one request. */
  scheduleRefresh(delayMs = 300): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  async refresh(): Promise<void> {
    if (this.inFlight) {
      await this.inFlight;
    }
    this.inFlight = this.load();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async load(): Promise<void> {
    try {
      const { units, computing } = await this.fetch();
      this.groups = groupByFile(units);
      const shown = queueStatus(computing && units.length === 0 ? undefined : units.length, units.filter((u) => u.mayApprove).length);
      this.status.text = shown.text;
      this.status.tooltip = shown.tooltip;
    } catch (err) {
      this.status.text = queueStatus(undefined, 0).text;
      this.status.tooltip = `vouch: could not read the queue: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.changed.fire(undefined);
  }

  setStopped(message: string): void {
    this.groups = [];
    this.status.text = "$(warning) vouch";
    this.status.tooltip = message;
    this.changed.fire(undefined);
  }

  getTreeItem(node: QueueNode): vscode.TreeItem {
    if (node.kind === "file") {
      const item = new vscode.TreeItem(this.toCode(node.group.uri), vscode.TreeItemCollapsibleState.Expanded);
      item.description = fileDescription(node.group);
      item.contextValue = "file";
      return item;
    }
    const { unit } = node;
    const item = new vscode.TreeItem(unitLabel(unit), vscode.TreeItemCollapsibleState.None);
    item.description = unitDescription(unit);
    item.tooltip = unitTooltip(unit);
    item.contextValue = unitContext(unit);
    item.iconPath = new vscode.ThemeIcon(
      unit.severity === "warning" ? "warning" : "info",
      new vscode.ThemeColor(unit.severity === "warning" ? "problemsWarningIcon.foreground" : "problemsInfoIcon.foreground"),
    );
    const range = new vscode.Range(
      unit.range.start.line,
      unit.range.start.character,
      unit.range.end.line,
      unit.range.end.character,
    );
    if (opensFile(unit)) {
      item.command = {
        command: "vscode.open",
        title: "Open",
        arguments: [this.toCode(unit.uri), { selection: new vscode.Range(range.start, range.start) }],
      };
    }
    return item;
  }

  getChildren(node?: QueueNode): QueueNode[] {
    if (node === undefined) {
      return this.groups.map((group) => ({ kind: "file", group }));
    }
    return node.kind === "file" ? node.group.units.map((unit) => ({ kind: "unit", unit })) : [];
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.status.dispose();
    this.changed.dispose();
  }
}
