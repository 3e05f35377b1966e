//! Parameter Store calls: listing a hierarchy level, the background index,
//! values (10 names a call), history, guarded writes, labels, delete.
//!
//! Values of SecureString parameters are never logged: [`ParameterValue`]'s
//! `Debug` redacts them.

use aws_sdk_ssm::types::{ParameterStringFilter, ParameterTier, ParameterType};

use super::{AwsContext, AwsError};
use crate::model::{ParamKind, ParameterMeta, ParameterValue, ParameterVersion};

/// GetParameters accepts at most this many names per call.
pub const GET_BATCH: usize = 10;
/// DescribeParameters page size (the API's maximum).
pub const DESCRIBE_PAGE: i32 = 50;

fn epoch(d: Option<aws_sdk_ssm::primitives::DateTime>) -> Option<i64> {
    d.map(|d| d.secs())
}

fn kind(t: Option<&ParameterType>) -> ParamKind {
    match t.map(ParameterType::as_str) {
        Some("SecureString") => ParamKind::SecureString,
        Some("StringList") => ParamKind::StringList,
        _ => ParamKind::String,
    }
}

fn meta(p: aws_sdk_ssm::types::ParameterMetadata) -> ParameterMeta {
    ParameterMeta {
        name: p.name.unwrap_or_default(),
        kind: kind(p.r#type.as_ref()),
        version: p.version,
        tier: p.tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        data_type: p.data_type.unwrap_or_default(),
        last_modified_s: epoch(p.last_modified_date),
        last_modified_user: p.last_modified_user.unwrap_or_default(),
        description: p.description.unwrap_or_default(),
        allowed_pattern: p.allowed_pattern.unwrap_or_default(),
        key_id: p.key_id.unwrap_or_default(),
        policies: p
            .policies
            .unwrap_or_default()
            .into_iter()
            .filter_map(|x| x.policy_text)
            .collect(),
    }
}

/// One page of DescribeParameters, optionally restricted to one level of
/// `path` (`Path` filter, `OneLevel`).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeParameters`.
pub async fn describe_page(
    ctx: &AwsContext,
    path: Option<&str>,
    token: Option<String>,
) -> Result<(Vec<ParameterMeta>, Option<String>), AwsError> {
    let out = describe_request(ctx, path)?
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeParameters", e))?;
    Ok((
        out.parameters
            .unwrap_or_default()
            .into_iter()
            .map(meta)
            .collect(),
        out.next_token.filter(|t| !t.is_empty()),
    ))
}

/// DescribeParameters, [`DESCRIBE_PAGE`] a page, restricted to one level
/// of `path` where given (`Path` filter, `OneLevel`).
fn describe_request(
    ctx: &AwsContext,
    path: Option<&str>,
) -> Result<
    aws_sdk_ssm::operation::describe_parameters::builders::DescribeParametersFluentBuilder,
    AwsError,
> {
    let req = ctx.ssm.describe_parameters().max_results(DESCRIBE_PAGE);
    let Some(p) = path else {
        return Ok(req);
    };
    Ok(req.parameter_filters(
        ParameterStringFilter::builder()
            .key("Path")
            .option("OneLevel")
            .values(p)
            .build()
            .map_err(|e| AwsError::local("ssm:DescribeParameters", e))?,
    ))
}

/// Index partitions: the characters a name may start with (after an
/// optional `/`). Each partition is listed with a `Name` `BeginsWith`
/// filter on both spellings (`/c` and `c`), so together they cover every
/// name exactly once and can be paged in parallel.
pub fn index_partitions() -> Vec<[String; 2]> {
    ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(['_', '.', '-'])
        .map(|c| [format!("/{c}"), c.to_string()])
        .collect()
}

/// Partitions paged at once by [`index_all`].
pub const INDEX_CONCURRENCY: usize = 8;

async fn describe_prefix_page(
    ctx: &AwsContext,
    prefixes: &[String; 2],
    token: Option<String>,
) -> Result<(Vec<ParameterMeta>, Option<String>), AwsError> {
    let out = ctx
        .ssm
        .describe_parameters()
        .max_results(DESCRIBE_PAGE)
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Name")
                .option("BeginsWith")
                .set_values(Some(prefixes.to_vec()))
                .build()
                .map_err(|e| AwsError::local("ssm:DescribeParameters", e))?,
        )
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeParameters", e))?;
    Ok((
        out.parameters
            .unwrap_or_default()
            .into_iter()
            .map(meta)
            .collect(),
        out.next_token.filter(|t| !t.is_empty()),
    ))
}

