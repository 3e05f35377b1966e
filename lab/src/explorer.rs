//! Systems Manager's fleet-wide views (JSON 1.1, `AmazonSSM.<Action>`):
//! `ListNodes`, `ListNodesSummary` (Explorer's managed-node inventory) and
//! `GetOpsSummary` (OpsData counts of OpsItems), with the shapes of
//! botocore's ssm service-2.json.
//!
//! Without `SyncName` a call sees its own tenant (one account, one region).
//! With `SyncName` `AWS-QuickSetup-ManagedNode`, the resource data sync
//! Quick Setup creates for a multi-account, multi-Region view, it sees every
//! tenant of the lab: the sync exists in the management account (the
//! lab's first) and in the delegated administrator (the second, as
//! Organizations' ListDelegatedAdministrators names it). Any other name,
//! or that name in a member account, is `ResourceDataSyncNotFoundException`.
//!
//! Departures, on purpose: GetOpsSummary needs `Aggregators` (count only,
//! on `AWS:OpsItem`); each entity is one value of one aggregator, its `Id`
//! that value, its content first `{attribute: value, "Count": "n"}` and
//! then, for each nested aggregator, `{attribute: value, inner: value2,
//! "Count": "m"}` per value of the inner attribute;
//! `InstanceStatus` of a node is its ping status (`Online`,
//! `ConnectionLost`, `Inactive`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::Response;
use serde_json::{Value, json};

use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};
use crate::protocol::{LabRequest, Service, error_response, json_response};
use crate::{Lab, LabState};

/// The resource data sync of Quick Setup's multi-account view.
pub const QUICK_SETUP_SYNC: &str = "AWS-QuickSetup-ManagedNode";

/// The actions this module answers.
pub(crate) fn handles(action: &str) -> bool {
    matches!(action, "ListNodes" | "ListNodesSummary" | "GetOpsSummary")
}

/// Answers one of [`handles`]'s actions for a caller in `state`'s tenant.
pub(crate) fn dispatch(lab: &Lab, state: &Arc<LabState>, req: &LabRequest) -> Response {
    let body = &req.json;
    let result = tenants(lab, state, body).and_then(|scope| match req.action.as_str() {
        "ListNodes" => list_nodes(&scope, body),
        "ListNodesSummary" => list_nodes_summary(&scope, body),
        _ => get_ops_summary(&scope, body),
    });
    match result {
        Ok(v) => json_response(&v),
        Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
    }
}

/// The tenants a call sees (see the module documentation).
fn tenants(lab: &Lab, state: &Arc<LabState>, body: &Value) -> Result<Vec<Arc<LabState>>, ApiError> {
    let Some(sync) = body.get("SyncName").filter(|v| !v.is_null()) else {
        return Ok(vec![state.clone()]);
    };
    let name = sync.as_str().unwrap_or("");
    crate::validate::length("syncName", name, 1, 64)?;
    let admin = lab.accounts.iter().take(2).any(|a| *a == state.account);
    if name == QUICK_SETUP_SYNC && admin {
        return Ok(lab.tenants.clone());
    }
    Err(err(
        "ResourceDataSyncNotFoundException",
        format!(
            "Resource data sync {name} was not found in account {}.",
            state.account
        ),
    ))
}

/// `MaxResults` 1 … 50 (default 50).
fn max_results(body: &Value) -> Result<usize, ApiError> {
    match body.get("MaxResults") {
        None | Some(Value::Null) => Ok(50),
        Some(v) => match v.as_u64() {
            Some(n @ 1..=50) => Ok(n as usize),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50"
            ))),
        },
    }
}

fn enum_error(field: &str, value: &str, allowed: &[&str]) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    ))
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

/// A list member of `1 ..= max` items (absent: `None`).
fn list<'a>(
    body: &'a Value,
    key: &str,
    field: &str,
    max: usize,
) -> Result<Option<&'a Vec<Value>>, ApiError> {
    let Some(v) = body.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let a = v
        .as_array()
        .ok_or_else(|| validation(format!("Value at '{field}' must be a list.")))?;
    if a.is_empty() || a.len() > max {
        let constraint = if a.is_empty() {
            "Member must have length greater than or equal to 1".to_owned()
        } else {
            format!("Member must have length less than or equal to {max}")
        };
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: {constraint}"
        )));
    }
    Ok(Some(a))
}

/// A node with the tenant it lives in.
struct Seen<'a> {
    node: &'a LabNode,
    account: &'a str,
    region: &'a str,
}

