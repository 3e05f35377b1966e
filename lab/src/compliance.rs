//! Systems Manager Compliance: ListComplianceItems,
//! ListComplianceSummaries, ListResourceComplianceSummaries and
//! PutComplianceItems over the tenant's managed nodes (ResourceType
//! `ManagedInstance`).
//!
//! Three compliance types: `Patch` (one item per patch of the node's
//! patch record that is installed, missing, failed, pending a reboot or
//! rejected; NotApplicable patches have none; Installed and
//! InstalledOther are COMPLIANT, the others NON_COMPLIANT; Severity from
//! the patch's severity: Critical CRITICAL, Important HIGH,
//! Medium/Moderate MEDIUM, Low LOW, else UNSPECIFIED; ExecutionSummary the
//! last patch operation, ExecutionId its command), `Association` (see
//! [`association`]) and the `Custom:…` types PutComplianceItems writes.
//!
//! A resource is NON_COMPLIANT for a type when any of its items of that
//! type is; its OverallSeverity is the highest severity of its
//! non-compliant items (of all its items when compliant).
//! ListComplianceSummaries counts resources per type (each under its
//! OverallSeverity); ListResourceComplianceSummaries counts a resource's
//! items per severity.
//!
//! Filters (`ComplianceStringFilter`: Key, Values 1 … 20, Type EQUAL
//! (default), NOT_EQUAL, BEGIN_WITH, LESS_THAN, GREATER_THAN, the last two
//! comparing text): a key the operation does not know is `InvalidFilter`.
//! Departure: PutComplianceItems takes `Custom:` types only (Patch and
//! Association are the lab's own; AWS lets a caller write them too).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::LabState;
use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};
use crate::patch::{ItemState, NodePatches};

pub(crate) mod association;

/// The model's `ComplianceSeverity`, highest first.
pub(crate) const SEVERITIES: [&str; 6] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNSPECIFIED",
];

/// Custom compliance types one resource may have (PutComplianceItems
/// answers `ComplianceTypeCountLimitExceededException` past it).
pub const CUSTOM_TYPES_PER_RESOURCE: usize = 10;
/// An item's largest JSON size, bytes (`ItemSizeLimitExceededException`).
pub const ITEM_SIZE_LIMIT: usize = 800 * 1024;
/// A put's largest total item size, bytes (`TotalSizeLimitExceededException`).
pub const TOTAL_SIZE_LIMIT: usize = 1024 * 1024;

/// `ComplianceExecutionSummary`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Execution {
    /// ExecutionTime, epoch seconds.
    pub time: f64,
    /// ExecutionId.
    pub id: Option<String>,
    /// ExecutionType.
    pub kind: Option<String>,
}

impl Execution {
    fn json(&self) -> Value {
        let mut v = json!({"ExecutionTime": self.time});
        if let Some(id) = &self.id {
            v["ExecutionId"] = json!(id);
        }
        if let Some(k) = &self.kind {
            v["ExecutionType"] = json!(k);
        }
        v
    }
}

/// One `ComplianceItem` (of a ManagedInstance).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub compliance_type: String,
    pub resource_id: String,
    pub id: String,
    pub title: String,
    /// COMPLIANT or NON_COMPLIANT.
    pub status: &'static str,
    /// One of [`SEVERITIES`].
    pub severity: &'static str,
    pub execution: Execution,
    pub details: BTreeMap<String, String>,
}

impl Item {
    fn json(&self) -> Value {
        let mut v = json!({
            "ComplianceType": self.compliance_type,
            "ResourceType": "ManagedInstance",
            "ResourceId": self.resource_id,
            "Title": self.title,
            "Status": self.status,
            "Severity": self.severity,
            "ExecutionSummary": self.execution.json(),
            "Details": self.details,
        });
        if !self.id.is_empty() {
            v["Id"] = json!(self.id);
        }
        v
    }

    /// The value of filter key `key`, `None` for a key items lack.
    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "ComplianceType" => self.compliance_type.clone(),
            "Status" => self.status.into(),
            "Severity" => self.severity.into(),
            "Id" => self.id.clone(),
            "Title" => self.title.clone(),
            "ExecutionId" => self.execution.id.clone().unwrap_or_default(),
            "ExecutionType" => self.execution.kind.clone().unwrap_or_default(),
            _ => return None,
        })
    }
}

/// What PutComplianceItems stored for one resource and type.
#[derive(Debug, Clone)]
struct Custom {
    hash: Option<String>,
    items: Vec<Item>,
}

/// The tenant's custom compliance items, by (resource id, type).
#[derive(Debug, Default)]
pub(crate) struct ComplianceStore {
    custom: BTreeMap<(String, String), Custom>,
}

fn severity_index(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(5)
}

