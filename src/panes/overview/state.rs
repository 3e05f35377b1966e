//! The Overview's state: per context of the set, the managed nodes (as
//! the Fleet pane loaded them) by ping status, agent and platform, and the
//! open OpsItems by severity (GetOpsSummary); a total row; the
//! organization-wide counts where the caller has the Quick Setup resource
//! data sync. A cursor over the numbers: each is a jump to the pane that
//! lists them, filtered.

use super::jobs::{OrgCounts, OverviewJob};
use crate::aws::AwsError;
use crate::aws::contexts::ContextLoad;
use crate::aws::explorer::SeverityCounts;
use crate::model::{ContextLabel, ManagedNode, PingStatus};
use crate::pane::Goto;

/// One row's managed nodes, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pulse {
    /// Managed nodes.
    pub nodes: usize,
    /// Ping status Online.
    pub online: usize,
    /// ConnectionLost.
    pub lost: usize,
    /// Inactive.
    pub inactive: usize,
    /// SSM Agent not the newest release (`IsLatestVersion` false).
    pub agent_behind: usize,
    /// Patch-non-compliant: missing or failed patches, or waiting for a
    /// reboot (DescribeInstancePatchStates).
    pub patch_noncompliant: usize,
    /// Platform type Linux.
    pub linux: usize,
    /// Platform type Windows.
    pub windows: usize,
    /// Platform type MacOS.
    pub macos: usize,
}

impl Pulse {
    fn add(&mut self, n: &ManagedNode) {
        self.nodes += 1;
        match n.ping_status {
            PingStatus::Online => self.online += 1,
            PingStatus::ConnectionLost => self.lost += 1,
            PingStatus::Inactive => self.inactive += 1,
            PingStatus::Unknown => {}
        }
        if n.agent_is_latest == Some(false) {
            self.agent_behind += 1;
        }
        if n.patch.summary().is_some_and(|p| p.noncompliant()) {
            self.patch_noncompliant += 1;
        }
        match n.platform_type.to_ascii_lowercase().as_str() {
            "linux" => self.linux += 1,
            "windows" => self.windows += 1,
            "macos" => self.macos += 1,
            _ => {}
        }
    }

    fn sum(&mut self, o: &Pulse) {
        self.nodes += o.nodes;
        self.online += o.online;
        self.lost += o.lost;
        self.inactive += o.inactive;
        self.agent_behind += o.agent_behind;
        self.patch_noncompliant += o.patch_noncompliant;
        self.linux += o.linux;
        self.windows += o.windows;
        self.macos += o.macos;
    }
}

/// Where one context's node counts stand (from the Fleet's load).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodesMark {
    /// Still loading (or not started).
    #[default]
    Loading,
    /// Every page arrived.
    Done,
    /// The listing failed: why, in the console's words.
    Failed(String),
}

/// One context's open OpsItems.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OpsCount {
    /// Asked, not answered yet.
    #[default]
    Waiting,
    /// Open by severity.
    Done(SeverityCounts),
    /// GetOpsSummary failed.
    Failed(AwsError),
}

/// The organization-wide part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OrgView {
    /// Not asked yet.
    #[default]
    NotAsked,
    /// Asked.
    Loading,
    /// The caller has no such sync (not the delegated administrator), or
    /// the call failed: why, in the console's words.
    Unavailable(String),
    /// Counted.
    Ready(OrgCounts),
}

/// A column of numbers the cursor moves over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Managed nodes.
    Nodes,
    /// Online.
    Online,
    /// ConnectionLost.
    Lost,
    /// Inactive.
    Inactive,
    /// Agents needing an update.
    AgentBehind,
    /// Patch-non-compliant nodes.
    PatchNoncompliant,
    /// Linux nodes.
    Linux,
    /// Windows nodes.
    Windows,
    /// macOS nodes.
    MacOs,
    /// Open OpsItems of severity 1 … 4.
    Severity(u8),
}

impl Metric {
    /// Every column, left to right.
    pub const ALL: [Metric; 13] = [
        Metric::Nodes,
        Metric::Online,
        Metric::Lost,
        Metric::Inactive,
        Metric::AgentBehind,
        Metric::PatchNoncompliant,
        Metric::Linux,
        Metric::Windows,
        Metric::MacOs,
        Metric::Severity(1),
        Metric::Severity(2),
        Metric::Severity(3),
        Metric::Severity(4),
    ];

