//! Fleet pane state: nodes, the filtered and sorted view, cursor, selection.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use nucleo_matcher::Matcher;

use crate::aws::AwsError;
use crate::aws::fleet::{FleetEvent, LoadStats};

use crate::filter::{FleetQuery, Haystack, Rank, haystack, new_matcher};
use crate::model::{ContextId, ContextLabel, ManagedNode, Patch, PingStatus};
use crate::widgets::sort::SortOrder;

/// Sortable columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Name tag.
    Name,
    /// Node id.
    Id,
    /// The account of the node's context (shown when the set has more than one).
    Account,
    /// The region of the node's context (shown when the set has more than one).
    Region,
    /// Ping status.
    Ping,
    /// Age of the last ping ("3m", "2h", "5d"); ascending is newest first.
    LastPing,
    /// The value of the `i`th tag of [`FleetState::tag_columns`].
    Tag(usize),
    /// Platform name and version.
    Platform,
    /// Agent version.
    Agent,
    /// Patch state (DescribeInstancePatchStates): shown once some node's
    /// state is known ([`FleetState::patch_known`]).
    Patch,
    /// State Manager associations (DescribeInstanceInformation's
    /// AssociationOverview): shown once some node has one
    /// ([`FleetState::assoc_known`]).
    Assoc,
    /// IP address.
    Ip,
    /// Instance type.
    Type,
    /// EC2 state.
    State,
    /// EC2 availability zone.
    Zone,
}

impl Column {
    /// Every fixed column in display order (the configured tag columns,
    /// [`Column::Tag`], come after [`Column::LastPing`]; see
    /// [`FleetState::columns`]).
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Id,
        Column::Ping,
        Column::LastPing,
        Column::Platform,
        Column::Agent,
        Column::Ip,
        Column::Type,
        Column::Zone,
        Column::State,
    ];

    /// Header text (`TAG` for a tag column: [`FleetState::heading`] names
    /// its key).
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::Id => "NODE ID",
            Column::Account => "ACCOUNT",
            Column::Region => "REGION",
            Column::Ping => "PING",
            Column::LastPing => "LAST PING",
            Column::Tag(_) => "TAG",
            Column::Zone => "AZ",
            Column::Platform => "PLATFORM",
            Column::Agent => "AGENT",
            Column::Patch => "PATCH",
            Column::Assoc => "ASSOC",
            Column::Ip => "IP",
            Column::Type => "TYPE",
            Column::State => "STATE",
        }
    }
}

/// An in-flight load.
#[derive(Debug, Clone)]
pub struct Loading {
    /// Generation of the load.
    pub generation: u64,
    /// Pages received so far.
    pub pages: u32,
    /// When it started.
    pub started: Instant,
    /// The page asked for failed with a passing fault and will be asked
    /// for again.
    pub stalled: Option<crate::aws::resume::Stall>,
    /// When the last page arrived (the start, before the first): the
    /// title says how long the endpoint has been silent once it is
    /// [`WAITING_AFTER`] or more.
    pub last_answer: Instant,
}

/// How long a page may take before the title says what it waits for.
pub const WAITING_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// One context's nodes, counted ([`FleetState::counts_by_context`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextCounts {
    /// Managed nodes.
    pub nodes: usize,
    /// Online.
    pub online: usize,
    /// ConnectionLost.
    pub lost: usize,
    /// Inactive.
    pub inactive: usize,
    /// Nodes whose SSM Agent is not the newest release (`IsLatestVersion`
    /// false): they need an agent update.
    pub agent_behind: usize,
}

pub use crate::aws::contexts::ContextLoad;

/// The node details' maintenance windows as read (`Err`: why not, as the
/// user reads it).
pub type NodeWindowsAnswer = Result<Vec<crate::aws::maintenance::NodeWindow>, String>;

