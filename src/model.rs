//! The console's own domain types. The SDK's types stay inside `src/aws/`.

/// Ping status of a managed node (SSM `InstanceInformation.PingStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub enum PingStatus {
    /// The agent checked in within the last few minutes.
    Online,
    /// The agent has not checked in for a while.
    ConnectionLost,
    /// The node is stopped, terminated or deregistered.
    Inactive,
    /// A value this build does not know.
    #[default]
    Unknown,
}

impl PingStatus {
    /// Parses the AWS spelling; anything else is [`PingStatus::Unknown`].
    pub fn parse(s: &str) -> Self {
        match s {
            "Online" => PingStatus::Online,
            "ConnectionLost" => PingStatus::ConnectionLost,
            "Inactive" => PingStatus::Inactive,
            _ => PingStatus::Unknown,
        }
    }

    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PingStatus::Online => "Online",
            PingStatus::ConnectionLost => "ConnectionLost",
            PingStatus::Inactive => "Inactive",
            PingStatus::Unknown => "Unknown",
        }
    }
}

/// Which context of the console's set (credentials in a region, see
/// `aws::contexts`) a row came from: its index in the set, `0` for the
/// first (and, with one context, the only) one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct ContextId(pub u16);

impl ContextId {
    /// The index into the context set.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// What the console shows of one context: where its rows come from.
/// Built before any call; the account fills in once STS
/// `GetCallerIdentity` (or Organizations `ListAccounts`) has answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextLabel {
    /// Its place in the set.
    pub id: ContextId,
    /// The profile its credentials come from (`None`: the default chain).
    pub profile: Option<String>,
    /// The AWS region.
    pub region: String,
    /// The 12-digit account id, once known.
    pub account: Option<String>,
    /// The account's name (Organizations) or alias, where known.
    pub account_name: Option<String>,
    /// The role assumed in the account (`--org ROLE`, `role_arn`), if any.
    pub role: Option<String>,
    /// Why the context is read-only (its profile's `read_only`), if it is:
    /// its rows may not be written.
    pub read_only: Option<String>,
}

impl ContextLabel {
    /// The account as a column shows it: its name, else its id, else the
    /// profile, else `?` (not yet known).
    pub fn account_text(&self) -> &str {
        self.account_name
            .as_deref()
            .or(self.account.as_deref())
            .or(self.profile.as_deref())
            .unwrap_or("?")
    }

    /// `ACCOUNT REGION` for confirmations and failure lines
    /// (`prod-a us-east-1`).
    pub fn short(&self) -> String {
        format!("{} {}", self.account_text(), self.region)
    }

    /// Whether `account:VALUE` names this context: a prefix of the account
    /// id, or a case-insensitive substring of the account name or the
    /// profile (`value` lower-cased).
    pub fn account_matches(&self, value: &str) -> bool {
        self.account
            .as_deref()
            .is_some_and(|a| a.starts_with(value))
            || [&self.account_name, &self.profile].iter().any(|s| {
                s.as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(value))
            })
    }
}

/// What EC2 `DescribeInstances` adds to an `i-…` managed node.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Ec2Details {
    /// e.g. `m6i.large`.
    pub instance_type: String,
    /// EC2 state name: `pending`, `running`, `stopping`, `stopped`, `terminated`.
    pub state: String,
    /// e.g. `us-east-1a`.
    pub availability_zone: String,
    /// Private IPv4 address.
    pub private_ip: String,
    /// Launch time, epoch seconds.
    pub launch_time_s: Option<i64>,
    /// AMI id.
    pub image_id: String,
}

