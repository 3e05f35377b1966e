//! Patch Manager's view of the fleet: each managed node's patch state,
//! derived deterministically from its id (the same every run), and SSM
//! `DescribeInstancePatchStates`.
//!
//! About one node in ten was never scanned (no state: AWS leaves it out of
//! the answer); the others were last scanned or patched a few days ago
//! with the platform's default baseline, a third of them missing patches
//! (some critical or security), a few with failed installs or waiting for
//! a reboot. `NotApplicable` patches are never non-compliant.

use serde_json::{Value, json};

use crate::fleet::LabNode;
use crate::params::{ApiError, err};

/// One node's patch state (the counts of AWS's `InstancePatchState`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchState {
    /// `Scan` or `Install`.
    pub operation: &'static str,
    /// The patch baseline's id.
    pub baseline_id: String,
    /// The node's patch group (its `Patch Group` tag, else its `Env`
    /// tag, else `default`).
    pub patch_group: String,
    /// Installed from the baseline.
    pub installed: u32,
    /// Installed, not in the baseline.
    pub installed_other: u32,
    /// Installed, waiting for a reboot.
    pub pending_reboot: u32,
    /// Approved and not installed.
    pub missing: u32,
    /// The last install failed.
    pub failed: u32,
    /// Not applicable to the node.
    pub not_applicable: u32,
    /// Missing or failed with severity critical.
    pub critical: u32,
    /// Missing or failed security updates.
    pub security: u32,
    /// When the operation ran, epoch seconds (start, end).
    pub ran_s: (f64, f64),
}

