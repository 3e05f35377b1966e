//! The read side: GetAutomationExecution's `AutomationExecution`,
//! DescribeAutomationExecutions' `AutomationExecutionMetadata` (newest
//! first, filtered, paged) and DescribeAutomationStepExecutions.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{AutomationStore, Execution, STATUSES, StepExec, enum_error, execution_id};
use crate::LabState;
use crate::params::{ApiError, err, validation};

/// An `AutomationParameterMap` as the model bounds it: values of 1 … 512
/// characters (an empty string is left out, so a parameter whose value
/// is `""` shows an empty list; longer values are cut), at most 50 each.
fn string_map(m: &BTreeMap<String, Vec<String>>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| {
                let values: Vec<String> = v
                    .iter()
                    .filter(|x| !x.is_empty())
                    .take(50)
                    .map(|x| x.chars().take(512).collect())
                    .collect();
                (k.clone(), json!(values))
            })
            .collect(),
    )
}

/// A `StepExecution`.
pub(super) fn step_json(s: &StepExec) -> Value {
    let mut v = json!({
        "StepName": s.def.name,
        "Action": s.def.action,
        "OnFailure": s.def.on_failure,
        "MaxAttempts": s.def.max_attempts,
        "StepStatus": s.status,
        "StepExecutionId": s.id,
        "IsEnd": s.def.is_end,
        "IsCritical": s.def.is_critical,
        "Inputs": s.inputs,
    });
    let o = v.as_object_mut().expect("object");
    if let Some(t) = s.def.timeout_s {
        o.insert("TimeoutSeconds".into(), json!(t));
    }
    if let Some(t) = s.start {
        o.insert("ExecutionStartTime".into(), json!(t));
    }
    if let Some(t) = s.end {
        o.insert("ExecutionEndTime".into(), json!(t));
    }
    if !s.outputs.is_empty() {
        o.insert("Outputs".into(), string_map(&s.outputs));
    }
    if let Some(r) = &s.response {
        o.insert("Response".into(), json!(r));
    }
    if let Some(r) = &s.response_code {
        o.insert("ResponseCode".into(), json!(r));
    }
    if let Some(f) = &s.failure {
        o.insert("FailureMessage".into(), json!(f));
    }
    if let Some((stage, kind, details)) = &s.failure_details {
        let mut d = json!({"FailureStage": stage, "FailureType": kind});
        if !details.is_empty() {
            d["Details"] = string_map(details);
        }
        o.insert("FailureDetails".into(), d);
    }
    if let Some(n) = &s.next_step {
        o.insert("NextStep".into(), json!(n));
    }
    let mut next: Vec<String> = Vec::new();
    if s.def.action == "aws:branch" {
        for c in s.def.inputs["Choices"].as_array().into_iter().flatten() {
            if let Some(n) = c["NextStep"]
                .as_str()
                .filter(|n| !next.iter().any(|x| x == n))
            {
                next.push(n.to_owned());
            }
        }
        if let Some(d) = s.def.inputs["Default"].as_str() {
            next.push(d.to_owned());
        }
    } else if let Some(n) = &s.def.next_step {
        next.push(n.clone());
    }
    if !next.is_empty() {
        o.insert("ValidNextSteps".into(), json!(next));
    }
    v
}

/// The members AutomationExecution and AutomationExecutionMetadata share.
fn common(e: &Execution) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("AutomationExecutionId".into(), json!(e.id));
    o.insert("DocumentName".into(), json!(e.document));
    o.insert("DocumentVersion".into(), json!(e.version));
    o.insert("AutomationExecutionStatus".into(), json!(e.status));
    o.insert("ExecutionStartTime".into(), json!(e.start));
    if let Some(t) = e.end {
        o.insert("ExecutionEndTime".into(), json!(t));
    }
    o.insert("ExecutedBy".into(), json!(e.executed_by));
    o.insert("Mode".into(), json!(e.mode));
    let outputs = e.outputs();
    if !outputs.is_empty() {
        o.insert("Outputs".into(), string_map(&outputs));
    }
    if let Some(p) = &e.parent {
        o.insert("ParentAutomationExecutionId".into(), json!(p));
    }
    if let Some(k) = e.current {
        o.insert("CurrentStepName".into(), json!(e.steps[k].def.name));
        o.insert("CurrentAction".into(), json!(e.steps[k].def.action));
    }
    if let Some(f) = &e.failure {
        o.insert("FailureMessage".into(), json!(f));
    }
    if let Some(t) = &e.target {
        o.insert("Target".into(), json!(t));
    }
    if e.is_parent() {
        if let Some(t) = &e.target_parameter {
            o.insert("TargetParameterName".into(), json!(t));
        }
        if let Some(t) = &e.targets {
            o.insert("Targets".into(), t.clone());
        }
        if let Some(t) = &e.target_maps {
            o.insert("TargetMaps".into(), t.clone());
        }
        let shown: Vec<&String> = e
            .resolved
            .iter()
            .take(super::RESOLVED_TARGETS_LIMIT)
            .collect();
        o.insert(
            "ResolvedTargets".into(),
            json!({"ParameterValues": shown, "Truncated": e.resolved.len() > shown.len()}),
        );
        for (k, v) in [
            ("MaxConcurrency", &e.max_concurrency),
            ("MaxErrors", &e.max_errors),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
    }
    if let Some(i) = &e.ops_item {
        o.insert("OpsItemId".into(), json!(i));
    }
    o
}