/// The Fleet pane's state.
#[derive(Debug)]
pub struct FleetState {
    /// Where the last draw put the list's rows (mouse clicks).
    pub hits: crate::widgets::hits::RowHits,
    /// Every node, in arrival order.
    pub nodes: Vec<ManagedNode>,
    haystacks: Vec<Haystack>,
    /// Matches of recent queries over the current nodes and order.
    recent: RecentMatches,
    seen: Vec<u64>,
    index: HashMap<String, usize>,
    order: Vec<usize>,
    /// Indices into `nodes` that match the filter, in sort order.
    pub view: Vec<usize>,
    /// Cursor row within `view`.
    pub cursor: usize,
    /// Id of the node under the cursor (kept across refresh and re-sort).
    pub cursor_id: Option<String>,
    /// First visible row.
    pub scroll: usize,
    /// The filter text.
    pub filter: String,
    /// Filter text before editing started (restored on cancel).
    pub filter_before: Option<String>,
    /// The parsed filter.
    pub query: FleetQuery,
    /// Selected node ids (the Run Command target set).
    pub selected: HashSet<String>,
    /// The sort: column and direction.
    pub sort: SortOrder<Column>,
    /// Whether the details panel is open.
    pub details: bool,
    /// The details' tab (Overview beside the table; a posture tab over
    /// the whole pane).
    pub tab: super::posture::DetailTab,
    /// The posture tabs' answers and view state, about one node.
    pub posture: super::posture::NodePosture,
    /// The raw JSON view of a node (`y`), drawn over the pane while open.
    pub json: Option<crate::widgets::raw_json::RawJson>,
    /// The details were opened by a jump from another pane
    /// ([`Goto::Node`](crate::pane::Goto::Node)): Esc closes them and walks
    /// back there. Any other key makes the visit the user's own.
    pub revealed: bool,
    /// The user's filter, set aside because it hid the node a jump showed;
    /// put back when Esc walks back.
    pub filter_aside: Option<String>,
    /// The load in flight, if any.
    pub loading: Option<Loading>,
    /// Generation of the newest load started.
    pub generation: u64,
    /// Stats of the last finished load.
    pub last_stats: Option<LoadStats>,
    /// When the last load finished.
    pub loaded_at: Option<Instant>,
    /// Why the last load failed (with several contexts: only when every
    /// context failed; see [`FleetState::failures`]).
    pub error: Option<AwsError>,
    /// The context set's labels (empty: one unnamed context), set by the
    /// shell; see [`FleetState::set_contexts`].
    pub contexts: Vec<ContextLabel>,
    /// Each context's part of the last load, by [`ContextId`].
    pub context_loads: Vec<ContextLoad>,
    /// Stats of the contexts finished in the load in flight, summed.
    pending_stats: LoadStats,
    /// Why the EC2 join is missing (the pane shows SSM columns only).
    pub ec2_unavailable: Option<AwsError>,
    /// The endpoint when not AWS (`--endpoint-url`), for the waiting line.
    pub endpoint: Option<String>,
    /// Some node's patch state is known: the PATCH column shows.
    pub patch_known: bool,
    /// Some node has associations: the ASSOC column shows.
    pub assoc_known: bool,
    /// Why the patch state could not be read, if it could not.
    pub patch_unavailable: Option<AwsError>,
    /// The node the details last asked the maintenance windows of, and
    /// the answer once it came (`Err`: why not, as the user reads it).
    pub node_windows: Option<(String, Option<NodeWindowsAnswer>)>,
    /// Tag keys shown as columns (config.toml `[fleet] tag_columns`).
    pub tag_columns: Vec<String>,
    /// The wall clock at the last settle, epoch seconds (for ping ages).
    pub epoch_s: i64,
    /// The answers to the filter's remote terms (`pkg:`, `compliance:`).
    pub remote: HashMap<crate::filter::RemoteTerm, super::remote::RemoteAnswer>,
    /// The load whose agents' currency (`IsLatestVersion`) was asked for
    /// `agent:outdated` after a DescribeInstanceProperties listing, and
    /// whether the answer is still on its way.
    pub agent_currency: Option<(u64, bool)>,
    /// Why the agents' currency could not be read, if it could not.
    pub agent_currency_error: Option<String>,
    /// The filter's remote terms are to be asked at the next settle
    /// (the filter was kept, shown by a jump, or the fleet reloaded).
    pub remote_wanted: bool,
    /// The listing changed since the view was last computed.
    dirty_order: bool,
    dirty_view: bool,
}

impl Default for FleetState {
    fn default() -> Self {
        FleetState {
            hits: Default::default(),
            nodes: Vec::new(),
            haystacks: Vec::new(),
            recent: RecentMatches::default(),
            seen: Vec::new(),
            index: HashMap::new(),
            order: Vec::new(),
            view: Vec::new(),
            cursor: 0,
            cursor_id: None,
            scroll: 0,
            filter: String::new(),
            filter_before: None,
            query: FleetQuery::parse(""),
            selected: HashSet::new(),
            sort: SortOrder::by(Column::Name),
            details: false,
            tab: Default::default(),
            posture: Default::default(),
            json: None,
            revealed: false,
            filter_aside: None,
            loading: None,
            generation: 0,
            last_stats: None,
            loaded_at: None,
            error: None,
            contexts: Vec::new(),
            context_loads: Vec::new(),
            pending_stats: no_stats(),
            ec2_unavailable: None,
            endpoint: None,
            patch_known: false,
            assoc_known: false,
            patch_unavailable: None,
            node_windows: None,
            tag_columns: Vec::new(),
            epoch_s: 0,
            remote: HashMap::new(),
            remote_wanted: false,
            agent_currency: None,
            agent_currency_error: None,
            dirty_order: false,
            dirty_view: false,
        }
    }
}

