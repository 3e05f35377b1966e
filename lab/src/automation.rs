//! Automation: runbooks and their executions (StartAutomationExecution,
//! DescribeAutomationExecutions, GetAutomationExecution,
//! DescribeAutomationStepExecutions, StopAutomationExecution,
//! SendAutomationSignal) and ListDocumentVersions, with a runbook engine
//! that really runs the steps on the lab: `aws:changeInstanceState`
//! stops and starts the simulated EC2 nodes (EC2 state and SSM ping),
//! `aws:runCommand` sends AWS-RunShellScript through the lab's Run
//! Command engine and waits for it, `aws:executeAwsApi` reads the fleet
//! (ssm DescribeInstanceInformation), `aws:branch`, `aws:sleep`, and
//! `aws:approve` waits for SendAutomationSignal Approve or Reject.
//!
//! Shapes and errors are the service model's (botocore `ssm` 2014-11-06):
//! only the codes the model lists for each operation, plus the common
//! `ValidationException` for what the front end refuses (lengths,
//! patterns, enums, as AWS words it).
//!
//! Statuses (the model's `AutomationExecutionStatus`, as the user guide's
//! "Understanding automation statuses" uses them): an execution is
//! `Pending`, then `InProgress`; `Waiting` while an `aws:approve` step
//! waits for approval (that step `Waiting` too) and, in Interactive mode,
//! between steps (the next steps `Pending`); `Cancelling` then
//! `Cancelled` after StopAutomationExecution; `Success`, `Failed`,
//! `TimedOut` at the end. Steps a branch skipped stay `Pending`.
//!
//! Rate control (`TargetParameterName` with `Targets` or `TargetMaps`): a
//! parent execution and one child execution per target
//! (`ParentAutomationExecutionId`, `Target`), at most MaxConcurrency
//! children at once; once more than MaxErrors children failed no further
//! child starts (those running finish). The parent reports each child as a
//! step (`aws:executeAutomation`, its Outputs the child's ExecutionId),
//! `ResolvedTargets`, `ProgressCounters` (TotalSteps = targets), and ends
//! `Success` when every child succeeded, else `Failed`.
//!
//! Timing: every simulated step (`aws:sleep`, `aws:changeInstanceState`'s
//! transition, `aws:executeAwsApi`, `aws:branch`) takes
//! `LabHandle::set_automation_step_ms` whatever its declared Duration;
//! `aws:runCommand` takes as long as the command; `aws:approve` waits for
//! its signal (or its timeoutSeconds, in real seconds).
//!
//! Departures, on purpose: StopAutomationExecution Type `Complete` stops
//! like `Cancel`; the quota counts top-level executions only (children of
//! a rate-controlled run do not), and an execution past it is refused at
//! once (AWS queues up to 1,000 before it refuses); Targets resolve
//! `InstanceIds`, `tag:<key>` and `tag-key` on the lab fleet, and
//! `ParameterValues` are the target parameter's values as given (resource
//! groups are `InvalidTarget`); TargetLocations,
//! AlarmConfiguration and change requests are not run (a request with
//! TargetLocations is refused as unsupported).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::LabState;
use crate::params::{ApiError, err, now_s, validation};
use crate::validate;

mod run;
mod runbooks;
mod seed;

pub(crate) use run::spawn_execution;
use runbooks::{Param, Runbook, StepDef, Version};

/// Top-level executions that may run at once by default (the Systems
/// Manager quota "Concurrently running automations").
pub const DEFAULT_RUNNING_LIMIT: usize = 100;
/// How long one simulated step takes at start, milliseconds (see
/// [`crate::LabHandle::set_automation_step_ms`]).
pub const DEFAULT_STEP_MS: u64 = 50;
/// `ResolvedTargets.ParameterValues` lists at most this many values
/// (`Truncated` beyond).
pub const RESOLVED_TARGETS_LIMIT: usize = 100;

/// The model's `AutomationExecutionStatus` values.
pub const STATUSES: &[&str] = &[
    "Pending",
    "InProgress",
    "Waiting",
    "Success",
    "TimedOut",
    "Cancelling",
    "Cancelled",
    "Failed",
    "PendingApproval",
    "Approved",
    "Rejected",
    "Scheduled",
    "RunbookInProgress",
    "PendingChangeCalendarOverride",
    "ChangeCalendarOverrideApproved",
    "ChangeCalendarOverrideRejected",
    "CompletedWithSuccess",
    "CompletedWithFailure",
    "Exited",
];