/// The `NodeFilterKey` enum of the model.
const NODE_KEYS: &[&str] = &[
    "AgentType",
    "AgentVersion",
    "ComputerName",
    "InstanceId",
    "InstanceStatus",
    "IpAddress",
    "ManagedStatus",
    "PlatformName",
    "PlatformType",
    "PlatformVersion",
    "ResourceType",
    "OrganizationalUnitId",
    "OrganizationalUnitPath",
    "Region",
    "AccountId",
];
/// The `NodeAttributeName` enum of the model (what ListNodesSummary groups by).
const NODE_ATTRIBUTES: &[&str] = &[
    "AgentVersion",
    "PlatformName",
    "PlatformType",
    "PlatformVersion",
    "Region",
    "ResourceType",
];
/// The `NodeFilterOperatorType` enum (default `Equal`).
const NODE_OPERATORS: &[&str] = &["Equal", "NotEqual", "BeginWith"];

fn resource_type(n: &LabNode) -> &'static str {
    if n.is_hybrid() {
        "ManagedInstance"
    } else {
        "EC2Instance"
    }
}

/// The value of node attribute or filter key `key` (`None`: the node has
/// none, as no node of the lab has an organizational unit).
fn node_value<'a>(s: &Seen<'a>, key: &str) -> Option<&'a str> {
    let n = s.node;
    Some(match key {
        "AgentType" => "amazon-ssm-agent",
        "AgentVersion" => &n.agent_version,
        "ComputerName" => &n.computer_name,
        "InstanceId" => &n.id,
        "InstanceStatus" => n.ping.as_str(),
        "IpAddress" => &n.ip,
        "ManagedStatus" => "Managed",
        "PlatformName" => &n.platform_name,
        "PlatformType" => &n.platform_type,
        "PlatformVersion" => &n.platform_version,
        "ResourceType" => resource_type(n),
        "Region" => s.region,
        "AccountId" => s.account,
        _ => return None,
    })
}

/// One `NodeFilter`: key, values (any of which must match) and operator.
struct NodeFilter {
    key: String,
    values: Vec<String>,
    operator: String,
}

impl NodeFilter {
    fn matches(&self, s: &Seen<'_>) -> bool {
        // ManagedStatus All matches every node; the lab's nodes are all managed.
        if self.key == "ManagedStatus" && self.values.iter().any(|v| v == "All") {
            return self.operator != "NotEqual";
        }
        let value = node_value(s, &self.key);
        let hit = value.is_some_and(|v| {
            self.values.iter().any(|x| match self.operator.as_str() {
                "BeginWith" => v.starts_with(x.as_str()),
                _ => v == x,
            })
        });
        if self.operator == "NotEqual" {
            !hit
        } else {
            hit
        }
    }
}

/// The `Filters` of ListNodes and ListNodesSummary: 1 … 5 filters of keys
/// from the model's enum, 1 … 5 values each (at most 512 characters of the
/// model's pattern); an enum-valued key compared (Equal, NotEqual) with a
/// value outside its enum is `InvalidFilter`.
fn node_filters(body: &Value) -> Result<Vec<NodeFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, f) in list(body, "Filters", "filters", 5)?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |m: &str| format!("filters.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        if !NODE_KEYS.contains(&key) {
            return Err(enum_error(&at("key"), key, NODE_KEYS));
        }
        let operator = f.get("Type").and_then(Value::as_str).unwrap_or("Equal");
        if !NODE_OPERATORS.contains(&operator) {
            return Err(enum_error(&at("type"), operator, NODE_OPERATORS));
        }
        let values = strings(f.get("Values"));
        if values.is_empty() || values.len() > 5 {
            return Err(validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 5, Member must have length greater than or equal to 1",
                at("values")
            )));
        }
        for v in &values {
            crate::validate::length(&at("values"), v, 0, 512)?;
            crate::validate::pattern(&at("values"), v, crate::validate::TAG)?;
        }
        // Enum-valued keys take values of their enum (a BeginWith prefix may be any).
        let allowed: &[&str] = match key {
            _ if operator == "BeginWith" => &[],
            "PlatformType" => &["Windows", "Linux", "MacOS"],
            "ResourceType" => &["ManagedInstance", "EC2Instance"],
            "ManagedStatus" => &["All", "Managed", "Unmanaged"],
            _ => &[],
        };
        if let Some(bad) = values
            .iter()
            .find(|v| !allowed.is_empty() && !allowed.contains(&v.as_str()))
        {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter value {bad} is not valid for {key}; use {}.",
                    allowed.join(", ")
                ),
            ));
        }
        out.push(NodeFilter {
            key: key.to_owned(),
            values,
            operator: operator.to_owned(),
        });
    }
    Ok(out)
}

