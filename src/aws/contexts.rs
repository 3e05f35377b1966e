//! The set of contexts the console works across: each context is one set of
//! credentials (a profile, SSO included, or a role assumed from a base
//! profile with STS `AssumeRole`) in one region. `--profile a,b --region
//! x,y` makes every pair; `[contexts.NAME]` in config.toml names a set;
//! `--org ROLE` finds the accounts with Organizations `ListAccounts` and
//! assumes ROLE in each.
//!
//! Rows of every pane carry the [`ContextId`] of the context they were
//! listed in; a write goes to its item's own context.

use std::sync::Arc;

use super::{AwsContext, ConnectError, ConnectOptions, NoticeSink};
use crate::model::{ContextId, ContextLabel};

/// Contexts loading at once (the global cap). AWS rate-limits API calls per
/// account and region, so the per-context caps are what keep a context
/// from throttling (one SSM cursor, at most `fleet::EC2_CONCURRENCY` EC2
/// joins); this one bounds what the console has in flight at once (about
/// 24 × 9 connections) so 50 accounts do not all open theirs together,
/// while 20 contexts load side by side (the goal: the set within
/// 15 % of its slowest context alone).
pub const CONTEXTS_AT_ONCE: usize = 24;

/// The most contexts a set may hold (the index is a `u16`; beyond a few
/// hundred a console is the wrong tool).
pub const MAX_CONTEXTS: usize = 512;

/// One context to connect, before any call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextSpec {
    /// The profile (`None`: `AWS_PROFILE` and the default chain).
    pub profile: Option<String>,
    /// The region (`None`: `AWS_REGION`, then the profile's).
    pub region: Option<String>,
    /// A role to assume with the profile's credentials
    /// (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub role_arn: Option<String>,
    /// The account id, when known before any call (from the role ARN or
    /// Organizations).
    pub account: Option<String>,
    /// The account's name, when known (Organizations).
    pub account_name: Option<String>,
}

/// Every (profile, region) pair, profile-major: `--profile a,b --region
/// x,y` gives `a x, a y, b x, b y`. An empty list stands for "the default"
/// (`None`). Duplicates are dropped, first kept.
pub fn pairs(profiles: &[String], regions: &[String]) -> Vec<ContextSpec> {
    let ps: Vec<Option<String>> = if profiles.is_empty() {
        vec![None]
    } else {
        profiles.iter().cloned().map(Some).collect()
    };
    let rs: Vec<Option<String>> = if regions.is_empty() {
        vec![None]
    } else {
        regions.iter().cloned().map(Some).collect()
    };
    let mut out: Vec<ContextSpec> = Vec::new();
    for p in &ps {
        for r in &rs {
            let spec = ContextSpec {
                profile: p.clone(),
                region: r.clone(),
                ..ContextSpec::default()
            };
            if !out.contains(&spec) {
                out.push(spec);
            }
        }
    }
    out
}

/// Splits a comma-separated flag value (`a,b, c`) into its names; empty
/// parts are dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The role ARN for `role` in `account`: `role` as it is when it is an ARN,
/// else `arn:aws:iam::ACCOUNT:role/ROLE` (a role-name template such as
/// `ssmdeck-operator`; `{account}` in it is replaced by the account id).
pub fn role_arn(role: &str, account: &str) -> String {
    if role.starts_with("arn:") {
        return role.replace("{account}", account);
    }
    format!(
        "arn:aws:iam::{account}:role/{}",
        role.replace("{account}", account)
    )
}

/// The account id in an IAM role ARN (`arn:aws:iam::123456789012:role/x`).
pub fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.into())
}

/// The connected contexts: clients and labels, in the order given. Never
/// empty.
#[derive(Clone, Debug)]
pub struct ContextSet {
    contexts: Arc<Vec<AwsContext>>,
    labels: Vec<ContextLabel>,
}

impl ContextSet {
    /// A set of one (the console before this module, and every test).
    pub fn single(ctx: AwsContext) -> Self {
        let label = label_of(&ctx, ContextId(0), &ContextSpec::default());
        ContextSet {
            contexts: Arc::new(vec![ctx]),
            labels: vec![label],
        }
    }