/// A managed node as the Fleet pane shows it: the SSM view
/// (`DescribeInstanceInformation`) joined with EC2 (`DescribeInstances`) or,
/// for hybrid nodes, `ListTagsForResource`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ManagedNode {
    /// `i-…` (EC2) or `mi-…` (hybrid).
    pub id: String,
    /// The `Name` tag, or the hybrid node's registration name.
    pub name: String,
    /// Ping status.
    pub ping_status: PingStatus,
    /// Last ping, epoch seconds.
    pub last_ping_s: Option<i64>,
    /// SSM Agent version.
    pub agent_version: String,
    /// Whether the agent is the newest release.
    pub agent_is_latest: Option<bool>,
    /// `Linux`, `Windows`, `MacOS`.
    pub platform_type: String,
    /// e.g. `Ubuntu`.
    pub platform_name: String,
    /// e.g. `22.04`.
    pub platform_version: String,
    /// IP address the agent reports.
    pub ip: String,
    /// Host name the agent reports.
    pub computer_name: String,
    /// `EC2Instance` or `ManagedInstance`.
    pub resource_type: String,
    /// IAM role (hybrid nodes).
    pub iam_role: String,
    /// Association status reported by SSM.
    pub association_status: String,
    /// Hybrid activation id.
    pub activation_id: String,
    /// Hybrid registration time, epoch seconds.
    pub registration_s: Option<i64>,
    /// EC2 join, once loaded (`None` for hybrid nodes and while loading).
    pub ec2: Option<Ec2Details>,
    /// Tags (`Key`, `Value`), once loaded; JSON shows them as AWS does,
    /// `[{"Key": …, "Value": …}]`.
    #[serde(serialize_with = "tags_as_aws")]
    pub tags: Vec<(String, String)>,
    /// The context it was listed in (not an AWS field: the raw JSON view
    /// leaves it out).
    #[serde(skip)]
    pub ctx: ContextId,
    /// Its patch state (DescribeInstancePatchStates), once asked.
    #[serde(skip)]
    pub patch: Patch,
    /// Its State Manager associations by status, as
    /// DescribeInstanceInformation sums them up
    /// (`AssociationOverview.InstanceAssociationStatusAggregatedCount`);
    /// `None` when AWS gives no overview (no association).
    pub associations: Option<AssociationCounts>,
}

/// A node's associations counted by status (`Success`, `Failed`,
/// `Pending`; any other status counts as `other`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AssociationCounts {
    /// Associations whose last run succeeded.
    pub success: u32,
    /// Associations whose last run failed.
    pub failed: u32,
    /// Associations not run yet.
    pub pending: u32,
    /// Any other status.
    pub other: u32,
}

impl AssociationCounts {
    /// Counts from AWS's status → count map.
    pub fn from_map<'a>(counts: impl IntoIterator<Item = (&'a String, &'a i32)>) -> Self {
        let mut c = AssociationCounts::default();
        for (status, n) in counts {
            let n = u32::try_from(*n).unwrap_or(0);
            match status.as_str() {
                "Success" => c.success += n,
                "Failed" => c.failed += n,
                "Pending" => c.pending += n,
                _ => c.other += n,
            }
        }
        c
    }

    /// The ASSOC cell: `2 failed`, `1 pending`, else `ok`.
    pub fn text(&self) -> String {
        match (self.failed, self.pending) {
            (0, 0) => "ok".into(),
            (0, p) => format!("{p} pending"),
            (f, _) => format!("{f} failed"),
        }
    }
}

/// A managed node's patch state as Patch Manager last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch {
    /// Not asked yet, or the endpoint does not answer it.
    #[default]
    Unknown,
    /// Asked: the node was never scanned (AWS has no state for it).
    NeverScanned,
    /// Its last scan or install.
    Scanned(PatchSummary),
}

/// The counts of one node's patch state (AWS `InstancePatchState`).
/// `NotApplicable` patches never count as non-compliant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchSummary {
    /// Approved patches not installed (`MissingCount`).
    pub missing: u32,
    /// Patches whose install failed (`FailedCount`).
    pub failed: u32,
    /// Installed, waiting for a reboot (`InstalledPendingRebootCount`).
    pub pending_reboot: u32,
    /// Non-compliant with severity critical (`CriticalNonCompliantCount`).
    pub critical: u32,
    /// Non-compliant security updates (`SecurityNonCompliantCount`).
    pub security: u32,
    /// Installed (`InstalledCount`).
    pub installed: u32,
    /// `Scan` or `Install`.
    pub operation: String,
    /// When the operation ended, epoch seconds.
    pub ended_s: Option<i64>,
}

impl PatchSummary {
    /// Missing or failed patches, or installed ones waiting for a reboot:
    /// AWS reports such a node `NON_COMPLIANT` (DescribePatchGroupState's
    /// `InstancesWithInstalledPendingRebootPatches` are non-compliant).
    pub fn noncompliant(&self) -> bool {
        self.missing + self.failed + self.pending_reboot > 0
    }
}

