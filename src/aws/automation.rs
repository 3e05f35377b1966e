//! Automation (SSM API): automation executions of an account and region
//! (`DescribeAutomationExecutions`, every page, with its filters), one
//! execution with its steps (`GetAutomationExecution`), the child
//! executions of a rate-controlled run (filter `ParentExecutionId`), the
//! runbooks (`ListDocuments` with `DocumentType=Automation`), a runbook's
//! parameters (`DescribeDocument`, and `GetDocument` JSON for
//! `allowedValues`, `allowedPattern` and `assumeRole`, which
//! DescribeDocument does not give), and the writes: start
//! (`StartAutomationExecution`), signal (`SendAutomationSignal`: Approve,
//! Reject, StartStep, Resume) and stop (`StopAutomationExecution`).
//!
//! Times are epoch seconds; statuses are AWS's `AutomationExecutionStatus`
//! names as the API writes them (`InProgress`, `Waiting`, …).

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{
    AutomationExecutionFilter, AutomationExecutionFilterKey, DocumentFormat, ExecutionMode,
    SignalType, StopType, Target,
};
use serde::Serialize;

use super::{AwsContext, AwsError};

/// Every `AutomationExecutionStatus` AWS names, in the model's order.
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

/// Whether an execution or step status is final (nothing will change).
pub fn is_final(status: &str) -> bool {
    matches!(
        status,
        "Success"
            | "TimedOut"
            | "Cancelled"
            | "Failed"
            | "Rejected"
            | "ChangeCalendarOverrideRejected"
            | "CompletedWithSuccess"
            | "CompletedWithFailure"
            | "Exited"
    )
}

/// One automation execution as listed (`AutomationExecutionMetadata`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Execution {
    /// The automation execution id (a UUID).
    pub id: String,
    /// The runbook (document) name.
    pub runbook: String,
    /// The runbook version it ran (may be empty).
    pub version: String,
    /// `AutomationExecutionStatus` as AWS writes it.
    pub status: String,
    /// `Auto`, `Interactive`, `Local`, … (may be empty).
    pub mode: String,
    /// Start, epoch seconds.
    pub start_s: Option<i64>,
    /// End, epoch seconds (`None` while it runs).
    pub end_s: Option<i64>,
    /// Who started it (an ARN).
    pub executed_by: String,
    /// The step running now (may be empty).
    pub current_step: String,
    /// That step's action (`aws:approve`, …).
    pub current_action: String,
    /// Why it failed (may be empty).
    pub failure: String,
    /// The parent execution of a rate-controlled run's child.
    pub parent: Option<String>,
    /// The parameter a rate-controlled run fans out on (`InstanceId`).
    pub target_parameter: String,
    /// The target of a child execution (a node id).
    pub target: String,
    /// The targets as `Key=V1,V2`.
    pub targets: Vec<String>,
    /// `MaxConcurrency` / `MaxErrors` (may be empty).
    pub rate: (String, String),
    /// How many targets a rate-controlled run resolved.
    pub resolved: usize,
    /// The OpsItem of a change request (may be empty).
    pub ops_item: String,
}

/// One step of an execution (`StepExecution`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The step execution id.
    pub id: String,
    /// Its name in the runbook.
    pub name: String,
    /// Its action (`aws:runCommand`, `aws:approve`, …).
    pub action: String,
    /// `AutomationExecutionStatus` of the step.
    pub status: String,
    /// Start, epoch seconds.
    pub start_s: Option<i64>,
    /// End, epoch seconds.
    pub end_s: Option<i64>,
    /// What it got: input name → JSON text.
    pub inputs: BTreeMap<String, String>,
    /// What it gave: output name → values.
    pub outputs: BTreeMap<String, Vec<String>>,
    /// The action's response text (may be empty).
    pub response: String,
    /// Why it failed (may be empty).
    pub failure: String,
    /// `FailureStage / FailureType` and the details, one line each.
    pub failure_details: Vec<String>,
    /// `Abort`, `Continue`, `step:NAME` (may be empty).
    pub on_failure: String,
    /// The steps it may go on to (Interactive mode, `aws:branch`).
    pub valid_next: Vec<String>,
}

