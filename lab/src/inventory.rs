//! Inventory: what the `AWS-GatherSoftwareInventory` association
//! collected on each node (see [`data`] for what each type holds) and
//! SSM `GetInventory`, `ListInventoryEntries` and `GetInventorySchema`.
//!
//! Filters (`InventoryFilter`) name `TypeName.Attribute`
//! (`AWS:Application.Name`); values within a filter are ORed, filters
//! are ANDed, and the filters on one type must all hold for one entry of
//! that type (`AWS:Application.Name Equal openssl` with
//! `AWS:Application.Version LessThan 3.0.7` is an old openssl, not any
//! package older than 3.0.7 next to some openssl). `LessThan` and
//! `GreaterThan` compare as versions: runs of digits numerically, other
//! runs as text, separators (`.`, `-`, `_`, `+`, `~`, `:`) split runs, a
//! number is above a word (`1.1.1k` < `3.0.7` < `3.0.13`), and missing
//! trailing zeros are equal (`3.0` = `3.0.0`). `Exists` needs
//! aggregators, as the model documents.
//!
//! GetInventory lists the inventoried nodes (by id), each entity's `Data`
//! holding the `ResultAttributes` type (default `AWS:InstanceInformation`)
//! with the entries of that type that pass the filters on it; with a
//! `ResultAttributes` type, a node without entries of it is left out.
//! Aggregators count: each `Expression` (`AWS:InstanceInformation.PlatformType`)
//! gives one entity whose content lists `{Count, <Attribute>}` per value
//! (each node counted once per value), in one page.
//!
//! Departures, on purpose: nested aggregators and aggregator groups are
//! refused (`InvalidAggregatorException`, `InvalidInventoryGroupException`);
//! only the AWS: types of [`data::SCHEMAS`] exist (no Custom: types, no
//! sub-type schemas: `SubType` true lists none).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::LabState;
use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};

pub(crate) mod data;
#[cfg(test)]
mod tests;

use data::{Entry, NodeInventory};

const OPERATORS: [&str; 6] = [
    "Equal",
    "NotEqual",
    "BeginWith",
    "LessThan",
    "GreaterThan",
    "Exists",
];

/// Each node's collected inventory, generated once per node id.
#[derive(Default)]
pub(crate) struct InventoryCache {
    nodes: HashMap<String, Option<Arc<NodeInventory>>>,
}

impl InventoryCache {
    /// The inventory of `n` (`None`: never inventoried).
    pub(crate) fn of(&mut self, n: &LabNode) -> Option<Arc<NodeInventory>> {
        self.nodes
            .entry(n.id.clone())
            .or_insert_with(|| data::collect(n).map(Arc::new))
            .clone()
    }
}

/// Compares two versions as the module documentation says.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = None;
        let mut digit = false;
        for (i, c) in s.char_indices() {
            let sep = matches!(c, '.' | '-' | '_' | '+' | '~' | ':');
            let d = c.is_ascii_digit();
            match start {
                Some(st) if sep || d != digit => {
                    out.push(&s[st..i]);
                    start = (!sep).then_some(i);
                }
                None if !sep => start = Some(i),
                _ => {}
            }
            digit = d;
        }
        if let Some(st) = start {
            out.push(&s[st..]);
        }
        out
    }
    let num = |r: &str| r.bytes().all(|b| b.is_ascii_digit());
    let zero = |r: &&str| num(r) && r.bytes().all(|b| b == b'0');
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(&rb) {
        let o = match (num(x), num(y)) {
            (true, true) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let n = ra.len().min(rb.len());
    match (ra[n..].iter().all(zero), rb[n..].iter().all(zero)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// One inventory filter: `type_name.attribute op values`.
#[derive(Debug, Clone)]
struct Filter {
    type_name: String,
    attribute: String,
    values: Vec<String>,
    op: String,
}

impl Filter {
    fn holds(&self, e: &Entry) -> bool {
        let Some(v) = e.get(&self.attribute) else {
            return self.op == "NotEqual";
        };
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|x| f(x));
        match self.op.as_str() {
            "NotEqual" => !any(&|x| x == v),
            "BeginWith" => any(&|x| v.starts_with(x)),
            "LessThan" => any(&|x| compare_versions(v, x) == Ordering::Less),
            "GreaterThan" => any(&|x| compare_versions(v, x) == Ordering::Greater),
            "Exists" => true,
            _ => any(&|x| x == v),
        }
    }
}

fn type_pattern(field: &str, t: &str) -> Result<(), ApiError> {
    crate::validate::length(field, t, 1, 100)?;
    if t.starts_with("AWS:") || t.starts_with("Custom:") {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{t}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(AWS|Custom):.*$"
        )))
    }
}