/// A stable number from `id` and `salt` (FNV-1a), for per-node choices.
pub(crate) fn mix(id: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The default patch baseline of a platform, as an id AWS would show
/// (`arn:aws:ssm:REGION:…:patchbaseline/pb-…`).
fn baseline(platform: &str, region: &str) -> String {
    let id = match platform {
        "Windows" => "pb-016deb48e0d0f4f8c",
        "MacOS" => "pb-0c6fd1d1b8e2a3f4d",
        _ => "pb-0c10e65780626b3d4",
    };
    format!("arn:aws:ssm:{region}:aws:patchbaseline/{id}")
}

/// The patch state of `n` in `region` as of `now` (epoch seconds), or
/// `None` for a node never scanned.
pub fn state_of(n: &LabNode, region: &str, now: f64) -> Option<PatchState> {
    let h = mix(&n.id, 0x5eed);
    if h.is_multiple_of(10) {
        return None;
    }
    let pick = |salt: u64, m: u64| (mix(&n.id, salt) % m) as u32;
    let missing = if h.is_multiple_of(3) {
        1 + pick(1, 6)
    } else {
        0
    };
    let failed = if h % 17 == 1 { 1 + pick(2, 2) } else { 0 };
    let pending_reboot = if h % 13 == 2 { 1 + pick(3, 3) } else { 0 };
    let noncompliant = missing + failed;
    let critical = if noncompliant > 0 {
        pick(4, u64::from(noncompliant) + 1)
    } else {
        0
    };
    let security = if noncompliant > 0 {
        critical.max(pick(5, u64::from(noncompliant) + 1))
    } else {
        0
    };
    let group = n
        .tag("Patch Group")
        .or_else(|| n.tag("Env"))
        .filter(|g| !g.is_empty())
        .unwrap_or("default")
        .to_owned();
    let end = now - 3_600.0 * f64::from(6 + pick(6, 120));
    Some(PatchState {
        operation: if failed > 0 || pending_reboot > 0 {
            "Install"
        } else {
            "Scan"
        },
        baseline_id: baseline(&n.platform_type, region),
        patch_group: group,
        installed: 20 + pick(7, 60),
        installed_other: pick(8, 5),
        pending_reboot,
        missing,
        failed,
        not_applicable: 10 + pick(9, 40),
        critical,
        security,
        ran_s: (end - 60.0 - f64::from(pick(10, 600)), end),
    })
}

fn state_json(id: &str, s: &PatchState) -> Value {
    json!({
        "InstanceId": id,
        "PatchGroup": s.patch_group,
        "BaselineId": s.baseline_id,
        "OperationStartTime": s.ran_s.0,
        "OperationEndTime": s.ran_s.1,
        "Operation": s.operation,
        "InstalledCount": s.installed,
        "InstalledOtherCount": s.installed_other,
        "InstalledPendingRebootCount": s.pending_reboot,
        "InstalledRejectedCount": 0,
        "MissingCount": s.missing,
        "FailedCount": s.failed,
        "UnreportedNotApplicableCount": 0,
        "NotApplicableCount": s.not_applicable,
        "CriticalNonCompliantCount": s.critical,
        "SecurityNonCompliantCount": s.security,
        "OtherNonCompliantCount": (s.missing + s.failed).saturating_sub(s.security),
        "RebootOption": "RebootIfNeeded",
    })
}

/// SSM `DescribeInstancePatchStates`: `InstanceIds` (required, 0 … 50,
/// each `i-…`/`mi-…`), `MaxResults` 10 … 100 (default 10), `NextToken`.
/// Nodes never scanned or not in the fleet are left out, as AWS does.
///
/// # Errors
/// `ValidationException` for a bad request, `InvalidNextToken`.
pub fn describe_instance_patch_states(
    nodes: &[LabNode],
    region: &str,
    body: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    let Some(ids) = body.get("InstanceIds").and_then(Value::as_array) else {
        return Err(crate::params::validation(
            "1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null",
        ));
    };
    if ids.len() > 50 {
        return Err(crate::params::validation(format!(
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
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 10,
        Some(v) => match v.as_u64() {
            Some(n @ 10..=100) => n as usize,
            _ => {
                return Err(crate::params::validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 10 and 100"
                )));
            }
        },
    };
    let states: Vec<(String, PatchState)> = wanted
        .iter()
        .filter_map(|id| nodes.iter().find(|n| n.id == *id))
        .filter_map(|n| state_of(n, region, now).map(|s| (n.id.clone(), s)))
        .collect();
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(states, |(id, _)| id.clone(), token, max)
        .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))?;
    let list: Vec<Value> = page.iter().map(|(id, s)| state_json(id, s)).collect();
    let mut out = json!({ "InstancePatchStates": list });
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// A node's State Manager associations as DescribeInstanceInformation
/// sums them up (`AssociationOverview.InstanceAssociationStatusAggregatedCount`):
/// (success, failed, pending), or `None` for a node with none (about one
/// in five; AWS then leaves `AssociationStatus` and the overview out).
/// About one node in nine has a failed association, one in thirteen a
/// pending one. Deterministic from the node id.
pub fn associations_of(n: &LabNode) -> Option<(u32, u32, u32)> {
    let h = mix(&n.id, 0xa550c);
    if h.is_multiple_of(5) {
        return None;
    }
    let total = 1 + (h / 5 % 3) as u32;
    let failed = u32::from(h % 9 == 1);
    let pending = u32::from(h % 13 == 2 && total > failed);
    Some((total - failed - pending, failed, pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::FleetSpec;

    #[test]
    fn states_are_stable_and_spread_as_documented() {
        let nodes = FleetSpec::large().generate();
        let now = 1_800_000_000.0;
        let states: Vec<Option<PatchState>> = nodes
            .iter()
            .map(|n| state_of(n, "us-east-1", now))
            .collect();
        let again: Vec<Option<PatchState>> = nodes
            .iter()
            .map(|n| state_of(n, "us-east-1", now))
            .collect();
        assert_eq!(states, again, "deterministic");
        let never = states.iter().filter(|s| s.is_none()).count();
        let missing = states.iter().flatten().filter(|s| s.missing > 0).count();
        let failed = states.iter().flatten().filter(|s| s.failed > 0).count();
        let n = nodes.len();
        assert!(
            never * 20 > n && never * 5 < n,
            "about one in ten never scanned: {never}/{n}"
        );
        assert!(
            missing * 5 > n && missing * 2 < n,
            "about a third missing: {missing}/{n}"
        );
        assert!(failed > 0 && failed * 10 < n, "a few failed: {failed}/{n}");
        for s in states.iter().flatten() {
            assert!(
                s.critical <= s.security && s.security <= s.missing + s.failed,
                "{s:?}"
            );
            assert!(s.ran_s.0 < s.ran_s.1 && s.ran_s.1 < now);
            assert!(s.baseline_id.len() >= 20 && !s.patch_group.is_empty());
        }
    }
}