impl Step {
    /// The Run Command command id an `aws:runCommand` step started (its
    /// `CommandId` output); `None` for every other action, whatever it
    /// outputs.
    pub fn command_id(&self) -> Option<&str> {
        if self.action != "aws:runCommand" {
            return None;
        }
        self.outputs
            .get("CommandId")
            .and_then(|v| v.first())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// One execution with its steps (`GetAutomationExecution`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecutionDetail {
    /// What the list shows of it.
    pub execution: Execution,
    /// Its steps, in the order they ran (then the ones not run yet).
    pub steps: Vec<Step>,
    /// Whether AWS left steps out (`StepExecutionsTruncated`).
    pub steps_truncated: bool,
    /// The parameters it was started with.
    pub parameters: BTreeMap<String, Vec<String>>,
    /// Its outputs.
    pub outputs: BTreeMap<String, Vec<String>>,
    /// A rate-controlled run's counts: total, success, failed,
    /// cancelled, timed out (`ProgressCounters`).
    pub progress: Option<[i32; 5]>,
}

/// Whether parameter or input `name` looks like it holds a secret
/// (password, secret, token, credential, private key, API key; any case):
/// its value is masked wherever the console shows or records it.
pub fn secret_looking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "credential",
        "privatekey",
        "apikey",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// What a masked value reads as.
pub const MASK: &str = "••••••";

impl ExecutionDetail {
    /// The execution as the console keeps it: every secret-looking
    /// parameter's value masked, and those values masked wherever they
    /// show again (steps' inputs, outputs, response, failure), so neither
    /// the views nor the raw JSON view (`y`) nor an export show them.
    pub fn redacted(mut self) -> ExecutionDetail {
        let secrets: Vec<String> = self
            .parameters
            .iter()
            .filter(|(k, _)| secret_looking(k))
            .flat_map(|(_, v)| v.iter().filter(|x| x.len() >= 4).cloned())
            .collect();
        let mask = |text: &mut String| {
            for sec in &secrets {
                if text.contains(sec.as_str()) {
                    *text = text.replace(sec.as_str(), MASK);
                }
            }
        };
        for (k, v) in self.parameters.iter_mut() {
            if secret_looking(k) {
                *v = vec![MASK.to_owned()];
            }
        }
        for st in &mut self.steps {
            for (k, v) in st.inputs.iter_mut() {
                if secret_looking(k) {
                    *v = MASK.to_owned();
                }
                mask(v);
            }
            for v in st.outputs.values_mut().flatten() {
                mask(v);
            }
            mask(&mut st.response);
            mask(&mut st.failure);
            st.failure_details.iter_mut().for_each(&mask);
        }
        for v in self.outputs.values_mut().flatten() {
            mask(v);
        }
        self
    }
}

/// A runbook as listed (`DocumentIdentifier` of an Automation document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Runbook {
    /// Its name.
    pub name: String,
    /// Its display name (may be empty).
    pub display_name: String,
    /// `Amazon`, an account id, …
    pub owner: String,
    /// The default version.
    pub version: String,
}

/// One parameter of a runbook, from DescribeDocument and the content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunbookParam {
    /// Its name (`InstanceId`).
    pub name: String,
    /// `String`, `StringList`, `Integer`, `Boolean`, `MapList`, `StringMap`.
    pub kind: String,
    /// Its description.
    pub description: String,
    /// Its default, as text (`None`: none, so it is required).
    pub default: Option<String>,
    /// `allowedValues` (empty: any).
    pub allowed: Vec<String>,
    /// `allowedPattern` (a regex; may be empty).
    pub pattern: String,
}

/// A runbook's description, version and parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunbookInfo {
    /// Its name.
    pub name: String,
    /// Its description (may be empty).
    pub description: String,
    /// The version described (the default one).
    pub version: String,
    /// The latest version.
    pub latest: String,
    /// Its parameters, in the runbook's order.
    pub params: Vec<RunbookParam>,
    /// The parameter the runbook's `assumeRole` names
    /// (`AutomationAssumeRole`), if any.
    pub assume_role_param: Option<String>,
}

/// What StartAutomationExecution is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StartRequest {
    /// The runbook.
    pub runbook: String,
    /// Its version (`None`: the default).
    pub version: Option<String>,
    /// Parameters: name → values (a StringList's items, else one value).
    pub parameters: BTreeMap<String, Vec<String>>,
    /// `Interactive` instead of `Auto`.
    pub interactive: bool,
    /// Rate control: the parameter fanned out on and the targets
    /// (`Key=Values`; `ParameterValues` for node ids).
    pub rate: Option<RateControl>,
}

