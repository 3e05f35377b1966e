//! State Manager associations (SSM API): the associations of an account
//! and region (`ListAssociations`, every page), one association's settings
//! (`DescribeAssociation`), its executions (`DescribeAssociationExecutions`)
//! and an execution's targets (`DescribeAssociationExecutionTargets`), all
//! with the SDK's paginators; "apply now" (`StartAssociationsOnce`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::posture::epoch_s;
use super::{AwsContext, AwsError};

/// At most this many associations are read per context; executions and
/// targets are capped alike.
pub const LIST_CAP: usize = 5_000;

/// An association as ListAssociations gives it (`Association`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Association {
    /// The association id (a UUID).
    pub id: String,
    /// Its name (`AssociationName`; may be empty).
    pub name: String,
    /// The document it applies.
    pub document: String,
    /// The document version (`$DEFAULT`, `$LATEST` or a number; may be empty).
    pub document_version: String,
    /// The association version.
    pub version: String,
    /// Its targets, `key=value,value` each (`InstanceIds=*`,
    /// `tag:Env=prod`); a legacy association's `InstanceId` as `InstanceIds=ID`.
    pub targets: Vec<String>,
    /// `rate(30 minutes)`, `cron(…)`; empty: it runs once.
    pub schedule: String,
    /// When it last ran, epoch seconds.
    pub last_run_s: Option<i64>,
    /// Its overview's status (`Success`, `Failed`, `Pending`) and
    /// detailed status.
    pub status: String,
    /// The overview's detailed status.
    pub detailed_status: String,
    /// Nodes by association status (`AssociationStatusAggregatedCount`:
    /// `Success` → 40, `Failed` → 2).
    pub counts: BTreeMap<String, i32>,
}

impl Association {
    /// The name to show: the association's own, else its document's.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.document
        } else {
            &self.name
        }
    }

    /// Nodes whose association failed.
    pub fn failed(&self) -> i32 {
        self.counts.get("Failed").copied().unwrap_or(0)
    }
}

/// The settings DescribeAssociation gives beyond the list's
/// (`AssociationDescription`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssociationDetail {
    /// The association as listed.
    pub association: Association,
    /// Its parameters, by name.
    pub parameters: BTreeMap<String, Vec<String>>,
    /// `MaxConcurrency` and `MaxErrors` (may be empty).
    pub rate: (String, String),
    /// `ComplianceSeverity` (`CRITICAL` … `UNSPECIFIED`; may be empty).
    pub compliance_severity: String,
    /// `SyncCompliance` (`AUTO` or `MANUAL`; may be empty).
    pub sync_compliance: String,
    /// Where output goes: `s3://bucket/prefix` (empty: nowhere).
    pub output_location: String,
    /// `ApplyOnlyAtCronInterval`.
    pub only_at_interval: bool,
    /// When it was created, last updated and last succeeded, epoch seconds.
    pub created_s: Option<i64>,
    /// Last update.
    pub updated_s: Option<i64>,
    /// Last successful run.
    pub last_success_s: Option<i64>,
}

/// One execution of an association (`AssociationExecution`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AssociationExecution {
    /// The execution id (a UUID).
    pub id: String,
    /// The association version it ran.
    pub version: String,
    /// `Pending`, `InProgress`, `Success`, `Failed`, … (as AWS writes it).
    pub status: String,
    /// The detailed status.
    pub detailed_status: String,
    /// When it was created, epoch seconds.
    pub created_s: Option<i64>,
    /// When it last ran, epoch seconds.
    pub last_run_s: Option<i64>,
    /// Targets by status, as AWS writes it (`{Success=3, Failed=1}`).
    pub counts: String,
}

impl AssociationExecution {
    /// Whether it may still change (its targets are still running).
    pub fn running(&self) -> bool {
        matches!(self.status.as_str(), "Pending" | "InProgress")
    }
}

