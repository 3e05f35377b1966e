//! The reads: ListAssociations, ListAssociationVersions,
//! DescribeAssociationExecutions, DescribeAssociationExecutionTargets and
//! DescribeInstanceAssociationsStatus, paged as AWS pages them
//! (MaxResults 1 … 50, `InvalidNextToken`).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{AssociationStore, Execution, overview, spec_members, str_of};
use crate::LabState;
use crate::commands::{listed, page};
use crate::params::{ApiError, err, validation};

/// `AssociationFilterKey` of the model.
const FILTER_KEYS: [&str; 9] = [
    "InstanceId",
    "Name",
    "AssociationId",
    "AssociationStatusName",
    "LastExecutedBefore",
    "LastExecutedAfter",
    "AssociationName",
    "ResourceGroupName",
    "CloudConnectorId",
];

/// An ISO 8601 time (`2019-02-18T16:00:00Z`) or epoch seconds, as AWS
/// takes the date filters; else `ValidationException`.
fn time_value(field: &str, v: &str) -> Result<f64, ApiError> {
    if let Ok(n) = v.parse::<f64>() {
        return Ok(n);
    }
    crate::cron::parse_iso(v, 0)
        .map(|t| t as f64)
        .ok_or_else(|| {
            validation(format!(
                "The value {v} of filter {field} is not a valid time; use ISO 8601, e.g. 2024-01-31T16:00:00Z."
            ))
        })
}

/// SSM `ListAssociations`: `AssociationFilterList` (keys of the model's
/// enum, each of which must match: `InstanceId` only legacy associations
/// of that node, as the API reference says, `Name` the document,
/// `AssociationStatusName` the Overview status, `LastExecutedBefore` /
/// `After` ISO 8601 times, `ResourceGroupName` a `resource-groups:Name`
/// target), paged in creation order, each with its `Overview`.
pub(super) fn list_associations(store: &AssociationStore, body: &Value) -> Result<Value, ApiError> {
    let mut filters: Vec<(&str, &str)> = Vec::new();
    for (i, f) in body
        .get("AssociationFilterList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = f.get("key").and_then(Value::as_str).unwrap_or("");
        let value = f.get("value").and_then(Value::as_str).unwrap_or("");
        if !FILTER_KEYS.contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at 'associationFilterList.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                i + 1,
                FILTER_KEYS.join(", ")
            )));
        }
        crate::validate::length(
            &format!("associationFilterList.{}.member.value", i + 1),
            value,
            1,
            usize::MAX,
        )?;
        filters.push((key, value));
    }
    for (key, value) in &filters {
        if key.starts_with("LastExecuted") {
            time_value(key, value)?;
        }
    }
    let mut kept = Vec::new();
    for (n, a) in store.associations.iter().enumerate() {
        let mut keep = true;
        for (key, value) in &filters {
            let last = a.last_execution;
            keep &= match *key {
                "InstanceId" => a.spec.instance_id.as_deref() == Some(*value),
                "Name" => super::doc_name(&a.spec.name) == super::doc_name(value),
                "AssociationId" => a.id == *value,
                "AssociationStatusName" => overview(store, &a.id)["Status"] == *value,
                "LastExecutedBefore" => {
                    last.is_some_and(|t| t < time_value(key, value).unwrap_or(f64::MIN))
                }
                "LastExecutedAfter" => {
                    last.is_some_and(|t| t > time_value(key, value).unwrap_or(f64::MAX))
                }
                "AssociationName" => a.spec.association_name.as_deref() == Some(*value),
                "ResourceGroupName" => a.spec.targets.iter().any(|t| {
                    t["Key"] == "resource-groups:Name"
                        && t["Values"]
                            .as_array()
                            .is_some_and(|v| v.contains(&json!(value)))
                }),
                _ => false,
            };
        }
        if keep {
            kept.push((n, a));
        }
    }
    let (page, next) = page(kept, |(n, _)| format!("{n:010}"), body, 50)?;
    let list = page
        .into_iter()
        .map(|(_, a)| {
            let mut m = Map::new();
            for k in [
                "Name",
                "DocumentVersion",
                "Targets",
                "ScheduleExpression",
                "AssociationName",
            ] {
                let mut full = Map::new();
                spec_members(&a.spec, &mut full);
                if let Some(v) = full.remove(k) {
                    m.insert(k.into(), v);
                }
            }
            m.insert("AssociationId".into(), json!(a.id));
            m.insert("AssociationVersion".into(), json!(a.version.to_string()));
            m.insert("Overview".into(), overview(store, &a.id));
            if let Some(n) = &a.spec.instance_id {
                m.insert("InstanceId".into(), json!(n));
            }
            if let Some(t) = a.last_execution {
                m.insert("LastExecutionDate".into(), json!(t));
            }
            for k in ["ScheduleOffset", "Duration", "TargetMaps"] {
                if let Some(v) = a.spec.extra.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    Ok(listed("Associations", list, next))
}

fn required_id<'a>(body: &'a Value, key: &str, field: &str) -> Result<&'a str, ApiError> {
    let Some(id) = str_of(body, key) else {
        return Err(validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        )));
    };
    crate::validate::pattern(field, id, crate::validate::UUID)?;
    Ok(id)
}

