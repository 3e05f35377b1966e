//! State Manager associations: a document bound to targets on a schedule,
//! each run an *execution* sent through Run Command's engine (one command
//! per 50 target nodes; the targets' `OutputSource` is that command), and
//! per node the *instance association status* the agent reports, which
//! DescribeInstanceInformation sums up in `AssociationOverview`.
//!
//! Operations (AWS API reference, SSM 2014-11-06): CreateAssociation,
//! ListAssociations, DescribeAssociation, UpdateAssociation,
//! DeleteAssociation, ListAssociationVersions, DescribeAssociationExecutions,
//! DescribeAssociationExecutionTargets, DescribeInstanceAssociationsStatus,
//! StartAssociationsOnce.
//!
//! Every tenant is seeded from its fleet (see [`seed`]): software inventory
//! on the prod and staging nodes every 30 minutes, SSM Agent updates on the
//! prod nodes every 14 days and the CloudWatch agent installed on the web,
//! api and worker nodes every day, failing on about two in nine of them
//! until [`crate::LabHandle::fix_association_failures`]. Executions on a
//! schedule run only when the lab's association clock ticks
//! ([`crate::LabHandle::set_association_tick_ms`], off at start): every tick
//! runs every scheduled association once, as if its next time had come.
//!
//! Only Online nodes take part in a new execution (an offline agent does
//! not pull its associations); their last status stays as it was.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::LabState;
use crate::params::{ApiError, err, validation};

pub(crate) mod agent;
mod query;
mod run;
pub(crate) mod seed;
#[cfg(test)]
mod tests;

pub(crate) use run::{spawn_scheduler, start_execution};

/// Associations per tenant (the Systems Manager quota is 10,000 per
/// account and Region; the lab stops earlier).
const ASSOCIATION_LIMIT: usize = 2_000;
/// Versions kept per association (AWS: 1,000).
const VERSION_LIMIT: u32 = 1_000;

/// The members of an association that a new version may change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    /// The document's name (or ARN).
    pub name: String,
    /// `$DEFAULT`, `$LATEST` or a number.
    pub document_version: String,
    /// A legacy association's one node.
    pub instance_id: Option<String>,
    /// `[{Key, Values}]` (empty for a legacy association).
    pub targets: Vec<Value>,
    /// `rate(…)` or `cron(…)`.
    pub schedule: Option<String>,
    /// `{name: [value]}`.
    pub parameters: Map<String, Value>,
    /// `AssociationName`.
    pub association_name: Option<String>,
    /// `MaxConcurrency`, `MaxErrors` as given.
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    /// `CRITICAL` … `UNSPECIFIED`.
    pub compliance_severity: Option<String>,
    /// `AUTO` or `MANUAL`.
    pub sync_compliance: String,
    pub apply_only_at_cron: bool,
    /// Members kept as given and answered back (OutputLocation,
    /// CalendarNames, ScheduleOffset, Duration, TargetMaps, …).
    pub extra: Map<String, Value>,
}

/// One association and its versions.
#[derive(Debug, Clone)]
pub(crate) struct Association {
    /// UUID.
    pub id: String,
    /// The current version (1, 2, …).
    pub version: u32,
    /// When it was created (`Date`), epoch seconds.
    pub created: f64,
    /// When its last version was made.
    pub updated: f64,
    /// The current version's members.
    pub spec: Spec,
    /// Every version: (number, created, members), oldest first.
    pub versions: Vec<(u32, f64, Spec)>,
    pub last_execution: Option<f64>,
    pub last_success: Option<f64>,
    /// Tags given at creation (kept; the lab has no ListTagsForResource
    /// of associations yet).
    #[allow(dead_code)]
    pub tags: Vec<Value>,
}

/// One node of an execution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExecTarget {
    /// The node id.
    pub resource_id: String,
    /// `Pending`, `InProgress`, `Success`, `Failed`.
    pub status: String,
    /// The invocation's detail (`Success`, `Failed`, `TimedOut`, …).
    pub detailed: String,
    /// When it last changed.
    pub date: f64,
    /// The Run Command command that ran it (its OutputSourceId).
    pub command_id: String,
}