/// Runs `f` over every node of `scope` that passes `filters`, in the order
/// account, region, node id.
fn with_nodes<R>(
    scope: &[Arc<LabState>],
    filters: &[NodeFilter],
    f: impl FnOnce(Vec<Seen<'_>>) -> R,
) -> R {
    let guards: Vec<_> = scope
        .iter()
        .map(|t| (t, t.nodes.read().expect("nodes lock")))
        .collect();
    let mut seen: Vec<Seen<'_>> = guards
        .iter()
        .flat_map(|(t, nodes)| {
            nodes.iter().map(|n| Seen {
                node: n,
                account: t.account.as_str(),
                region: t.region.as_str(),
            })
        })
        .filter(|s| filters.iter().all(|f| f.matches(s)))
        .collect();
    seen.sort_by(|a, b| (a.account, a.region, &a.node.id).cmp(&(b.account, b.region, &b.node.id)));
    f(seen)
}

fn bad_token(_: crate::paging::BadToken) -> ApiError {
    err("InvalidNextToken", "The specified token isn't valid.")
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs() as f64)
}

/// The `Node` shape: CaptureTime (the last ping), Id, Owner, Region and
/// NodeType.Instance.
fn node_json(s: &Seen<'_>, now: f64) -> Value {
    let n = s.node;
    json!({
        "CaptureTime": crate::ssm::last_ping(n, now),
        "Id": n.id,
        "Owner": {"AccountId": s.account},
        "Region": s.region,
        "NodeType": {"Instance": {
            "AgentType": "amazon-ssm-agent",
            "AgentVersion": n.agent_version,
            "ComputerName": n.computer_name,
            "InstanceStatus": n.ping.as_str(),
            "IpAddress": n.ip,
            "ManagedStatus": "Managed",
            "PlatformType": n.platform_type,
            "PlatformName": n.platform_name,
            "PlatformVersion": n.platform_version,
            "ResourceType": resource_type(n),
        }},
    })
}

/// SSM `ListNodes`: the nodes of the scope that pass `Filters`, paged
/// (`MaxResults` 1 … 50, `NextToken`).
fn list_nodes(scope: &[Arc<LabState>], body: &Value) -> Result<Value, ApiError> {
    let max = max_results(body)?;
    let filters = node_filters(body)?;
    let token = body.get("NextToken").and_then(Value::as_str);
    let now = now();
    with_nodes(scope, &filters, |seen| {
        let key = |s: &Seen<'_>| format!("{}/{}/{}", s.account, s.region, s.node.id);
        let (page, next) = crate::paging::page_by(seen, key, token, max).map_err(bad_token)?;
        let nodes: Vec<Value> = page.iter().map(|s| node_json(s, now)).collect();
        let mut out = json!({"Nodes": nodes});
        if let Some(t) = next {
            out["NextToken"] = Value::String(t);
        }
        Ok(out)
    })
}

/// One aggregator: the attribute it groups by and its nested ones.
struct Aggregator {
    attribute: String,
    nested: Vec<Aggregator>,
}

/// `NodeAggregator`s: 1 … 2, `AggregatorType` `Count`, `TypeName`
/// `Instance`, `AttributeName` from the model's enum; nested aggregators
/// one level deep (a summary has at most 3 entries: two attributes and
/// the count), deeper is `InvalidAggregatorException`.
fn node_aggregators(
    list_v: &[Value],
    field: &str,
    depth: usize,
) -> Result<Vec<Aggregator>, ApiError> {
    if list_v.is_empty() || list_v.len() > 2 {
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to 2, Member must have length greater than or equal to 1"
        )));
    }
    let mut out = Vec::new();
    for (i, a) in list_v.iter().enumerate() {
        let at = |m: &str| format!("{field}.{}.member.{m}", i + 1);
        let get = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
        let (kind, type_name, attribute) =
            (get("AggregatorType"), get("TypeName"), get("AttributeName"));
        if kind != "Count" {
            return Err(enum_error(&at("aggregatorType"), kind, &["Count"]));
        }
        if type_name != "Instance" {
            return Err(enum_error(&at("typeName"), type_name, &["Instance"]));
        }
        if !NODE_ATTRIBUTES.contains(&attribute) {
            return Err(enum_error(&at("attributeName"), attribute, NODE_ATTRIBUTES));
        }
        let nested = match a.get("Aggregators").and_then(Value::as_array) {
            None => Vec::new(),
            Some(_) if depth > 0 => {
                return Err(err(
                    "InvalidAggregatorException",
                    "Aggregators can be nested one level deep only.",
                ));
            }
            Some(inner) => node_aggregators(inner, &at("aggregators"), depth + 1)?,
        };
        out.push(Aggregator {
            attribute: attribute.to_owned(),
            nested,
        });
    }
    Ok(out)
}

