//! Run Command pane state: runs with per-node status and output, grouping
//! by identical output, history, and the composer (see `compose`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::compose::Compose;
use crate::aws::AwsError;
use crate::aws::commands::{FullOutput, LiveLine};
use crate::model::{CommandInvocation, CommandStatus, CommandSummary, InvocationStatus};

/// Live output kept per node, in bytes; past it the oldest lines go and the
/// view says how many bytes were dropped.
pub const LIVE_KEEP_BYTES: usize = 64 * 1024;
/// First poll delay after a change, and the ceiling it backs off to.
pub const POLL_MIN: Duration = Duration::from_millis(500);
/// See [`POLL_MIN`].
pub const POLL_MAX: Duration = Duration::from_secs(5);
/// The longest poll delay while the end may be near: live output came
/// within [`OUTPUT_RECENT`], or all but a few nodes are final. A finished
/// command then shows as finished within about a second.
pub const POLL_SOON: Duration = Duration::from_millis(700);
/// Live output this recent counts as "still arriving".
pub const OUTPUT_RECENT: Duration = Duration::from_secs(3);

/// Live output of one node: the lines in one buffer (each ends with `\n`)
/// and, per line, where it starts and whether it came from stderr. One
/// allocation per node instead of one per line.
#[derive(Debug, Clone, Default)]
pub struct LiveOutput {
    text: String,
    lines: std::collections::VecDeque<(usize, bool)>,
    /// Offset of `text[0]` in the node's whole output (grows as lines are dropped).
    base: usize,
}

impl LiveOutput {
    /// Number of lines kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes kept.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// The lines, oldest first: (from stderr, text without the newline).
    pub fn iter(&self) -> impl Iterator<Item = (bool, &str)> {
        let ends = self
            .lines
            .iter()
            .skip(1)
            .map(|(o, _)| *o - self.base)
            .chain(std::iter::once(self.text.len()));
        self.lines
            .iter()
            .zip(ends)
            .map(|((start, err), end)| (*err, &self.text[*start - self.base..end - 1]))
    }

    fn push(&mut self, stderr: bool, line: &str) {
        self.lines.push_back((self.base + self.text.len(), stderr));
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Drops the oldest lines until at most `keep` bytes remain; returns the bytes dropped.
    fn trim(&mut self, keep: usize) -> usize {
        let mut cut = 0;
        while self.text.len() - cut > keep && self.lines.len() > 1 {
            self.lines.pop_front();
            cut = self
                .lines
                .front()
                .map_or(self.text.len(), |(o, _)| *o - self.base);
        }
        if self.text.len() - cut > keep {
            // One line longer than the bound: drop it too.
            self.lines.clear();
            cut = self.text.len();
        }
        if cut > 0 {
            self.text.drain(..cut);
            self.base += cut;
        }
        cut
    }
}

/// One node of a run.
#[derive(Debug, Clone, Default)]
pub struct NodeRun {
    /// Latest status from ListCommandInvocations.
    pub inv: CommandInvocation,
    /// Live lines, bounded by [`LIVE_KEEP_BYTES`].
    pub live: LiveOutput,
    /// Bytes of live output dropped to stay within the bound.
    pub dropped_bytes: usize,
    /// Full output once fetched (GetCommandInvocation, completed from
    /// CloudWatch Logs where it was cut).
    pub full: Option<FullOutput>,
    /// The first non-empty line of `StandardErrorContent`
    /// (GetCommandInvocation), read for a node that ran and failed when its
    /// plugin output does not carry it; `Some("")`: no error output.
    pub stderr_line: Option<String>,
    /// GetCommandInvocation was asked for `stderr_line` (once per node).
    pub stderr_asked: bool,
}

/// The marker AWS puts between stdout and stderr in a plugin's `Output`
/// (ListCommandInvocations with Details, at most 2,500 characters).
pub const ERROR_MARKER: &str = "----------ERROR-------";

/// Whether invocation `inv` ran its script and failed (`Failed`,
/// `TimedOut` in execution): it may have written to stderr. Not the ones
/// that never ran (`Undeliverable`, `DeliveryTimedOut`, `InvalidPlatform`,
/// `Terminated` by MaxErrors).
pub fn ran_and_failed(inv: &CommandInvocation) -> bool {
    matches!(
        inv.status,
        InvocationStatus::Failed | InvocationStatus::TimedOut
    ) && !matches!(
        inv.details.as_str(),
        "Undeliverable" | "DeliveryTimedOut" | "InvalidPlatform" | "Terminated"
    )
}

/// The first non-empty line of `text`, trimmed of trailing blanks.
fn first_non_empty(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty())
}