/// Indexes every parameter of the account. One unfiltered page comes first
/// (with the root level listing beside it, the tree paints after two
/// calls); then the first page of every partition (so every top-level level
/// appears early), then the rest, at most [`INDEX_CONCURRENCY`] calls at
/// once; throttling is retried with backoff by the SDK. `emit` gets each
/// page as it arrives (once per successful call, possibly empty), each
/// parameter once. Returns the number of calls.
///
/// # Errors
/// The first [`AwsError`]; pages already emitted stay valid.
pub async fn index_all<F>(ctx: &AwsContext, emit: F) -> Result<u32, AwsError>
where
    F: Fn(Vec<ParameterMeta>),
{
    index_all_with_stalls(ctx, emit, &|_| {}).await
}

/// [`index_all`], where a page that fails with a passing fault after the
/// SDK's retries is asked for again from its NextToken
/// ([`resume::again`](super::resume::again)); `on_stall` hears of each
/// pause.
///
/// # Errors
/// The first [`AwsError`] that is not passing, or the last after every
/// round; pages already emitted stay valid.
pub async fn index_all_with_stalls<F>(
    ctx: &AwsContext,
    emit: F,
    on_stall: &(dyn Fn(super::resume::Stall) + Sync),
) -> Result<u32, AwsError>
where
    F: Fn(Vec<ParameterMeta>),
{
    use super::resume::again;
    use std::collections::VecDeque;
    let mut queue: VecDeque<([String; 2], Option<String>)> =
        index_partitions().into_iter().map(|p| (p, None)).collect();
    let mut running = futures::stream::FuturesUnordered::new();
    let (first, _) = again(|| describe_page(ctx, None, None), false, on_stall).await?;
    let seen_first: std::collections::HashSet<String> =
        first.iter().map(|m| m.name.clone()).collect();
    emit(first);
    let mut calls = 1u32;
    loop {
        while running.len() < INDEX_CONCURRENCY {
            let Some((prefixes, token)) = queue.pop_front() else {
                break;
            };
            calls += 1;
            running.push(async move {
                let page = || describe_prefix_page(ctx, &prefixes, token.clone());
                let r = again(page, true, on_stall).await;
                (prefixes, r)
            });
        }
        let Some((prefixes, result)) = futures::StreamExt::next(&mut running).await else {
            break;
        };
        let (mut metas, next) = result?;
        metas.retain(|m| !seen_first.contains(&m.name));
        emit(metas);
        if let Some(t) = next {
            queue.push_back((prefixes, Some(t)));
        }
    }
    Ok(calls)
}

/// Every parameter directly under `path` (every page). Returns the
/// parameters and the number of calls made.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeParameters`.
pub async fn list_level(
    ctx: &AwsContext,
    path: &str,
) -> Result<(Vec<ParameterMeta>, u32), AwsError> {
    let mut all = Vec::new();
    let mut calls = 0;
    let mut pages = describe_request(ctx, Some(path))?.into_paginator().send();
    while let Some(page) = pages.next().await {
        calls += 1;
        let page = page.map_err(|e| ctx.error("ssm:DescribeParameters", e))?;
        all.extend(page.parameters.unwrap_or_default().into_iter().map(meta));
    }
    Ok((all, calls))
}

