//! The OpsItem create/edit form: its fields, the checks AWS would make
//! (before any call), and its keys (Ctrl-S saves: CreateOpsItem, or a
//! guarded UpdateOpsItem of what changed).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::state::OpsState;
use super::{OpsCx, OpsJob};
use crate::aws::opscenter::{CreateRequest, OpsChange};
use crate::model::OpsItem;
use crate::widgets::line_input::{self, Edit};

/// Fields of the create/edit form, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpsField {
    /// Title.
    Title,
    /// Description (multi-line).
    Description,
    /// Source (create only).
    Source,
    /// Priority 1 … 5.
    Priority,
    /// Severity 1 … 4.
    Severity,
    /// Category.
    Category,
    /// Related managed node id (create only).
    Node,
}

/// The create/edit form.
#[derive(Debug)]
pub struct OpsForm {
    /// The item edited and the LastModifiedTime (ms) it was read at; `None` creates.
    pub editing: Option<(String, i64)>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: TextArea<'static>,
    /// Source.
    pub source: String,
    /// Priority, typed.
    pub priority: String,
    /// Severity, typed.
    pub severity: String,
    /// Category.
    pub category: String,
    /// Related node id.
    pub node: String,
    /// Focused field.
    pub focus: OpsField,
    /// Why the last save did not happen.
    pub error: Option<String>,
    /// A save is in flight.
    pub saving: bool,
    /// Esc was pressed once with unsaved changes.
    pub discard_armed: bool,
    /// Where the cursor stands in the focused single-line field, in
    /// characters; `None`: at the end.
    pub cursor: Option<usize>,
    original: (String, String, String, String, String),
}

impl OpsForm {
    /// A form editing `editing` (read at its LastModifiedTime), or a new
    /// OpsItem's with the defaults (priority 3, severity 3, source ssmdeck).
    pub fn new(editing: Option<&OpsItem>) -> OpsForm {
        let (title, description, priority, severity, category) = match editing {
            Some(i) => (
                i.title.clone(),
                i.description.clone().unwrap_or_default(),
                i.priority.map(|p| p.to_string()).unwrap_or_default(),
                i.severity.clone().unwrap_or_default(),
                i.category.clone().unwrap_or_default(),
            ),
            None => (
                String::new(),
                String::new(),
                "3".into(),
                "3".into(),
                String::new(),
            ),
        };
        let area = TextArea::from(description.lines().map(str::to_owned));
        // As the text area gives it back, so opening changes nothing.
        let description = area.lines().join("\n");
        OpsForm {
            editing: editing.map(|i| (i.id.clone(), i.last_modified_ms)),
            description: area,
            source: if editing.is_some() {
                String::new()
            } else {
                "ssmdeck".into()
            },
            node: String::new(),
            focus: OpsField::Title,
            error: None,
            saving: false,
            discard_armed: false,
            cursor: None,
            original: (
                title.clone(),
                description,
                priority.clone(),
                severity.clone(),
                category.clone(),
            ),
            title,
            priority,
            severity,
            category,
        }
    }

    /// The fields shown, in focus order.
    pub fn fields(&self) -> &'static [OpsField] {
        if self.editing.is_some() {
            &[
                OpsField::Title,
                OpsField::Description,
                OpsField::Priority,
                OpsField::Severity,
                OpsField::Category,
            ]
        } else {
            &[
                OpsField::Title,
                OpsField::Description,
                OpsField::Source,
                OpsField::Priority,
                OpsField::Severity,
                OpsField::Category,
                OpsField::Node,
            ]
        }
    }

    /// The description as typed, lines joined with `\n`.
    pub fn description_text(&self) -> String {
        self.description.lines().join("\n")
    }

    /// Whether anything differs from what the form opened with.
    pub fn changed(&self) -> bool {
        let o = &self.original;
        self.title != o.0
            || self.description_text() != o.1
            || self.priority != o.2
            || self.severity != o.3
            || self.category != o.4
            || (self.editing.is_none() && !self.node.is_empty())
    }

    /// Checks every field as AWS would, before any call.
    ///
    /// # Errors
    /// What is wrong and how to fix it.
    pub fn validate(&self) -> Result<(i32, String), String> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 1_024 {
            return Err("the title must be 1 to 1,024 characters".into());
        }
        let d = self.description_text();
        if d.trim().is_empty() || d.chars().count() > 2_048 {
            return Err(format!(
                "the description must be 1 to 2,048 characters (it has {})",
                d.chars().count()
            ));
        }
        let priority: i32 = match self.priority.trim().parse() {
            Ok(p @ 1..=5) => p,
            _ => {
                return Err(format!(
                    "priority '{}' must be 1 (highest) to 5",
                    self.priority
                ));
            }
        };
        let severity = self.severity.trim().to_owned();
        if !matches!(severity.as_str(), "1" | "2" | "3" | "4") {
            return Err(format!(
                "severity '{}' must be 1 (critical) to 4 (low)",
                self.severity
            ));
        }
        if self.category.chars().count() > 64 {
            return Err("the category is at most 64 characters".into());
        }
        if self.editing.is_none() {
            let s = self.source.trim();
            if s.is_empty() || s.chars().count() > 128 {
                return Err("the source must be 1 to 128 characters".into());
            }
            let n = self.node.trim();
            if !n.is_empty() && !is_node_id(n) {
                return Err(format!(
                    "'{n}' is not a managed node id: i- or mi- followed by 8 or 17 hex digits"
                ));
            }
        }
        Ok((priority, severity))
    }
}

fn is_node_id(s: &str) -> bool {
    let hex = s.strip_prefix("mi-").or_else(|| s.strip_prefix("i-"));
    hex.is_some_and(|h| (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_hexdigit()))
}