fn invalid_type(t: &str) -> ApiError {
    err(
        "InvalidTypeNameException",
        format!("The type name {t} isn't valid. Verify the type name and try again."),
    )
}

/// The `Filters` of GetInventory (`list_type` `None`: keys are
/// `Type.Attribute`) or ListInventoryEntries (keys are attributes of
/// `list_type`, with or without the type in front).
fn parse_filters(body: &Value, list_type: Option<&str>) -> Result<Vec<Filter>, ApiError> {
    let Some(list) = body.get("Filters").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = list.as_array().cloned().unwrap_or_default();
    if list.is_empty() || list.len() > 5 {
        let c = if list.is_empty() {
            "Member must have length greater than or equal to 1"
        } else {
            "Member must have length less than or equal to 5"
        };
        return Err(validation(format!(
            "1 validation error detected: Value at 'filters' failed to satisfy constraint: {c}"
        )));
    }
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let at = |m: &str| format!("filters.{}.member.{m}", i + 1);
        let Some(key) = f.get("Key").and_then(Value::as_str) else {
            return Err(validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                at("key")
            )));
        };
        crate::validate::length(&at("key"), key, 1, 200)?;
        let values: Vec<String> = f
            .get("Values")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() || values.len() > 40 {
            return Err(validation(format!(
                "1 validation error detected: Value '{values:?}' at '{}' failed to satisfy constraint: Member must have length less than or equal to 40, Member must have length greater than or equal to 1",
                at("values")
            )));
        }
        let op = f.get("Type").and_then(Value::as_str).unwrap_or("Equal");
        if !OPERATORS.contains(&op) {
            return Err(validation(format!(
                "1 validation error detected: Value '{op}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                at("type"),
                OPERATORS.join(", ")
            )));
        }
        let (type_name, attribute) = match (list_type, key.rsplit_once('.')) {
            (Some(t), Some((kt, a))) if kt == t => (t.to_owned(), a.to_owned()),
            (Some(t), _) => (t.to_owned(), key.to_owned()),
            (None, Some((t, a))) if t.starts_with("AWS:") || t.starts_with("Custom:") => {
                (t.to_owned(), a.to_owned())
            }
            (None, _) => {
                return Err(err(
                    "InvalidFilter",
                    format!(
                        "The filter key {key} isn't valid. Use TypeName.AttributeName, for example AWS:Application.Name."
                    ),
                ));
            }
        };
        let Some((_, attrs)) = data::schema(&type_name) else {
            return Err(invalid_type(&type_name));
        };
        if !attrs.iter().any(|(a, _)| *a == attribute) {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter key {key} isn't valid: {type_name} has no attribute {attribute}."
                ),
            ));
        }
        out.push(Filter {
            type_name,
            attribute,
            values,
            op: op.to_owned(),
        });
    }
    Ok(out)
}

/// The entries of `type_name` on `n` (AWS:InstanceInformation from the
/// node as it is now); empty for a node never inventoried.
fn entries_of(n: &LabNode, inv: Option<&NodeInventory>, type_name: &str) -> Vec<Entry> {
    match inv {
        None => Vec::new(),
        Some(_) if type_name == "AWS:InstanceInformation" => vec![data::instance_information(n)],
        Some(inv) => inv.types.get(type_name).cloned().unwrap_or_default(),
    }
}