fn value(p: aws_sdk_ssm::types::Parameter) -> ParameterValue {
    ParameterValue {
        name: p.name.unwrap_or_default(),
        kind: kind(p.r#type.as_ref()),
        value: p.value.unwrap_or_default(),
        version: p.version,
        last_modified_s: epoch(p.last_modified_date),
        data_type: p.data_type.unwrap_or_default(),
        arn: p.arn.unwrap_or_default(),
    }
}

/// Values of `names` with GetParameters, [`GET_BATCH`] names a call.
/// `decrypt` asks for SecureString clear text (`WithDecryption`). Names that
/// no longer exist are left out.
///
/// # Errors
/// [`AwsError`] for `ssm:GetParameters`.
pub async fn get_values(
    ctx: &AwsContext,
    names: &[String],
    decrypt: bool,
) -> Result<Vec<ParameterValue>, AwsError> {
    let mut out = Vec::with_capacity(names.len());
    for chunk in names.chunks(GET_BATCH) {
        let resp = ctx
            .ssm
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(decrypt)
            .send()
            .await
            .map_err(|e| ctx.error("ssm:GetParameters", e))?;
        out.extend(resp.parameters.unwrap_or_default().into_iter().map(value));
    }
    Ok(out)
}

/// One value (GetParameter), e.g. for the no-lost-update check.
///
/// # Errors
/// [`AwsError`] for `ssm:GetParameter` (`ParameterNotFound` when gone).
pub async fn get_value(
    ctx: &AwsContext,
    name: &str,
    decrypt: bool,
) -> Result<ParameterValue, AwsError> {
    let out = ctx
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(decrypt)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetParameter", e))?;
    out.parameter
        .map(value)
        .ok_or_else(|| AwsError::local("ssm:GetParameter", "the answer carried no parameter"))
}

/// Every version of `name`, oldest first (GetParameterHistory, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:GetParameterHistory`.
pub async fn history(
    ctx: &AwsContext,
    name: &str,
    decrypt: bool,
) -> Result<Vec<ParameterVersion>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .get_parameter_history()
        .name(name)
        .with_decryption(decrypt)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:GetParameterHistory", e))?;
        for h in resp.parameters.unwrap_or_default() {
            out.push(ParameterVersion {
                version: h.version,
                kind: kind(h.r#type.as_ref()),
                value: h.value.unwrap_or_default(),
                labels: h.labels.unwrap_or_default(),
                last_modified_s: epoch(h.last_modified_date),
                last_modified_user: h.last_modified_user.unwrap_or_default(),
                description: h.description.unwrap_or_default(),
                tier: h.tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// A write to Parameter Store.
#[derive(Clone, PartialEq, Eq)]
pub struct PutRequest {
    /// Full name.
    pub name: String,
    /// New value.
    pub value: String,
    /// Type.
    pub kind: ParamKind,
    /// `Standard`, `Advanced` or `Intelligent-Tiering`; `None` keeps the current one.
    pub tier: Option<String>,
    /// Description; `None` keeps the current one.
    pub description: Option<String>,
    /// KMS key for SecureString; `None` uses `alias/aws/ssm`.
    pub key_id: Option<String>,
    /// Data type (`text`, `aws:ec2:image`); `None` keeps the current one.
    pub data_type: Option<String>,
    /// Tags, on create only (AWS refuses tags with Overwrite).
    pub tags: Vec<(String, String)>,
    /// `None`: create (fails with `ParameterAlreadyExists` if it exists).
    /// `Some(v)`: overwrite, but only if the current version is still `v`.
    pub expected_version: Option<i64>,
}

impl std::fmt::Debug for PutRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutRequest")
            .field("name", &self.name)
            .field("value", &"** redacted **")
            .field("kind", &self.kind)
            .field("tier", &self.tier)
            .field("expected_version", &self.expected_version)
            .finish()
    }
}

/// Why a guarded write did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum PutError {
    /// Someone else wrote a newer version since the editor opened; nothing
    /// was written. Carries their current value (decrypted).
    Conflict(ParameterValue),
    /// AWS refused the write (validation, access, …).
    Aws(AwsError),
}

/// Writes a parameter. With `expected_version`, re-reads the parameter just
/// before writing and refuses (PutError::Conflict) if the version moved:
/// Parameter Store has no conditional write, so this is the guard against
/// lost updates. Returns the new version.
///
/// # Errors
/// [`PutError`].
pub async fn put(ctx: &AwsContext, req: &PutRequest) -> Result<i64, PutError> {
    if let Some(expected) = req.expected_version {
        let current = get_value(ctx, &req.name, true)
            .await
            .map_err(PutError::Aws)?;
        if current.version != expected {
            return Err(PutError::Conflict(current));
        }
    }
    let kind = match req.kind {
        ParamKind::String => ParameterType::String,
        ParamKind::StringList => ParameterType::StringList,
        ParamKind::SecureString => ParameterType::SecureString,
    };
    let mut call = ctx
        .ssm
        .put_parameter()
        .name(&req.name)
        .value(&req.value)
        .r#type(kind)
        .overwrite(req.expected_version.is_some())
        .set_description(req.description.clone())
        .set_tier(req.tier.as_deref().map(ParameterTier::from))
        .set_data_type(req.data_type.clone());
    for (k, v) in &req.tags {
        call = call.tags(
            aws_sdk_ssm::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| PutError::Aws(AwsError::local("ssm:PutParameter", e)))?,
        );
    }
    if req.kind == ParamKind::SecureString {
        call = call.set_key_id(req.key_id.clone());
    }
    let out = call
        .send()
        .await
        .map_err(|e| PutError::Aws(ctx.error("ssm:PutParameter", e)))?;
    Ok(out.version)
}

/// Deletes a parameter (every version).
///
/// # Errors
/// [`AwsError`] for `ssm:DeleteParameter`.
pub async fn delete(ctx: &AwsContext, name: &str) -> Result<(), AwsError> {
    ctx.ssm
        .delete_parameter()
        .name(name)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DeleteParameter", e))?;
    Ok(())
}

/// Attaches `labels` to `version` (moving them from other versions).
/// Returns the labels AWS refused as invalid.
///
/// # Errors
/// [`AwsError`] for `ssm:LabelParameterVersion`
/// (`ParameterVersionLabelLimitExceeded` past 10 labels on one version).
pub async fn label(
    ctx: &AwsContext,
    name: &str,
    version: i64,
    labels: Vec<String>,
) -> Result<Vec<String>, AwsError> {
    let out = ctx
        .ssm
        .label_parameter_version()
        .name(name)
        .parameter_version(version)
        .set_labels(Some(labels))
        .send()
        .await
        .map_err(|e| ctx.error("ssm:LabelParameterVersion", e))?;
    Ok(out.invalid_labels.unwrap_or_default())
}

/// Detaches `labels` from `version`. Returns the labels removed.
///
/// # Errors
/// [`AwsError`] for `ssm:UnlabelParameterVersion`.
pub async fn unlabel(
    ctx: &AwsContext,
    name: &str,
    version: i64,
    labels: Vec<String>,
) -> Result<Vec<String>, AwsError> {
    let out = ctx
        .ssm
        .unlabel_parameter_version()
        .name(name)
        .parameter_version(version)
        .set_labels(Some(labels))
        .send()
        .await
        .map_err(|e| ctx.error("ssm:UnlabelParameterVersion", e))?;
    Ok(out.removed_labels.unwrap_or_default())
}

/// Every parameter under `path` with its value (GetParametersByPath,
/// `Recursive`, 10 a page, decrypted), for copying a subtree.
///
/// # Errors
/// [`AwsError`] for `ssm:GetParametersByPath`.
pub async fn values_under(ctx: &AwsContext, path: &str) -> Result<Vec<ParameterValue>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .get_parameters_by_path()
        .path(path)
        .recursive(true)
        .with_decryption(true)
        .max_results(10)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:GetParametersByPath", e))?;
        out.extend(resp.parameters.unwrap_or_default().into_iter().map(value));
    }
    Ok(out)
}

