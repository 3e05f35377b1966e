//! OpsCenter calls: DescribeOpsItems (every page, 50 a call, filters sent
//! server-side), GetOpsItem, ListOpsItemEvents, ListOpsItemRelatedItems,
//! CreateOpsItem and UpdateOpsItem guarded against lost updates.
//!
//! UpdateOpsItem has no condition: two responders writing at once would
//! silently overwrite each other. [`update_guarded`] re-reads the item
//! (GetOpsItem) just before writing and refuses when its `LastModifiedTime`
//! moved since the caller read it, returning the current item so the
//! console can show what changed and ask again.

use std::collections::HashMap;

use aws_sdk_ssm::primitives::DateTime;
use aws_sdk_ssm::types::{
    OpsItemDataType, OpsItemDataValue, OpsItemEventFilter, OpsItemEventFilterKey,
    OpsItemEventFilterOperator, OpsItemFilter, OpsItemFilterKey, OpsItemFilterOperator,
    OpsItemStatus, RelatedOpsItem,
};

use super::{AwsContext, AwsError};
use crate::model::{NOTE_PREFIX, OpsData, OpsEvent, OpsItem, OpsRelatedItem};

/// DescribeOpsItems page size (the API's maximum).
pub const PAGE_SIZE: i32 = 50;

/// A time bound of a `CreatedTime` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeBound {
    /// Newer than this many seconds before the call.
    NewerThan(i64),
    /// Older than this many seconds before the call.
    OlderThan(i64),
}

/// One server-side filter of DescribeOpsItems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerFilter {
    /// `Key` with `Operator` = `Equal` or `Contains` (`contains`) over `values` (any).
    Text {
        /// `Status`, `Priority`, `Severity`, `Source`, `OpsItemType`,
        /// `Category`, `Title`, `ResourceId`.
        key: String,
        /// Use `Contains` rather than `Equal`.
        contains: bool,
        /// Values, any of which matches.
        values: Vec<String>,
    },
    /// `CreatedTime` with `GreaterThan` / `LessThan`, resolved at call time.
    Created(TimeBound),
}

impl ServerFilter {
    fn to_sdk(&self, now_s: i64) -> OpsItemFilter {
        let (key, op, values) = match self {
            ServerFilter::Text {
                key,
                contains,
                values,
            } => (
                OpsItemFilterKey::from(key.as_str()),
                if *contains {
                    OpsItemFilterOperator::Contains
                } else {
                    OpsItemFilterOperator::Equal
                },
                values.clone(),
            ),
            ServerFilter::Created(bound) => {
                let (op, secs) = match bound {
                    TimeBound::NewerThan(s) => (OpsItemFilterOperator::GreaterThan, *s),
                    TimeBound::OlderThan(s) => (OpsItemFilterOperator::LessThan, *s),
                };
                let at = DateTime::from_secs(now_s - secs)
                    .fmt(aws_smithy_types::date_time::Format::DateTime)
                    .unwrap_or_default();
                (OpsItemFilterKey::CreatedTime, op, vec![at])
            }
        };
        OpsItemFilter::builder()
            .key(key)
            .operator(op)
            .set_values(Some(values))
            .build()
            .expect("key, operator and values are set")
    }
}

fn ms(d: Option<&DateTime>) -> i64 {
    d.map_or(0, |d| {
        d.secs() * 1_000 + i64::from(d.subsec_nanos() / 1_000_000)
    })
}

fn data(
    map: Option<&HashMap<String, OpsItemDataValue>>,
) -> std::collections::BTreeMap<String, OpsData> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                OpsData {
                    value: v.value.clone().unwrap_or_default(),
                    searchable: v.r#type != Some(OpsItemDataType::String),
                },
            )
        })
        .collect()
}

