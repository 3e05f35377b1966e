//! The Run Command composer: its fields, the SendCommand request they make
//! (checked against the service model first), and its keys while it is
//! open ([`Pane::form_open`](crate::pane::Pane::form_open)). Reading the
//! Fleet (names, platforms, tags, the selection) goes through
//! [`Shared`](crate::pane::Shared).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::jobs::Placement;
use super::state::CommandsState;
use super::{CommandsCx, CommandsJob};
use crate::aws::commands::{SendRequest, Targets};
use crate::model::ManagedNode;
use crate::pane::{Request, Shared};
use crate::widgets::line_input::{self, Edit};

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
    /// S3 output, `bucket[/prefix]` (empty: off).
    S3Output,
}

impl ComposeField {
    /// Every field in order.
    pub const ALL: [ComposeField; 11] = [
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
        ComposeField::S3Output,
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
    /// S3 output as typed: `bucket[/prefix]` or `s3://bucket[/prefix]`
    /// (empty: no S3 output).
    pub s3_output: String,
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
    /// Whether it is shown with the keys; Esc hides it, everything typed
    /// kept (`n` shows it again).
    pub shown: bool,
    /// Cursor of the focused one-line field, in characters (`None`: at
    /// the end).
    pub cursor: Option<usize>,
    /// Nodes in the loaded fleet, for the tag targets' count.
    pub fleet_total: usize,
    /// Parameter values to set once the document's parameters are read
    /// (name, value).
    pub presets: Vec<(String, String)>,
    /// Whether the document takes a script (`commands`, and with it
    /// `executionTimeout`): true until its parameters say otherwise
    /// (AWS-ConfigureAWSPackage and AWS-RunPatchBaseline take neither;
    /// AWS refuses a parameter a document does not declare).
    pub script: bool,
    /// Whether DescribeDocument's parameters have arrived (until then
    /// `script` is a guess).
    pub params_read: bool,
    /// What is typed in the Document field: the documents whose names
    /// contain it (any case) are the ones Space, Left and Right go through.
    pub doc_search: String,
}

impl Compose {
    /// The documents the Document field's search keeps, in list order.
    pub fn document_matches(&self) -> Vec<&String> {
        let q = self.doc_search.to_lowercase();
        self.documents
            .iter()
            .filter(|d| d.to_lowercase().contains(&q))
            .collect()
    }
}

/// SendCommand's and StartAutomationExecution's `MaxConcurrency` as the
/// service model allows it: 1 … 7
/// characters matching `^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$` (so no
/// `0`, `0%` or leading zero).
pub fn concurrency_ok(s: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$").expect("model pattern")
    });
    (1..=7).contains(&s.len()) && RE.is_match(s)
}

/// SendCommand's and StartAutomationExecution's `MaxErrors` as the
/// service model allows it: 1 … 7
/// characters matching `^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$` (`0`
/// and `0%` included).
pub fn errors_ok(s: &str) -> bool {
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
            let scripted = matches!(f, ComposeField::Commands | ComposeField::ExecutionTimeout);
            if self.script || !scripted {
                out.push(f);
            }
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
        let commands = if self.script {
            self.lines()
        } else {
            Vec::new()
        };
        if self.script && commands.is_empty() && !self.params_read {
            return Err(format!(
                "the parameters of {} are still being read (DescribeDocument): press Ctrl-S again once they show",
                crate::widgets::raw_json::sanitize(&self.document)
            ));
        }
        if self.script && commands.is_empty() {
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
        let output_s3 = parse_s3_output(&self.s3_output)?;
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
            output_s3,
            extra: self
                .params
                .iter()
                .map(|(p, v)| (p.name.clone(), v.trim().to_owned()))
                .collect(),
        })
    }
}