impl Patch {
    /// The PATCH column: `ok`, `3 missing`, `1 failed`, `2 missing 1
    /// failed`, `reboot`, `never scanned`, or empty while unknown.
    pub fn text(&self) -> String {
        match self {
            Patch::Unknown => String::new(),
            Patch::NeverScanned => "never scanned".into(),
            Patch::Scanned(s) => {
                let mut parts = Vec::new();
                if s.missing > 0 {
                    parts.push(format!("{} missing", s.missing));
                }
                if s.failed > 0 {
                    parts.push(format!("{} failed", s.failed));
                }
                if s.pending_reboot > 0 {
                    parts.push("reboot".into());
                }
                if parts.is_empty() {
                    "ok".into()
                } else {
                    parts.join(" ")
                }
            }
        }
    }

    /// The summary, when scanned.
    pub fn summary(&self) -> Option<&PatchSummary> {
        match self {
            Patch::Scanned(s) => Some(s),
            _ => None,
        }
    }
}

impl ManagedNode {
    /// Whether this is a hybrid (`mi-…`) node.
    pub fn is_hybrid(&self) -> bool {
        self.id.starts_with("mi-")
    }

    /// The value of tag `key`, if loaded and set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// EC2 instance type, or empty.
    pub fn instance_type(&self) -> &str {
        self.ec2.as_ref().map_or("", |e| e.instance_type.as_str())
    }

    /// EC2 state, or empty for hybrid nodes and before the join arrives.
    pub fn state(&self) -> &str {
        self.ec2.as_ref().map_or("", |e| e.state.as_str())
    }

    /// Best IP: the agent's, else EC2's private IP.
    pub fn best_ip(&self) -> &str {
        if !self.ip.is_empty() {
            &self.ip
        } else {
            self.ec2.as_ref().map_or("", |e| e.private_ip.as_str())
        }
    }

    /// Applies the EC2 join: details plus tags; the `Name` tag becomes the name.
    pub fn apply_ec2(&mut self, details: Ec2Details, tags: Vec<(String, String)>) {
        self.ec2 = Some(details);
        self.apply_tags(tags);
    }

    /// Applies tags; the `Name` tag, when present, becomes the name.
    pub fn apply_tags(&mut self, tags: Vec<(String, String)>) {
        if let Some((_, name)) = tags.iter().find(|(k, _)| k == "Name") {
            self.name = name.clone();
        }
        self.tags = tags;
    }
}

/// The caller identity (STS `GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallerIdentity {
    /// 12-digit account id.
    pub account: String,
    /// Caller ARN.
    pub arn: String,
}

/// The wall clock, epoch seconds.
pub fn now_epoch_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The wall clock as ISO-8601 UTC with milliseconds
/// (`2026-11-22T01:50:56.182Z`), via the SDK's RFC 3339 formatter.
pub fn iso8601_ms_now() -> String {
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    aws_smithy_types::DateTime::from_secs(now.secs())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|s| {
            format!(
                "{}.{:03}Z",
                s.trim_end_matches('Z'),
                now.subsec_nanos() / 1_000_000
            )
        })
        .unwrap_or_default()
}

/// Formats epoch seconds as `YYYY-MM-DD HH:MM:SS` UTC (via the SDK's
/// RFC 3339 formatter).
pub fn format_epoch(epoch_s: i64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch_s)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|t| t.trim_end_matches('Z').replacen('T', " ", 1))
        .unwrap_or_else(|_| epoch_s.to_string())
}

/// One operational data entry of an OpsItem (`OpsItemDataValue`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpsData {
    /// The value (up to 20 KB; often JSON).
    pub value: String,
    /// `SearchableString` (returned by DescribeOpsItems) rather than `String`.
    pub searchable: bool,
}