impl StartRequest {
    /// What the start covers, for the audit line: the rate control's
    /// target values (`tag:Env=prod` as one), else the node parameter's
    /// values (`InstanceId`); ids and tags only, never a parameter value.
    pub fn covers(&self) -> Vec<String> {
        if let Some(r) = &self.rate {
            return r
                .targets
                .iter()
                .flat_map(|(k, v)| {
                    if k == "ParameterValues" {
                        v.clone()
                    } else {
                        vec![format!("{k}={}", v.join(","))]
                    }
                })
                .collect();
        }
        self.parameters
            .iter()
            .filter(|(k, _)| k.ends_with("InstanceId") || k.ends_with("InstanceIds"))
            .flat_map(|(_, v)| v.clone())
            .collect()
    }
}

/// A rate-controlled run's targets and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RateControl {
    /// `TargetParameterName` (`InstanceId`).
    pub parameter: String,
    /// Targets: key (`ParameterValues`, `tag:Env`) and values.
    pub targets: Vec<(String, Vec<String>)>,
    /// `MaxConcurrency` (`10`, `10%`).
    pub max_concurrency: String,
    /// `MaxErrors` (`1`, `5%`).
    pub max_errors: String,
}

/// Server-side filters of DescribeAutomationExecutions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilters {
    /// `ExecutionStatus` values (any of them).
    pub status: Vec<String>,
    /// `DocumentNamePrefix`.
    pub runbook_prefix: Option<String>,
    /// `StartTimeAfter`, ISO 8601.
    pub started_after: Option<String>,
    /// `OpsItemId`.
    pub ops_item: Option<String>,
    /// `ParentExecutionId`.
    pub parent: Option<String>,
    /// `ExecutionId` values (any number: 10 a call, the model's cap).
    pub ids: Vec<String>,
}

fn secs(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.map(aws_smithy_types::DateTime::secs)
}

fn sorted_map<V: Clone>(m: Option<&std::collections::HashMap<String, V>>) -> BTreeMap<String, V> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn targets_text(targets: &[Target]) -> Vec<String> {
    targets
        .iter()
        .map(|t| format!("{}={}", t.key().unwrap_or_default(), t.values().join(",")))
        .collect()
}

fn execution_of(m: &aws_sdk_ssm::types::AutomationExecutionMetadata) -> Execution {
    Execution {
        id: m.automation_execution_id().unwrap_or_default().to_owned(),
        runbook: m.document_name().unwrap_or_default().to_owned(),
        version: m.document_version().unwrap_or_default().to_owned(),
        status: m
            .automation_execution_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        mode: m.mode().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        start_s: secs(m.execution_start_time()),
        end_s: secs(m.execution_end_time()),
        executed_by: m.executed_by().unwrap_or_default().to_owned(),
        current_step: m.current_step_name().unwrap_or_default().to_owned(),
        current_action: m.current_action().unwrap_or_default().to_owned(),
        failure: m.failure_message().unwrap_or_default().to_owned(),
        parent: m.parent_automation_execution_id().map(str::to_owned),
        target_parameter: m.target_parameter_name().unwrap_or_default().to_owned(),
        target: m.target().unwrap_or_default().to_owned(),
        targets: targets_text(m.targets()),
        rate: (
            m.max_concurrency().unwrap_or_default().to_owned(),
            m.max_errors().unwrap_or_default().to_owned(),
        ),
        resolved: m
            .resolved_targets()
            .map_or(0, |r| r.parameter_values().len()),
        ops_item: m.ops_item_id().unwrap_or_default().to_owned(),
    }
}

fn filter(
    key: AutomationExecutionFilterKey,
    values: Vec<String>,
) -> Result<AutomationExecutionFilter, AwsError> {
    AutomationExecutionFilter::builder()
        .key(key)
        .set_values(Some(values))
        .build()
        .map_err(|e| AwsError::local("ssm:DescribeAutomationExecutions", e))
}

impl ExecutionFilters {
    fn sdk(&self) -> Result<Vec<AutomationExecutionFilter>, AwsError> {
        use AutomationExecutionFilterKey as K;
        let mut out = Vec::new();
        if !self.status.is_empty() {
            out.push(filter(K::ExecutionStatus, self.status.clone())?);
        }
        if !self.ids.is_empty() {
            out.push(filter(K::ExecutionId, self.ids.clone())?);
        }
        let one = [
            (K::DocumentNamePrefix, &self.runbook_prefix),
            (K::StartTimeAfter, &self.started_after),
            (K::OpsItemId, &self.ops_item),
            (K::ParentExecutionId, &self.parent),
        ];
        for (k, v) in one {
            if let Some(v) = v {
                out.push(filter(k, vec![v.clone()])?);
            }
        }
        Ok(out)
    }
}