    /// Column title.
    pub fn title(self) -> &'static str {
        match self {
            Metric::Nodes => "NODES",
            Metric::Online => "ONLINE",
            Metric::Lost => "LOST",
            Metric::Inactive => "INACT",
            Metric::AgentBehind => "AGENT↑",
            Metric::PatchNoncompliant => "PATCH✗",
            Metric::Linux => "LINUX",
            Metric::Windows => "WINDOWS",
            Metric::MacOs => "MACOS",
            Metric::Severity(1) => "SEV1",
            Metric::Severity(2) => "SEV2",
            Metric::Severity(3) => "SEV3",
            Metric::Severity(_) => "SEV4",
        }
    }

    /// What the number counts, for the status line.
    pub fn meaning(self) -> &'static str {
        match self {
            Metric::Nodes => "managed nodes",
            Metric::Online => "nodes Online",
            Metric::Lost => "nodes ConnectionLost",
            Metric::Inactive => "nodes Inactive",
            Metric::AgentBehind => "nodes whose SSM Agent needs an update",
            Metric::PatchNoncompliant => {
                "nodes missing patches, failed to patch or waiting for a reboot"
            }
            Metric::Linux => "Linux nodes",
            Metric::Windows => "Windows nodes",
            Metric::MacOs => "macOS nodes",
            Metric::Severity(1) => "open OpsItems of severity 1 (critical)",
            Metric::Severity(2) => "open OpsItems of severity 2 (high)",
            Metric::Severity(3) => "open OpsItems of severity 3 (medium)",
            Metric::Severity(_) => "open OpsItems of severity 4 (low) or none",
        }
    }

    /// The filter term it adds (empty for every node).
    fn term(self) -> String {
        match self {
            Metric::Nodes => String::new(),
            Metric::Online => "ping:online".into(),
            Metric::Lost => "ping:connectionlost".into(),
            Metric::Inactive => "ping:inactive".into(),
            Metric::AgentBehind => "agent:outdated".into(),
            Metric::PatchNoncompliant => "patch:noncompliant".into(),
            Metric::Linux => "platform:linux".into(),
            Metric::Windows => "platform:windows".into(),
            Metric::MacOs => "platform:macos".into(),
            // Severity 4 counts items without one too; `sev:4` lists
            // those that have it.
            Metric::Severity(s) => format!("status:Open,InProgress sev:{s}"),
        }
    }
}

/// The Overview pane's state.
#[derive(Debug, Default)]
pub struct OverviewState {
    /// The context set's labels (empty: one unnamed context).
    pub contexts: Vec<ContextLabel>,
    /// Node counts per context, by [`ContextId`](crate::model::ContextId).
    pub pulses: Vec<Pulse>,
    /// Each context's node load.
    pub node_marks: Vec<NodesMark>,
    /// Each context's open OpsItems.
    pub ops: Vec<OpsCount>,
    /// The organization-wide counts.
    pub org: OrgView,
    /// Generation of the newest OpsItem count.
    pub generation: u64,
    /// Whether the first loads were asked for.
    pub started: bool,
    /// Cursor row: a context, or the total row after them.
    pub row: usize,
    /// Cursor column, in [`Metric::ALL`].
    pub col: usize,
    /// The rows the last draw put on screen (a click moves the cursor
    /// there).
    pub hits: crate::widgets::hits::RowHits,
    /// Number of nodes the counts were made from (recount when it moves).
    counted: Option<(usize, usize)>,
}

impl OverviewState {
    /// Rows of the table: one per context (at least one) and the total.
    pub fn rows(&self) -> usize {
        self.contexts.len().max(1) + 1
    }

    /// Sets the context set's labels; counts start again.
    pub fn set_contexts(&mut self, labels: Vec<ContextLabel>) {
        self.contexts = labels;
        self.counted = None;
        self.row = self.row.min(self.rows() - 1);
    }

    /// Counts `nodes` per context and reads each context's load state;
    /// does nothing when neither changed since the last count (`loads`
    /// is the Fleet's, by context).
    pub fn recount(&mut self, nodes: &[ManagedNode], loading: bool, loads: &[ContextLoad]) {
        let key = (nodes.len(), usize::from(loading));
        let marks: Vec<NodesMark> = (0..self.contexts.len().max(1))
            .map(|i| match loads.get(i) {
                Some(ContextLoad::Done) => NodesMark::Done,
                Some(ContextLoad::Failed(e)) => NodesMark::Failed(e.to_string()),
                Some(ContextLoad::Loading { .. }) => NodesMark::Loading,
                None if loading => NodesMark::Loading,
                None => NodesMark::Done,
            })
            .collect();
        if self.counted == Some(key) && marks == self.node_marks {
            return;
        }
        let mut pulses = vec![Pulse::default(); self.contexts.len().max(1)];
        for n in nodes {
            if let Some(p) = pulses.get_mut(n.ctx.index()) {
                p.add(n);
            }
        }
        self.pulses = pulses;
        self.node_marks = marks;
        self.counted = Some(key);
    }