/// SSM `ListAssociationVersions`: `AssociationId` (required), every
/// version oldest first, paged.
pub(super) fn list_versions(store: &AssociationStore, body: &Value) -> Result<Value, ApiError> {
    let id = required_id(body, "AssociationId", "associationId")?;
    let a = store.find(id)?;
    let (page, next) = page(
        a.versions.iter().collect(),
        |(v, _, _)| format!("{v:010}"),
        body,
        50,
    )?;
    let list = page
        .into_iter()
        .map(|(v, created, spec)| {
            let mut m = Map::new();
            spec_members(spec, &mut m);
            m.insert("AssociationId".into(), json!(a.id));
            m.insert("AssociationVersion".into(), json!(v.to_string()));
            m.insert("CreatedDate".into(), json!(created));
            for k in [
                "OutputLocation",
                "CalendarNames",
                "TargetLocations",
                "ScheduleOffset",
                "Duration",
                "TargetMaps",
                "AssociationDispatchAssumeRole",
            ] {
                if let Some(x) = spec.extra.get(k) {
                    m.insert(k.into(), x.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    Ok(listed("AssociationVersions", list, next))
}

/// `ResourceCountByStatus` as AWS writes it: a Java map's text,
/// `{Failed=1, Success=3}`, in the order a `HashMap` of these keys
/// iterates (Failed, TimedOut, InProgress, Cancelled, Success, Pending).
pub(crate) fn resource_counts(e: &Execution) -> String {
    const ORDER: [&str; 6] = [
        "Failed",
        "TimedOut",
        "InProgress",
        "Cancelled",
        "Success",
        "Pending",
    ];
    let parts: Vec<String> = ORDER
        .iter()
        .filter_map(|k| {
            let n = e.targets.iter().filter(|t| t.status == *k).count();
            (n > 0).then(|| format!("{k}={n}"))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn execution_json(e: &Execution) -> Value {
    let mut v = json!({
        "AssociationId": e.association_id,
        "AssociationVersion": e.version.to_string(),
        "ExecutionId": e.id,
        "Status": e.status,
        "DetailedStatus": e.detailed,
        "CreatedTime": e.created,
        "ResourceCountByStatus": resource_counts(e),
    });
    if let Some(t) = e.last {
        v["LastExecutionDate"] = json!(t);
    }
    v
}

/// SSM `DescribeAssociationExecutions`: `AssociationId` (required),
/// `Filters` (`ExecutionId` and `Status` EQUAL, `CreatedTime` EQUAL,
/// LESS_THAN or GREATER_THAN an ISO 8601 time), newest first, paged.
pub(super) fn executions(store: &AssociationStore, body: &Value) -> Result<Value, ApiError> {
    let id = required_id(body, "AssociationId", "associationId")?;
    store.find(id)?;
    let mut filters = Vec::new();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |m: &str| format!("filters.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        let value = f.get("Value").and_then(Value::as_str).unwrap_or("");
        let kind = f.get("Type").and_then(Value::as_str).unwrap_or("");
        if !["ExecutionId", "Status", "CreatedTime"].contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [ExecutionId, Status, CreatedTime]",
                at("key")
            )));
        }
        if !["EQUAL", "LESS_THAN", "GREATER_THAN"].contains(&kind) {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [EQUAL, LESS_THAN, GREATER_THAN]",
                at("type")
            )));
        }
        crate::validate::length(&at("value"), value, 1, usize::MAX)?;
        if key != "CreatedTime" && kind != "EQUAL" {
            return Err(validation(format!(
                "The filter {key} takes the type EQUAL only, not {kind}."
            )));
        }
        let time = if key == "CreatedTime" {
            Some(time_value(key, value)?)
        } else {
            None
        };
        filters.push((key, value, kind, time));
    }
    let total = store.executions.len();
    let kept: Vec<(usize, &Execution)> = store
        .executions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.association_id == id)
        .filter(|(_, e)| {
            filters
                .iter()
                .all(|(key, value, kind, time)| match (*key, *kind, time) {
                    ("ExecutionId", _, _) => e.id == *value,
                    ("Status", _, _) => e.status == *value,
                    (_, "LESS_THAN", Some(t)) => e.created < *t,
                    (_, "GREATER_THAN", Some(t)) => e.created > *t,
                    (_, _, Some(t)) => e.created.floor() == t.floor(),
                    _ => false,
                })
        })
        .collect();
    let (page, next) = page(kept, |(n, _)| format!("{:010}", total - n), body, 50)?;
    let list = page.into_iter().map(|(_, e)| execution_json(e)).collect();
    Ok(listed("AssociationExecutions", list, next))
}