/// An OpsItem: the `DescribeOpsItems` summary, completed by `GetOpsItem`
/// (`description`, `notifications`, `related_ops_items`, `version`, `arn`
/// are `None`/empty until the item was read whole).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct OpsItem {
    /// `oi-` followed by 12 hex digits.
    pub id: String,
    /// Title (at most 1,024 characters).
    pub title: String,
    /// `Open`, `InProgress`, `Resolved` (and the change-request states).
    pub status: String,
    /// 1 (highest) … 5.
    pub priority: Option<i32>,
    /// `1` (critical) … `4` (low).
    pub severity: Option<String>,
    /// Where it came from (`CloudWatch Alarm`, `EC2`, `Config`, …).
    pub source: String,
    /// `Availability`, `Cost`, `Performance`, `Recovery`, `Security`.
    pub category: Option<String>,
    /// `/aws/issue`, `/aws/changerequest`, `/aws/insight`.
    pub ops_item_type: String,
    /// ARN of the creator.
    pub created_by: String,
    /// ARN of the last writer.
    pub last_modified_by: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Last modification, epoch milliseconds (the lost-update guard).
    pub last_modified_ms: i64,
    /// Operational data by key (the summary carries the searchable entries only).
    pub operational_data: std::collections::BTreeMap<String, OpsData>,
    /// Description (GetOpsItem only).
    pub description: Option<String>,
    /// SNS topic ARNs notified on change (GetOpsItem only).
    pub notifications: Vec<String>,
    /// Related OpsItem ids (GetOpsItem only).
    pub related_ops_items: Vec<String>,
    /// Version (GetOpsItem only).
    pub version: Option<String>,
    /// ARN (GetOpsItem only).
    pub arn: Option<String>,
    /// The context it was listed in (not an AWS field).
    #[serde(skip)]
    pub ctx: ContextId,
}

/// Prefix of the operational data keys that hold notes written from the
/// console: `note:<ISO-8601 time>`; the value is JSON `{"at","by","text"}`.
pub const NOTE_PREFIX: &str = "note:";

/// A note read back from operational data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsNote {
    /// The operational data key.
    pub key: String,
    /// ISO-8601 time it was written.
    pub at: String,
    /// ARN of the writer.
    pub by: String,
    /// The text.
    pub text: String,
}

impl OpsItem {
    /// Managed node ids (`i-…`, `mi-…`) named by the `/aws/resources`
    /// operational data (a JSON list of `{"arn": …}`; EC2 instance and SSM
    /// managed-instance ARNs), in order, without repeats.
    pub fn related_nodes(&self) -> Vec<String> {
        let Some(d) = self.operational_data.get("/aws/resources") else {
            return Vec::new();
        };
        let Ok(serde_json::Value::Array(list)) = serde_json::from_str(&d.value) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for r in list {
            let arn = r.get("arn").and_then(|a| a.as_str()).unwrap_or("");
            let id = arn
                .strip_prefix("arn:")
                .and_then(|rest| rest.rsplit_once('/'))
                .map(|(kind, id)| (kind, id.to_owned()));
            if let Some((kind, id)) = id
                && (kind.ends_with(":instance") || kind.ends_with(":managed-instance"))
                && (id.starts_with("i-") || id.starts_with("mi-"))
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        out
    }

    /// ARNs in `/aws/resources` that are not managed nodes.
    pub fn other_resources(&self) -> Vec<String> {
        let Some(d) = self.operational_data.get("/aws/resources") else {
            return Vec::new();
        };
        let Ok(serde_json::Value::Array(list)) = serde_json::from_str(&d.value) else {
            return vec![d.value.clone()];
        };
        list.iter()
            .filter_map(|r| r.get("arn").and_then(|a| a.as_str()))
            .filter(|a| !a.contains(":instance/i-") && !a.contains(":managed-instance/mi-"))
            .map(str::to_owned)
            .collect()
    }

    /// Notes (operational data under [`NOTE_PREFIX`]), oldest first.
    pub fn notes(&self) -> Vec<OpsNote> {
        self.operational_data
            .iter()
            .filter(|(k, _)| k.starts_with(NOTE_PREFIX))
            .map(|(k, d)| {
                let v: serde_json::Value = serde_json::from_str(&d.value).unwrap_or_default();
                let field = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_owned);
                OpsNote {
                    key: k.clone(),
                    at: field("at").unwrap_or_else(|| k[NOTE_PREFIX.len()..].to_owned()),
                    by: field("by").unwrap_or_default(),
                    text: field("text").unwrap_or_else(|| d.value.clone()),
                }
            })
            .collect()
    }
}