    /// Starts counting open OpsItems in every context.
    pub fn begin_ops(&mut self) -> OverviewJob {
        self.generation += 1;
        self.ops = vec![OpsCount::Waiting; self.contexts.len().max(1)];
        OverviewJob::Ops {
            generation: self.generation,
        }
    }

    /// Starts the organization-wide count.
    pub fn begin_org(&mut self) -> OverviewJob {
        self.org = OrgView::Loading;
        OverviewJob::Org
    }

    /// The node counts of every context, summed.
    pub fn total(&self) -> Pulse {
        let mut t = Pulse::default();
        for p in &self.pulses {
            t.sum(p);
        }
        t
    }

    /// Open OpsItems of every context that answered, summed, and whether
    /// every context has answered.
    pub fn ops_total(&self) -> (SeverityCounts, bool) {
        let mut t = [0u64; 4];
        let mut all = true;
        for o in &self.ops {
            match o {
                OpsCount::Done(c) => (0..4).for_each(|k| t[k] += c[k]),
                _ => all = false,
            }
        }
        (t, all && !self.ops.is_empty())
    }

    /// The number in row `row` (a context, or the total after them) and
    /// column `m`; `None` while it is not known.
    pub fn value(&self, row: usize, m: Metric) -> Option<u64> {
        let total_row = row >= self.contexts.len().max(1);
        if let Metric::Severity(s) = m {
            let k = usize::from(s.clamp(1, 4)) - 1;
            return if total_row {
                let (t, _) = self.ops_total();
                (!self.ops.is_empty()).then_some(t[k])
            } else {
                match self.ops.get(row) {
                    Some(OpsCount::Done(c)) => Some(c[k]),
                    _ => None,
                }
            };
        }
        let p = if total_row {
            self.total()
        } else {
            self.pulses.get(row).copied()?
        };
        Some(
            (match m {
                Metric::Nodes => p.nodes,
                Metric::Online => p.online,
                Metric::Lost => p.lost,
                Metric::Inactive => p.inactive,
                Metric::AgentBehind => p.agent_behind,
                Metric::PatchNoncompliant => p.patch_noncompliant,
                Metric::Linux => p.linux,
                Metric::Windows => p.windows,
                Metric::MacOs => p.macos,
                Metric::Severity(_) => 0,
            }) as u64,
        )
    }

    /// The `account:… region:…` terms naming context row `row` (empty for
    /// the total row and with one context). The account by its id where
    /// known (ids are 12 digits: a prefix of one names it alone), else its
    /// profile.
    fn place(&self, row: usize) -> String {
        let Some(l) = self.contexts.get(row).filter(|_| self.contexts.len() > 1) else {
            return String::new();
        };
        let account = l
            .account
            .as_deref()
            .or(l.profile.as_deref())
            .map(|a| format!("account:{a} "))
            .unwrap_or_default();
        format!("{account}region:{}", l.region)
    }

