//! The Parameters editor and create form: opening it on a parameter (or a
//! new one under the current level) and its keys. The user's text lives in
//! the [`Editor`] until a save succeeds; a failed save keeps it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::state::{Editor, EditorKind, Field, ParamsState, TreeRow, split_name};
use super::{ParamsCx, ParamsJob};
use crate::model::{ParamKind, ParameterMeta};
use crate::widgets::line_input::{self, Edit};

impl Editor {
    /// An editor on `meta`'s value `value` at version `version`.
    fn on(meta: &ParameterMeta, value: &str, version: i64) -> Editor {
        Editor {
            kind: EditorKind::Edit { version },
            name: meta.name.clone(),
            param_kind: meta.kind,
            tier: if meta.tier.is_empty() {
                "Standard".into()
            } else {
                meta.tier.clone()
            },
            description: meta.description.clone(),
            key_id: String::new(),
            allowed_pattern: meta.allowed_pattern.clone(),
            data_type: meta.data_type.clone(),
            tags: String::new(),
            value: TextArea::new(value.split('\n').map(str::to_owned).collect()),
            focus: Field::Value,
            error: None,
            theirs: None,
            saving: false,
            original: value.to_owned(),
            discard_armed: false,
            cursor: None,
        }
    }

    /// A create form for a parameter under `base` (a level, or "").
    fn create(base: &str) -> Editor {
        Editor {
            kind: EditorKind::Create,
            name: format!("{base}/"),
            param_kind: ParamKind::String,
            tier: "Standard".into(),
            description: String::new(),
            key_id: String::new(),
            allowed_pattern: String::new(),
            data_type: "text".into(),
            tags: String::new(),
            value: TextArea::default(),
            focus: Field::Name,
            error: None,
            theirs: None,
            saving: false,
            original: String::new(),
            discard_armed: false,
            cursor: None,
        }
    }

    /// Whether the text differs from what the editor opened with.
    pub fn changed(&self) -> bool {
        self.text() != self.original || self.kind == EditorKind::Create && !self.text().is_empty()
    }

    /// Moves the focus `by` fields (Tab 1, Shift-Tab -1), wrapping.
    fn focus_by(&mut self, by: isize) {
        let fields = self.fields();
        let n = fields.len() as isize;
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = fields[((i + by).rem_euclid(n)) as usize];
        self.cursor = None;
    }

    /// Space or an arrow on a choice field: the next choice.
    fn cycle(&mut self) {
        match self.focus {
            Field::DataType => {
                self.data_type = if self.data_type == "text" {
                    "aws:ec2:image".into()
                } else {
                    "text".into()
                };
            }
            Field::Kind => {
                let i = ParamKind::ALL
                    .iter()
                    .position(|x| *x == self.param_kind)
                    .unwrap_or(0);
                self.param_kind = ParamKind::ALL[(i + 1) % ParamKind::ALL.len()];
            }
            _ => {
                let tiers = ["Standard", "Advanced", "Intelligent-Tiering"];
                let i = tiers.iter().position(|t| *t == self.tier).unwrap_or(0);
                self.tier = tiers[(i + 1) % tiers.len()].to_owned();
            }
        }
    }
}

impl ParamsState {
    /// Opens the editor on the parameter under the cursor. A SecureString
    /// is edited once revealed; `e` on a masked one reveals it first and
    /// opens the editor when the clear value arrives.
    pub(super) fn edit(&mut self, cx: &mut ParamsCx) {
        let Some(m) = self.current_param().cloned() else {
            return;
        };
        if m.kind == ParamKind::SecureString {
            match self.revealed.as_ref().filter(|r| r.name == m.name) {
                Some(v) => self.editor = Some(Editor::on(&m, &v.value, v.version)),
                None => {
                    self.edit_when_revealed = Some(m.name.clone());
                    cx.notice(format!("revealing {} to edit it…", m.name));
                    cx.job(ParamsJob::Reveal { name: m.name });
                }
            }
            return;
        }
        match self.values.get(&m.name) {
            Some(v) => self.editor = Some(Editor::on(&m, &v.value, v.version)),
            None => cx.notice(format!("the value of {} is still loading", m.name)),
        }
    }