/// Whether `status` is final.
pub(crate) fn terminal(status: &str) -> bool {
    matches!(
        status,
        "Success"
            | "TimedOut"
            | "Cancelled"
            | "Failed"
            | "Rejected"
            | "CompletedWithSuccess"
            | "CompletedWithFailure"
            | "Exited"
    )
}

/// One step execution.
#[derive(Debug, Clone)]
pub(crate) struct StepExec {
    pub id: String,
    pub def: StepDef,
    pub status: &'static str,
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Resolved inputs: input name → JSON text.
    pub inputs: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, Vec<String>>,
    pub response: Option<String>,
    pub response_code: Option<String>,
    pub failure: Option<String>,
    /// `FailureDetails`: (stage, type, details).
    pub failure_details: Option<(String, String, BTreeMap<String, Vec<String>>)>,
    /// The step that followed (a branch's choice).
    pub next_step: Option<String>,
}

impl StepExec {
    fn pending(id: String, def: &StepDef) -> StepExec {
        StepExec {
            id,
            def: def.clone(),
            status: "Pending",
            start: None,
            end: None,
            inputs: BTreeMap::new(),
            outputs: BTreeMap::new(),
            response: None,
            response_code: None,
            failure: None,
            failure_details: None,
            next_step: def.next_step.clone(),
        }
    }
}

/// A signal sent to an execution, waiting for its runner.
#[derive(Debug, Clone)]
pub(crate) struct Signal {
    pub kind: String,
    pub step: Option<String>,
    pub step_execution: Option<String>,
    pub comment: Option<String>,
    pub by: String,
}

/// One automation execution.
#[derive(Debug, Clone)]
pub(crate) struct Execution {
    pub id: String,
    pub document: String,
    pub version: String,
    pub status: &'static str,
    pub start: f64,
    pub end: Option<f64>,
    pub executed_by: String,
    pub mode: &'static str,
    pub parameters: BTreeMap<String, Vec<String>>,
    /// The runbook version's declared outputs.
    pub declared_outputs: Vec<String>,
    pub failure: Option<String>,
    pub parent: Option<String>,
    pub target: Option<String>,
    pub target_parameter: Option<String>,
    pub targets: Option<Value>,
    pub target_maps: Option<Value>,
    /// Rate control: the target values (parameter values of the children).
    pub resolved: Vec<String>,
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub steps: Vec<StepExec>,
    pub tags: Value,
    pub ops_item: Option<String>,
    pub current: Option<usize>,
    /// StopAutomationExecution was called.
    pub cancel: bool,
    pub signals: Vec<Signal>,
    /// The runbook's declared parameter types (for placeholders).
    pub kinds: BTreeMap<String, &'static str>,
    /// A rate-controlled parent.
    pub rate_control: bool,
    /// A parent's children still to start: (target, parameters).
    pub queue: Vec<(String, BTreeMap<String, Vec<String>>)>,
}

impl Execution {
    /// A rate-controlled parent (its children are the work).
    pub(crate) fn is_parent(&self) -> bool {
        self.rate_control
    }

    /// The execution's Outputs: each declared `step.Output` with the
    /// step's value, or AWS's text for a step that has not given it.
    fn outputs(&self) -> BTreeMap<String, Vec<String>> {
        self.declared_outputs
            .iter()
            .map(|o| {
                let (s, name) = o.split_once('.').unwrap_or((o, ""));
                let v = self
                    .steps
                    .iter()
                    .find(|x| x.def.name == s && x.status == "Success")
                    .and_then(|x| x.outputs.get(name).cloned())
                    .unwrap_or_else(|| {
                        vec![
                            "No output available yet because the step is not successfully executed"
                                .into(),
                        ]
                    });
                (o.clone(), v)
            })
            .collect()
    }
}

/// A rule of the failure knob: the step named `step` fails (on the
/// executions whose target or InstanceId is one of `nodes`; empty: all).
#[derive(Debug, Clone)]
pub(crate) struct FailRule {
    pub step: String,
    pub nodes: Vec<String>,
}

/// One tenant's runbooks and automation executions.
#[derive(Debug, Default)]
pub struct AutomationStore {
    pub(crate) runbooks: Vec<Runbook>,
    pub(crate) executions: Vec<Execution>,
    tokens: Vec<(String, u64, String)>,
    salt: u64,
    serial: u64,
    pub(crate) fail: Vec<FailRule>,
    /// Duration of one simulated step, milliseconds.
    pub(crate) step_ms: u64,
    /// Top-level executions that may run at once.
    pub(crate) running_limit: usize,
}