/// Metadata of every parameter under `path` (DescribeParameters, `Path`
/// filter, `Recursive`), by name.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeParameters`.
pub async fn metadata_under(
    ctx: &AwsContext,
    path: &str,
) -> Result<std::collections::HashMap<String, ParameterMeta>, AwsError> {
    let mut out = std::collections::HashMap::new();
    let mut pages = ctx
        .ssm
        .describe_parameters()
        .max_results(DESCRIBE_PAGE)
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Path")
                .option("Recursive")
                .values(path)
                .build()
                .map_err(|e| AwsError::local("ssm:DescribeParameters", e))?,
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:DescribeParameters", e))?;
        for m in resp.parameters.unwrap_or_default().into_iter().map(meta) {
            out.insert(m.name.clone(), m);
        }
    }
    Ok(out)
}

/// One step of a subtree copy.
#[derive(Clone, PartialEq, Eq)]
pub struct CopyStep {
    /// Source name.
    pub from: String,
    /// Destination name.
    pub to: String,
    /// Value to write (clear text).
    pub value: String,
    /// Type.
    pub kind: ParamKind,
    /// `None`: the destination does not exist (create). `Some(v)`: it exists
    /// at version `v` with another value (overwrite, guarded).
    pub overwrite: Option<i64>,
    /// The destination's current value when overwriting (for the dry run).
    pub before: Option<String>,
    /// Source tier, description and KMS key (carried over).
    pub tier: Option<String>,
    /// See `tier`.
    pub description: Option<String>,
    /// See `tier`.
    pub key_id: Option<String>,
}

impl std::fmt::Debug for CopyStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyStep")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("overwrite", &self.overwrite)
            .finish_non_exhaustive()
    }
}

/// A dry run of copying (or moving) `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// Source prefix, e.g. `/staging/api`.
    pub from: String,
    /// Destination prefix, e.g. `/prod/api`.
    pub to: String,
    /// Delete the sources after copying.
    pub move_sources: bool,
    /// Writes to make.
    pub steps: Vec<CopyStep>,
    /// Destination names already holding the same value (skipped).
    pub unchanged: Vec<String>,
    /// The context the destination is in (the source is the Parameters
    /// pane's context, the set's first).
    pub to_ctx: crate::model::ContextId,
}

