//! The tenant's patch store: each node's patch state and the patches
//! behind it, seeded lazily from [`super::state_of`] (the same counts) the
//! first time a call reads the node, then changed by AWS-RunPatchBaseline
//! ([`super::run`]). `DescribeInstancePatchStates`,
//! `DescribeInstancePatchStatesForPatchGroup` and
//! `DescribeInstancePatches` read it, as do the Patch compliance items.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::catalog::{ItemState, PatchItem, patches_for};
use super::{PatchState, mix};
use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};

/// How long a node takes to reboot after an install by default,
/// milliseconds (see [`crate::LabHandle::set_patch_reboot_ms`]).
pub const DEFAULT_REBOOT_MS: u64 = 2_000;

/// One node's patch record: its state (the counts always recomputed from
/// `items`) and the last operation's options.
#[derive(Debug, Clone)]
pub struct NodePatches {
    /// The state (`InstancePatchState`).
    pub state: PatchState,
    /// Every patch, missing and failed first.
    pub items: Vec<PatchItem>,
    /// `RebootIfNeeded` or `NoReboot`.
    pub reboot_option: &'static str,
    /// The baseline snapshot the last operation used (a UUID).
    pub snapshot_id: Option<String>,
    /// The InstallOverrideList the last operation was given.
    pub install_override_list: Option<String>,
    /// When the last NoReboot install ended, epoch seconds.
    pub last_no_reboot_s: Option<f64>,
    /// The command that ran the last operation (the Patch compliance
    /// items' ExecutionId).
    pub execution_id: String,
}

/// A UUID made from `id` and `salt` (stable).
pub(crate) fn uuid_of(id: &str, salt: u64) -> String {
    let a = mix(id, salt);
    let b = mix(id, salt ^ 0xffff_0000);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

impl NodePatches {
    fn seeded(n: &LabNode, state: PatchState) -> NodePatches {
        let items = patches_for(n, &state);
        let mut record = NodePatches {
            state,
            items,
            reboot_option: "RebootIfNeeded",
            snapshot_id: Some(uuid_of(&n.id, 0x54a9)),
            install_override_list: None,
            last_no_reboot_s: None,
            execution_id: uuid_of(&n.id, 0xe1ec),
        };
        record.recount();
        record
    }

    /// Patches in `state`.
    pub fn count(&self, state: ItemState) -> u32 {
        self.items.iter().filter(|p| p.state == state).count() as u32
    }

    /// Recomputes the state's counts from the patches: CriticalNonCompliant
    /// and SecurityNonCompliant count the missing and failed patches of
    /// severity Critical and of a security classification.
    pub fn recount(&mut self) {
        let bad = || {
            self.items
                .iter()
                .filter(|p| matches!(p.state, ItemState::Missing | ItemState::Failed))
        };
        let critical = bad().filter(|p| p.severity == "Critical").count() as u32;
        let security = bad().filter(|p| p.is_security()).count() as u32;
        let (installed, other, pending, missing, failed, na) = (
            self.count(ItemState::Installed),
            self.count(ItemState::InstalledOther),
            self.count(ItemState::InstalledPendingReboot),
            self.count(ItemState::Missing),
            self.count(ItemState::Failed),
            self.count(ItemState::NotApplicable),
        );
        let s = &mut self.state;
        (s.installed, s.installed_other, s.pending_reboot) = (installed, other, pending);
        (s.missing, s.failed, s.not_applicable) = (missing, failed, na);
        (s.critical, s.security) = (critical, security);
    }

    /// The `InstancePatchState` of node `id`.
    pub fn state_json(&self, id: &str) -> Value {
        let s = &self.state;
        let mut v = json!({
            "InstanceId": id,
            "PatchGroup": s.patch_group,
            "BaselineId": s.baseline_id,
            "OperationStartTime": s.ran_s.0,
            "OperationEndTime": s.ran_s.1,
            "Operation": s.operation,
            "InstalledCount": s.installed,
            "InstalledOtherCount": s.installed_other,
            "InstalledPendingRebootCount": s.pending_reboot,
            "InstalledRejectedCount": self.count(ItemState::InstalledRejected),
            "MissingCount": s.missing,
            "FailedCount": s.failed,
            "UnreportedNotApplicableCount": 0,
            "NotApplicableCount": s.not_applicable,
            "CriticalNonCompliantCount": s.critical,
            "SecurityNonCompliantCount": s.security,
            "OtherNonCompliantCount": (s.missing + s.failed).saturating_sub(s.security),
            "RebootOption": self.reboot_option,
        });
        if let Some(id) = &self.snapshot_id {
            v["SnapshotId"] = json!(id);
        }
        if let Some(l) = &self.install_override_list {
            v["InstallOverrideList"] = json!(l);
        }
        if let Some(t) = self.last_no_reboot_s {
            v["LastNoRebootInstallOperationTime"] = json!(t);
        }
        v
    }
}

/// Every node's patch record of one tenant.
#[derive(Debug)]
pub struct PatchStore {
    /// Node id → its record; `None` for a node never scanned.
    nodes: HashMap<String, Option<NodePatches>>,
    /// How long a reboot takes, milliseconds.
    pub reboot_ms: u64,
}

impl Default for PatchStore {
    fn default() -> Self {
        PatchStore {
            nodes: HashMap::new(),
            reboot_ms: DEFAULT_REBOOT_MS,
        }
    }
}

impl PatchStore {
    /// The record of `n` (seeded from [`super::state_of`] as of `now` the
    /// first time), `None` for a node never scanned.
    pub fn record(&mut self, n: &LabNode, region: &str, now: f64) -> Option<&mut NodePatches> {
        self.nodes
            .entry(n.id.clone())
            .or_insert_with(|| super::state_of(n, region, now).map(|s| NodePatches::seeded(n, s)))
            .as_mut()
    }

    /// The record of node `id` if it was seeded (never seeds).
    pub fn peek(&self, id: &str) -> Option<&NodePatches> {
        self.nodes.get(id).and_then(Option::as_ref)
    }

    /// The record of `n` as a patch operation finds it: a node never
    /// scanned gets the patches [`super::derived`] gives it.
    pub fn scanned(&mut self, n: &LabNode, region: &str, now: f64) -> &mut NodePatches {
        let slot = self
            .nodes
            .entry(n.id.clone())
            .or_insert_with(|| super::state_of(n, region, now).map(|s| NodePatches::seeded(n, s)));
        slot.get_or_insert_with(|| NodePatches::seeded(n, super::derived(n, region, now)))
    }
}

/// `MaxResults` of the patch state calls: 10 … 100, default 10.
fn patch_max_results(body: &Value) -> Result<usize, ApiError> {
    match body.get("MaxResults") {
        None | Some(Value::Null) => Ok(10),
        Some(v) => match v.as_u64() {
            Some(n @ 10..=100) => Ok(n as usize),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 10 and 100"
            ))),
        },
    }
}

