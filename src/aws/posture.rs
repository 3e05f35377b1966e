//! A managed node's posture (SSM API), for the Fleet pane's node details:
//! its patches (`DescribeInstancePatches`), compliance items
//! (`ListComplianceItems`), inventory (`GetInventorySchema`, then
//! `ListInventoryEntries` per type) and State Manager associations
//! (`DescribeInstanceAssociationsStatus`). Every list is read to its last
//! page (the SDK's paginators where it has one; `ListInventoryEntries` has
//! none and is paged by hand), within the caps below.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{AwsContext, AwsError};

/// At most this many rows are kept of one list (patches, compliance
/// items, one inventory type's entries); the rest is counted as cut.
pub const ROWS_CAP: usize = 5_000;

/// Epoch seconds of an SDK timestamp.
pub fn epoch_s(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.map(aws_smithy_types::DateTime::secs)
}

/// One patch of a node (`PatchComplianceData`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodePatch {
    /// e.g. `openssl-libs.x86_64:1:3.0.8-1.amzn2023` or a Windows update's title.
    pub title: String,
    /// The KB id (Windows) or the package name (Linux).
    pub kb_id: String,
    /// e.g. `Security`, `Bugfix`, `SecurityUpdates`.
    pub classification: String,
    /// e.g. `Critical`, `Important`, `Medium` (as the vendor names it).
    pub severity: String,
    /// `PatchComplianceDataState`: `INSTALLED`, `INSTALLED_OTHER`,
    /// `INSTALLED_PENDING_REBOOT`, `INSTALLED_REJECTED`, `MISSING`,
    /// `NOT_APPLICABLE`, `FAILED`, `AVAILABLE_SECURITY_UPDATE`.
    pub state: String,
    /// When it was installed (or the state recorded), epoch seconds.
    pub installed_s: Option<i64>,
    /// CVE ids, comma-separated as AWS gives them (may be empty).
    pub cve_ids: String,
}

impl NodePatch {
    /// How much the state needs attention: 0 failed, 1 missing, 2
    /// pending reboot, 3 installed, 4 not applicable (the Patches tab
    /// sorts by it).
    pub fn urgency(&self) -> u8 {
        match self.state.as_str() {
            "FAILED" => 0,
            "MISSING" | "AVAILABLE_SECURITY_UPDATE" => 1,
            "INSTALLED_PENDING_REBOOT" => 2,
            "NOT_APPLICABLE" => 4,
            _ => 3,
        }
    }
}

/// One compliance item of a node (`ComplianceItem`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ComplianceItem {
    /// `Association`, `Patch` or `Custom:…`.
    pub compliance_type: String,
    /// The item's id (a patch's KB id, an association's id, …).
    pub id: String,
    /// Its title.
    pub title: String,
    /// `COMPLIANT` or `NON_COMPLIANT`.
    pub status: String,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `INFORMATIONAL`, `UNSPECIFIED`.
    pub severity: String,
    /// When the compliance was last recorded, epoch seconds.
    pub executed_s: Option<i64>,
    /// The execution that recorded it (a command id, an association
    /// execution id), and its type (`Command`, …).
    pub execution: String,
    /// Details, sorted by key (`DocumentName`, `PatchState`, …).
    pub details: BTreeMap<String, String>,
}

/// One inventory type of a node with its entries (`ListInventoryEntries`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InventoryType {
    /// e.g. `AWS:Application`.
    pub type_name: String,
    /// The attributes the schema gives the type, in schema order (the
    /// columns); attributes of entries not in the schema follow.
    pub attributes: Vec<String>,
    /// When the inventory was captured, as AWS writes it (ISO 8601).
    pub capture_time: String,
    /// The entries, each attribute → value.
    pub entries: Vec<BTreeMap<String, String>>,
    /// More entries than [`ROWS_CAP`] existed: they were not read.
    pub cut: bool,
}

/// One State Manager association of a node (`InstanceAssociationStatusInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeAssociation {
    /// The association id (a UUID).
    pub id: String,
    /// Its name, if it has one.
    pub name: String,
    /// The document it runs.
    pub document: String,
    /// The document version and association version it ran.
    pub document_version: String,
    /// The association version.
    pub association_version: String,
    /// When it last ran on the node, epoch seconds.
    pub executed_s: Option<i64>,
    /// `Success`, `Failed`, `Pending`, …
    pub status: String,
    /// The detailed status (`Success`, `Failed`, `InProgress`, …).
    pub detailed_status: String,
    /// What it did, as AWS sums it up (`1 out of 1 plugin processed, …`).
    pub summary: String,
    /// The error code of a failed run (may be empty).
    pub error_code: String,
    /// The S3 output URL, if output is written to S3.
    pub output_url: String,
}