/// One target of an execution (`AssociationExecutionTarget`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExecutionTarget {
    /// The managed node id (or resource id).
    pub resource: String,
    /// `ManagedInstance`, `ResourceGroup`.
    pub resource_type: String,
    /// `Success`, `Failed`, `Pending`, …
    pub status: String,
    /// The detailed status.
    pub detailed_status: String,
    /// When it last ran, epoch seconds.
    pub last_run_s: Option<i64>,
    /// The output's source: its id (a command id for `RunCommand`) and type.
    pub output: Option<(String, String)>,
}

fn targets_of(targets: &[aws_sdk_ssm::types::Target], legacy: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = targets
        .iter()
        .map(|t| format!("{}={}", t.key().unwrap_or_default(), t.values().join(",")))
        .collect();
    if out.is_empty()
        && let Some(id) = legacy.filter(|s| !s.is_empty())
    {
        out.push(format!("InstanceIds={id}"));
    }
    out
}

fn counts_of(m: Option<&std::collections::HashMap<String, i32>>) -> BTreeMap<String, i32> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default()
}

fn association_of(a: &aws_sdk_ssm::types::Association) -> Association {
    let o = a.overview();
    Association {
        id: a.association_id().unwrap_or_default().to_owned(),
        name: a.association_name().unwrap_or_default().to_owned(),
        document: a.name().unwrap_or_default().to_owned(),
        document_version: a.document_version().unwrap_or_default().to_owned(),
        version: a.association_version().unwrap_or_default().to_owned(),
        targets: targets_of(a.targets(), a.instance_id()),
        schedule: a.schedule_expression().unwrap_or_default().to_owned(),
        last_run_s: epoch_s(a.last_execution_date()),
        status: o.and_then(|o| o.status()).unwrap_or_default().to_owned(),
        detailed_status: o
            .and_then(|o| o.detailed_status())
            .unwrap_or_default()
            .to_owned(),
        counts: counts_of(o.and_then(|o| o.association_status_aggregated_count())),
    }
}

/// Every association of the account and region (ListAssociations, every
/// page, at most [`LIST_CAP`]), failed first, then by name.
///
/// # Errors
/// [`AwsError`] for `ssm:ListAssociations`.
pub async fn list(ctx: &AwsContext) -> Result<Vec<Association>, AwsError> {
    let op = "ssm:ListAssociations";
    let mut pages = ctx
        .ssm
        .list_associations()
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.associations().iter().map(association_of));
        if out.len() >= LIST_CAP {
            out.truncate(LIST_CAP);
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.failed() == 0, a.label().to_lowercase())
            .cmp(&(b.failed() == 0, b.label().to_lowercase()))
    });
    Ok(out)
}

/// Association `id`'s settings (DescribeAssociation).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeAssociation` (`AssociationDoesNotExist`).
pub async fn describe(ctx: &AwsContext, id: &str) -> Result<AssociationDetail, AwsError> {
    let out = ctx
        .ssm
        .describe_association()
        .association_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeAssociation", e))?;
    let Some(d) = out.association_description() else {
        return Ok(AssociationDetail::default());
    };
    let o = d.overview();
    let s3 = d.output_location().and_then(|l| l.s3_location());
    Ok(AssociationDetail {
        association: Association {
            id: d.association_id().unwrap_or_default().to_owned(),
            name: d.association_name().unwrap_or_default().to_owned(),
            document: d.name().unwrap_or_default().to_owned(),
            document_version: d.document_version().unwrap_or_default().to_owned(),
            version: d.association_version().unwrap_or_default().to_owned(),
            targets: targets_of(d.targets(), d.instance_id()),
            schedule: d.schedule_expression().unwrap_or_default().to_owned(),
            last_run_s: epoch_s(d.last_execution_date()),
            status: o.and_then(|o| o.status()).unwrap_or_default().to_owned(),
            detailed_status: o
                .and_then(|o| o.detailed_status())
                .unwrap_or_default()
                .to_owned(),
            counts: counts_of(o.and_then(|o| o.association_status_aggregated_count())),
        },
        parameters: d
            .parameters()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        rate: (
            d.max_concurrency().unwrap_or_default().to_owned(),
            d.max_errors().unwrap_or_default().to_owned(),
        ),
        compliance_severity: d
            .compliance_severity()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        sync_compliance: d
            .sync_compliance()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        output_location: s3
            .map(|s| {
                format!(
                    "s3://{}/{}",
                    s.output_s3_bucket_name().unwrap_or_default(),
                    s.output_s3_key_prefix().unwrap_or_default()
                )
            })
            .unwrap_or_default(),
        only_at_interval: d.apply_only_at_cron_interval(),
        created_s: epoch_s(d.date()),
        updated_s: epoch_s(d.last_update_association_date()),
        last_success_s: epoch_s(d.last_successful_execution_date()),
    })
}

