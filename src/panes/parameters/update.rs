//! The Parameters pane behind the [`Pane`] trait: tree keys, its jobs'
//! messages, prompts' answers, the name search. Pure: effects are the jobs
//! and requests collected in the [`Cx`](crate::pane::Cx).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::state::{
    IndexProgress, ParamsState, TreeRow, split_name, validate_label, validate_name,
};
use super::{Ask, ParamsCx, ParamsEvent, ParamsJob};
use crate::aws::params::{CopyPlan, PutError};
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::{ContextId, ParamKind};
use crate::pane::{Handled, Pane, RenderContext, Request};
use crate::widgets::line_input::{FilterStep, filter_key};

/// The status-line hints of the tree.
const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::Filter, "search"),
    (Command::Reveal, "reveal"),
    (Command::Edit, "edit"),
    (Command::Create, "new"),
    (Command::History, "history"),
    (Command::Delete, "delete"),
    (Command::NextPane, "next pane"),
    (Command::Quit, "quit"),
];

impl Pane for ParamsState {
    type Msg = ParamsEvent;
    type Job = ParamsJob;
    type Ask = Ask;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::Edit | Command::Create | Command::Restore => "ssm:PutParameter",
            Command::CopyTree | Command::MoveTree => "ssm:PutParameter / ssm:DeleteParameter",
            Command::Delete => "ssm:DeleteParameter",
            _ => return None,
        })
    }

    const SAVED_FILTER: Option<&'static str> = Some("params");

    fn filter_text(&self) -> String {
        self.search.clone().unwrap_or_default()
    }

    fn apply_filter_text(&mut self, text: String, _cx: &mut ParamsCx) {
        self.set_search(Some(text));
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        // Parameters browses one context of the set (`w` picks it); `=`
        // compares a parameter across the set and copy may go to another.
        self.contexts = labels.to_vec();
        self.scope = (labels.len() > 1).then(|| self.scope_text());
    }

    fn title(&self) -> &'static str {
        "Parameters"
    }

    fn layer(&self) -> Layer {
        Layer::Parameters
    }

    fn on_show(&mut self, cx: &mut ParamsCx) {
        if self.started {
            return;
        }
        self.started = true;
        self.index.started = true;
        self.levels_loading.insert("/".into());
        cx.job(ParamsJob::Level { path: "/".into() });
        cx.job(ParamsJob::Index);
    }

    fn refresh(&mut self, cx: &mut ParamsCx) {
        self.levels_loaded.clear();
        self.values.clear();
        self.values_requested.clear();
        self.index = IndexProgress {
            started: true,
            ..Default::default()
        };
        let mut levels: Vec<String> = vec!["/".into()];
        levels.extend(self.open.iter().cloned());
        for path in levels {
            self.levels_loading.insert(path.clone());
            cx.job(ParamsJob::Level { path });
        }
        cx.job(ParamsJob::Index);
    }

    fn command(&mut self, c: Command, cx: &mut ParamsCx) -> Handled {
        self.settle_rows(cx.shared.page_rows);
        if crate::widgets::raw_json::command(&mut self.json, c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        if c == Command::RawJson {
            match self.current_param() {
                Some(m) => {
                    self.json = Some(crate::widgets::raw_json::RawJson::of(
                        format!("{} (metadata, no value)", m.name),
                        m,
                    ));
                }
                None => cx.notice("a level has no JSON of its own: pick a parameter"),
            }
            return Handled::Yes;
        }
        if self.history.is_some() {
            return self.history_command(c, cx);
        }
        if self.compare.is_some() && matches!(c, Command::Back | Command::Compare) {
            self.compare = None;
            return Handled::Yes;
        }
        if self.move_command(c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        match c {
            Command::Expand | Command::OpenDetails => self.open_row(c, cx),
            Command::Collapse => self.close(cx.shared.page_rows),
            Command::Filter => {
                self.search_before = self.search.clone();
                self.set_search(Some(self.search.clone().unwrap_or_default()));
                cx.request(Request::Filter);
            }
            Command::Back if self.search.is_some() => self.set_search(None),
            Command::Reveal => self.reveal(cx),
            Command::Edit => self.edit(cx),
            Command::Create => self.create(),
            Command::Delete => self.ask_delete(cx),
            Command::History => {
                if let Some(m) = self.current_param() {
                    let name = m.name.clone();
                    self.history = Some(super::state::History {
                        name: name.clone(),
                        ..Default::default()
                    });
                    cx.job(ParamsJob::History { name });
                }
            }
            Command::CopyTree | Command::MoveTree => self.ask_copy_to(c, cx),
            Command::Compare => self.compare(cx),
            Command::Context => self.ask_browse(cx),
            Command::CopyName | Command::CopyArn | Command::CopyValue => self.copy(c, cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn wants_keys(&self) -> bool {
        self.editor.is_some()
    }

    fn key(&mut self, k: KeyEvent, cx: &mut ParamsCx) -> Handled {
        self.editor_key(k, cx);
        Handled::Yes
    }

    fn message(&mut self, m: ParamsEvent, cx: &mut ParamsCx) {
        // A report of a context the pane no longer browses is stale.
        let at = match &m {
            ParamsEvent::At(id, _) => *id,
            _ => ContextId(0),
        };
        if at == self.browse {
            self.event(m, cx);
        }
    }

    fn wrap_job(&self, job: ParamsJob) -> ParamsJob {
        match job {
            ParamsJob::At(..) => job,
            j if self.browse == ContextId(0) => j,
            j => ParamsJob::At(self.browse, Box::new(j)),
        }
    }

    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        HINTS
    }

    fn crumb(&self) -> Option<String> {
        if let Some(h) = &self.history {
            return Some(format!("history of {}", h.name));
        }
        // The end of a long name is the part that tells.
        let key = self.current()?.key();
        let n = key.chars().count();
        Some(if n > 32 {
            format!("…{}", key.chars().skip(n - 31).collect::<String>())
        } else {
            key.to_owned()
        })
    }

    fn answer(&mut self, ask: Ask, text: String, cx: &mut ParamsCx) {
        match ask {
            Ask::AddLabel { name, version } => match validate_label(&text) {
                Ok(()) => cx.job(ParamsJob::Label {
                    name,
                    version,
                    labels: vec![text],
                }),
                Err(why) => cx.notice(format!("label {text}: {why}")),
            },
            Ask::RemoveLabel { name, version } => cx.job(ParamsJob::Unlabel {
                name,
                version,
                labels: vec![text],
            }),
            Ask::CopyTo { from, move_sources } => {
                // A trailing slash names the same level: `/b/` is `/b`.
                let to = text.trim_end_matches('/');
                if let Err(why) = validate_name(&format!("{to}/x")) {
                    cx.notice(format!("destination {text}: {why}"));
                } else if self.contexts.len() > 1 {
                    cx.request(Request::Choose {
                        title: format!("{from} to {to} in which account and region?"),
                        options: self.context_options(" (this one)"),
                        ask: Ask::CopyContext {
                            from,
                            to: to.to_owned(),
                            move_sources,
                        },
                    });
                } else {
                    self.plan_copy(from, to.to_owned(), move_sources, self.browse, cx);
                }
            }
            Ask::CopyContext {
                from,
                to,
                move_sources,
            } => match text.parse::<usize>() {
                Ok(n) if (1..=self.contexts.len()).contains(&n) => {
                    self.plan_copy(from, to, move_sources, ContextId((n - 1) as u16), cx);
                }
                _ => cx.notice(format!("no context {text}: pick one of the list")),
            },
            Ask::Browse => match text.parse::<usize>() {
                Ok(n) if (1..=self.contexts.len()).contains(&n) => {
                    self.browse_to(ContextId((n - 1) as u16), cx);
                }
                _ => cx.notice(format!("no context {text}: pick one of the list")),
            },
        }
    }

    fn filter_input(&mut self, k: InputKey, cursor: &mut Option<usize>, cx: &mut ParamsCx) -> bool {
        let mut text = self.search.clone().unwrap_or_default();
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => {
                self.cursor = 0;
                self.cursor_key = None;
                self.set_search(Some(text));
            }
            FilterStep::Moved => {}
            FilterStep::Keep => return false,
            FilterStep::Restore => {
                let before = self.search_before.take();
                self.set_search(before);
                return false;
            }
            FilterStep::Scroll(d) => self.move_by(d, cx.shared.page_rows),
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        (
            self.search.clone().unwrap_or_default(),
            "fuzzy over every known name · Enter/Tab keeps · Esc restores",
        )
    }

    fn form_open(&self) -> bool {
        self.editor.is_some()
    }

    fn form_hint(&self) -> &'static str {
        "Ctrl-S save · Esc discard (asks again if changed) · Tab/Shift-Tab fields · Space changes type and tier"
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut ParamsCx) -> Option<Command> {
        let rows = cx.shared.page_rows;
        let click = self.hits.click(column, row, self.rows.len(), self.cursor);
        click.act(|i| self.move_to(i, rows))
    }

    fn settle(&mut self, cx: &mut ParamsCx) {
        self.settle_rows(cx.shared.page_rows);
        if self.search.is_none() {
            let names = self.values_to_load(cx.shared.page_rows);
            if !names.is_empty() {
                cx.job(ParamsJob::Values { names });
            }
        }
    }

    fn unsaved(&self) -> Option<String> {
        self.editor
            .as_ref()
            .map(|ed| format!("the parameter editor ({})", ed.name))
    }
}

impl ParamsState {
    /// Cursor movement in the tree; whether `c` was one.
    fn move_command(&mut self, c: Command, rows: usize) -> bool {
        let half = (rows / 2).max(1) as isize;
        match c {
            Command::SelectNext => self.move_by(1, rows),
            Command::SelectPrev => self.move_by(-1, rows),
            Command::SelectFirst => self.move_to(0, rows),
            Command::SelectLast => self.move_to(usize::MAX, rows),
            Command::PageDown => self.move_by(half, rows),
            Command::PageUp => self.move_by(-half, rows),
            _ => return false,
        }
        true
    }

    /// Enter or `l` on a row: opens (or, Enter, closes) a level; on a
    /// search result, shows the parameter in the tree.
    fn open_row(&mut self, c: Command, cx: &mut ParamsCx) {
        match self.current().cloned() {
            Some(TreeRow::Folder { path, open, .. }) => {
                if open && c == Command::OpenDetails {
                    self.open.remove(&path);
                    self.set_search(self.search.clone());
                } else if let Some(path) = self.open_folder(&path) {
                    cx.job(ParamsJob::Level { path });
                }
            }
            Some(TreeRow::Param { name, .. }) if self.search.is_some() => {
                for path in self.reveal_in_tree(&name) {
                    cx.job(ParamsJob::Level { path });
                }
                cx.request(Request::Remember {
                    kind: "params",
                    key: name,
                    label: String::new(),
                });
            }
            _ => {}
        }
    }

    /// `v`: reveals the SecureString under the cursor, or masks it again.
    fn reveal(&mut self, cx: &mut ParamsCx) {
        let Some(m) = self.current_param() else {
            return;
        };
        if m.kind != ParamKind::SecureString {
            cx.notice(format!(
                "{} is a {}, not a SecureString: its value is shown already",
                m.name,
                m.kind.as_str()
            ));
        } else if self.revealed.as_ref().is_some_and(|r| r.name == m.name) {
            self.revealed = None;
        } else {
            cx.job(ParamsJob::Reveal {
                name: m.name.clone(),
            });
        }
    }

    fn ask_delete(&self, cx: &mut ParamsCx) {
        let Some(m) = self.current_param() else {
            return;
        };
        let lines = vec![
            format!(
                "Delete {} and all of its versions (current: {}).",
                m.name, m.version
            ),
            format!("In {}. This cannot be undone.", self.where_in(cx)),
        ];
        cx.request(Request::Confirm {
            title: "Delete a parameter".into(),
            lines,
            yes: ParamsJob::Delete {
                name: m.name.clone(),
            },
        });
    }

    /// Asks for the copy's dry run, unless it would copy onto itself.
    fn plan_copy(
        &self,
        from: String,
        to: String,
        move_sources: bool,
        to_ctx: ContextId,
        cx: &mut ParamsCx,
    ) {
        if to == from && to_ctx == self.browse {
            cx.notice("the destination is the source");
            return;
        }
        cx.job(ParamsJob::PlanCopy {
            from,
            to,
            move_sources,
            to_ctx,
        });
    }

    /// Where the pane browses, for confirmations: `ACCOUNT REGION` of the
    /// browsed context in a set, else the shell's "account A, region R".
    pub(super) fn where_in(&self, cx: &ParamsCx) -> String {
        match self.contexts.get(self.browse.index()) {
            Some(l) if self.contexts.len() > 1 => l.short(),
            _ => cx.shared.where_.to_owned(),
        }
    }

    /// The contexts of the set as [`Request::Choose`] options (`"2  ACCOUNT
    /// REGION"`), the browsed one with `mark` after it.
    fn context_options(&self, mark: &str) -> Vec<String> {
        self.contexts
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let this = if i == self.browse.index() { mark } else { "" };
                format!("{}  {}{this}", i + 1, l.short())
            })
            .collect()
    }

    /// `w`: which context of the set to browse.
    fn ask_browse(&mut self, cx: &mut ParamsCx) {
        if self.contexts.len() <= 1 {
            cx.notice(
                "one account and region: nothing else to browse (start with --profile a,b, --region x,y, --contexts NAME or --org ROLE)",
            );
            return;
        }
        if let Some(what) = self.unsaved() {
            cx.notice(format!(
                "{what} is open: save or close it before browsing elsewhere"
            ));
            return;
        }
        cx.request(Request::Choose {
            title: "Browse the parameters of which account and region?".into(),
            options: self.context_options(" (browsed)"),
            ask: Ask::Browse,
        });
    }

    /// Browses context `id`: the tree, values, index and views start
    /// again there (reports of the old context are dropped).
    fn browse_to(&mut self, id: ContextId, cx: &mut ParamsCx) {
        if id == self.browse {
            return;
        }
        let contexts = std::mem::take(&mut self.contexts);
        *self = ParamsState::default();
        self.browse = id;
        self.contexts = contexts;
        self.scope = Some(self.scope_text());
        cx.notice(format!("browsing the parameters of {}", self.where_in(cx)));
        self.on_show(cx);
    }

    /// The title's word on the scope: the browsed context, and how to
    /// change and compare.
    pub fn scope_text(&self) -> String {
        let here = self
            .contexts
            .get(self.browse.index())
            .map_or_else(String::new, |l| l.short());
        format!("browsing {here} · w browses another · = compares across the set")
    }

    /// `=`: reads the parameter under the cursor in every context of the
    /// set and shows how each differs from the first.
    fn compare(&mut self, cx: &mut ParamsCx) {
        if self.contexts.len() <= 1 {
            cx.notice(
                "one account and region: nothing to compare with (start with --profile a,b, --region x,y, --contexts NAME or --org ROLE)",
            );
            return;
        }
        let Some(name) = self.current_param().map(|m| m.name.clone()) else {
            cx.notice("pick a parameter (not a level) to compare");
            return;
        };
        self.compare = Some((name.clone(), None));
        cx.job(ParamsJob::Compare { name });
    }

    fn ask_copy_to(&self, c: Command, cx: &mut ParamsCx) {
        let Some(r) = self.current() else {
            return;
        };
        let from = r.key().to_owned();
        let move_sources = c == Command::MoveTree;
        cx.request(Request::Prompt {
            title: format!(
                "{} {from} to (a dry run comes first)",
                if move_sources { "move" } else { "copy" }
            ),
            text: from.clone(),
            ask: Ask::CopyTo { from, move_sources },
        });
    }

    /// Copies the name, ARN or value under the cursor (a SecureString
    /// only once revealed).
    fn copy(&self, c: Command, cx: &mut ParamsCx) {
        let (text, what) = match c {
            Command::CopyName => match self.current() {
                Some(r) => (r.key().to_owned(), r.key().to_owned()),
                None => return,
            },
            Command::CopyArn => {
                let Some(m) = self.current_param() else {
                    return;
                };
                match self.values.get(&m.name).filter(|v| !v.arn.is_empty()) {
                    Some(v) => (v.arn.clone(), v.arn.clone()),
                    None => {
                        cx.notice(format!("the ARN of {} is still loading", m.name));
                        return;
                    }
                }
            }
            _ => {
                let Some(m) = self.current_param() else {
                    return;
                };
                let value = if m.kind == ParamKind::SecureString {
                    match self.revealed.as_ref().filter(|r| r.name == m.name) {
                        Some(r) => r.value.clone(),
                        None => {
                            cx.notice(format!(
                                "reveal {} first (v): a SecureString is copied only once revealed",
                                m.name
                            ));
                            return;
                        }
                    }
                } else {
                    match self.values.get(&m.name) {
                        Some(v) => v.value.clone(),
                        None => return,
                    }
                };
                // Copy what the screen shows: the terminal never sees the
                // value's control characters (ESC sequences, bidi controls),
                // so neither does the clipboard.
                let (shown, left_out) = as_shown(&value);
                let what = if left_out == 0 {
                    format!("the value of {}", m.name)
                } else {
                    format!(
                        "the value of {} as shown ({left_out} control character(s) left out)",
                        m.name
                    )
                };
                (shown, what)
            }
        };
        cx.notice(format!("copied {what}"));
        cx.request(Request::Clipboard(text));
    }

    /// One message of the pane's jobs.
    fn event(&mut self, ev: ParamsEvent, cx: &mut ParamsCx) {
        match ev {
            ParamsEvent::Level(path, Ok(metas), calls) => {
                self.calls += calls;
                self.replace_level(&path, metas);
            }
            ParamsEvent::Level(path, Err(e), calls) => {
                self.calls += calls;
                self.levels_loading.remove(&path);
                self.error = Some(e);
            }
            ParamsEvent::IndexStalled(stall) => self.index.stalled = Some(stall),
            ParamsEvent::IndexPage(Ok(metas), done) => {
                self.index.stalled = None;
                if !done {
                    self.index.pages += 1;
                    self.calls += 1;
                }
                self.index.done = done;
                self.learn(metas);
            }
            ParamsEvent::IndexPage(Err(e), _) => {
                self.index.pages += 1;
                self.calls += 1;
                self.index.done = true;
                self.index.stalled = None;
                self.index.stopped = Some(crate::aws::resume::reason(&e));
                self.error = Some(e);
            }
            ParamsEvent::Values(Ok(values), calls) => {
                self.calls += calls;
                for v in values {
                    self.values.insert(v.name.clone(), v);
                }
            }
            ParamsEvent::Values(Err(e), calls) => {
                self.calls += calls;
                self.edit_when_revealed = None;
                cx.notice(e.to_string());
            }
            ParamsEvent::Revealed(Err(e)) => {
                self.calls += 1;
                self.edit_when_revealed = None;
                cx.notice(e.to_string());
            }
            ParamsEvent::Revealed(Ok(v)) => {
                self.calls += 1;
                let on_it =
                    matches!(self.current(), Some(TreeRow::Param { name, .. }) if *name == v.name);
                if on_it {
                    self.revealed = Some(v);
                }
                self.edit_revealed();
            }
            ParamsEvent::Saved(name, result) => self.on_saved(name, result, cx),
            ParamsEvent::Deleted(name, Ok(())) => {
                self.forget(&name);
                cx.notice(format!("deleted {name}"));
            }
            ParamsEvent::Deleted(name, Err(e)) => cx.notice(format!("{name} not deleted: {e}")),
            ParamsEvent::History(name, result) => self.history_loaded(name, result),
            ParamsEvent::CopyPlanned(Err(e)) => cx.notice(format!("copy not planned: {e}")),
            ParamsEvent::Compared(name, rows) => {
                if let Some(c) = self.compare.as_mut().filter(|c| c.0 == name) {
                    c.1 = Some(rows);
                }
            }
            ParamsEvent::CopyPlanned(Ok(plan)) => {
                let here = self.where_in(cx);
                let there = self
                    .contexts
                    .get(plan.to_ctx.index())
                    .map_or_else(String::new, |l| l.short());
                let place = if plan.to_ctx == self.browse {
                    format!("In {here}")
                } else {
                    format!("From {here} to {there}")
                };
                confirm_copy(plan, place, cx);
            }
            ParamsEvent::At(_, inner) => self.event(*inner, cx),
            ParamsEvent::CopyApplied(out) => {
                for name in &out.deleted {
                    self.forget(name);
                }
                let mut text = format!(
                    "{} created, {} overwritten{}",
                    out.created,
                    out.overwritten,
                    if out.deleted.is_empty() {
                        String::new()
                    } else {
                        format!(", {} sources deleted", out.deleted.len())
                    }
                );
                if let Some(first) = out.failures.first() {
                    text.push_str(&format!("; {} failed: {first}", out.failures.len()));
                }
                cx.notice(text);
                self.index.done = false;
                cx.job(ParamsJob::Index);
            }
            ParamsEvent::Labeled(name, result) => {
                match result {
                    Ok(text) => cx.notice(text),
                    Err(e) => cx.notice(e.to_string()),
                }
                cx.job(ParamsJob::History { name });
            }
        }
    }

    fn history_loaded(
        &mut self,
        name: String,
        result: Result<Vec<crate::model::ParameterVersion>, crate::aws::AwsError>,
    ) {
        let Some(h) = self.history.as_mut().filter(|h| h.name == name) else {
            return;
        };
        match result {
            Ok(v) => {
                self.labels.insert(
                    name.clone(),
                    v.iter().map(|x| (x.version, x.labels.clone())).collect(),
                );
                h.cursor = h.cursor.min(v.len().saturating_sub(1));
                if h.versions.is_none() {
                    h.cursor = v.len().saturating_sub(1);
                }
                h.versions = Some(v);
                h.error = None;
            }
            Err(e) => h.error = Some(e),
        }
    }

    /// A save finished: the editor's (closed on success, kept with the
    /// conflict on a refusal) or a restore from the history view.
    fn on_saved(&mut self, name: String, result: Result<i64, PutError>, cx: &mut ParamsCx) {
        let editor_open = self.editor.as_ref().is_some_and(|e| e.name == name);
        if editor_open {
            if let Some(text) = self.saved(&name, result) {
                cx.notice(text);
                // Fresh metadata (modified date and user) for that level.
                let dir = split_name(&name).0;
                let path = if dir.is_empty() { "/" } else { dir };
                cx.job(ParamsJob::Level { path: path.into() });
            }
            return;
        }
        // A restore from the history view.
        let text = match result {
            Ok(v) => format!("{name}: restored as version {v}"),
            Err(PutError::Conflict(t)) => format!(
                "{name}: not restored, it changed to version {} meanwhile; look again",
                t.version
            ),
            Err(PutError::Aws(e)) => format!("not restored: {e}"),
        };
        self.values.remove(&name);
        self.values_requested.remove(&name);
        cx.notice(text);
        if self.history.as_ref().is_some_and(|h| h.name == name) {
            cx.job(ParamsJob::History { name });
        }
    }
}