/// The Patch items of node `n` from its patch record.
fn patch_items(n: &LabNode, r: &NodePatches) -> Vec<Item> {
    let execution = patch_execution(r);
    r.items
        .iter()
        .filter_map(|p| {
            let compliant = p.state.compliant()?;
            let mut details = BTreeMap::from([
                ("Classification".to_owned(), p.classification.to_owned()),
                ("PatchSeverity".to_owned(), p.severity.to_owned()),
                ("PatchState".to_owned(), p.state.as_guide().to_owned()),
                ("PatchBaselineId".to_owned(), r.state.baseline_id.clone()),
                ("PatchGroup".to_owned(), r.state.patch_group.clone()),
                (
                    "InstalledTime".to_owned(),
                    if p.installed_s > 0.0 {
                        crate::protocol::iso8601(p.installed_s as i64)
                    } else {
                        String::new()
                    },
                ),
            ]);
            if !p.cve_ids.is_empty() {
                details.insert("CVEIds".into(), p.cve_ids.clone());
            }
            Some(Item {
                compliance_type: "Patch".into(),
                resource_id: n.id.clone(),
                id: p.kb_id.clone(),
                title: p.title.clone(),
                status: if compliant {
                    "COMPLIANT"
                } else {
                    "NON_COMPLIANT"
                },
                severity: p.compliance_severity(),
                execution: execution.clone(),
                details,
            })
        })
        .collect()
}

fn patch_execution(r: &NodePatches) -> Execution {
    Execution {
        time: r.state.ran_s.1,
        id: Some(r.execution_id.clone()),
        kind: Some("Command".into()),
    }
}

/// One resource's summary of one compliance type.
#[derive(Debug, Clone)]
struct Summary {
    compliance_type: String,
    resource_id: String,
    execution: Execution,
    /// Items per severity (index into [`SEVERITIES`]).
    compliant: [u32; 6],
    noncompliant: [u32; 6],
}

impl Summary {
    fn new(ctype: &str, resource: &str, execution: Execution) -> Summary {
        Summary {
            compliance_type: ctype.into(),
            resource_id: resource.into(),
            execution,
            compliant: [0; 6],
            noncompliant: [0; 6],
        }
    }

    fn add(&mut self, compliant: bool, severity: &str) {
        let i = severity_index(severity);
        if compliant {
            self.compliant[i] += 1;
        } else {
            self.noncompliant[i] += 1;
        }
    }

    fn status(&self) -> &'static str {
        if self.noncompliant.iter().any(|n| *n > 0) {
            "NON_COMPLIANT"
        } else {
            "COMPLIANT"
        }
    }

    fn overall_severity(&self) -> &'static str {
        let counts = if self.status() == "NON_COMPLIANT" {
            &self.noncompliant
        } else {
            &self.compliant
        };
        SEVERITIES[counts.iter().position(|n| *n > 0).unwrap_or(5)]
    }

    fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "ComplianceType" => self.compliance_type.clone(),
            "Status" => self.status().into(),
            "OverallSeverity" => self.overall_severity().into(),
            "ResourceId" => self.resource_id.clone(),
            "ResourceType" => "ManagedInstance".into(),
            "ExecutionId" => self.execution.id.clone().unwrap_or_default(),
            "ExecutionType" => self.execution.kind.clone().unwrap_or_default(),
            _ => return None,
        })
    }

    fn json(&self) -> Value {
        json!({
            "ComplianceType": self.compliance_type,
            "ResourceType": "ManagedInstance",
            "ResourceId": self.resource_id,
            "Status": self.status(),
            "OverallSeverity": self.overall_severity(),
            "ExecutionSummary": self.execution.json(),
            "CompliantSummary": {
                "CompliantCount": self.compliant.iter().sum::<u32>(),
                "SeveritySummary": severity_summary(&self.compliant),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": self.noncompliant.iter().sum::<u32>(),
                "SeveritySummary": severity_summary(&self.noncompliant),
            },
        })
    }
}

fn severity_summary(c: &[u32; 6]) -> Value {
    json!({
        "CriticalCount": c[0], "HighCount": c[1], "MediumCount": c[2],
        "LowCount": c[3], "InformationalCount": c[4], "UnspecifiedCount": c[5],
    })
}

/// Summaries of `items` (all of one resource), one per compliance type.
fn summarize(items: &[Item]) -> Vec<Summary> {
    let mut out: BTreeMap<&str, Summary> = BTreeMap::new();
    for i in items {
        out.entry(&i.compliance_type)
            .or_insert_with(|| {
                Summary::new(&i.compliance_type, &i.resource_id, i.execution.clone())
            })
            .add(i.status == "COMPLIANT", i.severity);
    }
    out.into_values().collect()
}

