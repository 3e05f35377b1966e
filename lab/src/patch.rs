//! Patch Manager's view of the fleet: each managed node's patch state,
//! derived deterministically from its id (the same every run), the
//! individual patches behind it (a mutable store, seeded lazily: see
//! [`store`]), SSM `DescribeInstancePatchStates`,
//! `DescribeInstancePatches`, `DescribeInstancePatchStatesForPatchGroup`,
//! the AWS default patch baselines (`DescribePatchBaselines`,
//! `GetPatchBaseline`, `GetDefaultPatchBaseline`) and the
//! AWS-RunPatchBaseline document the Run Command engine runs ([`run`]).
//!
//! About one node in ten was never scanned (no state: AWS leaves it out of
//! the answer); the others were last scanned or patched a few days ago
//! with the platform's default baseline, a third of them missing patches
//! (some critical or security), a few with failed installs or waiting for
//! a reboot. `NotApplicable` patches are never non-compliant.

use serde_json::Value;

use crate::fleet::LabNode;
use crate::params::ApiError;

pub mod baselines;
pub mod catalog;
pub(crate) mod run;
pub mod store;

pub use catalog::{ItemState, PatchItem};
pub use store::{NodePatches, PatchStore};

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

/// The patch state of `n` in `region` as of `now` (epoch seconds), or
/// `None` for a node never scanned.
pub fn state_of(n: &LabNode, region: &str, now: f64) -> Option<PatchState> {
    if mix(&n.id, 0x5eed).is_multiple_of(10) {
        return None;
    }
    Some(derived(n, region, now))
}

/// The state [`state_of`] gives `n`, also for a node never scanned (what
/// its first scan finds).
pub(crate) fn derived(n: &LabNode, region: &str, now: f64) -> PatchState {
    let h = mix(&n.id, 0x5eed);
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
    PatchState {
        operation: if failed > 0 || pending_reboot > 0 {
            "Install"
        } else {
            "Scan"
        },
        baseline_id: baselines::default_arn(baselines::os_of(n), region),
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
    }
}

/// A read of the patch store: (fleet, store, region, request, now).
type StoreRead = fn(&[LabNode], &mut PatchStore, &str, &Value, f64) -> Result<Value, ApiError>;

/// Handles a Patch Manager read; `None` when `action` is not one.
/// DescribeInstancePatchStates, DescribeInstancePatchStatesForPatchGroup
/// and DescribeInstancePatches read the tenant's [`PatchStore`];
/// DescribePatchBaselines, GetPatchBaseline and GetDefaultPatchBaseline
/// the AWS baselines.
pub(crate) fn handle(
    state: &crate::LabState,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    let region = state.region.as_str();
    let read = |f: StoreRead| {
        let nodes = state.nodes.read().expect("nodes lock");
        let mut store = state.patches.lock().expect("patches lock");
        f(&nodes, &mut store, region, body, crate::params::now_s())
    };
    Some(match action {
        "DescribeInstancePatchStates" => read(store::describe_instance_patch_states),
        "DescribeInstancePatches" => read(store::describe_instance_patches),
        "DescribeInstancePatchStatesForPatchGroup" => read(store::describe_for_patch_group),
        "DescribePatchBaselines" => baselines::describe_patch_baselines(region, body),
        "GetPatchBaseline" => baselines::get_patch_baseline(region, body),
        "GetDefaultPatchBaseline" => baselines::get_default_patch_baseline(region, body),
        _ => return None,
    })
}

#[cfg(test)]
mod store_tests;

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