/// Plans a copy of every parameter under `from` in `src` to the same
/// relative names under `to` in `dst` (the same context, or another
/// account or region), reading both sides; makes no change. The plan's
/// `to_ctx` is left for the caller to set.
///
/// # Errors
/// [`AwsError`] reading either side.
pub async fn plan_copy(
    src: &AwsContext,
    dst: &AwsContext,
    from: &str,
    to: &str,
    move_sources: bool,
) -> Result<CopyPlan, AwsError> {
    let from = from.trim_end_matches('/').to_owned();
    let to = to.trim_end_matches('/').to_owned();
    let sources = values_under(src, &from).await?;
    let metas = metadata_under(src, &from).await?;
    let existing: std::collections::HashMap<String, ParameterValue> = values_under(dst, &to)
        .await?
        .into_iter()
        .map(|v| (v.name.clone(), v))
        .collect();
    let mut steps = Vec::new();
    let mut unchanged = Vec::new();
    for s in sources {
        let dest = format!("{to}{}", &s.name[from.len()..]);
        match existing.get(&dest) {
            Some(d) if d.value == s.value && d.kind == s.kind => unchanged.push(dest),
            existing_dest => {
                let m = metas.get(&s.name);
                steps.push(CopyStep {
                    from: s.name.clone(),
                    to: dest,
                    value: s.value.clone(),
                    kind: s.kind,
                    overwrite: existing_dest.map(|d| d.version),
                    before: existing_dest.map(|d| d.value.clone()),
                    tier: m.map(|m| m.tier.clone()).filter(|t| !t.is_empty()),
                    description: m.map(|m| m.description.clone()).filter(|d| !d.is_empty()),
                    key_id: m.map(|m| m.key_id.clone()).filter(|k| !k.is_empty()),
                });
            }
        }
    }
    Ok(CopyPlan {
        from,
        to,
        move_sources,
        steps,
        unchanged,
        to_ctx: crate::model::ContextId::default(),
    })
}

/// What applying a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOutcome {
    /// Destinations created.
    pub created: usize,
    /// Destinations overwritten.
    pub overwritten: usize,
    /// Sources deleted (move).
    pub deleted: Vec<String>,
    /// What failed, one line each (name and reason); a failed step's source is never deleted.
    pub failures: Vec<String>,
    /// The context the copies were written to (the plan's `to_ctx`).
    pub to_ctx: crate::model::ContextId,
}

/// Applies a plan: each write to `dst` guarded (create must not exist;
/// overwrite must still be at the planned version); on a move, a source is
/// deleted from `src` only after its copy succeeded.
pub async fn apply_copy(src: &AwsContext, dst: &AwsContext, plan: &CopyPlan) -> CopyOutcome {
    let mut out = CopyOutcome {
        to_ctx: plan.to_ctx,
        ..CopyOutcome::default()
    };
    let mut delete = Vec::new();
    for s in &plan.steps {
        let req = PutRequest {
            name: s.to.clone(),
            value: s.value.clone(),
            kind: s.kind,
            tier: s.tier.clone(),
            description: s.description.clone(),
            key_id: s.key_id.clone(),
            data_type: None,
            tags: Vec::new(),
            expected_version: s.overwrite,
        };
        match put(dst, &req).await {
            Ok(_) => {
                if s.overwrite.is_some() {
                    out.overwritten += 1;
                } else {
                    out.created += 1;
                }
                delete.push(s.from.clone());
            }
            Err(PutError::Conflict(t)) => out.failures.push(format!(
                "{}: changed to version {} after the dry run; not written",
                s.to, t.version
            )),
            Err(PutError::Aws(e)) => out.failures.push(format!("{}: {e}", s.to)),
        }
    }
    if plan.move_sources {
        // Unchanged destinations already hold the value: their sources go too.
        for u in &plan.unchanged {
            delete.push(format!("{}{}", plan.from, &u[plan.to.len()..]));
        }
        for chunk in delete.chunks(10) {
            match src
                .ssm
                .delete_parameters()
                .set_names(Some(chunk.to_vec()))
                .send()
                .await
            {
                Ok(r) => out.deleted.extend(r.deleted_parameters.unwrap_or_default()),
                Err(e) => out.failures.push(format!(
                    "deleting sources: {}",
                    src.error("ssm:DeleteParameters", e)
                )),
            }
        }
    }
    out
}