impl FleetState {
    /// Starts a new load generation; returns it.
    pub fn begin_load(&mut self, now: Instant) -> u64 {
        self.generation += 1;
        self.loading = Some(Loading {
            generation: self.generation,
            pages: 0,
            started: now,
            stalled: None,
            last_answer: now,
        });
        self.error = None;
        self.pending_stats = no_stats();
        self.context_loads = vec![
            ContextLoad::Loading {
                pages: 0,
                stalled: None
            };
            self.contexts.len().max(1)
        ];
        self.generation
    }

    /// Whether rows come from more than one context (the ACCOUNT and
    /// REGION columns show).
    pub fn multi_context(&self) -> bool {
        self.contexts.len() > 1
    }

    /// Sets the context set's labels (at start, and when an account id or
    /// name becomes known): the filter's `account:`/`region:` terms are
    /// resolved again.
    pub fn set_contexts(&mut self, labels: Vec<ContextLabel>) {
        self.contexts = labels;
        self.query = std::mem::replace(&mut self.query, FleetQuery::parse("")).bind(&self.contexts);
        // Answers of another context set are about other nodes.
        self.remote.clear();
        self.remote_wanted = true;
        self.rebind_remote();
        self.recent.clear();
        self.dirty_order = true;
        // Labels set while the first load runs: it loads every context.
        if self.context_loads.len() < self.contexts.len() {
            let state = if self.loading.is_some() {
                ContextLoad::Loading {
                    pages: 0,
                    stalled: None,
                }
            } else {
                ContextLoad::Done
            };
            self.context_loads.resize(self.contexts.len(), state);
        }
    }

    /// Each context's nodes by ping status and agent, by [`ContextId`].
    pub fn counts_by_context(&self) -> Vec<ContextCounts> {
        let mut counts = vec![ContextCounts::default(); self.contexts.len().max(1)];
        for n in &self.nodes {
            if let Some(c) = counts.get_mut(n.ctx.index()) {
                c.nodes += 1;
                match n.ping_status {
                    PingStatus::Online => c.online += 1,
                    PingStatus::ConnectionLost => c.lost += 1,
                    PingStatus::Inactive => c.inactive += 1,
                    PingStatus::Unknown => {}
                }
                if n.agent_is_latest == Some(false) {
                    c.agent_behind += 1;
                }
            }
        }
        counts
    }

    /// The label of context `id`, if the set has one.
    pub fn label(&self, id: ContextId) -> Option<&ContextLabel> {
        self.contexts.get(id.index())
    }

