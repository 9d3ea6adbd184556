// Test-only extension for tests/editors/vscode-e2e.mjs: plays an AI tool. When
// the text before the cursor on a line is exactly "def add", it offers the
// inline suggestion that completes the function, so the test can accept it
// with Tab the way a person accepts Copilot's ghost text.
const fs = require("fs");
const vscode = require("vscode");

// Where this helper notes what it saw, for a failing run's artifacts.
const LOG = process.env.VOUCH_E2E_HELPER_LOG;
const note = (msg) => LOG && fs.appendFileSync(LOG, `${new Date().toISOString()} ${msg}\n`);

const PREFIX = "def add";
const COMPLETION = "def add(a, b):\n    return a + b\n";

exports.activate = (context) => {
  note("activated");
  context.subscriptions.push(
    vscode.workspace.onDidChangeTextDocument((e) => note(`change ${e.document.uri.fsPath} v${e.document.version} ${JSON.stringify(e.contentChanges.map((c) => c.text))}`)),
  );
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider(
      { scheme: "file" },
      {
        provideInlineCompletionItems(document, position) {
          const before = document.lineAt(position.line).text.slice(0, position.character);
          note(`provideInlineCompletionItems ${document.uri.fsPath} ${position.line}:${position.character} ${JSON.stringify(before)}`);
          if (before !== PREFIX) {
            return [];
          }
          return [new vscode.InlineCompletionItem(COMPLETION, new vscode.Range(position.line, 0, position.line, position.character))];
        },
      },
    ),
  );
};
