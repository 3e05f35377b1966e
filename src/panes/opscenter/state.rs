//! OpsCenter pane state: the OpsItem list (every DescribeOpsItems page,
//! filtered server-side and client-side, sorted), the detail of one item,
//! the selection for bulk triage, and what changed between two readings
//! of an item (for the lost-update guard). The create/edit form is in
//! `form`, the behaviour in `update`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nucleo_matcher::Utf32String;

use super::OpsJob;
use super::form::OpsForm;
use crate::aws::AwsError;
use crate::aws::opscenter::ServerFilter;
use crate::filter::new_matcher;
use crate::model::{ManagedNode, OpsEvent, OpsItem, OpsRelatedItem, format_epoch_ms_minutes};
use crate::ops_filter::OpsQuery;

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
    /// The account and region of the item's context (shown when the set
    /// has more than one; sorts by context).
    Context,
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
            OpsColumn::Context => "Context",
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
    /// The related managed nodes the Fleet pane knows, as of the last
    /// settle (the view shows their names and ping status).
    pub known_nodes: Vec<ManagedNode>,
}

/// The OpsCenter pane.
#[derive(Debug)]
pub struct OpsState {
    /// Where the last draw put the list's rows (mouse clicks).
    pub hits: crate::widgets::hits::RowHits,
    /// Whether the pane was opened (the first load started).
    pub started: bool,
    /// Loaded items.
    pub items: Vec<OpsItem>,
    pub(super) index: HashMap<String, usize>,
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
    /// The page asked for failed with a passing fault and is asked again.
    pub stalled: Option<crate::aws::resume::Stall>,
    /// Why the last load failed (with several contexts: only when every
    /// context failed; see [`OpsState::context_errors`]).
    pub error: Option<AwsError>,
    /// The context set's labels (empty or one: one context), set by the shell.
    pub contexts: Vec<crate::model::ContextLabel>,
    /// The contexts whose part of the last load failed, with why.
    pub context_errors: Vec<(crate::model::ContextId, AwsError)>,
    /// Contexts of the load in flight still sending pages.
    pub(super) pending: usize,
    /// Selected item ids (bulk triage).
    pub selected: BTreeSet<String>,
    /// The sort: column and direction.
    pub sort: crate::widgets::sort::SortOrder<OpsColumn>,
    /// The open detail.
    pub detail: Option<OpsDetail>,
    /// The raw JSON view of an OpsItem (`y`), drawn over the pane while open.
    pub json: Option<crate::widgets::raw_json::RawJson>,
    /// The open create/edit form.
    pub form: Option<OpsForm>,
    /// Every OpsItem counted by status across the contexts (GetOpsSummary,
    /// read beside a load whose filter leaves statuses out).
    pub status_totals: BTreeMap<String, u64>,
    pub(super) dirty: bool,
    pub(super) dirty_order: bool,
}

impl Default for OpsState {
    fn default() -> Self {
        OpsState {
            hits: Default::default(),
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
            stalled: None,
            error: None,
            contexts: Vec::new(),
            context_errors: Vec::new(),
            pending: 0,
            selected: BTreeSet::new(),
            sort: crate::widgets::sort::SortOrder::by(OpsColumn::Severity),
            detail: None,
            json: None,
            form: None,
            status_totals: BTreeMap::new(),
            dirty: true,
            dirty_order: true,
        }
    }
}

fn severity_rank(s: Option<&str>) -> u8 {
    s.and_then(|s| s.parse().ok()).unwrap_or(9)
}

/// Rows of OpsItems the table shows when the shell's list height is
/// `page_rows` (the shell's `page_rows`): one less, for the counts
/// line above the table.
pub fn list_rows(page_rows: usize) -> usize {
    page_rows.saturating_sub(1).max(1)
}

impl OpsState {
    /// Starts a load with the current filter's server part; returns its job.
    pub fn begin_load(&mut self) -> OpsJob {
        self.generation += 1;
        self.loading = true;
        self.pages = 0;
        self.error = None;
        self.context_errors.clear();
        self.pending = self.contexts.len().max(1);
        self.items.clear();
        self.index.clear();
        self.haystacks.clear();
        self.status_totals.clear();
        self.loaded_filters = self.query.server.clone();
        self.dirty_order = true;
        OpsJob::List {
            generation: self.generation,
            filters: self.loaded_filters.clone(),
        }
    }

    /// Whether items come from more than one context (the CONTEXT column
    /// shows).
    pub fn multi_context(&self) -> bool {
        self.contexts.len() > 1
    }

    /// `ACCOUNT REGION` of an item's context ("" with one context).
    pub fn context_of(&self, item: &OpsItem) -> String {
        if !self.multi_context() {
            return String::new();
        }
        self.contexts
            .get(item.ctx.index())
            .map_or_else(String::new, crate::model::ContextLabel::short)
    }

    /// Open and InProgress OpsItems of each context by severity (`1` … `4`,
    /// others under 4), by [`ContextId`](crate::model::ContextId); `None`
    /// before the pane loaded.
    pub fn open_by_context(&self) -> Option<Vec<[usize; 4]>> {
        if !self.started || self.loading {
            return None;
        }
        let mut out = vec![[0usize; 4]; self.contexts.len().max(1)];
        for i in &self.items {
            if !matches!(i.status.as_str(), "Open" | "InProgress") {
                continue;
            }
            let sev = i
                .severity
                .as_deref()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(4)
                .clamp(1, 4);
            if let Some(c) = out.get_mut(i.ctx.index()) {
                c[sev - 1] += 1;
            }
        }
        Some(out)
    }