/// The automation executions `filters` keep (DescribeAutomationExecutions,
/// every page, at most `cap` rows), newest first. Returns the rows and
/// whether more were left unread.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeAutomationExecutions` (`InvalidFilterKey`,
/// `InvalidFilterValue`, `InvalidNextToken`).
pub async fn executions(
    ctx: &AwsContext,
    filters: &ExecutionFilters,
    cap: usize,
) -> Result<(Vec<Execution>, bool), AwsError> {
    // The ExecutionId filter takes 10 values: more ids, more calls.
    if filters.ids.len() > 10 {
        let mut out = Vec::new();
        let mut more = false;
        for chunk in filters.ids.chunks(10) {
            let f = ExecutionFilters {
                ids: chunk.to_vec(),
                ..filters.clone()
            };
            let (rows, m) = executions_once(ctx, &f, cap).await?;
            out.extend(rows);
            more |= m;
        }
        out.sort_by(|a, b| b.start_s.cmp(&a.start_s).then_with(|| a.id.cmp(&b.id)));
        return Ok((out, more));
    }
    executions_once(ctx, filters, cap).await
}

/// One DescribeAutomationExecutions listing (every page, at most `cap`).
async fn executions_once(
    ctx: &AwsContext,
    filters: &ExecutionFilters,
    cap: usize,
) -> Result<(Vec<Execution>, bool), AwsError> {
    let op = "ssm:DescribeAutomationExecutions";
    let mut pages = ctx
        .ssm
        .describe_automation_executions()
        .set_filters(Some(filters.sdk()?).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.automation_execution_metadata_list()
                .iter()
                .map(execution_of),
        );
        if out.len() >= cap {
            let cut = out.len() > cap;
            out.truncate(cap);
            out.sort_by(|a, b| b.start_s.cmp(&a.start_s).then_with(|| a.id.cmp(&b.id)));
            return Ok((out, cut || page.next_token().is_some()));
        }
    }
    out.sort_by(|a, b| b.start_s.cmp(&a.start_s).then_with(|| a.id.cmp(&b.id)));
    Ok((out, false))
}