/// One group of a summary: its page key, its `(attribute, value)` pairs
/// and how many rows it counts.
type Group = (String, Vec<(String, String)>, usize);

/// Counts of `rows` (attribute maps) grouped by each aggregator of `aggs`
/// (and its nested ones): one group per combination of values, its entry
/// `{attribute: value, …, "Count": "n"}`, keyed `NN|value|value` in the
/// aggregators' order then by value. A row without the attribute is not
/// counted.
fn group<'r>(
    aggs: &[Aggregator],
    rows: impl Iterator<Item = BTreeMap<&'r str, &'r str>> + Clone,
) -> Vec<Group> {
    let mut out = Vec::new();
    for (i, a) in aggs.iter().enumerate() {
        let paths: Vec<Vec<&str>> = if a.nested.is_empty() {
            vec![vec![a.attribute.as_str()]]
        } else {
            a.nested
                .iter()
                .map(|n| vec![a.attribute.as_str(), n.attribute.as_str()])
                .collect()
        };
        for (j, path) in paths.iter().enumerate() {
            let mut counts: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
            for row in rows.clone() {
                let values: Option<Vec<&str>> = path.iter().map(|k| row.get(k).copied()).collect();
                if let Some(v) = values {
                    *counts.entry(v).or_default() += 1;
                }
            }
            for (values, count) in counts {
                let key = format!("{i:02}{j:02}|{}", values.join("|"));
                let entry = path
                    .iter()
                    .zip(&values)
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                out.push((key, entry, count));
            }
        }
    }
    out
}

/// SSM `ListNodesSummary`: node counts of the scope (after `Filters`)
/// grouped by `Aggregators`, paged (`MaxResults` 1 … 50, `NextToken`).
fn list_nodes_summary(scope: &[Arc<LabState>], body: &Value) -> Result<Value, ApiError> {
    let max = max_results(body)?;
    let filters = node_filters(body)?;
    let Some(aggs) = body.get("Aggregators").and_then(Value::as_array) else {
        return Err(validation(
            "1 validation error detected: Value null at 'aggregators' failed to satisfy constraint: Member must not be null",
        ));
    };
    let aggs = node_aggregators(aggs, "aggregators", 0)?;
    let token = body.get("NextToken").and_then(Value::as_str);
    with_nodes(scope, &filters, |seen| {
        let rows = seen.iter().map(|s| {
            NODE_ATTRIBUTES
                .iter()
                .filter_map(|k| node_value(s, k).map(|v| (*k, v)))
                .collect::<BTreeMap<&str, &str>>()
        });
        let groups = group(&aggs, rows);
        let (page, next) =
            crate::paging::page_by(groups, |g| g.0.clone(), token, max).map_err(bad_token)?;
        let summary: Vec<Value> = page
            .into_iter()
            .map(|(_, entry, count)| {
                let mut m: serde_json::Map<String, Value> = entry
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                m.insert("Count".into(), Value::String(count.to_string()));
                Value::Object(m)
            })
            .collect();
        let mut out = json!({"Summary": summary});
        if let Some(t) = next {
            out["NextToken"] = Value::String(t);
        }
        Ok(out)
    })
}

/// An `OpsFilter` on `AWS:OpsItem.<attribute>`.
struct OpsFilter {
    attribute: String,
    values: Vec<String>,
    operator: String,
}

