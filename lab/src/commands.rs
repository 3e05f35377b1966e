//! Run Command: the lab's simulated nodes really run AWS-RunShellScript's
//! `commands` as local shell processes (one working directory per node, the
//! node's id, name and tags in the environment), honouring MaxConcurrency,
//! MaxErrors, TimeoutSeconds, executionTimeout and CancelCommand. Output
//! streams into CloudWatch-Logs-compatible streams while a command runs;
//! `StandardOutputContent` stays empty until the node finishes and is cut at
//! 24,000 characters, as in AWS. AWS-ConfigureAWSPackage and
//! AWS-RunPatchBaseline run through the same engine without a process (see
//! `crate::distributor` and `crate::patch::run`).
//!
//! Statuses follow the user guide's "Understanding command statuses": only
//! Failed and ExecutionTimedOut invocations count against MaxErrors; past the
//! limit the nodes not yet started end `Cancelled` / `Terminated` and the
//! command ends `Failed`; DeliveryTimedOut makes a command `Incomplete`
//! (StatusDetails; the service model's `CommandStatus` has no such value, so
//! Status says `Failed`); Undeliverable and InvalidPlatform invocations count
//! neither way unless every invocation is one. Tag targets resolve after the
//! send, in batches: until then `TargetCount` is 0 and `InstanceIds` empty.
//!
//! Processes run in their own process group and are killed by group on
//! cancel, timeout and lab shutdown.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::{Notify, Semaphore};

use crate::LabState;
use crate::fleet::{LabNode, PingStatus};
use crate::params::{ApiError, err};

/// SendCommand accepts at most this many InstanceIds.
pub const MAX_INSTANCE_IDS: usize = 50;
/// GetCommandInvocation returns at most this many characters of stdout.
pub const STDOUT_LIMIT: usize = 24_000;
/// … and of stderr.
pub const STDERR_LIMIT: usize = 8_000;
/// ListCommandInvocations Details output is cut here.
pub const PLUGIN_OUTPUT_LIMIT: usize = 2_500;
/// Output the lab keeps per invocation in memory (bytes); CloudWatch gets all.
const KEEP_BYTES: usize = 256 * 1024;
/// … and of a command whose output goes to S3, which holds the whole
/// output (the rest of a bigger output is not kept: a lab limit).
const S3_KEEP_BYTES: usize = 16 * 1024 * 1024;

/// Where a command's output goes in S3 (SendCommand's `OutputS3BucketName`,
/// `OutputS3KeyPrefix`; `OutputS3Region` is echoed, and ignored as AWS
/// now ignores it).
#[derive(Debug, Clone)]
struct S3Output {
    bucket: String,
    prefix: String,
    region: String,
}
/// How long a ConnectionLost node takes to time out in the lab (AWS waits
/// for TimeoutSeconds; the lab is quicker so tests stay short).
const LAB_DELIVERY_TIMEOUT: Duration = Duration::from_millis(800);
/// Tag targets: time before the first nodes resolve …
const TARGET_RESOLVE_DELAY: Duration = Duration::from_millis(300);
/// … and between batches (long enough that a poller sees a partial list).
const TARGET_BATCH_GAP: Duration = Duration::from_secs(1);
/// Tag targets resolve in this many batches (fewer for small sets).
const TARGET_BATCHES: usize = 3;

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[derive(Debug, Clone)]
struct Invocation {
    name: String,
    /// The plugin that runs on the node (CommandPlugins[].Name, PluginName).
    plugin: &'static str,
    status: &'static str,
    details: &'static str,
    response_code: i64,
    stdout: String,
    stderr: String,
    start_s: Option<f64>,
    end_s: Option<f64>,
    /// Most bytes of each stream kept ([`KEEP_BYTES`] or [`S3_KEEP_BYTES`]).
    keep_bytes: usize,
}

impl Invocation {
    fn pending(node: &LabNode, document: &str) -> Invocation {
        Invocation {
            name: node.name.clone(),
            plugin: plugin_name(document, &node.platform_type),
            status: "Pending",
            details: "Pending",
            response_code: -1,
            stdout: String::new(),
            stderr: String::new(),
            start_s: None,
            end_s: None,
            keep_bytes: KEEP_BYTES,
        }
    }

    /// The same, keeping up to `keep_bytes` of each stream.
    fn keeping(mut self, keep_bytes: usize) -> Invocation {
        self.keep_bytes = keep_bytes;
        self
    }

    fn done(&self) -> bool {
        !matches!(
            self.status,
            "Pending" | "InProgress" | "Delayed" | "Cancelling"
        )
    }

    /// Counts against MaxErrors (and in ErrorCount): Failed and ExecutionTimedOut.
    fn is_error(&self) -> bool {
        (self.status == "Failed" && self.details == "Failed") || self.details == "ExecutionTimedOut"
    }

    /// Counts neither for nor against the command: Undeliverable, InvalidPlatform.
    fn is_ignored(&self) -> bool {
        matches!(self.details, "Undeliverable" | "InvalidPlatform")
    }
}

#[derive(Debug)]
struct Command {
    id: String,
    document: String,
    commands: Vec<String>,
    parameters: Value,
    comment: String,
    requested_s: f64,
    targets: Value,
    instance_ids: Vec<String>,
    /// 0 until tag targets are resolved.
    target_count: usize,
    /// Tag targets still resolving.
    resolving: bool,
    max_concurrency: String,
    max_errors: String,
    error_limit: usize,
    timeout_s: u64,
    exec_timeout_s: u64,
    log_group: Option<String>,
    /// Where output goes in S3, when it does.
    s3: Option<S3Output>,
    status: &'static str,
    details: &'static str,
    invocations: BTreeMap<String, Invocation>,
    cancel_all: bool,
    cancel_ids: HashSet<String>,
    cancel: Arc<Notify>,
}

impl Command {
    /// How much of each stream an invocation keeps.
    fn keep_bytes(&self) -> usize {
        if self.s3.is_some() {
            S3_KEEP_BYTES
        } else {
            KEEP_BYTES
        }
    }

    /// `StandardOutputUrl` and `StandardErrorUrl` of the invocation on
    /// `node`: the S3 objects' URLs once it has ended after running, else
    /// empty (AWS: "If execution isn't yet complete, then this string is
    /// empty"; empty too when no bucket was given).
    fn output_urls(&self, node: &str, i: &Invocation, region: &str) -> (String, String) {
        match &self.s3 {
            Some(o) if i.done() && i.start_s.is_some() => {
                let url = |stream| {
                    let key = crate::s3::output_key(&o.prefix, &self.id, node, i.plugin, stream);
                    crate::s3::object_url(region, &o.bucket, &key)
                };
                (url("stdout"), url("stderr"))
            }
            _ => (String::new(), String::new()),
        }
    }

    /// Invocations that count against MaxErrors.
    fn errors(&self) -> usize {
        self.invocations.values().filter(|i| i.is_error()).count()
    }

    /// Whether MaxErrors is exceeded: no further node is started.
    fn over_limit(&self) -> bool {
        self.errors() > self.error_limit
    }

    /// Recomputes the command's status from its invocations.
    fn refresh_status(&mut self) {
        if self.resolving || !self.invocations.values().all(Invocation::done) {
            if self.invocations.values().any(|i| i.status != "Pending") {
                (self.status, self.details) = ("InProgress", "InProgress");
            }
            return;
        }
        (self.status, self.details) = self.final_status();
    }

    /// (Status, StatusDetails) once every invocation is final.
    fn final_status(&self) -> (&'static str, &'static str) {
        if self.cancel_all {
            return ("Cancelled", "Cancelled");
        }
        if self.invocations.is_empty() {
            return ("Failed", "NoInstancesInTag");
        }
        let counted: Vec<&Invocation> = self
            .invocations
            .values()
            .filter(|i| !i.is_ignored())
            .collect();
        if counted.is_empty() {
            // Every invocation Undeliverable or InvalidPlatform: Failed.
            return ("Failed", "Failed");
        }
        if self.over_limit() {
            let failed = counted.iter().any(|i| i.status == "Failed");
            return if failed {
                ("Failed", "Failed")
            } else {
                ("TimedOut", "ExecutionTimedOut")
            };
        }
        if counted.iter().all(|i| i.status == "Success") {
            ("Success", "Success")
        } else {
            ("Failed", "Incomplete")
        }
    }
}