fn step_of(s: &aws_sdk_ssm::types::StepExecution) -> Step {
    let mut failure_details = Vec::new();
    if let Some(d) = s.failure_details() {
        let head = [d.failure_stage(), d.failure_type()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        if !head.is_empty() {
            failure_details.push(head);
        }
        for (k, v) in sorted_map(d.details()) {
            failure_details.push(format!("{k}: {}", v.join(", ")));
        }
    }
    Step {
        id: s.step_execution_id().unwrap_or_default().to_owned(),
        name: s.step_name().unwrap_or_default().to_owned(),
        action: s.action().unwrap_or_default().to_owned(),
        status: s
            .step_status()
            .map(|x| x.as_str().to_owned())
            .unwrap_or_default(),
        start_s: secs(s.execution_start_time()),
        end_s: secs(s.execution_end_time()),
        inputs: sorted_map(s.inputs()),
        outputs: sorted_map(s.outputs()),
        response: s.response().unwrap_or_default().to_owned(),
        failure: s.failure_message().unwrap_or_default().to_owned(),
        failure_details,
        on_failure: s.on_failure().unwrap_or_default().to_owned(),
        valid_next: s.valid_next_steps().to_vec(),
    }
}

/// Execution `id` with its steps (GetAutomationExecution).
///
/// # Errors
/// [`AwsError`] for `ssm:GetAutomationExecution`
/// (`AutomationExecutionNotFoundException`).
pub async fn execution(ctx: &AwsContext, id: &str) -> Result<ExecutionDetail, AwsError> {
    let out = ctx
        .ssm
        .get_automation_execution()
        .automation_execution_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetAutomationExecution", e))?;
    let Some(e) = out.automation_execution() else {
        return Err(AwsError::local(
            "ssm:GetAutomationExecution",
            format!("no execution {id} in the answer"),
        ));
    };
    let execution = Execution {
        id: e.automation_execution_id().unwrap_or(id).to_owned(),
        runbook: e.document_name().unwrap_or_default().to_owned(),
        version: e.document_version().unwrap_or_default().to_owned(),
        status: e
            .automation_execution_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        mode: e.mode().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        start_s: secs(e.execution_start_time()),
        end_s: secs(e.execution_end_time()),
        executed_by: e.executed_by().unwrap_or_default().to_owned(),
        current_step: e.current_step_name().unwrap_or_default().to_owned(),
        current_action: e.current_action().unwrap_or_default().to_owned(),
        failure: e.failure_message().unwrap_or_default().to_owned(),
        parent: e.parent_automation_execution_id().map(str::to_owned),
        target_parameter: e.target_parameter_name().unwrap_or_default().to_owned(),
        target: e.target().unwrap_or_default().to_owned(),
        targets: targets_text(e.targets()),
        rate: (
            e.max_concurrency().unwrap_or_default().to_owned(),
            e.max_errors().unwrap_or_default().to_owned(),
        ),
        resolved: e
            .resolved_targets()
            .map_or(0, |r| r.parameter_values().len()),
        ops_item: e.ops_item_id().unwrap_or_default().to_owned(),
    };
    Ok(ExecutionDetail {
        execution,
        steps: e.step_executions().iter().map(step_of).collect(),
        steps_truncated: e.step_executions_truncated(),
        parameters: sorted_map(e.parameters()),
        outputs: sorted_map(e.outputs()),
        progress: e.progress_counters().map(|p| {
            [
                p.total_steps(),
                p.success_steps(),
                p.failed_steps(),
                p.cancelled_steps(),
                p.timed_out_steps(),
            ]
        }),
    })
}

/// The child executions of rate-controlled run `parent`, by target
/// (DescribeAutomationExecutions with `ParentExecutionId`, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeAutomationExecutions`.
pub async fn children(ctx: &AwsContext, parent: &str) -> Result<Vec<Execution>, AwsError> {
    let filters = ExecutionFilters {
        parent: Some(parent.to_owned()),
        ..Default::default()
    };
    let (mut rows, _) = executions(ctx, &filters, usize::MAX).await?;
    rows.sort_by(|a, b| a.target.cmp(&b.target).then_with(|| a.id.cmp(&b.id)));
    Ok(rows)
}

/// Every Automation runbook the account sees (ListDocuments with
/// `DocumentType=Automation`, every page: Amazon's, the account's own and
/// the ones shared with it), by name.
///
/// # Errors
/// [`AwsError`] for `ssm:ListDocuments`.
pub async fn runbooks(ctx: &AwsContext) -> Result<Vec<Runbook>, AwsError> {
    let docs = super::documents::list(ctx, Some("Automation"), None).await?;
    Ok(docs
        .into_iter()
        .map(|d| Runbook {
            name: d.name,
            display_name: d.display_name,
            owner: d.owner,
            version: d.version,
        })
        .collect())
}

/// What the runbook's content says of its parameters beyond
/// DescribeDocument: `allowedValues` and `allowedPattern` per parameter,
/// and the parameter its `assumeRole` names (`{{ AutomationAssumeRole }}`).
/// Per parameter: its allowed values and pattern.
type Hints = BTreeMap<String, (Vec<String>, String)>;

fn content_hints(content: &str) -> (Hints, Option<String>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(content) else {
        return (BTreeMap::new(), None);
    };
    let mut hints = BTreeMap::new();
    if let Some(params) = v["parameters"].as_object() {
        for (name, p) in params {
            let allowed = p["allowedValues"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let pattern = p["allowedPattern"].as_str().unwrap_or_default().to_owned();
            hints.insert(name.clone(), (allowed, pattern));
        }
    }
    let role = v["assumeRole"].as_str().and_then(|r| {
        let inner = r.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
        Some(inner.to_owned())
    });
    (hints, role)
}

/// Runbook `name`'s description, versions and parameters (DescribeDocument
/// for the list and defaults, GetDocument as JSON for allowed values,
/// patterns and the assume-role parameter).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeDocument` or `ssm:GetDocument`
/// (`InvalidDocument`, `InvalidDocumentVersion`).
pub async fn runbook(ctx: &AwsContext, name: &str) -> Result<RunbookInfo, AwsError> {
    let out = ctx
        .ssm
        .describe_document()
        .name(name)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeDocument", e))?;
    let doc = out
        .document
        .unwrap_or_else(|| aws_sdk_ssm::types::DocumentDescription::builder().build());
    let content = ctx
        .ssm
        .get_document()
        .name(name)
        .document_format(DocumentFormat::Json)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetDocument", e))?;
    let (hints, assume_role_param) = content_hints(content.content().unwrap_or_default());
    let params = doc
        .parameters()
        .iter()
        .map(|p| {
            let name = p.name().unwrap_or_default().to_owned();
            let (allowed, pattern) = hints.get(&name).cloned().unwrap_or_default();
            RunbookParam {
                kind: p
                    .r#type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                description: p.description().unwrap_or_default().to_owned(),
                default: p.default_value().map(str::to_owned),
                allowed,
                pattern,
                name,
            }
        })
        .collect();
    Ok(RunbookInfo {
        name: doc.name().unwrap_or(name).to_owned(),
        description: doc.description().unwrap_or_default().to_owned(),
        version: doc
            .default_version()
            .or(doc.document_version())
            .unwrap_or_default()
            .to_owned(),
        latest: doc.latest_version().unwrap_or_default().to_owned(),
        params,
        assume_role_param,
    })
}

/// Starts `req` (StartAutomationExecution). Returns the execution id.
///
/// # Errors
/// [`AwsError`] for `ssm:StartAutomationExecution`
/// (`AutomationDefinitionNotFoundException`,
/// `InvalidAutomationExecutionParametersException`,
/// `AutomationExecutionLimitExceededException`, `InvalidTarget`, …).
pub async fn start(ctx: &AwsContext, req: &StartRequest) -> Result<String, AwsError> {
    let op = "ssm:StartAutomationExecution";
    let mut call = ctx
        .ssm
        .start_automation_execution()
        .document_name(&req.runbook)
        .set_document_version(req.version.clone())
        .mode(if req.interactive {
            ExecutionMode::Interactive
        } else {
            ExecutionMode::Auto
        });
    for (k, v) in &req.parameters {
        call = call.parameters(k, v.clone());
    }
    if let Some(r) = &req.rate {
        call = call
            .target_parameter_name(&r.parameter)
            .max_concurrency(&r.max_concurrency)
            .max_errors(&r.max_errors);
        for (k, v) in &r.targets {
            call = call.targets(Target::builder().key(k).set_values(Some(v.clone())).build());
        }
    }
    let out = call.send().await.map_err(|e| ctx.error(op, e))?;
    out.automation_execution_id()
        .map(str::to_owned)
        .ok_or_else(|| AwsError::local(op, "no AutomationExecutionId in the answer"))
}

/// A signal to a running execution (SendAutomationSignal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Signal {
    /// Approve the waiting `aws:approve` step.
    Approve,
    /// Reject it (the execution fails).
    Reject,
    /// Interactive mode: run this step next.
    StartStep,
    /// Interactive mode: go on by itself.
    Resume,
}

impl Signal {
    /// The `SignalType` name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Approve => "Approve",
            Signal::Reject => "Reject",
            Signal::StartStep => "StartStep",
            Signal::Resume => "Resume",
        }
    }
}

