//! OpsCenter pane state: the OpsItem list (every DescribeOpsItems page,
//! filtered server-side and client-side), the detail of one item, triage
//! (status, priority, severity, notes, operational data, links) guarded
//! against lost updates, bulk changes on a selection, and the create/edit
//! form.

use super::{OpsJob, ShellJob};
use crate::widgets::line_input::{self, Edit};
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::Utf32String;
use ratatui_textarea::TextArea;

use super::{App, Confirm, Effect, Mode, Prompt, PromptPurpose};
use crate::action::{Command, OpsCenterEvent};
use crate::aws::AwsError;
use crate::aws::opscenter::{CreateRequest, OpsChange, ServerFilter, UpdateError};
use crate::filter::new_matcher;
use crate::model::{OpsEvent, OpsItem, OpsRelatedItem, format_epoch_ms_minutes};
use crate::ops_filter::{OpsQuery, TRIAGE_STATUSES};
use crate::pane::Goto;

/// The filter the pane starts with: what an on-call engineer triages.
pub const DEFAULT_FILTER: &str = "status:Open,InProgress";

/// Columns of the OpsItem list, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpsColumn {
    /// Severity, then priority, newest first (the default).
    Severity,
    /// Priority.
    Priority,
    /// Status.
    Status,
    /// OpsItem id.
    Id,
    /// Title.
    Title,
    /// Source.
    Source,
    /// Category.
    Category,
    /// Created time.
    Created,
    /// Last modified time.
    Modified,
}

impl OpsColumn {
    /// Sort order of `s`.
    pub const ALL: [OpsColumn; 9] = [
        OpsColumn::Severity,
        OpsColumn::Priority,
        OpsColumn::Status,
        OpsColumn::Id,
        OpsColumn::Title,
        OpsColumn::Source,
        OpsColumn::Category,
        OpsColumn::Created,
        OpsColumn::Modified,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            OpsColumn::Severity => "Sev",
            OpsColumn::Priority => "Pri",
            OpsColumn::Status => "Status",
            OpsColumn::Id => "Id",
            OpsColumn::Title => "Title",
            OpsColumn::Source => "Source",
            OpsColumn::Category => "Category",
            OpsColumn::Created => "Created",
            OpsColumn::Modified => "Modified",
        }
    }
}

/// The detail view of one OpsItem.
#[derive(Debug, Clone, Default)]
pub struct OpsDetail {
    /// OpsItem id.
    pub id: String,
    /// GetOpsItem's answer.
    pub item: Option<OpsItem>,
    /// ListOpsItemEvents' answer.
    pub events: Option<Result<Vec<OpsEvent>, AwsError>>,
    /// ListOpsItemRelatedItems' answer.
    pub related: Option<Result<Vec<OpsRelatedItem>, AwsError>>,
    /// Why GetOpsItem failed.
    pub error: Option<AwsError>,
    /// Lines scrolled.
    pub scroll: u16,
}

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
    original: (String, String, String, String, String),
}

impl OpsForm {
    fn new(editing: Option<&OpsItem>) -> OpsForm {
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

    fn description_text(&self) -> String {
        self.description.lines().join("\n")
    }

    fn changed(&self) -> bool {
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

/// What a choice list picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoicePurpose {
    /// A new status for these items (id, LastModifiedTime ms).
    Status(Vec<(String, i64)>),
    /// A new priority.
    Priority(Vec<(String, i64)>),
    /// A new severity.
    Severity(Vec<(String, i64)>),
    /// Operational data key to delete from an item.
    DeleteData(String, i64),
    /// A related node to show in the Fleet pane.
    JumpToNode,
}

/// A small list to pick one value from (j/k or the digit, Enter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Question.
    pub title: String,
    /// Options (the value is the text before the first two spaces).
    pub options: Vec<String>,
    /// Highlighted option.
    pub cursor: usize,
    /// What the pick is for.
    pub purpose: ChoicePurpose,
}

impl Choice {
    /// The value of the highlighted option.
    pub fn value(&self) -> Option<String> {
        self.options
            .get(self.cursor)
            .map(|o| o.split("  ").next().unwrap_or(o).to_owned())
    }
}

/// The OpsCenter pane.
#[derive(Debug)]
pub struct OpsState {
    /// Whether the pane was opened (the first load started).
    pub started: bool,
    /// Loaded items.
    pub items: Vec<OpsItem>,
    index: HashMap<String, usize>,
    haystacks: Vec<Utf32String>,
    order: Vec<usize>,
    /// Rows shown: indices into `items`, filtered and sorted.
    pub view: Vec<usize>,
    /// Cursor row in `view`.
    pub cursor: usize,
    cursor_id: Option<String>,
    /// First row shown.
    pub scroll: usize,
    /// Filter text.
    pub filter: String,
    /// Filter text before the current edit (Esc restores it).
    pub filter_before: Option<String>,
    /// Parsed filter (the last one that parsed).
    pub query: OpsQuery,
    /// Why the filter text does not parse.
    pub filter_error: Option<String>,
    /// Server-side filters the loaded list was read with.
    pub loaded_filters: Vec<ServerFilter>,
    /// Load generation (stale pages are dropped).
    pub generation: u64,
    /// A load is running.
    pub loading: bool,
    /// DescribeOpsItems calls of the current load.
    pub pages: u32,
    /// Why the last load failed.
    pub error: Option<AwsError>,
    /// Selected item ids (bulk triage).
    pub selected: BTreeSet<String>,
    /// Sort column.
    pub sort: OpsColumn,
    /// Descending.
    pub sort_desc: bool,
    /// The open detail.
    pub detail: Option<OpsDetail>,
    /// The open create/edit form.
    pub form: Option<OpsForm>,
    dirty: bool,
    dirty_order: bool,
}

impl Default for OpsState {
    fn default() -> Self {
        OpsState {
            started: false,
            items: Vec::new(),
            index: HashMap::new(),
            haystacks: Vec::new(),
            order: Vec::new(),
            view: Vec::new(),
            cursor: 0,
            cursor_id: None,
            scroll: 0,
            filter: DEFAULT_FILTER.into(),
            filter_before: None,
            query: OpsQuery::parse(DEFAULT_FILTER).unwrap_or_default(),
            filter_error: None,
            loaded_filters: Vec::new(),
            generation: 0,
            loading: false,
            pages: 0,
            error: None,
            selected: BTreeSet::new(),
            sort: OpsColumn::Severity,
            sort_desc: false,
            detail: None,
            form: None,
            dirty: true,
            dirty_order: true,
        }
    }
}

fn severity_rank(s: Option<&str>) -> u8 {
    s.and_then(|s| s.parse().ok()).unwrap_or(9)
}

impl OpsState {
    /// Starts a load with the current filter's server part; returns the effect.
    pub fn begin_load(&mut self) -> Effect {
        self.generation += 1;
        self.loading = true;
        self.pages = 0;
        self.error = None;
        self.items.clear();
        self.index.clear();
        self.haystacks.clear();
        self.loaded_filters = self.query.server.clone();
        self.dirty_order = true;
        Effect::OpsCenter(OpsJob::List {
            generation: self.generation,
            filters: self.loaded_filters.clone(),
        })
    }