/// One run of an association.
#[derive(Debug, Clone)]
pub(crate) struct Execution {
    /// UUID.
    pub id: String,
    pub association_id: String,
    /// The association version it ran.
    pub version: u32,
    pub created: f64,
    /// When a target last changed.
    pub last: Option<f64>,
    /// `Pending`, `InProgress`, `Success`, `Failed`.
    pub status: String,
    pub detailed: String,
    pub targets: Vec<ExecTarget>,
}

/// A node's status for one association (AWS's
/// `InstanceAssociationStatusInfo`), the seam Compliance reads its
/// Association items from.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceStatus {
    /// The association's id.
    pub association_id: String,
    /// Its AssociationName, if it has one.
    pub association_name: Option<String>,
    /// The document it runs.
    pub document: String,
    /// The document version that ran (`1`).
    pub document_version: String,
    /// The association version that ran.
    pub association_version: String,
    /// The node.
    pub instance_id: String,
    /// The execution that last ran here.
    pub execution_id: String,
    /// When it ran, epoch seconds.
    pub execution_date: f64,
    /// `Pending`, `Success` or `Failed` (AssociationStatusName).
    pub status: String,
    /// `Pending`, `InProgress`, `Success`, `Failed`, `TimedOut`, …
    pub detailed: String,
    /// "1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0
    /// skipped. " (and, failed, the plugin's error).
    pub summary: String,
    /// The plugin's exit code when it failed (at most 10 characters).
    pub error_code: Option<String>,
    /// The association's ComplianceSeverity (`UNSPECIFIED` when none).
    pub compliance_severity: String,
}

/// A tenant's associations, executions and per-node statuses.
#[derive(Debug, Default)]
pub(crate) struct AssociationStore {
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) associations: Vec<Association>,
    /// Oldest first.
    pub(crate) executions: Vec<Execution>,
    /// (association id, node id) → status.
    pub(crate) statuses: BTreeMap<(String, String), InstanceStatus>,
    /// Ids drawn so far.
    serial: u64,
    /// The association clock's period, milliseconds; 0: off.
    pub(crate) tick_ms: u64,
}