impl OpsState {
    /// A key while the create/edit form has focus: Esc leaves (asking
    /// once when something changed), Ctrl-S saves, Tab/Shift-Tab and
    /// Enter move between fields, anything else edits the focused one.
    pub(super) fn form_key(&mut self, k: KeyEvent, cx: &mut OpsCx) {
        let Some(f) = self.form.as_mut() else {
            return;
        };
        if k.code != KeyCode::Esc && f.discard_armed {
            f.discard_armed = false;
            f.error = None;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                if f.changed() && !f.discard_armed {
                    f.discard_armed = true;
                    f.error = Some(
                        "unsaved changes: Esc again discards them, Ctrl-S saves, any other key keeps editing".into(),
                    );
                    return;
                }
                self.form = None;
                return;
            }
            KeyCode::Char('s') if ctrl => {
                if !f.saving && save(f, cx) {
                    self.form = None;
                }
                return;
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let fields = f.fields();
                let i = fields.iter().position(|x| *x == f.focus).unwrap_or(0);
                let n = fields.len();
                f.focus = fields[if k.code == KeyCode::Tab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                f.cursor = None;
                return;
            }
            _ => {}
        }
        if f.focus == OpsField::Description {
            f.description.input(k);
            return;
        }
        let text = match f.focus {
            OpsField::Title => &mut f.title,
            OpsField::Source => &mut f.source,
            OpsField::Priority => &mut f.priority,
            OpsField::Severity => &mut f.severity,
            OpsField::Category => &mut f.category,
            OpsField::Node | OpsField::Description => &mut f.node,
        };
        if k.code == KeyCode::Enter {
            let fields = f.fields();
            let i = fields.iter().position(|x| *x == f.focus).unwrap_or(0);
            f.focus = fields[(i + 1) % fields.len()];
            f.cursor = None;
        } else if let Some(e) = Edit::from_key(k) {
            line_input::apply(text, &mut f.cursor, e);
        }
    }
}

/// Ctrl-S: checks the form and asks for the write (a guarded
/// UpdateOpsItem of the fields that changed, or CreateOpsItem). Returns
/// whether the form closes at once (an edit that changes nothing).
fn save(f: &mut OpsForm, cx: &mut OpsCx) -> bool {
    let (priority, severity) = match f.validate() {
        Ok(v) => v,
        Err(why) => {
            f.error = Some(format!("not saved: {why}. Your text is kept."));
            return false;
        }
    };
    let caller = cx.shared.caller().to_owned();
    let category = Some(f.category.trim().to_owned()).filter(|c| !c.is_empty());
    let Some((id, ms)) = f.editing.clone() else {
        return create(f, priority, severity, category, cx);
    };
    let o = &f.original;
    let description = f.description_text();
    let change = OpsChange {
        title: (f.title.trim() != o.0).then(|| f.title.trim().to_owned()),
        description: (description != o.1).then_some(description),
        priority: (f.priority.trim() != o.2).then_some(priority),
        severity: (severity != o.3).then_some(severity),
        category: (f.category.trim() != o.4)
            .then(|| category.clone().unwrap_or_default())
            .filter(|c| !c.is_empty()),
        caller,
        ..OpsChange::default()
    };
    if change
        == (OpsChange {
            caller: change.caller.clone(),
            ..OpsChange::default()
        })
    {
        return true;
    }
    f.saving = true;
    f.error = None;
    cx.job(OpsJob::Update {
        targets: vec![(id, Some(ms))],
        change,
    });
    false
}

/// Ctrl-S on a new OpsItem: CreateOpsItem, with the related node's ARN
/// (built from the account and region) when one is named.
fn create(
    f: &mut OpsForm,
    priority: i32,
    severity: String,
    category: Option<String>,
    cx: &mut OpsCx,
) -> bool {
    let shared = &cx.shared;
    let node = f.node.trim().to_owned();
    let fleet_done = !shared.nodes_loading && !shared.nodes.is_empty();
    let node_known = node.is_empty() || shared.nodes.iter().any(|n| n.id == node);
    if !node.is_empty() && fleet_done && !node_known {
        f.error = Some(format!(
            "not created: {node} is not a managed node of this account and region (the Fleet pane lists them)"
        ));
        return false;
    }
    let node_arn = if node.is_empty() {
        None
    } else {
        let Some(account) = shared.identity.map(|i| i.account.as_str()) else {
            f.error = Some("not created: the account is not known yet (STS GetCallerIdentity); try again in a moment".into());
            return false;
        };
        let region = shared.region;
        Some(if node.starts_with("mi-") {
            format!("arn:aws:ssm:{region}:{account}:managed-instance/{node}")
        } else {
            format!("arn:aws:ec2:{region}:{account}:instance/{node}")
        })
    };
    f.saving = true;
    f.error = None;
    cx.job(OpsJob::Create(CreateRequest {
        title: f.title.trim().to_owned(),
        description: f.description_text(),
        source: f.source.trim().to_owned(),
        priority,
        severity,
        category,
        node_arn,
    }));
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_validates_before_any_call() {
        let mut f = OpsForm::new(None);
        assert!(f.validate().unwrap_err().contains("title"));
        f.title = "Disk full".into();
        assert!(f.validate().unwrap_err().contains("description"));
        f.description = TextArea::from(["df says 100%".to_owned()]);
        f.priority = "7".into();
        assert!(f.validate().unwrap_err().contains("priority '7'"));
        f.priority = "2".into();
        f.node = "web-1".into();
        assert!(f.validate().unwrap_err().contains("not a managed node id"));
        f.node = "i-0123456789abcdef0".into();
        assert_eq!(f.validate(), Ok((2, "3".into())));
    }
}