    /// The item under the cursor.
    pub fn current(&self) -> Option<&OpsItem> {
        self.view.get(self.cursor).map(|i| &self.items[*i])
    }

    /// An item by id.
    pub fn get(&self, id: &str) -> Option<&OpsItem> {
        self.index.get(id).map(|i| &self.items[*i])
    }

    /// Adds or replaces items (by id).
    pub fn upsert(&mut self, items: Vec<OpsItem>) {
        for item in items {
            match self.index.get(&item.id) {
                Some(i) => {
                    self.haystacks[*i] = Utf32String::from(item.title.as_str());
                    self.items[*i] = item;
                }
                None => {
                    self.index.insert(item.id.clone(), self.items.len());
                    self.haystacks.push(Utf32String::from(item.title.as_str()));
                    self.items.push(item);
                }
            }
        }
        self.dirty_order = true;
    }

    /// Counts of loaded items by status (Open, InProgress, Resolved, other)
    /// and by severity (1 … 4, none).
    pub fn counts(&self) -> ([usize; 4], [usize; 5]) {
        let mut status = [0; 4];
        let mut sev = [0; 5];
        for i in &self.items {
            let s = match i.status.as_str() {
                "Open" => 0,
                "InProgress" => 1,
                "Resolved" => 2,
                _ => 3,
            };
            status[s] += 1;
            let v = severity_rank(i.severity.as_deref());
            sev[if (1..=4).contains(&v) {
                usize::from(v) - 1
            } else {
                4
            }] += 1;
        }
        (status, sev)
    }

    /// Replaces the filter text; parses it (a bad one keeps the last good query).
    pub fn set_filter(&mut self, text: String) {
        match OpsQuery::parse(&text) {
            Ok(q) => {
                self.query = q;
                self.filter_error = None;
            }
            Err(e) => self.filter_error = Some(e),
        }
        self.filter = text;
        self.dirty = true;
    }

    /// Whether the filter asks AWS for something other than what is loaded.
    pub fn needs_reload(&self) -> bool {
        self.filter_error.is_none() && self.query.server != self.loaded_filters
    }

    fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let (x, y) = (&self.items[a], &self.items[b]);
        let newest = y.created_ms.cmp(&x.created_ms);
        let primary = match self.sort {
            OpsColumn::Severity => severity_rank(x.severity.as_deref())
                .cmp(&severity_rank(y.severity.as_deref()))
                .then(x.priority.unwrap_or(9).cmp(&y.priority.unwrap_or(9))),
            OpsColumn::Priority => x.priority.unwrap_or(9).cmp(&y.priority.unwrap_or(9)),
            OpsColumn::Status => x.status.cmp(&y.status),
            OpsColumn::Id => x.id.cmp(&y.id),
            OpsColumn::Title => x.title.to_lowercase().cmp(&y.title.to_lowercase()),
            OpsColumn::Source => x.source.cmp(&y.source),
            OpsColumn::Category => x.category.cmp(&y.category),
            OpsColumn::Created => newest,
            OpsColumn::Modified => y.last_modified_ms.cmp(&x.last_modified_ms),
        };
        let primary = if self.sort_desc {
            primary.reverse()
        } else {
            primary
        };
        primary.then(newest).then_with(|| x.id.cmp(&y.id))
    }