impl AutomationStore {
    /// The tenant's store: the built-in runbooks (the diagnostics one
    /// owned by `account`), ids drawn from `account` and `region`.
    pub(crate) fn for_tenant(
        account: &str,
        region: &str,
        now: f64,
        step_ms: u64,
        running_limit: usize,
    ) -> Self {
        AutomationStore {
            runbooks: runbooks::builtin(account, now),
            salt: crate::paging::fingerprint([account.as_bytes(), region.as_bytes(), b"auto"]),
            step_ms,
            running_limit,
            ..AutomationStore::default()
        }
    }

    /// A fresh version-4-shaped UUID.
    pub(crate) fn uuid(&mut self) -> String {
        self.serial += 1;
        let s = self.serial.to_le_bytes();
        let salt = self.salt.to_le_bytes();
        let a = crate::paging::fingerprint([&salt[..], &s[..], b"a"]);
        let b = crate::paging::fingerprint([&salt[..], &s[..], b"b"]);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// The runbook named `name` (or its ARN).
    pub(crate) fn runbook(&self, name: &str) -> Option<&Runbook> {
        let name = name.rsplit_once(":document/").map_or(name, |(_, n)| n);
        self.runbooks.iter().find(|r| r.name == name)
    }

    pub(crate) fn execution(&self, id: &str) -> Result<&Execution, ApiError> {
        self.executions
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))
    }

    pub(crate) fn execution_mut(&mut self, id: &str) -> Result<&mut Execution, ApiError> {
        self.executions
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))
    }

    /// Whether the failure knob makes step `step` of `e` fail.
    pub(crate) fn fails(&self, step: &str, e: &Execution) -> bool {
        let mut nodes: Vec<&str> = e.target.iter().map(String::as_str).collect();
        for k in ["InstanceId", "InstanceIds"] {
            if let Some(v) = e.parameters.get(k) {
                nodes.extend(v.iter().map(String::as_str));
            }
        }
        self.fail.iter().any(|r| {
            r.step == step && (r.nodes.is_empty() || r.nodes.iter().any(|n| nodes.contains(&&**n)))
        })
    }
}

fn not_found(id: &str) -> ApiError {
    err(
        "AutomationExecutionNotFoundException",
        format!("Automation Execution with Id {id} not found."),
    )
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn lower_first(key: &str) -> String {
    let mut c = key.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// AWS's wording of an enum member outside its value set.
fn enum_error(field: &str, value: &str, allowed: &[&str]) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    ))
}

/// An optional string member that must be one of `allowed`.
fn enum_member<'a>(
    body: &'a Value,
    key: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(v) => Err(enum_error(
            &lower_first(key),
            v.as_str().unwrap_or(&v.to_string()),
            allowed,
        )),
    }
}

/// The `AutomationExecutionId` member: required, 36 characters.
fn execution_id(body: &Value) -> Result<&str, ApiError> {
    let id = text(body, "AutomationExecutionId").ok_or_else(|| {
        validation("1 validation error detected: Value null at 'automationExecutionId' failed to satisfy constraint: Member must not be null")
    })?;
    validate::length("automationExecutionId", id, 36, 36)?;
    Ok(id)
}

/// A DocumentARN (`^[a-zA-Z0-9_\-.:/]{3,128}$`) member.
pub(crate) fn document_name<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    let name = text(body, key).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(key)
        ))
    })?;
    let ok = (3..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.:/]{{3,128}}$",
            lower_first(key)
        )));
    }
    Ok(name)
}

/// A DocumentVersion (`$LATEST`, `$DEFAULT` or a number) member.
pub(crate) fn document_version(body: &Value) -> Result<Option<&str>, ApiError> {
    let Some(v) = text(body, "DocumentVersion") else {
        return Ok(None);
    };
    let number =
        v.starts_with(|c: char| ('1'..='9').contains(&c)) && v.chars().all(|c| c.is_ascii_digit());
    if v == "$LATEST" || v == "$DEFAULT" || number {
        Ok(Some(v))
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'documentVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)"
        )))
    }
}

fn bad_parameters(message: impl Into<String>) -> ApiError {
    err("InvalidAutomationExecutionParametersException", message)
}