impl NodeRun {
    /// The first non-empty stderr line, when known: from the fetched full
    /// output, else GetCommandInvocation's `StandardErrorContent`, else
    /// the part of the plugin output after [`ERROR_MARKER`]. `Some("")`:
    /// known to be empty.
    pub fn stderr_first(&self) -> Option<&str> {
        if let Some(f) = &self.full {
            return Some(first_non_empty(&f.stderr).unwrap_or(""));
        }
        if let Some(l) = &self.stderr_line {
            return Some(l);
        }
        let (_, err) = self.inv.output.split_once(ERROR_MARKER)?;
        first_non_empty(err)
    }

    /// Whether GetCommandInvocation should be asked for this node's stderr:
    /// it ran and failed, nothing says its first stderr line yet, and it
    /// was not asked before.
    pub fn wants_stderr(&self) -> bool {
        ran_and_failed(&self.inv) && !self.stderr_asked && self.stderr_first().is_none()
    }
}

/// One sent command (possibly several command ids, 50 nodes each).
#[derive(Debug, Clone)]
pub struct Run {
    /// Local number.
    pub number: usize,
    /// Command ids.
    pub command_ids: Vec<String>,
    /// Document.
    pub document: String,
    /// The commands.
    pub commands: Vec<String>,
    /// CloudWatch group, when output goes there.
    pub log_group: Option<String>,
    /// Nodes by id.
    pub nodes: BTreeMap<String, NodeRun>,
    /// When it was sent.
    pub started: Instant,
    /// When every node was final.
    pub finished: Option<Instant>,
    /// Poll cycles so far.
    pub polls: u32,
    /// ListCommandInvocations calls in the last cycle.
    pub last_poll_calls: u32,
    /// Next poll delay.
    pub poll_delay: Duration,
    /// Log events consumed per command id (FilterLogEvents position).
    pub live_cursor: BTreeMap<String, crate::aws::commands::LiveCursor>,
    /// Why the last poll failed.
    pub error: Option<AwsError>,
    /// The command does not exist here (`InvalidCommandId`: past Run
    /// Command's 30 days, or another account's): not polled again.
    pub gone: bool,
    /// Each command's own status and TargetCount (ListCommands), by id.
    pub summaries: BTreeMap<String, CommandSummary>,
    /// The wall clock when the run opened (epoch seconds, as the shell
    /// passed it) and the instant of that update: maps node start times
    /// (epoch) onto the render's `now`. `None`: unknown (tests, epoch 0).
    pub clock: Option<(i64, Instant)>,
    /// When live output last brought lines (polls come sooner while it does).
    pub last_output: Option<Instant>,
    /// When AWS says the command was requested (ListCommands, epoch
    /// seconds), for a run reopened from history: its timer counts from
    /// then, and a finished one's runs to its last node's end. `None` for
    /// a run sent here (it counts from the send to when a poll found it done).
    pub requested_s: Option<f64>,
}

impl Run {
    /// The wall clock at `now`, epoch seconds, from [`Run::clock`].
    pub fn epoch_at(&self, now: Instant) -> Option<f64> {
        let (epoch, at) = self.clock?;
        Some(epoch as f64 + now.saturating_duration_since(at).as_secs_f64())
    }

    /// How long the run took once finished: for a run reopened from
    /// history, from its request to its last node's end (AWS's times);
    /// else from the send to the poll that found it done.
    pub fn took(&self) -> Option<Duration> {
        let end = self.finished?;
        let last = self
            .nodes
            .values()
            .filter_map(|n| n.inv.end_s)
            .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
        Some(match (self.requested_s, last) {
            (Some(r), Some(e)) => Duration::from_secs_f64((e - r).max(0.0)),
            _ => end.saturating_duration_since(self.started),
        })
    }