/// One DescribeOpsItems page with `filters` (combined with AND by AWS).
/// Returns the items and the token of the next page.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeOpsItems`.
pub async fn list_page(
    ctx: &AwsContext,
    filters: &[ServerFilter],
    token: Option<String>,
) -> Result<(Vec<OpsItem>, Option<String>), AwsError> {
    let now = crate::model::now_epoch_s();
    let resp = ctx
        .ssm
        .describe_ops_items()
        .set_ops_item_filters(if filters.is_empty() {
            None
        } else {
            Some(filters.iter().map(|f| f.to_sdk(now)).collect())
        })
        .max_results(PAGE_SIZE)
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeOpsItems", e))?;
    let items = resp
        .ops_item_summaries
        .unwrap_or_default()
        .into_iter()
        .map(|s| OpsItem {
            id: s.ops_item_id.unwrap_or_default(),
            title: s.title.unwrap_or_default(),
            status: s.status.map(|x| x.as_str().to_owned()).unwrap_or_default(),
            priority: s.priority,
            severity: s.severity,
            source: s.source.unwrap_or_default(),
            category: s.category,
            ops_item_type: s.ops_item_type.unwrap_or_default(),
            created_by: s.created_by.unwrap_or_default(),
            last_modified_by: s.last_modified_by.unwrap_or_default(),
            created_ms: ms(s.created_time.as_ref()),
            last_modified_ms: ms(s.last_modified_time.as_ref()),
            operational_data: data(s.operational_data.as_ref()),
            ..OpsItem::default()
        })
        .collect();
    Ok((items, resp.next_token.filter(|t| !t.is_empty())))
}

/// Every page of DescribeOpsItems, handing each page to `on_page` as it
/// arrives (the first one after one call). Returns the calls made.
///
/// # Errors
/// The first [`AwsError`]; pages before it were already handed over.
pub async fn list_all(
    ctx: &AwsContext,
    filters: &[ServerFilter],
    on_page: impl FnMut(Vec<OpsItem>, bool),
) -> Result<u32, AwsError> {
    list_all_with_stalls(ctx, filters, on_page, |_| {}).await
}

/// [`list_all`], where a page that fails with a passing fault after the
/// SDK's retries is asked for again from its NextToken
/// ([`resume::again`](super::resume::again)); `on_stall` hears of each
/// pause.
///
/// # Errors
/// The first [`AwsError`] that is not passing, or the last after every
/// round; pages before it were already handed over.
pub async fn list_all_with_stalls(
    ctx: &AwsContext,
    filters: &[ServerFilter],
    mut on_page: impl FnMut(Vec<OpsItem>, bool),
    on_stall: impl Fn(super::resume::Stall),
) -> Result<u32, AwsError> {
    let mut token: Option<String> = None;
    let mut calls = 0;
    loop {
        let midway = calls > 0;
        let page = || {
            calls += 1;
            list_page(ctx, filters, token.clone())
        };
        let (items, next) = super::resume::again(page, midway, &on_stall).await?;
        let done = next.is_none();
        on_page(items, done);
        match next {
            Some(t) => token = Some(t),
            None => return Ok(calls),
        }
    }
}

/// The whole OpsItem (GetOpsItem): description, every operational data
/// entry, notifications, related OpsItems.
///
/// # Errors
/// [`AwsError`] for `ssm:GetOpsItem` (`OpsItemNotFoundException`, access denied).
pub async fn get(ctx: &AwsContext, id: &str) -> Result<OpsItem, AwsError> {
    let out = ctx
        .ssm
        .get_ops_item()
        .ops_item_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetOpsItem", e))?;
    let Some(i) = out.ops_item else {
        return Err(AwsError::local(
            "ssm:GetOpsItem",
            format!("the answer for {id} had no OpsItem"),
        ));
    };
    Ok(OpsItem {
        ctx: crate::model::ContextId::default(),
        id: i.ops_item_id.unwrap_or_default(),
        title: i.title.unwrap_or_default(),
        status: i.status.map(|x| x.as_str().to_owned()).unwrap_or_default(),
        priority: i.priority,
        severity: i.severity,
        source: i.source.unwrap_or_default(),
        category: i.category,
        ops_item_type: i.ops_item_type.unwrap_or_default(),
        created_by: i.created_by.unwrap_or_default(),
        last_modified_by: i.last_modified_by.unwrap_or_default(),
        created_ms: ms(i.created_time.as_ref()),
        last_modified_ms: ms(i.last_modified_time.as_ref()),
        operational_data: data(i.operational_data.as_ref()),
        description: Some(i.description.unwrap_or_default()),
        notifications: i
            .notifications
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| n.arn)
            .collect(),
        related_ops_items: i
            .related_ops_items
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.ops_item_id)
            .collect(),
        version: i.version,
        arn: i.ops_item_arn,
    })
}