/// A UUID from `seed` and `n` (stable; version-4 shaped).
pub(crate) fn uuid(seed: &str, n: u64) -> String {
    let h = |salt: u64| {
        seed.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt ^ n, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let (a, b) = (h(0x1234_5678), h(0x9abc_def0));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

impl AssociationStore {
    /// An empty store of a tenant.
    pub(crate) fn for_tenant(account: &str, region: &str) -> Self {
        AssociationStore {
            account: account.to_owned(),
            region: region.to_owned(),
            ..AssociationStore::default()
        }
    }

    /// A new id (association or execution).
    pub(crate) fn new_id(&mut self) -> String {
        self.serial += 1;
        uuid(&format!("{}/{}", self.account, self.region), self.serial)
    }

    fn find(&self, id: &str) -> Result<&Association, ApiError> {
        self.associations
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(does_not_exist)
    }

    /// The association a request names: `AssociationId`, or `Name` with
    /// `InstanceId` (a legacy association).
    fn named(&self, body: &Value) -> Result<usize, ApiError> {
        let id = str_of(body, "AssociationId");
        let name = str_of(body, "Name");
        let node = str_of(body, "InstanceId");
        if let Some(id) = id {
            crate::validate::pattern("associationId", id, crate::validate::UUID)?;
        }
        if let Some(n) = node {
            crate::validate::pattern("instanceId", n, crate::validate::INSTANCE_ID)?;
        }
        let found = match (id, name, node) {
            (Some(id), _, _) => self.associations.iter().position(|a| a.id == id),
            (None, Some(name), Some(node)) => self.associations.iter().position(|a| {
                doc_name(&a.spec.name) == doc_name(name)
                    && a.spec.instance_id.as_deref() == Some(node)
            }),
            _ => None,
        };
        found.ok_or_else(does_not_exist)
    }

    /// The statuses of `node`, ordered by association id.
    pub(crate) fn node_statuses(&self, node: &str) -> Vec<&InstanceStatus> {
        self.statuses
            .values()
            .filter(|s| s.instance_id == node)
            .collect()
    }
}

/// Every association status of `node_id` in `store` (the seam the lab's
/// Compliance reads its `Association` items from), ordered by
/// association id.
pub(crate) fn instance_statuses(store: &AssociationStore, node_id: &str) -> Vec<InstanceStatus> {
    store.node_statuses(node_id).into_iter().cloned().collect()
}

/// A node's `InstanceAggregatedAssociationOverview`: counts by status
/// (`Success`, `Failed`, `Pending`), the aggregated status (Failed if
/// any, else Pending if any, else Success) and the last execution date.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeOverview {
    pub counts: BTreeMap<String, u32>,
    pub status: &'static str,
    /// The last execution date, epoch seconds.
    pub last: f64,
    /// The last successful one's.
    pub last_success: Option<f64>,
}

/// The overview of every node with at least one association status.
pub(crate) fn node_overviews(store: &AssociationStore) -> BTreeMap<String, NodeOverview> {
    let mut out: BTreeMap<String, NodeOverview> = BTreeMap::new();
    for s in store.statuses.values() {
        let o = out.entry(s.instance_id.clone()).or_insert(NodeOverview {
            counts: BTreeMap::new(),
            status: "Success",
            last: 0.0,
            last_success: None,
        });
        *o.counts.entry(s.status.clone()).or_default() += 1;
        o.last = o.last.max(s.execution_date);
        if s.status == "Success" {
            o.last_success = Some(o.last_success.unwrap_or(0.0).max(s.execution_date));
        }
    }
    for o in out.values_mut() {
        o.status = if o.counts.contains_key("Failed") {
            "Failed"
        } else if o.counts.contains_key("Pending") {
            "Pending"
        } else {
            "Success"
        };
    }
    out
}

/// A node's (success, failed, pending) association counts, `None` for a
/// node with no association status (DescribeInstanceInformation then
/// leaves `AssociationStatus` and the overview out).
pub(crate) fn counts_of(store: &AssociationStore, node: &str) -> Option<(u32, u32, u32)> {
    let mine = store.node_statuses(node);
    if mine.is_empty() {
        return None;
    }
    let c = |k: &str| mine.iter().filter(|s| s.status == k).count() as u32;
    Some((c("Success"), c("Failed"), c("Pending")))
}

fn does_not_exist() -> ApiError {
    err(
        "AssociationDoesNotExist",
        "The specified association does not exist.",
    )
}

fn str_of<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// A document name without its ARN prefix.
fn doc_name(name: &str) -> &str {
    name.rsplit_once(":document/").map_or(name, |(_, n)| n)
}

/// Handles a State Manager action; `None` when `action` is not one.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "CreateAssociation" => create(state, body),
        "UpdateAssociation" => update(state, body),
        "DescribeAssociation" => {
            let store = state.associations.lock().expect("associations lock");
            describe(&store, body)
        }
        "DeleteAssociation" => delete(state, body),
        "ListAssociations" => {
            let store = state.associations.lock().expect("associations lock");
            query::list_associations(&store, body)
        }
        "ListAssociationVersions" => {
            let store = state.associations.lock().expect("associations lock");
            query::list_versions(&store, body)
        }
        "DescribeAssociationExecutions" => {
            let store = state.associations.lock().expect("associations lock");
            query::executions(&store, body)
        }
        "DescribeAssociationExecutionTargets" => {
            let store = state.associations.lock().expect("associations lock");
            query::execution_targets(&store, body)
        }
        "DescribeInstanceAssociationsStatus" => query::instance_status(state, body),
        "StartAssociationsOnce" => start_once(state, body),
        _ => return None,
    })
}