    /// Whether all but a few listed nodes are final (at least one is, and
    /// at most 3 or a tenth are not): the end is near.
    pub fn near_end(&self) -> bool {
        let total = self.nodes.len();
        let left = self
            .nodes
            .values()
            .filter(|n| !n.inv.status.is_final())
            .count();
        left > 0 && left < total && left <= (total / 10).max(3)
    }

    /// The delay before the next status poll after one that answered:
    /// [`POLL_MIN`] after a change; else doubling up to [`POLL_MAX`], but
    /// never more than a quarter of the time the run has taken (a short
    /// command's end is not left waiting on a long back-off) and never more
    /// than [`POLL_SOON`] while live output still arrives or all but a few
    /// nodes are done. Never below [`POLL_MIN`]: no busy loop.
    pub fn next_poll_delay(&self, changed: bool, now: Instant) -> Duration {
        if changed {
            return POLL_MIN;
        }
        let share = (now.saturating_duration_since(self.started) / 4).max(POLL_MIN);
        let mut d = (self.poll_delay * 2).min(POLL_MAX).min(share);
        let output = self
            .last_output
            .is_some_and(|t| now.saturating_duration_since(t) < OUTPUT_RECENT);
        if output || self.near_end() {
            d = d.min(POLL_SOON);
        }
        d.max(POLL_MIN)
    }

    /// Counts by status, in a stable order.
    pub fn counts(&self) -> Vec<(InvocationStatus, usize)> {
        let mut m: BTreeMap<InvocationStatus, usize> = BTreeMap::new();
        for n in self.nodes.values() {
            *m.entry(n.inv.status).or_default() += 1;
        }
        m.into_iter().collect()
    }

    /// Whether the run has finished: for every command, ListCommands has
    /// answered, and either its own status is final or its TargetCount is
    /// known, and every invocation of it is listed (TargetCount of them) and
    /// final. Tag targets resolve after the send (TargetCount 0 and no
    /// invocations at first, then a few at a time), so a list of final
    /// invocations alone does not mean the run is over.
    pub fn done(&self) -> bool {
        !self.command_ids.is_empty()
            && self.command_ids.iter().all(|id| {
                let Some(c) = self.summaries.get(id) else {
                    return false;
                };
                let invs: Vec<&NodeRun> = self
                    .nodes
                    .values()
                    .filter(|n| &n.inv.command_id == id)
                    .collect();
                (c.status.is_final() || c.target_count > 0)
                    && invs.len() == usize::try_from(c.target_count).unwrap_or(0)
                    && invs.iter().all(|n| n.inv.status.is_final())
            })
    }

    /// The commands' own statuses (ListCommands) with how many have each.
    pub fn command_statuses(&self) -> Vec<(CommandStatus, usize)> {
        let mut m: BTreeMap<CommandStatus, usize> = BTreeMap::new();
        for c in self.summaries.values() {
            *m.entry(c.status).or_default() += 1;
        }
        m.into_iter().collect()
    }

    /// Node ids worth a re-run: failed, timed out, or never started because
    /// MaxErrors was exceeded (`Terminated`); not the ones that cannot be
    /// reached or run this document (`Undeliverable`, `InvalidPlatform`).
    pub fn failed(&self) -> Vec<String> {
        self.nodes
            .values()
            .filter(|n| {
                let again = matches!(
                    n.inv.status,
                    InvocationStatus::Failed | InvocationStatus::TimedOut
                ) || n.inv.details == "Terminated";
                again && !matches!(n.inv.details.as_str(), "Undeliverable" | "InvalidPlatform")
            })
            .map(|n| n.inv.instance_id.clone())
            .collect()
    }