    /// The contexts whose part of the last load failed, with why.
    pub fn failures(&self) -> Vec<(ContextId, &AwsError)> {
        self.context_loads
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                ContextLoad::Failed(e) => Some((ContextId(i as u16), e)),
                _ => None,
            })
            .collect()
    }

    /// The contexts asking for a page again, with the fault.
    pub fn stalls(&self) -> Vec<(ContextId, &crate::aws::resume::Stall)> {
        self.context_loads
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                ContextLoad::Loading {
                    stalled: Some(s), ..
                } => Some((ContextId(i as u16), s)),
                _ => None,
            })
            .collect()
    }

    /// The node under the cursor.
    pub fn current(&self) -> Option<&ManagedNode> {
        self.view.get(self.cursor).and_then(|i| self.nodes.get(*i))
    }

    /// Every column in display order: the fixed ones with the configured
    /// tag columns after the last ping, ACCOUNT and REGION across a set,
    /// PATCH once a patch state is known, ASSOC once a node has
    /// associations (see [`all_columns`]).
    pub fn columns(&self) -> Vec<Column> {
        all_columns(
            self.tag_columns.len(),
            self.multi_context(),
            (self.patch_known, self.assoc_known),
        )
    }

    /// A column's header text: the tag key upper-cased for a tag column.
    pub fn heading(&self, c: Column) -> String {
        match c {
            Column::Tag(i) => self
                .tag_columns
                .get(i)
                .map_or_else(|| "TAG".into(), |k| k.to_uppercase()),
            c => c.title().into(),
        }
    }

    /// A node's text for a column that shows plain text (not name, id or
    /// ping, which the view styles itself).
    pub fn cell_text(&self, n: &ManagedNode, c: Column) -> String {
        match c {
            Column::Name => n.name.clone(),
            Column::Id => n.id.clone(),
            Column::Account => self
                .label(n.ctx)
                .map_or_else(String::new, |l| l.account_text().to_owned()),
            Column::Region => self
                .label(n.ctx)
                .map_or_else(String::new, |l| l.region.clone()),
            Column::Ping => n.ping_status.as_str().into(),
            Column::LastPing => n
                .last_ping_s
                .map(|t| age(self.epoch_s - t))
                .unwrap_or_default(),
            Column::Tag(i) => self
                .tag_columns
                .get(i)
                .and_then(|k| n.tag(k))
                .unwrap_or_default()
                .into(),
            Column::Platform => {
                if n.platform_version.is_empty() {
                    n.platform_name.clone()
                } else {
                    format!("{} {}", n.platform_name, n.platform_version)
                }
            }
            Column::Agent => n.agent_version.clone(),
            Column::Patch => n.patch.text(),
            Column::Assoc => n.associations.map_or_else(String::new, |a| a.text()),
            Column::Ip => n.best_ip().into(),
            Column::Type => n.instance_type().into(),
            Column::Zone => zone(n).into(),
            Column::State => n.state().into(),
        }
    }

    /// Whether a node's last ping is stale: an Online node silent for
    /// more than [`STALE_ONLINE_S`], or any node for more than
    /// [`STALE_ANY_S`].
    pub fn stale(&self, n: &ManagedNode) -> bool {
        n.last_ping_s.is_some_and(|t| {
            let a = self.epoch_s - t;
            a > STALE_ANY_S || (n.ping_status == PingStatus::Online && a > STALE_ONLINE_S)
        })
    }

    /// Counts by ping status over every node.
    pub fn ping_counts(&self) -> [(PingStatus, usize); 3] {
        let mut c = [0usize; 3];
        for n in &self.nodes {
            match n.ping_status {
                PingStatus::Online => c[0] += 1,
                PingStatus::ConnectionLost => c[1] += 1,
                PingStatus::Inactive => c[2] += 1,
                PingStatus::Unknown => {}
            }
        }
        [
            (PingStatus::Online, c[0]),
            (PingStatus::ConnectionLost, c[1]),
            (PingStatus::Inactive, c[2]),
        ]
    }

    fn upsert(&mut self, mut node: ManagedNode, generation: u64) {
        match self.index.get(&node.id) {
            Some(&i) => {
                // Keep the previous join until this load's join arrives.
                let old = &self.nodes[i];
                if node.ec2.is_none() {
                    node.ec2 = old.ec2.clone();
                }
                if node.patch == Patch::Unknown {
                    node.patch = old.patch.clone();
                }
                if node.tags.is_empty() && !old.tags.is_empty() {
                    let tags = old.tags.clone();
                    node.apply_tags(tags);
                }
                self.haystacks[i] = haystack(&node);
                self.recent.clear();
                self.nodes[i] = node;
                self.seen[i] = generation;
            }
            None => {
                self.index.insert(node.id.clone(), self.nodes.len());
                self.haystacks.push(haystack(&node));
                self.recent.clear();
                self.nodes.push(node);
                self.seen.push(generation);
            }
        }
    }

    /// Changes a node without touching its fuzzy-search fields (the patch
    /// state is not searched as text).
    /// Node `id`'s agent is (not) the newest release.
    pub(super) fn set_agent_latest(&mut self, id: &str, latest: bool) {
        self.modify_quietly(id, |n| n.agent_is_latest = Some(latest));
    }

    fn modify_quietly(&mut self, id: &str, f: impl FnOnce(&mut ManagedNode)) {
        if let Some(&i) = self.index.get(id) {
            f(&mut self.nodes[i]);
        }
    }

    fn modify(&mut self, id: &str, f: impl FnOnce(&mut ManagedNode)) {
        if let Some(&i) = self.index.get(id) {
            f(&mut self.nodes[i]);
            self.haystacks[i] = haystack(&self.nodes[i]);
            self.recent.clear();
        }
    }

    /// Applies a fleet load event of the first context (see
    /// [`FleetState::apply_in`]).
    pub fn apply(&mut self, generation: u64, event: FleetEvent, now: Instant) -> Option<String> {
        self.apply_in(generation, ContextId(0), event, now)
    }

    /// Applies a fleet load event of context `ctx`. Events of an older
    /// generation are ignored. The load is over once every context is
    /// done or failed. Returns a passing notice to show, if any.
    pub fn apply_in(
        &mut self,
        generation: u64,
        ctx: ContextId,
        event: FleetEvent,
        now: Instant,
    ) -> Option<String> {
        if generation != self.generation {
            return None;
        }
        if self.context_loads.len() <= ctx.index() {
            self.context_loads
                .resize(ctx.index() + 1, ContextLoad::Done);
        }
        match event {
            FleetEvent::Page(nodes) => {
                self.assoc_known |= nodes.iter().any(|n| n.associations.is_some());
                if let Some(l) = &mut self.loading {
                    l.pages += 1;
                    l.stalled = None;
                    l.last_answer = now;
                }
                let pages = match &self.context_loads[ctx.index()] {
                    ContextLoad::Loading { pages, .. } => *pages,
                    _ => 0,
                };
                self.context_loads[ctx.index()] = ContextLoad::Loading {
                    pages: pages + 1,
                    stalled: None,
                };
                for n in nodes {
                    self.upsert(n, generation);
                }
                self.dirty_order = true;
            }
            FleetEvent::Ec2(joins) => {
                self.ec2_unavailable = None;
                for (id, details, tags) in joins {
                    self.modify(&id, |n| n.apply_ec2(details, tags));
                }
                self.dirty_order = true;
            }
            FleetEvent::Ec2Unavailable(e) => {
                let notice = (self.ec2_unavailable.is_none()).then(|| e.to_string());
                self.ec2_unavailable = Some(e);
                return notice;
            }
            FleetEvent::Tags(id, tags) => {
                self.modify(&id, |n| n.apply_tags(tags));
                self.dirty_order = true;
            }
            FleetEvent::TagsFailed(e) => return Some(e.to_string()),
            FleetEvent::Patch { asked, states } => {
                self.patch_known = true;
                self.patch_unavailable = None;
                for id in asked {
                    self.modify_quietly(&id, |n| n.patch = Patch::NeverScanned);
                }
                for (id, summary) in states {
                    self.modify_quietly(&id, |n| n.patch = Patch::Scanned(summary));
                }
                self.recent.clear();
                self.dirty_order = true;
            }
            FleetEvent::PatchUnavailable(e) => {
                // Quiet: many endpoints (and identities) lack it, and the
                // column simply stays out; the details say why.
                self.patch_unavailable = Some(e);
            }
            // Taken by the pane before a load's events (not generation-bound).
            FleetEvent::NodeWindows { .. }
            | FleetEvent::Posture { .. }
            | FleetEvent::Remote(_)
            | FleetEvent::AgentCurrency(_)
            | FleetEvent::Deregistered(_) => {}
            FleetEvent::Done(stats) => {
                self.context_loads[ctx.index()] = ContextLoad::Done;
                add_stats(&mut self.pending_stats, &stats);
                self.retain_generation(generation, ctx);
                self.dirty_order = true;
                self.finish_if_over(now);
            }
            FleetEvent::Stalled(stall) => {
                if let Some(l) = &mut self.loading {
                    l.stalled = Some(stall.clone());
                }
                let pages = match &self.context_loads[ctx.index()] {
                    ContextLoad::Loading { pages, .. } => *pages,
                    _ => 0,
                };
                self.context_loads[ctx.index()] = ContextLoad::Loading {
                    pages,
                    stalled: Some(stall),
                };
            }
            FleetEvent::Failed(e) => {
                self.context_loads[ctx.index()] = ContextLoad::Failed(e);
                self.finish_if_over(now);
            }
        }
        None
    }

    /// Ends the load once no context is still loading: the stats of the
    /// contexts that finished; the error when every context failed.
    fn finish_if_over(&mut self, now: Instant) {
        if self
            .context_loads
            .iter()
            .any(|l| matches!(l, ContextLoad::Loading { .. }))
        {
            return;
        }
        self.loading = None;
        let failures = self.failures();
        if failures.len() == self.context_loads.len() {
            self.error = failures.first().map(|(_, e)| (*e).clone());
            return;
        }
        self.loaded_at = Some(now);
        self.last_stats = Some(std::mem::replace(&mut self.pending_stats, no_stats()));
    }

    /// Drops the nodes of context `ctx` not reported by load `generation`
    /// (gone since the last refresh).
    fn retain_generation(&mut self, generation: u64, ctx: ContextId) {
        let kept = |n: &ManagedNode, g: u64| g == generation || n.ctx != ctx;
        if self.nodes.iter().zip(&self.seen).all(|(n, g)| kept(n, *g)) {
            return;
        }
        let kept_before: Vec<bool> = self
            .nodes
            .iter()
            .zip(&self.seen)
            .map(|(n, g)| kept(n, *g))
            .collect();
        let mut keep = Vec::with_capacity(self.nodes.len());
        let mut hay = Vec::with_capacity(self.nodes.len());
        let mut seen = Vec::with_capacity(self.nodes.len());
        for ((n, h), g) in self
            .nodes
            .drain(..)
            .zip(self.haystacks.drain(..))
            .zip(self.seen.drain(..))
        {
            if kept(&n, g) {
                keep.push(n);
                hay.push(h);
                seen.push(g);
            }
        }
        // The view keeps pointing at the same nodes until the next settle
        // (a key pressed in between acts on the node the user saw).
        let mut new_index = vec![usize::MAX; kept_before.len()];
        let mut next = 0;
        for (old, k) in kept_before.iter().enumerate() {
            if *k {
                new_index[old] = next;
                next += 1;
            }
        }
        let remap = |v: &mut Vec<usize>| {
            v.retain_mut(|i| match new_index.get(*i) {
                Some(&n) if n != usize::MAX => {
                    *i = n;
                    true
                }
                _ => false,
            })
        };
        let under = self.view.get(self.cursor).copied();
        remap(&mut self.view);
        remap(&mut self.order);
        if let Some(row) = under
            .and_then(|old| new_index.get(old).copied())
            .and_then(|ni| self.view.iter().position(|v| *v == ni))
        {
            self.cursor = row;
        }
        self.nodes = keep;
        self.haystacks = hay;
        self.recent.clear();
        self.seen = seen;
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        self.selected.retain(|id| self.index.contains_key(id));
    }

    /// Replaces the filter text and re-parses it.
    pub fn set_filter(&mut self, text: String) {
        self.query = FleetQuery::parse(&text).bind(&self.contexts);
        self.filter = text;
        self.rebind_remote();
        self.dirty_view = true;
    }

    /// The view is to be computed afresh (the query's answers changed).
    pub(super) fn forget_matches(&mut self) {
        self.recent.clear();
        self.dirty_view = true;
    }

    /// Sets the sort; the view follows on the next [`FleetState::settle`].
    pub fn sort_next(&mut self) {
        self.sort.next_of(&self.columns());
        self.dirty_order = true;
    }

    /// The loaded node with id `id`.
    pub fn node(&self, id: &str) -> Option<&ManagedNode> {
        self.index.get(id).map(|i| &self.nodes[*i])
    }

    /// Sorts by `column` (ascending; picking the current column again
    /// reverses it).
    pub fn sort_by(&mut self, column: Column) {
        self.sort.choose(column);
        self.dirty_order = true;
    }

    /// Reverses the sort order.
    pub fn sort_reverse(&mut self) {
        self.sort.reverse();
        self.dirty_order = true;
    }

    /// Moves the cursor to `row` (clamped) and remembers its node.
    pub fn move_to(&mut self, row: usize, page_rows: usize) {
        self.cursor = row.min(self.view.len().saturating_sub(1));
        self.cursor_id = self.current().map(|n| n.id.clone());
        self.follow(page_rows);
    }

    /// Moves the cursor by `delta` rows.
    pub fn move_by(&mut self, delta: isize, page_rows: usize) {
        let row = self.cursor.saturating_add_signed(delta);
        self.move_to(row, page_rows);
    }

    fn follow(&mut self, page_rows: usize) {
        let h = page_rows.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + h {
            self.scroll = self.cursor + 1 - h;
        }
        let max_scroll = self.view.len().saturating_sub(h);
        self.scroll = self.scroll.min(max_scroll);
    }

    /// Puts the cursor on node `id` on the next settle; false when the
    /// node is not loaded. A filter that hides it is set aside (see
    /// [`FleetState::put_filter_back`]), never lost; the selection is kept.
    pub fn reveal(&mut self, id: &str) -> bool {
        let Some(ni) = self.index.get(id).copied() else {
            return false;
        };
        if !self.view.contains(&ni) && !self.filter.is_empty() {
            if self.filter_aside.is_none() {
                self.filter_aside = Some(self.filter.clone());
            }
            self.set_filter(String::new());
        }
        self.cursor_id = Some(id.to_owned());
        self.dirty_view = true;
        self.revealed = true;
        true
    }

    /// Puts back the filter a jump set aside, if any; ends the jump.
    pub fn put_filter_back(&mut self) {
        self.revealed = false;
        if let Some(f) = self.filter_aside.take() {
            self.set_filter(f);
        }
    }

    /// Toggles selection of the node under the cursor.
    pub fn toggle_select(&mut self) {
        if let Some(id) = self.current().map(|n| n.id.clone())
            && !self.selected.remove(&id)
        {
            self.selected.insert(id);
        }
    }

    /// Selects every node in the view.
    pub fn select_all_matching(&mut self) {
        for i in &self.view {
            self.selected.insert(self.nodes[*i].id.clone());
        }
    }

    fn compare(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let (x, y) = (&self.nodes[a], &self.nodes[b]);
        // Rows without the sort column's value yet (a name, type or state
        // the EC2 join has not brought) sort last either way, so they do
        // not crowd the top of the table while the fleet loads.
        let (ex, ey) = (self.lacks(x), self.lacks(y));
        if ex != ey {
            return ex.cmp(&ey);
        }
        let primary = match self.sort.column {
            Column::LastPing => y.last_ping_s.cmp(&x.last_ping_s),
            Column::Tag(i) => {
                let k = self.tag_columns.get(i).map_or("", String::as_str);
                x.tag(k).cmp(&y.tag(k))
            }
            Column::Zone => zone(x).cmp(zone(y)),
            Column::Name => x.name.cmp(&y.name),
            Column::Id => x.id.cmp(&y.id),
            Column::Account | Column::Region => self
                .cell_text(x, self.sort.column)
                .cmp(&self.cell_text(y, self.sort.column))
                .then(x.ctx.cmp(&y.ctx)),
            Column::Ping => x.ping_status.cmp(&y.ping_status),
            Column::Platform => (&x.platform_name, &x.platform_version)
                .cmp(&(&y.platform_name, &y.platform_version)),
            Column::Agent => version_key(&x.agent_version).cmp(&version_key(&y.agent_version)),
            Column::Patch => patch_key(&y.patch).cmp(&patch_key(&x.patch)),
            // Worst first: failed, then pending.
            Column::Assoc => assoc_key(&y.associations).cmp(&assoc_key(&x.associations)),
            Column::Ip => ip_key(x.best_ip()).cmp(&ip_key(y.best_ip())),
            Column::Type => x.instance_type().cmp(y.instance_type()),
            Column::State => x.state().cmp(y.state()),
        };
        self.sort.apply(primary).then_with(|| x.id.cmp(&y.id))
    }

    /// Whether a node has no value in the sort column yet.
    fn lacks(&self, n: &ManagedNode) -> bool {
        match self.sort.column {
            Column::Id | Column::Ping | Column::Account | Column::Region => false,
            Column::LastPing => n.last_ping_s.is_none(),
            Column::Agent => n.agent_version.is_empty(),
            Column::Patch => n.patch == Patch::Unknown,
            Column::Assoc => n.associations.is_none(),
            Column::Platform => n.platform_name.is_empty(),
            Column::Name => n.name.is_empty(),
            Column::Ip => n.best_ip().is_empty(),
            Column::Type => n.instance_type().is_empty(),
            Column::State => n.state().is_empty(),
            Column::Zone => zone(n).is_empty(),
            Column::Tag(i) => self
                .tag_columns
                .get(i)
                .and_then(|k| n.tag(k))
                .is_none_or(str::is_empty),
        }
    }

    /// The nodes the query matches, in sort order, with their rank: from
    /// the recent matches of the same query, else by ranking the matches
    /// of a query this one narrows (one more character typed), else every
    /// node. Remembered for the keystrokes that follow.
    fn matches(&mut self) -> Vec<(usize, Rank)> {
        if let Some(hit) = self.recent.same(&self.query) {
            return hit.to_vec();
        }
        let mut matcher = new_matcher();
        let (query, nodes, hay) = (&self.query, &self.nodes, &self.haystacks);
        let rank = |i: usize, m: &mut Matcher| query.rank(&nodes[i], &hay[i], m).map(|r| (i, r));
        let ranked: Vec<(usize, Rank)> = match self.recent.narrowed_by(query) {
            Some(base) => base
                .iter()
                .filter_map(|&(i, _)| rank(i, &mut matcher))
                .collect(),
            None => self
                .order
                .iter()
                .filter_map(|&i| rank(i, &mut matcher))
                .collect(),
        };
        self.recent.remember(self.query.clone(), ranked.clone());
        ranked
    }

    /// Recomputes order and view if anything changed, keeping the cursor on
    /// the same node. `page_rows` is the table's visible height.
    pub fn settle(&mut self, page_rows: usize) {
        if self.dirty_order {
            let mut order: Vec<usize> = (0..self.nodes.len()).collect();
            order.sort_unstable_by(|a, b| self.compare(*a, *b));
            self.order = order;
            self.dirty_order = false;
            self.dirty_view = true;
            self.recent.clear();
        }
        if self.dirty_view {
            if self.query.is_empty() {
                self.view.clone_from(&self.order);
            } else {
                let mut ranked = self.matches();
                if self.query.fuzzy().is_some() {
                    // Exact, then prefix, then by score; ties keep the sort.
                    ranked.sort_by_key(|(_, r)| (r.class, std::cmp::Reverse(r.score)));
                }
                self.view = ranked.into_iter().map(|(i, _)| i).collect();
            }
            self.dirty_view = false;
            let row = self
                .cursor_id
                .as_ref()
                .and_then(|id| self.index.get(id))
                .and_then(|ni| self.view.iter().position(|v| v == ni));
            match row {
                Some(r) => {
                    self.cursor = r;
                    self.follow(page_rows);
                }
                None => {
                    // Nothing chosen yet (or the node is gone): keep the row,
                    // without pinning a node, so arriving pages don't drag it.
                    self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
                    self.follow(page_rows);
                }
            }
        }
    }
}