/// Every command the lab has run.
#[derive(Debug, Default)]
pub struct CommandStore {
    commands: Vec<Command>,
    next: u64,
    /// The second group of this store's command ids (`lab0` for the first
    /// tenant), so ids never collide across the lab's tenants.
    pub(crate) tag: String,
    /// Distributor packages installed per node (node id → package name →
    /// VersionName), kept by AWS-ConfigureAWSPackage.
    packages: BTreeMap<String, BTreeMap<String, String>>,
    /// Nodes on which installing a package fails (node id → package
    /// name) until the knob clears them: the State Manager seed's broken
    /// CloudWatch agent installs.
    package_failures: BTreeMap<String, String>,
}

/// One node's part of a command that ran before the lab started.
pub(crate) struct PastInvocation {
    /// The managed node id.
    pub node: String,
    /// Its name.
    pub name: String,
    /// `Success`, `Failed` or `Cancelled`.
    pub status: &'static str,
    /// Exit code (-1: none).
    pub code: i64,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CommandStore {
    /// An empty store whose command ids carry `tag` as their second group
    /// (empty: `lab0`, the first tenant's).
    pub(crate) fn tagged(tag: String) -> Self {
        CommandStore {
            tag,
            ..CommandStore::default()
        }
    }

    /// A new command id, as SendCommand draws them.
    fn new_id(&mut self) -> String {
        self.next += 1;
        format!(
            "{:08x}-{}-4000-8000-{:012x}",
            self.next,
            if self.tag.is_empty() {
                "lab0"
            } else {
                &self.tag
            },
            self.next * 7919
        )
    }

    /// Records a command that ran before the lab started (a maintenance
    /// window task's history): final, sent to `targets` from `start` to
    /// `end` (epoch seconds) with these invocations, so
    /// ListCommandInvocations and GetCommandInvocation answer for it.
    /// Returns its id.
    pub(crate) fn record_past(
        &mut self,
        (document, commands): (&str, Vec<String>),
        (start, end): (f64, f64),
        targets: Value,
        invocations: Vec<PastInvocation>,
    ) -> String {
        let id = self.new_id();
        let mut command = Command {
            id: id.clone(),
            document: document.to_owned(),
            parameters: json!({"commands": commands}),
            commands,
            comment: String::new(),
            requested_s: start,
            targets,
            instance_ids: Vec::new(),
            target_count: invocations.len(),
            resolving: false,
            max_concurrency: "50".into(),
            max_errors: "100%".into(),
            error_limit: invocations.len(),
            timeout_s: 600,
            exec_timeout_s: 3600,
            log_group: None,
            s3: None,
            status: "Success",
            details: "Success",
            invocations: invocations
                .into_iter()
                .map(|i| {
                    let inv = Invocation {
                        name: i.name,
                        plugin: plugin_name(document, "Linux"),
                        status: i.status,
                        details: i.status,
                        response_code: i.code,
                        stdout: i.stdout,
                        stderr: i.stderr,
                        start_s: Some(start + 1.0),
                        end_s: Some(end - 1.0),
                        keep_bytes: KEEP_BYTES,
                    };
                    (i.node, inv)
                })
                .collect(),
            cancel_all: false,
            cancel_ids: HashSet::new(),
            cancel: Arc::new(Notify::new()),
        };
        (command.status, command.details) = command.final_status();
        self.commands.push(command);
        id
    }
}

impl CommandStore {
    /// Records that `package` is installed at `version` on `node` (a
    /// seeded install, as AWS-ConfigureAWSPackage would leave it).
    pub(crate) fn seed_package(&mut self, node: &str, package: &str, version: &str) {
        self.packages
            .entry(node.to_owned())
            .or_default()
            .insert(package.to_owned(), version.to_owned());
    }

    /// From now on, installing `package` on `node` fails (see
    /// [`crate::associations::agent::install_failure`]).
    pub(crate) fn fail_package(&mut self, node: &str, package: &str) {
        self.package_failures
            .insert(node.to_owned(), package.to_owned());
    }

    /// The nodes whose package installs fail, ordered by id.
    pub(crate) fn package_failures(&self) -> Vec<String> {
        self.package_failures.keys().cloned().collect()
    }

    /// Clears every package failure; returns how many nodes had one.
    pub(crate) fn clear_package_failures(&mut self) -> usize {
        std::mem::take(&mut self.package_failures).len()
    }
}

/// One node's invocation of a command, as State Manager follows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InvocationView {
    /// The managed node id.
    pub node: String,
    /// The invocation's Status (`Pending`, `InProgress`, `Success`, …).
    pub status: &'static str,
    /// Its StatusDetails.
    pub details: &'static str,
    /// Whether the invocation is final.
    pub done: bool,
    /// Exit code (-1: none yet).
    pub code: i64,
    /// When it ended, epoch seconds.
    pub end_s: Option<f64>,
    /// Standard error so far.
    pub stderr: String,
}

/// The invocations of command `id` and whether its tag targets are still
/// resolving; `None` for an unknown command.
pub(crate) fn invocations_of(state: &LabState, id: &str) -> Option<(Vec<InvocationView>, bool)> {
    let store = state.commands.lock().expect("commands lock");
    let c = store.find(id).ok()?;
    let list = c
        .invocations
        .iter()
        .map(|(node, i)| InvocationView {
            node: node.clone(),
            status: i.status,
            details: i.details,
            done: i.done(),
            code: i.response_code,
            end_s: i.end_s,
            stderr: i.stderr.clone(),
        })
        .collect();
    Some((list, c.resolving))
}

/// The nodes `targets` (SendCommand's `Targets`) select among `nodes`.
pub(crate) fn resolve(nodes: &[LabNode], targets: &Value, account: &str) -> Vec<LabNode> {
    resolve_targets(nodes, &json!({"Targets": targets}), account).unwrap_or_default()
}

/// The plugin name a document's invocations on a node of `platform`
/// report (CommandPlugins[].Name, GetCommandInvocation's PluginName):
/// AWS-RunShellScript's runtime plugin, or, for the schema 2.2
/// AWS-ConfigureAWSPackage and AWS-RunPatchBaseline, the step that runs
/// (AWS-RunPatchBaseline: PatchWindows, PatchLinux or PatchMacOS by the
/// node's platform; the lab reports only that step, not the two skipped
/// by their preconditions), or the State Manager documents' plugin.
pub(crate) fn plugin_name(document: &str, platform: &str) -> &'static str {
    match document {
        "AWS-RunPowerShellScript" => "aws:runPowerShellScript",
        crate::distributor::CONFIGURE_PACKAGE => "configurePackage",
        crate::patch::run::DOCUMENT => crate::patch::run::plugin(platform),
        other => crate::associations::agent::plugin(other).unwrap_or("aws:runShellScript"),
    }
}

/// Whether GetCommandInvocation's `PluginName` names the plugin `reported`
/// (with or without the `aws:` prefix).
fn plugin_matches(reported: &str, asked: &str) -> bool {
    asked.strip_prefix("aws:").unwrap_or(asked) == reported.strip_prefix("aws:").unwrap_or(reported)
}