/// Every event of one OpsItem (ListOpsItemEvents, filter `OpsItemId`
/// Equal, 50 a page), newest first as AWS returns them.
///
/// # Errors
/// [`AwsError`] for `ssm:ListOpsItemEvents`.
pub async fn events(ctx: &AwsContext, id: &str) -> Result<Vec<OpsEvent>, AwsError> {
    let filter = OpsItemEventFilter::builder()
        .key(OpsItemEventFilterKey::OpsitemId)
        .values(id)
        .operator(OpsItemEventFilterOperator::Equal)
        .build()
        .expect("key, values and operator are set");
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .list_ops_item_events()
        .filters(filter)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:ListOpsItemEvents", e))?;
        for e in resp.summaries.unwrap_or_default() {
            out.push(OpsEvent {
                source: e.source.unwrap_or_default(),
                detail_type: e.detail_type.unwrap_or_default(),
                detail: e.detail.unwrap_or_default(),
                created_by: e.created_by.and_then(|c| c.arn).unwrap_or_default(),
                created_ms: ms(e.created_time.as_ref()),
            });
        }
    }
    Ok(out)
}

/// Every related item of one OpsItem (ListOpsItemRelatedItems, 50 a page).
///
/// # Errors
/// [`AwsError`] for `ssm:ListOpsItemRelatedItems`.
pub async fn related(ctx: &AwsContext, id: &str) -> Result<Vec<OpsRelatedItem>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .list_ops_item_related_items()
        .ops_item_id(id)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:ListOpsItemRelatedItems", e))?;
        for r in resp.summaries.unwrap_or_default() {
            out.push(OpsRelatedItem {
                association_id: r.association_id.unwrap_or_default(),
                resource_type: r.resource_type.unwrap_or_default(),
                association_type: r.association_type.unwrap_or_default(),
                resource_uri: r.resource_uri.unwrap_or_default(),
                created_ms: ms(r.created_time.as_ref()),
            });
        }
    }
    Ok(out)
}

/// What an update changes; `None`/empty fields are left alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpsChange {
    /// New status (`Open`, `InProgress`, `Resolved`).
    pub status: Option<String>,
    /// New priority, 1 … 5.
    pub priority: Option<i32>,
    /// New severity, `1` … `4`.
    pub severity: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<String>,
    /// Operational data to add or replace: key, value, searchable.
    pub add_data: Vec<(String, String, bool)>,
    /// Operational data keys to delete (`OperationalDataToDelete`).
    pub delete_data: Vec<String>,
    /// OpsItem ids to relate (added to the ones already related).
    pub link: Vec<String>,
    /// A note to add: stored as `note:<time>` = `{"at","by","text"}`.
    pub note: Option<String>,
    /// The caller's ARN, recorded in a note.
    pub caller: String,
}

