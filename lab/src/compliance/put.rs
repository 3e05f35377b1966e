//! PutComplianceItems: a caller's own (`Custom:…`) compliance items of a
//! managed node.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    CUSTOM_TYPES_PER_RESOURCE, Custom, Execution, ITEM_SIZE_LIMIT, Item, SEVERITIES,
    TOTAL_SIZE_LIMIT,
};
use crate::LabState;
use crate::params::{ApiError, err, validation};

fn required<'a>(body: &'a Value, key: &str, field: &str) -> Result<&'a Value, ApiError> {
    body.get(key).filter(|v| !v.is_null()).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn enum_value(
    v: Option<&Value>,
    field: &str,
    allowed: &[&'static str],
) -> Result<&'static str, ApiError> {
    let text = v.and_then(Value::as_str).unwrap_or("");
    allowed.iter().copied().find(|a| *a == text).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{text}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ))
    })
}

/// The checked `ExecutionSummary`.
fn execution(body: &Value) -> Result<Execution, ApiError> {
    let e = required(body, "ExecutionSummary", "executionSummary")?;
    let time = required(e, "ExecutionTime", "executionSummary.executionTime")?
        .as_f64()
        .ok_or_else(|| validation("ExecutionSummary.ExecutionTime must be a timestamp"))?;
    let text = |k: &str, field: &str, max: usize| -> Result<Option<String>, ApiError> {
        match e.get(k).and_then(Value::as_str) {
            Some(s) => {
                crate::validate::length(field, s, 0, max)?;
                Ok(Some(s.to_owned()))
            }
            None => Ok(None),
        }
    };
    Ok(Execution {
        time,
        id: text("ExecutionId", "executionSummary.executionId", 100)?,
        kind: text("ExecutionType", "executionSummary.executionType", 50)?,
    })
}

/// One checked `ComplianceItemEntry` (`i` its 1-based place).
fn entry(
    v: &Value,
    i: usize,
    (ctype, resource): (&str, &str),
    execution: &Execution,
) -> Result<Item, ApiError> {
    let at = |m: &str| format!("items.{i}.member.{m}");
    let severity = enum_value(v.get("Severity"), &at("severity"), &SEVERITIES)?;
    let status = enum_value(
        v.get("Status"),
        &at("status"),
        &["COMPLIANT", "NON_COMPLIANT"],
    )?;
    let title = v.get("Title").and_then(Value::as_str).unwrap_or("");
    crate::validate::length(&at("title"), title, 0, 500)?;
    let mut details = BTreeMap::new();
    if let Some(d) = v.get("Details").and_then(Value::as_object) {
        for (k, x) in d {
            crate::validate::length(&at("details.key"), k, 1, 64)?;
            let x = x.as_str().unwrap_or("");
            crate::validate::length(&at("details.value"), x, 0, 4096)?;
            details.insert(k.clone(), x.to_owned());
        }
    }
    let size = v.to_string().len();
    if size > ITEM_SIZE_LIMIT {
        return Err(err(
            "ItemSizeLimitExceededException",
            format!("Item {i} is {size} bytes, above the limit of {ITEM_SIZE_LIMIT} bytes."),
        ));
    }
    Ok(Item {
        compliance_type: ctype.to_owned(),
        resource_id: resource.to_owned(),
        id: v.get("Id").and_then(Value::as_str).unwrap_or("").to_owned(),
        title: title.to_owned(),
        status,
        severity,
        execution: execution.clone(),
        details,
    })
}