    /// Recomputes order and view when something changed, keeping the cursor
    /// on the same item. `now_s` is the wall clock (epoch seconds) for
    /// `created:` terms.
    pub fn settle(&mut self, page_rows: usize, now_s: i64) {
        if self.dirty_order {
            let mut order: Vec<usize> = (0..self.items.len()).collect();
            order.sort_unstable_by(|a, b| self.compare(*a, *b));
            self.order = order;
            self.dirty_order = false;
            self.dirty = true;
        }
        if !self.dirty {
            return;
        }
        self.dirty = false;
        if self.query.is_empty() {
            self.view.clone_from(&self.order);
        } else {
            let mut matcher = new_matcher();
            let q = &self.query;
            self.view = self
                .order
                .iter()
                .copied()
                .filter(|i| q.matches(&self.items[*i], &self.haystacks[*i], now_s, &mut matcher))
                .collect();
        }
        if let Some(r) = self
            .cursor_id
            .as_ref()
            .and_then(|id| self.index.get(id))
            .and_then(|ni| self.view.iter().position(|v| v == ni))
        {
            self.cursor = r;
        }
        self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
        self.follow(page_rows);
    }

    fn follow(&mut self, page_rows: usize) {
        let h = page_rows.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + h {
            self.scroll = self.cursor + 1 - h;
        }
        self.scroll = self.scroll.min(self.view.len().saturating_sub(h));
    }

    /// Moves the cursor to `row` (clamped).
    pub fn move_to(&mut self, row: usize, page_rows: usize) {
        self.cursor = row.min(self.view.len().saturating_sub(1));
        self.cursor_id = self.current().map(|i| i.id.clone());
        self.follow(page_rows);
    }

    /// Moves the cursor by `delta` rows.
    pub fn move_by(&mut self, delta: isize, page_rows: usize) {
        self.move_to(self.cursor.saturating_add_signed(delta), page_rows);
    }

    /// Items a triage action applies to: the selection, or the item under
    /// the cursor (the detail's item when open), with the LastModifiedTime
    /// each was read at.
    pub fn targets(&self) -> Vec<(String, i64)> {
        if let Some(d) = &self.detail {
            return d
                .item
                .as_ref()
                .or_else(|| self.get(&d.id))
                .map(|i| vec![(i.id.clone(), i.last_modified_ms)])
                .unwrap_or_default();
        }
        if !self.selected.is_empty() {
            return self
                .selected
                .iter()
                .filter_map(|id| self.get(id))
                .map(|i| (i.id.clone(), i.last_modified_ms))
                .collect();
        }
        self.current()
            .map(|i| vec![(i.id.clone(), i.last_modified_ms)])
            .unwrap_or_default()
    }

    /// The item actions refer to: the detail's (read whole) or the cursor's.
    pub fn focused(&self) -> Option<&OpsItem> {
        match &self.detail {
            Some(d) => d.item.as_ref().or_else(|| self.get(&d.id)),
            None => self.current(),
        }
    }
}

/// What changed between two readings of an item, one line each.
pub fn changes(before: &OpsItem, now: &OpsItem) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}: {a} → {b}"));
        }
    };
    field("status", before.status.clone(), now.status.clone());
    let num = |p: Option<i32>| p.map_or("-".into(), |p| p.to_string());
    field("priority", num(before.priority), num(now.priority));
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    field("severity", opt(&before.severity), opt(&now.severity));
    field("category", opt(&before.category), opt(&now.category));
    field("title", before.title.clone(), now.title.clone());
    if before.description.is_some() && before.description != now.description {
        out.push("description changed".into());
    }
    for (k, d) in &now.operational_data {
        match before.operational_data.get(k) {
            None if k.starts_with(crate::model::NOTE_PREFIX) => {
                let text = now
                    .notes()
                    .into_iter()
                    .find(|n| n.key == *k)
                    .map(|n| n.text)
                    .unwrap_or_default();
                out.push(format!(
                    "new note: {}",
                    text.chars().take(60).collect::<String>()
                ));
            }
            // A summary does not carry non-searchable data: not a change.
            None if d.searchable || before.description.is_some() => {
                out.push(format!("operational data {k} added"));
            }
            Some(b) if b.value != d.value => out.push(format!("operational data {k} changed")),
            _ => {}
        }
    }
    for k in before.operational_data.keys() {
        if !now.operational_data.contains_key(k) {
            out.push(format!("operational data {k} removed"));
        }
    }
    if before.description.is_some() && before.related_ops_items != now.related_ops_items {
        out.push(format!(
            "related OpsItems: {}",
            now.related_ops_items.join(", ")
        ));
    }
    out.push(format!(
        "by {} at {}",
        now.last_modified_by,
        format_epoch_ms_minutes(now.last_modified_ms)
    ));
    out
}

impl App {
    pub(super) fn show_opscenter(&mut self) -> Vec<Effect> {
        if self.ops.started {
            return Vec::new();
        }
        self.ops.started = true;
        vec![self.ops.begin_load()]
    }