    /// One context's part of the load ended (its last page, or an error).
    pub(super) fn context_ended(&mut self, ctx: crate::model::ContextId, error: Option<AwsError>) {
        self.pending = self.pending.saturating_sub(1);
        if let Some(e) = error {
            if self.multi_context() {
                self.context_errors.push((ctx, e));
                if self.context_errors.len() == self.contexts.len() {
                    self.error = self.context_errors.first().map(|(_, e)| e.clone());
                }
            } else {
                self.error = Some(e);
            }
        }
        if self.pending == 0 {
            self.loading = false;
            self.stalled = None;
        }
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

    /// Whether the last load asked DescribeOpsItems for items of `status`:
    /// false when its server-side `Status` filter leaves the status out (the
    /// default filter loads only Open and InProgress), so a count of the
    /// loaded items says nothing about it.
    pub fn status_loaded(&self, status: &str) -> bool {
        self.loaded_filters.iter().all(|f| match f {
            ServerFilter::Text { key, values, .. } if key == "Status" => {
                values.iter().any(|v| v == status)
            }
            _ => true,
        })
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

    /// Sets the context set's labels (at start, and when an account id or
    /// name becomes known): `account:`/`region:` terms are resolved again.
    pub fn set_contexts(&mut self, labels: Vec<crate::model::ContextLabel>) {
        self.contexts = labels;
        self.query = std::mem::take(&mut self.query).bind(&self.contexts);
        self.dirty = true;
    }

    /// Replaces the filter text; parses it (a bad one keeps the last good query).
    pub fn set_filter(&mut self, text: String) {
        match OpsQuery::parse(&text) {
            Ok(q) => {
                self.query = q.bind(&self.contexts);
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
        let primary = match self.sort.column {
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
            OpsColumn::Context => x.ctx.cmp(&y.ctx),
        };
        let primary = self.sort.apply(primary);
        primary.then(newest).then_with(|| x.id.cmp(&y.id))
    }

    /// Recomputes order and view when something changed, keeping the cursor
    /// on the same item. `now_s` is the wall clock (epoch seconds) for
    /// `created:` terms.
    pub fn settle_view(&mut self, page_rows: usize, now_s: i64) {
        if self.dirty_order {
            let mut order: Vec<usize> = (0..self.items.len()).collect();
            order.sort_unstable_by(|a, b| self.compare(*a, *b));
            self.order = order;
            self.dirty_order = false;
            self.dirty = true;
        }
        if !self.dirty {
            // The height may have changed (a resize): keep the cursor in
            // view and no blank rows below the last item.
            self.follow(page_rows);
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

    /// Copies what the Fleet pane knows of the open item's related nodes
    /// (`nodes`) into the detail, for the view.
    pub fn learn_nodes(&mut self, nodes: &[ManagedNode]) {
        let Some(related) = self
            .focused()
            .filter(|_| self.detail.is_some())
            .map(|i| i.related_nodes())
        else {
            return;
        };
        let known: Vec<ManagedNode> = related
            .iter()
            .filter_map(|id| nodes.iter().find(|n| n.id == *id).cloned())
            .collect();
        if let Some(d) = self.detail.as_mut() {
            d.known_nodes = known;
        }
    }

    /// Keeps the cursor row inside the rows the table shows: `page_rows`
    /// (the shell's list height) less the counts line drawn above the
    /// table ([`list_rows`]); with the whole height the cursor went one
    /// row past the visible area and the last item was never shown.
    fn follow(&mut self, page_rows: usize) {
        let h = list_rows(page_rows);
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

/// `s` cut to `n` characters, the last one an ellipsis when cut.
pub(super) fn truncate(s: &str, n: usize) -> String {
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
        s.settle_view(10, 0);
        let ids: Vec<_> = s.view.iter().map(|i| s.items[*i].id.as_str()).collect();
        assert_eq!(ids, ["oi-c", "oi-b", "oi-a"]);
        s.set_filter("status:Open".into());
        s.settle_view(10, 0);
        assert_eq!(s.view.len(), 2);
        assert!(s.needs_reload());
        s.set_filter("sev:9".into());
        assert!(s.filter_error.is_some());
        s.settle_view(10, 0);
        assert_eq!(s.view.len(), 2, "a bad filter keeps the last good one");
    }

    /// Growing the window with the cursor on the last item shows the items
    /// above it again (no blank rows below the last one).
    #[test]
    fn a_taller_window_scrolls_back_to_fill_the_rows() {
        let mut s = OpsState::default();
        s.set_filter(String::new());
        s.upsert(
            (0..30)
                .map(|i| item(&format!("oi-{i:02}"), "Open", "2", 3))
                .collect(),
        );
        s.settle_view(10, 0);
        s.move_to(29, 10);
        assert_eq!(s.scroll, 30 - list_rows(10));
        s.settle_view(40, 0);
        assert_eq!(s.scroll, 0, "every row shown again after a resize");
        assert_eq!(s.cursor, 29);
    }
}

#[cfg(test)]
mod status_count_tests {
    use super::*;

    #[test]
    fn a_status_the_load_left_out_is_not_counted_as_zero() {
        let mut s = OpsState::default();
        let _ = s.begin_load();
        assert!(s.status_loaded("Open") && s.status_loaded("InProgress"));
        assert!(
            !s.status_loaded("Resolved"),
            "the default filter does not load Resolved items"
        );
        s.set_filter("sev:1".into());
        let _ = s.begin_load();
        assert!(
            s.status_loaded("Resolved"),
            "no status filter loads every status"
        );
    }
}
