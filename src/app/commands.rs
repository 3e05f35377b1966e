//! Run Command pane state: the composer, runs with per-node status and
//! output, grouping by identical output, history.

use super::CommandsJob;
use crate::widgets::line_input::{self, Edit};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::{App, Confirm, Effect, Mode, Pane};
use crate::action::{Command, CommandsEvent, LiveRead, PollResult};

use crate::aws::AwsError;
use crate::aws::commands::{LiveLine, SendRequest, Targets};
use crate::model::{CommandInvocation, CommandStatus, CommandSummary, InvocationStatus};

/// Live output kept per node, in bytes; past it the oldest lines go and the
/// view says how many bytes were dropped.
pub const LIVE_KEEP_BYTES: usize = 64 * 1024;
/// First poll delay after a change, and the ceiling it backs off to.
pub const POLL_MIN: Duration = Duration::from_millis(500);
/// See [`POLL_MIN`].
pub const POLL_MAX: Duration = Duration::from_secs(5);

/// Composer fields in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeField {
    /// A document parameter from its schema (index into `Compose::params`).
    Param(usize),
    /// Targets (tag expressions when not from the Fleet selection).
    Targets,
    /// Document name.
    Document,
    /// The commands.
    Commands,
    /// Delivery timeout, seconds.
    Timeout,
    /// executionTimeout, seconds.
    ExecutionTimeout,
    /// MaxConcurrency.
    Concurrency,
    /// MaxErrors.
    Errors,
    /// Comment.
    Comment,
    /// CloudWatch output on/off.
    CloudWatch,
    /// Log group (empty: `/aws/ssm/<document>`).
    LogGroup,
}

impl ComposeField {
    /// Every field in order.
    pub const ALL: [ComposeField; 10] = [
        ComposeField::Targets,
        ComposeField::Document,
        ComposeField::Commands,
        ComposeField::Timeout,
        ComposeField::ExecutionTimeout,
        ComposeField::Concurrency,
        ComposeField::Errors,
        ComposeField::Comment,
        ComposeField::CloudWatch,
        ComposeField::LogGroup,
    ];
}

/// The composer.
#[derive(Debug)]
pub struct Compose {
    /// Managed node ids to target (empty: tag targets).
    pub nodes: Vec<String>,
    /// Where `nodes` came from ("the Fleet selection", "OpsItem oi-…").
    pub origin: String,
    /// Tag targets typed as `Key=Value[,Value] Key=Value` (when no selection).
    pub tags: String,
    /// How many nodes the targets resolve to among the loaded fleet.
    pub resolved: usize,
    /// Document.
    pub document: String,
    /// Documents to cycle through.
    pub documents: Vec<String>,
    /// The commands, one per line.
    pub commands: TextArea<'static>,
    /// Seconds, as typed.
    pub timeout: String,
    /// Seconds, as typed.
    pub execution_timeout: String,
    /// `N` or `N%`.
    pub concurrency: String,
    /// `N` or `N%`.
    pub errors: String,
    /// Comment.
    pub comment: String,
    /// CloudWatch output.
    pub cloudwatch: bool,
    /// Log group (empty: the default).
    pub log_group: String,
    /// Focused field.
    pub focus: ComposeField,
    /// What is wrong, after a send attempt.
    pub error: Option<String>,
    /// Which recent command is shown (Ctrl-P / Ctrl-N).
    pub recent_index: Option<usize>,
    /// The document's other parameters (schema, value), from DescribeDocument.
    pub params: Vec<(crate::model::DocumentParam, String)>,
    /// The document's platform types, from DescribeDocument (empty until read).
    pub platforms: Vec<String>,
}

/// SendCommand's `MaxConcurrency` as the service model allows it: 1 … 7
/// characters matching `^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$` (so no
/// `0`, `0%` or leading zero).
fn concurrency_ok(s: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$").expect("model pattern")
    });
    (1..=7).contains(&s.len()) && RE.is_match(s)
}

/// SendCommand's `MaxErrors` as the service model allows it: 1 … 7
/// characters matching `^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$` (`0`
/// and `0%` included).
fn errors_ok(s: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$").expect("model pattern")
    });
    (1..=7).contains(&s.len()) && RE.is_match(s)
}