/// The composer's S3 output field: `bucket[/prefix]`, `s3://` allowed,
/// empty for none. The bucket must follow S3's naming rules (3–63
/// lowercase letters, digits, `.` and `-`, a letter or digit at each end;
/// SendCommand itself only bounds its length to 3–63) and the prefix is at
/// most 500 characters (`OutputS3KeyPrefix`).
///
/// # Errors
/// A message naming what is wrong and an example of what works.
pub fn parse_s3_output(typed: &str) -> Result<Option<crate::aws::commands::OutputS3>, String> {
    let t = typed.trim();
    let t = t.strip_prefix("s3://").unwrap_or(t);
    if t.is_empty() {
        return Ok(None);
    }
    let (bucket, prefix) = t.split_once('/').unwrap_or((t, ""));
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(bucket.chars().next())
        && edge(bucket.chars().last())
        && !bucket.contains("..");
    if !ok {
        return Err(format!(
            "S3 output bucket '{}' is not a bucket name: 3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit (such as my-ssm-output/runs)",
            crate::widgets::raw_json::sanitize(bucket)
        ));
    }
    if prefix.chars().count() > 500 {
        return Err("the S3 output key prefix is longer than 500 characters".into());
    }
    Ok(Some(crate::aws::commands::OutputS3 {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
    }))
}

/// Nodes of the loaded fleet matching tag targets (every key, any of its
/// values).
fn tag_matches<'a, 't>(
    nodes: &'a [ManagedNode],
    tags: &'t [(String, Vec<String>)],
) -> impl Iterator<Item = &'a ManagedNode> + use<'a, 't> {
    nodes.iter().filter(move |n| {
        tags.iter()
            .all(|(k, vs)| n.tag(k).is_some_and(|v| vs.iter().any(|x| x == v)))
    })
}

/// Confirmation lines that warn when the document's platform types
/// (DescribeDocument) leave out some target nodes: AWS fails those
/// invocations as `InvalidPlatform`. AWS-RunPowerShellScript on Linux
/// needs PowerShell Core on the node, which the console cannot see.
fn platform_warnings(c: &Compose, nodes: &[ManagedNode]) -> Vec<String> {
    let targets: Vec<&ManagedNode> = if c.nodes.is_empty() {
        let tags = parse_tags(&c.tags).unwrap_or_default();
        tag_matches(nodes, &tags).collect()
    } else {
        nodes.iter().filter(|n| c.nodes.contains(&n.id)).collect()
    };
    let mut out = Vec::new();
    if !c.platforms.is_empty() {
        let off: Vec<&&ManagedNode> = targets
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

/// For AWS-RunPatchBaseline with `Operation=Install` and a reboot
/// allowed (`RebootOption` not `NoReboot`): how many of the target nodes
/// may reboot, from their last patch state as the Fleet pane read it
/// (missing or failed patches, or a reboot pending; never scanned nodes
/// may too).
fn reboot_line(req: &SendRequest, nodes: &[ManagedNode]) -> Option<String> {
    use crate::model::Patch;
    let param = |name: &str| {
        req.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let install = param("Operation").is_some_and(|o| o.eq_ignore_ascii_case("Install"));
    let no_reboot = param("RebootOption").is_some_and(|o| o.eq_ignore_ascii_case("NoReboot"));
    if req.document != "AWS-RunPatchBaseline" || !install || no_reboot {
        return None;
    }
    let Targets::Nodes(ids) = &req.targets else {
        return Some(
            "Reboot: RebootIfNeeded reboots every target node that installs a patch or has one pending.".into(),
        );
    };
    let (mut will, mut unknown) = (0, 0);
    for id in ids {
        match nodes.iter().find(|n| n.id == *id).map(|n| &n.patch) {
            Some(Patch::Scanned(s)) if s.noncompliant() => will += 1,
            Some(Patch::Scanned(_)) => {}
            _ => unknown += 1,
        }
    }
    Some(format!(
        "Reboot: RebootIfNeeded may reboot {will} of the {} nodes (missing or failed patches, or a reboot pending, at their last scan){}; RebootOption=NoReboot installs without rebooting.",
        ids.len(),
        if unknown > 0 {
            format!(", and {unknown} whose patch state is unknown")
        } else {
            String::new()
        }
    ))
}

/// The first confirmation lines of a send: what runs, with which
/// document, on which targets, with which options, where.
/// Where a send across a context set goes: node targets grouped by the
/// context each node was listed in (set order); tag targets to every
/// context of the set.
fn placements(req: &SendRequest, shared: &Shared) -> Vec<Placement> {
    let mut out: Vec<Placement> = Vec::new();
    match &req.targets {
        Targets::Nodes(ids) => {
            for id in ids {
                let ctx = shared.node_context(id);
                match out.iter_mut().find(|p| p.ctx == ctx) {
                    Some(p) => p.nodes.push(id.clone()),
                    None => out.push(Placement {
                        ctx,
                        name: shared.context_name(ctx),
                        nodes: vec![id.clone()],
                    }),
                }
            }
            out.sort_by_key(|p| p.ctx);
        }
        Targets::Tags(_) => {
            for l in shared.contexts {
                out.push(Placement {
                    ctx: l.id,
                    name: l.short(),
                    nodes: Vec::new(),
                });
            }
        }
    }
    out
}

/// The confirmation's line naming each context and its count: "One
/// SendCommand per context: 12 nodes in prod-a us-east-1, 3 in prod-b
/// eu-west-1." (tag targets: every context named).
fn placement_line(placements: &[Placement]) -> String {
    if placements.iter().all(|p| p.nodes.is_empty()) {
        let names: Vec<&str> = placements.iter().map(|p| p.name.as_str()).collect();
        return format!(
            "Sent by tag in every one of {} contexts: {}.",
            placements.len(),
            names.join(", ")
        );
    }
    let parts: Vec<String> = placements
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let what = if i == 0 { " nodes" } else { "" };
            format!("{}{what} in {}", p.nodes.len(), p.name)
        })
        .collect();
    format!("One SendCommand per context: {}.", parts.join(", "))
}

fn send_lines(c: &Compose, req: &SendRequest, shared: &Shared) -> Vec<String> {
    let fleet_total = shared.nodes.len();
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
            shared
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
        format!("In {}.", shared.where_),
    ];
    if let Some(o) = &req.output_s3 {
        lines.insert(
            2,
            format!(
                "Whole output to s3://{}/{}.",
                crate::widgets::raw_json::sanitize(&o.bucket),
                crate::widgets::raw_json::sanitize(&o.prefix)
            ),
        );
    }
    lines
}