/// Checks one parameter's values against its declaration.
fn check_values(p: &Param, values: &[String]) -> Result<(), ApiError> {
    let name = &p.name;
    let one = || -> Result<&String, ApiError> {
        match values {
            [v] => Ok(v),
            _ => Err(bad_parameters(format!(
                "Parameter \"{name}\" is of type {} and takes exactly one value; {} were given.",
                p.kind,
                values.len()
            ))),
        }
    };
    let wrong = |v: &str| {
        bad_parameters(format!(
            "Parameter \"{name}\" is of type {}; the value \"{v}\" is not one.",
            p.kind
        ))
    };
    match p.kind {
        "String" => {
            one()?;
        }
        "Integer" => {
            let v = one()?;
            v.parse::<i64>().map_err(|_| wrong(v))?;
        }
        "Boolean" => {
            let v = one()?;
            if v != "true" && v != "false" {
                return Err(wrong(v));
            }
        }
        "StringMap" => {
            let v = one()?;
            if !serde_json::from_str::<Value>(v).is_ok_and(|x| x.is_object()) {
                return Err(wrong(v));
            }
        }
        "MapList" => {
            if let Some(v) = values
                .iter()
                .find(|v| !serde_json::from_str::<Value>(v).is_ok_and(|x| x.is_object()))
            {
                return Err(wrong(v));
            }
        }
        _ => {}
    }
    for v in values {
        if !p.allowed.is_empty() && !p.allowed.contains(v) {
            return Err(bad_parameters(format!(
                "Parameter \"{name}\" value \"{v}\" is not one of its allowed values [{}].",
                p.allowed.join(", ")
            )));
        }
        if let Some(r) = &p.pattern
            && !regex::Regex::new(r).is_ok_and(|re| re.is_match(v))
        {
            return Err(bad_parameters(format!(
                "Parameter \"{name}\" value \"{v}\" does not match the allowed pattern {r}."
            )));
        }
    }
    Ok(())
}