/// Parses `Key=V1,V2 Key2=V3` into tag targets.
///
/// # Errors
/// What is wrong and the form expected.
pub fn parse_tags(text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let word = word.strip_prefix("tag:").unwrap_or(word);
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                let values: Vec<String> = v
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect();
                if values.len() > 50 {
                    return Err(format!(
                        "target {k} lists {} values; AWS allows 50",
                        values.len()
                    ));
                }
                out.push((k.to_owned(), values));
            }
            _ => {
                return Err(format!(
                    "target '{word}' is not Key=Value; write targets as tag:Role=web tag:Env=prod"
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(
            "no targets: select nodes in the Fleet pane (Space) or type tag:Key=Value".into(),
        );
    }
    if out.len() > 5 {
        return Err(format!(
            "{} targets; SendCommand takes at most 5",
            out.len()
        ));
    }
    Ok(out)
}

impl Compose {
    /// Fields in focus order: the document's own parameters follow the commands.
    pub fn fields(&self) -> Vec<ComposeField> {
        let mut out = Vec::new();
        for f in ComposeField::ALL {
            out.push(f);
            if f == ComposeField::Commands {
                out.extend((0..self.params.len()).map(ComposeField::Param));
            }
        }
        out
    }

    /// The lines of the commands field.
    pub fn lines(&self) -> Vec<String> {
        self.commands
            .lines()
            .iter()
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .collect()
    }

    /// Checks every field and builds the request.
    ///
    /// # Errors
    /// What is wrong and what to do.
    pub fn request(&self) -> Result<SendRequest, String> {
        let targets = if self.nodes.is_empty() {
            Targets::Tags(parse_tags(&self.tags)?)
        } else {
            Targets::Nodes(self.nodes.clone())
        };
        let commands = self.lines();
        if commands.is_empty() {
            return Err("no command to run: type at least one line".into());
        }
        let timeout: i32 = self
            .timeout
            .trim()
            .parse()
            .ok()
            .filter(|t| (30..=2_592_000).contains(t))
            .ok_or_else(|| format!("timeout '{}' must be 30 to 2592000 seconds", self.timeout))?;
        let execution_timeout: u32 = self
            .execution_timeout
            .trim()
            .parse()
            .ok()
            .filter(|t| (1..=172_800).contains(t))
            .ok_or_else(|| {
                format!(
                    "execution timeout '{}' must be 1 to 172800 seconds",
                    self.execution_timeout
                )
            })?;
        if !concurrency_ok(self.concurrency.trim()) {
            return Err(format!(
                "MaxConcurrency '{}' must be a number from 1 or a percentage from 1% to 100% (at most 7 characters), such as 10 or 25%",
                self.concurrency
            ));
        }
        if !errors_ok(self.errors.trim()) {
            return Err(format!(
                "MaxErrors '{}' must be a number from 0 or a percentage from 0% to 100% (at most 7 characters), such as 0 or 10%",
                self.errors
            ));
        }
        if self.comment.chars().count() > 100 {
            return Err("the comment is longer than 100 characters".into());
        }
        Ok(SendRequest {
            document: self.document.clone(),
            commands,
            targets,
            timeout_s: timeout,
            execution_timeout_s: execution_timeout,
            max_concurrency: self.concurrency.trim().to_owned(),
            max_errors: self.errors.trim().to_owned(),
            comment: self.comment.clone(),
            cloudwatch_group: self.cloudwatch.then(|| self.log_group.trim().to_owned()),
            extra: self
                .params
                .iter()
                .map(|(p, v)| (p.name.clone(), v.trim().to_owned()))
                .collect(),
        })
    }
}

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
    /// Full output once fetched (stdout, stderr).
    pub full: Option<(String, String)>,
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
    /// Each command's own status and TargetCount (ListCommands), by id.
    pub summaries: BTreeMap<String, CommandSummary>,
}

impl Run {
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

    /// The output a node shows: full if fetched, else the plugin output, else live lines.
    pub fn output_of(&self, id: &str) -> String {
        let Some(n) = self.nodes.get(id) else {
            return String::new();
        };
        if let Some((out, err)) = &n.full {
            let mut s = out.clone();
            if !err.is_empty() {
                s.push_str(err);
            }
            return s;
        }
        if !n.inv.output.is_empty() {
            return n.inv.output.clone();
        }
        n.live.text.clone()
    }

    /// The first line of a node's output, without building the whole text.
    pub fn first_line(&self, id: &str) -> &str {
        let Some(n) = self.nodes.get(id) else {
            return "";
        };
        if let Some((out, err)) = &n.full {
            return out
                .lines()
                .next()
                .or_else(|| err.lines().next())
                .unwrap_or("");
        }
        if !n.inv.output.is_empty() {
            return n.inv.output.lines().next().unwrap_or("");
        }
        n.live.iter().next().map_or("", |(_, l)| l)
    }