/// The checked `Targets` of a request: at most 5, keys of the model's
/// pattern (1 … 163 characters), at most 50 values each; the lab resolves
/// `InstanceIds` (`*`: every node), `tag:<key>`, `tag-key` and
/// `resource-groups:Name` (no group exists: no node), anything else is
/// `InvalidTarget`.
fn check_targets(body: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(list) = body.get("Targets").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    if list.len() > 5 {
        return Err(validation(
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 5",
        ));
    }
    for (i, t) in list.iter().enumerate() {
        let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
        let at = format!("targets.{}.member.key", i + 1);
        crate::validate::length(&at, key, 1, 163)?;
        let values = t.get("Values").and_then(Value::as_array);
        if values.is_some_and(|v| v.len() > 50) {
            return Err(validation(format!(
                "1 validation error detected: Value at 'targets.{}.member.values' failed to satisfy constraint: Member must have length less than or equal to 50",
                i + 1
            )));
        }
        let known = key == "InstanceIds"
            || key == "tag-key"
            || key == "resource-groups:Name"
            || key.strip_prefix("tag:").is_some_and(|k| !k.is_empty());
        if !known {
            return Err(err(
                "InvalidTarget",
                format!(
                    "Target key {key} is not valid. Valid keys: InstanceIds, tag:<key>, tag-key, resource-groups:Name."
                ),
            ));
        }
        let values: Vec<&str> = values
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if values.is_empty() {
            return Err(err(
                "InvalidTarget",
                format!("Target {key} must have at least one value."),
            ));
        }
        if key == "InstanceIds" {
            for v in values.iter().filter(|v| **v != "*") {
                if crate::validate::pattern("instanceId", v, crate::validate::INSTANCE_ID).is_err()
                {
                    return Err(err(
                        "InvalidTarget",
                        format!("Target InstanceIds value {v} is not a managed node ID."),
                    ));
                }
            }
        }
    }
    Ok(list.clone())
}