/// One OpsItem event (`ListOpsItemEvents`): what the source reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsEvent {
    /// e.g. `aws.cloudwatch`.
    pub source: String,
    /// e.g. `CloudWatch Alarm State Change`.
    pub detail_type: String,
    /// The event detail (JSON text).
    pub detail: String,
    /// ARN of the creator.
    pub created_by: String,
    /// Epoch milliseconds.
    pub created_ms: i64,
}

/// One related item (`ListOpsItemRelatedItems`): a document, an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsRelatedItem {
    /// Association id.
    pub association_id: String,
    /// e.g. `AWS::SSM::Document`.
    pub resource_type: String,
    /// e.g. `RelatesTo`.
    pub association_type: String,
    /// ARN of the resource.
    pub resource_uri: String,
    /// Epoch milliseconds.
    pub created_ms: i64,
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM` UTC.
pub fn format_epoch_ms_minutes(ms: i64) -> String {
    let full = format_epoch(ms.div_euclid(1_000));
    full.get(..16).unwrap_or(&full).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formatting() {
        assert_eq!(format_epoch(1_793_491_200), "2026-11-01 00:00:00");
        assert_eq!(format_epoch(0), "1970-01-01 00:00:00");
    }

    #[test]
    fn name_tag_becomes_name() {
        let mut n = ManagedNode {
            id: "i-1".into(),
            ..Default::default()
        };
        n.apply_tags(vec![
            ("Env".into(), "prod".into()),
            ("Name".into(), "web".into()),
        ]);
        assert_eq!(n.name, "web");
        assert_eq!(n.tag("Env"), Some("prod"));
    }
}

/// Parameter type (`String`, `StringList`, `SecureString`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum ParamKind {
    /// Plain text.
    #[default]
    String,
    /// Comma-separated list.
    StringList,
    /// Encrypted with KMS; masked everywhere until revealed.
    SecureString,
}

impl ParamKind {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::String => "String",
            ParamKind::StringList => "StringList",
            ParamKind::SecureString => "SecureString",
        }
    }

    /// Every kind, for the create form.
    pub const ALL: [ParamKind; 3] = [
        ParamKind::String,
        ParamKind::StringList,
        ParamKind::SecureString,
    ];
}

/// What DescribeParameters says of a parameter (no value).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ParameterMeta {
    /// Full name, e.g. `/prod/api/db/url`.
    pub name: String,
    /// Type.
    pub kind: ParamKind,
    /// Current version.
    pub version: i64,
    /// `Standard`, `Advanced`, `Intelligent-Tiering`.
    pub tier: String,
    /// `text`, `aws:ec2:image`, …
    pub data_type: String,
    /// Last modified, epoch seconds.
    pub last_modified_s: Option<i64>,
    /// ARN of the last writer.
    pub last_modified_user: String,
    /// Description.
    pub description: String,
    /// Regular expression values must match.
    pub allowed_pattern: String,
    /// KMS key (SecureString).
    pub key_id: String,
    /// Policy documents (JSON text).
    pub policies: Vec<String>,
}

/// A parameter's value (GetParameter(s)). `Debug` redacts SecureString values.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ParameterValue {
    /// Full name.
    pub name: String,
    /// Type.
    pub kind: ParamKind,
    /// The value: clear text, or for a SecureString read without decryption,
    /// the ciphertext.
    pub value: String,
    /// Version this value belongs to.
    pub version: i64,
    /// Last modified, epoch seconds.
    pub last_modified_s: Option<i64>,
    /// Data type.
    pub data_type: String,
    /// ARN.
    pub arn: String,
}

/// The value as `Debug` may show it: redacted for a SecureString.
fn shown(kind: ParamKind, value: &str) -> &str {
    if kind == ParamKind::SecureString {
        "** redacted **"
    } else {
        value
    }
}

impl std::fmt::Debug for ParameterValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParameterValue")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("value", &shown(self.kind, &self.value))
            .field("version", &self.version)
            .finish()
    }
}

/// One version of a parameter (GetParameterHistory). `Debug` redacts SecureString values.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ParameterVersion {
    /// Version number.
    pub version: i64,
    /// Type at that version.
    pub kind: ParamKind,
    /// Value at that version (decrypted when asked).
    pub value: String,
    /// Labels attached to this version.
    pub labels: Vec<String>,
    /// When it was written, epoch seconds.
    pub last_modified_s: Option<i64>,
    /// Who wrote it.
    pub last_modified_user: String,
    /// Description at that version.
    pub description: String,
    /// Tier at that version.
    pub tier: String,
}

impl std::fmt::Debug for ParameterVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParameterVersion")
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("value", &shown(self.kind, &self.value))
            .field("labels", &self.labels)
            .finish()
    }
}

/// Status of one command invocation (SSM `CommandInvocationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub enum InvocationStatus {
    /// Not yet delivered.
    #[default]
    Pending,
    /// Waiting for a concurrency slot or a reachable node.
    Delayed,
    /// Running.
    InProgress,
    /// Finished with exit code 0.
    Success,
    /// Finished with another exit code, or undeliverable.
    Failed,
    /// Delivery or execution timed out.
    TimedOut,
    /// Cancel requested.
    Cancelling,
    /// Cancelled.
    Cancelled,
}