impl OpsFilter {
    fn matches(&self, row: &BTreeMap<&'static str, String>) -> bool {
        let value = row.get(self.attribute.as_str());
        let hit = |v: &String| {
            self.values.iter().any(|x| match self.operator.as_str() {
                "BeginWith" => v.starts_with(x.as_str()),
                "LessThan" | "GreaterThan" => match (v.parse::<f64>(), x.parse::<f64>()) {
                    (Ok(a), Ok(b)) if self.operator == "LessThan" => a < b,
                    (Ok(a), Ok(b)) => a > b,
                    _ => false,
                },
                _ => v == x,
            })
        };
        match self.operator.as_str() {
            "Exists" => value.is_some(),
            "NotEqual" => !value.is_some_and(hit),
            _ => value.is_some_and(hit),
        }
    }
}

/// The `OpsFilterOperatorType` enum (default `Equal`).
const OPS_OPERATORS: &[&str] = &[
    "Equal",
    "NotEqual",
    "BeginWith",
    "LessThan",
    "GreaterThan",
    "Exists",
];
const OPS_ITEM_TYPE: &str = "AWS:OpsItem";

/// `OpsFilter`s (1 … 5; keys 1 … 200 characters, 1 … 40 values): the lab
/// filters on `AWS:OpsItem.<attribute>` of [`crate::opscenter::SUMMARY_ATTRIBUTES`],
/// any other key is `InvalidFilter`.
fn ops_filters(body: &Value, field: &str) -> Result<Vec<OpsFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, f) in list(body, "Filters", field, 5)?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |m: &str| format!("{field}.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&at("key"), key, 1, 200)?;
        let operator = f.get("Type").and_then(Value::as_str).unwrap_or("Equal");
        if !OPS_OPERATORS.contains(&operator) {
            return Err(enum_error(&at("type"), operator, OPS_OPERATORS));
        }
        let values = strings(f.get("Values"));
        if values.is_empty() || values.len() > 40 {
            return Err(validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 40, Member must have length greater than or equal to 1",
                at("values")
            )));
        }
        let attribute = key
            .strip_prefix("AWS:OpsItem.")
            .filter(|a| crate::opscenter::SUMMARY_ATTRIBUTES.contains(a))
            .ok_or_else(|| {
                err(
                    "InvalidFilter",
                    format!(
                        "The filter key {key} is not valid; the lab filters on AWS:OpsItem.<{}>.",
                        crate::opscenter::SUMMARY_ATTRIBUTES.join("|")
                    ),
                )
            })?;
        out.push(OpsFilter {
            attribute: attribute.to_owned(),
            values,
            operator: operator.to_owned(),
        });
    }
    Ok(out)
}

/// A `TypeName` (`OpsDataTypeName`: 1 … 100 characters, `^(AWS|Custom):.*$`):
/// the lab has OpsData of `AWS:OpsItem` only, others are `InvalidTypeNameException`.
fn ops_type_name(field: &str, name: &str) -> Result<(), ApiError> {
    crate::validate::length(field, name, 1, 100)?;
    if !(name.starts_with("AWS:") || name.starts_with("Custom:")) {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(AWS|Custom):.*$"
        )));
    }
    if name != OPS_ITEM_TYPE {
        return Err(err(
            "InvalidTypeNameException",
            format!("The type name {name} is not valid; the lab has OpsData of type AWS:OpsItem."),
        ));
    }
    Ok(())
}

/// `OpsAggregator`s (1 … 12): `AggregatorType` `count` (the model's
/// pattern `^(range|count|sum)` else ValidationException; range and sum
/// are `InvalidAggregatorException` in the lab), `TypeName` `AWS:OpsItem`,
/// `AttributeName` one of [`crate::opscenter::SUMMARY_ATTRIBUTES`]; nested
/// one level deep. Returns them with each one's own `Filters`.
fn ops_aggregators(
    list_v: &[Value],
    field: &str,
    depth: usize,
) -> Result<Vec<(Aggregator, Vec<OpsFilter>)>, ApiError> {
    if list_v.is_empty() || list_v.len() > 12 {
        return Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to 12, Member must have length greater than or equal to 1"
        )));
    }
    let mut out = Vec::new();
    for (i, a) in list_v.iter().enumerate() {
        let at = |m: &str| format!("{field}.{}.member.{m}", i + 1);
        let get = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
        let (kind, attribute) = (get("AggregatorType"), get("AttributeName"));
        let kind = if kind.is_empty() { "count" } else { kind };
        crate::validate::length(&at("aggregatorType"), kind, 1, 20)?;
        if !["range", "count", "sum"]
            .iter()
            .any(|p| kind.starts_with(p))
        {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(range|count|sum)",
                at("aggregatorType")
            )));
        }
        if kind != "count" {
            return Err(err(
                "InvalidAggregatorException",
                format!("The aggregator type {kind} is not supported by the lab; use count."),
            ));
        }
        ops_type_name(&at("typeName"), get("TypeName"))?;
        if !crate::opscenter::SUMMARY_ATTRIBUTES.contains(&attribute) {
            return Err(err(
                "InvalidAggregatorException",
                format!(
                    "The attribute name '{attribute}' is not valid for AWS:OpsItem; use one of {}.",
                    crate::opscenter::SUMMARY_ATTRIBUTES.join(", ")
                ),
            ));
        }
        let filters = ops_filters(a, &at("filters"))?;
        let nested = match a.get("Aggregators").and_then(Value::as_array) {
            None => Vec::new(),
            Some(_) if depth > 0 => {
                return Err(err(
                    "InvalidAggregatorException",
                    "Aggregators can be nested one level deep only.",
                ));
            }
            Some(inner) => ops_aggregators(inner, &at("aggregators"), depth + 1)?
                .into_iter()
                .map(|(a, _)| a)
                .collect(),
        };
        out.push((
            Aggregator {
                attribute: attribute.to_owned(),
                nested,
            },
            filters,
        ));
    }
    Ok(out)
}