/// How many recent queries' matches [`RecentMatches`] keeps.
const RECENT_QUERIES: usize = 8;

/// The matches (node index and rank, in sort order) of the last few
/// filter queries, valid while the nodes and their order stay as they
/// were: cleared on any change to either. Typing one more character
/// ranks only the previous matches; Backspace finds its query here.
#[derive(Debug, Default)]
struct RecentMatches {
    entries: Vec<(FleetQuery, Vec<(usize, Rank)>)>,
}

impl RecentMatches {
    fn clear(&mut self) {
        self.entries.clear();
    }

    /// The matches of a query asking exactly what `q` asks.
    fn same(&self, q: &FleetQuery) -> Option<&[(usize, Rank)]> {
        self.entries
            .iter()
            .rev()
            .find(|(old, _)| q.same_as(old))
            .map(|(_, m)| m.as_slice())
    }

    /// The fewest matches of a query that `q` narrows.
    fn narrowed_by(&self, q: &FleetQuery) -> Option<&[(usize, Rank)]> {
        self.entries
            .iter()
            .filter(|(old, _)| q.narrows(old))
            .min_by_key(|(_, m)| m.len())
            .map(|(_, m)| m.as_slice())
    }

    fn remember(&mut self, q: FleetQuery, matches: Vec<(usize, Rank)>) {
        if self.entries.len() == RECENT_QUERIES {
            self.entries.remove(0);
        }
        self.entries.push((q, matches));
    }
}