/// Sends `signal` to execution `id`: Approve / Reject with `comment`
/// (`Payload` `Comment`), StartStep and Resume with `step` (`Payload`
/// `StepName`, which AWS requires for both).
///
/// # Errors
/// [`AwsError`] for `ssm:SendAutomationSignal`
/// (`AutomationExecutionNotFoundException`, `AutomationStepNotFoundException`,
/// `InvalidAutomationSignalException`).
pub async fn signal(
    ctx: &AwsContext,
    id: &str,
    signal: Signal,
    step: Option<&str>,
    comment: Option<&str>,
) -> Result<(), AwsError> {
    let mut call = ctx
        .ssm
        .send_automation_signal()
        .automation_execution_id(id)
        .signal_type(SignalType::from(signal.name()));
    if let Some(c) = comment.filter(|c| !c.is_empty()) {
        call = call.payload("Comment", vec![c.to_owned()]);
    }
    if let Some(s) = step {
        call = call.payload("StepName", vec![s.to_owned()]);
    }
    call.send()
        .await
        .map_err(|e| ctx.error("ssm:SendAutomationSignal", e))?;
    Ok(())
}

/// Stops execution `id` (StopAutomationExecution, `Type=Cancel`): it goes
/// `Cancelling`, then `Cancelled`.
///
/// # Errors
/// [`AwsError`] for `ssm:StopAutomationExecution`
/// (`AutomationExecutionNotFoundException`,
/// `InvalidAutomationStatusUpdateException`).
pub async fn stop(ctx: &AwsContext, id: &str) -> Result<(), AwsError> {
    ctx.ssm
        .stop_automation_execution()
        .automation_execution_id(id)
        .r#type(StopType::Cancel)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:StopAutomationExecution", e))?;
    Ok(())
}