/// GetAutomationExecution's `AutomationExecution`.
pub(super) fn execution_json(_store: &AutomationStore, e: &Execution) -> Value {
    let mut o = common(e);
    o.insert(
        "StepExecutions".into(),
        Value::Array(e.steps.iter().map(step_json).collect()),
    );
    o.insert("StepExecutionsTruncated".into(), json!(false));
    if !e.parameters.is_empty() {
        o.insert("Parameters".into(), string_map(&e.parameters));
    }
    if e.is_parent() {
        let count = |s: &str| e.steps.iter().filter(|x| x.status == s).count();
        o.insert(
            "ProgressCounters".into(),
            json!({
                "TotalSteps": e.resolved.len(),
                "SuccessSteps": count("Success"),
                "FailedSteps": count("Failed"),
                "CancelledSteps": count("Cancelled"),
                "TimedOutSteps": count("TimedOut"),
            }),
        );
    }
    Value::Object(o)
}

/// DescribeAutomationExecutions' `AutomationExecutionMetadata`.
fn metadata_json(e: &Execution) -> Value {
    let mut o = common(e);
    o.insert("AutomationType".into(), json!("Local"));
    Value::Object(o)
}

/// Checked `Filters`: keys from `keys` (else the ValidationException of
/// the enum), 1 … 10 values; at most `max` filters.
fn filters(
    body: &Value,
    keys: &[&str],
    max: usize,
) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let list = match body.get("Filters") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(validation("Filters must be a list.")),
    };
    if list.is_empty() || list.len() > max {
        return Err(validation(format!(
            "1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to {max}, Member must have length greater than or equal to 1"
        )));
    }
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        if !keys.contains(&key) {
            return Err(enum_error(
                &format!("filters.{}.member.key", i + 1),
                key,
                keys,
            ));
        }
        let values: Vec<String> = f
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if values.is_empty() || values.len() > 10 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'filters.{}.member.values' failed to satisfy constraint: Member must have length less than or equal to 10, Member must have length greater than or equal to 1",
                i + 1
            )));
        }
        out.push((key.to_owned(), values));
    }
    Ok(out)
}

fn bad_value(key: &str, v: &str) -> ApiError {
    err(
        "InvalidFilterValue",
        format!("The filter value {v} is not valid for the filter key {key}."),
    )
}

/// A time filter value (ISO-8601, `2024-05-01T00:00:00Z`) as epoch seconds.
fn time_value(key: &str, v: &str) -> Result<f64, ApiError> {
    crate::cron::parse_iso(v, 0)
        .map(|t| t as f64)
        .ok_or_else(|| bad_value(key, v))
}

/// Whether `e` passes filter `key` = any of `values`.
fn execution_passes(e: &Execution, key: &str, values: &[String]) -> Result<bool, ApiError> {
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    Ok(match key {
        "DocumentNamePrefix" => any(&|v| e.document.starts_with(v)),
        "ExecutionStatus" => {
            if let Some(v) = values.iter().find(|v| !STATUSES.contains(&v.as_str())) {
                return Err(bad_value(key, v));
            }
            any(&|v| e.status == v)
        }
        "ExecutionId" => any(&|v| e.id == v),
        "ParentExecutionId" => any(&|v| e.parent.as_deref() == Some(v)),
        "CurrentAction" => any(&|v| e.current.is_some_and(|k| e.steps[k].def.action == v)),
        "StartTimeBefore" | "StartTimeAfter" => {
            let mut ok = true;
            for v in values {
                let t = time_value(key, v)?;
                ok &= if key == "StartTimeBefore" {
                    e.start < t
                } else {
                    e.start > t
                };
            }
            ok
        }
        "AutomationType" => {
            if let Some(v) = values
                .iter()
                .find(|v| !["CrossAccount", "Local"].contains(&v.as_str()))
            {
                return Err(bad_value(key, v));
            }
            any(&|v| v == "Local")
        }
        "AutomationSubtype" => {
            if let Some(v) = values
                .iter()
                .find(|v| !["ChangeRequest", "AccessRequest"].contains(&v.as_str()))
            {
                return Err(bad_value(key, v));
            }
            false
        }
        "TagKey" => any(&|v| {
            e.tags
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["Key"] == v)
        }),
        "OpsItemId" => any(&|v| e.ops_item.as_deref() == Some(v)),
        // TargetResourceGroup: the lab's executions have no resource-group targets.
        _ => false,
    })
}

