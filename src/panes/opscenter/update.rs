//! The OpsCenter pane behind the [`Pane`] trait: list and detail keys,
//! its jobs' messages, triage through choice lists and prompts (with the
//! lost-update guard's confirmations), the filter, mouse rows. Pure:
//! effects are the jobs and requests collected in the [`Cx`](crate::pane::Cx).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::form::OpsForm;
use super::state::{DEFAULT_FILTER, OpsColumn, OpsDetail, OpsState, changes, truncate};
use super::{Ask, OpsCenterEvent, OpsCx, OpsJob};
use crate::aws::opscenter::{OpsChange, UpdateError};
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::OpsItem;
use crate::ops_filter::{OPS_KEYS, TRIAGE_STATUSES};
use crate::pane::{Goto, Handled, Pane, RenderContext, Request};
use crate::widgets::line_input::{FilterStep, filter_key};

/// The status-line hints of the list.
const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::Filter, "filter"),
    (Command::OpenDetails, "open"),
    (Command::SetStatus, "status"),
    (Command::AddNote, "note"),
    (Command::ToggleSelect, "select"),
    (Command::JumpToNode, "node"),
    (Command::Create, "new"),
    (Command::NextPane, "next pane"),
];

/// What the filter does, for the status line while it is typed.
static FILTER_HELP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("fuzzy title · terms: {OPS_KEYS} · Enter/Tab keeps · Esc restores")
});

impl Pane for OpsState {
    type Msg = OpsCenterEvent;
    type Job = OpsJob;
    type Ask = Ask;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::Create => "ssm:CreateOpsItem",
            _ => return None,
        })
    }

    const SAVED_FILTER: Option<&'static str> = Some("ops");

    fn filter_text(&self) -> String {
        self.filter.clone()
    }

    fn apply_filter_text(&mut self, text: String, cx: &mut OpsCx) {
        // A bad saved filter says why in the pane, as typing it would.
        let _ = self.apply_filter(text, cx);
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.set_contexts(labels.to_vec());
    }

    fn title(&self) -> &'static str {
        "OpsCenter"
    }

    fn layer(&self) -> Layer {
        Layer::OpsCenter
    }

    fn on_show(&mut self, cx: &mut OpsCx) {
        if self.started {
            return;
        }
        self.started = true;
        cx.job(self.begin_load());
    }

    fn refresh(&mut self, cx: &mut OpsCx) {
        cx.job(self.begin_load());
        if let Some(d) = &self.detail {
            cx.job(OpsJob::Detail { id: d.id.clone() });
        }
    }

    fn command(&mut self, c: Command, cx: &mut OpsCx) -> Handled {
        // Commands act on what is on screen.
        self.settle_view(cx.shared.page_rows, cx.shared.epoch_s);
        if crate::widgets::raw_json::command(&mut self.json, c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        if c == Command::RawJson {
            if let Some(i) = self.focused() {
                self.json = Some(crate::widgets::raw_json::RawJson::of(
                    format!("{} (OpsItem)", i.id),
                    i,
                ));
            }
            return Handled::Yes;
        }
        if c == Command::StartSession {
            match self
                .focused()
                .and_then(|i| i.related_nodes().into_iter().next())
            {
                Some(n) => cx.request(Request::Open(Goto::Shell(n))),
                None => cx.notice("this OpsItem names no managed node to open a session on"),
            }
            return Handled::Yes;
        }
        if self.detail_command(c, cx.shared.page_rows) || self.list_command(c, cx) {
            return Handled::Yes;
        }
        match c {
            Command::OpenDetails => self.open_current(cx),
            Command::SetStatus | Command::SetPriority | Command::SetSeverity => {
                self.choose_triage(c, cx)
            }
            Command::AddNote | Command::AddOpsData | Command::LinkItem => self.open_prompt(c, cx),
            Command::RemoveOpsData => self.remove_data(cx),
            Command::JumpToNode => self.jump(cx),
            Command::RunCommand => self.run_command(cx),
            Command::RunRunbook => self.run_runbook(cx),
            Command::Automations => self.automations(cx),
            Command::Edit => self.edit_form(cx),
            Command::Create => self.create_form(cx),
            Command::CopyName => {
                if let Some(id) = self.focused().map(|i| i.id.clone()) {
                    cx.notice(format!("copied {id}"));
                    cx.request(Request::Clipboard(id));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn wants_keys(&self) -> bool {
        self.form.is_some()
    }

    fn key(&mut self, k: KeyEvent, cx: &mut OpsCx) -> Handled {
        self.form_key(k, cx);
        Handled::Yes
    }

    fn message(&mut self, m: OpsCenterEvent, cx: &mut OpsCx) {
        self.event(m, cx);
    }

    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        HINTS
    }

    fn crumb(&self) -> Option<String> {
        self.detail.as_ref().map(|d| d.id.clone())
    }

    fn answer(&mut self, ask: Ask, text: String, cx: &mut OpsCx) {
        let mut change = OpsChange {
            caller: cx.shared.caller().to_owned(),
            ..OpsChange::default()
        };
        let targets = match ask {
            Ask::Note { id, expected } => {
                change.note = Some(text);
                vec![(id, expected)]
            }
            Ask::Data { id, expected } => match data_entry(&text) {
                Ok(entry) => {
                    change.add_data = vec![entry];
                    vec![(id, expected)]
                }
                Err(why) => return cx.notice(why),
            },
            Ask::Link { id, expected } => {
                let other = text.trim().to_owned();
                if !is_ops_item_id(&other) {
                    return cx.notice(not_an_ops_item_id(&other));
                }
                if other == id {
                    return cx.notice("an OpsItem can't be related to itself");
                }
                change.link = vec![other];
                vec![(id, expected)]
            }
            Ask::Status(t) => {
                change.status = Some(text);
                t
            }
            Ask::Priority(t) => {
                change.priority = Some(text.parse().unwrap_or(3));
                t
            }
            Ask::Severity(t) => {
                change.severity = Some(text);
                t
            }
            Ask::DeleteData { id, expected } => {
                change.delete_data = vec![text];
                vec![(id, expected)]
            }
            Ask::JumpToNode => return cx.request(Request::Open(Goto::Node(text))),
            Ask::SortBy => {
                if let Some(c) = OpsColumn::ALL.iter().find(|c| c.title() == text) {
                    self.sort.choose(*c);
                    self.dirty_order = true;
                }
                return;
            }
        };
        self.apply(targets, change, cx);
    }

    fn filter_input(&mut self, k: InputKey, cursor: &mut Option<usize>, cx: &mut OpsCx) -> bool {
        let mut text = self.filter.clone();
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => self.set_filter(text),
            FilterStep::Moved => {}
            FilterStep::Keep => {
                self.filter_before = None;
                if self.needs_reload() {
                    cx.job(self.begin_load());
                }
                return false;
            }
            FilterStep::Restore => {
                let before = self
                    .filter_before
                    .take()
                    .unwrap_or_else(|| self.filter.clone());
                if before != self.filter {
                    self.set_filter(before);
                }
                return false;
            }
            FilterStep::Scroll(d) => self.move_by(d, cx.shared.page_rows),
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        (self.filter.clone(), FILTER_HELP.as_str())
    }

    fn filter_warning(&self) -> Option<String> {
        if let Some(err) = &self.filter_error {
            Some(err.clone())
        } else if self.needs_reload() {
            Some("Enter/Tab reloads from AWS with these terms · Esc restores".into())
        } else {
            None
        }
    }

    fn form_open(&self) -> bool {
        self.form.is_some()
    }

    fn form_hint(&self) -> &'static str {
        "Ctrl-S save · Esc discard (asks again if changed) · Tab/Shift-Tab fields · Enter next field"
    }

    fn settle(&mut self, cx: &mut OpsCx) {
        self.settle_view(cx.shared.page_rows, cx.shared.epoch_s);
        self.learn_nodes(cx.shared.nodes);
    }

    fn unsaved(&self) -> Option<String> {
        self.form.as_ref().map(|_| "the OpsItem form".to_owned())
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut OpsCx) -> Option<Command> {
        if self.detail.is_some() || self.form.is_some() {
            return None;
        }
        let rows = cx.shared.page_rows;
        let click = self.hits.click(column, row, self.view.len(), self.cursor);
        click.act(|i| self.move_to(i, rows))
    }
}

/// `key=value` typed for operational data, checked as AWS would: the
/// entry (key, value, searchable), or what is wrong.
fn data_entry(text: &str) -> Result<(String, String, bool), String> {
    let Some((k, v)) = text.split_once('=') else {
        return Err(format!(
            "'{text}': write key=value, as in runbook=https://wiki/x"
        ));
    };
    let k = k.trim();
    let lower = k.to_ascii_lowercase();
    if k.is_empty() || k.chars().count() > 128 {
        return Err("the key must be 1 to 128 characters".into());
    }
    if [
        "amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return Err(format!(
            "'{k}': keys can't begin with amazon, aws, amzn or ssm (with or without /); choose another"
        ));
    }
    if v.len() > 20 * 1024 {
        return Err(format!(
            "the value is {} bytes; the limit is 20 KB",
            v.len()
        ));
    }
    Ok((k.to_owned(), v.trim().to_owned(), true))
}