    /// Builds the clients of every spec with `base`'s endpoint, static
    /// credentials and retry settings. Makes no call.
    ///
    /// # Errors
    /// The first spec's [`ConnectError`] (a bad region, no region); an
    /// empty or oversized list is [`ConnectError::NoContexts`].
    pub async fn connect(
        base: &ConnectOptions,
        specs: &[ContextSpec],
        notices: Option<NoticeSink>,
    ) -> Result<Self, ConnectError> {
        if specs.is_empty() || specs.len() > MAX_CONTEXTS {
            return Err(ConnectError::NoContexts(specs.len()));
        }
        let mut contexts = Vec::with_capacity(specs.len());
        let mut labels = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let mut opts = base.clone();
            if spec.profile.is_some() {
                opts.profile = spec.profile.clone();
            }
            if spec.region.is_some() {
                opts.region = spec.region.clone();
            }
            if spec.role_arn.is_some() {
                opts.role_arn = spec.role_arn.clone();
            }
            let ctx = AwsContext::connect(&opts, notices.clone()).await?;
            labels.push(label_of(&ctx, ContextId(i as u16), spec));
            contexts.push(ctx);
        }
        Ok(ContextSet {
            contexts: Arc::new(contexts),
            labels,
        })
    }

    /// The first context (the header's, and where single-context work goes).
    pub fn primary(&self) -> &AwsContext {
        &self.contexts[0]
    }

    /// Context `id`; an id outside the set (a row of an older set) gets the
    /// primary one.
    pub fn get(&self, id: ContextId) -> &AwsContext {
        self.contexts.get(id.index()).unwrap_or(&self.contexts[0])
    }

    /// How many contexts.
    pub fn len(&self) -> usize {
        self.contexts.len()
    }

    /// Never true (a set holds at least one context); for clippy.
    pub fn is_empty(&self) -> bool {
        self.contexts.is_empty()
    }

    /// Every context with its id, in order.
    pub fn iter(&self) -> impl Iterator<Item = (ContextId, &AwsContext)> {
        self.contexts
            .iter()
            .enumerate()
            .map(|(i, c)| (ContextId(i as u16), c))
    }

    /// What the console shows of each context, in order.
    pub fn labels(&self) -> &[ContextLabel] {
        &self.labels
    }

    /// Runs `each` for every context of the set, at most
    /// [`CONTEXTS_AT_ONCE`] at a time (the global cap, so fifty accounts do
    /// not hit throttling together), concurrently on the calling task;
    /// returns when every one has finished.
    pub async fn for_each_capped<'a, F, Fut>(&'a self, each: F)
    where
        F: Fn(ContextId, &'a AwsContext) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let gate = tokio::sync::Semaphore::new(CONTEXTS_AT_ONCE);
        let runs = self.iter().map(|(id, ctx)| {
            let (gate, run) = (&gate, each(id, ctx));
            async move {
                // The semaphore is never closed.
                let Ok(_turn) = gate.acquire().await else {
                    return;
                };
                run.await;
            }
        });
        futures::future::join_all(runs).await;
    }
}

/// How one context's part of a load stands (the Fleet's per context, read
/// by the Overview).
#[derive(Debug, Clone, PartialEq)]
pub enum ContextLoad {
    /// Pages are arriving; `stalled` while a page is asked for again.
    Loading {
        /// Pages received.
        pages: u32,
        /// The passing fault of the page asked for again, if any.
        stalled: Option<super::resume::Stall>,
    },
    /// Every page and join arrived.
    Done,
    /// The listing failed (access denied, expired token, region not
    /// enabled, or out of resume rounds); its earlier rows stay.
    Failed(super::AwsError),
}

fn label_of(ctx: &AwsContext, id: ContextId, spec: &ContextSpec) -> ContextLabel {
    ContextLabel {
        id,
        profile: ctx.profile.clone(),
        region: ctx.region.clone(),
        account: spec
            .account
            .clone()
            .or_else(|| spec.role_arn.as_deref().and_then(account_of_arn)),
        account_name: spec.account_name.clone(),
        role: spec.role_arn.clone(),
        read_only: None,
    }
}

/// `3 accounts × 2 regions` (or `6 contexts` when the set is not a grid,
/// `1 context` alone): what the header says of the set. Accounts not yet
/// known count by profile or role.
pub fn describe(labels: &[ContextLabel]) -> String {
    let mut accounts: Vec<&str> = labels
        .iter()
        .map(|l| {
            l.account
                .as_deref()
                .or(l.role.as_deref())
                .or(l.profile.as_deref())
                .unwrap_or("default")
        })
        .collect();
    let mut regions: Vec<&str> = labels.iter().map(|l| l.region.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    regions.sort_unstable();
    regions.dedup();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if accounts.len() * regions.len() == labels.len() {
        format!(
            "{} × {}",
            plural(accounts.len(), "account", "accounts"),
            plural(regions.len(), "region", "regions")
        )
    } else {
        plural(labels.len(), "context", "contexts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_pair_profile_major_without_duplicates() {
        let got = pairs(&names(&["a", "b", "a"]), &names(&["x", "y"]));
        let flat: Vec<(String, String)> = got
            .iter()
            .map(|s| (s.profile.clone().unwrap(), s.region.clone().unwrap()))
            .collect();
        assert_eq!(
            flat,
            vec![
                ("a".into(), "x".into()),
                ("a".into(), "y".into()),
                ("b".into(), "x".into()),
                ("b".into(), "y".into()),
            ]
        );
        assert_eq!(pairs(&[], &[]), vec![ContextSpec::default()]);
        assert_eq!(pairs(&[], &names(&["x"])).len(), 1);
    }

    #[test]
    fn lists_and_role_arns() {
        assert_eq!(split_list(" a, b,,c "), names(&["a", "b", "c"]));
        assert_eq!(
            role_arn("ssmdeck-operator", "123456789012"),
            "arn:aws:iam::123456789012:role/ssmdeck-operator"
        );
        assert_eq!(
            role_arn("arn:aws:iam::{account}:role/x", "210000000001"),
            "arn:aws:iam::210000000001:role/x"
        );
        assert_eq!(
            account_of_arn("arn:aws:iam::210000000001:role/x").as_deref(),
            Some("210000000001")
        );
        assert_eq!(account_of_arn("arn:aws:iam::12:role/x"), None);
    }

    #[test]
    fn the_header_names_the_grid() {
        let l = |account: &str, region: &str| ContextLabel {
            account: Some(account.into()),
            region: region.into(),
            ..ContextLabel::default()
        };
        let grid: Vec<ContextLabel> = ["1", "2", "3"]
            .iter()
            .flat_map(|a| ["r1", "r2"].map(|r| l(a, r)))
            .collect();
        assert_eq!(describe(&grid), "3 accounts × 2 regions");
        assert_eq!(describe(&grid[..3]), "3 contexts");
        assert_eq!(describe(&grid[..1]), "1 account × 1 region");
    }
}