    /// Where the number at the cursor leads: the Fleet or OpsCenter pane
    /// with a filter that lists exactly the nodes or OpsItems counted
    /// (severity 4 also counts OpsItems without a severity; `sev:4` lists
    /// those with one).
    pub fn jump(&self) -> Goto {
        let m = Metric::ALL[self.col.min(Metric::ALL.len() - 1)];
        let filter = [self.place(self.row), m.term()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        match m {
            Metric::Severity(_) => Goto::OpsFilter(filter),
            _ => Goto::FleetFilter(filter),
        }
    }

    /// The metric under the cursor.
    pub fn metric(&self) -> Metric {
        Metric::ALL[self.col.min(Metric::ALL.len() - 1)]
    }

    /// Moves the cursor `down` rows (negative: up) and `right` columns,
    /// clamped.
    pub fn step(&mut self, down: isize, right: isize) {
        let clamp = |v: usize, d: isize, n: usize| v.saturating_add_signed(d).min(n - 1);
        self.row = clamp(self.row, down, self.rows());
        self.col = clamp(self.col, right, Metric::ALL.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContextId;

    fn node(ctx: u16, ping: PingStatus, platform: &str, latest: Option<bool>) -> ManagedNode {
        ManagedNode {
            id: format!("i-{ctx}{platform}"),
            ctx: ContextId(ctx),
            ping_status: ping,
            platform_type: platform.into(),
            agent_is_latest: latest,
            ..ManagedNode::default()
        }
    }

    fn two_contexts() -> OverviewState {
        let mut s = OverviewState::default();
        s.set_contexts(vec![
            ContextLabel {
                id: ContextId(0),
                region: "us-east-1".into(),
                account: Some("111111111111".into()),
                ..ContextLabel::default()
            },
            ContextLabel {
                id: ContextId(1),
                region: "eu-west-1".into(),
                profile: Some("prod-b".into()),
                ..ContextLabel::default()
            },
        ]);
        s
    }

    #[test]
    fn counts_per_context_and_in_total() {
        let mut s = two_contexts();
        let nodes = vec![
            node(0, PingStatus::Online, "Linux", Some(true)),
            node(0, PingStatus::ConnectionLost, "Windows", Some(false)),
            node(1, PingStatus::Online, "Linux", Some(false)),
            node(1, PingStatus::Inactive, "MacOS", None),
        ];
        s.recount(&nodes, false, &[ContextLoad::Done, ContextLoad::Done]);
        assert_eq!(s.value(0, Metric::Nodes), Some(2));
        assert_eq!(s.value(0, Metric::Lost), Some(1));
        assert_eq!(s.value(1, Metric::AgentBehind), Some(1));
        assert_eq!(s.value(1, Metric::MacOs), Some(1));
        assert_eq!(s.value(2, Metric::Nodes), Some(4), "the total row");
        assert_eq!(s.value(2, Metric::Linux), Some(2));
        assert_eq!(s.value(2, Metric::AgentBehind), Some(2));
        assert_eq!(s.value(0, Metric::Severity(1)), None, "not asked yet");
        let _ = s.begin_ops();
        s.ops[0] = OpsCount::Done([1, 0, 2, 3]);
        assert_eq!(s.value(0, Metric::Severity(3)), Some(2));
        assert_eq!(s.value(1, Metric::Severity(3)), None, "still waiting");
        assert_eq!(s.ops_total(), ([1, 0, 2, 3], false));
        s.ops[1] = OpsCount::Done([0, 1, 0, 0]);
        assert_eq!(s.ops_total(), ([1, 1, 2, 3], true));
        assert_eq!(s.value(2, Metric::Severity(2)), Some(1));
    }

    #[test]
    fn a_failed_context_is_marked_and_counted_from_what_arrived() {
        let mut s = two_contexts();
        let e = AwsError::local("ssm:DescribeInstanceInformation", "denied");
        s.recount(
            &[node(0, PingStatus::Online, "Linux", None)],
            true,
            &[ContextLoad::Done, ContextLoad::Failed(e)],
        );
        assert_eq!(s.node_marks[0], NodesMark::Done);
        assert!(matches!(&s.node_marks[1], NodesMark::Failed(t) if t.contains("denied")));
        assert_eq!(s.value(2, Metric::Nodes), Some(1));
    }

    #[test]
    fn every_number_jumps_to_the_pane_that_lists_it_filtered() {
        let mut s = two_contexts();
        assert_eq!(
            s.jump(),
            Goto::FleetFilter("account:111111111111 region:us-east-1".into())
        );
        s.step(1, 2);
        assert_eq!(
            s.jump(),
            Goto::FleetFilter("account:prod-b region:eu-west-1 ping:connectionlost".into()),
            "an account not known yet is named by its profile"
        );
        s.step(0, 2);
        assert_eq!(
            s.jump(),
            Goto::FleetFilter("account:prod-b region:eu-west-1 agent:outdated".into())
        );
        s.step(0, 1);
        assert_eq!(
            s.jump(),
            Goto::FleetFilter("account:prod-b region:eu-west-1 patch:noncompliant".into())
        );
        s.step(1, 4);
        assert_eq!(s.row, 2, "the total row");
        assert_eq!(
            s.jump(),
            Goto::OpsFilter("status:Open,InProgress sev:1".into()),
            "the total has no place terms"
        );
        s.step(9, 99);
        assert_eq!((s.row, s.col), (2, Metric::ALL.len() - 1), "clamped");
        s.step(-9, -99);
        assert_eq!((s.row, s.col), (0, 0));
    }

    #[test]
    fn with_one_context_a_jump_has_no_place_terms() {
        let mut s = OverviewState::default();
        s.set_contexts(vec![ContextLabel::default()]);
        s.step(0, 1);
        assert_eq!(s.jump(), Goto::FleetFilter("ping:online".into()));
    }
}