impl OpsChange {
    /// One line saying what the change does (`status → Resolved, note`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.status {
            parts.push(format!("status → {s}"));
        }
        if let Some(p) = self.priority {
            parts.push(format!("priority → {p}"));
        }
        if let Some(s) = &self.severity {
            parts.push(format!("severity → {s}"));
        }
        if self.title.is_some() {
            parts.push("title".into());
        }
        if self.description.is_some() {
            parts.push("description".into());
        }
        if let Some(c) = &self.category {
            parts.push(format!("category → {c}"));
        }
        if self.note.is_some() {
            parts.push("a note".into());
        }
        for (k, _, _) in &self.add_data {
            parts.push(format!("set {k}"));
        }
        for k in &self.delete_data {
            parts.push(format!("delete {k}"));
        }
        for l in &self.link {
            parts.push(format!("link {l}"));
        }
        parts.join(", ")
    }
}

/// Why a guarded update did not happen.
#[derive(Debug, Clone)]
pub enum UpdateError {
    /// The item changed since `expected`: nothing was written; here it is now.
    Conflict(Box<OpsItem>),
    /// AWS refused the read or the write.
    Aws(AwsError),
}

/// UpdateOpsItem, refused when the item's `LastModifiedTime` is no longer
/// `expected_ms` (epoch milliseconds; `None` writes without the check,
/// for a deliberate overwrite after a conflict was shown). Returns the item
/// as it is after the write (GetOpsItem).
///
/// # Errors
/// [`UpdateError::Conflict`] with the current item, or
/// [`UpdateError::Aws`] for `ssm:GetOpsItem` / `ssm:UpdateOpsItem`.
pub async fn update_guarded(
    ctx: &AwsContext,
    id: &str,
    expected_ms: Option<i64>,
    change: &OpsChange,
) -> Result<OpsItem, UpdateError> {
    let current = get(ctx, id).await.map_err(UpdateError::Aws)?;
    if expected_ms.is_some_and(|e| e != current.last_modified_ms) {
        return Err(UpdateError::Conflict(Box::new(current)));
    }
    let mut call = ctx.ssm.update_ops_item().ops_item_id(id);
    if let Some(s) = &change.status {
        call = call.status(OpsItemStatus::from(s.as_str()));
    }
    if let Some(p) = change.priority {
        call = call.priority(p);
    }
    if let Some(s) = &change.severity {
        call = call.severity(s);
    }
    if let Some(t) = &change.title {
        call = call.title(t);
    }
    if let Some(d) = &change.description {
        call = call.description(d);
    }
    if let Some(c) = &change.category {
        call = call.category(c);
    }
    for (k, v, searchable) in &change.add_data {
        call = call.operational_data(
            k,
            OpsItemDataValue::builder()
                .value(v)
                .r#type(if *searchable {
                    OpsItemDataType::SearchableString
                } else {
                    OpsItemDataType::String
                })
                .build(),
        );
    }
    if let Some(text) = &change.note {
        // Milliseconds keep two notes of one second apart.
        let at = crate::model::iso8601_ms_now();
        let value = serde_json::json!({"at": at, "by": change.caller, "text": text}).to_string();
        call = call.operational_data(
            format!("{NOTE_PREFIX}{at}"),
            OpsItemDataValue::builder()
                .value(value)
                .r#type(OpsItemDataType::String)
                .build(),
        );
    }
    for k in &change.delete_data {
        call = call.operational_data_to_delete(k);
    }
    if !change.link.is_empty() {
        let mut all = current.related_ops_items.clone();
        for l in &change.link {
            if !all.contains(l) {
                all.push(l.clone());
            }
        }
        for r in all {
            call = call.related_ops_items(
                RelatedOpsItem::builder()
                    .ops_item_id(r)
                    .build()
                    .expect("id is set"),
            );
        }
    }
    call.send()
        .await
        .map_err(|e| UpdateError::Aws(ctx.error("ssm:UpdateOpsItem", e)))?;
    get(ctx, id).await.map_err(UpdateError::Aws)
}

/// What a new OpsItem says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateRequest {
    /// Title (1 … 1,024 characters).
    pub title: String,
    /// Description (1 … 2,048 characters).
    pub description: String,
    /// Source (1 … 128 characters).
    pub source: String,
    /// 1 … 5.
    pub priority: i32,
    /// `1` … `4`.
    pub severity: String,
    /// Category, if any.
    pub category: Option<String>,
    /// Related managed node ARN (stored under `/aws/resources`).
    pub node_arn: Option<String>,
}