    /// Nodes grouped by (status, exit code, output), largest group first.
    pub fn groups(&self) -> Vec<Group> {
        let mut m: BTreeMap<(InvocationStatus, i32, String), Vec<String>> = BTreeMap::new();
        for (id, n) in &self.nodes {
            let out = if n.inv.status.is_final() {
                self.output_of(id)
            } else {
                String::new()
            };
            m.entry((n.inv.status, n.inv.response_code, out))
                .or_default()
                .push(id.clone());
        }
        let mut groups: Vec<Group> = m
            .into_iter()
            .map(|((status, code, output), nodes)| Group {
                status,
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

    /// Applies live lines, keeping at most [`LIVE_KEEP_BYTES`] per node.
    pub fn add_live(&mut self, lines: Vec<LiveLine>) {
        for l in lines {
            let n = self.nodes.entry(l.instance_id.clone()).or_default();
            n.live.push(l.stderr, &l.text);
            n.dropped_bytes += n.live.trim(LIVE_KEEP_BYTES);
        }
    }
}

/// Nodes that ended the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Status.
    pub status: InvocationStatus,
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
    /// A send in flight.
    pub sending: bool,
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

    /// Rows in the current view.
    pub fn rows(&self) -> usize {
        if self.show_history {
            self.history.as_ref().map_or(0, Vec::len)
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
            summaries: BTreeMap::new(),
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

impl App {
    /// Nodes of the loaded fleet matching tag targets (every key, any of
    /// its values).
    fn tag_matches<'a, 't>(
        &'a self,
        tags: &'t [(String, Vec<String>)],
    ) -> impl Iterator<Item = &'a crate::model::ManagedNode> + use<'a, 't> {
        self.fleet.nodes.iter().filter(move |n| {
            tags.iter()
                .all(|(k, vs)| n.tag(k).is_some_and(|v| vs.iter().any(|x| x == v)))
        })
    }

    /// How many nodes of the loaded fleet match tag targets.
    fn resolve_tags(&self, tags: &[(String, Vec<String>)]) -> usize {
        self.tag_matches(tags).count()
    }

    /// Confirmation lines that warn when the document's platform types
    /// (DescribeDocument) leave out some target nodes: AWS fails those
    /// invocations as `InvalidPlatform`. AWS-RunPowerShellScript on Linux
    /// needs PowerShell Core on the node, which the console cannot see.
    fn platform_warnings(&self, c: &Compose) -> Vec<String> {
        let targets: Vec<&crate::model::ManagedNode> = if c.nodes.is_empty() {
            let tags = parse_tags(&c.tags).unwrap_or_default();
            self.tag_matches(&tags).collect()
        } else {
            self.fleet
                .nodes
                .iter()
                .filter(|n| c.nodes.contains(&n.id))
                .collect()
        };
        let mut out = Vec::new();
        if !c.platforms.is_empty() {
            let off: Vec<&&crate::model::ManagedNode> = targets
                .iter()
                .filter(|n| !n.platform_type.is_empty() && !c.platforms.contains(&n.platform_type))
                .collect();
            if !off.is_empty() {
                let mut kinds: Vec<&str> = off.iter().map(|n| n.platform_type.as_str()).collect();
                kinds.sort_unstable();
                kinds.dedup();
                let names: Vec<&str> = off.iter().take(3).map(|n| n.name.as_str()).collect();
                out.push(format!(
                    "Warning: {} runs on {} only; {} of the {} target nodes are {} ({}{}) and will fail as InvalidPlatform.",
                    c.document,
                    c.platforms.join(", "),
                    off.len(),
                    targets.len(),
                    kinds.join("/"),
                    names.join(", "),
                    if off.len() > 3 { ", …" } else { "" }
                ));
            }
        }
        let pwsh = targets
            .iter()
            .filter(|n| n.platform_type != "Windows" && !n.platform_type.is_empty())
            .filter(|n| c.platforms.is_empty() || c.platforms.contains(&n.platform_type))
            .count();
        if c.document == "AWS-RunPowerShellScript" && pwsh > 0 {
            out.push(format!(
                "Note: {pwsh} target nodes are not Windows: AWS-RunPowerShellScript needs PowerShell Core (pwsh) installed there, or it fails."
            ));
        }
        out
    }

    fn new_compose(&self, nodes: Vec<String>, origin: String) -> Compose {
        let windows = !nodes.is_empty()
            && nodes.iter().all(|id| {
                self.fleet
                    .nodes
                    .iter()
                    .any(|n| &n.id == id && n.platform_type == "Windows")
            });
        let document = if windows {
            "AWS-RunPowerShellScript"
        } else {
            "AWS-RunShellScript"
        };
        Compose {
            resolved: nodes.len(),
            nodes,
            origin,
            tags: String::new(),
            document: document.into(),
            documents: self.commands.documents.clone(),
            commands: TextArea::default(),
            timeout: "600".into(),
            execution_timeout: "3600".into(),
            concurrency: "50".into(),
            errors: "0".into(),
            comment: String::new(),
            cloudwatch: true,
            log_group: String::new(),
            focus: ComposeField::Commands,
            error: None,
            recent_index: None,
            params: Vec::new(),
            platforms: Vec::new(),
        }
    }

    /// Shows the Run Command pane with the composer on `nodes`
    /// ([`Goto::Compose`](crate::pane::Goto::Compose)).
    pub(super) fn compose_for(&mut self, nodes: Vec<String>, origin: String) -> Vec<Effect> {
        let mut effects = self.show_pane(Pane::Commands);
        let compose = self.new_compose(nodes, origin);
        effects.push(Effect::RunCommand(CommandsJob::DocumentParams {
            name: compose.document.clone(),
        }));
        self.commands.compose = Some(compose);
        self.mode = Mode::Compose;
        effects
    }

    pub(super) fn compose_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let Some(c) = self.commands.compose.as_mut() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        match k.code {
            KeyCode::Esc => {
                // Hidden, not lost: n opens it again with everything typed.
                self.mode = Mode::Normal;
                return Vec::new();
            }
            KeyCode::Char('s') if ctrl => return self.compose_confirm_send(),
            KeyCode::Char('p') | KeyCode::Char('n') if ctrl => {
                let recent = &self.commands.recent;
                if !recent.is_empty() {
                    let last = recent.len() - 1;
                    let i = match (c.recent_index, k.code) {
                        (None, _) => last,
                        (Some(i), KeyCode::Char('p')) => i.saturating_sub(1),
                        (Some(i), _) => (i + 1).min(last),
                    };
                    c.recent_index = Some(i);
                    c.commands = TextArea::new(recent[i].clone());
                    c.focus = ComposeField::Commands;
                }
                return Vec::new();
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let all = c.fields();
                let mut i = all.iter().position(|f| *f == c.focus).unwrap_or(0);
                loop {
                    i = if k.code == KeyCode::Tab {
                        (i + 1) % all.len()
                    } else {
                        (i + all.len() - 1) % all.len()
                    };
                    // The targets field is read-only for a Fleet selection.
                    if all[i] != ComposeField::Targets || c.nodes.is_empty() {
                        break;
                    }
                }
                c.focus = all[i];
                self.line_cursor = None;
                return Vec::new();
            }
            _ => {}
        }
        self.compose_field_key(k)
    }

    /// Ctrl-S in the composer: check the fields and ask to confirm the send
    /// (or show what is wrong).
    fn compose_confirm_send(&mut self) -> Vec<Effect> {
        let fleet_total = self.fleet.nodes.len();
        let warnings = self
            .commands
            .compose
            .as_ref()
            .map(|c| self.platform_warnings(c))
            .unwrap_or_default();
        let Some(c) = self.commands.compose.as_mut() else {
            return Vec::new();
        };
        match c.request() {
            Err(why) => c.error = Some(format!("not sent: {why}")),
            Ok(req) => {
                c.error = None;
                let count = if c.nodes.is_empty() {
                    c.resolved
                } else {
                    c.nodes.len()
                };
                let first = req.commands.first().cloned().unwrap_or_default();
                let more = req.commands.len().saturating_sub(1);
                let names: Vec<String> = c
                    .nodes
                    .iter()
                    .take(5)
                    .map(|id| {
                        self.fleet
                            .nodes
                            .iter()
                            .find(|n| &n.id == id)
                            .map_or_else(|| id.clone(), |n| n.name.clone())
                    })
                    .collect();
                let targets = if c.nodes.is_empty() {
                    format!(
                        "nodes tagged {} ({count} in the loaded fleet of {fleet_total})",
                        c.tags.trim()
                    )
                } else {
                    format!(
                        "{count} nodes ({}{})",
                        names.join(", "),
                        if count > 5 { ", …" } else { "" }
                    )
                };
                let where_ = self.where_();
                let mut lines = vec![
                    format!(
                        "Run `{first}`{} with {} on {targets}.",
                        if more > 0 {
                            format!(" (+{more} more lines)")
                        } else {
                            String::new()
                        },
                        req.document
                    ),
                    format!(
                        "MaxConcurrency {}, MaxErrors {}, delivery timeout {} s, execution timeout {} s, CloudWatch output {}.",
                        req.max_concurrency,
                        req.max_errors,
                        req.timeout_s,
                        req.execution_timeout_s,
                        if req.cloudwatch_group.is_some() {
                            "on"
                        } else {
                            "off"
                        }
                    ),
                    format!("In {where_}."),
                ];
                lines.extend(warnings);
                self.confirm = Some(Confirm {
                    title: "Send a command".into(),
                    lines,
                    effect: Effect::RunCommand(CommandsJob::Send(req)),
                });
                self.mode = Mode::Confirm;
            }
        }
        Vec::new()
    }

    /// A key for the focused composer field: edit its text, cycle its choice
    /// or toggle it.
    fn compose_field_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let Some(c) = self.commands.compose.as_mut() else {
            return Vec::new();
        };
        match c.focus {
            ComposeField::Commands => {
                c.commands.input(k);
            }
            ComposeField::Document => {
                if matches!(k.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right)
                    && !c.documents.is_empty()
                {
                    let i = c
                        .documents
                        .iter()
                        .position(|d| *d == c.document)
                        .map_or(0, |i| (i + 1) % c.documents.len());
                    c.document = c.documents[i].clone();
                    c.params.clear();
                    c.platforms.clear();
                    return vec![Effect::RunCommand(CommandsJob::DocumentParams {
                        name: c.document.clone(),
                    })];
                }
            }
            ComposeField::Param(i) => {
                if let Some((_, value)) = c.params.get_mut(i)
                    && let Some(e) = Edit::from_key(k)
                {
                    line_input::apply(value, &mut self.line_cursor, e);
                }
            }
            ComposeField::CloudWatch => {
                if matches!(k.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right) {
                    c.cloudwatch = !c.cloudwatch;
                }
            }
            f => {
                let text = match f {
                    ComposeField::Targets => &mut c.tags,
                    ComposeField::Timeout => &mut c.timeout,
                    ComposeField::ExecutionTimeout => &mut c.execution_timeout,
                    ComposeField::Concurrency => &mut c.concurrency,
                    ComposeField::Errors => &mut c.errors,
                    ComposeField::Comment => &mut c.comment,
                    _ => &mut c.log_group,
                };
                if let Some(e) = Edit::from_key(k) {
                    line_input::apply(text, &mut self.line_cursor, e);
                }
                if f == ComposeField::Targets {
                    let tags = parse_tags(&c.tags).unwrap_or_default();
                    let resolved = self.resolve_tags(&tags);
                    if let Some(c) = self.commands.compose.as_mut() {
                        c.resolved = resolved;
                    }
                }
            }
        }
        Vec::new()
    }

    pub(super) fn commands_command(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        let rows = self.page_rows();
        let st = &mut self.commands;
        match c {
            Command::SelectNext => st.move_by(1, rows),
            Command::SelectPrev => st.move_by(-1, rows),
            Command::SelectFirst => st.move_by(isize::MIN / 2, rows),
            Command::SelectLast => st.move_by(isize::MAX / 2, rows),
            Command::PageDown => st.move_by((rows / 2).max(1) as isize, rows),
            Command::PageUp => st.move_by(-((rows / 2).max(1) as isize), rows),
            Command::Create | Command::RunCommand => return self.open_composer(),
            Command::History => {
                st.show_history = !st.show_history;
                if st.show_history {
                    return vec![Effect::RunCommand(CommandsJob::History)];
                }
            }
            Command::Back => {
                if st.show_history {
                    st.show_history = false;
                } else if st.search.is_some() {
                    st.search = None;
                } else if st.follow {
                    st.follow = false;
                }
            }
            Command::OpenDetails => {
                if st.show_history {
                    let Some(h) = st
                        .history
                        .as_ref()
                        .and_then(|h| h.get(st.history_cursor))
                        .cloned()
                    else {
                        return Vec::new();
                    };
                    st.show_history = false;
                    let number = st.open_run(
                        vec![h.command_id.clone()],
                        &h.document,
                        h.commands.clone(),
                        h.log_group.as_deref(),
                        now,
                    );
                    return vec![Effect::RunCommand(CommandsJob::Poll {
                        run: number,
                        command_ids: vec![h.command_id],
                        delay_ms: 0,
                    })];
                }
                st.follow = !st.follow;
                return self.fetch_followed();
            }
            Command::ToggleSelect => {
                if let Some(id) = st.cursor_node()
                    && !st.chosen.remove(&id)
                {
                    st.chosen.insert(id);
                }
                st.move_by(1, rows);
            }
            Command::ToggleGroups => {
                st.grouped = !st.grouped;
                st.cursor = 0;
                st.scroll = 0;
            }
            Command::Filter if st.follow => {
                st.search = Some(String::new());
                self.mode = Mode::Filter;
            }
            Command::CancelCommand => return self.confirm_cancel_command(now),
            Command::Rerun => return self.rerun_failed(now),
            Command::Export => {
                let Some(run) = st.run() else {
                    return Vec::new();
                };
                let path = std::env::temp_dir()
                    .join(format!(
                        "ssmdeck-run-{}.json",
                        run.command_ids.first().cloned().unwrap_or_default()
                    ))
                    .display()
                    .to_string();
                return vec![Effect::RunCommand(CommandsJob::Export {
                    command_ids: run.command_ids.clone(),
                    path,
                })];
            }
            _ => {}
        }
        Vec::new()
    }

    /// `n` / Create in the Run Command pane: open a composer for the Fleet
    /// selection (or tag targets), or show the one already open.
    fn open_composer(&mut self) -> Vec<Effect> {
        if self.commands.compose.is_none() {
            let nodes: Vec<String> = {
                let mut v: Vec<String> = self.fleet.selected.iter().cloned().collect();
                v.sort();
                v
            };
            let mut compose = self.new_compose(nodes, "the Fleet selection".into());
            if compose.nodes.is_empty() {
                compose.focus = ComposeField::Targets;
            }
            let name = compose.document.clone();
            self.commands.compose = Some(compose);
            self.mode = Mode::Compose;
            return vec![Effect::RunCommand(CommandsJob::DocumentParams { name })];
        }
        self.mode = Mode::Compose;
        Vec::new()
    }

    /// Ask to cancel the run on screen (on the chosen nodes, or all of it).
    fn confirm_cancel_command(&mut self, now: Instant) -> Vec<Effect> {
        let st = &self.commands;
        let Some(run) = st.run() else {
            return Vec::new();
        };
        if run.done() {
            self.notice("every node has finished: nothing to cancel".into(), now);
            return Vec::new();
        }
        let chosen: Vec<String> = st.chosen.iter().cloned().collect();
        let count = if chosen.is_empty() {
            run.nodes.len()
        } else {
            chosen.len()
        };
        let ids = run.command_ids.clone();
        let first = run.commands.first().cloned().unwrap_or_default();
        let where_ = self.where_();
        self.confirm = Some(Confirm {
            title: "Cancel a command".into(),
            lines: vec![
                format!(
                    "Cancel `{first}` on {count} {} (CancelCommand); finished nodes keep their results.",
                    if chosen.is_empty() {
                        "nodes (all of it)"
                    } else {
                        "chosen nodes"
                    }
                ),
                format!("In {where_}."),
            ],
            effect: Effect::RunCommand(CommandsJob::Cancel {
                command_ids: ids,
                instance_ids: chosen,
            }),
        });
        self.mode = Mode::Confirm;
        Vec::new()
    }

    /// Open a composer with the run's commands for the nodes that failed.
    fn rerun_failed(&mut self, now: Instant) -> Vec<Effect> {
        let st = &self.commands;
        let Some(run) = st.run() else {
            return Vec::new();
        };
        let failed = run.failed();
        if failed.is_empty() {
            self.notice("no node failed: nothing to re-run".into(), now);
            return Vec::new();
        }
        let lines = run.commands.clone();
        let document = run.document.clone();
        let origin = format!(
            "the failed nodes of `{}`",
            run.commands.first().map_or("", |c| c.as_str())
        );
        let mut compose = self.new_compose(failed, origin);
        compose.document = document.clone();
        compose.commands = TextArea::new(lines);
        self.commands.compose = Some(compose);
        self.mode = Mode::Compose;
        vec![Effect::RunCommand(CommandsJob::DocumentParams {
            name: document,
        })]
    }

    /// When following a finished node whose full output is not loaded, fetch it.
    fn fetch_followed(&self) -> Vec<Effect> {
        let st = &self.commands;
        let (Some(run), true) = (st.run(), st.follow) else {
            return Vec::new();
        };
        let Some(id) = st.cursor_node() else {
            return Vec::new();
        };
        match run.nodes.get(&id) {
            Some(n) if n.inv.status.is_final() && n.full.is_none() => {
                vec![Effect::RunCommand(CommandsJob::Output {
                    run: run.number,
                    command_id: n.inv.command_id.clone(),
                    instance_id: id,
                })]
            }
            _ => Vec::new(),
        }
    }

    /// SendCommand succeeded: remember the commands, open a run for the ids
    /// and start polling it (and reading its live output, when it has a log group).
    fn commands_sent(&mut self, ids: Vec<String>, req: SendRequest, now: Instant) -> Vec<Effect> {
        let st = &mut self.commands;
        st.sending = false;
        st.compose = None;
        st.recent.retain(|r| *r != req.commands);
        st.recent.push(req.commands.clone());
        let number = st.open_run(
            ids.clone(),
            &req.document,
            req.commands.clone(),
            req.cloudwatch_group.as_deref(),
            now,
        );
        let log_group = st.runs[number - 1].log_group.clone();
        self.go_to(Pane::Commands);
        self.notice(format!("sent as {}", ids.join(", ")), now);
        let mut effects = vec![Effect::RunCommand(CommandsJob::Poll {
            run: number,
            command_ids: ids.clone(),
            delay_ms: 0,
        })];
        if let Some(group) = log_group {
            for id in ids {
                effects.push(Effect::RunCommand(CommandsJob::LiveOutput {
                    run: number,
                    group: group.clone(),
                    command_id: id,
                    cursor: Default::default(),
                    delay_ms: 300,
                }));
            }
        }
        effects
    }

    /// A status poll of run `number` answered: apply it, then poll again
    /// (backing off while nothing changes) or, once every node is final,
    /// announce the result and read the last live output.
    fn commands_polled(
        &mut self,
        number: usize,
        result: Result<PollResult, AwsError>,
        now: Instant,
    ) -> Vec<Effect> {
        let Some(run) = self.commands.run_mut(number) else {
            return Vec::new();
        };
        run.polls += 1;
        match result {
            Err(e) => {
                run.error = Some(e);
                run.poll_delay = (run.poll_delay * 2).min(POLL_MAX);
            }
            Ok(PollResult {
                invocations,
                calls,
                commands,
            }) => {
                run.error = None;
                run.last_poll_calls = calls;
                let mut changed = false;
                for c in commands {
                    if run.summaries.get(&c.command_id) != Some(&c) {
                        changed = true;
                        run.summaries.insert(c.command_id.clone(), c);
                    }
                }
                for i in invocations {
                    let n = run.nodes.entry(i.instance_id.clone()).or_default();
                    if n.inv != i {
                        changed = true;
                        n.inv = i;
                    }
                }
                run.poll_delay = if changed {
                    POLL_MIN
                } else {
                    (run.poll_delay * 2).min(POLL_MAX)
                };
            }
        }
        if run.done() {
            if run.finished.is_none() {
                run.finished = Some(now);
                let counts = run
                    .counts()
                    .iter()
                    .map(|(s, n)| format!("{n} {}", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let statuses = run
                    .command_statuses()
                    .iter()
                    .map(|(s, n)| {
                        if run.summaries.len() == 1 {
                            s.as_str().to_owned()
                        } else {
                            format!("{n} {}", s.as_str())
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let text = format!("run #{number} finished {statuses}: {counts}");
                let mut effects = self.fetch_followed();
                self.notice(text, now);
                // One last read of live output, for lines written at the end.
                if let Some(run) = self.commands.run_mut(number)
                    && let Some(group) = run.log_group.clone()
                {
                    for id in run.command_ids.clone() {
                        let cursor = run.live_cursor.get(&id).cloned().unwrap_or_default();
                        effects.push(Effect::RunCommand(CommandsJob::LiveOutput {
                            run: number,
                            group: group.clone(),
                            command_id: id,
                            cursor,
                            delay_ms: 0,
                        }));
                    }
                }
                return effects;
            }
            return Vec::new();
        }
        vec![Effect::RunCommand(CommandsJob::Poll {
            run: number,
            command_ids: run.command_ids.clone(),
            delay_ms: run.poll_delay.as_millis() as u64,
        })]
    }

    /// Live output of run `number`, command `command_id` arrived: keep it and
    /// read the next page now, or again in a second while the run is going.
    fn commands_live(
        &mut self,
        number: usize,
        command_id: String,
        result: Result<LiveRead, AwsError>,
    ) -> Vec<Effect> {
        let Some(run) = self.commands.run_mut(number) else {
            return Vec::new();
        };
        if let Ok((lines, cursor)) = result {
            run.live_cursor.insert(command_id.clone(), cursor);
            run.add_live(lines);
        }
        let cursor = run
            .live_cursor
            .get(&command_id)
            .cloned()
            .unwrap_or_default();
        // Another page waiting: read it now; else every second while running.
        if (cursor.more() || !run.done())
            && let Some(group) = run.log_group.clone()
        {
            return vec![Effect::RunCommand(CommandsJob::LiveOutput {
                run: number,
                group,
                command_id,
                delay_ms: if cursor.more() { 0 } else { 1_000 },
                cursor,
            })];
        }
        Vec::new()
    }

    pub(super) fn commands_event(&mut self, ev: CommandsEvent, now: Instant) -> Vec<Effect> {
        match ev {
            CommandsEvent::Documents(Ok(docs)) if !docs.is_empty() => {
                self.commands.documents = docs.clone();
                if let Some(c) = self.commands.compose.as_mut() {
                    c.documents = docs;
                }
            }
            CommandsEvent::Documents(_) => {}
            CommandsEvent::DocumentParams(name, Ok(info)) => {
                if let Some(c) = self
                    .commands
                    .compose
                    .as_mut()
                    .filter(|c| c.document == name)
                {
                    c.platforms = info.platform_types;
                    c.params = info
                        .params
                        .into_iter()
                        .filter(|p| p.name != "commands" && p.name != "executionTimeout")
                        .map(|p| {
                            let v = p.default.clone();
                            (p, v)
                        })
                        .collect();
                }
            }
            CommandsEvent::DocumentParams(_, Err(e)) => self.notice(e.to_string(), now),
            CommandsEvent::Sent(Err(e), _) => {
                self.commands.sending = false;
                if let Some(c) = self.commands.compose.as_mut() {
                    c.error = Some(format!("not sent: {e}"));
                }
                self.mode = Mode::Compose;
            }
            CommandsEvent::Sent(Ok(ids), req) => return self.commands_sent(ids, req, now),
            CommandsEvent::Polled(number, result) => {
                return self.commands_polled(number, result, now);
            }
            CommandsEvent::Live(number, command_id, result) => {
                return self.commands_live(number, command_id, result);
            }
            CommandsEvent::Output(number, id, result) => match result {
                Ok(out) => {
                    if let Some(n) = self
                        .commands
                        .run_mut(number)
                        .and_then(|r| r.nodes.get_mut(&id))
                    {
                        n.full = Some(out);
                    }
                }
                Err(e) => self.notice(e.to_string(), now),
            },
            CommandsEvent::Cancelled(Ok(())) => {
                self.commands.chosen.clear();
                self.notice("cancel requested".into(), now);
            }
            CommandsEvent::Cancelled(Err(e)) => self.notice(format!("not cancelled: {e}"), now),
            CommandsEvent::History(Ok(h)) => {
                self.commands.history = Some(h);
                self.commands.history_cursor = 0;
            }
            CommandsEvent::History(Err(e)) => self.notice(e.to_string(), now),
            CommandsEvent::Exported(Ok(path)) => {
                self.notice(format!("results written to {path}"), now)
            }
            CommandsEvent::Exported(Err(e)) => self.notice(format!("export failed: {e}"), now),
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_targets_parse_with_clear_errors() {
        assert_eq!(
            parse_tags("tag:Role=web,api Env=prod").unwrap(),
            vec![
                ("Role".into(), vec!["web".into(), "api".into()]),
                ("Env".into(), vec!["prod".into()])
            ]
        );
        assert!(parse_tags("Role").unwrap_err().contains("not Key=Value"));
        assert!(parse_tags("").unwrap_err().contains("no targets"));
        assert!(
            parse_tags("a=1 b=1 c=1 d=1 e=1 f=1")
                .unwrap_err()
                .contains("at most 5")
        );
    }

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

    #[test]
    fn shares_follow_the_service_model() {
        // MaxConcurrency: AWS refuses 0, 0% and leading zeros.
        for ok in ["1", "50", "1%", "10%", "100%", "1234567"] {
            assert!(concurrency_ok(ok), "{ok}");
        }
        for bad in ["0", "0%", "05", "", "%", "ten", "101%", "-1", "12345678"] {
            assert!(!concurrency_ok(bad), "{bad}");
        }
        // MaxErrors: 0 and 0% are AWS's default and valid.
        for ok in ["0", "0%", "5%", "50", "100%"] {
            assert!(errors_ok(ok), "{ok}");
        }
        for bad in ["00", "05", "", "%", "ten", "101%", "-1", "12345678"] {
            assert!(!errors_ok(bad), "{bad}");
        }
    }
}
