//! SSM documents (SSM API): the documents of an account and region by type
//! and owner (`ListDocuments` with `Filters` `DocumentType` / `Owner`,
//! every page), one document's description (`DescribeDocument`), its
//! content in JSON or YAML (`GetDocument` with `DocumentFormat`), and its
//! versions (`ListDocumentVersions`, every page).

use aws_sdk_ssm::types::{DocumentFormat, DocumentKeyValuesFilter};
use serde::Serialize;

use super::{AwsContext, AwsError};

/// The document types the Documents pane lists, in its tab order (`All`
/// first: no type filter).
pub const TYPES: &[&str] = &[
    "All",
    "Command",
    "Automation",
    "Session",
    "Package",
    "ChangeCalendar",
    "Policy",
];

/// The `Owner` filter values ListDocuments takes (`Private`: shared with
/// the account).
pub const OWNERS: &[&str] = &["Self", "Amazon", "Private", "Public", "ThirdParty"];

/// A document as listed (`DocumentIdentifier`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Its name.
    pub name: String,
    /// Its display name (may be empty).
    pub display_name: String,
    /// `Command`, `Automation`, `Package`, …
    pub kind: String,
    /// `Amazon`, an account id, …
    pub owner: String,
    /// The default version.
    pub version: String,
    /// `JSON`, `YAML` or `TEXT`.
    pub format: String,
    /// `Linux`, `Windows`, `MacOS`.
    pub platforms: Vec<String>,
    /// The schema version (`2.2`, `0.3`).
    pub schema: String,
}

/// A document's description (`DocumentDescription`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Description {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: String,
    /// Its description (may be empty).
    pub description: String,
    /// The default version.
    pub default_version: String,
    /// The latest version.
    pub latest_version: String,
    /// `Active`, `Creating`, `Failed`, …
    pub status: String,
    /// Its owner.
    pub owner: String,
    /// Its parameters: name, type, default (may be empty), description.
    pub params: Vec<(String, String, String, String)>,
    /// Created, epoch seconds.
    pub created_s: Option<i64>,
}

/// One version of a document (`DocumentVersionInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Version {
    /// The version number.
    pub version: String,
    /// Its version name (may be empty).
    pub version_name: String,
    /// Created, epoch seconds.
    pub created_s: Option<i64>,
    /// Whether it is the default version.
    pub is_default: bool,
    /// `JSON`, `YAML` or `TEXT`.
    pub format: String,
    /// `Active`, …
    pub status: String,
}