/// Every node of the tenant (a copy: no lock is held while items are made).
fn fleet(state: &LabState) -> Vec<LabNode> {
    state.nodes.read().expect("nodes lock").clone()
}

/// The items of `nodes`, in (resource, type, id) order.
fn items_of(state: &LabState, nodes: &[LabNode], now: f64) -> Vec<Item> {
    let mut out = Vec::new();
    {
        let mut patches = state.patches.lock().expect("patches lock");
        for n in nodes {
            if let Some(r) = patches.record(n, &state.region, now) {
                out.extend(patch_items(n, r));
            }
        }
    }
    for n in nodes {
        out.extend(association::items(state, n, now));
    }
    let store = state.compliance.lock().expect("compliance lock");
    for ((node, _), c) in &store.custom {
        if nodes.iter().any(|n| n.id == *node) {
            out.extend(c.items.iter().cloned());
        }
    }
    out
}

/// Every resource's summaries (Patch ones counted straight from the
/// patch records, without making their items).
fn summaries_of(state: &LabState, nodes: &[LabNode], now: f64) -> Vec<Summary> {
    let mut out = Vec::new();
    {
        let mut patches = state.patches.lock().expect("patches lock");
        for n in nodes {
            let Some(r) = patches.record(n, &state.region, now) else {
                continue;
            };
            let mut s = Summary::new("Patch", &n.id, patch_execution(r));
            for p in &r.items {
                if let Some(ok) = p.state.compliant() {
                    s.add(ok, p.compliance_severity());
                }
            }
            if r.items.iter().any(|p| p.state != ItemState::NotApplicable) {
                out.push(s);
            }
        }
    }
    for n in nodes {
        out.extend(summarize(&association::items(state, n, now)));
    }
    let store = state.compliance.lock().expect("compliance lock");
    for c in store.custom.values() {
        out.extend(summarize(&c.items));
    }
    out
}

/// One `ComplianceStringFilter`.
struct Filter {
    key: String,
    values: Vec<String>,
    kind: String,
}

impl Filter {
    fn matches(&self, have: &str) -> bool {
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|v| f(v));
        match self.kind.as_str() {
            "NOT_EQUAL" => !any(&|v| v == have),
            "BEGIN_WITH" => any(&|v| have.starts_with(v)),
            "LESS_THAN" => any(&|v| have < v),
            "GREATER_THAN" => any(&|v| have > v),
            _ => any(&|v| v == have),
        }
    }
}

/// The checked `Filters` of a compliance list call whose keys are `keys`.
fn filters(body: &Value, keys: &[&str]) -> Result<Vec<Filter>, ApiError> {
    const TYPES: [&str; 5] = [
        "EQUAL",
        "NOT_EQUAL",
        "BEGIN_WITH",
        "LESS_THAN",
        "GREATER_THAN",
    ];
    let mut out = Vec::new();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |m: &str| format!("filters.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&at("key"), key, 1, 200)?;
        let kind = f.get("Type").and_then(Value::as_str).unwrap_or("EQUAL");
        if !TYPES.contains(&kind) {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                at("type"),
                TYPES.join(", ")
            )));
        }
        let values: Vec<String> = f
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if values.is_empty() || values.len() > 20 {
            return Err(validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length {}",
                at("values"),
                if values.is_empty() {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 20"
                }
            )));
        }
        if !keys.contains(&key) {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter key {key} isn't valid. Valid filter keys: {}.",
                    keys.join(", ")
                ),
            ));
        }
        out.push(Filter {
            key: key.to_owned(),
            values,
            kind: kind.to_owned(),
        });
    }
    Ok(out)
}

/// Handles a Compliance action; `None` when `action` is not one.
pub(crate) fn handle(
    state: &LabState,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    let now = crate::params::now_s();
    Some(match action {
        "ListComplianceItems" => list_items(state, body, now),
        "ListComplianceSummaries" => list_summaries(state, body, now),
        "ListResourceComplianceSummaries" => list_resource_summaries(state, body, now),
        "PutComplianceItems" => put_items(state, body),
        _ => return None,
    })
}

const ITEM_KEYS: [&str; 7] = [
    "ComplianceType",
    "Status",
    "Severity",
    "Id",
    "Title",
    "ExecutionId",
    "ExecutionType",
];