    /// The output a node shows: full if fetched (with the truncation note
    /// last when it is cut), else the plugin output, else live lines.
    pub fn output_of(&self, id: &str) -> String {
        let Some(n) = self.nodes.get(id) else {
            return String::new();
        };
        if let Some(f) = &n.full {
            let mut s = f.stdout.clone();
            s.push_str(&f.stderr);
            if let Some(m) = f.marker() {
                if !s.is_empty() && !s.ends_with('\n') {
                    s.push('\n');
                }
                s.push_str(&m);
                s.push('\n');
            }
            return s;
        }
        if !n.inv.output.is_empty() {
            return n.inv.output.clone();
        }
        n.live.text.clone()
    }

    /// Whether the node's fetched output is known to be cut (see
    /// [`FullOutput::marker`]).
    pub fn truncated(&self, id: &str) -> bool {
        self.nodes
            .get(id)
            .and_then(|n| n.full.as_ref())
            .is_some_and(FullOutput::truncated)
    }

    /// The first line of a node's output, without building the whole text.
    pub fn first_line(&self, id: &str) -> &str {
        let Some(n) = self.nodes.get(id) else {
            return "";
        };
        if let Some(f) = &n.full {
            return f
                .stdout
                .lines()
                .next()
                .or_else(|| f.stderr.lines().next())
                .unwrap_or("");
        }
        if !n.inv.output.is_empty() {
            return n.inv.output.lines().next().unwrap_or("");
        }
        n.live.iter().next().map_or("", |(_, l)| l)
    }

    /// Nodes grouped by (status, status details, exit code, output),
    /// largest group first: an `InvalidPlatform` node is not grouped with
    /// one whose script failed without output.
    ///
    /// The output compared is the plugin output ListCommandInvocations
    /// gives every node alike (stdout, then AWS's `----------ERROR-------`
    /// and stderr), not the fetched full output: following one node (which
    /// fetches its stdout and stderr apart) must not move it into a group
    /// of its own. Nodes without plugin output compare what they show.
    pub fn groups(&self) -> Vec<Group> {
        type Key = (InvocationStatus, String, i32, String);
        let mut m: BTreeMap<Key, Vec<String>> = BTreeMap::new();
        for (id, n) in &self.nodes {
            let out = if !n.inv.status.is_final() {
                String::new()
            } else if !n.inv.output.is_empty() {
                n.inv.output.clone()
            } else {
                self.output_of(id)
            };
            m.entry((
                n.inv.status,
                n.inv.details.clone(),
                n.inv.response_code,
                out,
            ))
            .or_default()
            .push(id.clone());
        }
        let mut groups: Vec<Group> = m
            .into_iter()
            .map(|((status, details, code, output), nodes)| Group {
                status,
                details,
                code,
                output,
                nodes,
            })
            .collect();
        groups.sort_by(|a, b| {
            b.nodes
                .len()
                .cmp(&a.nodes.len())
                .then(a.status.cmp(&b.status))
        });
        groups
    }

    /// "3 nodes: web-1, web-2, web-3" or "40 nodes: web-1, web-2 +38 more":
    /// how many nodes the group has and the first of them by name (the node
    /// id where SSM knows no name), as many as fit in `width` characters.
    /// Names are AWS's data: escaped.
    pub fn group_label(&self, g: &Group, width: usize) -> String {
        let n = g.nodes.len();
        let head = if n == 1 {
            "1 node".to_owned()
        } else {
            format!("{n} nodes")
        };
        let mut names: Vec<String> = g
            .nodes
            .iter()
            .map(|id| {
                let name = self
                    .nodes
                    .get(id)
                    .map_or("", |r| r.inv.instance_name.as_str());
                crate::widgets::raw_json::sanitize(if name.is_empty() { id } else { name })
            })
            .collect();
        names.sort();
        let mut out = format!("{head}:");
        for (i, name) in names.iter().enumerate() {
            let left = n - i - 1;
            let more = if left > 0 {
                format!(" +{left} more")
            } else {
                String::new()
            };
            let sep = if i == 0 { " " } else { ", " };
            let used = out.chars().count() + sep.len() + more.len();
            if used + name.chars().count() <= width {
                out.push_str(sep);
                out.push_str(name);
                continue;
            }
            if i > 0 {
                out.push_str(&format!(" +{} more", n - i));
                return out;
            }
            // The first name, cut with an ellipsis so the count still
            // shows; where not even 4 characters of it fit, the count alone.
            let room = width.saturating_sub(used);
            if room < 4 {
                return head;
            }
            let cut: String = name.chars().take(room - 1).collect();
            return format!("{out} {cut}…{more}");
        }
        out
    }