    pub(super) fn ops_event(&mut self, ev: OpsCenterEvent, now: Instant) -> Vec<Effect> {
        let o = &mut self.ops;
        match ev {
            OpsCenterEvent::Page(generation, result, done) => {
                if generation != o.generation {
                    return Vec::new();
                }
                match result {
                    Ok(items) => {
                        o.pages += 1;
                        o.upsert(items);
                        if done {
                            o.loading = false;
                        }
                    }
                    Err(e) => {
                        o.loading = false;
                        o.error = Some(e);
                    }
                }
            }
            OpsCenterEvent::Item(id, result) => match result {
                Ok(item) => {
                    if o.index.contains_key(&id) {
                        o.upsert(vec![item.clone()]);
                    }
                    if let Some(d) = o.detail.as_mut().filter(|d| d.id == id) {
                        d.item = Some(item);
                        d.error = None;
                    }
                }
                Err(e) => {
                    if let Some(d) = o.detail.as_mut().filter(|d| d.id == id) {
                        d.error = Some(e);
                    } else {
                        self.notice(e.to_string(), now);
                    }
                }
            },
            OpsCenterEvent::Events(id, result) => {
                if let Some(d) = o.detail.as_mut().filter(|d| d.id == id) {
                    d.events = Some(result);
                }
            }
            OpsCenterEvent::Related(id, result) => {
                if let Some(d) = o.detail.as_mut().filter(|d| d.id == id) {
                    d.related = Some(result);
                }
            }
            OpsCenterEvent::Created(Ok(id)) => {
                if self
                    .ops
                    .form
                    .as_ref()
                    .is_some_and(|f| f.saving && f.editing.is_none())
                {
                    self.ops.form = None;
                    if self.mode == Mode::OpsForm {
                        self.mode = Mode::Normal;
                    }
                }
                self.notice(format!("created {id}"), now);
                self.ops.detail = Some(OpsDetail {
                    id: id.clone(),
                    ..OpsDetail::default()
                });
                let mut effects = vec![Effect::OpsCenter(OpsJob::Detail { id })];
                // The list shows it once it matches the filter.
                effects.push(self.ops.begin_load());
                return effects;
            }
            OpsCenterEvent::Created(Err(e)) => {
                if let Some(f) = self
                    .ops
                    .form
                    .as_mut()
                    .filter(|f| f.saving && f.editing.is_none())
                {
                    f.saving = false;
                    f.error = Some(format!("not created: {e}. Your text is kept."));
                } else {
                    self.notice(format!("not created: {e}"), now);
                }
            }
            OpsCenterEvent::Updated(change, results) => {
                return self.ops_updated(change, results, now);
            }
        }
        Vec::new()
    }