/// An Online node whose last ping is older than this (seconds) is stale.
pub const STALE_ONLINE_S: i64 = 600;
/// Any node whose last ping is older than this (seconds) is stale.
pub const STALE_ANY_S: i64 = 86_400;

/// A relative age for `secs` seconds: `45s`, `3m`, `2h`, `5d` (whole
/// units, rounded down; a ping from the future reads `0s`).
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The EC2 availability zone, or empty.
fn zone(n: &ManagedNode) -> &str {
    n.ec2.as_ref().map_or("", |e| e.availability_zone.as_str())
}

/// Sort key for the PATCH column, worst highest: critical, then
/// security, failed, missing, waiting for a reboot; a node never scanned
/// above a compliant one.
fn patch_key(p: &Patch) -> (u8, u32, u32, u32, u32, u32) {
    match p {
        Patch::Unknown => (0, 0, 0, 0, 0, 0),
        Patch::Scanned(s) if !s.noncompliant() => (1, 0, 0, 0, 0, 0),
        Patch::NeverScanned => (2, 0, 0, 0, 0, 0),
        Patch::Scanned(s) => (
            3,
            s.critical,
            s.security,
            s.failed,
            s.missing,
            s.pending_reboot,
        ),
    }
}

/// Every column in display order for `tags` configured tag columns:
/// NAME, NODE ID, then ACCOUNT and REGION when `contexts` (rows from
/// several contexts), PING, LAST PING, the tags, PLATFORM, AGENT, PATCH
/// when `patch` (some node's patch state known), ASSOC when `assoc`
/// (some node has associations), IP, TYPE, AZ, STATE.
pub fn all_columns(tags: usize, contexts: bool, (patch, assoc): (bool, bool)) -> Vec<Column> {
    let mut cols = Column::ALL.to_vec();
    if contexts {
        cols.splice(2..2, [Column::Account, Column::Region]);
    }
    let mut after = cols.iter().position(|c| *c == Column::Agent);
    if patch && let Some(at) = after {
        cols.insert(at + 1, Column::Patch);
        after = Some(at + 1);
    }
    if assoc && let Some(at) = after {
        cols.insert(at + 1, Column::Assoc);
    }
    let at = cols
        .iter()
        .position(|c| *c == Column::LastPing)
        .unwrap_or(0)
        + 1;
    cols.splice(at..at, (0..tags).map(Column::Tag));
    cols
}