fn bad_token() -> ApiError {
    err("InvalidNextToken", "The specified token isn't valid.")
}

/// A page answer: `{key: list}` plus `NextToken` when more follow.
fn paged(key: &str, list: Vec<Value>, next: Option<String>) -> Value {
    crate::commands::listed(key, list, next)
}

/// SSM `DescribeInstancePatchStates`: `InstanceIds` (required, 0 … 50,
/// each `i-…`/`mi-…`), `MaxResults` 10 … 100 (default 10), `NextToken`.
/// Nodes never scanned or not in the fleet are left out, as AWS does.
///
/// # Errors
/// `ValidationException` for a bad request, `InvalidNextToken`.
pub fn describe_instance_patch_states(
    nodes: &[LabNode],
    store: &mut PatchStore,
    region: &str,
    body: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    let Some(ids) = body.get("InstanceIds").and_then(Value::as_array) else {
        return Err(validation(
            "1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null",
        ));
    };
    if ids.len() > 50 {
        return Err(validation(format!(
            "1 validation error detected: Value '[…{} ids]' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50",
            ids.len()
        )));
    }
    let mut wanted = Vec::with_capacity(ids.len());
    for (i, v) in ids.iter().enumerate() {
        let id = v.as_str().unwrap_or("");
        crate::validate::pattern(
            &format!("instanceIds.{}.member", i + 1),
            id,
            crate::validate::INSTANCE_ID,
        )?;
        wanted.push(id.to_owned());
    }
    let max = patch_max_results(body)?;
    let states: Vec<(String, Value)> = wanted
        .iter()
        .filter_map(|id| nodes.iter().find(|n| n.id == *id))
        .filter_map(|n| {
            store
                .record(n, region, now)
                .map(|r| (n.id.clone(), r.state_json(&n.id)))
        })
        .collect();
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(states, |(id, _)| id.clone(), token, max)
        .map_err(|_| bad_token())?;
    let list = page.into_iter().map(|(_, v)| v).collect();
    Ok(paged("InstancePatchStates", list, next))
}