/// ListComplianceItems: `ResourceIds` (as the API reference says, one
/// at most; none: every node), `ResourceTypes` (ManagedInstance only,
/// else `InvalidResourceType`), `Filters` keys [`ITEM_KEYS`]; paged by
/// (resource, type, id), MaxResults 1 … 50 (default 50).
fn list_items(state: &LabState, body: &Value, now: f64) -> Result<Value, ApiError> {
    let strings = |k: &str| -> Vec<String> {
        body.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let ids = strings("ResourceIds");
    let types = strings("ResourceTypes");
    if ids.len() > 1 {
        return Err(validation(
            "ResourceIds: currently only one resource ID can be specified.",
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        crate::validate::length(&format!("resourceIds.{}.member", i + 1), id, 1, 100)?;
    }
    for (i, t) in types.iter().enumerate() {
        crate::validate::length(&format!("resourceTypes.{}.member", i + 1), t, 1, 50)?;
        if t != "ManagedInstance" {
            return Err(err(
                "InvalidResourceType",
                format!(
                    "The resource type {t} isn't valid. The only supported resource type is ManagedInstance."
                ),
            ));
        }
    }
    let filters = filters(body, &ITEM_KEYS)?;
    let mut nodes = fleet(state);
    if let Some(id) = ids.first() {
        nodes.retain(|n| n.id == *id);
        if nodes.is_empty() {
            return Err(err(
                "InvalidResourceId",
                format!("The resource ID {id} isn't valid. Verify the ID and try again."),
            ));
        }
    }
    let items: Vec<Item> = items_of(state, &nodes, now)
        .into_iter()
        .filter(|i| {
            filters
                .iter()
                .all(|f| i.field(&f.key).is_some_and(|v| f.matches(&v)))
        })
        .collect();
    let (page, next) = crate::commands::page(
        items,
        |i| format!("{}\u{0}{}\u{0}{}", i.resource_id, i.compliance_type, i.id),
        body,
        50,
    )?;
    Ok(crate::commands::listed(
        "ComplianceItems",
        page.iter().map(Item::json).collect(),
        next,
    ))
}

const RESOURCE_KEYS: [&str; 7] = [
    "ComplianceType",
    "Status",
    "OverallSeverity",
    "ResourceId",
    "ResourceType",
    "ExecutionId",
    "ExecutionType",
];

/// ListResourceComplianceSummaries: one summary per (node, compliance
/// type), `Filters` keys [`RESOURCE_KEYS`]; paged by (resource, type),
/// MaxResults 1 … 50 (default 50).
fn list_resource_summaries(state: &LabState, body: &Value, now: f64) -> Result<Value, ApiError> {
    let filters = filters(body, &RESOURCE_KEYS)?;
    let nodes = fleet(state);
    let rows: Vec<Summary> = summaries_of(state, &nodes, now)
        .into_iter()
        .filter(|s| {
            filters
                .iter()
                .all(|f| s.field(&f.key).is_some_and(|v| f.matches(&v)))
        })
        .collect();
    let (page, next) = crate::commands::page(
        rows,
        |s| format!("{}\u{0}{}", s.resource_id, s.compliance_type),
        body,
        50,
    )?;
    Ok(crate::commands::listed(
        "ResourceComplianceSummaryItems",
        page.iter().map(Summary::json).collect(),
        next,
    ))
}

const SUMMARY_KEYS: [&str; 3] = ["ComplianceType", "ResourceId", "ResourceType"];

/// ListComplianceSummaries: per compliance type, the resources compliant
/// and non-compliant, each counted under its OverallSeverity; `Filters`
/// keys [`SUMMARY_KEYS`] select the resource summaries counted; paged by
/// type, MaxResults 1 … 50 (default 50).
fn list_summaries(state: &LabState, body: &Value, now: f64) -> Result<Value, ApiError> {
    let filters = filters(body, &SUMMARY_KEYS)?;
    let nodes = fleet(state);
    let mut by_type: BTreeMap<String, ([u32; 6], [u32; 6])> = BTreeMap::new();
    for s in summaries_of(state, &nodes, now) {
        if !filters
            .iter()
            .all(|f| s.field(&f.key).is_some_and(|v| f.matches(&v)))
        {
            continue;
        }
        let e = by_type.entry(s.compliance_type.clone()).or_default();
        let i = severity_index(s.overall_severity());
        if s.status() == "COMPLIANT" {
            e.0[i] += 1;
        } else {
            e.1[i] += 1;
        }
    }
    let (page, next) =
        crate::commands::page(by_type.into_iter().collect(), |(t, _)| t.clone(), body, 50)?;
    let list = page
        .into_iter()
        .map(|(t, (ok, bad))| {
            json!({
                "ComplianceType": t,
                "CompliantSummary": {
                    "CompliantCount": ok.iter().sum::<u32>(),
                    "SeveritySummary": severity_summary(&ok),
                },
                "NonCompliantSummary": {
                    "NonCompliantCount": bad.iter().sum::<u32>(),
                    "SeveritySummary": severity_summary(&bad),
                },
            })
        })
        .collect();
    Ok(crate::commands::listed(
        "ComplianceSummaryItems",
        list,
        next,
    ))
}

mod put;
use put::put_items;

#[cfg(test)]
mod tests;