/// The documents of `kind` (`None`: every type) owned by `owner` (`None`:
/// any), by name (ListDocuments, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:ListDocuments` (`InvalidFilterKey`, `InvalidNextToken`).
pub async fn list(
    ctx: &AwsContext,
    kind: Option<&str>,
    owner: Option<&str>,
) -> Result<Vec<Document>, AwsError> {
    let op = "ssm:ListDocuments";
    let mut filters = Vec::new();
    for (key, v) in [("DocumentType", kind), ("Owner", owner)] {
        if let Some(v) = v {
            filters.push(
                DocumentKeyValuesFilter::builder()
                    .key(key)
                    .values(v)
                    .build(),
            );
        }
    }
    let mut pages = ctx
        .ssm
        .list_documents()
        .set_filters(Some(filters).filter(|f| !f.is_empty()))
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.document_identifiers().iter().map(|d| {
            Document {
                name: d.name().unwrap_or_default().to_owned(),
                display_name: d.display_name().unwrap_or_default().to_owned(),
                kind: d
                    .document_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                owner: d.owner().unwrap_or_default().to_owned(),
                version: d.document_version().unwrap_or_default().to_owned(),
                format: d
                    .document_format()
                    .map(|f| f.as_str().to_owned())
                    .unwrap_or_default(),
                platforms: d
                    .platform_types()
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                schema: d.schema_version().unwrap_or_default().to_owned(),
            }
        }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// Document `name`'s description (DescribeDocument, default version).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeDocument` (`InvalidDocument`).
pub async fn describe(ctx: &AwsContext, name: &str) -> Result<Description, AwsError> {
    let out = ctx
        .ssm
        .describe_document()
        .name(name)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeDocument", e))?;
    let d = out
        .document
        .unwrap_or_else(|| aws_sdk_ssm::types::DocumentDescription::builder().build());
    Ok(Description {
        name: d.name().unwrap_or(name).to_owned(),
        kind: d
            .document_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        description: d.description().unwrap_or_default().to_owned(),
        default_version: d.default_version().unwrap_or_default().to_owned(),
        latest_version: d.latest_version().unwrap_or_default().to_owned(),
        status: d
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        owner: d.owner().unwrap_or_default().to_owned(),
        params: d
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.name().unwrap_or_default().to_owned(),
                    p.r#type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    p.default_value().unwrap_or_default().to_owned(),
                    p.description().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        created_s: d.created_date().map(aws_smithy_types::DateTime::secs),
    })
}

/// The content of version `version` (`None`: the default) of `name`, as
/// YAML when `yaml` (else JSON; a TEXT document, such as a change
/// calendar, comes as it is).
///
/// # Errors
/// [`AwsError`] for `ssm:GetDocument` (`InvalidDocument`,
/// `InvalidDocumentVersion`).
pub async fn content(
    ctx: &AwsContext,
    name: &str,
    version: Option<&str>,
    yaml: bool,
    text: bool,
) -> Result<String, AwsError> {
    let format = if text {
        DocumentFormat::Text
    } else if yaml {
        DocumentFormat::Yaml
    } else {
        DocumentFormat::Json
    };
    let out = ctx
        .ssm
        .get_document()
        .name(name)
        .set_document_version(version.map(str::to_owned))
        .document_format(format)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetDocument", e))?;
    let c = out.content().unwrap_or_default();
    // JSON is shown as its author wrote it; only a one-line document is
    // indented (its keys then in name order).
    Ok(if !yaml && !text && !c.trim().contains('\n') {
        serde_json::from_str::<serde_json::Value>(c)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| c.to_owned())
    } else {
        c.to_owned()
    })
}

/// Every version of `name`, newest first (ListDocumentVersions, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:ListDocumentVersions` (`InvalidDocument`).
pub async fn versions(ctx: &AwsContext, name: &str) -> Result<Vec<Version>, AwsError> {
    let op = "ssm:ListDocumentVersions";
    let mut pages = ctx
        .ssm
        .list_document_versions()
        .name(name)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.document_versions().iter().map(|v| {
            Version {
                version: v.document_version().unwrap_or_default().to_owned(),
                version_name: v.version_name().unwrap_or_default().to_owned(),
                created_s: v.created_date().map(aws_smithy_types::DateTime::secs),
                is_default: v.is_default_version(),
                format: v
                    .document_format()
                    .map(|f| f.as_str().to_owned())
                    .unwrap_or_default(),
                status: v
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            }
        }));
    }
    out.sort_by(|a, b| {
        b.version
            .parse::<u64>()
            .unwrap_or(0)
            .cmp(&a.version.parse::<u64>().unwrap_or(0))
    });
    Ok(out)
}

/// Versions 1 … latest of `name` as DescribeDocument names them (newest
/// first, the default marked; no dates): for an endpoint without
/// ListDocumentVersions (moto answers it with HTTP 500).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeDocument`.
pub async fn versions_from_description(
    ctx: &AwsContext,
    name: &str,
) -> Result<Vec<Version>, AwsError> {
    let d = describe(ctx, name).await?;
    let latest: u64 = d.latest_version.parse().unwrap_or(1);
    Ok((1..=latest)
        .rev()
        .map(|v| Version {
            version: v.to_string(),
            is_default: v.to_string() == d.default_version,
            status: d.status.clone(),
            ..Version::default()
        })
        .collect())
}