impl InvocationStatus {
    /// Parses the AWS spelling (unknown values are `Pending`).
    pub fn parse(s: &str) -> Self {
        match s {
            "Delayed" => InvocationStatus::Delayed,
            "InProgress" => InvocationStatus::InProgress,
            "Success" => InvocationStatus::Success,
            "Failed" => InvocationStatus::Failed,
            "TimedOut" => InvocationStatus::TimedOut,
            "Cancelling" => InvocationStatus::Cancelling,
            "Cancelled" => InvocationStatus::Cancelled,
            _ => InvocationStatus::Pending,
        }
    }

    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationStatus::Pending => "Pending",
            InvocationStatus::Delayed => "Delayed",
            InvocationStatus::InProgress => "InProgress",
            InvocationStatus::Success => "Success",
            InvocationStatus::Failed => "Failed",
            InvocationStatus::TimedOut => "TimedOut",
            InvocationStatus::Cancelling => "Cancelling",
            InvocationStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether the invocation has finished.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            InvocationStatus::Success
                | InvocationStatus::Failed
                | InvocationStatus::TimedOut
                | InvocationStatus::Cancelled
        )
    }
}

/// One node's part of a command (ListCommandInvocations with Details).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct CommandInvocation {
    /// Command id.
    pub command_id: String,
    /// Node id.
    pub instance_id: String,
    /// Node name, as SSM knows it.
    pub instance_name: String,
    /// Status.
    pub status: InvocationStatus,
    /// Status details (`Undeliverable`, `DeliveryTimedOut`, `ExecutionTimedOut`, …).
    pub details: String,
    /// Exit code (-1 while running or when none).
    pub response_code: i32,
    /// Plugin output, at most 2,500 characters (empty while running).
    pub output: String,
    /// Start, epoch seconds.
    pub start_s: Option<f64>,
    /// End, epoch seconds.
    pub end_s: Option<f64>,
}

/// Status of a whole command (ListCommands), from `Status` and `StatusDetails`:
/// the service model's `CommandStatus` has no `Incomplete`, AWS reports it
/// in `StatusDetails` ("attempted on all managed nodes, one or more
/// invocations not Success, not enough failed for the status to be Failed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum CommandStatus {
    /// Not yet sent to any node.
    #[default]
    Pending,
    /// Sent to at least one node, not final on all.
    InProgress,
    /// Final: every counted invocation succeeded.
    Success,
    /// Final: not all Success, but MaxErrors was not exceeded (e.g. delivery timed out).
    Incomplete,
    /// Final: more than MaxErrors invocations failed.
    Failed,
    /// Final: more than MaxErrors invocations timed out.
    TimedOut,
    /// Cancel requested.
    Cancelling,
    /// Final: cancelled (CancelCommand).
    Cancelled,
}

impl CommandStatus {
    /// From the AWS `Status` and `StatusDetails` (unknown values are `Pending`).
    pub fn parse(status: &str, details: &str) -> Self {
        if details == "Incomplete" {
            return CommandStatus::Incomplete;
        }
        match status {
            "InProgress" => CommandStatus::InProgress,
            "Success" => CommandStatus::Success,
            "Failed" => CommandStatus::Failed,
            "TimedOut" => CommandStatus::TimedOut,
            "Cancelling" => CommandStatus::Cancelling,
            "Cancelled" => CommandStatus::Cancelled,
            _ => CommandStatus::Pending,
        }
    }