/// A declared default as parameter values.
fn default_values(d: &Value) -> Vec<String> {
    match d {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

/// The execution's parameters: those given (checked against the
/// version's declarations) and the defaults of the others. `target` is
/// the rate-control TargetParameterName, whose value the children get.
fn resolve_parameters(
    doc: &str,
    v: &Version,
    given: Option<&Value>,
    target: Option<&str>,
) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let mut out = BTreeMap::new();
    let map = match given {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(validation("Parameters must be a map of string lists.")),
    };
    if map.len() > 200 {
        return Err(validation(
            "1 validation error detected: Value at 'parameters' failed to satisfy constraint: Member must have length less than or equal to 200",
        ));
    }
    for (k, x) in &map {
        let Some(p) = v.params.iter().find(|p| &p.name == k) else {
            return Err(bad_parameters(format!(
                "Parameter \"{k}\" is not defined in version {} of {doc}.",
                v.version
            )));
        };
        let values: Vec<String> = match x.as_array() {
            Some(a) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => {
                return Err(validation(format!(
                    "Parameter {k} must be a list of strings."
                )));
            }
        };
        check_values(p, &values)?;
        out.insert(k.clone(), values);
    }
    for p in &v.params {
        if out.contains_key(&p.name) || Some(p.name.as_str()) == target {
            continue;
        }
        match &p.default {
            Some(d) => {
                out.insert(p.name.clone(), default_values(d));
            }
            None => {
                return Err(bad_parameters(format!(
                    "Parameter \"{}\" is required but was not provided.",
                    p.name
                )));
            }
        }
    }
    Ok(out)
}

/// Resolves rate-control targets to the children's parameter values:
/// `Targets` (one, key `InstanceIds`, `tag:<key>` or `tag-key`, on the
/// fleet's EC2 and hybrid nodes) or `TargetMaps` (one child each).
fn resolve_targets(state: &LabState, body: &Value) -> Result<Vec<String>, ApiError> {
    let targets = body.get("Targets").and_then(Value::as_array);
    let Some(t) = targets.and_then(|t| t.first()) else {
        return Ok(Vec::new());
    };
    let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
    validate::length("targets.1.member.key", key, 1, 163)?;
    let values: Vec<&str> = t
        .get("Values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if values.len() > 50 {
        return Err(validation(
            "1 validation error detected: Value at 'targets.1.member.values' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    let nodes = state.nodes.read().expect("nodes lock");
    let ids: Vec<String> = match key {
        "InstanceIds" => {
            if let Some(v) = values.iter().find(|v| !nodes.iter().any(|n| n.id == **v)) {
                return Err(err(
                    "InvalidTarget",
                    format!("Target {v} is not a managed node of this account."),
                ));
            }
            values.iter().map(|v| (*v).to_owned()).collect()
        }
        // The values of TargetParameterName, one child each (AWS's
        // `Key=ParameterValues`); a value that is no node fails in its child.
        "ParameterValues" => values.iter().map(|v| (*v).to_owned()).collect(),
        "tag-key" => nodes
            .iter()
            .filter(|n| n.tags.iter().any(|(k, _)| values.contains(&k.as_str())))
            .map(|n| n.id.clone())
            .collect(),
        k => match k.strip_prefix("tag:").filter(|t| !t.is_empty()) {
            Some(tag) => nodes
                .iter()
                .filter(|n| n.tag(tag).is_some_and(|v| values.contains(&v)))
                .map(|n| n.id.clone())
                .collect(),
            None => {
                return Err(err(
                    "InvalidTarget",
                    format!(
                        "Target key {k} is not supported here: use InstanceIds, ParameterValues, tag:<key> or tag-key."
                    ),
                ));
            }
        },
    };
    if ids.is_empty() {
        return Err(err("InvalidTarget", "The targets resolve to no resource."));
    }
    Ok(ids)
}

/// The request's members checked as the front end checks them.
fn check_start_request(body: &Value) -> Result<(), ApiError> {
    document_name(body, "DocumentName")?;
    document_version(body)?;
    enum_member(body, "Mode", &["Auto", "Interactive"])?;
    if let Some(t) = text(body, "ClientToken") {
        validate::length("clientToken", t, 36, 36)?;
        validate::pattern("clientToken", t, validate::UUID)?;
    }
    for (k, p) in [
        ("MaxConcurrency", validate::MAX_CONCURRENCY),
        ("MaxErrors", validate::MAX_ERRORS),
    ] {
        if let Some(v) = text(body, k) {
            validate::length(&lower_first(k), v, 1, 7)?;
            validate::pattern(&lower_first(k), v, p)?;
        }
    }
    if let Some(t) = text(body, "TargetParameterName") {
        validate::length("targetParameterName", t, 1, 50)?;
    }
    let len = |k: &str| body.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    if len("Targets") > 1 {
        return Err(validation(
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 1",
        ));
    }
    if len("TargetMaps") > 300 {
        return Err(validation(
            "1 validation error detected: Value at 'targetMaps' failed to satisfy constraint: Member must have length less than or equal to 300",
        ));
    }
    if len("Targets") > 0 && len("TargetMaps") > 0 {
        return Err(validation(
            "Targets and TargetMaps cannot both be specified.",
        ));
    }
    if body.get("TargetLocations").is_some() || body.get("TargetLocationsURL").is_some() {
        return Err(validation(
            "TargetLocations (multi-account and multi-Region automations) are not run by the lab.",
        ));
    }
    validate::tags("tags", body.get("Tags"))
}

/// The fingerprint of a request without its ClientToken.
fn request_print(body: &Value) -> u64 {
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        m.remove("ClientToken");
    }
    crate::paging::fingerprint([b.to_string().as_bytes()])
}

/// What a StartAutomationExecution request starts, checked.
struct Plan {
    runbook: String,
    version: Version,
    parameters: BTreeMap<String, Vec<String>>,
    mode: &'static str,
    target_parameter: Option<String>,
    /// Children's target values (rate control), or TargetMaps entries.
    children: Vec<(String, BTreeMap<String, Vec<String>>)>,
}

fn plan(state: &LabState, store: &AutomationStore, body: &Value) -> Result<Plan, ApiError> {
    let name = document_name(body, "DocumentName")?;
    let rb = store.runbook(name).ok_or_else(|| {
        err(
            "AutomationDefinitionNotFoundException",
            format!("Automation definition {name} was not found."),
        )
    })?;
    let selector = document_version(body)?;
    let version = rb.version(selector).map_err(|()| {
        err(
            "AutomationDefinitionVersionNotFoundException",
            format!(
                "Version {} of automation definition {} was not found.",
                selector.unwrap_or("$DEFAULT"),
                rb.name
            ),
        )
    })?;
    let mode = if text(body, "Mode") == Some("Interactive") {
        "Interactive"
    } else {
        "Auto"
    };
    let target_parameter = text(body, "TargetParameterName").map(str::to_owned);
    let has_targets = body
        .get("Targets")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let maps: Vec<Value> = body
        .get("TargetMaps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if has_targets && target_parameter.is_none() {
        return Err(bad_parameters(
            "TargetParameterName must be specified with Targets.",
        ));
    }
    if let Some(t) = &target_parameter {
        if !version.params.iter().any(|p| &p.name == t) {
            return Err(bad_parameters(format!(
                "TargetParameterName \"{t}\" is not a parameter of {}.",
                rb.name
            )));
        }
        if !has_targets {
            return Err(bad_parameters(
                "Targets must be specified with TargetParameterName.",
            ));
        }
    }
    if (target_parameter.is_some() || !maps.is_empty()) && mode == "Interactive" {
        return Err(bad_parameters(
            "Interactive mode cannot be used with rate control.",
        ));
    }
    let parameters = resolve_parameters(
        &rb.name,
        version,
        body.get("Parameters"),
        target_parameter.as_deref(),
    )?;
    let mut children = Vec::new();
    if let Some(t) = &target_parameter {
        for id in resolve_targets(state, body)? {
            let mut p = parameters.clone();
            p.insert(t.clone(), vec![id.clone()]);
            children.push((id, p));
        }
    }
    for (i, m) in maps.iter().enumerate() {
        let mut p = parameters.clone();
        let own = resolve_parameters(&rb.name, version, Some(m), None)
            .map_err(|e| bad_parameters(format!("TargetMaps entry {}: {}", i + 1, e.message)))?;
        for k in m.as_object().into_iter().flatten().map(|(k, _)| k) {
            p.insert(k.clone(), own[k].clone());
        }
        children.push((format!("TargetMap-{}", i + 1), p));
    }
    Ok(Plan {
        runbook: rb.name.clone(),
        version: version.clone(),
        parameters,
        mode,
        target_parameter,
        children,
    })
}

/// A new execution of `version` of `runbook`.
pub(crate) fn new_execution(
    store: &mut AutomationStore,
    runbook: &str,
    version: &Version,
    parameters: BTreeMap<String, Vec<String>>,
    by: &str,
    now: f64,
) -> Execution {
    let id = store.uuid();
    let steps = version
        .steps
        .iter()
        .map(|s| StepExec::pending(store.uuid(), s))
        .collect();
    Execution {
        id,
        document: runbook.to_owned(),
        version: version.version.to_string(),
        status: "Pending",
        start: now,
        end: None,
        executed_by: by.to_owned(),
        mode: "Auto",
        parameters,
        declared_outputs: version.outputs.clone(),
        failure: None,
        parent: None,
        target: None,
        target_parameter: None,
        targets: None,
        target_maps: None,
        resolved: Vec::new(),
        max_concurrency: None,
        max_errors: None,
        steps,
        tags: json!([]),
        ops_item: None,
        current: None,
        cancel: false,
        signals: Vec::new(),
        kinds: version
            .params
            .iter()
            .map(|p| (p.name.clone(), p.kind))
            .collect(),
        rate_control: false,
        queue: Vec::new(),
    }
}

/// StartAutomationExecution.
fn start(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    check_start_request(body)?;
    let by = state.caller_arn();
    let now = now_s();
    let id = {
        let mut store = state.automation.lock().expect("automation lock");
        let token = text(body, "ClientToken").map(str::to_owned);
        let print = request_print(body);
        if let Some(t) = &token
            && let Some((_, p, id)) = store.tokens.iter().find(|(x, _, _)| x == t)
        {
            return if *p == print {
                Ok(json!({ "AutomationExecutionId": id }))
            } else {
                Err(err(
                    "IdempotentParameterMismatch",
                    format!("The ClientToken {t} was used before with other parameters."),
                ))
            };
        }
        let plan = plan(state, &store, body)?;
        let running = store
            .executions
            .iter()
            .filter(|e| e.parent.is_none() && !terminal(e.status))
            .count();
        if running >= store.running_limit {
            return Err(err(
                "AutomationExecutionLimitExceededException",
                format!(
                    "The number of concurrently running automations ({}) has reached its limit.",
                    store.running_limit
                ),
            ));
        }
        let mut e = new_execution(
            &mut store,
            &plan.runbook,
            &plan.version,
            plan.parameters,
            &by,
            now,
        );
        e.mode = plan.mode;
        e.tags = body.get("Tags").cloned().unwrap_or_else(|| json!([]));
        if !plan.children.is_empty() {
            e.steps.clear();
            e.declared_outputs.clear();
            e.rate_control = true;
            e.target_parameter = plan.target_parameter;
            e.targets = body.get("Targets").cloned();
            e.target_maps = body.get("TargetMaps").cloned();
            e.resolved = plan.children.iter().map(|(t, _)| t.clone()).collect();
            e.max_concurrency = Some(text(body, "MaxConcurrency").unwrap_or("1").to_owned());
            e.max_errors = Some(text(body, "MaxErrors").unwrap_or("0").to_owned());
            e.queue = plan.children;
        }
        let id = e.id.clone();
        store.executions.push(e);
        if let Some(t) = token {
            store.tokens.push((t, print, id.clone()));
        }
        id
    };
    spawn_execution(state, &id);
    Ok(json!({ "AutomationExecutionId": id }))
}

/// StopAutomationExecution: a running execution (and its children) turns
/// Cancelling; its runner cancels the running step and ends it Cancelled.
fn stop(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = execution_id(body)?.to_owned();
    enum_member(body, "Type", &["Complete", "Cancel"])?;
    let mut store = state.automation.lock().expect("automation lock");
    let e = store.execution_mut(&id)?;
    if terminal(e.status) || e.status == "Cancelling" {
        return Err(err(
            "InvalidAutomationStatusUpdateException",
            format!(
                "Automation execution {id} is {} and cannot be stopped.",
                e.status
            ),
        ));
    }
    e.cancel = true;
    e.status = "Cancelling";
    for c in store
        .executions
        .iter_mut()
        .filter(|c| c.parent.as_deref() == Some(id.as_str()) && !terminal(c.status))
    {
        c.cancel = true;
        c.status = "Cancelling";
    }
    Ok(json!({}))
}

/// The Payload member: a map of string lists.
fn payload(body: &Value) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let mut out = BTreeMap::new();
    for (k, v) in body
        .get("Payload")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let list = v
            .as_array()
            .filter(|a| a.iter().all(Value::is_string))
            .ok_or_else(|| validation(format!("Payload {k} must be a list of strings.")))?;
        out.insert(
            k.clone(),
            list.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        );
    }
    Ok(out)
}

fn bad_signal(message: impl Into<String>) -> ApiError {
    err("InvalidAutomationSignalException", message)
}

/// Checks an Approve or Reject signal against the waiting approval step.
fn check_approval(e: &Execution, kind: &str, by: &str) -> Result<(), ApiError> {
    let waiting = e
        .current
        .map(|k| &e.steps[k])
        .filter(|s| s.def.action == "aws:approve" && s.status == "Waiting");
    let Some(s) = waiting else {
        return Err(bad_signal(format!(
            "Automation execution {} has no step waiting for approval; {kind} cannot be sent.",
            e.id
        )));
    };
    let approvers: Vec<String> = s
        .inputs
        .get("Approvers")
        .and_then(|a| serde_json::from_str::<Vec<String>>(a).ok())
        .unwrap_or_default();
    if !approvers.is_empty() && !approvers.iter().any(|a| a == by) {
        return Err(bad_signal(format!(
            "{by} is not an approver of step {} ({}).",
            s.def.name,
            approvers.join(", ")
        )));
    }
    Ok(())
}

/// SendAutomationSignal: Approve and Reject for a waiting `aws:approve`
/// step (Payload `Comment`), StartStep and Resume (Payload `StepName`) in
/// Interactive mode, StopStep (Payload `StepExecutionId`) of a running
/// step. The runner acts on the signal.
fn signal(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = execution_id(body)?.to_owned();
    let kind = text(body, "SignalType").ok_or_else(|| {
        validation("1 validation error detected: Value null at 'signalType' failed to satisfy constraint: Member must not be null")
    })?;
    const KINDS: [&str; 6] = [
        "Approve",
        "Reject",
        "StartStep",
        "StopStep",
        "Resume",
        "Revoke",
    ];
    if !KINDS.contains(&kind) {
        return Err(enum_error("signalType", kind, &KINDS));
    }
    let p = payload(body)?;
    let by = state.caller_arn();
    let mut store = state.automation.lock().expect("automation lock");
    let e = store.execution_mut(&id)?;
    if terminal(e.status) || e.cancel {
        return Err(bad_signal(format!(
            "Automation execution {id} is {}; it takes no signal.",
            e.status
        )));
    }
    let first = |k: &str| p.get(k).and_then(|v| v.first()).cloned();
    let mut sig = Signal {
        kind: kind.to_owned(),
        step: None,
        step_execution: None,
        comment: first("Comment"),
        by: by.clone(),
    };
    match kind {
        "Approve" | "Reject" => check_approval(e, kind, &by)?,
        "StartStep" | "Resume" => {
            let step = first("StepName")
                .ok_or_else(|| bad_signal(format!("{kind} needs the Payload StepName.")))?;
            if !e.steps.iter().any(|s| s.def.name == step) {
                return Err(err(
                    "AutomationStepNotFoundException",
                    format!("Step {step} is not a step of execution {id}."),
                ));
            }
            if e.mode != "Interactive" || e.status != "Waiting" || e.current.is_some() {
                return Err(bad_signal(format!(
                    "{kind} is accepted only by an Interactive execution waiting between steps; {id} is {} ({}).",
                    e.status, e.mode
                )));
            }
            sig.step = Some(step);
        }
        "StopStep" => {
            let sid = first("StepExecutionId")
                .ok_or_else(|| bad_signal("StopStep needs the Payload StepExecutionId."))?;
            let Some(s) = e.steps.iter().find(|s| s.id == sid) else {
                return Err(err(
                    "AutomationStepNotFoundException",
                    format!("Step execution {sid} is not a step of execution {id}."),
                ));
            };
            if !matches!(s.status, "InProgress" | "Waiting") {
                return Err(bad_signal(format!(
                    "Step {} is {}; only a running step can be stopped.",
                    s.def.name, s.status
                )));
            }
            sig.step_execution = Some(sid);
        }
        _ => {
            return Err(bad_signal(
                "Revoke applies to change requests only; this execution is not one.",
            ));
        }
    }
    e.signals.push(sig);
    Ok(json!({}))
}

/// Handles an Automation action; `None` when `action` is not one.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "StartAutomationExecution" => start(state, body),
        "StopAutomationExecution" => stop(state, body),
        "SendAutomationSignal" => signal(state, body),
        "GetAutomationExecution" => execution_id(body).and_then(|id| {
            let store = state.automation.lock().expect("automation lock");
            let e = store.execution(id)?;
            Ok(json!({ "AutomationExecution": view::execution_json(&store, e) }))
        }),
        "DescribeAutomationExecutions" => view::describe_executions(state, body),
        "DescribeAutomationStepExecutions" => view::describe_steps(state, body),
        "ListDocumentVersions" => docs::list_document_versions(state, body),
        _ => return None,
    })
}