/// Sort key of a node's associations: failed, then pending, count; none
/// and unknown least.
fn assoc_key(a: &Option<crate::model::AssociationCounts>) -> (u8, u32, u32) {
    match a {
        None => (0, 0, 0),
        Some(a) => (1, a.failed, a.pending),
    }
}

/// Sort key for dotted versions (`3.3.987.0`): numeric per part.
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Sort key for IPv4 text: numeric octets; other text after.
fn ip_key(ip: &str) -> (u8, [u8; 4], &str) {
    match ip.parse::<std::net::Ipv4Addr>() {
        Ok(a) => (0, a.octets(), ""),
        Err(_) => (1, [0; 4], ip),
    }
}

/// The sum of no context's load.
fn no_stats() -> LoadStats {
    LoadStats {
        listing: crate::aws::fleet::Listing::Information,
        ..LoadStats::default()
    }
}

/// Adds `more` to `sum`: counts and calls summed, wall times the longest
/// (the contexts load side by side); the listing is
/// [`Listing::Properties`](crate::aws::fleet::Listing) when any context's
/// was (the sum starts from [`no_stats`]).
fn add_stats(sum: &mut LoadStats, more: &LoadStats) {
    if more.listing == crate::aws::fleet::Listing::Properties {
        sum.listing = more.listing;
    }
    sum.nodes += more.nodes;
    sum.ssm_calls += more.ssm_calls;
    sum.ec2_calls += more.ec2_calls;
    sum.tag_calls += more.tag_calls;
    sum.patch_calls += more.patch_calls;
    sum.ec2_done_ms = sum.ec2_done_ms.max(more.ec2_done_ms);
    sum.elapsed_ms = sum.elapsed_ms.max(more.elapsed_ms);
}