/// Association `id`'s executions (DescribeAssociationExecutions, every
/// page, at most [`LIST_CAP`]), newest first.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeAssociationExecutions` (`AssociationDoesNotExist`).
pub async fn executions(ctx: &AwsContext, id: &str) -> Result<Vec<AssociationExecution>, AwsError> {
    let op = "ssm:DescribeAssociationExecutions";
    let mut pages = ctx
        .ssm
        .describe_association_executions()
        .association_id(id)
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.association_executions()
                .iter()
                .map(|x| AssociationExecution {
                    id: x.execution_id().unwrap_or_default().to_owned(),
                    version: x.association_version().unwrap_or_default().to_owned(),
                    status: x.status().unwrap_or_default().to_owned(),
                    detailed_status: x.detailed_status().unwrap_or_default().to_owned(),
                    created_s: epoch_s(x.created_time()),
                    last_run_s: epoch_s(x.last_execution_date()),
                    counts: x.resource_count_by_status().unwrap_or_default().to_owned(),
                }),
        );
        if out.len() >= LIST_CAP {
            out.truncate(LIST_CAP);
            break;
        }
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.created_s));
    Ok(out)
}

/// The targets of execution `execution` of association `id`
/// (DescribeAssociationExecutionTargets, every page, at most
/// [`LIST_CAP`]), failed first, then by resource.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeAssociationExecutionTargets`
/// (`AssociationDoesNotExist`, `AssociationExecutionDoesNotExist`).
pub async fn execution_targets(
    ctx: &AwsContext,
    id: &str,
    execution: &str,
) -> Result<Vec<ExecutionTarget>, AwsError> {
    let op = "ssm:DescribeAssociationExecutionTargets";
    let mut pages = ctx
        .ssm
        .describe_association_execution_targets()
        .association_id(id)
        .execution_id(execution)
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.association_execution_targets()
                .iter()
                .map(|t| ExecutionTarget {
                    resource: t.resource_id().unwrap_or_default().to_owned(),
                    resource_type: t.resource_type().unwrap_or_default().to_owned(),
                    status: t.status().unwrap_or_default().to_owned(),
                    detailed_status: t.detailed_status().unwrap_or_default().to_owned(),
                    last_run_s: epoch_s(t.last_execution_date()),
                    output: t.output_source().map(|o| {
                        (
                            o.output_source_id().unwrap_or_default().to_owned(),
                            o.output_source_type().unwrap_or_default().to_owned(),
                        )
                    }),
                }),
        );
        if out.len() >= LIST_CAP {
            out.truncate(LIST_CAP);
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.status != "Failed", &a.resource).cmp(&(b.status != "Failed", &b.resource))
    });
    Ok(out)
}

/// Runs associations `ids` once now, whatever their schedule
/// (StartAssociationsOnce).
///
/// # Errors
/// [`AwsError`] for `ssm:StartAssociationsOnce` (`InvalidAssociation`,
/// `AssociationDoesNotExist`).
pub async fn start_once(ctx: &AwsContext, ids: &[String]) -> Result<(), AwsError> {
    ctx.ssm
        .start_associations_once()
        .set_association_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| ctx.error("ssm:StartAssociationsOnce", e))?;
    Ok(())
}
