//! Runbooks as documents: their ListDocuments identifiers, GetDocument
//! content (JSON, or YAML when asked), DescribeDocument description with
//! the declared Parameters, and ListDocumentVersions for every document
//! of the lab (a Distributor package lists its versions with their
//! VersionName; a Command or ChangeCalendar document has one version).

use serde_json::{Value, json};

use super::runbooks::{self, Runbook};
use super::{document_name, document_version};
use crate::LabState;
use crate::params::{ApiError, err};

/// Platform types an Automation document reports.
const PLATFORMS: [&str; 3] = ["Windows", "Linux", "MacOS"];

fn missing(name: &str) -> ApiError {
    err(
        "InvalidDocument",
        format!("Document with name {name} does not exist."),
    )
}

fn no_version(name: &str, v: &str) -> ApiError {
    err(
        "InvalidDocumentVersion",
        format!("Document {name} has no version {v}."),
    )
}

/// The ListDocuments identifier of `rb` (its default version).
pub(crate) fn identifier(rb: &Runbook) -> Value {
    let v = rb.version(None).expect("the default version exists");
    json!({
        "Name": rb.name, "Owner": rb.owner, "PlatformTypes": PLATFORMS,
        "DocumentVersion": v.version.to_string(), "DocumentType": "Automation",
        "SchemaVersion": "0.3", "DocumentFormat": "JSON", "TargetType": "/AWS::EC2::Instance",
        "CreatedDate": v.created, "Tags": [],
    })
}

/// The runbooks, cloned (for ListDocuments rows).
pub(crate) fn runbooks(state: &LabState) -> Vec<Runbook> {
    state
        .automation
        .lock()
        .expect("automation lock")
        .runbooks
        .clone()
}

fn find(state: &LabState, name: &str) -> Option<Runbook> {
    state
        .automation
        .lock()
        .expect("automation lock")
        .runbook(name)
        .cloned()
}

/// GetDocument of a runbook: `None` when `name` is not one.
pub(crate) fn get_document(
    state: &LabState,
    name: &str,
    version: Option<&str>,
    format: Option<&str>,
) -> Option<Result<Value, ApiError>> {
    let rb = find(state, name)?;
    Some((|| {
        let v = rb
            .version(version)
            .map_err(|()| no_version(&rb.name, version.unwrap_or("")))?;
        let tree = runbooks::content(v);
        let (format, content) = if format == Some("YAML") {
            ("YAML", runbooks::to_yaml(&tree))
        } else {
            (
                "JSON",
                serde_json::to_string_pretty(&tree).unwrap_or_default(),
            )
        };
        Ok(json!({
            "Name": rb.name, "DocumentVersion": v.version.to_string(), "Status": "Active",
            "DocumentType": "Automation", "DocumentFormat": format, "Content": content,
            "CreatedDate": v.created,
        }))
    })())
}

/// DescribeDocument of a runbook: `None` when `name` is not one.
pub(crate) fn describe_document(
    state: &LabState,
    name: &str,
    version: Option<&str>,
) -> Option<Result<Value, ApiError>> {
    let rb = find(state, name)?;
    Some((|| {
        let v = rb
            .version(version)
            .map_err(|()| no_version(&rb.name, version.unwrap_or("")))?;
        let params: Vec<Value> = v
            .params
            .iter()
            .map(runbooks::parameter_description)
            .collect();
        Ok(json!({"Document": {
            "Name": rb.name, "Owner": rb.owner, "Status": "Active", "DocumentType": "Automation",
            "SchemaVersion": "0.3", "DocumentVersion": v.version.to_string(),
            "LatestVersion": rb.latest().to_string(), "DefaultVersion": rb.default_version.to_string(),
            "DocumentFormat": "JSON", "PlatformTypes": PLATFORMS, "Description": v.description,
            "Parameters": params, "TargetType": "/AWS::EC2::Instance", "CreatedDate": v.created,
            "HashType": "Sha256", "Tags": [],
        }}))
    })())
}

/// ListDocumentVersions: `Name` (a DocumentARN or name), its versions
/// in version order (`IsDefaultVersion` marks the default); MaxResults
/// 1 … 50, `InvalidNextToken`; an unknown document is `InvalidDocument`.
pub(crate) fn list_document_versions(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let raw = document_name(body, "Name")?;
    let name = raw.rsplit_once(":document/").map_or(raw, |(_, n)| n);
    let mut rows: Vec<Value> = Vec::new();
    if let Some(rb) = find(state, name) {
        for v in &rb.versions {
            rows.push(json!({
                "Name": rb.name, "DocumentVersion": v.version.to_string(), "CreatedDate": v.created,
                "IsDefaultVersion": v.version == rb.default_version, "DocumentFormat": "JSON",
                "Status": "Active",
            }));
        }
    } else if let Some(d) = state.calendars.lock().expect("calendars lock").find(name) {
        rows.push(json!({
            "Name": d.name, "DocumentVersion": "1", "CreatedDate": d.created,
            "IsDefaultVersion": true, "DocumentFormat": "TEXT", "Status": "Active",
        }));
    } else if let Some(versions) = crate::distributor::versions(name) {
        rows = versions;
    } else if crate::commands::document_exists(name) {
        rows.push(json!({
            "Name": name, "DocumentVersion": "1", "CreatedDate": 1_546_300_800.0,
            "IsDefaultVersion": true, "DocumentFormat": "JSON", "Status": "Active",
        }));
    } else {
        return Err(missing(raw));
    }
    let (page, next) = crate::commands::page(
        rows,
        |r| {
            format!(
                "{:010}",
                r["DocumentVersion"]
                    .as_str()
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(0)
            )
        },
        body,
        50,
    )?;
    Ok(crate::commands::listed("DocumentVersions", page, next))
}

/// The DocumentVersion selector of a DescribeDocument or GetDocument
/// request, checked against the model's pattern.
pub(crate) fn version_selector(body: &Value) -> Result<Option<&str>, ApiError> {
    document_version(body)
}