/// `ScheduleExpression` as State Manager takes it: `rate(N minutes|hours|
/// days)` of at least 30 minutes, or a six-field `cron(…)`; else
/// `InvalidSchedule`.
fn check_schedule(s: &str) -> Result<(), ApiError> {
    crate::validate::length("scheduleExpression", s, 1, 256)?;
    let bad = |why: String| {
        err(
            "InvalidSchedule",
            format!("Schedule expression {s} is not valid: {why}."),
        )
    };
    if s.trim_start().starts_with("at(") {
        return Err(bad("associations take cron or rate expressions".into()));
    }
    match crate::cron::Schedule::parse(s) {
        Ok(crate::cron::Schedule::Rate(p)) if p < 1_800 => {
            Err(bad("the shortest rate is rate(30 minutes)".into()))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(bad(e)),
    }
}

/// The Command documents an association may run.
fn document_known(name: &str) -> bool {
    crate::commands::document_exists(name) || agent::plugin(name).is_some()
}

/// Checks `parameters` against the document's declaration
/// (`InvalidParameters`).
fn check_parameters(document: &str, parameters: &Value) -> Result<(), ApiError> {
    if document == crate::distributor::CONFIGURE_PACKAGE {
        return crate::distributor::check_parameters(parameters).map(|_| ());
    }
    if agent::plugin(document).is_some() {
        return agent::check_parameters(document, parameters);
    }
    let commands = parameters.get("commands").and_then(Value::as_array);
    if commands.is_none_or(Vec::is_empty) {
        return Err(err(
            "InvalidParameters",
            "document parameter 'commands' is required and must list at least one command",
        ));
    }
    Ok(())
}

/// The members of CreateAssociation or UpdateAssociation `body` checked
/// as AWS's front end does, laid over `base` (an update keeps what it
/// does not name).
fn read_spec(body: &Value, base: Option<&Spec>) -> Result<Spec, ApiError> {
    let mut spec = base.cloned().unwrap_or(Spec {
        name: String::new(),
        document_version: "$DEFAULT".into(),
        instance_id: None,
        targets: Vec::new(),
        schedule: None,
        parameters: Map::new(),
        association_name: None,
        max_concurrency: None,
        max_errors: None,
        compliance_severity: None,
        sync_compliance: "AUTO".into(),
        apply_only_at_cron: false,
        extra: Map::new(),
    });
    if let Some(n) = str_of(body, "Name") {
        if !regex_ok(n, r"^[a-zA-Z0-9_\-.:/]{3,128}$") {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.:/]{{3,128}}$"
            )));
        }
        spec.name = n.to_owned();
    }
    if let Some(v) = str_of(body, "DocumentVersion") {
        if !regex_ok(v, r"([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)") {
            return Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'documentVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)"
            )));
        }
        spec.document_version = v.to_owned();
    }
    if let Some(n) = str_of(body, "AssociationName") {
        crate::validate::pattern("associationName", n, crate::validate::WINDOW_NAME)?;
        spec.association_name = Some(n.to_owned());
    }
    for (key, field, pattern) in [
        (
            "MaxConcurrency",
            "maxConcurrency",
            crate::validate::MAX_CONCURRENCY,
        ),
        ("MaxErrors", "maxErrors", crate::validate::MAX_ERRORS),
    ] {
        if let Some(v) = str_of(body, key) {
            crate::validate::length(field, v, 1, 7)?;
            crate::validate::pattern(field, v, pattern)?;
            let slot = if key == "MaxErrors" {
                &mut spec.max_errors
            } else {
                &mut spec.max_concurrency
            };
            *slot = Some(v.to_owned());
        }
    }
    read_enums(body, &mut spec)?;
    if let Some(s) = str_of(body, "ScheduleExpression") {
        check_schedule(s)?;
        spec.schedule = Some(s.to_owned());
    }
    if body.get("Targets").is_some() {
        spec.targets = check_targets(body)?;
    }
    if let Some(p) = body.get("Parameters").and_then(Value::as_object) {
        spec.parameters = p.clone();
    }
    if let Some(b) = body.get("ApplyOnlyAtCronInterval").and_then(Value::as_bool) {
        spec.apply_only_at_cron = b;
    }
    for k in [
        "OutputLocation",
        "CalendarNames",
        "ScheduleOffset",
        "Duration",
        "TargetMaps",
        "TargetLocations",
        "AlarmConfiguration",
        "AutomationTargetParameterName",
        "AssociationDispatchAssumeRole",
    ] {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            spec.extra.insert(k.to_owned(), v.clone());
        }
    }
    if let Some(o) = spec.extra.get("ScheduleOffset").and_then(Value::as_i64)
        && !(1..=6).contains(&o)
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{o}' at 'scheduleOffset' failed to satisfy constraint: Member must have value between 1 and 6"
        )));
    }
    Ok(spec)
}

fn read_enums(body: &Value, spec: &mut Spec) -> Result<(), ApiError> {
    const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"];
    if let Some(v) = str_of(body, "ComplianceSeverity") {
        if !SEVERITIES.contains(&v) {
            return Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'complianceSeverity' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                SEVERITIES.join(", ")
            )));
        }
        spec.compliance_severity = Some(v.to_owned());
    }
    if let Some(v) = str_of(body, "SyncCompliance") {
        if !["AUTO", "MANUAL"].contains(&v) {
            return Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'syncCompliance' failed to satisfy constraint: Member must satisfy enum value set: [AUTO, MANUAL]"
            )));
        }
        spec.sync_compliance = v.to_owned();
    }
    Ok(())
}

fn regex_ok(value: &str, pattern: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|r| r.is_match(value))
}