/// Parses `N` or `N%` of `total` (at least 1 for concurrency).
fn parse_share(s: &str, total: usize, what: &str) -> Result<usize, ApiError> {
    let bad = || {
        err(
            "ValidationException",
            format!("{what} '{s}' must be a number or a percentage, e.g. 10 or 10%"),
        )
    };
    if let Some(p) = s.strip_suffix('%') {
        let p: usize = p.parse().map_err(|_| bad())?;
        if p > 100 {
            return Err(bad());
        }
        Ok((total * p).div_ceil(100))
    } else {
        s.parse().map_err(|_| bad())
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Built-in Command documents: (name, platform types, description).
/// AWS-RunShellScript declares Linux and MacOS; AWS-RunPowerShellScript
/// also runs on Linux with PowerShell Core (user guide: "Running PowerShell
/// scripts on Linux instances"), which the lab's nodes do not have.
const DOCUMENTS: &[(&str, &[&str], &str)] = &[
    (
        "AWS-RunShellScript",
        &["Linux", "MacOS"],
        "Run a shell script or specify the commands to run.",
    ),
    (
        "AWS-RunPowerShellScript",
        &["Windows", "Linux"],
        "Run a PowerShell script or specify the paths to scripts to run.",
    ),
    (
        crate::distributor::CONFIGURE_PACKAGE,
        crate::distributor::CONFIGURE_PLATFORMS,
        crate::distributor::CONFIGURE_DESCRIPTION,
    ),
    (
        crate::patch::run::DOCUMENT,
        crate::patch::run::PLATFORMS,
        crate::patch::run::DESCRIPTION,
    ),
    (
        crate::associations::agent::INVENTORY,
        crate::associations::agent::PLATFORMS,
        crate::associations::agent::INVENTORY_DESCRIPTION,
    ),
    (
        crate::associations::agent::UPDATE_AGENT,
        crate::associations::agent::PLATFORMS,
        crate::associations::agent::UPDATE_DESCRIPTION,
    ),
];

/// The schema version of the built-in Command document `name`.
fn schema_of(name: &str) -> &'static str {
    match crate::associations::agent::plugin(name) {
        Some(_) => crate::associations::agent::schema_version(name),
        None => "2.2",
    }
}

/// Whether the lab has the Command document `name`.
pub(crate) fn document_exists(name: &str) -> bool {
    DOCUMENTS.iter().any(|(n, _, _)| *n == name)
}

/// Whether `document` may run on a node of `platform`.
fn platform_ok(document: &str, platform: &str) -> bool {
    if crate::associations::agent::plugin(document).is_some() {
        return crate::associations::agent::PLATFORMS.contains(&platform);
    }
    DOCUMENTS
        .iter()
        .find(|(n, _, _)| *n == document)
        .is_some_and(|(_, p, _)| p.contains(&platform))
}

/// Resolves SendCommand targets to nodes.
fn resolve_targets(
    nodes: &[LabNode],
    body: &Value,
    account: &str,
) -> Result<Vec<LabNode>, ApiError> {
    let ids = strings(body.get("InstanceIds"));
    let targets = body
        .get("Targets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ids.is_empty() && targets.is_empty() {
        return Err(err(
            "ValidationException",
            "Either InstanceIds or Targets must be specified.",
        ));
    }
    if !ids.is_empty() && !targets.is_empty() {
        return Err(err(
            "ValidationException",
            "InstanceIds and Targets cannot be used together.",
        ));
    }
    if ids.len() > MAX_INSTANCE_IDS {
        return Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to {MAX_INSTANCE_IDS}"
            ),
        ));
    }
    if targets.len() > 5 {
        return Err(err(
            "ValidationException",
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 5",
        ));
    }
    if !ids.is_empty() {
        for (i, id) in ids.iter().enumerate() {
            crate::validate::pattern(
                &format!("instanceIds.{}.member", i + 1),
                id,
                crate::validate::INSTANCE_ID,
            )?;
        }
        if let Some(dup) = ids
            .iter()
            .enumerate()
            .find_map(|(i, id)| ids[..i].contains(id).then_some(id))
        {
            return Err(err(
                "DuplicateInstanceId",
                format!("Instance Id {dup} is specified more than once in the request."),
            ));
        }
        let mut out = Vec::new();
        for id in &ids {
            match nodes.iter().find(|n| &n.id == id) {
                Some(n) => out.push(n.clone()),
                None => {
                    return Err(err(
                        "InvalidInstanceId",
                        format!(
                            "Instances [[{id}]] not in a valid state for account {}",
                            account
                        ),
                    ));
                }
            }
        }
        return Ok(out);
    }
    let mut out: Vec<LabNode> = nodes.to_vec();
    for t in &targets {
        let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
        let values = strings(t.get("Values"));
        if values.len() > 50 {
            return Err(err(
                "ValidationException",
                "A target may list at most 50 values.",
            ));
        }
        if key == "InstanceIds" {
            out.retain(|n| values.contains(&n.id));
        } else if let Some(tag) = key.strip_prefix("tag:") {
            out.retain(|n| n.tag(tag).is_some_and(|v| values.iter().any(|x| x == v)));
        } else if key == "tag-key" {
            out.retain(|n| n.tags.iter().any(|(k, _)| values.contains(k)));
        } else {
            return Err(err(
                "ValidationException",
                format!(
                    "Target key {key} is not supported by the lab (use InstanceIds, tag:Key or tag-key)."
                ),
            ));
        }
    }
    Ok(out)
}

impl CommandStore {
    fn find(&self, id: &str) -> Result<&Command, ApiError> {
        self.commands
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| err("InvalidCommandId", format!("Command {id} does not exist.")))
    }

    fn find_mut(&mut self, id: &str) -> Result<&mut Command, ApiError> {
        self.commands
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| err("InvalidCommandId", format!("Command {id} does not exist.")))
    }

    fn command_json(c: &Command) -> Value {
        let completed = c.invocations.values().filter(|i| i.done()).count();
        let mut out = json!({
            "CommandId": c.id,
            "DocumentName": c.document,
            "DocumentVersion": "$DEFAULT",
            "Comment": c.comment,
            "Parameters": c.parameters,
            "InstanceIds": c.instance_ids,
            "Targets": c.targets,
            "RequestedDateTime": c.requested_s,
            "Status": c.status,
            "StatusDetails": c.details,
            "MaxConcurrency": c.max_concurrency,
            "MaxErrors": c.max_errors,
            "TimeoutSeconds": c.timeout_s,
            "TargetCount": c.target_count,
            "CompletedCount": completed,
            "ErrorCount": c.errors(),
            "DeliveryTimedOutCount": c.invocations.values().filter(|i| i.details == "DeliveryTimedOut").count(),
            "ServiceRole": "",
        });
        if let Some(g) = &c.log_group {
            out["CloudWatchOutputConfig"] =
                json!({"CloudWatchLogGroupName": g, "CloudWatchOutputEnabled": true});
        } else {
            out["CloudWatchOutputConfig"] = json!({"CloudWatchOutputEnabled": false});
        }
        if let Some(o) = &c.s3 {
            out["OutputS3BucketName"] = json!(o.bucket);
            out["OutputS3KeyPrefix"] = json!(o.prefix);
            out["OutputS3Region"] = json!(o.region);
        }
        out
    }
}

/// Handles a Run Command action; `None` when `action` is not one.
pub fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "SendCommand" => send_command(state, body),
        "ListCommands" => list_commands(state, body),
        "ListCommandInvocations" => list_invocations(state, body),
        "GetCommandInvocation" => get_invocation(state, body),
        "CancelCommand" => cancel_command(state, body),
        "ListDocuments" => list_documents(state, body),
        "GetDocument" => get_document(state, body),
        "DescribeDocument" => describe_document(state, body),
        _ => return None,
    })
}

/// One document of ListDocuments: its identifier, owner, type and
/// platform types.
struct DocumentRow {
    name: String,
    owner: String,
    kind: &'static str,
    platforms: Vec<String>,
    identifier: Value,
}

/// Every document the tenant sees: the Amazon-owned Command documents,
/// Amazon's Distributor packages, the runbooks (Amazon's and the tenant's own Automation documents) and
/// the tenant's ChangeCalendar documents.
fn document_rows(state: &LabState) -> Vec<DocumentRow> {
    let mut rows: Vec<DocumentRow> = DOCUMENTS
        .iter()
        .map(|(n, p, _)| DocumentRow {
            name: (*n).to_owned(),
            owner: "Amazon".into(),
            kind: "Command",
            platforms: p.iter().map(|x| (*x).to_owned()).collect(),
            identifier: json!({
                "Name": n, "Owner": "Amazon", "PlatformTypes": p, "DocumentVersion": "1",
                "DocumentType": "Command", "SchemaVersion": schema_of(n), "DocumentFormat": "JSON",
            }),
        })
        .collect();
    for (name, platforms, identifier) in crate::distributor::identifiers() {
        rows.push(DocumentRow {
            name,
            owner: "Amazon".into(),
            kind: "Package",
            platforms,
            identifier,
        });
    }
    for rb in crate::automation::docs::runbooks(state) {
        rows.push(DocumentRow {
            identifier: crate::automation::docs::identifier(&rb),
            name: rb.name,
            owner: rb.owner,
            kind: "Automation",
            platforms: vec!["Windows".into(), "Linux".into(), "MacOS".into()],
        });
    }
    for d in &state.calendars.lock().expect("calendars lock").docs {
        rows.push(DocumentRow {
            name: d.name.clone(),
            owner: state.account.clone(),
            kind: "ChangeCalendar",
            platforms: Vec::new(),
            identifier: json!({
                "Name": d.name, "Owner": state.account, "PlatformTypes": [], "DocumentVersion": "1",
                "DocumentType": "ChangeCalendar", "DocumentFormat": "TEXT", "CreatedDate": d.created,
                "Tags": [],
            }),
        });
    }
    rows
}