    fn ops_updated(
        &mut self,
        change: OpsChange,
        results: Vec<(String, Result<OpsItem, UpdateError>)>,
        now: Instant,
    ) -> Vec<Effect> {
        let result_ids: Vec<String> = results.iter().map(|(id, _)| id.clone()).collect();
        let mut done = 0;
        let mut conflicts: Vec<(OpsItem, Vec<String>)> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for (id, r) in results {
            match r {
                Ok(item) => {
                    done += 1;
                    self.ops.selected.remove(&id);
                    if self.ops.get(&id).is_some() {
                        self.ops.upsert(vec![item.clone()]);
                    }
                    if let Some(d) = self.ops.detail.as_mut().filter(|d| d.id == id) {
                        d.item = Some(item);
                    }
                }
                Err(UpdateError::Conflict(current)) => {
                    let before = self
                        .ops
                        .detail
                        .as_ref()
                        .filter(|d| d.id == id)
                        .and_then(|d| d.item.clone())
                        .or_else(|| self.ops.get(&id).cloned())
                        .unwrap_or_default();
                    conflicts.push(((*current).clone(), changes(&before, &current)));
                }
                Err(UpdateError::Aws(e)) => failures.push(format!("{id}: {e}")),
            }
        }
        // The form: close on success, keep the text otherwise.
        // Only the form's own save closes it or reports into it.
        let form_id = self
            .ops
            .form
            .as_ref()
            .filter(|f| f.saving)
            .and_then(|f| f.editing.as_ref().map(|e| e.0.clone()))
            .filter(|fid| result_ids.contains(fid));
        if let Some(fid) = form_id {
            let f = self.ops.form.as_mut().expect("checked above");
            f.saving = false;
            if let Some((current, what)) = conflicts.iter().find(|(c, _)| c.id == fid) {
                f.editing = Some((fid.clone(), current.last_modified_ms));
                f.error = Some(format!(
                    "not saved: {fid} changed since you opened it ({}). Ctrl-S again writes yours over it; Esc leaves.",
                    what.join("; ")
                ));
                return Vec::new();
            }
            if let Some(e) = failures.first() {
                f.error = Some(format!("not saved: {e}. Your text is kept."));
                return Vec::new();
            }
            self.ops.form = None;
            if self.mode == Mode::OpsForm {
                self.mode = Mode::Normal;
            }
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
            self.notice(text, now);
        }
        if !conflicts.is_empty() {
            let mut lines = vec![format!(
                "{} changed since you read {}; nothing was written to {}:",
                conflicts.len(),
                if conflicts.len() == 1 { "it" } else { "them" },
                if conflicts.len() == 1 { "it" } else { "them" },
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
            lines.push(format!("Apply {what} anyway, in {}?", self.where_()));
            self.confirm = Some(Confirm {
                title: "Changed meanwhile".into(),
                lines,
                effect: Effect::OpsCenter(OpsJob::Update {
                    targets: conflicts
                        .iter()
                        .map(|(i, _)| (i.id.clone(), Some(i.last_modified_ms)))
                        .collect(),
                    change,
                }),
            });
            self.mode = Mode::Confirm;
        }
        Vec::new()
    }

    fn ops_caller(&self) -> String {
        self.context
            .identity
            .as_ref()
            .map_or_else(String::new, |i| i.arn.clone())
    }

    /// Runs `change` on `targets`: at once for one item, after a
    /// confirmation listing them for several (and for Resolved).
    fn ops_apply(
        &mut self,
        targets: Vec<(String, i64)>,
        change: OpsChange,
        now: Instant,
    ) -> Vec<Effect> {
        if targets.is_empty() {
            self.notice("no OpsItem here: load the list or move to one".into(), now);
            return Vec::new();
        }
        let what = change.describe();
        let effect = Effect::OpsCenter(OpsJob::Update {
            targets: targets
                .iter()
                .map(|(id, ms)| (id.clone(), Some(*ms)))
                .collect(),
            change: change.clone(),
        });
        let resolving = change.status.as_deref() == Some("Resolved");
        if targets.len() == 1 && !resolving && change.delete_data.is_empty() {
            return vec![effect];
        }
        let mut lines = vec![format!("Set {what} on {} OpsItem(s):", targets.len())];
        for (id, _) in targets.iter().take(12) {
            let title = self.ops.get(id).map_or("", |i| i.title.as_str());
            lines.push(format!("  {id}  {}", truncate(title, 60)));
        }
        if targets.len() > 12 {
            lines.push(format!("  … and {} more", targets.len() - 12));
        }
        lines.push(format!(
            "In {}. Each is read again first: one that changed since you read it is not written, and you are asked again.",
            self.where_()
        ));
        self.confirm = Some(Confirm {
            title: if resolving {
                "Resolve OpsItems".into()
            } else {
                "Update OpsItems".into()
            },
            lines,
            effect,
        });
        self.mode = Mode::Confirm;
        Vec::new()
    }

    fn ops_choice(&mut self, title: String, options: Vec<String>, purpose: ChoicePurpose) {
        self.choice = Some(Choice {
            title,
            options,
            cursor: 0,
            purpose,
        });
        self.mode = Mode::Choose;
    }

    pub(super) fn ops_command(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        let rows = self.page_rows();
        if self.ops_detail_command(c, rows) {
            return Vec::new();
        }
        let o = &mut self.ops;
        match c {
            Command::SelectNext => o.move_by(1, rows),
            Command::SelectPrev => o.move_by(-1, rows),
            Command::SelectFirst => o.move_to(0, rows),
            Command::SelectLast => o.move_to(usize::MAX, rows),
            Command::PageDown => o.move_by((rows / 2).max(1) as isize, rows),
            Command::PageUp => o.move_by(-((rows / 2).max(1) as isize), rows),
            Command::SortNext => {
                let i = OpsColumn::ALL
                    .iter()
                    .position(|x| *x == o.sort)
                    .unwrap_or(0);
                o.sort = OpsColumn::ALL[(i + 1) % OpsColumn::ALL.len()];
                o.sort_desc = false;
                o.dirty_order = true;
            }
            Command::SortReverse => {
                o.sort_desc = !o.sort_desc;
                o.dirty_order = true;
            }
            Command::Filter => {
                o.filter_before = Some(o.filter.clone());
                self.mode = Mode::Filter;
            }
            Command::Back => {
                if !o.selected.is_empty() {
                    o.selected.clear();
                } else if o.filter != DEFAULT_FILTER {
                    o.set_filter(DEFAULT_FILTER.into());
                    if o.needs_reload() {
                        return vec![o.begin_load()];
                    }
                }
            }
            Command::ToggleSelect => {
                if let Some(id) = o.current().map(|i| i.id.clone())
                    && !o.selected.remove(&id)
                {
                    o.selected.insert(id);
                }
                o.move_by(1, rows);
            }
            Command::SelectAllMatching => {
                for i in &o.view {
                    o.selected.insert(o.items[*i].id.clone());
                }
            }
            Command::ClearSelection => o.selected.clear(),
            Command::OpenDetails => {
                let Some(id) = o.current().map(|i| i.id.clone()) else {
                    return Vec::new();
                };
                let title = o.current().map(|i| i.title.clone()).unwrap_or_default();
                o.detail = Some(OpsDetail {
                    id: id.clone(),
                    ..OpsDetail::default()
                });
                let remembered = self.remember("ops", &id, &title);
                return vec![Effect::OpsCenter(OpsJob::Detail { id }), remembered];
            }
            Command::SetStatus => {
                let targets = o.targets();
                let n = targets.len();
                self.ops_choice(
                    format!("Status for {n} OpsItem(s)"),
                    TRIAGE_STATUSES.iter().map(|s| (*s).to_owned()).collect(),
                    ChoicePurpose::Status(targets),
                );
            }
            Command::SetPriority => {
                let targets = o.targets();
                let n = targets.len();
                self.ops_choice(
                    format!("Priority for {n} OpsItem(s)"),
                    ["1  highest", "2", "3", "4", "5  lowest"]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                    ChoicePurpose::Priority(targets),
                );
            }
            Command::SetSeverity => {
                let targets = o.targets();
                let n = targets.len();
                self.ops_choice(
                    format!("Severity for {n} OpsItem(s)"),
                    ["1  critical", "2  high", "3  medium", "4  low"]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                    ChoicePurpose::Severity(targets),
                );
            }
            Command::AddNote | Command::AddOpsData | Command::LinkItem => {
                return self.ops_open_prompt(c);
            }
            Command::RemoveOpsData => return self.ops_remove_data(now),
            Command::JumpToNode => return self.ops_jump(now),
            Command::RunCommand => return self.ops_run_command(now),
            Command::Edit => return self.ops_edit_form(now),
            Command::Create => return self.ops_create_form(),
            Command::CopyName => {
                if let Some(id) = o.focused().map(|i| i.id.clone()) {
                    self.notice(format!("copied {id}"), now);
                    return vec![Effect::Shell(ShellJob::Clipboard(super::SecretText(id)))];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// While an OpsItem is open: scroll its detail, or close it on Back or
    /// Enter. Returns whether `c` was handled here.
    fn ops_detail_command(&mut self, c: Command, rows: usize) -> bool {
        let Some(d) = self.ops.detail.as_mut() else {
            return false;
        };
        match c {
            Command::SelectNext => d.scroll = d.scroll.saturating_add(1),
            Command::SelectPrev => d.scroll = d.scroll.saturating_sub(1),
            Command::PageDown => d.scroll = d.scroll.saturating_add((rows / 2).max(1) as u16),
            Command::PageUp => d.scroll = d.scroll.saturating_sub((rows / 2).max(1) as u16),
            Command::SelectFirst => d.scroll = 0,
            Command::Back | Command::OpenDetails => self.ops.detail = None,
            _ => return false,
        }
        true
    }

    /// Ask for a note, operational data or a related OpsItem (`c` says which)
    /// for the focused OpsItem.
    fn ops_open_prompt(&mut self, c: Command) -> Vec<Effect> {
        let o = &self.ops;
        let Some(item) = o.focused() else {
            return Vec::new();
        };
        let (id, ms) = (item.id.clone(), item.last_modified_ms);
        let (title, purpose) = match c {
            Command::AddNote => (
                format!(
                    "Note on {id} (stored as operational data with the time and your identity)"
                ),
                PromptPurpose::OpsNote { id, expected: ms },
            ),
            Command::AddOpsData => (
                format!("Operational data for {id}: key=value (JSON values are kept as typed)"),
                PromptPurpose::OpsData { id, expected: ms },
            ),
            _ => (
                format!("Relate {id} to OpsItem (oi-…)"),
                PromptPurpose::OpsLink { id, expected: ms },
            ),
        };
        self.prompt = Some(Prompt {
            title,
            text: String::new(),
            purpose,
        });
        self.mode = Mode::Prompt;
        Vec::new()
    }

    /// Offer the open OpsItem's operational data keys to delete.
    fn ops_remove_data(&mut self, now: Instant) -> Vec<Effect> {
        let o = &self.ops;
        let Some(item) = o.focused() else {
            return Vec::new();
        };
        if o.detail.as_ref().and_then(|d| d.item.as_ref()).is_none() {
            self.notice(
                "open the OpsItem first (Enter): the list shows only searchable data".into(),
                now,
            );
            return Vec::new();
        }
        let keys: Vec<String> = item.operational_data.keys().cloned().collect();
        if keys.is_empty() {
            let id = item.id.clone();
            self.notice(format!("{id} has no operational data"), now);
            return Vec::new();
        }
        let (id, ms) = (item.id.clone(), item.last_modified_ms);
        self.ops_choice(
            format!("Delete which operational data of {id}?"),
            keys,
            ChoicePurpose::DeleteData(id, ms),
        );
        Vec::new()
    }

    /// Compose a command for the managed nodes the focused OpsItem names.
    fn ops_run_command(&mut self, now: Instant) -> Vec<Effect> {
        let o = &self.ops;
        let Some(item) = o.focused() else {
            return Vec::new();
        };
        let nodes = item.related_nodes();
        if nodes.is_empty() {
            let id = item.id.clone();
            self.notice(format!("{id} names no managed node in /aws/resources"), now);
            return Vec::new();
        }
        let origin = format!("OpsItem {}", item.id);
        self.goto(Goto::Compose { nodes, origin }, now)
    }

    /// Open the form on the open OpsItem to edit it.
    fn ops_edit_form(&mut self, now: Instant) -> Vec<Effect> {
        let o = &mut self.ops;
        let Some(d) = o.detail.as_ref() else {
            self.notice(
                "open the OpsItem first (Enter), then e edits it".into(),
                now,
            );
            return Vec::new();
        };
        let Some(item) = d.item.as_ref() else {
            self.notice(
                "still reading the OpsItem; try again in a moment".into(),
                now,
            );
            return Vec::new();
        };
        o.form = Some(OpsForm::new(Some(item)));
        self.mode = Mode::OpsForm;
        Vec::new()
    }

    /// Open the form for a new OpsItem (for the one selected node, if any),
    /// or go back to a new one being typed.
    fn ops_create_form(&mut self) -> Vec<Effect> {
        let o = &self.ops;
        if o.form.as_ref().is_none_or(|f| f.editing.is_some()) {
            let mut form = OpsForm::new(None);
            if self.fleet.selected.len() == 1 {
                form.node = self
                    .fleet
                    .selected
                    .iter()
                    .next()
                    .cloned()
                    .unwrap_or_default();
            }
            self.ops.form = Some(form);
        }
        self.mode = Mode::OpsForm;
        Vec::new()
    }

    fn ops_jump(&mut self, now: Instant) -> Vec<Effect> {
        let Some(item) = self.ops.focused() else {
            return Vec::new();
        };
        let nodes = item.related_nodes();
        match nodes.len() {
            0 => {
                let id = item.id.clone();
                self.notice(format!("{id} names no managed node in /aws/resources"), now);
                Vec::new()
            }
            1 => self.goto(Goto::Node(nodes[0].clone()), now),
            _ => {
                let options = nodes
                    .iter()
                    .map(|n| {
                        let name = self
                            .fleet
                            .nodes
                            .iter()
                            .find(|x| x.id == *n)
                            .map_or("", |x| x.name.as_str());
                        format!("{n}  {name}")
                    })
                    .collect();
                self.ops_choice(
                    "Show which node?".into(),
                    options,
                    ChoicePurpose::JumpToNode,
                );
                Vec::new()
            }
        }
    }

    /// A pick in the choice list.
    pub(super) fn choice_input(&mut self, k: crate::action::InputKey, now: Instant) -> Vec<Effect> {
        use crate::action::InputKey;
        let Some(ch) = self.choice.as_mut() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let n = ch.options.len();
        match k {
            InputKey::Down | InputKey::Char('j') => {
                ch.cursor = (ch.cursor + 1).min(n.saturating_sub(1))
            }
            InputKey::Up | InputKey::Char('k') => ch.cursor = ch.cursor.saturating_sub(1),
            InputKey::Char(d @ '1'..='9') if (d as usize - '1' as usize) < n => {
                ch.cursor = d as usize - '1' as usize;
                return self.choice_input(InputKey::Submit, now);
            }
            InputKey::Cancel | InputKey::Char('q') => {
                self.choice = None;
                self.mode = Mode::Normal;
            }
            InputKey::Submit => {
                let ch = self.choice.take().expect("checked above");
                self.mode = Mode::Normal;
                let Some(value) = ch.value() else {
                    return Vec::new();
                };
                let caller = self.ops_caller();
                let change = |f: &dyn Fn(&mut OpsChange)| {
                    let mut c = OpsChange {
                        caller: caller.clone(),
                        ..OpsChange::default()
                    };
                    f(&mut c);
                    c
                };
                return match ch.purpose {
                    ChoicePurpose::Status(t) => {
                        self.ops_apply(t, change(&|c| c.status = Some(value.clone())), now)
                    }
                    ChoicePurpose::Priority(t) => {
                        let p = value.parse().unwrap_or(3);
                        self.ops_apply(t, change(&|c| c.priority = Some(p)), now)
                    }
                    ChoicePurpose::Severity(t) => {
                        self.ops_apply(t, change(&|c| c.severity = Some(value.clone())), now)
                    }
                    ChoicePurpose::DeleteData(id, ms) => self.ops_apply(
                        vec![(id, ms)],
                        change(&|c| c.delete_data = vec![value.clone()]),
                        now,
                    ),
                    ChoicePurpose::JumpToNode => self.goto(Goto::Node(value), now),
                };
            }
            _ => {}
        }
        Vec::new()
    }

    /// The answer of an OpsCenter prompt (note, operational data, link).
    pub(super) fn ops_prompt(
        &mut self,
        purpose: PromptPurpose,
        text: String,
        now: Instant,
    ) -> Vec<Effect> {
        let mut change = OpsChange {
            caller: self.ops_caller(),
            ..OpsChange::default()
        };
        let (id, expected) = match purpose {
            PromptPurpose::OpsNote { id, expected } => {
                change.note = Some(text);
                (id, expected)
            }
            PromptPurpose::OpsData { id, expected } => {
                let Some((k, v)) = text.split_once('=') else {
                    self.notice(
                        format!("'{text}': write key=value, as in runbook=https://wiki/x"),
                        now,
                    );
                    return Vec::new();
                };
                let k = k.trim();
                let lower = k.to_ascii_lowercase();
                if k.is_empty() || k.chars().count() > 128 {
                    self.notice("the key must be 1 to 128 characters".into(), now);
                    return Vec::new();
                }
                if [
                    "amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm",
                ]
                .iter()
                .any(|p| lower.starts_with(p))
                {
                    self.notice(
                        format!("'{k}': keys can't begin with amazon, aws, amzn or ssm (with or without /); choose another"),
                        now,
                    );
                    return Vec::new();
                }
                if v.len() > 20 * 1024 {
                    self.notice(
                        format!("the value is {} bytes; the limit is 20 KB", v.len()),
                        now,
                    );
                    return Vec::new();
                }
                change.add_data = vec![(k.to_owned(), v.trim().to_owned(), true)];
                (id, expected)
            }
            PromptPurpose::OpsLink { id, expected } => {
                let other = text.trim().to_owned();
                if !other.starts_with("oi-") || other.len() < 4 {
                    self.notice(format!("'{other}' is not an OpsItem id (oi-…)"), now);
                    return Vec::new();
                }
                if other == id {
                    self.notice("an OpsItem can't be related to itself".into(), now);
                    return Vec::new();
                }
                change.link = vec![other];
                (id, expected)
            }
            _ => return Vec::new(),
        };
        self.ops_apply(vec![(id, expected)], change, now)
    }

    /// A key while the create/edit form has focus.
    pub(super) fn ops_form_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let caller = self.ops_caller();
        let region = self.context.region.clone();
        let account = self.context.identity.as_ref().map(|i| i.account.clone());
        let fleet_done = self.fleet.loading.is_none() && !self.fleet.nodes.is_empty();
        let known_node = |id: &str| self.fleet.nodes.iter().any(|n| n.id == id);
        let node_known = self
            .ops
            .form
            .as_ref()
            .is_some_and(|f| f.node.trim().is_empty() || known_node(f.node.trim()));
        let Some(f) = self.ops.form.as_mut() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        if k.code != KeyCode::Esc && f.discard_armed {
            f.discard_armed = false;
            f.error = None;
        }
        match k.code {
            KeyCode::Esc => {
                if f.changed() && !f.discard_armed {
                    f.discard_armed = true;
                    f.error = Some(
                        "unsaved changes: Esc again discards them, Ctrl-S saves, any other key keeps editing".into(),
                    );
                    return Vec::new();
                }
                self.ops.form = None;
                self.mode = Mode::Normal;
                return Vec::new();
            }
            KeyCode::Char('s') if ctrl => {
                if f.saving {
                    return Vec::new();
                }
                let (priority, severity) = match f.validate() {
                    Ok(v) => v,
                    Err(why) => {
                        f.error = Some(format!("not saved: {why}. Your text is kept."));
                        return Vec::new();
                    }
                };
                let category = Some(f.category.trim().to_owned()).filter(|c| !c.is_empty());
                match f.editing.clone() {
                    Some((id, ms)) => {
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
                            self.ops.form = None;
                            self.mode = Mode::Normal;
                            return Vec::new();
                        }
                        f.saving = true;
                        f.error = None;
                        return vec![Effect::OpsCenter(OpsJob::Update {
                            targets: vec![(id, Some(ms))],
                            change,
                        })];
                    }
                    None => {
                        let node = f.node.trim().to_owned();
                        if !node.is_empty() && fleet_done && !node_known {
                            f.error = Some(format!(
                                "not created: {node} is not a managed node of this account and region (the Fleet pane lists them)"
                            ));
                            return Vec::new();
                        }
                        let node_arn = if node.is_empty() {
                            None
                        } else {
                            let Some(account) = account else {
                                f.error = Some("not created: the account is not known yet (STS GetCallerIdentity); try again in a moment".into());
                                return Vec::new();
                            };
                            Some(if node.starts_with("mi-") {
                                format!("arn:aws:ssm:{region}:{account}:managed-instance/{node}")
                            } else {
                                format!("arn:aws:ec2:{region}:{account}:instance/{node}")
                            })
                        };
                        f.saving = true;
                        f.error = None;
                        return vec![Effect::OpsCenter(OpsJob::Create(CreateRequest {
                            title: f.title.trim().to_owned(),
                            description: f.description_text(),
                            source: f.source.trim().to_owned(),
                            priority,
                            severity,
                            category,
                            node_arn,
                        }))];
                    }
                }
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
                self.line_cursor = None;
                return Vec::new();
            }
            _ => {}
        }
        if f.focus == OpsField::Description {
            f.description.input(k);
            return Vec::new();
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
            self.line_cursor = None;
        } else if let Some(e) = Edit::from_key(k) {
            line_input::apply(text, &mut self.line_cursor, e);
        }
        Vec::new()
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, status: &str, sev: &str, ms: i64) -> OpsItem {
        OpsItem {
            id: id.into(),
            title: format!("title of {id}"),
            status: status.into(),
            severity: Some(sev.into()),
            priority: Some(3),
            created_ms: ms,
            last_modified_ms: ms,
            ..OpsItem::default()
        }
    }

    #[test]
    fn changes_name_fields_and_writer() {
        let a = item("oi-1", "Open", "2", 1);
        let mut b = a.clone();
        b.status = "InProgress".into();
        b.priority = Some(1);
        b.last_modified_by = "arn:bob".into();
        b.operational_data.insert(
            "note:2026".into(),
            crate::model::OpsData {
                value: r#"{"at":"2026","by":"bob","text":"on it"}"#.into(),
                searchable: false,
            },
        );
        let c = changes(&a, &b);
        assert!(c.contains(&"status: Open → InProgress".to_owned()), "{c:?}");
        assert!(c.contains(&"priority: 3 → 1".to_owned()), "{c:?}");
        assert!(c.iter().any(|l| l == "new note: on it"), "{c:?}");
        assert!(c.last().unwrap().starts_with("by arn:bob"), "{c:?}");
    }

    #[test]
    fn sort_puts_critical_first_and_filter_narrows() {
        let mut s = OpsState::default();
        s.set_filter(String::new());
        s.upsert(vec![
            item("oi-a", "Open", "3", 3),
            item("oi-b", "Open", "1", 1),
            item("oi-c", "Resolved", "1", 2),
        ]);
        s.settle(10, 0);
        let ids: Vec<_> = s.view.iter().map(|i| s.items[*i].id.as_str()).collect();
        assert_eq!(ids, ["oi-c", "oi-b", "oi-a"]);
        s.set_filter("status:Open".into());
        s.settle(10, 0);
        assert_eq!(s.view.len(), 2);
        assert!(s.needs_reload());
        s.set_filter("sev:9".into());
        assert!(s.filter_error.is_some());
        s.settle(10, 0);
        assert_eq!(s.view.len(), 2, "a bad filter keeps the last good one");
    }

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