/// CreateOpsItem (type `/aws/issue`), sent at most once
/// ([`once`](super::once)). Returns the new id. When the answer was lost
/// after the request went out, DescribeOpsItems (same title and source,
/// created since a minute before) tells whether it was created.
///
/// # Errors
/// [`AwsError`] for `ssm:CreateOpsItem`; `MaybeSent` when it may have
/// been created and the check found nothing.
pub async fn create(ctx: &AwsContext, req: &CreateRequest) -> Result<String, AwsError> {
    let started = DateTime::from(std::time::SystemTime::now());
    match create_once(ctx, req).await {
        Err(e) if e.kind == super::ErrorKind::MaybeSent => super::once::settle(
            e,
            find_created(ctx, req, started.secs() - 60).await,
            "DescribeOpsItems",
            "DescribeOpsItems shows no such OpsItem, so it was most likely not created: create it again (the form is kept)",
            "look in OpsCenter before creating it again",
        ),
        other => other,
    }
}

/// The OpsItem `req` would have created since `after` (epoch seconds):
/// DescribeOpsItems with Title, Source and CreatedTime filters.
async fn find_created(
    ctx: &AwsContext,
    req: &CreateRequest,
    after: i64,
) -> Result<Option<String>, AwsError> {
    let filter = |k: OpsItemFilterKey, op: OpsItemFilterOperator, v: String| {
        OpsItemFilter::builder()
            .key(k)
            .values(v)
            .operator(op)
            .build()
            .map_err(|e| AwsError::local("ssm:DescribeOpsItems", e))
    };
    let title: String = req.title.chars().take(100).collect();
    let when = DateTime::from_secs(after)
        .fmt(aws_sdk_ssm::primitives::DateTimeFormat::DateTime)
        .map_err(|e| AwsError::local("ssm:DescribeOpsItems", e))?;
    let resp = ctx
        .ssm
        .describe_ops_items()
        .ops_item_filters(filter(
            OpsItemFilterKey::Title,
            OpsItemFilterOperator::Equal,
            title,
        )?)
        .ops_item_filters(filter(
            OpsItemFilterKey::Source,
            OpsItemFilterOperator::Equal,
            req.source.clone(),
        )?)
        .ops_item_filters(filter(
            OpsItemFilterKey::CreatedTime,
            OpsItemFilterOperator::GreaterThan,
            when,
        )?)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeOpsItems", e))?;
    Ok(resp
        .ops_item_summaries
        .unwrap_or_default()
        .into_iter()
        .find(|o| o.title.as_deref() == Some(req.title.as_str()))
        .and_then(|o| o.ops_item_id))
}

/// One CreateOpsItem, through [`once`](super::once::once).
async fn create_once(ctx: &AwsContext, req: &CreateRequest) -> Result<String, AwsError> {
    let mut call = ctx
        .ssm
        .create_ops_item()
        .title(&req.title)
        .description(&req.description)
        .source(&req.source)
        .priority(req.priority)
        .severity(&req.severity)
        .ops_item_type("/aws/issue")
        .set_category(req.category.clone());
    if let Some(arn) = &req.node_arn {
        call = call.operational_data(
            "/aws/resources",
            OpsItemDataValue::builder()
                .value(serde_json::json!([{ "arn": arn }]).to_string())
                .r#type(OpsItemDataType::SearchableString)
                .build(),
        );
    }
    let out = super::once::once(|| {
        let call = call
            .clone()
            .customize()
            .config_override(super::once::no_retry_ssm());
        async move {
            call.send()
                .await
                .map_err(|e| ctx.error("ssm:CreateOpsItem", e))
        }
    })
    .await?;
    Ok(out.ops_item_id.unwrap_or_default())
}