    /// Applies live lines, keeping at most [`LIVE_KEEP_BYTES`] per node.
    pub fn add_live(&mut self, lines: Vec<LiveLine>) {
        for l in lines {
            let n = self.nodes.entry(l.instance_id.clone()).or_default();
            n.live.push(l.stderr, &l.text);
            n.dropped_bytes += n.live.trim(LIVE_KEEP_BYTES);
        }
    }
}

/// For each of `groups` (same order), the index of the first output line
/// that tells it apart from the group whose output is most like its own:
/// the number of leading lines it shares with that group. 0 when its
/// output differs from every other from the first line on, or when no
/// other group has a different output (groups that differ only by status
/// or exit code). Four groups that all print `tick 1` … `tick 3` and then
/// their role get 3 each. Distinct outputs sorted by their lines: the
/// longest shared prefix is with a neighbour, so O(G log G) comparisons.
pub fn differing_lines(groups: &[Group]) -> Vec<usize> {
    let lines: Vec<Vec<&str>> = groups.iter().map(|g| g.output.lines().collect()).collect();
    let mut distinct: Vec<&Vec<&str>> = lines.iter().collect();
    distinct.sort();
    distinct.dedup();
    let shared = |a: &[&str], b: &[&str]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let mut at: BTreeMap<&Vec<&str>, usize> = BTreeMap::new();
    for (i, d) in distinct.iter().enumerate() {
        let before = i.checked_sub(1).map_or(0, |j| shared(d, distinct[j]));
        let after = distinct.get(i + 1).map_or(0, |n| shared(d, n));
        at.insert(d, before.max(after));
    }
    lines
        .iter()
        .map(|l| at.get(l).copied().unwrap_or(0))
        .collect()
}

/// What a group row says of its output: from line `index` (0-based, see
/// [`differing_lines`]) on, at most `max` lines; `None` when the output
/// ends before that line (it is the other group's output cut short).
pub fn lines_from(output: &str, index: usize, max: usize) -> Option<Vec<&str>> {
    let rest: Vec<&str> = output.lines().skip(index).take(max).collect();
    (!rest.is_empty() || index == 0).then_some(rest)
}

/// Nodes that ended the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Status.
    pub status: InvocationStatus,
    /// StatusDetails (`InvalidPlatform`, `DeliveryTimedOut`…; AWS's text).
    pub details: String,
    /// Exit code.
    pub code: i32,
    /// Output (plugin output or fetched).
    pub output: String,
    /// Node ids.
    pub nodes: Vec<String>,
}

/// The pane's state.
#[derive(Debug, Default)]
pub struct CommandsState {
    /// Where the last draw put the list's rows (mouse clicks).
    pub hits: crate::widgets::hits::RowHits,
    /// The raw JSON view of an invocation (`y`), drawn over the pane while open.
    pub json: Option<crate::widgets::raw_json::RawJson>,
    /// The composer, when open.
    pub compose: Option<Compose>,
    /// Runs of this session, oldest first.
    pub runs: Vec<Run>,
    /// Run on screen.
    pub current: Option<usize>,
    /// Cursor row in the grid (or groups).
    pub cursor: usize,
    /// First visible row.
    pub scroll: usize,
    /// Show groups instead of nodes.
    pub grouped: bool,
    /// Show the followed node's output.
    pub follow: bool,
    /// Search text within the followed output.
    pub search: Option<String>,
    /// Nodes chosen in the grid (for cancel).
    pub chosen: std::collections::BTreeSet<String>,
    /// Past commands (ListCommands), when loaded.
    pub history: Option<Vec<CommandSummary>>,
    /// Showing history.
    pub show_history: bool,
    /// Cursor in history.
    pub history_cursor: usize,
    /// Recent command texts (newest last).
    pub recent: Vec<Vec<String>>,
    /// Documents from ListDocuments.
    pub documents: Vec<String>,
    /// A send in flight (SendCommand asked, not answered yet).
    pub sending: bool,
    /// Every send remembered (the file's, then this run's), oldest first:
    /// history shows each once, however many command ids it took.
    pub sends: Vec<super::memory::SentRecord>,
    /// Where reading [`super::memory::MEMORY_FILE`] stands.
    pub memory: MemoryLoad,
    /// A send came before the file was read: write it once read.
    pub memory_dirty: bool,
    /// `[run_command] remember_command_text` (config.toml): the command
    /// text goes to the file too (off: ids, context, document, time and
    /// node count only).
    pub remember_command_text: bool,
}