impl CommandsState {
    /// A composer on `nodes` (managed node ids; empty: tag targets), with
    /// the defaults: the PowerShell document when every node is Windows,
    /// else the shell one.
    pub(super) fn new_compose(
        &self,
        nodes: Vec<String>,
        origin: String,
        shared: &Shared,
    ) -> Compose {
        let windows = !nodes.is_empty()
            && nodes.iter().all(|id| {
                shared
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
            documents: self.documents.clone(),
            commands: TextArea::default(),
            timeout: "600".into(),
            execution_timeout: "3600".into(),
            concurrency: "50".into(),
            errors: "0".into(),
            comment: String::new(),
            cloudwatch: true,
            log_group: String::new(),
            s3_output: String::new(),
            focus: ComposeField::Commands,
            error: None,
            recent_index: None,
            params: Vec::new(),
            platforms: Vec::new(),
            shown: true,
            cursor: None,
            fleet_total: shared.nodes.len(),
            presets: Vec::new(),
            script: true,
            params_read: false,
            doc_search: String::new(),
        }
    }

    /// Opens the composer on `nodes` (managed node ids, sorted, not
    /// empty), `origin` saying where they came from
    /// ([`Goto::Compose`](crate::pane::Goto::Compose)); reads the
    /// document's parameters (DescribeDocument).
    pub fn compose_for(&mut self, nodes: Vec<String>, origin: String, cx: &mut CommandsCx) {
        let compose = self.new_compose(nodes, origin, &cx.shared);
        cx.job(CommandsJob::DocumentParams {
            name: compose.document.clone(),
        });
        self.compose = Some(compose);
    }

    /// A composer with `document` on `targets` (node ids and where they
    /// came from) or the Fleet selection (tag targets when nothing is
    /// selected), `presets` set once its parameters are read
    /// ([`Goto::ComposeDocument`](crate::pane::Goto::ComposeDocument): the
    /// Documents pane). A composer already open with typed text is shown
    /// instead, its text kept.
    pub fn compose_document(
        &mut self,
        document: String,
        presets: Vec<(String, String)>,
        targets: Option<(Vec<String>, String)>,
        cx: &mut CommandsCx,
    ) {
        if let Some(c) = self.compose.as_mut()
            && (!c.commands.is_empty() || !c.comment.is_empty())
        {
            c.shown = true;
            cx.notice("a composer with typed text is open: send or clear it first");
            return;
        }
        let (nodes, origin) = targets.unwrap_or_else(|| {
            let mut nodes: Vec<String> = cx.shared.selected.iter().cloned().collect();
            nodes.sort();
            (nodes, "the Fleet selection".into())
        });
        let mut compose = self.new_compose(nodes, origin, &cx.shared);
        if compose.nodes.is_empty() {
            compose.focus = ComposeField::Targets;
        }
        compose.document = document;
        compose.presets = presets;
        cx.job(CommandsJob::DocumentParams {
            name: compose.document.clone(),
        });
        self.compose = Some(compose);
    }

    /// `n` / Create in the pane: a composer for the Fleet selection (or tag
    /// targets when nothing is selected), or the one already open, shown
    /// again with everything typed.
    pub(super) fn open_composer(&mut self, cx: &mut CommandsCx) {
        if let Some(c) = self.compose.as_mut() {
            c.shown = true;
            c.cursor = None;
            return;
        }
        let mut nodes: Vec<String> = cx.shared.selected.iter().cloned().collect();
        nodes.sort();
        let mut compose = self.new_compose(nodes, "the Fleet selection".into(), &cx.shared);
        if compose.nodes.is_empty() {
            compose.focus = ComposeField::Targets;
        }
        cx.job(CommandsJob::DocumentParams {
            name: compose.document.clone(),
        });
        self.compose = Some(compose);
    }

    /// A key while the composer is shown.
    pub(super) fn compose_key(&mut self, k: KeyEvent, cx: &mut CommandsCx) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let Some(c) = self.compose.as_mut() else {
            return;
        };
        match k.code {
            KeyCode::Esc => {
                // Hidden, not lost: n opens it again with everything typed.
                c.shown = false;
                return;
            }
            KeyCode::Char('s') if ctrl => return self.confirm_send(cx),
            KeyCode::Char('p') | KeyCode::Char('n') if ctrl => {
                let recent = &self.recent;
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
                return;
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
                c.cursor = None;
                return;
            }
            _ => {}
        }
        self.compose_field_key(k, cx);
    }