/// The checks on a whole spec: a known Command document, its parameters,
/// a legacy node or targets (not both), and ApplyOnlyAtCronInterval only
/// with a cron schedule.
fn check_spec(state: &LabState, spec: &Spec) -> Result<(), ApiError> {
    let name = doc_name(&spec.name);
    if !document_known(name) {
        return Err(err(
            "InvalidDocument",
            format!("Document with name {name} does not exist."),
        ));
    }
    if !["$DEFAULT", "$LATEST", "1"].contains(&spec.document_version.as_str()) {
        return Err(err(
            "InvalidDocumentVersion",
            format!("Document {name} has no version {}.", spec.document_version),
        ));
    }
    check_parameters(name, &Value::Object(spec.parameters.clone()))?;
    match (&spec.instance_id, spec.targets.is_empty()) {
        (Some(_), false) => {
            return Err(err(
                "InvalidTarget",
                "InstanceId and Targets can't be used in the same association.",
            ));
        }
        (None, true) => {
            return Err(err(
                "InvalidTarget",
                "Specify the association's Targets (or the InstanceId of a legacy association).",
            ));
        }
        (Some(node), true) => {
            let known = state
                .nodes
                .read()
                .expect("nodes lock")
                .iter()
                .any(|n| n.id == *node);
            if !known {
                return Err(err(
                    "InvalidInstanceId",
                    format!("Instance {node} is not a managed node of this account."),
                ));
            }
        }
        (None, false) => {}
    }
    if spec.apply_only_at_cron
        && !spec
            .schedule
            .as_deref()
            .is_some_and(|s| s.starts_with("cron("))
    {
        return Err(err(
            "InvalidSchedule",
            "ApplyOnlyAtCronInterval needs a cron ScheduleExpression.",
        ));
    }
    Ok(())
}

/// SSM `CreateAssociation`: `Name` (required), `Targets` or a legacy
/// `InstanceId`, `ScheduleExpression`, `Parameters`, `AssociationName`,
/// `MaxConcurrency`, `MaxErrors`, `ComplianceSeverity`,
/// `SyncCompliance`, `ApplyOnlyAtCronInterval`, `Tags` …; answers
/// `{AssociationDescription}` (version 1, Overview Pending / Creating)
/// and runs the association at once unless ApplyOnlyAtCronInterval.
///
/// # Errors
/// `ValidationException`, `InvalidDocument`, `InvalidDocumentVersion`,
/// `InvalidParameters`, `InvalidTarget`, `InvalidInstanceId`,
/// `InvalidSchedule`, `InvalidTag`, `AssociationAlreadyExists` (the same
/// document on the same legacy node, or the same document, targets,
/// parameters and name), `AssociationLimitExceeded`.
fn create(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    if str_of(body, "Name").is_none() {
        return Err(validation(
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
        ));
    }
    let mut spec = read_spec(body, None)?;
    if let Some(n) = str_of(body, "InstanceId") {
        crate::validate::pattern("instanceId", n, crate::validate::INSTANCE_ID)?;
        spec.instance_id = Some(n.to_owned());
    }
    crate::validate::tags("tags", body.get("Tags")).map_err(|e| err("InvalidTag", e.message))?;
    check_spec(state, &spec)?;
    let now = crate::params::now_s();
    let (id, out) = {
        let mut store = state.associations.lock().expect("associations lock");
        let exists = store.associations.iter().any(|a| {
            doc_name(&a.spec.name) == doc_name(&spec.name)
                && (spec.instance_id.is_some() && a.spec.instance_id == spec.instance_id
                    || spec.instance_id.is_none()
                        && a.spec.targets == spec.targets
                        && a.spec.parameters == spec.parameters
                        && a.spec.association_name == spec.association_name)
        });
        if exists {
            return Err(err(
                "AssociationAlreadyExists",
                "The specified association already exists.",
            ));
        }
        if store.associations.len() >= ASSOCIATION_LIMIT {
            return Err(err(
                "AssociationLimitExceeded",
                format!("You can create at most {ASSOCIATION_LIMIT} associations."),
            ));
        }
        let id = store.new_id();
        let a = Association {
            id: id.clone(),
            version: 1,
            created: now,
            updated: now,
            versions: vec![(1, now, spec.clone())],
            spec,
            last_execution: None,
            last_success: None,
            tags: body
                .get("Tags")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        };
        let out = description(&store, &a, None);
        let run = !a.spec.apply_only_at_cron;
        store.associations.push(a);
        (run.then_some(id), out)
    };
    if let Some(id) = id {
        start_execution(state, &id);
    }
    Ok(json!({ "AssociationDescription": out }))
}