/// A copy or move dry run is ready: asks, listing what it will do.
fn confirm_copy(plan: CopyPlan, place: String, cx: &mut ParamsCx) {
    if plan.steps.is_empty() && (!plan.move_sources || plan.unchanged.is_empty()) {
        cx.notice(format!(
            "nothing to copy from {} to {}: {} parameters already hold the same values",
            plan.from,
            plan.to,
            plan.unchanged.len()
        ));
        return;
    }
    let creates = plan.steps.iter().filter(|s| s.overwrite.is_none()).count();
    let overwrites = plan.steps.len() - creates;
    let verb = if plan.move_sources { "Move" } else { "Copy" };
    let mut lines = vec![format!(
        "{verb} {} → {}: {creates} to create, {overwrites} to overwrite, {} unchanged.",
        plan.from,
        plan.to,
        plan.unchanged.len()
    )];
    for s in plan.steps.iter().take(12) {
        let secure = s.kind == ParamKind::SecureString;
        lines.push(match (&s.before, secure) {
            (None, _) => format!("  + {}", s.to),
            (Some(_), true) => format!("  ~ {} (SecureString, values hidden)", s.to),
            (Some(b), false) => format!(
                "  ~ {}: {} → {}",
                s.to,
                b.chars().take(24).collect::<String>(),
                s.value.chars().take(24).collect::<String>()
            ),
        });
    }
    if plan.steps.len() > 12 {
        lines.push(format!("  … and {} more", plan.steps.len() - 12));
    }
    if plan.move_sources {
        lines.push(format!(
            "Then delete the sources under {} whose copy succeeded.",
            plan.from
        ));
    }
    lines.push(format!(
        "{place}. Each write is refused if its target changed since this dry run."
    ));
    cx.request(Request::Confirm {
        title: format!("{verb} parameters"),
        lines,
        yes: ParamsJob::ApplyCopy(plan),
    });
}

