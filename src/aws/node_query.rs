//! The managed nodes a [`RemoteTerm`] of the Fleet filter holds for, asked
//! of AWS: `pkg:` of GetInventory (its `AWS:Application` filters evaluated
//! by AWS, versions compared as AWS compares them) and `compliance:` of
//! ListResourceComplianceSummaries (`Status=NON_COMPLIANT`). Every page is
//! read, at most [`IDS_CAP`] ids.

use aws_sdk_ssm::types::{InventoryFilter, InventoryQueryOperatorType, ResultAttribute};

use super::{AwsContext, AwsError};
use crate::filter::RemoteTerm;

/// At most this many node ids are kept of one answer; the rest is cut
/// (and said).
pub const IDS_CAP: usize = super::compliance::RESOURCES_CAP;

/// One context's answer to one remote term.
#[derive(Debug, Clone, PartialEq)]
pub struct TermAnswer {
    /// The term asked.
    pub term: RemoteTerm,
    /// The context that answered.
    pub ctx: crate::model::ContextId,
    /// The node ids and whether [`IDS_CAP`] cut them, or why not.
    pub result: Result<(Vec<String>, bool), AwsError>,
}

/// The managed node ids of one context `term` holds for, and whether
/// [`IDS_CAP`] cut the list.
///
/// # Errors
/// [`AwsError`] for `ssm:GetInventory` or
/// `ssm:ListResourceComplianceSummaries`.
pub async fn node_ids(
    ctx: &AwsContext,
    term: &RemoteTerm,
) -> Result<(Vec<String>, bool), AwsError> {
    match term {
        RemoteTerm::Compliance(severity) => {
            let (rows, cut) = super::compliance::noncompliant(ctx, None).await?;
            let mut ids: Vec<String> = rows
                .into_iter()
                .filter(|r| severity.is_none_or(|s| r.overall_severity == s))
                .map(|r| r.resource)
                .collect();
            ids.sort();
            ids.dedup();
            Ok((ids, cut))
        }
        RemoteTerm::Package {
            name,
            prefix,
            version,
        } => packages(ctx, name, *prefix, version.as_ref()).await,
    }
}

/// GetInventory with `AWS:Application.Name` (`Equal` or `BeginWith`) and,
/// when given, `AWS:Application.Version` (`version.0` is the filter type:
/// `LessThan`, `GreaterThan` or `Equal`); only `AWS:InstanceInformation`
/// is asked back, to keep pages small.
async fn packages(
    ctx: &AwsContext,
    name: &str,
    prefix: bool,
    version: Option<&(&'static str, String)>,
) -> Result<(Vec<String>, bool), AwsError> {
    let op = "ssm:GetInventory";
    let filter = |key: &str, value: &str, kind: InventoryQueryOperatorType| {
        InventoryFilter::builder()
            .key(key)
            .values(value)
            .r#type(kind)
            .build()
            .map_err(|e| AwsError::local(op, e.to_string()))
    };
    let name_kind = if prefix {
        InventoryQueryOperatorType::BeginWith
    } else {
        InventoryQueryOperatorType::Equal
    };
    let mut call = ctx
        .ssm
        .get_inventory()
        .filters(filter("AWS:Application.Name", name, name_kind)?)
        .result_attributes(
            ResultAttribute::builder()
                .type_name("AWS:InstanceInformation")
                .build()
                .map_err(|e| AwsError::local(op, e.to_string()))?,
        )
        .max_results(50);
    if let Some((kind, v)) = version {
        call = call.filters(filter(
            "AWS:Application.Version",
            v,
            InventoryQueryOperatorType::from(*kind),
        )?);
    }
    let mut pages = call.into_paginator().send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        ids.extend(
            page.entities()
                .iter()
                .filter_map(|e| e.id().map(str::to_owned)),
        );
        if ids.len() > IDS_CAP {
            ids.truncate(IDS_CAP);
            return Ok((ids, true));
        }
    }
    Ok((ids, false))
}