/// `CaptureTime` of an OpsEntityItem: ISO 8601 to the second
/// (`^(20)[0-9][0-9]-…T…Z$`, no fraction).
fn capture_time(epoch_s: f64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch_s as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// SSM `GetOpsSummary`: counts of the scope's OpsItems (after `Filters`)
/// per value of each aggregator (see the module documentation), paged
/// (`MaxResults` 1 … 50, `NextToken`).
fn get_ops_summary(scope: &[Arc<LabState>], body: &Value) -> Result<Value, ApiError> {
    let max = max_results(body)?;
    let filters = ops_filters(body, "filters")?;
    for (i, r) in list(body, "ResultAttributes", "resultAttributes", usize::MAX)?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = r.get("TypeName").and_then(Value::as_str).unwrap_or("");
        ops_type_name(&format!("resultAttributes.{}.member.typeName", i + 1), name)?;
    }
    let Some(aggs) = list(body, "Aggregators", "aggregators", 12)? else {
        return Err(err(
            "InvalidAggregatorException",
            "The lab answers GetOpsSummary with Aggregators (count on AWS:OpsItem) only.",
        ));
    };
    let aggs = ops_aggregators(aggs, "aggregators", 0)?;
    let rows: Vec<BTreeMap<&'static str, String>> = scope
        .iter()
        .flat_map(|t| t.ops.lock().expect("ops lock").summary_rows())
        .filter(|r| filters.iter().all(|f| f.matches(r)))
        .collect();
    // One entity per (aggregator, value): its total first, then the
    // counts per value of each nested aggregator.
    let mut grouped: BTreeMap<(usize, String), Vec<Value>> = BTreeMap::new();
    let content = |pairs: &[(&str, &str)], n: usize| {
        let mut m: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        m.insert("Count".into(), Value::String(n.to_string()));
        Value::Object(m)
    };
    for (i, (agg, own)) in aggs.iter().enumerate() {
        let attr = agg.attribute.as_str();
        let kept: Vec<&BTreeMap<&str, String>> = rows
            .iter()
            .filter(|r| own.iter().all(|f| f.matches(r)))
            .collect();
        let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
        for v in kept.iter().filter_map(|r| r.get(attr)) {
            *totals.entry(v).or_default() += 1;
        }
        for (v, n) in totals {
            grouped
                .entry((i, v.to_owned()))
                .or_default()
                .push(content(&[(attr, v)], n));
        }
        for nested in &agg.nested {
            let inner = nested.attribute.as_str();
            let mut pairs: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for r in &kept {
                if let (Some(v), Some(w)) = (r.get(attr), r.get(inner)) {
                    *pairs.entry((v, w)).or_default() += 1;
                }
            }
            for ((v, w), n) in pairs {
                grouped
                    .entry((i, v.to_owned()))
                    .or_default()
                    .push(content(&[(attr, v), (inner, w)], n));
            }
        }
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(
        grouped.into_iter().collect(),
        |((i, v), _): &((usize, String), Vec<Value>)| format!("{i:02}|{v}"),
        token,
        max,
    )
    .map_err(bad_token)?;
    let captured = capture_time(now());
    let entities: Vec<Value> = page
        .into_iter()
        .map(|((_, id), content)| {
            json!({
                "Id": id,
                "Data": {OPS_ITEM_TYPE: {"CaptureTime": captured, "Content": content}},
            })
        })
        .collect();
    let mut out = json!({"Entities": entities});
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(
        v: &[(&'static str, &'static str, &'static str)],
    ) -> Vec<BTreeMap<&'static str, &'static str>> {
        v.iter()
            .map(|(a, b, c)| {
                BTreeMap::from([("PlatformType", *a), ("PlatformName", *b), ("Region", *c)])
            })
            .collect()
    }

    #[test]
    fn groups_count_each_value_and_nested_pairs() {
        let data = rows(&[
            ("Linux", "Ubuntu", "us-east-1"),
            ("Linux", "Ubuntu", "eu-west-1"),
            ("Linux", "Amazon Linux", "us-east-1"),
            ("Windows", "Windows Server", "us-east-1"),
        ]);
        let flat = [Aggregator {
            attribute: "PlatformType".into(),
            nested: vec![],
        }];
        let g = group(&flat, data.clone().into_iter());
        let counts: Vec<(String, usize)> = g.iter().map(|(_, e, c)| (e[0].1.clone(), *c)).collect();
        assert_eq!(counts, [("Linux".to_owned(), 3), ("Windows".to_owned(), 1)]);
        let nested = [Aggregator {
            attribute: "Region".into(),
            nested: vec![Aggregator {
                attribute: "PlatformName".into(),
                nested: vec![],
            }],
        }];
        let g = group(&nested, data.into_iter());
        let pairs: Vec<(String, String, usize)> = g
            .iter()
            .map(|(_, e, c)| (e[0].1.clone(), e[1].1.clone(), *c))
            .collect();
        assert_eq!(
            pairs,
            [
                ("eu-west-1".to_owned(), "Ubuntu".to_owned(), 1),
                ("us-east-1".to_owned(), "Amazon Linux".to_owned(), 1),
                ("us-east-1".to_owned(), "Ubuntu".to_owned(), 1),
                ("us-east-1".to_owned(), "Windows Server".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn aggregators_and_filters_follow_the_model() {
        let agg = |t: &str, n: &str, a: &str| json!({"AggregatorType": t, "TypeName": n, "AttributeName": a});
        assert!(node_aggregators(&[agg("Count", "Instance", "Region")], "aggregators", 0).is_ok());
        let code = |r: Result<Vec<Aggregator>, ApiError>| r.err().map(|e| e.code);
        assert_eq!(
            code(node_aggregators(
                &[agg("Count", "Instance", "InstanceType")],
                "aggregators",
                0
            )),
            Some("ValidationException")
        );
        assert_eq!(
            code(node_aggregators(
                &[agg("Sum", "Instance", "Region")],
                "aggregators",
                0
            )),
            Some("ValidationException")
        );
        let deep = json!({"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "Region",
            "Aggregators": [{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "PlatformName",
                "Aggregators": [agg("Count", "Instance", "PlatformType")]}]});
        assert_eq!(
            code(node_aggregators(&[deep], "aggregators", 0)),
            Some("InvalidAggregatorException")
        );
        let f = |k: &str, v: &str| json!({"Filters": [{"Key": k, "Values": [v]}]});
        assert!(node_filters(&f("PlatformType", "Linux")).is_ok());
        assert_eq!(
            node_filters(&f("PlatformType", "Solaris"))
                .err()
                .map(|e| e.code),
            Some("InvalidFilter")
        );
        assert_eq!(
            node_filters(&f("Color", "x")).err().map(|e| e.code),
            Some("ValidationException")
        );
        let ops = |k: &str| json!({"Filters": [{"Key": k, "Values": ["Open"]}]});
        assert!(ops_filters(&ops("AWS:OpsItem.Status"), "filters").is_ok());
        assert_eq!(
            ops_filters(&ops("AWS:Foo.Status"), "filters")
                .err()
                .map(|e| e.code),
            Some("InvalidFilter")
        );
        assert_eq!(
            ops_type_name("t", "AWS:Foo").err().map(|e| e.code),
            Some("InvalidTypeNameException")
        );
        assert_eq!(
            ops_type_name("t", "Foo").err().map(|e| e.code),
            Some("ValidationException")
        );
        assert_eq!(capture_time(1_764_700_000.7), "2025-12-02T18:26:40Z");
    }
}