/// Whether `row` passes the filter `key` = any of `values`. `Owner`:
/// `Self` and `Private` the tenant's own documents, `Amazon` Amazon's,
/// `Public` and `All` every document, an account id that account's;
/// `Name` a prefix of the name; `SearchKeyword` a part of the name.
fn document_passes(row: &DocumentRow, account: &str, key: &str, values: &[String]) -> Option<bool> {
    Some(values.iter().any(|v| match key {
        "DocumentType" => row.kind == v,
        "Name" => row.name.starts_with(v.as_str()),
        "SearchKeyword" => row.name.contains(v.as_str()),
        "PlatformTypes" => row.platforms.contains(v),
        "Owner" => match v.as_str() {
            "Self" | "Private" => row.owner == account,
            "Public" | "All" => true,
            other => row.owner == other,
        },
        // No lab document has tags.
        _ => false,
    }))
    .filter(|_| {
        matches!(
            key,
            "DocumentType" | "Name" | "SearchKeyword" | "PlatformTypes" | "Owner"
        ) || key.starts_with("tag:")
    })
}

/// ListDocuments: `Filters` (`[{Key, Values}]`; keys DocumentType, Owner,
/// Name, PlatformTypes, SearchKeyword, else `InvalidFilterKey`) and the
/// older `DocumentFilterList` (`[{key, value}]`, keys from the model's
/// enum Name, Owner, PlatformTypes, DocumentType, else
/// `ValidationException`), all of which must match; paged by name,
/// MaxResults 1 … 50, `InvalidNextToken`.
fn list_documents(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let mut filters: Vec<(String, Vec<String>)> = Vec::new();
    for (i, f) in body
        .get("DocumentFilterList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = f.get("key").and_then(Value::as_str).unwrap_or("");
        if !["Name", "Owner", "PlatformTypes", "DocumentType"].contains(&key) {
            return Err(crate::params::validation(format!(
                "1 validation error detected: Value '{key}' at 'documentFilterList.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [Name, Owner, PlatformTypes, DocumentType]",
                i + 1
            )));
        }
        let value = f.get("value").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(
            &format!("documentFilterList.{}.member.value", i + 1),
            value,
            1,
            usize::MAX,
        )?;
        filters.push((key.to_owned(), vec![value.to_owned()]));
    }
    for f in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        filters.push((key.to_owned(), strings(f.get("Values"))));
    }
    let rows = document_rows(state);
    let mut kept = Vec::new();
    for row in rows {
        let mut keep = true;
        for (k, vs) in &filters {
            match document_passes(&row, &state.account, k, vs) {
                Some(p) => keep &= p,
                None => {
                    return Err(err(
                        "InvalidFilterKey",
                        format!("The filter key {k} is not valid."),
                    ));
                }
            }
        }
        if keep {
            kept.push(row);
        }
    }
    let (page, next) = page(kept, |r| r.name.clone(), body, 50)?;
    Ok(listed(
        "DocumentIdentifiers",
        page.into_iter().map(|r| r.identifier).collect(),
        next,
    ))
}

/// The JSON content of a built-in Command document (schema 2.2).
fn command_content(name: &str, platforms: &[&str], description: &str) -> String {
    let (action, step) = if name == "AWS-RunPowerShellScript" {
        ("aws:runPowerShellScript", "runPowerShellScript")
    } else {
        ("aws:runShellScript", "runShellScript")
    };
    let content = json!({
        "schemaVersion": "2.2",
        "description": description,
        "parameters": {
            "commands": {"type": "StringList", "description": "(Required) Specify a shell script or a command to run."},
            "workingDirectory": {"type": "String", "default": "", "description": "(Optional) The path to the working directory on your instance."},
            "executionTimeout": {"type": "String", "default": "3600", "description": "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours)."},
        },
        "mainSteps": [{
            "action": action, "name": step,
            "precondition": {"StringEquals": ["platformType", platforms[0]]},
            "inputs": {"runCommand": "{{ commands }}", "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"},
        }],
    });
    serde_json::to_string_pretty(&content).unwrap_or_default()
}

/// GetDocument: `Name` (or ARN), `DocumentVersion` (`$LATEST`,
/// `$DEFAULT` or `1`, else `InvalidDocumentVersion`), `DocumentFormat`.
/// A ChangeCalendar answers its iCalendar text (DocumentFormat TEXT
/// whatever was asked); a Command document its JSON content (JSON even
/// when YAML is asked: a departure).
fn get_document(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let raw = body.get("Name").and_then(Value::as_str).unwrap_or("");
    let name = raw.rsplit_once(":document/").map_or(raw, |(_, n)| n);
    if let Some(f) = body.get("DocumentFormat").and_then(Value::as_str)
        && !["YAML", "JSON", "TEXT"].contains(&f)
    {
        return Err(crate::params::validation(format!(
            "1 validation error detected: Value '{f}' at 'documentFormat' failed to satisfy constraint: Member must satisfy enum value set: [YAML, JSON, TEXT]"
        )));
    }
    let version = crate::automation::docs::version_selector(body)?;
    let format = body.get("DocumentFormat").and_then(Value::as_str);
    if let Some(r) = crate::automation::docs::get_document(state, name, version, format) {
        return r;
    }
    if let Some(r) = crate::distributor::get_document(name, version, body) {
        return r;
    }
    if let Some(v) = version
        && !["$LATEST", "$DEFAULT", "1"].contains(&v)
    {
        return Err(err(
            "InvalidDocumentVersion",
            format!("Document {name} has no version {v}."),
        ));
    }
    let base = |kind: &str, format: &str, content: String| {
        json!({
            "Name": name, "DocumentVersion": "1", "Status": "Active",
            "DocumentType": kind, "DocumentFormat": format, "Content": content,
        })
    };
    if let Some(d) = state.calendars.lock().expect("calendars lock").find(name) {
        let mut v = base("ChangeCalendar", "TEXT", d.content.clone());
        v["CreatedDate"] = json!(d.created);
        return Ok(v);
    }
    let (n, platforms, description) =
        DOCUMENTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| {
                err(
                    "InvalidDocument",
                    format!("Document with name {raw} does not exist."),
                )
            })?;
    let content = if *n == crate::distributor::CONFIGURE_PACKAGE {
        crate::distributor::configure_content()
    } else if *n == crate::patch::run::DOCUMENT {
        crate::patch::run::content()
    } else if crate::associations::agent::plugin(n).is_some() {
        crate::associations::agent::content(n)
    } else {
        command_content(n, platforms, description)
    };
    Ok(base("Command", "JSON", content))
}

/// DescribeDocument: a runbook's description at `DocumentVersion`
/// (default its default version) with its declared Parameters, or a
/// Command document's (version 1, else `InvalidDocumentVersion`).
fn describe_document(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let raw = body.get("Name").and_then(Value::as_str).unwrap_or("");
    let name = raw.rsplit_once(":document/").map_or(raw, |(_, n)| n);
    let version = crate::automation::docs::version_selector(body)?;
    if let Some(r) = crate::automation::docs::describe_document(state, name, version) {
        return r;
    }
    if let Some(r) = crate::distributor::describe_document(name, version, body) {
        return r;
    }
    if let Some(v) = version
        && !["$LATEST", "$DEFAULT", "1"].contains(&v)
    {
        return Err(err(
            "InvalidDocumentVersion",
            format!("Document {name} has no version {v}."),
        ));
    }
    let (n, platform, description) =
        DOCUMENTS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| {
                err(
                    "InvalidDocument",
                    format!("Document with name {name} does not exist."),
                )
            })?;
    let parameters = if *n == crate::distributor::CONFIGURE_PACKAGE {
        json!(crate::distributor::parameter_descriptions())
    } else if *n == crate::patch::run::DOCUMENT {
        crate::patch::run::parameter_descriptions()
    } else if crate::associations::agent::plugin(n).is_some() {
        crate::associations::agent::parameter_descriptions(n)
    } else {
        json!([
            {"Name": "commands", "Type": "StringList", "Description": "(Required) Specify a shell script or a command to run."},
            {"Name": "workingDirectory", "Type": "String", "Description": "(Optional) The path to the working directory on your instance.", "DefaultValue": ""},
            {"Name": "executionTimeout", "Type": "String", "Description": "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).", "DefaultValue": "3600"},
        ])
    };
    Ok(json!({"Document": {
        "Name": n, "Owner": "Amazon", "Status": "Active", "DocumentType": "Command",
        "SchemaVersion": schema_of(n), "DocumentVersion": "1", "LatestVersion": "1", "DefaultVersion": "1",
        "DocumentFormat": "JSON", "PlatformTypes": platform, "Description": description,
        "Parameters": parameters,
    }}))
}