/// Whether `n` passes `filters`: per type, one entry passes all of that type's.
fn node_passes(n: &LabNode, inv: Option<&NodeInventory>, filters: &[Filter]) -> bool {
    let mut by_type: BTreeMap<&str, Vec<&Filter>> = BTreeMap::new();
    for f in filters {
        by_type.entry(&f.type_name).or_default().push(f);
    }
    by_type.iter().all(|(t, fs)| {
        entries_of(n, inv, t)
            .iter()
            .any(|e| fs.iter().all(|f| f.holds(e)))
    })
}

fn max_results(body: &Value, min: u64, max: u64, default: usize) -> Result<usize, ApiError> {
    match body.get("MaxResults") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n as usize),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value {}",
                if v.as_u64().is_some_and(|n| n > max) {
                    format!("less than or equal to {max}")
                } else {
                    format!("greater than or equal to {min}")
                }
            ))),
        },
    }
}

fn bad_token() -> ApiError {
    err("InvalidNextToken", "The specified token isn't valid.")
}

/// The `ResultAttributes` type of a GetInventory request, if any.
fn result_type(body: &Value) -> Result<Option<String>, ApiError> {
    let Some(list) = body.get("ResultAttributes").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let list = list.as_array().cloned().unwrap_or_default();
    if list.len() != 1 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'resultAttributes' failed to satisfy constraint: Member must have length {}",
            if list.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 1"
            }
        )));
    }
    let t = list[0]
        .get("TypeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    type_pattern("resultAttributes.1.member.typeName", t)?;
    if data::schema(t).is_none() {
        return Err(err(
            "InvalidResultAttributeException",
            format!("The result attribute {t} isn't valid. Verify the TypeName and try again."),
        ));
    }
    Ok(Some(t.to_owned()))
}