    /// Ctrl-S in the composer: check the fields and ask to confirm the send
    /// (or show what is wrong).
    fn confirm_send(&mut self, cx: &mut CommandsCx) {
        let shared = cx.shared;
        let Some(c) = self.compose.as_mut() else {
            return;
        };
        match c.request() {
            Err(why) => c.error = Some(format!("not sent: {why}")),
            Ok(req) => {
                c.error = None;
                let mut lines = send_lines(c, &req, &shared);
                lines.extend(platform_warnings(c, shared.nodes));
                lines.extend(reboot_line(&req, shared.nodes));
                let yes = if shared.contexts.len() > 1 {
                    let placements = placements(&req, &shared);
                    lines.push(placement_line(&placements));
                    CommandsJob::SendAcross { req, placements }
                } else {
                    CommandsJob::Send(req)
                };
                cx.request(Request::Confirm {
                    title: "Send a command".into(),
                    lines,
                    yes,
                });
            }
        }
    }

    /// A key for the focused composer field: edit its text, cycle its choice
    /// or toggle it.
    fn compose_field_key(&mut self, k: KeyEvent, cx: &mut CommandsCx) {
        let Some(c) = self.compose.as_mut() else {
            return;
        };
        match c.focus {
            ComposeField::Commands => {
                c.commands.input(k);
            }
            ComposeField::Document => document_key(c, k, cx),
            ComposeField::Param(i) => {
                if let Some((_, value)) = c.params.get_mut(i)
                    && let Some(e) = Edit::from_key(k)
                {
                    line_input::apply(value, &mut c.cursor, e);
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
                    ComposeField::S3Output => &mut c.s3_output,
                    _ => &mut c.log_group,
                };
                if let Some(e) = Edit::from_key(k) {
                    line_input::apply(text, &mut c.cursor, e);
                }
                if f == ComposeField::Targets {
                    let tags = parse_tags(&c.tags).unwrap_or_default();
                    c.resolved = tag_matches(cx.shared.nodes, &tags).count();
                    c.fleet_total = cx.shared.nodes.len();
                }
            }
        }
    }
}