/// The patches of `node`, failed and missing first, then by title.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeInstancePatches` (`InvalidInstanceId`).
pub async fn node_patches(
    ctx: &AwsContext,
    node: &str,
) -> Result<(Vec<NodePatch>, bool), AwsError> {
    let op = "ssm:DescribeInstancePatches";
    let mut pages = ctx
        .ssm
        .describe_instance_patches()
        .instance_id(node)
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    let mut cut = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.patches().iter().map(|p| NodePatch {
            title: p.title().to_owned(),
            kb_id: p.kb_id().to_owned(),
            classification: p.classification().to_owned(),
            severity: p.severity().to_owned(),
            state: p.state().as_str().to_owned(),
            // Not installed: AWS gives the epoch.
            installed_s: epoch_s(Some(p.installed_time())).filter(|t| *t > 0),
            cve_ids: p.cve_ids().unwrap_or_default().to_owned(),
        }));
        if out.len() > ROWS_CAP {
            out.truncate(ROWS_CAP);
            cut = true;
            break;
        }
    }
    out.sort_by(|a, b| (a.urgency(), &a.title).cmp(&(b.urgency(), &b.title)));
    Ok((out, cut))
}

/// The compliance items of managed node `node` (every type),
/// non-compliant first, then by type and id.
///
/// # Errors
/// [`AwsError`] for `ssm:ListComplianceItems`.
pub async fn node_compliance(
    ctx: &AwsContext,
    node: &str,
) -> Result<(Vec<ComplianceItem>, bool), AwsError> {
    let op = "ssm:ListComplianceItems";
    let mut pages = ctx
        .ssm
        .list_compliance_items()
        .resource_ids(node)
        .resource_types("ManagedInstance")
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    let mut cut = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.compliance_items().iter().map(compliance_item_of));
        if out.len() > ROWS_CAP {
            out.truncate(ROWS_CAP);
            cut = true;
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.status == "COMPLIANT", &a.compliance_type, &a.id).cmp(&(
            b.status == "COMPLIANT",
            &b.compliance_type,
            &b.id,
        ))
    });
    Ok((out, cut))
}

/// A compliance item as the console keeps it.
pub fn compliance_item_of(c: &aws_sdk_ssm::types::ComplianceItem) -> ComplianceItem {
    let summary = c.execution_summary();
    ComplianceItem {
        compliance_type: c.compliance_type().unwrap_or_default().to_owned(),
        id: c.id().unwrap_or_default().to_owned(),
        title: c.title().unwrap_or_default().to_owned(),
        status: c
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        severity: c
            .severity()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        executed_s: summary.and_then(|s| epoch_s(Some(s.execution_time()))),
        execution: summary
            .map(|s| {
                let id = s.execution_id().unwrap_or_default();
                match s.execution_type() {
                    Some(t) if !id.is_empty() => format!("{id} ({t})"),
                    _ => id.to_owned(),
                }
            })
            .unwrap_or_default(),
        details: c
            .details()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

/// The inventory of managed node `node`: the types the schema names
/// (`GetInventorySchema`, every page) with their entries on the node
/// (`ListInventoryEntries`, every page, up to [`ROWS_CAP`] entries a
/// type), types without entries left out.
///
/// # Errors
/// [`AwsError`] of the first call that fails (`ssm:GetInventorySchema`,
/// `ssm:ListInventoryEntries`: `InvalidInstanceId`, `InvalidTypeNameException`).
pub async fn node_inventory(ctx: &AwsContext, node: &str) -> Result<Vec<InventoryType>, AwsError> {
    let mut out = Vec::new();
    for (type_name, attributes) in inventory_schema(ctx).await? {
        let t = inventory_entries(ctx, node, &type_name, attributes).await?;
        if !t.entries.is_empty() {
            out.push(t);
        }
    }
    Ok(out)
}

/// The inventory types and their attributes (`GetInventorySchema`,
/// every page), by type name.
async fn inventory_schema(ctx: &AwsContext) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let op = "ssm:GetInventorySchema";
    let mut pages = ctx
        .ssm
        .get_inventory_schema()
        .max_results(200)
        .into_paginator()
        .send();
    let mut out = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        for s in page.schemas() {
            let attrs = s.attributes().iter().map(|a| a.name().to_owned()).collect();
            out.insert(s.type_name().to_owned(), attrs);
        }
    }
    Ok(out)
}

