//! The history view of one parameter: move, mark, diff, restore a version
//! (asks first, refused if someone wrote meanwhile), add or remove a label.

use super::state::{History, LABEL_LIMIT, ParamsState};
use super::{Ask, ParamsCx, ParamsJob};
use crate::aws::params::PutRequest;
use crate::keys::Command;
use crate::pane::{Handled, Request};

impl ParamsState {
    /// A key action while the history is shown.
    pub(super) fn history_command(&mut self, c: Command, cx: &mut ParamsCx) -> Handled {
        let here = self.where_in(cx);
        let Some(h) = self.history.as_mut() else {
            return Handled::No;
        };
        let n = h.versions.as_ref().map_or(0, Vec::len);
        match c {
            Command::SelectNext => h.cursor = (h.cursor + 1).min(n.saturating_sub(1)),
            Command::SelectPrev => h.cursor = h.cursor.saturating_sub(1),
            Command::SelectFirst => h.cursor = 0,
            Command::SelectLast => h.cursor = n.saturating_sub(1),
            Command::Back | Command::History => self.history = None,
            Command::ToggleSelect => {
                let v = h.current().map(|v| v.version);
                h.marked = if h.marked == v { None } else { v };
            }
            Command::Diff => diff(h, cx),
            Command::Restore => restore(h, &here, cx),
            Command::AddLabel | Command::RemoveLabel => label_prompt(h, c, cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }
}

/// Diffs the marked version against the one under the cursor, or, with
/// none marked, the one under the cursor against the version before it.
fn diff(h: &mut History, cx: &mut ParamsCx) {
    match (h.marked, h.current().map(|v| v.version)) {
        (Some(a), Some(b)) if a != b => h.diff = Some((a.min(b), a.max(b))),
        (_, Some(b)) => {
            let prev = h
                .versions
                .as_ref()
                .and_then(|vs| vs.iter().rev().find(|v| v.version < b))
                .map(|v| v.version);
            match prev {
                Some(a) => h.diff = Some((a, b)),
                None => cx.notice(
                    "version 1 has nothing before it: mark another version with Space, then diff",
                ),
            }
        }
        _ => {}
    }
}

/// Asks to write the version under the cursor as a new latest version,
/// refused by AWS's version check if someone writes first.
/// Asks to write the version under the cursor again as the newest, in
/// `here` (the account and region browsed).
fn restore(h: &History, here: &str, cx: &mut ParamsCx) {
    let latest = h
        .versions
        .as_ref()
        .and_then(|v| v.last())
        .map(|v| v.version);
    let (Some(v), Some(latest)) = (h.current().cloned(), latest) else {
        return;
    };
    if v.version == latest {
        cx.notice(format!("version {latest} is already the current one"));
        return;
    }
    let name = h.name.clone();
    let lines = vec![
        format!(
            "Write version {} of {name} as a new version {}.",
            v.version,
            latest + 1
        ),
        format!(
            "In {here}. Refused if someone writes version {} first.",
            latest + 1
        ),
    ];
    cx.request(Request::Confirm {
        title: "Restore a version".into(),
        lines,
        yes: ParamsJob::Save(PutRequest {
            name,
            value: v.value.clone(),
            kind: v.kind,
            tier: None,
            description: None,
            key_id: None,
            data_type: None,
            tags: Vec::new(),
            expected_version: Some(latest),
        }),
    });
}

/// Asks for the label to add to (or remove from) the version under the cursor.
fn label_prompt(h: &History, c: Command, cx: &mut ParamsCx) {
    let Some(v) = h.current() else {
        return;
    };
    let add = c == Command::AddLabel;
    if add && v.labels.len() >= LABEL_LIMIT {
        cx.notice(format!(
            "version {} already has {} labels, the most AWS allows on one version: remove one first (U), or label another version",
            v.version,
            v.labels.len()
        ));
        return;
    }
    let (name, version) = (h.name.clone(), v.version);
    let (title, ask) = if add {
        (
            format!("label for version {version} (moves it from any other version)"),
            Ask::AddLabel { name, version },
        )
    } else {
        (
            format!(
                "label to remove from version {version} ({})",
                v.labels.join(", ")
            ),
            Ask::RemoveLabel { name, version },
        )
    };
    cx.request(Request::Prompt {
        title,
        text: String::new(),
        ask,
    });
}