/// A snapshot of one execution for tests and the demo (see
/// [`crate::LabHandle::automation_executions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationSummary {
    /// AutomationExecutionId (a UUID).
    pub id: String,
    /// The runbook's name.
    pub document: String,
    /// The runbook version it runs (`"2"`).
    pub version: String,
    /// AutomationExecutionStatus (`InProgress`, `Waiting`, `Success` …).
    pub status: String,
    /// `Auto` or `Interactive`.
    pub mode: String,
    /// The parent execution of a rate-controlled child.
    pub parent: Option<String>,
    /// A child's target (its TargetParameterName value).
    pub target: Option<String>,
    /// Each step's (StepName, StepStatus), in runbook order.
    pub steps: Vec<(String, String)>,
    /// FailureMessage, if any.
    pub failure: Option<String>,
}

/// The tenant's executions, oldest first.
pub(crate) fn summaries(state: &LabState) -> Vec<AutomationSummary> {
    let store = state.automation.lock().expect("automation lock");
    store
        .executions
        .iter()
        .map(|e| AutomationSummary {
            id: e.id.clone(),
            document: e.document.clone(),
            version: e.version.clone(),
            status: e.status.to_owned(),
            mode: e.mode.to_owned(),
            parent: e.parent.clone(),
            target: e.target.clone(),
            steps: e
                .steps
                .iter()
                .map(|s| (s.def.name.clone(), s.status.to_owned()))
                .collect(),
            failure: e.failure.clone(),
        })
        .collect()
}

pub(crate) mod docs;
mod view;

pub(crate) use seed::seed_history;

#[cfg(test)]
mod tests;
