//! Compliance (SSM API): the counts per compliance type
//! (`ListComplianceSummaries`) and the non-compliant resources
//! (`ListResourceComplianceSummaries` with `Status=NON_COMPLIANT`), every
//! page with the SDK's paginators. A node's own items are
//! [`posture::node_compliance`](super::posture::node_compliance).

use aws_sdk_ssm::types::{ComplianceQueryOperatorType, ComplianceStringFilter, SeveritySummary};
use serde::Serialize;

use super::posture::epoch_s;
use super::{AwsContext, AwsError};

/// At most this many non-compliant resources are read per context.
pub const RESOURCES_CAP: usize = 10_000;

/// Counts by severity (`SeveritySummary`): critical, high, medium, low,
/// informational, unspecified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Severities(pub [i32; 6]);

impl Severities {
    /// The severities' names, in the order of the counts.
    pub const NAMES: [&'static str; 6] = [
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "INFORMATIONAL",
        "UNSPECIFIED",
    ];

    fn of(s: Option<&SeveritySummary>) -> Severities {
        s.map_or_else(Severities::default, |s| {
            Severities([
                s.critical_count(),
                s.high_count(),
                s.medium_count(),
                s.low_count(),
                s.informational_count(),
                s.unspecified_count(),
            ])
        })
    }

    /// `2 critical, 1 high` (the zero ones left out; empty for none).
    pub fn text(&self) -> String {
        self.0
            .iter()
            .zip(Self::NAMES)
            .filter(|(n, _)| **n > 0)
            .map(|(n, name)| format!("{n} {}", name.to_lowercase()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// As [`Severities::text`] with short names (`2 crit, 1 high, 3 med,
    /// 1 low, 1 info, 2 unspec`), for table cells.
    pub fn short_text(&self) -> String {
        const SHORT: [&str; 6] = ["crit", "high", "med", "low", "info", "unspec"];
        self.0
            .iter()
            .zip(SHORT)
            .filter(|(n, _)| **n > 0)
            .map(|(n, name)| format!("{n} {name}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Severities) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// One compliance type's counts (`ComplianceSummaryItem`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TypeSummary {
    /// `Patch`, `Association` or `Custom:…`.
    pub compliance_type: String,
    /// Compliant resources.
    pub compliant: i32,
    /// Non-compliant resources.
    pub noncompliant: i32,
    /// The non-compliant ones by severity.
    pub severities: Severities,
}

/// One resource's compliance of one type (`ResourceComplianceSummaryItem`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceSummary {
    /// The managed node id (or resource id).
    pub resource: String,
    /// `ManagedInstance`, …
    pub resource_type: String,
    /// `Patch`, `Association`, `Custom:…`.
    pub compliance_type: String,
    /// `COMPLIANT` or `NON_COMPLIANT`.
    pub status: String,
    /// The worst severity of its non-compliant items.
    pub overall_severity: String,
    /// Its non-compliant items by severity.
    pub noncompliant: Severities,
    /// How many of its items are compliant.
    pub compliant: i32,
    /// When its compliance was last recorded, epoch seconds.
    pub recorded_s: Option<i64>,
}

impl ResourceSummary {
    /// How bad its overall severity is: 0 critical … 5 unspecified.
    pub fn rank(&self) -> usize {
        Severities::NAMES
            .iter()
            .position(|n| *n == self.overall_severity)
            .unwrap_or(Severities::NAMES.len())
    }
}

/// Every compliance type's counts (ListComplianceSummaries, every page),
/// by type.
///
/// # Errors
/// [`AwsError`] for `ssm:ListComplianceSummaries`.
pub async fn summaries(ctx: &AwsContext) -> Result<Vec<TypeSummary>, AwsError> {
    let op = "ssm:ListComplianceSummaries";
    let mut pages = ctx
        .ssm
        .list_compliance_summaries()
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.compliance_summary_items().iter().map(|s| {
            let nc = s.non_compliant_summary();
            TypeSummary {
                compliance_type: s.compliance_type().unwrap_or_default().to_owned(),
                compliant: s.compliant_summary().map_or(0, |c| c.compliant_count()),
                noncompliant: nc.map_or(0, |n| n.non_compliant_count()),
                severities: Severities::of(nc.and_then(|n| n.severity_summary())),
            }
        }));
    }
    out.sort_by(|a, b| a.compliance_type.cmp(&b.compliance_type));
    Ok(out)
}

/// The non-compliant resources (ListResourceComplianceSummaries with
/// `Status=NON_COMPLIANT`, and `ComplianceType=TYPE` when given; every
/// page, at most [`RESOURCES_CAP`]), worst severity first; and whether
/// the cap cut it.
///
/// # Errors
/// [`AwsError`] for `ssm:ListResourceComplianceSummaries`.
pub async fn noncompliant(
    ctx: &AwsContext,
    compliance_type: Option<&str>,
) -> Result<(Vec<ResourceSummary>, bool), AwsError> {
    let op = "ssm:ListResourceComplianceSummaries";
    let filter = |key: &str, value: &str| {
        ComplianceStringFilter::builder()
            .key(key)
            .values(value)
            .r#type(ComplianceQueryOperatorType::Equal)
            .build()
    };
    let mut call = ctx
        .ssm
        .list_resource_compliance_summaries()
        .filters(filter("Status", "NON_COMPLIANT"))
        .max_results(50);
    if let Some(t) = compliance_type {
        call = call.filters(filter("ComplianceType", t));
    }
    let mut pages = call.into_paginator().send();
    let mut out = Vec::new();
    let mut cut = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.resource_compliance_summary_items()
                .iter()
                .map(resource_of),
        );
        if out.len() > RESOURCES_CAP {
            out.truncate(RESOURCES_CAP);
            cut = true;
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.rank(), &a.resource, &a.compliance_type).cmp(&(
            b.rank(),
            &b.resource,
            &b.compliance_type,
        ))
    });
    Ok((out, cut))
}

fn resource_of(r: &aws_sdk_ssm::types::ResourceComplianceSummaryItem) -> ResourceSummary {
    ResourceSummary {
        resource: r.resource_id().unwrap_or_default().to_owned(),
        resource_type: r.resource_type().unwrap_or_default().to_owned(),
        compliance_type: r.compliance_type().unwrap_or_default().to_owned(),
        status: r
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        overall_severity: r
            .overall_severity()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        noncompliant: Severities::of(r.non_compliant_summary().and_then(|n| n.severity_summary())),
        compliant: r.compliant_summary().map_or(0, |c| c.compliant_count()),
        recorded_s: r
            .execution_summary()
            .and_then(|e| epoch_s(Some(e.execution_time()))),
    }
}