/// PutComplianceItems: `ResourceId` (a node of the fleet, else
/// `InvalidResourceId`), `ResourceType` (`ManagedInstance`, else
/// `InvalidResourceType`), `ComplianceType` (`Custom:<name>`; Patch and
/// Association are the lab's own: `InvalidItemContentException`),
/// `ExecutionSummary` (ExecutionTime required), `Items` (0 … 10,000;
/// Severity and Status required), `UploadType` COMPLETE (default: the
/// items replace the type's items, none removes the type) or PARTIAL
/// (items replace those of the same Id; every item needs one),
/// `ItemContentHash` (a put with the stored hash changes nothing). At
/// most [`CUSTOM_TYPES_PER_RESOURCE`] custom types per node
/// (`ComplianceTypeCountLimitExceededException`).
pub(crate) fn put_items(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let resource = required(body, "ResourceId", "resourceId")?
        .as_str()
        .unwrap_or("");
    crate::validate::length("resourceId", resource, 1, 100)?;
    let rtype = required(body, "ResourceType", "resourceType")?
        .as_str()
        .unwrap_or("");
    crate::validate::length("resourceType", rtype, 1, 50)?;
    let ctype = required(body, "ComplianceType", "complianceType")?
        .as_str()
        .unwrap_or("");
    crate::validate::length("complianceType", ctype, 1, 100)?;
    crate::validate::pattern("complianceType", ctype, crate::validate::COMPLIANCE_TYPE)?;
    let execution = execution(body)?;
    let items = required(body, "Items", "items")?
        .as_array()
        .cloned()
        .unwrap_or_default();
    if items.len() > 10_000 {
        return Err(validation(
            "1 validation error detected: Value at 'items' failed to satisfy constraint: Member must have length less than or equal to 10000",
        ));
    }
    let upload = match body.get("UploadType") {
        None | Some(Value::Null) => "COMPLETE",
        v => enum_value(v, "uploadType", &["COMPLETE", "PARTIAL"])?,
    };
    let hash = body.get("ItemContentHash").and_then(Value::as_str);
    if let Some(h) = hash {
        crate::validate::length("itemContentHash", h, 0, 256)?;
    }
    if rtype != "ManagedInstance" {
        return Err(err(
            "InvalidResourceType",
            format!(
                "The resource type {rtype} isn't valid. The only supported resource type is ManagedInstance."
            ),
        ));
    }
    if !state
        .nodes
        .read()
        .expect("nodes lock")
        .iter()
        .any(|n| n.id == resource)
    {
        return Err(err(
            "InvalidResourceId",
            format!("The resource ID {resource} isn't valid. Verify the ID and try again."),
        ));
    }
    if !ctype.starts_with("Custom:") {
        return Err(err(
            "InvalidItemContentException",
            format!(
                "The compliance type {ctype} is reported by Systems Manager itself; put items of a Custom:<name> type."
            ),
        ));
    }
    let total = Value::Array(items.clone()).to_string().len();
    if total > TOTAL_SIZE_LIMIT {
        return Err(err(
            "TotalSizeLimitExceededException",
            format!("The items total {total} bytes, above the limit of {TOTAL_SIZE_LIMIT} bytes."),
        ));
    }
    let mut checked = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let item = entry(v, i + 1, (ctype, resource), &execution)?;
        if upload == "PARTIAL" && item.id.is_empty() {
            return Err(err(
                "InvalidItemContentException",
                format!(
                    "Item {} has no Id; a PARTIAL upload replaces items by Id.",
                    i + 1
                ),
            ));
        }
        checked.push(item);
    }
    store_items(state, (resource, ctype), upload, hash, checked)?;
    Ok(json!({}))
}

/// Stores a checked put (see [`put_items`]).
fn store_items(
    state: &LabState,
    (resource, ctype): (&str, &str),
    upload: &str,
    hash: Option<&str>,
    items: Vec<Item>,
) -> Result<(), ApiError> {
    let mut store = state.compliance.lock().expect("compliance lock");
    let key = (resource.to_owned(), ctype.to_owned());
    if let (Some(h), Some(c)) = (hash, store.custom.get(&key))
        && c.hash.as_deref() == Some(h)
    {
        return Ok(());
    }
    let types = store
        .custom
        .keys()
        .filter(|(r, t)| r == resource && t != ctype)
        .count();
    if !store.custom.contains_key(&key) && types >= CUSTOM_TYPES_PER_RESOURCE {
        return Err(err(
            "ComplianceTypeCountLimitExceededException",
            format!(
                "Resource {resource} already has {types} custom compliance types, the most it may have."
            ),
        ));
    }
    if upload == "COMPLETE" && items.is_empty() {
        store.custom.remove(&key);
        return Ok(());
    }
    let entry = store.custom.entry(key).or_insert_with(|| Custom {
        hash: None,
        items: Vec::new(),
    });
    if upload == "COMPLETE" {
        entry.items = items;
    } else {
        for item in items {
            entry.items.retain(|i| i.id != item.id);
            entry.items.push(item);
        }
        // Every item carries the latest put's execution.
        let latest = entry.items.last().map(|i| i.execution.clone());
        if let Some(e) = latest {
            for i in &mut entry.items {
                i.execution = e.clone();
            }
        }
    }
    entry.items.sort_by(|a, b| a.id.cmp(&b.id));
    entry.hash = hash.map(str::to_owned);
    Ok(())
}