/// The expressions of GetInventory `Aggregators`: (type, attribute) each.
fn aggregators(body: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let Some(list) = body.get("Aggregators").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = list.as_array().cloned().unwrap_or_default();
    if list.is_empty() || list.len() > 10 {
        return Err(validation(
            "1 validation error detected: Value at 'aggregators' failed to satisfy constraint: Member must have length less than or equal to 10, Member must have length greater than or equal to 1",
        ));
    }
    let mut out = Vec::new();
    for a in &list {
        if a.get("Groups").is_some_and(|g| !g.is_null()) {
            return Err(err(
                "InvalidInventoryGroupException",
                "The lab does not aggregate by groups; use an Expression.",
            ));
        }
        if a.get("Aggregators").is_some_and(|g| !g.is_null()) {
            return Err(err(
                "InvalidAggregatorException",
                "The lab does not nest aggregators; use one Expression per aggregator.",
            ));
        }
        let expr = a.get("Expression").and_then(Value::as_str).unwrap_or("");
        let parsed = expr.rsplit_once('.').and_then(|(t, attr)| {
            data::schema(t)
                .filter(|(_, attrs)| attrs.iter().any(|(x, _)| *x == attr))
                .map(|_| (t.to_owned(), attr.to_owned()))
        });
        match parsed {
            Some(p) => out.push(p),
            None => {
                return Err(err(
                    "InvalidAggregatorException",
                    format!(
                        "The aggregator expression '{expr}' isn't valid. Use TypeName.AttributeName, for example AWS:InstanceInformation.PlatformType."
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn result_item(type_name: &str, capture_s: i64, content: Vec<Entry>) -> Value {
    let version = data::schema(type_name).map_or("1.0", |(v, _)| v);
    json!({
        "TypeName": type_name,
        "SchemaVersion": version,
        "CaptureTime": data::iso_s(capture_s),
        "Content": content,
    })
}

/// SSM `GetInventory`: `Filters` (1 … 5), `Aggregators` (1 … 10),
/// `ResultAttributes` (one TypeName), `MaxResults` 1 … 50 (default 50),
/// `NextToken`; entities by node id (see the module documentation).
///
/// # Errors
/// `ValidationException`, `InvalidFilter`, `InvalidTypeNameException`,
/// `InvalidResultAttributeException`, `InvalidAggregatorException`,
/// `InvalidInventoryGroupException`, `InvalidNextToken`.
pub(crate) fn get_inventory(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let filters = parse_filters(body, None)?;
    let aggs = aggregators(body)?;
    let shown = result_type(body)?;
    let max = max_results(body, 1, 50, 50)?;
    if aggs.is_empty() && filters.iter().any(|f| f.op == "Exists") {
        return Err(err(
            "InvalidFilter",
            "The Exists filter must be used with aggregators.",
        ));
    }
    let nodes = state.nodes.read().expect("nodes lock");
    let mut cache = state.inventory.lock().expect("inventory lock");
    let mut matching: Vec<(&LabNode, Arc<NodeInventory>)> = Vec::new();
    for n in nodes.iter() {
        if let Some(inv) = cache.of(n)
            && node_passes(n, Some(&inv), &filters)
        {
            matching.push((n, inv));
        }
    }
    drop(cache);
    if !aggs.is_empty() {
        let entities: Vec<Value> = aggs
            .iter()
            .map(|(t, attr)| aggregate(&matching, &filters, t, attr))
            .collect();
        return Ok(json!({ "Entities": entities }));
    }
    let t = shown.unwrap_or_else(|| "AWS:InstanceInformation".to_owned());
    let mut entities = Vec::new();
    for (n, inv) in matching {
        let content: Vec<Entry> = entries_of(n, Some(&inv), &t)
            .into_iter()
            .filter(|e| {
                filters
                    .iter()
                    .filter(|f| f.type_name == t)
                    .all(|f| f.holds(e))
            })
            .collect();
        if content.is_empty() {
            continue;
        }
        entities.push((n.id.clone(), result_item(&t, inv.capture_s, content)));
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(entities, |(id, _)| id.clone(), token, max)
        .map_err(|_| bad_token())?;
    let list: Vec<Value> = page
        .into_iter()
        .map(|(id, item)| json!({"Id": id, "Data": {t.clone(): item}}))
        .collect();
    let mut out = json!({ "Entities": list });
    if let Some(tok) = next {
        out["NextToken"] = Value::String(tok);
    }
    Ok(out)
}

/// One aggregator's entity: per value of `t.attr` on the matching nodes,
/// how many nodes have it.
fn aggregate(
    matching: &[(&LabNode, Arc<NodeInventory>)],
    filters: &[Filter],
    t: &str,
    attr: &str,
) -> Value {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (n, inv) in matching {
        let mut values: Vec<String> = entries_of(n, Some(inv), t)
            .into_iter()
            .filter(|e| {
                filters
                    .iter()
                    .filter(|f| f.type_name == t)
                    .all(|f| f.holds(e))
            })
            .filter_map(|e| e.get(attr).cloned())
            .collect();
        values.sort();
        values.dedup();
        for v in values {
            *counts.entry(v).or_default() += 1;
        }
    }
    let content: Vec<Value> = counts
        .into_iter()
        .map(|(v, c)| json!({ "Count": c.to_string(), attr: v }))
        .collect();
    let version = data::schema(t).map_or("1.0", |(v, _)| v);
    json!({"Data": {t: {"TypeName": t, "SchemaVersion": version, "Content": content}}})
}

/// SSM `ListInventoryEntries`: `InstanceId` and `TypeName` (required),
/// `Filters` on the type's attributes, `MaxResults` 1 … 50 (default 50),
/// `NextToken`. A node never inventoried, or without entries of the type,
/// answers `Entries: []` without SchemaVersion and CaptureTime.
///
/// # Errors
/// `ValidationException`, `InvalidInstanceId`, `InvalidTypeNameException`,
/// `InvalidFilter`, `InvalidNextToken`.
pub(crate) fn list_inventory_entries(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let null = |m: &str| {
        validation(format!(
            "1 validation error detected: Value null at '{m}' failed to satisfy constraint: Member must not be null"
        ))
    };
    let id = body
        .get("InstanceId")
        .and_then(Value::as_str)
        .ok_or_else(|| null("instanceId"))?;
    crate::validate::pattern("instanceId", id, crate::validate::INSTANCE_ID)?;
    let t = body
        .get("TypeName")
        .and_then(Value::as_str)
        .ok_or_else(|| null("typeName"))?;
    type_pattern("typeName", t)?;
    if data::schema(t).is_none() {
        return Err(invalid_type(t));
    }
    let filters = parse_filters(body, Some(t))?;
    let max = max_results(body, 1, 50, 50)?;
    let nodes = state.nodes.read().expect("nodes lock");
    let Some(n) = nodes.iter().find(|n| n.id == id) else {
        return Err(err(
            "InvalidInstanceId",
            format!("Instance Id {id} is not valid or is not registered with Systems Manager."),
        ));
    };
    let inv = state.inventory.lock().expect("inventory lock").of(n);
    let entries: Vec<(String, Entry)> = entries_of(n, inv.as_deref(), t)
        .into_iter()
        .filter(|e| filters.iter().all(|f| f.holds(e)))
        .enumerate()
        .map(|(i, e)| (format!("{i:06}"), e))
        .collect();
    let mut out = json!({"TypeName": t, "InstanceId": id});
    if let Some(inv) = inv.as_deref()
        && !entries_of(n, Some(inv), t).is_empty()
    {
        out["SchemaVersion"] = json!(data::schema(t).map_or("1.0", |(v, _)| v));
        out["CaptureTime"] = json!(data::iso_s(inv.capture_s));
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) =
        crate::paging::page_by(entries, |(k, _)| k.clone(), token, max).map_err(|_| bad_token())?;
    out["Entries"] = json!(page.into_iter().map(|(_, e)| e).collect::<Vec<_>>());
    if let Some(tok) = next {
        out["NextToken"] = Value::String(tok);
    }
    Ok(out)
}

/// SSM `GetInventorySchema`: every AWS: type the lab collects, or the one
/// `TypeName` names; `Aggregator` true: the types and attributes that can
/// be aggregated (AWS:InstanceInformation's platform attributes);
/// `SubType` true: none. `MaxResults` 50 … 200 (default 200), `NextToken`.
///
/// # Errors
/// `ValidationException`, `InvalidTypeNameException`, `InvalidNextToken`.
pub(crate) fn get_inventory_schema(body: &Value) -> Result<Value, ApiError> {
    let t = body.get("TypeName").and_then(Value::as_str).unwrap_or("");
    crate::validate::length("typeName", t, 0, 100)?;
    if !t.is_empty() && data::schema(t).is_none() {
        return Err(invalid_type(t));
    }
    let max = max_results(body, 50, 200, 200)?;
    let aggregator = body
        .get("Aggregator")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let sub_type = body
        .get("SubType")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut schemas = Vec::new();
    for (name, version, attrs) in data::SCHEMAS {
        if sub_type || (!t.is_empty() && *name != t) {
            continue;
        }
        let attrs: Vec<Value> = attrs
            .iter()
            .filter(|(a, _)| {
                !aggregator || (*name == "AWS:InstanceInformation" && a.starts_with("Platform"))
            })
            .map(|(a, d)| json!({"Name": a, "DataType": d}))
            .collect();
        if attrs.is_empty() {
            continue;
        }
        schemas.push((
            (*name).to_owned(),
            json!({"TypeName": name, "Version": version, "Attributes": attrs}),
        ));
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) =
        crate::paging::page_by(schemas, |(n, _)| n.clone(), token, max).map_err(|_| bad_token())?;
    let mut out = json!({"Schemas": page.into_iter().map(|(_, s)| s).collect::<Vec<_>>()});
    if let Some(tok) = next {
        out["NextToken"] = Value::String(tok);
    }
    Ok(out)
}

/// The inventory operations: `Some` answer for the actions of this module.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "GetInventory" => get_inventory(state, body),
        "ListInventoryEntries" => list_inventory_entries(state, body),
        "GetInventorySchema" => get_inventory_schema(body),
        _ => return None,
    })
}