/// Reading the pane's file in the data directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MemoryLoad {
    /// Not asked yet (the pane has not shown).
    #[default]
    NotAsked,
    /// Being read.
    Asked,
    /// Read (or absent, or unreadable: then the next save rewrites it).
    Loaded,
}

impl CommandsState {
    /// The run on screen.
    pub fn run(&self) -> Option<&Run> {
        self.current.and_then(|i| self.runs.get(i))
    }

    /// Node ids in grid order (by name, then id).
    pub fn grid(&self) -> Vec<String> {
        let Some(run) = self.run() else {
            return Vec::new();
        };
        let mut ids: Vec<&NodeRun> = run.nodes.values().collect();
        ids.sort_by(|a, b| {
            a.inv
                .instance_name
                .cmp(&b.inv.instance_name)
                .then(a.inv.instance_id.cmp(&b.inv.instance_id))
        });
        ids.into_iter().map(|n| n.inv.instance_id.clone()).collect()
    }

    /// The history view's rows: one per send (see
    /// [`history_rows`](super::memory::history_rows)); empty until
    /// ListCommands answered.
    pub fn history_view(&self) -> Vec<super::memory::HistoryRow> {
        self.history
            .as_ref()
            .map(|h| super::memory::history_rows(h, &self.sends))
            .unwrap_or_default()
    }

    /// Rows in the current view.
    pub fn rows(&self) -> usize {
        if self.show_history {
            self.history_view().len()
        } else if self.grouped {
            self.run().map_or(0, |r| r.groups().len())
        } else {
            self.run().map_or(0, |r| r.nodes.len())
        }
    }

    /// The node under the cursor (in groups: the group's first node).
    pub fn cursor_node(&self) -> Option<String> {
        if self.grouped {
            self.run()?
                .groups()
                .get(self.cursor)
                .and_then(|g| g.nodes.first().cloned())
        } else {
            self.grid().get(self.cursor).cloned()
        }
    }

    /// Moves the cursor.
    pub fn move_by(&mut self, delta: isize, page_rows: usize) {
        let n = self.rows();
        if self.show_history {
            self.history_cursor = self
                .history_cursor
                .saturating_add_signed(delta)
                .min(n.saturating_sub(1));
            return;
        }
        self.cursor = self
            .cursor
            .saturating_add_signed(delta)
            .min(n.saturating_sub(1));
        let h = page_rows.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + h {
            self.scroll = self.cursor + 1 - h;
        }
    }

    /// Adds a run for `command_ids` and puts it on screen; returns its number.
    /// `log_group`: `Some("")` means the document's default group.
    pub fn open_run(
        &mut self,
        command_ids: Vec<String>,
        document: &str,
        commands: Vec<String>,
        log_group: Option<&str>,
        now: Instant,
    ) -> usize {
        let number = self.runs.len() + 1;
        self.runs.push(Run {
            number,
            command_ids,
            document: document.to_owned(),
            commands,
            log_group: log_group.map(|g| {
                if g.is_empty() {
                    format!("/aws/ssm/{document}")
                } else {
                    g.to_owned()
                }
            }),
            nodes: BTreeMap::new(),
            started: now,
            finished: None,
            polls: 0,
            last_poll_calls: 0,
            poll_delay: POLL_MIN,
            live_cursor: BTreeMap::new(),
            error: None,
            gone: false,
            summaries: BTreeMap::new(),
            clock: None,
            last_output: None,
            requested_s: None,
        });
        self.current = Some(self.runs.len() - 1);
        self.cursor = 0;
        self.scroll = 0;
        self.chosen.clear();
        self.grouped = false;
        number
    }