/// Whether `id` is an OpsItem id as AWS checks it before any call
/// (OpsItemId pattern `^(oi)-[0-9a-f]{12}$`, SSM API reference).
pub fn is_ops_item_id(id: &str) -> bool {
    id.strip_prefix("oi-").is_some_and(|hex| {
        hex.len() == 12
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// What is wrong with `id`, and what an OpsItem id looks like.
fn not_an_ops_item_id(id: &str) -> String {
    format!(
        "'{}' is not an OpsItem id: oi- and 12 lowercase hexadecimal digits (oi-0123456789ab)",
        crate::widgets::raw_json::sanitize(id)
    )
}

impl OpsState {
    /// `:ops ARG` (the palette): open OpsItem `oi-…`, or filter the list
    /// with `arg`.
    ///
    /// # Errors
    /// Why `arg` is not a filter (the filter text is kept for editing).
    pub fn palette_open(&mut self, arg: &str, cx: &mut OpsCx) -> Result<(), String> {
        if !arg.starts_with("oi-") || arg.contains(' ') {
            return self.apply_filter(arg.to_owned(), cx);
        }
        if !is_ops_item_id(arg) {
            return Err(not_an_ops_item_id(arg));
        }
        self.detail = Some(OpsDetail {
            id: arg.to_owned(),
            ..Default::default()
        });
        cx.job(OpsJob::Detail { id: arg.to_owned() });
        let title = self.get(arg).map(|i| i.title.clone()).unwrap_or_default();
        cx.request(Request::Remember {
            kind: "ops",
            key: arg.to_owned(),
            label: title,
        });
        Ok(())
    }

    /// Shows the list filtered by `text` (a saved filter, `:ops FILTER`),
    /// reloading from AWS when its server-side terms differ.
    ///
    /// # Errors
    /// Why `text` does not parse (nothing is reloaded).
    pub fn apply_filter(&mut self, text: String, cx: &mut OpsCx) -> Result<(), String> {
        self.detail = None;
        self.set_filter(text);
        if let Some(e) = self.filter_error.clone() {
            return Err(e);
        }
        if self.needs_reload() {
            cx.job(self.begin_load());
        }
        Ok(())
    }

    /// [`Goto::NodeOpsItems`]: the OpsItems naming managed node `id`
    /// (filter `node:ID`, loaded afresh, selection cleared).
    pub fn show_node_items(&mut self, id: &str, cx: &mut OpsCx) {
        self.started = true;
        self.detail = None;
        self.selected.clear();
        self.set_filter(format!("node:{id}"));
        cx.job(self.begin_load());
    }

    /// [`Goto::OpsFilter`]: the OpsItems `text` keeps, loaded afresh when
    /// its server-side terms differ from the loaded list's (or nothing is
    /// loaded yet); the selection is cleared.
    pub fn show_filtered(&mut self, text: String, cx: &mut OpsCx) {
        self.detail = None;
        self.selected.clear();
        self.set_filter(text);
        if !self.started || self.needs_reload() {
            self.started = true;
            cx.job(self.begin_load());
        }
    }

    /// While an OpsItem is open: scroll its detail, or close it on Back or
    /// Enter. Returns whether `c` was handled here.
    fn detail_command(&mut self, c: Command, rows: usize) -> bool {
        let Some(d) = self.detail.as_mut() else {
            return false;
        };
        match c {
            Command::SelectNext => d.scroll = d.scroll.saturating_add(1),
            Command::SelectPrev => d.scroll = d.scroll.saturating_sub(1),
            Command::PageDown => d.scroll = d.scroll.saturating_add((rows / 2).max(1) as u16),
            Command::PageUp => d.scroll = d.scroll.saturating_sub((rows / 2).max(1) as u16),
            Command::SelectFirst => d.scroll = 0,
            Command::Back | Command::OpenDetails => self.detail = None,
            _ => return false,
        }
        true
    }

    /// Moving, sorting, filtering and selecting in the list; whether `c`
    /// was one of those.
    fn list_command(&mut self, c: Command, cx: &mut OpsCx) -> bool {
        let rows = cx.shared.page_rows;
        let half = (rows / 2).max(1) as isize;
        match c {
            Command::SelectNext => self.move_by(1, rows),
            Command::SelectPrev => self.move_by(-1, rows),
            Command::SelectFirst => self.move_to(0, rows),
            Command::SelectLast => self.move_to(usize::MAX, rows),
            Command::PageDown => self.move_by(half, rows),
            Command::PageUp => self.move_by(-half, rows),
            Command::SortBy => cx.request(Request::Choose {
                title: "Sort the OpsItems by".into(),
                options: OpsColumn::ALL
                    .iter()
                    .map(|c| c.title().to_owned())
                    .collect(),
                ask: Ask::SortBy,
            }),
            Command::SortNext => {
                self.sort.next_of(&OpsColumn::ALL);
                self.dirty_order = true;
            }
            Command::SortReverse => {
                self.sort.reverse();
                self.dirty_order = true;
            }
            Command::Filter => {
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            Command::Back => {
                if !self.selected.is_empty() {
                    self.selected.clear();
                } else if self.filter != DEFAULT_FILTER {
                    self.set_filter(DEFAULT_FILTER.into());
                    if self.needs_reload() {
                        cx.job(self.begin_load());
                    }
                } else {
                    // Nothing to close: the shell walks back.
                    return false;
                }
            }
            Command::ToggleSelect => {
                if let Some(id) = self.current().map(|i| i.id.clone())
                    && !self.selected.remove(&id)
                {
                    self.selected.insert(id);
                }
                self.move_by(1, rows);
            }
            Command::SelectAllMatching => {
                for i in &self.view {
                    self.selected.insert(self.items[*i].id.clone());
                }
            }
            Command::ClearSelection => self.selected.clear(),
            _ => return false,
        }
        true
    }

    /// Enter on a row: opens the OpsItem (GetOpsItem and the rest) and
    /// remembers it among the palette's recent targets.
    fn open_current(&mut self, cx: &mut OpsCx) {
        let Some((id, title)) = self.current().map(|i| (i.id.clone(), i.title.clone())) else {
            return;
        };
        self.detail = Some(OpsDetail {
            id: id.clone(),
            ..OpsDetail::default()
        });
        cx.job(OpsJob::Detail { id: id.clone() });
        cx.request(Request::Remember {
            kind: "ops",
            key: id,
            label: title,
        });
    }

    /// Offers the statuses, priorities or severities (`c` says which) for
    /// the items triage applies to.
    fn choose_triage(&mut self, c: Command, cx: &mut OpsCx) {
        let targets = self.targets();
        let n = targets.len();
        let (title, options, ask): (_, &[&str], _) = match c {
            Command::SetStatus => (
                format!("Status for {n} OpsItem(s)"),
                TRIAGE_STATUSES,
                Ask::Status(targets),
            ),
            Command::SetPriority => (
                format!("Priority for {n} OpsItem(s)"),
                &["1  highest", "2", "3", "4", "5  lowest"],
                Ask::Priority(targets),
            ),
            _ => (
                format!("Severity for {n} OpsItem(s)"),
                &["1  critical", "2  high", "3  medium", "4  low"],
                Ask::Severity(targets),
            ),
        };
        cx.request(Request::Choose {
            title,
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            ask,
        });
    }

    /// Ask for a note, operational data or a related OpsItem (`c` says which)
    /// for the focused OpsItem.
    fn open_prompt(&self, c: Command, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        let (id, ms) = (item.id.clone(), item.last_modified_ms);
        let (title, ask) = match c {
            Command::AddNote => (
                format!(
                    "Note on {id} (stored as operational data with the time and your identity)"
                ),
                Ask::Note { id, expected: ms },
            ),
            Command::AddOpsData => (
                format!("Operational data for {id}: key=value (JSON values are kept as typed)"),
                Ask::Data { id, expected: ms },
            ),
            _ => (
                format!("Relate {id} to OpsItem (oi-…)"),
                Ask::Link { id, expected: ms },
            ),
        };
        cx.request(Request::Prompt {
            title,
            text: String::new(),
            ask,
        });
    }

    /// Offer the open OpsItem's operational data keys to delete.
    fn remove_data(&self, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        if self.detail.as_ref().and_then(|d| d.item.as_ref()).is_none() {
            cx.notice("open the OpsItem first (Enter): the list shows only searchable data");
            return;
        }
        let keys: Vec<String> = item.operational_data.keys().cloned().collect();
        if keys.is_empty() {
            cx.notice(format!("{} has no operational data", item.id));
            return;
        }
        let (id, expected) = (item.id.clone(), item.last_modified_ms);
        cx.request(Request::Choose {
            title: format!("Delete which operational data of {id}?"),
            options: keys,
            ask: Ask::DeleteData { id, expected },
        });
    }

    /// Compose a command for the managed nodes the focused OpsItem names.
    fn run_command(&self, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        let nodes = item.related_nodes();
        if nodes.is_empty() {
            cx.notice(format!(
                "{} names no managed node in /aws/resources",
                item.id
            ));
            return;
        }
        let origin = format!("OpsItem {}", item.id);
        cx.request(Request::Open(Goto::Compose { nodes, origin }));
    }

    /// `A`: start a runbook on the OpsItem's nodes, the runbooks its
    /// `/aws/automations` names first; the execution is recorded there.
    fn run_runbook(&self, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        let entries = item
            .operational_data
            .get(crate::aws::automation::OPS_KEY)
            .map(|d| crate::aws::automation::ops_entries(&d.value))
            .unwrap_or_default();
        cx.request(Request::Open(Goto::Runbook {
            nodes: item.related_nodes(),
            origin: format!("OpsItem {}", item.id),
            ops_item: Some(item.id.clone()),
            suggested: entries
                .into_iter()
                .filter(|e| !crate::aws::automation::is_execution_id(e))
                .collect(),
        }));
    }

    /// `E`: the Automation executions recorded on the OpsItem.
    fn automations(&self, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        let ids: Vec<String> = item
            .operational_data
            .get(crate::aws::automation::OPS_KEY)
            .map(|d| crate::aws::automation::ops_entries(&d.value))
            .unwrap_or_default()
            .into_iter()
            .filter(|e| crate::aws::automation::is_execution_id(e))
            .collect();
        if ids.is_empty() {
            return cx.notice(format!(
                "{} records no Automation execution in /aws/automations (A starts one)",
                item.id
            ));
        }
        cx.request(Request::Open(Goto::Executions(ids)));
    }

    /// Show a managed node the focused OpsItem names in the Fleet pane
    /// (asking which when it names several).
    fn jump(&self, cx: &mut OpsCx) {
        let Some(item) = self.focused() else {
            return;
        };
        let nodes = item.related_nodes();
        match nodes.len() {
            0 => cx.notice(format!(
                "{} names no managed node in /aws/resources",
                item.id
            )),
            1 => cx.request(Request::Open(Goto::Node(nodes[0].clone()))),
            _ => {
                let options = nodes
                    .iter()
                    .map(|n| format!("{n}  {}", cx.shared.node_name(n)))
                    .collect();
                cx.request(Request::Choose {
                    title: "Show which node?".into(),
                    options,
                    ask: Ask::JumpToNode,
                });
            }
        }
    }

    /// Open the form on the open OpsItem to edit it.
    fn edit_form(&mut self, cx: &mut OpsCx) {
        let Some(d) = self.detail.as_ref() else {
            cx.notice("open the OpsItem first (Enter), then e edits it");
            return;
        };
        let Some(item) = d.item.as_ref() else {
            cx.notice("still reading the OpsItem; try again in a moment");
            return;
        };
        self.form = Some(OpsForm::new(Some(item)));
    }

    /// Open the form for a new OpsItem (for the one node selected in the
    /// Fleet pane, if any), or go back to a new one being typed.
    fn create_form(&mut self, cx: &mut OpsCx) {
        match self.form.as_mut() {
            Some(f) if f.editing.is_none() => f.cursor = None,
            _ => {
                let mut form = OpsForm::new(None);
                if cx.shared.selected.len() == 1 {
                    form.node = cx
                        .shared
                        .selected
                        .iter()
                        .next()
                        .cloned()
                        .unwrap_or_default();
                }
                self.form = Some(form);
            }
        }
    }

    /// One message of the pane's jobs.
    fn event(&mut self, ev: OpsCenterEvent, cx: &mut OpsCx) {
        match ev {
            OpsCenterEvent::Page {
                generation,
                ctx,
                result,
                done,
            } => {
                if generation != self.generation {
                    return;
                }
                self.stalled = None;
                match result {
                    Ok(items) => {
                        self.pages += 1;
                        self.upsert(items);
                        if done {
                            self.context_ended(ctx, None);
                        }
                    }
                    Err(e) => self.context_ended(ctx, Some(e)),
                }
            }
            OpsCenterEvent::Stalled {
                generation, stall, ..
            } => {
                if generation == self.generation {
                    self.stalled = Some(stall);
                }
            }
            OpsCenterEvent::StatusTotals {
                generation, result, ..
            } => {
                // Without the count (moto has no GetOpsSummary, a denied
                // call) the header keeps saying "not loaded".
                if generation == self.generation
                    && let Ok(counts) = result
                {
                    for (status, n) in counts {
                        *self.status_totals.entry(status).or_insert(0) += n;
                    }
                }
            }
            OpsCenterEvent::Item { id, result } => match result {
                Ok(item) => {
                    if self.index.contains_key(&id) {
                        self.upsert(vec![item.clone()]);
                    }
                    if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                        d.item = Some(item);
                        d.error = None;
                    }
                }
                Err(e) => {
                    if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                        d.error = Some(e);
                    } else {
                        cx.notice(e.to_string());
                    }
                }
            },
            OpsCenterEvent::Events { id, result } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    d.events = Some(result);
                }
            }
            OpsCenterEvent::Related { id, result } => {
                if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                    d.related = Some(result);
                }
            }
            OpsCenterEvent::Created(Ok(id)) => {
                if self
                    .form
                    .as_ref()
                    .is_some_and(|f| f.saving && f.editing.is_none())
                {
                    self.form = None;
                }
                cx.notice(format!("created {id}"));
                self.detail = Some(OpsDetail {
                    id: id.clone(),
                    ..OpsDetail::default()
                });
                cx.job(OpsJob::Detail { id });
                // The list shows it once it matches the filter.
                cx.job(self.begin_load());
            }
            OpsCenterEvent::Created(Err(e)) => {
                if let Some(f) = self
                    .form
                    .as_mut()
                    .filter(|f| f.saving && f.editing.is_none())
                {
                    f.saving = false;
                    f.error = Some(format!("not created: {e}. Your text is kept."));
                } else {
                    cx.notice(format!("not created: {e}"));
                }
            }
            OpsCenterEvent::Updated {
                change, results, ..
            } => self.updated(change, results, cx),
        }
    }

    /// Guarded updates finished: applies what was written, reports into
    /// the form when it was the form's save, and asks again (listing what
    /// changed meanwhile) for items that changed since they were read.
    fn updated(
        &mut self,
        change: OpsChange,
        results: Vec<(String, Result<OpsItem, UpdateError>)>,
        cx: &mut OpsCx,
    ) {
        let result_ids: Vec<String> = results.iter().map(|(id, _)| id.clone()).collect();
        let mut done = 0;
        let mut conflicts: Vec<(OpsItem, Vec<String>)> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for (id, r) in results {
            match r {
                Ok(item) => {
                    done += 1;
                    self.selected.remove(&id);
                    if self.get(&id).is_some() {
                        self.upsert(vec![item.clone()]);
                    }
                    if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
                        d.item = Some(item);
                    }
                }
                Err(UpdateError::Conflict(current)) => {
                    let before = self
                        .detail
                        .as_ref()
                        .filter(|d| d.id == id)
                        .and_then(|d| d.item.clone())
                        .or_else(|| self.get(&id).cloned())
                        .unwrap_or_default();
                    conflicts.push(((*current).clone(), changes(&before, &current)));
                }
                Err(UpdateError::Aws(e)) => failures.push(format!("{id}: {e}")),
            }
        }
        if !self.form_saved(&result_ids, &conflicts, &failures) {
            return;
        }
        let what = change.describe();
        if done > 0 || !failures.is_empty() {
            let mut text = if done == 1 && conflicts.is_empty() && failures.is_empty() {
                format!("updated: {what}")
            } else {
                format!("{done} updated ({what})")
            };
            if let Some(first) = failures.first() {
                text.push_str(&format!("; {} failed: {first}", failures.len()));
            }
            cx.notice(text);
        }
        if !conflicts.is_empty() {
            confirm_anyway(&conflicts, change, cx);
        }
    }

    /// The form's own save among `result_ids`: closes the form on success,
    /// keeps the text with the reason otherwise. Returns whether the rest
    /// of the report goes on (not when the form took it).
    fn form_saved(
        &mut self,
        result_ids: &[String],
        conflicts: &[(OpsItem, Vec<String>)],
        failures: &[String],
    ) -> bool {
        let form_id = self
            .form
            .as_ref()
            .filter(|f| f.saving)
            .and_then(|f| f.editing.as_ref().map(|e| e.0.clone()))
            .filter(|fid| result_ids.contains(fid));
        let Some(fid) = form_id else {
            return true;
        };
        let f = self.form.as_mut().expect("checked above");
        f.saving = false;
        if let Some((current, what)) = conflicts.iter().find(|(c, _)| c.id == fid) {
            f.editing = Some((fid.clone(), current.last_modified_ms));
            f.error = Some(format!(
                "not saved: {fid} changed since you opened it ({}). Ctrl-S again writes yours over it; Esc leaves.",
                what.join("; ")
            ));
            return false;
        }
        if let Some(e) = failures.first() {
            f.error = Some(format!("not saved: {e}. Your text is kept."));
            return false;
        }
        self.form = None;
        true
    }

    /// Runs `change` on `targets`: at once for one item, after a
    /// confirmation listing them for several (and for Resolved, and for
    /// deleting operational data).
    fn apply(&mut self, targets: Vec<(String, i64)>, change: OpsChange, cx: &mut OpsCx) {
        if targets.is_empty() {
            cx.notice("no OpsItem here: load the list or move to one");
            return;
        }
        let what = change.describe();
        let resolving = change.status.as_deref() == Some("Resolved");
        let quick = targets.len() == 1 && !resolving && change.delete_data.is_empty();
        let job = OpsJob::Update {
            targets: targets
                .iter()
                .map(|(id, ms)| (id.clone(), Some(*ms)))
                .collect(),
            change,
        };
        if quick {
            cx.job(job);
            return;
        }
        let mut lines = vec![format!("Set {what} on {} OpsItem(s):", targets.len())];
        for (id, _) in targets.iter().take(12) {
            let title = self.get(id).map_or("", |i| i.title.as_str());
            lines.push(format!("  {id}  {}", truncate(title, 60)));
        }
        if targets.len() > 12 {
            lines.push(format!("  … and {} more", targets.len() - 12));
        }
        lines.push(format!(
            "In {}. Each is read again first: one that changed since you read it is not written, and you are asked again.",
            cx.shared.where_
        ));
        cx.request(Request::Confirm {
            title: if resolving {
                "Resolve OpsItems".into()
            } else {
                "Update OpsItems".into()
            },
            lines,
            yes: job,
        });
    }
}