    /// The clear value of a SecureString the user asked to edit arrived.
    pub(super) fn edit_revealed(&mut self) {
        let Some(name) = self.edit_when_revealed.take() else {
            return;
        };
        let on_it = self.current_param().is_some_and(|m| m.name == name);
        if let (true, Some(m), Some(v)) = (
            on_it,
            self.current_param().cloned(),
            self.revealed.clone().filter(|r| r.name == name),
        ) {
            self.editor = Some(Editor::on(&m, &v.value, v.version));
        }
    }

    /// Opens the create form under the current level.
    pub(super) fn create(&mut self) {
        let base = match self.current() {
            Some(TreeRow::Folder { path, .. }) => path.clone(),
            Some(TreeRow::Param { name, .. }) => split_name(name).0.to_owned(),
            None => String::new(),
        };
        self.editor = Some(Editor::create(&base));
    }

    /// A key while the editor is open: Esc closes (asking again when
    /// something changed), Ctrl-S saves (an unchanged value is not
    /// written), Tab moves between fields, the rest edits the focused one.
    pub(super) fn editor_key(&mut self, k: KeyEvent, cx: &mut ParamsCx) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if k.code != KeyCode::Esc && ed.discard_armed {
            ed.discard_armed = false;
            ed.error = None;
        }
        match k.code {
            KeyCode::Esc => {
                if ed.changed() && !ed.discard_armed {
                    ed.discard_armed = true;
                    ed.error = Some(
                        "unsaved changes: Esc again discards them, Ctrl-S saves, any other key keeps editing".into(),
                    );
                    return;
                }
                self.editor = None;
            }
            KeyCode::Char('s') if ctrl => save(ed, cx),
            KeyCode::Tab => ed.focus_by(1),
            KeyCode::BackTab => ed.focus_by(-1),
            _ => edit_field(ed, k),
        }
    }
}

/// Ctrl-S: checks, then saves; nothing is written when nothing changed.
fn save(ed: &mut Editor, cx: &mut ParamsCx) {
    if ed.saving {
        return;
    }
    if matches!(ed.kind, EditorKind::Edit { .. }) && ed.text() == ed.original {
        ed.error = Some("the value is unchanged: nothing to save (Esc closes)".into());
        return;
    }
    match ed.validate() {
        Err(why) => ed.error = Some(format!("not saved: {why}. Your text is kept.")),
        Ok(()) => {
            ed.error = None;
            ed.saving = true;
            cx.job(ParamsJob::Save(ed.request()));
        }
    }
}

/// A key for the focused field.
fn edit_field(ed: &mut Editor, k: KeyEvent) {
    match ed.focus {
        Field::Value => {
            ed.value.input(k);
        }
        Field::Kind | Field::Tier | Field::DataType => {
            if matches!(k.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right) {
                ed.cycle();
            }
        }
        Field::Name | Field::Description | Field::KeyId | Field::Tags => {
            if k.code == KeyCode::Enter {
                ed.focus_by(1);
                return;
            }
            let text = match ed.focus {
                Field::Name => &mut ed.name,
                Field::Description => &mut ed.description,
                Field::Tags => &mut ed.tags,
                _ => &mut ed.key_id,
            };
            if let Some(e) = Edit::from_key(k) {
                line_input::apply(text, &mut ed.cursor, e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_checks_description_key_id_and_tags_as_put_parameter_does() {
        let mut ed = Editor::create("/app");
        ed.name = "/app/db".into();
        ed.value = TextArea::new(vec!["v".into()]);
        assert_eq!(ed.validate(), Ok(()));
        ed.description = "d".repeat(1_025);
        assert!(ed.validate().unwrap_err().contains("1024"));
        ed.description = "d".repeat(1_024);
        ed.key_id = "alias/my key".into();
        assert!(ed.validate().unwrap_err().contains("KMS key id"));
        ed.key_id = "alias/my-key".into();
        ed.tags = "Env=prod, Team=pay*ments".into();
        assert!(ed.validate().unwrap_err().contains("Team=pay*ments"));
        ed.tags = "Env=prod, Owner=a.b@example.com".into();
        assert_eq!(ed.validate(), Ok(()));
    }
}