/// The keys DescribeInstancePatches filters on.
const PATCH_KEYS: [&str; 4] = ["Classification", "KBId", "Severity", "State"];

/// Whether `p` passes the DescribeInstancePatches filter `key` = any of
/// `values` (KBId exact, the others in any case; State in either the
/// model's or the user guide's spelling).
fn patch_passes(p: &PatchItem, key: &str, values: &[String]) -> bool {
    values.iter().any(|v| match key {
        "Classification" => p.classification.eq_ignore_ascii_case(v),
        "KBId" => p.kb_id == *v,
        "Severity" => p.severity.eq_ignore_ascii_case(v),
        _ => p.state.named(v),
    })
}

/// The checked `Filters` of DescribeInstancePatches: at most 5, keys
/// Classification, KBId, Severity, State (else `InvalidFilter`), values
/// of 1 … 256 characters, State values naming a patch state.
fn patch_filters(body: &Value) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let filters = body
        .get("Filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if filters.len() > 5 {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at 'filters' failed to satisfy constraint: Member must have length less than or equal to 5",
            Value::Array(filters)
        )));
    }
    let mut out = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&format!("filters.{}.member.key", i + 1), key, 1, 128)?;
        let values: Vec<String> = f
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for (j, v) in values.iter().enumerate() {
            crate::validate::length(
                &format!("filters.{}.member.values.{}.member", i + 1, j + 1),
                v,
                1,
                256,
            )?;
        }
        if !PATCH_KEYS.contains(&key) {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter key {key} isn't valid. Valid filter keys: {}.",
                    PATCH_KEYS.join(", ")
                ),
            ));
        }
        if key == "State"
            && let Some(v) = values
                .iter()
                .find(|v| !ItemState::ALL.iter().any(|s| s.named(v)))
        {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter value {v} isn't valid for the filter key State. Valid values: {}.",
                    ItemState::ALL.map(ItemState::as_guide).join(", ")
                ),
            ));
        }
        out.push((key.to_owned(), values));
    }
    Ok(out)
}

/// One `PatchComplianceData`.
pub fn patch_json(p: &PatchItem) -> Value {
    let mut v = json!({
        "Title": p.title,
        "KBId": p.kb_id,
        "Classification": p.classification,
        "Severity": p.severity,
        "State": p.state.as_model(),
        "InstalledTime": p.installed_s,
    });
    if !p.cve_ids.is_empty() {
        v["CVEIds"] = json!(p.cve_ids);
    }
    v
}

/// SSM `DescribeInstancePatches`: `InstanceId` (required, a node id),
/// `Filters` (see [`patch_filters`]; all must match), `MaxResults` 10 …
/// 100 (default 10), `NextToken`; the node's patches, missing and failed
/// first. A node never scanned has none.
///
/// # Errors
/// `ValidationException`, `InvalidInstanceId` for a node not in the
/// fleet, `InvalidFilter`, `InvalidNextToken`.
pub fn describe_instance_patches(
    nodes: &[LabNode],
    store: &mut PatchStore,
    region: &str,
    body: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    let Some(id) = body.get("InstanceId").and_then(Value::as_str) else {
        return Err(validation(
            "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null",
        ));
    };
    crate::validate::pattern("instanceId", id, crate::validate::INSTANCE_ID)?;
    let filters = patch_filters(body)?;
    let max = patch_max_results(body)?;
    let node = nodes.iter().find(|n| n.id == id).ok_or_else(|| {
        err(
            "InvalidInstanceId",
            format!("Instance ID {id} is not valid or the instance is not a managed node."),
        )
    })?;
    let items: Vec<(usize, &PatchItem)> = match store.record(node, region, now) {
        Some(r) => r
            .items
            .iter()
            .enumerate()
            .filter(|(_, p)| filters.iter().all(|(k, vs)| patch_passes(p, k, vs)))
            .collect(),
        None => Vec::new(),
    };
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(items, |(i, _)| format!("{i:06}"), token, max)
        .map_err(|_| bad_token())?;
    let list = page.into_iter().map(|(_, p)| patch_json(p)).collect();
    Ok(paged("Patches", list, next))
}

