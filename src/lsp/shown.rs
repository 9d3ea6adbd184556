//! What the server shows a person, made visible on its way out: diagnostic
//! messages, log and popup messages, code lens and code action titles, the
//! text an executed command returns, and the labels of `vouch/pending` and
//! `vouch/regions` (which the editor plugins show as they are). Each string
//! passes through [`crate::display::line`] once, here at the protocol edge,
//! so nothing the author controls (unit names, tool and model names,
//! emails, paths) reaches the screen with a control, bidi or invisible
//! character in it.
//!
//! The hover is Markdown and is built field by field with
//! [`crate::display::markdown`] where it is made (`state`, `review`): a
//! whole-document pass here could not tell its structure from its values.

use serde_json::Value;
use tower_lsp_server::ls_types::{CodeActionOrCommand, CodeActionResponse, CodeLens, Diagnostic};

use super::protocol::{PendingResult, RegionsParams};
use crate::display;

fn line(text: &mut String) {
    if let std::borrow::Cow::Owned(shown) = display::line(text) {
        *text = shown;
    }
}

pub fn message(mut text: String) -> String {
    line(&mut text);
    text
}

pub fn diagnostics(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    for d in &mut diagnostics {
        line(&mut d.message);
        for related in d.related_information.iter_mut().flatten() {
            line(&mut related.message);
        }
    }
    diagnostics
}

pub fn code_lenses(lenses: Option<Vec<CodeLens>>) -> Option<Vec<CodeLens>> {
    lenses.map(|mut lenses| {
        for lens in &mut lenses {
            if let Some(command) = &mut lens.command {
                line(&mut command.title);
            }
        }
        lenses
    })
}

pub fn code_actions(actions: Option<CodeActionResponse>) -> Option<CodeActionResponse> {
    actions.map(|mut actions| {
        for action in &mut actions {
            match action {
                CodeActionOrCommand::Command(command) => line(&mut command.title),
                CodeActionOrCommand::CodeAction(action) => {
                    line(&mut action.title);
                    if let Some(command) = &mut action.command {
                        line(&mut command.title);
                    }
                }
            }
        }
        actions
    })
}

/// What `workspace/executeCommand` returns: a message the client shows.
pub fn command_reply(reply: Option<Value>) -> Option<Value> {
    match reply {
        Some(Value::String(text)) => Some(Value::String(message(text))),
        other => other,
    }
}

pub fn pending(mut result: PendingResult) -> PendingResult {
    for unit in &mut result.units {
        line(&mut unit.path);
        line(&mut unit.kind);
        unit.name.iter_mut().for_each(line);
        unit.tool.iter_mut().for_each(line);
        unit.risk.iter_mut().for_each(line);
        unit.reviewers.iter_mut().for_each(line);
    }
    result
}

pub fn regions(mut params: RegionsParams) -> RegionsParams {
    for region in &mut params.regions {
        region.tool.iter_mut().for_each(line);
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shown_string_is_made_visible_once() {
        let diagnostic = Diagnostic { message: "AI-written function `a\u{202e}b`".into(), ..Diagnostic::default() };
        let [shown] = diagnostics(vec![diagnostic]).try_into().unwrap();
        assert_eq!(shown.message, "AI-written function `a‹U+202E›b`");
        assert_eq!(message("ok".into()), "ok");
        assert_eq!(command_reply(Some(Value::String("x\ry".into()))), Some(Value::String("x‹CR›y".into())));
        assert_eq!(command_reply(Some(Value::Bool(true))), Some(Value::Bool(true)));
    }
}