/// One type's entries on `node`, paged by hand (the SDK has no paginator
/// for `ListInventoryEntries`), at most [`ROWS_CAP`] entries.
async fn inventory_entries(
    ctx: &AwsContext,
    node: &str,
    type_name: &str,
    mut attributes: Vec<String>,
) -> Result<InventoryType, AwsError> {
    let op = "ssm:ListInventoryEntries";
    let mut t = InventoryType {
        type_name: type_name.to_owned(),
        ..InventoryType::default()
    };
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .ssm
            .list_inventory_entries()
            .instance_id(node)
            .type_name(type_name)
            .max_results(50)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| ctx.error(op, e))?;
        if let Some(c) = page.capture_time() {
            c.clone_into(&mut t.capture_time);
        }
        for e in page.entries() {
            t.entries
                .push(e.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
        if t.entries.len() > ROWS_CAP {
            t.entries.truncate(ROWS_CAP);
            t.cut = true;
            break;
        }
        match page.next_token() {
            Some(n) if !n.is_empty() => token = Some(n.to_owned()),
            _ => break,
        }
    }
    for e in &t.entries {
        for k in e.keys() {
            if !attributes.contains(k) {
                attributes.push(k.clone());
            }
        }
    }
    t.attributes = attributes;
    Ok(t)
}

/// The State Manager associations of managed node `node` and how each
/// last ran there (`DescribeInstanceAssociationsStatus`, every page),
/// failed first.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeInstanceAssociationsStatus` (`InvalidInstanceId`).
pub async fn node_associations(
    ctx: &AwsContext,
    node: &str,
) -> Result<(Vec<NodeAssociation>, bool), AwsError> {
    let op = "ssm:DescribeInstanceAssociationsStatus";
    let mut pages = ctx
        .ssm
        .describe_instance_associations_status()
        .instance_id(node)
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    let mut cut = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.instance_association_status_infos().iter().map(|a| {
            NodeAssociation {
                id: a.association_id().unwrap_or_default().to_owned(),
                name: a.association_name().unwrap_or_default().to_owned(),
                document: a.name().unwrap_or_default().to_owned(),
                document_version: a.document_version().unwrap_or_default().to_owned(),
                association_version: a.association_version().unwrap_or_default().to_owned(),
                executed_s: epoch_s(a.execution_date()),
                status: a.status().unwrap_or_default().to_owned(),
                detailed_status: a.detailed_status().unwrap_or_default().to_owned(),
                summary: a.execution_summary().unwrap_or_default().to_owned(),
                error_code: a.error_code().unwrap_or_default().to_owned(),
                output_url: a
                    .output_url()
                    .and_then(|u| u.s3_output_url())
                    .and_then(|u| u.output_url())
                    .unwrap_or_default()
                    .to_owned(),
            }
        }));
        if out.len() > ROWS_CAP {
            out.truncate(ROWS_CAP);
            cut = true;
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.status != "Failed", &a.document).cmp(&(b.status != "Failed", &b.document))
    });
    Ok((out, cut))
}

/// One part of a node's posture, as the node details' tabs show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PosturePart {
    /// [`node_patches`].
    Patches,
    /// [`node_compliance`].
    Compliance,
    /// [`node_inventory`].
    Inventory,
    /// [`node_associations`].
    Associations,
}

impl PosturePart {
    /// Every part, in tab order.
    pub const ALL: [PosturePart; 4] = [
        PosturePart::Patches,
        PosturePart::Compliance,
        PosturePart::Inventory,
        PosturePart::Associations,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            PosturePart::Patches => "Patches",
            PosturePart::Compliance => "Compliance",
            PosturePart::Inventory => "Inventory",
            PosturePart::Associations => "Associations",
        }
    }

    /// The IAM action the part needs (named when it is denied).
    pub fn action(self) -> &'static str {
        match self {
            PosturePart::Patches => "ssm:DescribeInstancePatches",
            PosturePart::Compliance => "ssm:ListComplianceItems",
            PosturePart::Inventory => "ssm:GetInventorySchema and ssm:ListInventoryEntries",
            PosturePart::Associations => "ssm:DescribeInstanceAssociationsStatus",
        }
    }
}

/// One part of a node's posture as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Posture {
    /// The patches, and whether more than [`ROWS_CAP`] were cut.
    Patches(Vec<NodePatch>, bool),
    /// The compliance items, and whether more than [`ROWS_CAP`] were cut.
    Compliance(Vec<ComplianceItem>, bool),
    /// The inventory types with entries.
    Inventory(Vec<InventoryType>),
    /// The associations, and whether more than [`ROWS_CAP`] were cut.
    Associations(Vec<NodeAssociation>, bool),
}

/// Reads `part` of managed node `node`'s posture.
///
/// # Errors
/// [`AwsError`] of the read (see each reader).
pub async fn read(ctx: &AwsContext, node: &str, part: PosturePart) -> Result<Posture, AwsError> {
    Ok(match part {
        PosturePart::Patches => {
            let (p, cut) = node_patches(ctx, node).await?;
            Posture::Patches(p, cut)
        }
        PosturePart::Compliance => {
            let (c, cut) = node_compliance(ctx, node).await?;
            Posture::Compliance(c, cut)
        }
        PosturePart::Inventory => Posture::Inventory(node_inventory(ctx, node).await?),
        PosturePart::Associations => {
            let (a, cut) = node_associations(ctx, node).await?;
            Posture::Associations(a, cut)
        }
    })
}