/// Items changed since they were read: says what changed and by whom, and
/// asks whether to write `change` over them.
fn confirm_anyway(conflicts: &[(OpsItem, Vec<String>)], change: OpsChange, cx: &mut OpsCx) {
    let what = change.describe();
    let them = if conflicts.len() == 1 { "it" } else { "them" };
    let mut lines = vec![format!(
        "{} changed since you read {them}; nothing was written to {them}:",
        conflicts.len(),
    )];
    for (item, what) in conflicts.iter().take(6) {
        lines.push(format!("  {}  {}", item.id, truncate(&item.title, 50)));
        for w in what {
            lines.push(format!("      {w}"));
        }
    }
    if conflicts.len() > 6 {
        lines.push(format!("  … and {} more", conflicts.len() - 6));
    }
    lines.push(format!("Apply {what} anyway, in {}?", cx.shared.where_));
    cx.request(Request::Confirm {
        title: "Changed meanwhile".into(),
        lines,
        yes: OpsJob::Update {
            targets: conflicts
                .iter()
                .map(|(i, _)| (i.id.clone(), Some(i.last_modified_ms)))
                .collect(),
            change,
        },
    });
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::time::Instant;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::model::{CallerIdentity, ManagedNode, OpsData};
    use crate::pane::Shared;

    type Out = (Vec<OpsJob>, Vec<Request<OpsJob, Ask>>);

    const ME: &str = "arn:aws:iam::123456789012:user/me";

    /// Runs `f` with the context of a 120×40 console that knows node
    /// `i-00000001` (web-1) and has it selected in the Fleet pane.
    fn with(o: &mut OpsState, f: impl FnOnce(&mut OpsState, &mut OpsCx)) -> Out {
        let nodes = [ManagedNode {
            id: "i-00000001".into(),
            name: "web-1".into(),
            ..ManagedNode::default()
        }];
        let selected: HashSet<String> = ["i-00000001".to_owned()].into();
        let identity = CallerIdentity {
            account: "123456789012".into(),
            arn: ME.into(),
        };
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            nodes: &nodes,
            selected: &selected,
            page_rows: 30,
            identity: Some(&identity),
            region: "us-east-1",
            ..Shared::default()
        };
        let ((), jobs, requests) = crate::panes::harness::run(o, shared, Instant::now(), f);
        (jobs, requests)
    }

    /// An OpsItem `oi-N` naming `nodes` in /aws/resources.
    fn item(n: u32, nodes: &[&str]) -> OpsItem {
        let arns: Vec<String> = nodes
            .iter()
            .map(|id| format!(r#"{{"arn":"arn:aws:ec2:us-east-1:123456789012:instance/{id}"}}"#))
            .collect();
        let mut data = BTreeMap::new();
        data.insert(
            "/aws/resources".to_owned(),
            OpsData {
                value: format!("[{}]", arns.join(",")),
                searchable: true,
            },
        );
        OpsItem {
            id: format!("oi-{n}"),
            title: format!("item {n}"),
            status: "Open".into(),
            severity: Some("2".into()),
            priority: Some(2),
            created_ms: i64::from(n),
            last_modified_ms: 1_000 + i64::from(n),
            operational_data: data,
            ..OpsItem::default()
        }
    }

    /// A pane with `items` loaded under no filter, cursor on the first.
    fn loaded(items: Vec<OpsItem>) -> OpsState {
        let mut o = OpsState::default();
        o.set_filter(String::new());
        o.upsert(items);
        o.settle_view(30, 0);
        o
    }

    #[test]
    fn a_shell_opens_on_the_first_named_node_or_says_there_is_none() {
        let mut o = loaded(vec![item(1, &["i-00000001", "i-00000002"])]);
        let (_, requests) = with(&mut o, |o, cx| {
            o.command(Command::StartSession, cx);
        });
        assert_eq!(
            requests,
            vec![Request::Open(Goto::Shell("i-00000001".into()))]
        );
        let mut o = loaded(vec![item(2, &[])]);
        let (jobs, requests) = with(&mut o, |o, cx| {
            o.command(Command::StartSession, cx);
        });
        assert!(jobs.is_empty());
        assert!(
            matches!(&requests[..], [Request::Notice(n)] if n.contains("names no managed node")),
            "{requests:?}"
        );
    }

    #[test]
    fn a_severity_pick_on_one_item_writes_at_once_guarded_by_its_read_time() {
        let mut o = loaded(vec![item(1, &[])]);
        let (jobs, requests) = with(&mut o, |o, cx| {
            o.command(Command::SetSeverity, cx);
        });
        assert!(jobs.is_empty(), "nothing is written before the pick");
        let [Request::Choose { options, ask, .. }] = &requests[..] else {
            panic!("a choice list: {requests:?}");
        };
        assert_eq!(options[0], "1  critical");
        assert_eq!(*ask, Ask::Severity(vec![("oi-1".into(), 1_001)]));
        let ask = ask.clone();
        let (jobs, requests) = with(&mut o, |o, cx| o.answer(ask, "1".into(), cx));
        assert!(requests.is_empty(), "{requests:?}");
        let [OpsJob::Update { targets, change }] = &jobs[..] else {
            panic!("one guarded update: {jobs:?}");
        };
        assert_eq!(targets, &vec![("oi-1".to_owned(), Some(1_001))]);
        assert_eq!(change.severity.as_deref(), Some("1"));
        assert_eq!(change.caller, ME);
    }

    #[test]
    fn resolving_asks_first_and_the_yes_is_the_write() {
        let mut o = loaded(vec![item(1, &[])]);
        let ask = Ask::Status(vec![("oi-1".into(), 1_001)]);
        let (jobs, requests) = with(&mut o, |o, cx| o.answer(ask, "Resolved".into(), cx));
        assert!(jobs.is_empty());
        let [Request::Confirm { title, lines, yes }] = &requests[..] else {
            panic!("a confirmation: {requests:?}");
        };
        assert_eq!(title, "Resolve OpsItems");
        assert!(
            lines.iter().any(|l| l.contains("oi-1  item 1")),
            "{lines:?}"
        );
        assert!(lines.last().unwrap().contains("account 1, region r"));
        assert!(
            matches!(yes, OpsJob::Update { change, .. } if change.status.as_deref() == Some("Resolved"))
        );
    }

    #[test]
    fn data_aws_would_refuse_and_a_link_to_itself_are_refused_before_any_call() {
        let mut o = loaded(vec![item(1, &[])]);
        for (ask, text, why) in [
            (
                Ask::Data {
                    id: "oi-1".into(),
                    expected: 1,
                },
                "aws:x=1",
                "can't begin with amazon",
            ),
            (
                Ask::Data {
                    id: "oi-1".into(),
                    expected: 1,
                },
                "no equals sign",
                "write key=value",
            ),
            (
                Ask::Link {
                    id: "oi-0123456789ab".into(),
                    expected: 1,
                },
                "oi-0123456789ab",
                "related to itself",
            ),
            (
                Ask::Link {
                    id: "oi-1".into(),
                    expected: 1,
                },
                "oi-XYZ",
                "oi- and 12 lowercase hexadecimal digits",
            ),
            (
                Ask::Link {
                    id: "oi-1".into(),
                    expected: 1,
                },
                "oi-0123456789AB",
                "not an OpsItem id",
            ),
        ] {
            let (jobs, requests) = with(&mut o, |o, cx| o.answer(ask, text.into(), cx));
            assert!(jobs.is_empty(), "{text}: {jobs:?}");
            assert!(
                matches!(&requests[..], [Request::Notice(n)] if n.contains(why)),
                "{text}: {requests:?}"
            );
        }
    }

    /// `:ops oi-…` opens only what AWS would take as an OpsItem id; a
    /// malformed one is named, not sent.
    #[test]
    fn the_palette_opens_only_a_well_formed_ops_item_id() {
        assert!(is_ops_item_id("oi-0123456789ab"));
        for bad in [
            "oi-1",
            "oi-0123456789AB",
            "oi-0123456789abc",
            "io-0123456789ab",
        ] {
            assert!(!is_ops_item_id(bad), "{bad}");
        }
        let mut o = loaded(vec![item(1, &[])]);
        let mut r = Ok(());
        let (jobs, _) = with(&mut o, |o, cx| r = o.palette_open("oi-XYZ", cx));
        assert!(r.unwrap_err().contains("is not an OpsItem id"));
        assert!(jobs.is_empty(), "{jobs:?}");
        let mut r = Err(String::new());
        let (jobs, _) = with(&mut o, |o, cx| r = o.palette_open("oi-0123456789ab", cx));
        assert!(r.is_ok());
        assert_eq!(
            jobs,
            [OpsJob::Detail {
                id: "oi-0123456789ab".into()
            }]
        );
    }

    #[test]
    fn a_pick_among_several_nodes_names_them_and_shows_the_one_picked() {
        let mut o = loaded(vec![item(1, &["i-00000001", "i-00000002"])]);
        let (_, requests) = with(&mut o, |o, cx| {
            o.command(Command::JumpToNode, cx);
        });
        let [Request::Choose { options, ask, .. }] = &requests[..] else {
            panic!("{requests:?}");
        };
        assert_eq!(options, &["i-00000001  web-1", "i-00000002  "]);
        let ask = ask.clone();
        let (_, requests) = with(&mut o, |o, cx| o.answer(ask, "i-00000002".into(), cx));
        assert_eq!(
            requests,
            vec![Request::Open(Goto::Node("i-00000002".into()))]
        );
    }

    #[test]
    fn the_form_opens_for_the_selected_node_and_holds_the_keys_until_esc() {
        let mut o = loaded(vec![item(1, &[])]);
        with(&mut o, |o, cx| {
            o.command(Command::Create, cx);
        });
        assert!(o.form_open() && o.wants_keys());
        assert_eq!(o.form.as_ref().unwrap().node, "i-00000001");
        assert_eq!(o.unsaved().as_deref(), Some("the OpsItem form"));
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        with(&mut o, |o, cx| {
            o.key(key(KeyCode::Char('x')), cx);
            o.key(key(KeyCode::Esc), cx);
        });
        assert!(o.form.is_some(), "a changed form asks before it is dropped");
        with(&mut o, |o, cx| {
            o.key(key(KeyCode::Esc), cx);
        });
        assert!(!o.form_open());
    }

    #[test]
    fn a_new_item_for_a_node_the_loaded_fleet_lacks_is_refused() {
        let mut o = loaded(Vec::new());
        with(&mut o, |o, cx| {
            o.command(Command::Create, cx);
        });
        let f = o.form.as_mut().unwrap();
        f.title = "Disk full".into();
        f.description = ratatui_textarea::TextArea::from(["df says 100%".to_owned()]);
        f.node = "i-0123456789abcdef0".into();
        let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        let (jobs, _) = with(&mut o, |o, cx| {
            o.key(save, cx);
        });
        assert!(jobs.is_empty(), "{jobs:?}");
        let err = o.form.as_ref().unwrap().error.clone().unwrap();
        assert!(err.contains("not a managed node of this account"), "{err}");
        o.form.as_mut().unwrap().node = "i-00000001".into();
        let (jobs, _) = with(&mut o, |o, cx| {
            o.key(save, cx);
        });
        let [OpsJob::Create(req)] = &jobs[..] else {
            panic!("{jobs:?}");
        };
        assert_eq!(
            req.node_arn.as_deref(),
            Some("arn:aws:ec2:us-east-1:123456789012:instance/i-00000001")
        );
        assert!(o.form.as_ref().unwrap().saving);
    }

    #[test]
    fn a_click_moves_to_a_row_and_a_click_on_the_cursor_opens_it() {
        let mut o = loaded(vec![item(1, &[]), item(2, &[]), item(3, &[])]);
        // As drawn: rows from screen row 5 (header, tabs, counts, border,
        // column header), none scrolled away.
        o.hits.record(
            crate::widgets::hits::table_rows(Rect::new(0, 3, 100, 20)),
            0,
        );
        let (_, requests) = with(&mut o, |o, cx| {
            assert_eq!(o.click(5, 4, cx), None, "the column header");
            assert_eq!(o.click(5, 7, cx), None);
        });
        assert!(requests.is_empty());
        assert_eq!(o.cursor, 2);
        with(&mut o, |o, cx| {
            assert_eq!(o.click(5, 14, cx), None, "below the rows");
            assert_eq!(o.click(5, 7, cx), Some(Command::OpenDetails));
        });
        assert_eq!(o.cursor, 2);
    }

    #[test]
    fn a_node_s_items_replace_the_filter_and_reload() {
        let mut o = OpsState::default();
        o.selected.insert("oi-9".into());
        let (jobs, _) = with(&mut o, |o, cx| o.show_node_items("i-00000001", cx));
        assert_eq!(o.filter, "node:i-00000001");
        assert!(o.started && o.selected.is_empty());
        assert!(
            matches!(&jobs[..], [OpsJob::List { generation: 1, .. }]),
            "{jobs:?}"
        );
    }

    #[test]
    fn a_write_that_lost_the_race_asks_again_saying_what_changed() {
        let mut o = loaded(vec![item(1, &[])]);
        let mut theirs = item(1, &[]);
        theirs.status = "InProgress".into();
        theirs.last_modified_ms = 5_000;
        let change = OpsChange {
            severity: Some("1".into()),
            caller: ME.into(),
            ..OpsChange::default()
        };
        let results = vec![(
            "oi-1".to_owned(),
            Err(UpdateError::Conflict(Box::new(theirs))),
        )];
        let (jobs, requests) = with(&mut o, |o, cx| {
            o.message(
                OpsCenterEvent::Updated {
                    change,
                    homes: Vec::new(),
                    results,
                },
                cx,
            )
        });
        assert!(jobs.is_empty());
        let [Request::Confirm { title, lines, yes }] = &requests[..] else {
            panic!("{requests:?}");
        };
        assert_eq!(title, "Changed meanwhile");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("status: Open → InProgress")),
            "{lines:?}"
        );
        assert!(
            matches!(yes, OpsJob::Update { targets, .. } if targets == &vec![("oi-1".to_owned(), Some(5_000))]),
            "{yes:?}"
        );
    }
}
