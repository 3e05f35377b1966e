//! Counts without listing: SSM `GetOpsSummary` (OpsItems open by
//! severity) and `ListNodesSummary` (managed nodes by region and platform
//! type), in one account and region, or organization-wide through the
//! resource data sync that Quick Setup creates for the delegated
//! administrator ([`QUICK_SETUP_SYNC`]). The Overview pane reads them.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{
    NodeAggregator, NodeAggregatorType, NodeAttributeName, NodeTypeName, OpsAggregator, OpsFilter,
    OpsFilterOperatorType,
};

use super::{AwsContext, AwsError};

/// The resource data sync Quick Setup's managed-node configuration creates
/// in the organization's delegated administrator (and management)
/// account: ListNodes, ListNodesSummary and GetOpsSummary with it count
/// every account and region of the organization.
pub const QUICK_SETUP_SYNC: &str = "AWS-QuickSetup-ManagedNode";

/// OpsItems open (status `Open` or `InProgress`) by severity: index 0 is
/// severity 1 (critical) … index 3 severity 4 (low); an OpsItem without a
/// severity, or with one outside 1 … 4, counts as 4.
pub type SeverityCounts = [u64; 4];

/// Open OpsItems by severity (GetOpsSummary, paginated, filter
/// `AWS:OpsItem.Status` Equal Open/InProgress, count aggregator on
/// `AWS:OpsItem` `Severity`), in the caller's account and region or, with
/// `sync`, across the resource data sync.
///
/// # Errors
/// [`AwsError`] for `ssm:GetOpsSummary` (with a sync the caller does not
/// have: `ResourceDataSyncNotFoundException`).
pub async fn open_ops_by_severity(
    ctx: &AwsContext,
    sync: Option<&str>,
) -> Result<SeverityCounts, AwsError> {
    let status = OpsFilter::builder()
        .key("AWS:OpsItem.Status")
        .values("Open")
        .values("InProgress")
        .r#type(OpsFilterOperatorType::Equal)
        .build()
        .map_err(|e| AwsError::local("ssm:GetOpsSummary", e))?;
    let mut counts = [0u64; 4];
    for (sev, n) in ops_counted_by(ctx, sync, Some(status), "Severity").await? {
        let k = sev.parse::<usize>().unwrap_or(4).clamp(1, 4);
        counts[k - 1] += n;
    }
    Ok(counts)
}

/// Every OpsItem of the caller's account and region counted by status
/// (GetOpsSummary, paginated, count aggregator on `AWS:OpsItem` `Status`):
/// `Open`, `InProgress`, `Resolved`, … to their numbers, whatever list
/// filter the OpsCenter pane has loaded.
///
/// # Errors
/// [`AwsError`] for `ssm:GetOpsSummary`.
pub async fn ops_by_status(ctx: &AwsContext) -> Result<BTreeMap<String, u64>, AwsError> {
    ops_counted_by(ctx, None, None, "Status").await
}

/// OpsItems counted by `attribute` (GetOpsSummary through its paginator,
/// count aggregator on `AWS:OpsItem`), with `filter` and `sync` when given:
/// attribute value to count, summed over pages.
async fn ops_counted_by(
    ctx: &AwsContext,
    sync: Option<&str>,
    filter: Option<OpsFilter>,
    attribute: &str,
) -> Result<BTreeMap<String, u64>, AwsError> {
    let op = "ssm:GetOpsSummary";
    let aggregator = OpsAggregator::builder()
        .aggregator_type("count")
        .type_name("AWS:OpsItem")
        .attribute_name(attribute)
        .build();
    let mut pages = ctx
        .ssm
        .get_ops_summary()
        .set_sync_name(sync.map(str::to_owned))
        .set_filters(filter.map(|f| vec![f]))
        .aggregators(aggregator)
        .into_paginator()
        .send();
    let mut counts = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        for entity in page.entities() {
            for item in entity.data().into_iter().flat_map(|d| d.values()) {
                for row in item.content() {
                    let (Some(value), Some(n)) = (row.get(attribute), count_of(row)) else {
                        continue;
                    };
                    *counts.entry(value.clone()).or_insert(0) += n;
                }
            }
        }
    }
    Ok(counts)
}

/// Managed nodes counted by one attribute (ListNodesSummary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodesSummary {
    /// Nodes per region (`Region`), by name.
    pub by_region: BTreeMap<String, u64>,
    /// Nodes per platform type (`PlatformType`: Linux, Windows, MacOS).
    pub by_platform: BTreeMap<String, u64>,
}

impl NodesSummary {
    /// Every node counted (the sum over regions).
    pub fn total(&self) -> u64 {
        self.by_region.values().sum()
    }
}

/// Managed nodes by region and by platform type (ListNodesSummary,
/// paginated, two count aggregators on `Instance`), in the caller's
/// account and region or, with `sync`, across the resource data sync.
///
/// # Errors
/// [`AwsError`] for `ssm:ListNodesSummary`.
pub async fn nodes_summary(ctx: &AwsContext, sync: Option<&str>) -> Result<NodesSummary, AwsError> {
    let op = "ssm:ListNodesSummary";
    let by = |attr: NodeAttributeName| {
        NodeAggregator::builder()
            .aggregator_type(NodeAggregatorType::Count)
            .type_name(NodeTypeName::Instance)
            .attribute_name(attr)
            .build()
            .map_err(|e| AwsError::local(op, e))
    };
    let mut pages = ctx
        .ssm
        .list_nodes_summary()
        .set_sync_name(sync.map(str::to_owned))
        .aggregators(by(NodeAttributeName::Region)?)
        .aggregators(by(NodeAttributeName::PlatformType)?)
        .into_paginator()
        .send();
    let mut out = NodesSummary::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        for row in page.summary() {
            let Some(n) = count_of(row) else { continue };
            if let Some(r) = row.get("Region") {
                *out.by_region.entry(r.clone()).or_default() += n;
            } else if let Some(p) = row.get("PlatformType") {
                *out.by_platform.entry(p.clone()).or_default() += n;
            }
        }
    }
    Ok(out)
}

/// The `Count` of a summary row (a decimal string), if it has one.
fn count_of(row: &std::collections::HashMap<String, String>) -> Option<u64> {
    row.get("Count").and_then(|c| c.parse().ok())
}