/// `value` as the screen shows it: control characters (C0 but tab and
/// newline, DEL, C1) and bidirectional controls left out; with how many
/// were left out.
fn as_shown(value: &str) -> (String, usize) {
    let mut left_out = 0;
    let shown = value
        .chars()
        .filter(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            let drop = bidi || (c.is_control() && !matches!(c, '\n' | '\t'));
            left_out += usize::from(drop);
            !drop
        })
        .collect();
    (shown, left_out)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::model::{ParameterMeta, ParameterValue};
    use crate::pane::Shared;

    type Out = (Vec<ParamsJob>, Vec<Request<ParamsJob, Ask>>);

    /// Runs `f` with the context of a 120×40 console.
    fn with(p: &mut ParamsState, f: impl FnOnce(&mut ParamsState, &mut ParamsCx)) -> Out {
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            nodes: &[],
            selected: &std::collections::HashSet::new(),
            page_rows: 30,
            ..Shared::default()
        };
        let ((), jobs, requests) = crate::panes::harness::run(p, shared, Instant::now(), f);
        (jobs, requests)
    }

    /// A pane that knows one parameter `/db` of `kind`, cursor on it.
    fn one(kind: ParamKind) -> ParamsState {
        let mut p = ParamsState::default();
        p.replace_level(
            "/",
            vec![ParameterMeta {
                name: "/db".into(),
                kind,
                version: 3,
                ..ParameterMeta::default()
            }],
        );
        p.settle_rows(30);
        assert_eq!(p.current_param().map(|m| m.name.as_str()), Some("/db"));
        p
    }

    fn value(kind: ParamKind, text: &str) -> ParameterValue {
        ParameterValue {
            name: "/db".into(),
            kind,
            value: text.into(),
            version: 3,
            ..ParameterValue::default()
        }
    }

    #[test]
    fn edit_on_a_masked_secure_string_reveals_it_and_opens_the_editor_on_the_clear_value() {
        let mut p = one(ParamKind::SecureString);
        let (jobs, requests) = with(&mut p, |p, cx| {
            assert_eq!(p.command(Command::Edit, cx), Handled::Yes);
        });
        assert_eq!(
            jobs,
            vec![ParamsJob::Reveal { name: "/db".into() }],
            "e asks for the clear value"
        );
        assert!(
            matches!(&requests[..], [Request::Notice(t)] if t.contains("revealing /db")),
            "{requests:?}"
        );
        assert!(p.editor.is_none(), "nothing to edit before the value comes");
        let v = value(ParamKind::SecureString, "s3cret");
        with(&mut p, |p, cx| p.message(ParamsEvent::Revealed(Ok(v)), cx));
        let ed = p.editor.as_ref().expect("the editor opens once revealed");
        assert_eq!(ed.text(), "s3cret");
        assert!(p.form_open(), "the editor has the keys");
    }

    #[test]
    fn a_reveal_that_fails_opens_no_editor_later() {
        let mut p = one(ParamKind::SecureString);
        with(&mut p, |p, cx| {
            p.command(Command::Edit, cx);
        });
        let err = crate::aws::AwsError::local("GetParameter", "no kms:Decrypt");
        let (_, requests) = with(&mut p, |p, cx| {
            p.message(ParamsEvent::Revealed(Err(err)), cx)
        });
        assert!(matches!(&requests[..], [Request::Notice(t)] if t.contains("kms:Decrypt")));
        // A later reveal (v) only reveals.
        let v = value(ParamKind::SecureString, "s3cret");
        with(&mut p, |p, cx| p.message(ParamsEvent::Revealed(Ok(v)), cx));
        assert!(p.editor.is_none());
        assert!(p.revealed.is_some());
    }

    #[test]
    fn saving_an_unchanged_value_says_so_and_writes_nothing() {
        let mut p = one(ParamKind::String);
        p.values
            .insert("/db".into(), value(ParamKind::String, "v1"));
        with(&mut p, |p, cx| {
            p.command(Command::Edit, cx);
        });
        let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        let (jobs, _) = with(&mut p, |p, cx| {
            p.key(save, cx);
        });
        assert!(jobs.is_empty(), "{jobs:?}");
        let ed = p.editor.as_ref().expect("the editor stays open");
        assert!(ed.error.as_deref().unwrap_or("").contains("unchanged"));
        // One change later, the same key saves.
        with(&mut p, |p, cx| {
            p.key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE), cx);
        });
        let (jobs, _) = with(&mut p, |p, cx| {
            p.key(save, cx);
        });
        assert!(
            matches!(&jobs[..], [ParamsJob::Save(r)] if r.value == "xv1" && r.expected_version == Some(3)),
            "{jobs:?}"
        );
    }

    #[test]
    fn a_copy_onto_itself_is_refused_before_any_call() {
        let mut p = one(ParamKind::String);
        let (jobs, requests) = with(&mut p, |p, cx| {
            p.answer(
                Ask::CopyTo {
                    from: "/db".into(),
                    move_sources: false,
                },
                "/db/".into(),
                cx,
            );
        });
        assert!(jobs.is_empty());
        assert_eq!(
            requests,
            vec![Request::Notice("the destination is the source".into())]
        );
    }

    #[test]
    fn a_label_aws_would_not_attach_is_refused_before_any_call() {
        let mut p = one(ParamKind::String);
        for bad in ["9lives", "AWS-prod", "ssm.x", "a/b", &"l".repeat(101)] {
            let (jobs, requests) = with(&mut p, |p, cx| {
                p.answer(
                    Ask::AddLabel {
                        name: "/db".into(),
                        version: 3,
                    },
                    bad.to_owned(),
                    cx,
                );
            });
            assert!(jobs.is_empty(), "{bad}: {jobs:?}");
            assert!(
                matches!(&requests[..], [Request::Notice(n)] if n.starts_with("label ")),
                "{bad}: {requests:?}"
            );
        }
        let (jobs, _) = with(&mut p, |p, cx| {
            p.answer(
                Ask::AddLabel {
                    name: "/db".into(),
                    version: 3,
                },
                "prod-2.1_x".into(),
                cx,
            );
        });
        assert!(matches!(&jobs[..], [ParamsJob::Label { .. }]), "{jobs:?}");
    }
}