/// The OpsItem operational data key that lists runbooks and executions.
pub const OPS_KEY: &str = "/aws/automations";

/// The entries of an OpsItem's `/aws/automations` value (a JSON list of
/// `{"automationType", "automationId"}`): the runbook names and execution
/// ids it names, in order; text that is not such a list gives none.
pub fn ops_entries(value: &str) -> Vec<String> {
    serde_json::from_str::<Vec<serde_json::Value>>(value)
        .map(|v| {
            v.iter()
                .filter_map(|e| e["automationId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `value` (an OpsItem's `/aws/automations`, may be empty) with `id` (an
/// execution id or runbook name) appended once.
///
/// # Errors
/// A value that is not a JSON list (someone else's data): nothing is
/// replaced, the caller says why.
pub fn ops_entries_with(value: &str, id: &str) -> Result<String, String> {
    let mut v: Vec<serde_json::Value> = if value.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(value).map_err(|e| {
            format!("{OPS_KEY} holds something other than a JSON list ({e}); not overwritten")
        })?
    };
    if !v.iter().any(|e| e["automationId"] == id) {
        v.push(serde_json::json!({
            "automationType": "AWS::SSM::Automation",
            "automationId": id,
        }));
    }
    Ok(serde_json::Value::Array(v).to_string())
}

/// Whether `s` looks like an automation execution id (a UUID) rather
/// than a runbook name.
pub fn is_execution_id(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hints_read_allowed_values_patterns_and_the_assume_role() {
        let c = r#"{"assumeRole":"{{ AutomationAssumeRole }}","parameters":{
            "InstanceId":{"type":"StringList","allowedPattern":"^i-[a-z0-9]+$"},
            "Mode":{"type":"String","allowedValues":["Scan","Install"]}}}"#;
        let (h, role) = content_hints(c);
        assert_eq!(role.as_deref(), Some("AutomationAssumeRole"));
        assert_eq!(h["InstanceId"].1, "^i-[a-z0-9]+$");
        assert_eq!(h["Mode"].0, vec!["Scan", "Install"]);
        assert_eq!(content_hints("not json").1, None);
    }

    #[test]
    fn secrets_are_masked_in_parameters_and_wherever_their_values_show_again() {
        let d = ExecutionDetail {
            parameters: [
                ("DbPassword".to_owned(), vec!["hunter2-long".to_owned()]),
                ("InstanceId".to_owned(), vec!["i-1".to_owned()]),
            ]
            .into(),
            steps: vec![Step {
                inputs: [
                    (
                        "Parameters".to_owned(),
                        r#"{"pw":"hunter2-long"}"#.to_owned(),
                    ),
                    ("ApiToken".to_owned(), "abc".to_owned()),
                ]
                .into(),
                response: "connected with hunter2-long".into(),
                failure: "bad hunter2-long".into(),
                ..Step::default()
            }],
            ..ExecutionDetail::default()
        }
        .redacted();
        let all = serde_json::to_string(&d).unwrap();
        assert!(!all.contains("hunter2"), "{all}");
        assert_eq!(d.parameters["InstanceId"], vec!["i-1"]);
        assert_eq!(d.steps[0].inputs["ApiToken"], MASK);
    }

    #[test]
    fn ops_entries_round_trip_and_execution_ids_are_told_apart() {
        let v = ops_entries_with("", "AWS-RestartEC2Instance").unwrap();
        let id = "0b6c2c9e-1f7e-4a58-9c43-5d9a1b2c3d4e";
        let v = ops_entries_with(&v, id).unwrap();
        assert_eq!(ops_entries_with(&v, id).unwrap(), v, "appended once");
        assert!(
            ops_entries_with("not a list", id).is_err(),
            "never overwritten"
        );
        assert_eq!(ops_entries(&v), vec!["AWS-RestartEC2Instance", id]);
        assert!(is_execution_id(id));
        assert!(!is_execution_id("AWS-RestartEC2Instance"));
        assert!(ops_entries("garbage").is_empty());
        assert!(STATUSES.iter().filter(|s| is_final(s)).count() >= 8);
    }
}