/// The checked inputs of `document` in SendCommand's `parameters`: the
/// script's commands (none for AWS-ConfigureAWSPackage, whose parameters
/// are checked against its declaration) and the execution timeout.
fn document_inputs(document: &str, parameters: &Value) -> Result<(Vec<String>, u64), ApiError> {
    if document == crate::distributor::CONFIGURE_PACKAGE {
        crate::distributor::check_parameters(parameters)?;
        return Ok((Vec::new(), 3_600));
    }
    if document == crate::patch::run::DOCUMENT {
        crate::patch::run::check_parameters(parameters)?;
        return Ok((Vec::new(), 7_200));
    }
    if crate::associations::agent::plugin(document).is_some() {
        crate::associations::agent::check_parameters(document, parameters)?;
        return Ok((Vec::new(), 3_600));
    }
    let commands = strings(parameters.get("commands"));
    if commands.is_empty() {
        return Err(err(
            "InvalidParameters",
            "document parameter 'commands' is required and must list at least one command",
        ));
    }
    let exec_timeout_s = strings(parameters.get("executionTimeout"))
        .first()
        .map(|s| s.parse::<u64>())
        .transpose()
        .map_err(|_| {
            err(
                "InvalidParameters",
                "executionTimeout must be a number of seconds",
            )
        })?
        .unwrap_or(3_600);
    Ok((commands, exec_timeout_s))
}

/// SendCommand: validates `body` (the SendCommand request), stores the
/// command and starts it on the simulated nodes; returns
/// `{"Command": {…}}`. Maintenance windows send their RUN_COMMAND tasks
/// through here.
pub(crate) fn send_command(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let document = body
        .get("DocumentName")
        .and_then(Value::as_str)
        .ok_or_else(|| err("ValidationException", "DocumentName is required"))?
        .to_owned();
    if !DOCUMENTS.iter().any(|(n, _, _)| *n == document)
        && crate::associations::agent::plugin(&document).is_none()
    {
        return Err(err(
            "InvalidDocument",
            format!("Document with name {document} does not exist."),
        ));
    }
    let parameters = body.get("Parameters").cloned().unwrap_or_else(|| json!({}));
    let (commands, exec_timeout_s) = document_inputs(&document, &parameters)?;
    let timeout_s = body
        .get("TimeoutSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(3_600);
    if !(30..=2_592_000).contains(&timeout_s) {
        return Err(err(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{timeout_s}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000"
            ),
        ));
    }
    let max_concurrency = body
        .get("MaxConcurrency")
        .and_then(Value::as_str)
        .unwrap_or("50")
        .to_owned();
    let max_errors = body
        .get("MaxErrors")
        .and_then(Value::as_str)
        .unwrap_or("0")
        .to_owned();
    for (field, value, pattern) in [
        (
            "maxConcurrency",
            &max_concurrency,
            crate::validate::MAX_CONCURRENCY,
        ),
        ("maxErrors", &max_errors, crate::validate::MAX_ERRORS),
    ] {
        crate::validate::length(field, value, 1, 7)?;
        crate::validate::pattern(field, value, pattern)?;
    }
    let nodes = resolve_targets(
        &state.nodes.read().expect("nodes lock"),
        body,
        &state.account,
    )?;
    let concurrency = parse_share(&max_concurrency, nodes.len(), "MaxConcurrency")?.max(1);
    let error_limit = parse_share(&max_errors, nodes.len(), "MaxErrors")?;
    let log_group = body
        .get("CloudWatchOutputConfig")
        .filter(|c| c.get("CloudWatchOutputEnabled").and_then(Value::as_bool) == Some(true))
        .map(|c| {
            c.get("CloudWatchLogGroupName")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("/aws/ssm/{document}"))
        });
    let s3 = s3_output(body)?;
    let keep_bytes = if s3.is_some() {
        S3_KEEP_BYTES
    } else {
        KEEP_BYTES
    };
    let mut store = state.commands.lock().expect("commands lock");
    let id = store.new_id();
    let now = now_s();
    // Tag (or InstanceIds) targets resolve after the send, as in AWS: the
    // answer has no InstanceIds and TargetCount 0, invocations appear later.
    let targeted = body
        .get("Targets")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let command = Command {
        id: id.clone(),
        document: document.clone(),
        commands,
        parameters: parameters.clone(),
        comment: body
            .get("Comment")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        requested_s: now,
        targets: body.get("Targets").cloned().unwrap_or_else(|| json!([])),
        instance_ids: if targeted {
            Vec::new()
        } else {
            nodes.iter().map(|n| n.id.clone()).collect()
        },
        target_count: if targeted { 0 } else { nodes.len() },
        resolving: targeted,
        max_concurrency,
        max_errors,
        error_limit,
        timeout_s,
        exec_timeout_s,
        log_group,
        s3,
        status: "Pending",
        details: "Pending",
        invocations: if targeted {
            BTreeMap::new()
        } else {
            nodes
                .iter()
                .map(|n| {
                    let inv = Invocation::pending(n, &document).keeping(keep_bytes);
                    (n.id.clone(), inv)
                })
                .collect()
        },
        cancel_all: false,
        cancel_ids: HashSet::new(),
        cancel: Arc::new(Notify::new()),
    };
    let out = CommandStore::command_json(&command);
    store.commands.push(command);
    drop(store);
    let task = tokio::spawn(run_command(state.clone(), id, nodes, concurrency, targeted));
    state.tasks.lock().expect("tasks lock").push(task);
    Ok(json!({"Command": out}))
}

/// SendCommand's S3 output: `OutputS3BucketName` (3–63 characters),
/// `OutputS3KeyPrefix` (at most 500) and `OutputS3Region` (3–20), as the
/// model bounds them; `None` without a bucket.
fn s3_output(body: &Value) -> Result<Option<S3Output>, ApiError> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (bucket, prefix, region) = (
        text("OutputS3BucketName"),
        text("OutputS3KeyPrefix"),
        text("OutputS3Region"),
    );
    if body.get("OutputS3BucketName").is_none() {
        return Ok(None);
    }
    crate::validate::length("outputS3BucketName", &bucket, 3, 63)?;
    crate::validate::length("outputS3KeyPrefix", &prefix, 0, 500)?;
    if body.get("OutputS3Region").is_some() {
        crate::validate::length("outputS3Region", &region, 3, 20)?;
    }
    Ok(Some(S3Output {
        bucket,
        prefix,
        region,
    }))
}

/// Updates one invocation (and the command's status).
/// When an invocation that ran ends and its command sends output to S3,
/// its stdout and stderr are written to the bucket ([`crate::s3::output_key`]),
/// as the agent uploads them; nothing is written when the bucket does not
/// exist (the agent's upload fails).
fn update_inv(state: &LabState, command_id: &str, node: &str, f: impl FnOnce(&mut Invocation)) {
    let upload = {
        let mut store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find_mut(command_id) else {
            return;
        };
        let mut upload = None;
        if let Some(inv) = c.invocations.get_mut(node) {
            let was_done = inv.done();
            f(inv);
            if let Some(o) = &c.s3
                && !was_done
                && inv.done()
                && inv.start_s.is_some()
            {
                let key =
                    |stream| crate::s3::output_key(&o.prefix, &c.id, node, inv.plugin, stream);
                upload = Some((
                    o.bucket.clone(),
                    [
                        (key("stdout"), inv.stdout.clone().into_bytes()),
                        (key("stderr"), inv.stderr.clone().into_bytes()),
                    ],
                ));
            }
        }
        c.refresh_status();
        upload
    };
    if let Some((bucket, objects)) = upload {
        let mut s3 = state.s3.lock().expect("s3 lock");
        for (key, body) in objects {
            s3.put(&bucket, &key, body);
        }
    }
}

fn cancelled(state: &LabState, command_id: &str, node: &str) -> bool {
    let store = state.commands.lock().expect("commands lock");
    store
        .find(command_id)
        .map(|c| c.cancel_all || c.cancel_ids.contains(node))
        .unwrap_or(true)
}

