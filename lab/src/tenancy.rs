//! The lab's grid of tenants: one (account, region) each, with its own
//! fleet, parameters, OpsItems, commands, logs and sessions, as AWS
//! isolates them. A request's tenant is the account of its signing keys and
//! the region of its SigV4 credential scope.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Faults, FleetSpec, LAB_ACCOUNT, LabNode};

/// `n` account ids for a lab: [`LAB_ACCOUNT`] (the management account)
/// first, then synthetic 12-digit ids (`210000000001`, …), the same for
/// every run.
pub fn synthetic_accounts(n: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            if k == 0 {
                LAB_ACCOUNT.to_owned()
            } else {
                format!("{}", 210_000_000_000u64 + (k as u64) * 1_000_003)
            }
        })
        .collect()
}

/// The profile name [`crate::LabHandle::aws_config_files`] gives the
/// `n`-th account (0-based): `lab-0` (the management account), `lab-1`, ….
pub fn profile_name(n: usize) -> String {
    format!("lab-{n}")
}

/// The fleet spec of tenant number `k` (account-major over the grid):
/// tenant 0 is `spec` itself (today's lab); every other tenant has its own
/// seed and a node count up to 10 % off the spec's.
pub(crate) fn tenant_spec(spec: &FleetSpec, k: usize) -> FleetSpec {
    if k == 0 {
        return spec.clone();
    }
    let seed = spec.seed ^ 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(k as u64);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let spread = spec.nodes / 10;
    let nodes = if spec.nodes == 0 {
        0
    } else {
        (spec.nodes + rng.random_range(0..=2 * spread))
            .saturating_sub(spread)
            .max(1)
    };
    FleetSpec {
        seed,
        nodes,
        ..spec.clone()
    }
}

/// `zones` moved to `region`: an availability zone is its region's code and
/// one letter (`us-east-1b` in eu-west-1 becomes `eu-west-1b`); a name of
/// another form stays as it is.
pub(crate) fn zones_in(zones: &[String], region: &str) -> Vec<String> {
    zones
        .iter()
        .map(|z| {
            let mut chars = z.chars();
            match (chars.next_back(), chars.as_str().chars().last()) {
                (Some(letter), Some(digit))
                    if letter.is_ascii_lowercase() && digit.is_ascii_digit() =>
                {
                    format!("{region}{letter}")
                }
                _ => z.clone(),
            }
        })
        .collect()
}

/// Gives every node of `nodes` whose id is already in `seen` a fresh id of
/// the same kind (`i-`/`mi-`), records every id in `seen`, and keeps the
/// nodes ordered by id: node ids are unique across the whole lab.
pub(crate) fn unique_ids(nodes: &mut [LabNode], seen: &mut HashSet<String>, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xd1ce);
    let mut changed = false;
    for n in nodes.iter_mut() {
        while seen.contains(&n.id) {
            let hex: u128 = rng.random::<u128>() & ((1u128 << 68) - 1);
            let prefix = if n.is_hybrid() { "mi" } else { "i" };
            n.id = format!("{prefix}-{hex:017x}");
            changed = true;
        }
        seen.insert(n.id.clone());
    }
    if changed {
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

/// The faults a tenant sees: the lab-wide ones with the tenant's own on
/// top (lists joined, shares, delays and latencies the larger, flags or-ed).
pub(crate) fn merge(global: &Faults, own: Option<&Faults>) -> Faults {
    let Some(own) = own else {
        return global.clone();
    };
    let join = |a: &[String], b: &[String]| a.iter().chain(b).cloned().collect::<Vec<_>>();
    Faults {
        latency_ms: global.latency_ms.max(own.latency_ms),
        throttle_share: global.throttle_share.max(own.throttle_share),
        server_error_share: global.server_error_share.max(own.server_error_share),
        deny: join(&global.deny, &own.deny),
        unsupported: join(&global.unsupported, &own.unsupported),
        session_delay_ms: global.session_delay_ms.max(own.session_delay_ms),
        session_reorder: global.session_reorder || own.session_reorder,
        session_legacy_port: global.session_legacy_port || own.session_legacy_port,
        session_drop_every_ms: match (global.session_drop_every_ms, own.session_drop_every_ms) {
            (0, x) | (x, 0) => x,
            (a, b) => a.min(b),
        },
        short_pages: global.short_pages.max(own.short_pages),
        fail_after_share: global.fail_after_share.max(own.fail_after_share),
        shares_only: join(&global.shares_only, &own.shares_only),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_twelve_digits_and_distinct() {
        let a = synthetic_accounts(20);
        assert_eq!(a[0], LAB_ACCOUNT);
        assert!(
            a.iter()
                .all(|x| x.len() == 12 && x.bytes().all(|b| b.is_ascii_digit()))
        );
        let set: HashSet<_> = a.iter().collect();
        assert_eq!(set.len(), 20);
    }

    #[test]
    fn tenant_zero_is_the_spec_and_others_differ() {
        let spec = FleetSpec::demo();
        assert_eq!(tenant_spec(&spec, 0).seed, spec.seed);
        let other = tenant_spec(&spec, 3);
        assert_ne!(other.seed, spec.seed);
        assert!(other.nodes.abs_diff(spec.nodes) <= spec.nodes / 10);
    }

    #[test]
    fn zones_follow_the_tenant_region() {
        let z = vec!["us-east-1a".to_owned(), "us-east-1c".into(), "local".into()];
        assert_eq!(
            zones_in(&z, "eu-west-1"),
            ["eu-west-1a", "eu-west-1c", "local"]
        );
        assert_eq!(zones_in(&z, "us-east-1"), z);
    }

    #[test]
    fn merged_faults_keep_both() {
        let g = Faults {
            deny: vec!["ec2:*".into()],
            ..Faults::default()
        };
        let own = Faults {
            deny: vec!["ssm:*".into()],
            throttle_share: 1.0,
            ..Faults::default()
        };
        let m = merge(&g, Some(&own));
        assert_eq!(m.deny, vec!["ec2:*".to_owned(), "ssm:*".to_owned()]);
        assert_eq!(m.throttle_share, 1.0);
        assert_eq!(merge(&g, None), g);
    }
}