const EXECUTION_KEYS: &[&str] = &[
    "DocumentNamePrefix",
    "ExecutionStatus",
    "ExecutionId",
    "ParentExecutionId",
    "CurrentAction",
    "StartTimeBefore",
    "StartTimeAfter",
    "AutomationType",
    "TagKey",
    "TargetResourceGroup",
    "AutomationSubtype",
    "OpsItemId",
];

/// DescribeAutomationExecutions: every execution (children too), newest
/// first; Filters all of which must hold; MaxResults 1 … 50.
pub(super) fn describe_executions(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let f = filters(body, EXECUTION_KEYS, 10)?;
    let store = state.automation.lock().expect("automation lock");
    let mut kept = Vec::new();
    for (n, e) in store.executions.iter().enumerate() {
        let mut keep = true;
        for (k, vs) in &f {
            keep &= execution_passes(e, k, vs)?;
        }
        if keep {
            kept.push((n, e));
        }
    }
    let (page, next) = crate::commands::page(
        kept,
        |(n, e)| {
            format!(
                "{}{:08}",
                crate::paging::desc(e.start),
                u32::MAX as usize - n
            )
        },
        body,
        50,
    )?;
    Ok(crate::commands::listed(
        "AutomationExecutionMetadataList",
        page.into_iter().map(|(_, e)| metadata_json(e)).collect(),
        next,
    ))
}

const STEP_KEYS: &[&str] = &[
    "StartTimeBefore",
    "StartTimeAfter",
    "StepExecutionStatus",
    "StepExecutionId",
    "StepName",
    "Action",
    "ParentStepExecutionId",
    "ParentStepIteration",
    "ParentStepIteratorValue",
];

fn step_passes(s: &StepExec, key: &str, values: &[String]) -> Result<bool, ApiError> {
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    Ok(match key {
        "StepExecutionStatus" => {
            if let Some(v) = values.iter().find(|v| !STATUSES.contains(&v.as_str())) {
                return Err(bad_value(key, v));
            }
            any(&|v| s.status == v)
        }
        "StepExecutionId" => any(&|v| s.id == v),
        "StepName" => any(&|v| s.def.name == v),
        "Action" => any(&|v| s.def.action == v),
        "StartTimeBefore" | "StartTimeAfter" => {
            let mut ok = s.start.is_some();
            for v in values {
                let t = time_value(key, v)?;
                let start = s.start.unwrap_or(0.0);
                ok &= if key == "StartTimeBefore" {
                    start < t
                } else {
                    start > t
                };
            }
            ok
        }
        // No lab step runs inside a loop.
        _ => false,
    })
}

/// DescribeAutomationStepExecutions: the execution's steps in runbook
/// order (ReverseOrder: last first), filtered, MaxResults 1 … 50.
pub(super) fn describe_steps(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = execution_id(body)?;
    let f = filters(body, STEP_KEYS, 6)?;
    if let Some(v) = body
        .get("ReverseOrder")
        .filter(|v| !v.is_null() && !v.is_boolean())
    {
        return Err(validation(format!(
            "ReverseOrder must be a boolean, not {v}."
        )));
    }
    let reverse = body.get("ReverseOrder").and_then(Value::as_bool) == Some(true);
    let store = state.automation.lock().expect("automation lock");
    let e = store.execution(id)?;
    let mut kept = Vec::new();
    for (n, s) in e.steps.iter().enumerate() {
        let mut keep = true;
        for (k, vs) in &f {
            keep &= step_passes(s, k, vs)?;
        }
        if keep {
            kept.push((n, s));
        }
    }
    let order = move |n: usize| if reverse { u32::MAX as usize - n } else { n };
    let (page, next) =
        crate::commands::page(kept, |(n, _)| format!("{:010}", order(*n)), body, 50)?;
    Ok(crate::commands::listed(
        "StepExecutions",
        page.into_iter().map(|(_, s)| step_json(s)).collect(),
        next,
    ))
}