/// Starts `node` when a concurrency slot is free, unless the command was
/// cancelled (`Cancelled`) or MaxErrors is exceeded (`Cancelled` /
/// `Terminated`: "the parent command exceeded its max-errors limit and
/// subsequent command invocations were canceled by the system").
async fn dispatch(state: Arc<LabState>, gate: Arc<Semaphore>, command_id: String, node: LabNode) {
    let Ok(_permit) = gate.acquire_owned().await else {
        return;
    };
    let over_limit = {
        let store = state.commands.lock().expect("commands lock");
        store
            .find(&command_id)
            .map(Command::over_limit)
            .unwrap_or(true)
    };
    if cancelled(&state, &command_id, &node.id) {
        update_inv(&state, &command_id, &node.id, |i| {
            i.status = "Cancelled";
            i.details = "Cancelled";
        });
        return;
    }
    if over_limit {
        update_inv(&state, &command_id, &node.id, |i| {
            i.status = "Cancelled";
            i.details = "Terminated";
        });
        return;
    }
    run_on_node(&state, &command_id, &node).await;
}

async fn run_command(
    state: Arc<LabState>,
    command_id: String,
    nodes: Vec<LabNode>,
    concurrency: usize,
    targeted: bool,
) {
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut set = tokio::task::JoinSet::new();
    // Targets resolve in a few batches after a short delay; node ids start at once.
    let batch = if targeted {
        nodes.len().div_ceil(TARGET_BATCHES).max(1)
    } else {
        nodes.len().max(1)
    };
    let mut chunks = nodes.chunks(batch).peekable();
    if targeted {
        tokio::time::sleep(TARGET_RESOLVE_DELAY).await;
    }
    let document = {
        let store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find(&command_id) else {
            return;
        };
        c.document.clone()
    };
    while let Some(chunk) = chunks.next() {
        if targeted {
            let mut store = state.commands.lock().expect("commands lock");
            let Ok(c) = store.find_mut(&command_id) else {
                return;
            };
            let keep = c.keep_bytes();
            for n in chunk {
                c.invocations.insert(
                    n.id.clone(),
                    Invocation::pending(n, &document).keeping(keep),
                );
            }
        }
        for node in chunk {
            set.spawn(dispatch(
                state.clone(),
                gate.clone(),
                command_id.clone(),
                node.clone(),
            ));
        }
        if targeted && chunks.peek().is_some() {
            tokio::time::sleep(TARGET_BATCH_GAP).await;
        }
    }
    if targeted {
        let mut store = state.commands.lock().expect("commands lock");
        if let Ok(c) = store.find_mut(&command_id) {
            c.resolving = false;
            c.target_count = c.invocations.len();
            c.refresh_status();
        }
    }
    while set.join_next().await.is_some() {}
}

/// What happens before a node's process starts: the document's platform,
/// delivery (Inactive: Undeliverable, ConnectionLost: DeliveryTimedOut),
/// the node profile's delay and failure. `false` when the invocation ended.
async fn deliver(state: &Arc<LabState>, command_id: &str, node: &LabNode) -> bool {
    let document = {
        let store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find(command_id) else {
            return false;
        };
        c.document.clone()
    };
    if !platform_ok(&document, &node.platform_type) {
        // "Invalid Platform": the node does not match the document's platform
        // types; it does not count against MaxErrors.
        update_inv(state, command_id, &node.id, |i| {
            i.status = "Failed";
            i.details = "InvalidPlatform";
        });
        return false;
    }
    match node.ping {
        PingStatus::Inactive => {
            update_inv(state, command_id, &node.id, |i| {
                i.status = "Failed";
                i.details = "Undeliverable";
            });
            return false;
        }
        PingStatus::ConnectionLost => {
            tokio::time::sleep(LAB_DELIVERY_TIMEOUT).await;
            update_inv(state, command_id, &node.id, |i| {
                i.status = "TimedOut";
                i.details = "DeliveryTimedOut";
            });
            return false;
        }
        PingStatus::Online => {}
    }
    if node.command_delay_ms > 0 {
        update_inv(state, command_id, &node.id, |i| {
            i.status = "Delayed";
            i.details = "Delayed";
        });
        tokio::time::sleep(Duration::from_millis(node.command_delay_ms)).await;
    }
    let no_pwsh = document == "AWS-RunPowerShellScript" && node.platform_type != "Windows";
    // AWS-RunPatchBaseline fails on such a node in its own way (its
    // missing patches end Failed): see crate::patch::run.
    let simulated_failure = node.command_fails && document != crate::patch::run::DOCUMENT;
    if simulated_failure || no_pwsh {
        update_inv(state, command_id, &node.id, |i| {
            i.status = "Failed";
            i.details = "Failed";
            i.response_code = 1;
            i.start_s = Some(now_s());
            i.end_s = Some(now_s());
            i.stderr = if no_pwsh {
                "lab node: pwsh not found; AWS-RunPowerShellScript needs PowerShell Core on a Linux node\n".into()
            } else {
                "lab node profile: the agent failed to run the command\n".into()
            };
        });
        return false;
    }
    true
}

async fn run_on_node(state: &Arc<LabState>, command_id: &str, node: &LabNode) {
    if !deliver(state, command_id, node).await {
        return;
    }
    if configure_package(state, command_id, node) || patch_baseline(state, command_id, node).await {
        return;
    }
    let (script, document, exec_timeout, log_group, cancel, working_dir) = {
        let store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find(command_id) else {
            return;
        };
        (
            c.commands.join("\n"),
            c.document.clone(),
            c.exec_timeout_s,
            c.log_group.clone(),
            c.cancel.clone(),
            strings(c.parameters.get("workingDirectory"))
                .into_iter()
                .next()
                .filter(|d| !d.is_empty()),
        )
    };
    // The document's workingDirectory when given, else the node's own directory.
    let dir = working_dir.map_or_else(|| state.work_dir.join(&node.id), std::path::PathBuf::from);
    let _ = tokio::fs::create_dir_all(&dir).await;
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env("AWS_SSM_INSTANCE_ID", &node.id)
        .env("SSM_NODE_ID", &node.id)
        .env("SSM_NODE_NAME", &node.name)
        .env("AWS_SSM_REGION_NAME", &state.region)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (k, v) in &node.tags {
        let key: String = k
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        cmd.env(format!("SSM_TAG_{key}"), v);
    }
    update_inv(state, command_id, &node.id, |i| {
        i.status = "InProgress";
        i.details = "InProgress";
        i.start_s = Some(now_s());
    });
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            update_inv(state, command_id, &node.id, |i| {
                i.status = "Failed";
                i.details = "Failed";
                i.stderr = format!("lab could not start sh: {e}");
                i.response_code = 1;
                i.end_s = Some(now_s());
            });
            return;
        }
    };
    let pgid = child.id().map(|p| p as i32);
    if let Some(pg) = pgid {
        state.process_groups.lock().expect("pgids lock").insert(pg);
    }
    let plugin_stream = plugin_name(&document, &node.platform_type).replace(':', "-");
    let stream = |kind: &str| format!("{command_id}/{}/{plugin_stream}/{kind}", node.id);
    let mut out = child.stdout.take().expect("piped");
    let mut errp = child.stderr.take().expect("piped");
    let (mut out_buf, mut err_buf) = ([0u8; 4096], [0u8; 4096]);
    let (mut out_partial, mut err_partial) = (String::new(), String::new());
    let (mut out_open, mut err_open) = (true, true);
    let deadline = tokio::time::sleep(Duration::from_secs(exec_timeout));
    tokio::pin!(deadline);
    let mut outcome: Option<(&'static str, &'static str)> = None;
    while out_open || err_open {
        if cancelled(state, command_id, &node.id) {
            outcome = Some(("Cancelled", "Cancelled"));
            break;
        }
        tokio::select! {
            n = out.read(&mut out_buf), if out_open => match n {
                Ok(0) | Err(_) => out_open = false,
                Ok(n) => record(state, command_id, &node.id, &log_group, &stream("stdout"), &mut out_partial, &out_buf[..n], false),
            },
            n = errp.read(&mut err_buf), if err_open => match n {
                Ok(0) | Err(_) => err_open = false,
                Ok(n) => record(state, command_id, &node.id, &log_group, &stream("stderr"), &mut err_partial, &err_buf[..n], true),
            },
            () = &mut deadline => {
                outcome = Some(("TimedOut", "ExecutionTimedOut"));
                break;
            }
            () = cancel.notified() => {
                if cancelled(state, command_id, &node.id) {
                    outcome = Some(("Cancelled", "Cancelled"));
                    break;
                }
            }
        }
    }
    if outcome.is_some() {
        if let Some(pg) = pgid {
            // SAFETY: killpg only sends a signal to the process group this
            // task created (process_group(0) made the child its leader).
            unsafe {
                libc::killpg(pg, libc::SIGKILL);
            }
        }
        let _ = child.kill().await;
    }
    flush_partial(state, &log_group, &stream("stdout"), &mut out_partial);
    flush_partial(state, &log_group, &stream("stderr"), &mut err_partial);
    let code = match outcome {
        Some(_) => -1,
        None => child
            .wait()
            .await
            .ok()
            .and_then(|s| s.code())
            .map_or(-1, i64::from),
    };
    if let Some(pg) = pgid {
        state.process_groups.lock().expect("pgids lock").remove(&pg);
    }
    update_inv(state, command_id, &node.id, |i| {
        let (status, details) = outcome.unwrap_or(if code == 0 {
            ("Success", "Success")
        } else {
            ("Failed", "Failed")
        });
        i.status = status;
        i.details = details;
        i.response_code = code;
        i.end_s = Some(now_s());
    });
}