/// SSM `DescribeAssociationExecutionTargets`: `AssociationId` and
/// `ExecutionId` (required), `Filters` (`Status`, `ResourceId`,
/// `ResourceType`: each EQUAL), by node id, paged; each target's
/// `OutputSource` is its Run Command command.
pub(super) fn execution_targets(store: &AssociationStore, body: &Value) -> Result<Value, ApiError> {
    let id = required_id(body, "AssociationId", "associationId")?;
    let exec = required_id(body, "ExecutionId", "executionId")?;
    store.find(id)?;
    let e = store
        .executions
        .iter()
        .find(|e| e.id == exec && e.association_id == id)
        .ok_or_else(|| {
            err(
                "AssociationExecutionDoesNotExist",
                format!("Execution {exec} of association {id} does not exist."),
            )
        })?;
    let mut filters = Vec::new();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        let value = f.get("Value").and_then(Value::as_str).unwrap_or("");
        if !["Status", "ResourceId", "ResourceType"].contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [Status, ResourceId, ResourceType]",
                i + 1
            )));
        }
        crate::validate::length(
            &format!("filters.{}.member.value", i + 1),
            value,
            1,
            usize::MAX,
        )?;
        filters.push((key, value));
    }
    let kept: Vec<&super::ExecTarget> = e
        .targets
        .iter()
        .filter(|t| {
            filters.iter().all(|(k, v)| match *k {
                "Status" => t.status == *v,
                "ResourceId" => t.resource_id == *v,
                _ => *v == "ManagedInstance",
            })
        })
        .collect();
    let (page, next) = page(kept, |t| t.resource_id.clone(), body, 50)?;
    let list = page
        .into_iter()
        .map(|t| {
            json!({
                "AssociationId": e.association_id,
                "AssociationVersion": e.version.to_string(),
                "ExecutionId": e.id,
                "ResourceId": t.resource_id,
                "ResourceType": "ManagedInstance",
                "Status": t.status,
                "DetailedStatus": t.detailed,
                "LastExecutionDate": t.date,
                "OutputSource": {"OutputSourceId": t.command_id, "OutputSourceType": "RunCommand"},
            })
        })
        .collect();
    Ok(listed("AssociationExecutionTargets", list, next))
}

/// SSM `DescribeInstanceAssociationsStatus`: `InstanceId` (required, a
/// node of the fleet, else `InvalidInstanceId`), one entry per
/// association that ran there, by association id, paged.
pub(super) fn instance_status(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let Some(node) = str_of(body, "InstanceId") else {
        return Err(validation(
            "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null",
        ));
    };
    crate::validate::pattern("instanceId", node, crate::validate::INSTANCE_ID)?;
    let known = state
        .nodes
        .read()
        .expect("nodes lock")
        .iter()
        .any(|n| n.id == node);
    if !known {
        return Err(err(
            "InvalidInstanceId",
            format!("Instance {node} is not a managed node of this account."),
        ));
    }
    let store = state.associations.lock().expect("associations lock");
    let (page, next) = page(
        store.node_statuses(node),
        |s| s.association_id.clone(),
        body,
        50,
    )?;
    let list = page
        .into_iter()
        .map(|s| {
            let mut v = json!({
                "AssociationId": s.association_id,
                "Name": s.document,
                "DocumentVersion": s.document_version,
                "AssociationVersion": s.association_version,
                "InstanceId": s.instance_id,
                "ExecutionDate": s.execution_date,
                "Status": s.status,
                "DetailedStatus": s.detailed,
            });
            if !s.summary.is_empty() {
                v["ExecutionSummary"] = json!(s.summary);
            }
            if let Some(c) = &s.error_code {
                v["ErrorCode"] = json!(c);
            }
            if let Some(n) = &s.association_name {
                v["AssociationName"] = json!(n);
            }
            v
        })
        .collect();
    Ok(listed("InstanceAssociationStatusInfos", list, next))
}