/// A key in the Document field: typing searches the document list (the
/// first match is chosen), Space / Right the next match, Left the one
/// before; a new choice reads its parameters (DescribeDocument).
fn document_key(c: &mut Compose, k: KeyEvent, cx: &mut CommandsCx) {
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let step: isize = match k.code {
        KeyCode::Char(' ') | KeyCode::Right => 1,
        KeyCode::Left => -1,
        KeyCode::Char(ch) if plain => {
            c.doc_search.push(ch);
            0
        }
        KeyCode::Backspace => {
            c.doc_search.pop();
            0
        }
        _ => return,
    };
    let matches = c.document_matches();
    if matches.is_empty() {
        return;
    }
    let at = matches.iter().position(|d| **d == c.document);
    let next = match (at, step) {
        (Some(i), 0) => i,
        (None, _) => 0,
        (Some(i), s) => (i as isize + s).rem_euclid(matches.len() as isize) as usize,
    };
    let chosen = matches[next].clone();
    if chosen != c.document {
        c.document = chosen;
        c.params.clear();
        c.platforms.clear();
        cx.job(CommandsJob::DocumentParams {
            name: c.document.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s3_output_field_takes_bucket_and_prefix_and_names_a_bad_bucket() {
        assert_eq!(parse_s3_output("  "), Ok(None));
        let o = parse_s3_output("s3://my-ssm-output/runs/web")
            .unwrap()
            .unwrap();
        assert_eq!(
            (o.bucket.as_str(), o.prefix.as_str()),
            ("my-ssm-output", "runs/web")
        );
        let o = parse_s3_output("my-ssm-output").unwrap().unwrap();
        assert_eq!(
            (o.bucket.as_str(), o.prefix.as_str()),
            ("my-ssm-output", "")
        );
        for bad in ["My_Bucket/x", "ab", "-abc", "a..b"] {
            let e = parse_s3_output(bad).unwrap_err();
            assert!(
                e.contains("is not a bucket name") && e.contains("such as"),
                "{e}"
            );
        }
        let long = format!("b-1/{}", "p".repeat(501));
        assert!(
            parse_s3_output(&long)
                .unwrap_err()
                .contains("longer than 500")
        );
    }

    #[test]
    fn the_document_field_searches_the_list_and_cycles_through_the_matches() {
        let state = CommandsState::default();
        let shared = Shared::default();
        let mut c = state.new_compose(vec!["i-1".into()], "x".into(), &shared);
        c.documents = [
            "AWS-RunShellScript",
            "AWS-RunPowerShellScript",
            "AWS-ConfigureAWSPackage",
        ]
        .map(String::from)
        .to_vec();
        let mut cx = crate::pane::Cx::new(std::time::Instant::now(), shared);
        for ch in "conf".chars() {
            document_key(&mut c, KeyEvent::from(KeyCode::Char(ch)), &mut cx);
        }
        assert_eq!(c.document, "AWS-ConfigureAWSPackage");
        for _ in 0..4 {
            document_key(&mut c, KeyEvent::from(KeyCode::Backspace), &mut cx);
        }
        for ch in "run".chars() {
            document_key(&mut c, KeyEvent::from(KeyCode::Char(ch)), &mut cx);
        }
        assert_eq!(c.document_matches().len(), 2);
        assert_eq!(c.document, "AWS-RunShellScript", "kept: it matches");
        document_key(&mut c, KeyEvent::from(KeyCode::Right), &mut cx);
        assert_eq!(c.document, "AWS-RunPowerShellScript");
        document_key(&mut c, KeyEvent::from(KeyCode::Right), &mut cx);
        assert_eq!(c.document, "AWS-RunShellScript", "round the matches only");
        let (jobs, _) = cx.finish();
        assert!(
            jobs.iter()
                .filter(|j| matches!(j, CommandsJob::DocumentParams { .. }))
                .count()
                >= 3,
            "each new choice reads its parameters: {jobs:?}"
        );
    }

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