/// Runs an invocation of a document the lab's agent answers without a
/// process on `node`: AWS-ConfigureAWSPackage (the node's installed
/// packages change, unless the node's installs fail), and the State
/// Manager documents of [`crate::associations::agent`]. Its output is the
/// plugin's. `false` when the command runs another document.
fn configure_package(state: &Arc<LabState>, command_id: &str, node: &LabNode) -> bool {
    let (document, parameters, log_group) = {
        let store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find(command_id) else {
            return true;
        };
        let builtin = c.document == crate::distributor::CONFIGURE_PACKAGE
            || crate::associations::agent::plugin(&c.document).is_some();
        if !builtin {
            return false;
        }
        (
            c.document.clone(),
            c.parameters.clone(),
            c.log_group.clone(),
        )
    };
    let start = now_s();
    update_inv(state, command_id, &node.id, |i| {
        i.status = "InProgress";
        i.details = "InProgress";
        i.start_s = Some(start);
    });
    let outcome = if document == crate::distributor::CONFIGURE_PACKAGE {
        let mut store = state.commands.lock().expect("commands lock");
        match crate::distributor::check_parameters(&parameters) {
            Ok(r) => match store.package_failures.get(&node.id) {
                Some(p) if *p == r.name && r.action == "Install" => {
                    crate::associations::agent::install_failure(&r.name)
                }
                _ => {
                    let installed = store.packages.entry(node.id.clone()).or_default();
                    crate::distributor::configure(installed, &r, &node.platform_type)
                }
            },
            Err(e) => crate::distributor::Outcome {
                code: 1,
                stdout: String::new(),
                stderr: format!("{}\n", e.message),
            },
        }
    } else {
        crate::associations::agent::run(&document, node, &parameters)
    };
    finish(state, command_id, node, &log_group, &outcome);
    true
}

/// Runs an AWS-RunPatchBaseline invocation on `node` (no process: the
/// node's patch record changes, see `crate::patch::run`); `false` when
/// the command runs another document.
async fn patch_baseline(state: &Arc<LabState>, command_id: &str, node: &LabNode) -> bool {
    let (request, log_group) = {
        let store = state.commands.lock().expect("commands lock");
        let Ok(c) = store.find(command_id) else {
            return true;
        };
        if c.document != crate::patch::run::DOCUMENT {
            return false;
        }
        (
            crate::patch::run::check_parameters(&c.parameters),
            c.log_group.clone(),
        )
    };
    update_inv(state, command_id, &node.id, |i| {
        i.status = "InProgress";
        i.details = "InProgress";
        i.start_s = Some(now_s());
    });
    let outcome = match request {
        Ok(r) => crate::patch::run::run(state, node, command_id, &r).await,
        Err(e) => crate::distributor::Outcome {
            code: 1,
            stdout: String::new(),
            stderr: format!("{}\n", e.message),
        },
    };
    finish(state, command_id, node, &log_group, &outcome);
    true
}

/// Ends a simulated (process-less) invocation with `outcome`: its output
/// recorded (and sent to CloudWatch Logs when enabled), Success on code
/// 0, else Failed.
fn finish(
    state: &LabState,
    command_id: &str,
    node: &LabNode,
    log_group: &Option<String>,
    outcome: &crate::distributor::Outcome,
) {
    let plugin = {
        let store = state.commands.lock().expect("commands lock");
        store
            .find(command_id)
            .ok()
            .and_then(|c| c.invocations.get(&node.id))
            .map_or("aws:runShellScript", |i| i.plugin)
    }
    .replace(':', "-");
    for (kind, text, is_err) in [
        ("stdout", &outcome.stdout, false),
        ("stderr", &outcome.stderr, true),
    ] {
        let stream = format!("{command_id}/{}/{plugin}/{kind}", node.id);
        let mut partial = String::new();
        if !text.is_empty() {
            record(
                state,
                command_id,
                &node.id,
                log_group,
                &stream,
                &mut partial,
                text.as_bytes(),
                is_err,
            );
        }
        flush_partial(state, log_group, &stream, &mut partial);
    }
    update_inv(state, command_id, &node.id, |i| {
        (i.status, i.details) = if outcome.code == 0 {
            ("Success", "Success")
        } else {
            ("Failed", "Failed")
        };
        i.response_code = outcome.code;
        i.end_s = Some(now_s());
    });
}

#[allow(clippy::too_many_arguments)]
fn record(
    state: &LabState,
    command_id: &str,
    node: &str,
    log_group: &Option<String>,
    stream: &str,
    partial: &mut String,
    bytes: &[u8],
    stderr: bool,
) {
    let text = String::from_utf8_lossy(bytes);
    update_inv(state, command_id, node, |i| {
        let buf = if stderr { &mut i.stderr } else { &mut i.stdout };
        if buf.len() < i.keep_bytes {
            buf.push_str(&text);
        }
    });
    if let Some(group) = log_group {
        partial.push_str(&text);
        if let Some(last_nl) = partial.rfind('\n') {
            let complete: Vec<String> = partial[..last_nl].split('\n').map(str::to_owned).collect();
            *partial = partial[last_nl + 1..].to_owned();
            state
                .logs
                .lock()
                .expect("logs lock")
                .append(group, stream, complete);
        }
    }
}

fn flush_partial(state: &LabState, log_group: &Option<String>, stream: &str, partial: &mut String) {
    if let Some(group) = log_group
        && !partial.is_empty()
    {
        state
            .logs
            .lock()
            .expect("logs lock")
            .append(group, stream, vec![std::mem::take(partial)]);
    }
}

/// A list answer: `{key: list}` plus `NextToken` when more pages follow.
pub(crate) fn listed(key: &str, list: Vec<Value>, next: Option<String>) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(key.to_owned(), Value::Array(list));
    if let Some(t) = next {
        out.insert("NextToken".into(), Value::String(t));
    }
    Value::Object(out)
}

/// One page of `items` under the request's `MaxResults` (1 … `max`,
/// default `max`) and `NextToken`, in the order of `key` (see
/// [`crate::paging::page_by`]). A token not issued for this call is
/// `InvalidNextToken`.
pub(crate) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    body: &Value,
    max: u64,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = match body.get("MaxResults").and_then(Value::as_u64) {
        None => max as usize,
        Some(n) if (1..=max).contains(&n) => n as usize,
        Some(n) => {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to {max}"
                ),
            ));
        }
    };
    let token = body.get("NextToken").and_then(Value::as_str);
    crate::paging::page_by(items, key, token, limit)
        .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))
}

/// Checks `Filters` of ListCommands / ListCommandInvocations: keys from the
/// model's `CommandFilterKey` enum, values of 1 … 128 characters, and (API
/// reference) no `ExecutionStage` on ListCommandInvocations. The lab accepts
/// the filters but does not narrow its answer by them.
fn check_command_filters(body: &Value, invocations: bool) -> Result<(), ApiError> {
    const KEYS: [&str; 5] = [
        "InvokedAfter",
        "InvokedBefore",
        "Status",
        "ExecutionStage",
        "DocumentName",
    ];
    let filters = body.get("Filters").and_then(Value::as_array);
    for (i, f) in filters.into_iter().flatten().enumerate() {
        let key = f.get("key").and_then(Value::as_str).unwrap_or("");
        let value = f.get("value").and_then(Value::as_str).unwrap_or("");
        if !KEYS.contains(&key) {
            return Err(crate::params::validation(format!(
                "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                i + 1,
                KEYS.join(", ")
            )));
        }
        crate::validate::length(&format!("filters.{}.member.value", i + 1), value, 1, 128)?;
        if invocations && key == "ExecutionStage" {
            return Err(err(
                "InvalidFilterKey",
                "The ExecutionStage filter can't be used with ListCommandInvocations, only with ListCommands.",
            ));
        }
    }
    Ok(())
}