/// SSM `UpdateAssociation`: `AssociationId` (required); the members given
/// replace the current version's, making version N+1 (an
/// `AssociationVersion` that is not the latest is
/// `InvalidAssociationVersion`), and the association runs at once unless
/// ApplyOnlyAtCronInterval.
///
/// # Errors
/// `AssociationDoesNotExist`, `InvalidAssociationVersion`,
/// `AssociationVersionLimitExceeded`, and those of CreateAssociation's
/// checks (`InvalidDocument`, `InvalidParameters`, `InvalidTarget`,
/// `InvalidSchedule`, `ValidationException`).
fn update(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let Some(id) = str_of(body, "AssociationId") else {
        return Err(validation(
            "1 validation error detected: Value null at 'associationId' failed to satisfy constraint: Member must not be null",
        ));
    };
    crate::validate::pattern("associationId", id, crate::validate::UUID)?;
    let (current, version) = {
        let store = state.associations.lock().expect("associations lock");
        let a = store.find(id)?;
        (a.spec.clone(), a.version)
    };
    if let Some(v) = str_of(body, "AssociationVersion")
        && v != "$LATEST"
        && v != version.to_string()
    {
        return Err(err(
            "InvalidAssociationVersion",
            format!(
                "Association version {v} is not the latest version ({version}) of association {id}."
            ),
        ));
    }
    let spec = read_spec(body, Some(&current))?;
    check_spec(state, &spec)?;
    let now = crate::params::now_s();
    let out = {
        let mut store = state.associations.lock().expect("associations lock");
        let i = store.named(&json!({ "AssociationId": id }))?;
        let a = &mut store.associations[i];
        if a.version >= VERSION_LIMIT {
            return Err(err(
                "AssociationVersionLimitExceeded",
                format!("Association {id} has {VERSION_LIMIT} versions, the most it may have."),
            ));
        }
        a.version += 1;
        a.updated = now;
        a.spec = spec;
        let v = a.version;
        a.versions.push((v, now, a.spec.clone()));
        let a = store.associations[i].clone();
        description(&store, &a, None)
    };
    if !out["ApplyOnlyAtCronInterval"].as_bool().unwrap_or(false) {
        start_execution(state, id);
    }
    Ok(json!({ "AssociationDescription": out }))
}

/// SSM `DescribeAssociation`: by `AssociationId`, or `Name` and
/// `InstanceId` (legacy); `AssociationVersion` (`$LATEST` or a number)
/// reads an older version's members.
///
/// # Errors
/// `AssociationDoesNotExist`, `InvalidAssociationVersion`,
/// `ValidationException`.
fn describe(store: &AssociationStore, body: &Value) -> Result<Value, ApiError> {
    let i = store.named(body)?;
    let a = &store.associations[i];
    let version = match str_of(body, "AssociationVersion") {
        None | Some("$LATEST") => None,
        Some(v) => {
            let n = v.parse::<u32>().ok().filter(|n| *n >= 1);
            let found = n.and_then(|n| a.versions.iter().find(|x| x.0 == n));
            match found {
                Some(x) => Some(x),
                None => {
                    return Err(err(
                        "InvalidAssociationVersion",
                        format!("Association {} has no version {v}.", a.id),
                    ));
                }
            }
        }
    };
    Ok(json!({ "AssociationDescription": description(store, a, version) }))
}

/// SSM `DeleteAssociation`: by `AssociationId`, or `Name` and
/// `InstanceId`; its executions and node statuses go with it.
///
/// # Errors
/// `AssociationDoesNotExist`, `ValidationException`.
fn delete(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let mut store = state.associations.lock().expect("associations lock");
    let i = store.named(body)?;
    let a = store.associations.remove(i);
    store.executions.retain(|e| e.association_id != a.id);
    store.statuses.retain(|(id, _), _| *id != a.id);
    Ok(json!({}))
}