/// The count keys of DescribeInstancePatchStatesForPatchGroup's filters.
const STATE_KEYS: [&str; 11] = [
    "InstalledCount",
    "InstalledOtherCount",
    "InstalledPendingRebootCount",
    "InstalledRejectedCount",
    "MissingCount",
    "FailedCount",
    "UnreportedNotApplicableCount",
    "NotApplicableCount",
    "CriticalNonCompliantCount",
    "SecurityNonCompliantCount",
    "OtherNonCompliantCount",
];

/// The checked `Filters` of DescribeInstancePatchStatesForPatchGroup: at
/// most 4, each `{Key, Values: [one number], Type}` with Key one of
/// [`STATE_KEYS`] (else `InvalidFilter`) and Type Equal, NotEqual,
/// LessThan or GreaterThan.
fn state_filters(body: &Value) -> Result<Vec<(String, i64, String)>, ApiError> {
    let filters = body
        .get("Filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if filters.len() > 4 {
        return Err(validation(
            "1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 4",
        ));
    }
    let mut out = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let at = |m: &str| format!("filters.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&at("key"), key, 1, 200)?;
        let kind = f.get("Type").and_then(Value::as_str).unwrap_or("");
        if !["Equal", "NotEqual", "LessThan", "GreaterThan"].contains(&kind) {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [Equal, NotEqual, LessThan, GreaterThan]",
                at("type")
            )));
        }
        let values = f.get("Values").and_then(Value::as_array);
        let n = values.map_or(0, Vec::len);
        if n != 1 {
            return Err(validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length {}",
                at("values"),
                if n == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 1"
                }
            )));
        }
        if !STATE_KEYS.contains(&key) {
            return Err(err(
                "InvalidFilter",
                format!(
                    "The filter key {key} isn't valid. Valid filter keys: {}.",
                    STATE_KEYS.join(", ")
                ),
            ));
        }
        let raw = values.and_then(|v| v[0].as_str()).unwrap_or("");
        let value: i64 = raw.parse().map_err(|_| {
            err(
                "InvalidFilter",
                format!("The filter value {raw} for the key {key} must be an integer."),
            )
        })?;
        out.push((key.to_owned(), value, kind.to_owned()));
    }
    Ok(out)
}

/// SSM `DescribeInstancePatchStatesForPatchGroup`: the states of the
/// nodes whose patch group is `PatchGroup` (required, 1 … 256 characters
/// of the model's pattern), narrowed by `Filters` (see
/// [`state_filters`]), paged by node id with `MaxResults` 10 … 100
/// (default 10). The model bounds the answer's list at 5 items; the lab,
/// as AWS, answers up to MaxResults.
///
/// # Errors
/// `ValidationException`, `InvalidFilter`, `InvalidNextToken`.
pub fn describe_for_patch_group(
    nodes: &[LabNode],
    store: &mut PatchStore,
    region: &str,
    body: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    let Some(group) = body.get("PatchGroup").and_then(Value::as_str) else {
        return Err(validation(
            "1 validation error detected: Value null at 'patchGroup' failed to satisfy constraint: Member must not be null",
        ));
    };
    crate::validate::length("patchGroup", group, 1, 256)?;
    crate::validate::pattern("patchGroup", group, crate::validate::TAG)?;
    let filters = state_filters(body)?;
    let max = patch_max_results(body)?;
    let mut states = Vec::new();
    for n in nodes {
        let Some(r) = store.record(n, region, now) else {
            continue;
        };
        if r.state.patch_group != group {
            continue;
        }
        let v = r.state_json(&n.id);
        let keep = filters.iter().all(|(k, want, kind)| {
            let have = v[k.as_str()].as_i64().unwrap_or(0);
            match kind.as_str() {
                "Equal" => have == *want,
                "NotEqual" => have != *want,
                "LessThan" => have < *want,
                _ => have > *want,
            }
        });
        if keep {
            states.push((n.id.clone(), v));
        }
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(states, |(id, _)| id.clone(), token, max)
        .map_err(|_| bad_token())?;
    let list = page.into_iter().map(|(_, v)| v).collect();
    Ok(paged("InstancePatchStates", list, next))
}