/// The sort key of the `n`th command of the store, newest first.
fn newest_first(n: usize) -> String {
    format!("{:020}", u64::MAX - n as u64)
}

fn list_commands(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    check_command_filters(body, false)?;
    let store = state.commands.lock().expect("commands lock");
    let id = body.get("CommandId").and_then(Value::as_str);
    let instance = body.get("InstanceId").and_then(Value::as_str);
    if let Some(id) = id {
        store.find(id)?;
    }
    // Newest first: commands are only appended, so the position in the
    // store, counted down, is a stable sort key.
    let items: Vec<(usize, &Command)> = store
        .commands
        .iter()
        .enumerate()
        .filter(|(_, c)| id.is_none_or(|i| c.id == i))
        .filter(|(_, c)| instance.is_none_or(|i| c.invocations.contains_key(i)))
        .collect();
    let (page, next) = page(items, |(n, _)| newest_first(*n), body, 50)?;
    let list = page
        .into_iter()
        .map(|(_, c)| CommandStore::command_json(c))
        .collect();
    Ok(listed("Commands", list, next))
}

fn list_invocations(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    check_command_filters(body, true)?;
    let store = state.commands.lock().expect("commands lock");
    let details = body
        .get("Details")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let instance = body.get("InstanceId").and_then(Value::as_str);
    let commands: Vec<(usize, &Command)> = match body.get("CommandId").and_then(Value::as_str) {
        Some(id) => {
            let c = store.find(id)?;
            let n = store
                .commands
                .iter()
                .position(|x| x.id == c.id)
                .unwrap_or(0);
            vec![(n, c)]
        }
        None => store.commands.iter().enumerate().collect(),
    };
    let mut items = Vec::new();
    for (n, c) in commands {
        for (node, i) in &c.invocations {
            if instance.is_some_and(|x| x != node) {
                continue;
            }
            let (out_url, err_url) = c.output_urls(node, i, &state.region);
            let mut v = json!({
                "CommandId": c.id,
                "InstanceId": node,
                "InstanceName": i.name,
                "Comment": c.comment,
                "DocumentName": c.document,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": c.requested_s,
                "Status": i.status,
                "StatusDetails": i.details,
                "StandardOutputUrl": out_url,
                "StandardErrorUrl": err_url,
                "ServiceRole": "",
            });
            if let Some(g) = &c.log_group {
                v["CloudWatchOutputConfig"] =
                    json!({"CloudWatchLogGroupName": g, "CloudWatchOutputEnabled": true});
            }
            if details {
                let output: String = if i.done() {
                    let mut o = i.stdout.clone();
                    if !i.stderr.is_empty() {
                        o.push_str("\n----------ERROR-------\n");
                        o.push_str(&i.stderr);
                    }
                    o.chars().take(PLUGIN_OUTPUT_LIMIT).collect()
                } else {
                    String::new()
                };
                let mut plugin = json!({
                    "Name": i.plugin,
                    "Status": i.status,
                    "StatusDetails": i.details,
                    "ResponseCode": i.response_code,
                    "Output": output,
                    "StandardOutputUrl": out_url,
                    "StandardErrorUrl": err_url,
                });
                if let Some(o) = &c.s3 {
                    plugin["OutputS3BucketName"] = json!(o.bucket);
                    plugin["OutputS3KeyPrefix"] = json!(o.prefix);
                    plugin["OutputS3Region"] = json!(o.region);
                }
                if let Some(s) = i.start_s {
                    plugin["ResponseStartDateTime"] = json!(s);
                }
                if let Some(e) = i.end_s {
                    plugin["ResponseFinishDateTime"] = json!(e);
                }
                v["CommandPlugins"] = json!([plugin]);
            }
            items.push((format!("{}{node}", newest_first(n)), v));
        }
    }
    let (page, next) = page(items, |(k, _)| k.clone(), body, 50)?;
    let list = page.into_iter().map(|(_, v)| v).collect();
    Ok(listed("CommandInvocations", list, next))
}

fn get_invocation(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let store = state.commands.lock().expect("commands lock");
    let id = body.get("CommandId").and_then(Value::as_str).unwrap_or("");
    let node = body.get("InstanceId").and_then(Value::as_str).unwrap_or("");
    let missing = || {
        err(
            "InvocationDoesNotExist",
            "An error occurred (InvocationDoesNotExist)",
        )
    };
    let plugin = body.get("PluginName").and_then(Value::as_str);
    if let Some(p) = plugin {
        crate::validate::length("pluginName", p, 4, usize::MAX)?;
    }
    let c = store.find(id).map_err(|_| missing())?;
    let i = c.invocations.get(node).ok_or_else(missing)?;
    // The name the lab reports (CommandPlugins[].Name), or the document's
    // step name (the same without `aws:`).
    let reported = i.plugin;
    if plugin.is_some_and(|p| !plugin_matches(reported, p)) {
        return Err(err("InvalidPluginName", "The plugin name isn't valid."));
    }
    // Output exists only once the node finished, as in AWS.
    let (stdout, stderr) = if i.done() {
        (
            i.stdout.chars().take(STDOUT_LIMIT).collect::<String>(),
            i.stderr.chars().take(STDERR_LIMIT).collect::<String>(),
        )
    } else {
        (String::new(), String::new())
    };
    let elapsed = match (i.start_s, i.end_s) {
        (Some(s), Some(e)) => format!("PT{:.3}S", e - s),
        _ => String::new(),
    };
    let (out_url, err_url) = c.output_urls(node, i, &state.region);
    let mut out = json!({
        "CommandId": c.id,
        "InstanceId": node,
        "Comment": c.comment,
        "DocumentName": c.document,
        "DocumentVersion": "$DEFAULT",
        "PluginName": i.plugin,
        "ResponseCode": i.response_code,
        "ExecutionElapsedTime": elapsed,
        "Status": i.status,
        "StatusDetails": i.details,
        "StandardOutputContent": stdout,
        "StandardOutputUrl": out_url,
        "StandardErrorContent": stderr,
        "StandardErrorUrl": err_url,
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": c.log_group.clone().unwrap_or_default(), "CloudWatchOutputEnabled": c.log_group.is_some()},
    });
    if let Some(s) = i.start_s {
        out["ExecutionStartDateTime"] = Value::String(crate::protocol::iso8601_ms(s));
    }
    if let Some(e) = i.end_s {
        out["ExecutionEndDateTime"] = Value::String(crate::protocol::iso8601_ms(e));
    }
    Ok(out)
}

/// A command's (Status, StatusDetails) and whether it is final.
pub(crate) type Outcome = (&'static str, &'static str, bool);

/// The [`Outcome`] of command `id`; `None` for an unknown command.
pub(crate) fn command_outcome(state: &LabState, id: &str) -> Option<Outcome> {
    let store = state.commands.lock().expect("commands lock");
    let c = store.find(id).ok()?;
    let done = !matches!(c.status, "Pending" | "InProgress" | "Cancelling")
        && !c.resolving
        && c.invocations.values().all(Invocation::done);
    Some((c.status, c.details, done))
}

/// Cancels every invocation of command `id` still to run or running, as
/// CancelCommand without InstanceIds does; `false` for an unknown command.
pub(crate) fn cancel_all(state: &LabState, id: &str) -> bool {
    let mut store = state.commands.lock().expect("commands lock");
    let Ok(c) = store.find_mut(id) else {
        return false;
    };
    c.cancel_all = true;
    c.cancel.notify_waiters();
    true
}

fn cancel_command(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = body.get("CommandId").and_then(Value::as_str).unwrap_or("");
    let ids = strings(body.get("InstanceIds"));
    let mut store = state.commands.lock().expect("commands lock");
    let c = store.find_mut(id)?;
    if ids.is_empty() {
        c.cancel_all = true;
    } else {
        c.cancel_ids.extend(ids);
    }
    c.cancel.notify_waiters();
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(parse_share("10", 300, "x").unwrap(), 10);
        assert_eq!(parse_share("10%", 300, "x").unwrap(), 30);
        assert_eq!(parse_share("1%", 50, "x").unwrap(), 1);
        assert!(parse_share("ten", 3, "x").is_err());
        assert!(parse_share("150%", 3, "x").is_err());
    }
}