/// SSM `StartAssociationsOnce`: `AssociationIds` (1 … 10) each run now.
///
/// # Errors
/// `InvalidAssociation` for an id no association has (none runs then),
/// `ValidationException`.
fn start_once(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let ids: Vec<String> = body
        .get("AssociationIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 10 {
        return Err(validation(format!(
            "1 validation error detected: Value '[{}]' at 'associationIds' failed to satisfy constraint: Member must have length {}",
            ids.join(", "),
            if ids.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 10"
            }
        )));
    }
    {
        let store = state.associations.lock().expect("associations lock");
        if let Some(bad) = ids.iter().find(|id| store.find(id).is_err()) {
            return Err(err(
                "InvalidAssociation",
                format!("Association with ID {bad} is not valid."),
            ));
        }
    }
    for id in &ids {
        start_execution(state, id);
    }
    Ok(json!({}))
}

/// An association's `AssociationOverview`: a new one with no status is
/// Pending / Creating; else Failed when a node failed, Pending while one
/// is pending, else Success, with the counts by status.
fn overview(store: &AssociationStore, id: &str) -> Value {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for s in store.statuses.values().filter(|s| s.association_id == id) {
        *counts.entry(s.status.clone()).or_default() += 1;
    }
    let running = store
        .executions
        .iter()
        .any(|e| e.association_id == id && !run::final_status(&e.status));
    if counts.is_empty() {
        return if running || store.executions.iter().any(|e| e.association_id == id) {
            json!({"Status": "Pending", "DetailedStatus": if running { "InProgress" } else { "Pending" }, "AssociationStatusAggregatedCount": {}})
        } else {
            json!({"Status": "Pending", "DetailedStatus": "Creating"})
        };
    }
    let status = if counts.contains_key("Failed") {
        "Failed"
    } else if counts.contains_key("Pending") {
        "Pending"
    } else {
        "Success"
    };
    json!({"Status": status, "DetailedStatus": status, "AssociationStatusAggregatedCount": counts})
}

/// The members of `spec` the versioned shapes share (`Name`,
/// `DocumentVersion`, `Parameters`, `Targets`, …).
fn spec_members(spec: &Spec, out: &mut Map<String, Value>) {
    out.insert("Name".into(), json!(spec.name));
    out.insert("DocumentVersion".into(), json!(spec.document_version));
    out.insert("Parameters".into(), Value::Object(spec.parameters.clone()));
    if !spec.targets.is_empty() {
        out.insert("Targets".into(), json!(spec.targets));
    }
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            out.insert(k.into(), json!(v));
        }
    };
    opt("ScheduleExpression", &spec.schedule);
    opt("AssociationName", &spec.association_name);
    opt("MaxErrors", &spec.max_errors);
    opt("MaxConcurrency", &spec.max_concurrency);
    opt("ComplianceSeverity", &spec.compliance_severity);
    out.insert("SyncCompliance".into(), json!(spec.sync_compliance));
    out.insert(
        "ApplyOnlyAtCronInterval".into(),
        json!(spec.apply_only_at_cron),
    );
}

/// `AssociationDescription` of `a` (or of its version `at`).
fn description(store: &AssociationStore, a: &Association, at: Option<&(u32, f64, Spec)>) -> Value {
    let (version, spec) = at.map_or((a.version, &a.spec), |(v, _, s)| (*v, s));
    let mut out = Map::new();
    spec_members(spec, &mut out);
    out.insert("AssociationId".into(), json!(a.id));
    out.insert("AssociationVersion".into(), json!(version.to_string()));
    out.insert("Date".into(), json!(a.created));
    out.insert("LastUpdateAssociationDate".into(), json!(a.updated));
    out.insert("Overview".into(), overview(store, &a.id));
    if let Some(n) = &spec.instance_id {
        out.insert("InstanceId".into(), json!(n));
    }
    if let Some(t) = a.last_execution {
        out.insert("LastExecutionDate".into(), json!(t));
    }
    if let Some(t) = a.last_success {
        out.insert("LastSuccessfulExecutionDate".into(), json!(t));
    }
    for (k, v) in &spec.extra {
        out.insert(k.clone(), v.clone());
    }
    Value::Object(out)
}