    /// The spelling shown (AWS's, with `Incomplete` from StatusDetails).
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Pending => "Pending",
            CommandStatus::InProgress => "InProgress",
            CommandStatus::Success => "Success",
            CommandStatus::Incomplete => "Incomplete",
            CommandStatus::Failed => "Failed",
            CommandStatus::TimedOut => "TimedOut",
            CommandStatus::Cancelling => "Cancelling",
            CommandStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether the command has finished.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CommandStatus::Success
                | CommandStatus::Incomplete
                | CommandStatus::Failed
                | CommandStatus::TimedOut
                | CommandStatus::Cancelled
        )
    }
}

/// A past command (ListCommands).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandSummary {
    /// Command id.
    pub command_id: String,
    /// Document.
    pub document: String,
    /// Comment.
    pub comment: String,
    /// Requested, epoch seconds.
    pub requested_s: Option<f64>,
    /// Overall status.
    pub status: CommandStatus,
    /// `StatusDetails` as AWS wrote it (`Incomplete`, `NoInstancesInTag`, …).
    pub details: String,
    /// Nodes targeted (0 while tag targets are still resolving).
    pub target_count: i32,
    /// Nodes finished (any final status).
    pub completed: i32,
    /// Nodes Failed or ExecutionTimedOut (what counts against MaxErrors).
    pub errors: i32,
    /// Nodes DeliveryTimedOut.
    pub delivery_timed_out: i32,
    /// The `commands` parameter.
    pub commands: Vec<String>,
    /// CloudWatch log group when output went there (empty: the default group).
    pub log_group: Option<String>,
}

/// What DescribeDocument says of a Command document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentInfo {
    /// Its parameters.
    pub params: Vec<DocumentParam>,
    /// `PlatformTypes`: `Linux`, `Windows`, `MacOS`.
    pub platform_types: Vec<String>,
}

/// One parameter of a document (DescribeDocument).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentParam {
    /// Name, e.g. `commands`.
    pub name: String,
    /// `String`, `StringList`, …
    pub kind: String,
    /// Description.
    pub description: String,
    /// Default value.
    pub default: String,
}

/// Tags as the AWS APIs write them: a list of `{"Key": …, "Value": …}`.
fn tags_as_aws<S: serde::Serializer>(tags: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(tags.len()))?;
    for (k, v) in tags {
        let mut m = std::collections::BTreeMap::new();
        m.insert("Key", k);
        m.insert("Value", v);
        seq.serialize_element(&m)?;
    }
    seq.end()
}

/// A time for the tables: `18:00` today (UTC), `12-05 18:00` otherwise,
/// always UTC (the header says so).
pub fn when(t: i64, now_s: i64) -> String {
    let full = crate::model::format_epoch(t);
    let same_day = t.div_euclid(86_400) == now_s.div_euclid(86_400);
    match (same_day, full.get(5..16), full.get(11..16)) {
        (true, _, Some(hm)) => hm.to_owned(),
        (false, Some(md_hm), _) => md_hm.to_owned(),
        _ => full,
    }
}

/// How far `t` is from `now_s`: `in 2h 05m`, `3d 4h ago`, `now`.
pub fn relative(t: i64, now_s: i64) -> String {
    let d = t - now_s;
    let a = d.unsigned_abs();
    let text = match a {
        0..=59 => return "now".into(),
        60..=3599 => format!("{}m", a / 60),
        3600..=86_399 => format!("{}h {:02}m", a / 3600, a % 3600 / 60),
        _ => format!("{}d {}h", a / 86_400, a % 86_400 / 3600),
    };
    if d > 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// A run's start and duration for the tables: `18:00 (5m ago)` (`—` when
/// it has not started) and `42s`, or `12s so far` while it runs; times UTC,
/// `now_s` and both ends epoch seconds.
pub fn span_text(start: Option<i64>, end: Option<i64>, now_s: i64) -> (String, String) {
    let started = start.map_or_else(
        || "—".into(),
        |x| format!("{} ({})", when(x, now_s), relative(x, now_s)),
    );
    let took = match (start, end) {
        (Some(a), Some(b)) => format!("{}s", b - a),
        (Some(a), None) => format!("{}s so far", (now_s - a).max(0)),
        _ => String::new(),
    };
    (started, took)
}