    /// Finds a run by number.
    pub fn run_mut(&mut self, number: usize) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.number == number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(invs: &[(&str, InvocationStatus)]) -> Run {
        let mut st = CommandsState::default();
        st.open_run(
            vec!["c1".into()],
            "AWS-RunShellScript",
            vec![],
            None,
            Instant::now(),
        );
        let mut run = st.runs.remove(0);
        for (id, status) in invs {
            run.nodes.insert(
                (*id).to_owned(),
                NodeRun {
                    inv: CommandInvocation {
                        command_id: "c1".into(),
                        instance_id: (*id).to_owned(),
                        status: *status,
                        ..Default::default()
                    },
                    ..Default::default()
                },
            );
        }
        run
    }

    fn summary(status: CommandStatus, target_count: i32) -> CommandSummary {
        CommandSummary {
            command_id: "c1".into(),
            status,
            target_count,
            ..Default::default()
        }
    }

    /// Issue 18 item 12: following one node whose command wrote to stderr
    /// fetched its full output (stdout and stderr apart), which grouped it
    /// on its own: "20 nodes" + "1 nodes".
    #[test]
    fn following_a_node_does_not_change_its_group() {
        use InvocationStatus::Success;
        let ids: Vec<String> = (0..21).map(|i| format!("i-{i:02}")).collect();
        let invs: Vec<(&str, InvocationStatus)> =
            ids.iter().map(|i| (i.as_str(), Success)).collect();
        let mut run = run_with(&invs);
        for n in run.nodes.values_mut() {
            n.inv.output = "ok\n\n----------ERROR-------\nwarning: disk 91%\n".into();
        }
        assert_eq!(run.groups().len(), 1);
        // The follow view fetched one node's full output.
        run.nodes.get_mut("i-07").unwrap().full = Some(FullOutput {
            stdout: "ok\n".into(),
            stderr: "warning: disk 91%\n".into(),
            ..Default::default()
        });
        let groups = run.groups();
        assert_eq!(
            groups.iter().map(|g| g.nodes.len()).collect::<Vec<_>>(),
            [21],
            "{groups:?}"
        );
        // The followed node still shows its full output.
        assert_eq!(run.output_of("i-07"), "ok\nwarning: disk 91%\n");
    }

    #[test]
    fn a_run_is_done_when_its_command_says_so_not_when_the_listed_nodes_are() {
        use InvocationStatus::{InProgress, Success};
        // Every listed invocation final, but ListCommands not read yet.
        let mut run = run_with(&[("i-1", Success)]);
        assert!(!run.done());
        // Targets still resolving: TargetCount 0, command InProgress.
        run.summaries
            .insert("c1".into(), summary(CommandStatus::InProgress, 0));
        assert!(!run.done());
        // TargetCount known, but one target not listed yet.
        run.summaries
            .insert("c1".into(), summary(CommandStatus::InProgress, 2));
        assert!(!run.done());
        run.nodes.insert(
            "i-2".into(),
            run_with(&[("i-2", InProgress)])
                .nodes
                .remove("i-2")
                .unwrap(),
        );
        assert!(!run.done());
        run.nodes.get_mut("i-2").unwrap().inv.status = Success;
        assert!(run.done(), "TargetCount known and every invocation final");
        // The command's own final status with all its targets listed.
        run.summaries
            .insert("c1".into(), summary(CommandStatus::Incomplete, 2));
        assert!(run.done());
        // No instances in the tag: final with no invocation at all.
        let mut empty = run_with(&[]);
        empty
            .summaries
            .insert("c1".into(), summary(CommandStatus::Failed, 0));
        assert!(empty.done());
    }

    #[test]
    fn incomplete_is_read_from_status_details() {
        assert_eq!(
            CommandStatus::parse("Failed", "Incomplete"),
            CommandStatus::Incomplete
        );
        assert!(CommandStatus::Incomplete.is_final());
        assert_eq!(
            CommandStatus::parse("Failed", "Failed"),
            CommandStatus::Failed
        );
    }
}
