//! OpsCenter: CreateOpsItem, DescribeOpsItems (OpsItemFilters with the
//! operators AWS allows per key), GetOpsItem, UpdateOpsItem (including
//! `OperationalDataToDelete`), ListOpsItemEvents, ListOpsItemRelatedItems,
//! Associate/DisassociateOpsItemRelatedItem, with AWS's validation errors
//! (shared/reference/aws-ssm-semantics.md, the SSM API reference).
//!
//! Departures, on purpose: `Title` `Contains` is case-sensitive (AWS does
//! not document case handling); events are only the ones the seed creates
//! or that `CreateOpsItem` records (AWS's events come from EventBridge).

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::LAB_ACCOUNT;
use crate::fleet::LabNode;
use crate::params::{ApiError, err, now_s, validation};

/// Every OpsItem status AWS accepts in `UpdateOpsItem`.
pub const STATUSES: &[&str] = &[
    "Open",
    "InProgress",
    "Resolved",
    "Pending",
    "TimedOut",
    "Cancelling",
    "Cancelled",
    "Failed",
    "CompletedWithSuccess",
    "CompletedWithFailure",
    "Scheduled",
    "RunbookInProgress",
    "PendingChangeCalendarOverride",
    "ChangeCalendarOverrideApproved",
    "ChangeCalendarOverrideRejected",
    "PendingApproval",
    "Approved",
    "Revoked",
    "Rejected",
    "Closed",
];

/// The `AWS:OpsItem` attributes GetOpsSummary aggregates and filters on.
pub(crate) const SUMMARY_ATTRIBUTES: &[&str] = &[
    "Status",
    "Severity",
    "Priority",
    "Source",
    "Category",
    "OpsItemType",
    "Title",
];

/// Operational data keys may not start with these (system keys excepted).
const RESERVED_PREFIXES: &[&str] = &[
    "amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm",
];
/// System keys that may be written.
const SYSTEM_KEYS: &[&str] = &["/aws/resources", "/aws/automations", "/aws/dedup"];
/// Largest operational data value, bytes (20 KB).
const MAX_DATA_VALUE: usize = 20 * 1024;

/// The parameter error the OpsCenter model lists.
const INVALID_PARAMETER: &str = "OpsItemInvalidParameterException";

/// The node a seeded OpsItem of `kind` is about, starting from
/// `nodes[pick]`: EC2 status checks (kinds 4 and 5) exist for EC2 instances
/// only, so one drawn for a hybrid node goes to the next EC2 node, or
/// becomes a Config finding (kind 6) in a fleet without any.
fn subject(nodes: &[LabNode], pick: usize, kind: u32) -> (&LabNode, u32) {
    let node = &nodes[pick];
    if !(4..=5).contains(&kind) || !node.is_hybrid() {
        return (node, kind);
    }
    match (0..nodes.len())
        .map(|i| &nodes[(pick + i) % nodes.len()])
        .find(|x| !x.is_hybrid())
    {
        Some(ec2) => (ec2, kind),
        None => (node, 6),
    }
}

/// The seeded alarm metric (index into `seed`'s list) for `node`: a hybrid
/// node has no AWS/EC2 metrics, only the agent's (CWAgent, indices 1 and 2).
fn metric_for(node: &LabNode, drawn: usize) -> usize {
    if node.is_hybrid() && !(1..=2).contains(&drawn) {
        1
    } else {
        drawn
    }
}

fn invalid_parameter(message: impl Into<String>) -> ApiError {
    err(INVALID_PARAMETER, message)
}

/// One operational data entry.
#[derive(Debug, Clone, PartialEq)]
struct Data {
    value: String,
    /// `SearchableString` (returned by DescribeOpsItems) or `String`.
    kind: String,
}

#[derive(Debug, Clone)]
struct Item {
    id: String,
    title: String,
    description: String,
    status: String,
    priority: Option<i64>,
    severity: Option<String>,
    source: String,
    category: Option<String>,
    ops_type: String,
    created_by: String,
    created: f64,
    modified_by: String,
    modified: f64,
    data: BTreeMap<String, Data>,
    notifications: Vec<String>,
    related: Vec<String>,
    version: u64,
}

#[derive(Debug, Clone)]
struct Event {
    ops_item_id: String,
    event_id: String,
    source: String,
    detail_type: String,
    detail: String,
    created_by: String,
    created: f64,
}

#[derive(Debug, Clone)]
struct Related {
    ops_item_id: String,
    association_id: String,
    resource_type: String,
    association_type: String,
    resource_uri: String,
    created_by: String,
    created: f64,
}

/// The OpsCenter store of the lab.
#[derive(Debug, Default)]
pub struct OpsStore {
    items: BTreeMap<String, Item>,
    events: Vec<Event>,
    related: Vec<Related>,
    region: String,
    /// The account in ARNs and messages (the tenant's).
    account: String,
    rng: Option<ChaCha8Rng>,
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn data_json(data: &BTreeMap<String, Data>, searchable_only: bool) -> Value {
    let mut map = serde_json::Map::new();
    for (k, d) in data {
        if searchable_only && d.kind != "SearchableString" {
            continue;
        }
        map.insert(k.clone(), json!({"Value": d.value, "Type": d.kind}));
    }
    Value::Object(map)
}

/// Parses a filter time: ISO-8601 (`2026-11-01T00:00:00Z`, fractions allowed)
/// or epoch seconds.
fn parse_time(text: &str) -> Option<f64> {
    if let Ok(n) = text.parse::<f64>() {
        return Some(n);
    }
    let with_zone = if text.ends_with('Z') || text.contains('+') {
        text.to_owned()
    } else {
        format!("{text}Z")
    };
    aws_smithy_types::DateTime::from_str(&with_zone, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .map(|d| d.as_secs_f64())
}

struct Filter {
    key: String,
    operator: String,
    values: Vec<String>,
}

impl Filter {
    fn parse(v: &Value) -> Result<Filter, ApiError> {
        let key = str_field(v, "Key").unwrap_or("").to_owned();
        let operator = str_field(v, "Operator").unwrap_or("").to_owned();
        let values: Vec<String> = v
            .get("Values")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let allowed: &[&str] = match key.as_str() {
            "CreatedTime" | "LastModifiedTime" => &["GreaterThan", "LessThan"],
            "LastModifiedBy" | "Source" | "Title" | "OperationalDataValue" => {
                &["Equal", "Contains"]
            }
            "ResourceId" => &["Contains"],
            "Priority" | "Status" | "OperationalData" | "OperationalDataKey" | "OpsItemId"
            | "AutomationId" | "AccountId" | "Severity" | "Category" | "OpsItemType"
            | "CreatedBy" => &["Equal"],
            "" => {
                return Err(validation(
                    "Value null at 'opsItemFilters.member.key' failed to satisfy constraint: Member must not be null",
                ));
            }
            other => {
                return Err(invalid_parameter(format!(
                    "The filter key {other} is not supported by the lab (supported: Status, Priority, Severity, Source, Title, OpsItemType, Category, CreatedTime, LastModifiedTime, LastModifiedBy, CreatedBy, OpsItemId, OperationalData, OperationalDataKey, OperationalDataValue, ResourceId, AutomationId, AccountId)."
                )));
            }
        };
        if !allowed.contains(&operator.as_str()) {
            return Err(invalid_parameter(format!(
                "The operator {operator} is not valid for the filter key {key}; use {}.",
                allowed.join(" or ")
            )));
        }
        if values.is_empty() {
            return Err(validation(format!(
                "The filter {key} needs at least one value."
            )));
        }
        match key.as_str() {
            "Status" => {
                if let Some(bad) = values.iter().find(|v| !STATUSES.contains(&v.as_str())) {
                    return Err(invalid_parameter(format!(
                        "The status {bad} is not valid; use one of {}.",
                        STATUSES.join(", ")
                    )));
                }
            }
            "Priority" => {
                if let Some(bad) = values.iter().find(|v| v.parse::<i64>().is_err()) {
                    return Err(invalid_parameter(format!(
                        "The priority {bad} is not a number from 1 to 5."
                    )));
                }
            }
            "CreatedTime" | "LastModifiedTime" => {
                if let Some(bad) = values.iter().find(|v| parse_time(v).is_none()) {
                    return Err(invalid_parameter(format!(
                        "The time {bad} is not an ISO-8601 date (2026-11-01T00:00:00Z) or epoch seconds."
                    )));
                }
            }
            "Title" if values.iter().any(|v| v.chars().count() > 100) => {
                return Err(validation(
                    "The Title filter value exceeds the length limit of 100 characters.",
                ));
            }
            _ => {}
        }
        Ok(Filter {
            key,
            operator,
            values,
        })
    }

    fn text_matches(&self, field: &str) -> bool {
        self.values.iter().any(|v| match self.operator.as_str() {
            "Contains" => field.contains(v.as_str()),
            _ => field == v,
        })
    }

    /// Whether `item` of the store of `account` passes this filter.
    fn matches(&self, item: &Item, account: &str) -> bool {
        match self.key.as_str() {
            "Status" => self.text_matches(&item.status),
            "Priority" => item
                .priority
                .is_some_and(|p| self.values.iter().any(|v| v.parse() == Ok(p))),
            "Severity" => item
                .severity
                .as_deref()
                .is_some_and(|s| self.text_matches(s)),
            "Category" => item
                .category
                .as_deref()
                .is_some_and(|s| self.text_matches(s)),
            "Source" => self.text_matches(&item.source),
            "Title" => self.text_matches(&item.title),
            "OpsItemType" => self.text_matches(&item.ops_type),
            "OpsItemId" => self.text_matches(&item.id),
            "CreatedBy" => self.text_matches(&item.created_by),
            "LastModifiedBy" => self.text_matches(&item.modified_by),
            "AccountId" => self.text_matches(account),
            "CreatedTime" | "LastModifiedTime" => {
                let t = if self.key == "CreatedTime" {
                    item.created
                } else {
                    item.modified
                };
                self.values.iter().filter_map(|v| parse_time(v)).any(|v| {
                    if self.operator == "GreaterThan" {
                        t > v
                    } else {
                        t < v
                    }
                })
            }
            "OperationalDataKey" => item.data.keys().any(|k| self.text_matches(k)),
            "OperationalDataValue" => item.data.values().any(|d| self.text_matches(&d.value)),
            "OperationalData" => self.values.iter().any(|v| {
                let Ok(pair) = serde_json::from_str::<Value>(v) else {
                    return false;
                };
                let (Some(k), Some(want)) = (str_field(&pair, "key"), str_field(&pair, "value"))
                else {
                    return false;
                };
                item.data.get(k).is_some_and(|d| d.value == want)
            }),
            "ResourceId" => item
                .data
                .get("/aws/resources")
                .is_some_and(|d| self.values.iter().any(|v| d.value.contains(v.as_str()))),
            "AutomationId" => item
                .data
                .get("/aws/automations")
                .is_some_and(|d| self.values.iter().any(|v| d.value.contains(v.as_str()))),
            _ => false,
        }
    }
}

fn check_priority(body: &Value) -> Result<Option<i64>, ApiError> {
    match body.get("Priority") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(p @ 1..=5) => Ok(Some(p)),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 5"
            ))),
        },
    }
}

fn check_severity(body: &Value) -> Result<Option<String>, ApiError> {
    match str_field(body, "Severity") {
        None => Ok(None),
        Some(s) if matches!(s, "1" | "2" | "3" | "4") => Ok(Some(s.to_owned())),
        Some(s) => Err(validation(format!(
            "1 validation error detected: Value '{s}' at 'severity' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[1-4]$"
        ))),
    }
}

fn check_text(
    body: &Value,
    key: &str,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match str_field(body, key) {
        None => Ok(None),
        Some(s) if s.trim().is_empty() || s.chars().count() > max => Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and {max}"
        ))),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn check_status(body: &Value) -> Result<Option<String>, ApiError> {
    match str_field(body, "Status") {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s) => Ok(Some(s.to_owned())),
        Some(s) => Err(validation(format!(
            "1 validation error detected: Value '{s}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            STATUSES.join(", ")
        ))),
    }
}

fn check_data(body: &Value) -> Result<BTreeMap<String, Data>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(map) = body.get("OperationalData").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (k, v) in map {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(invalid_parameter(format!(
                "The operational data key '{k}' must be 1 to 128 characters."
            )));
        }
        let lower = k.to_ascii_lowercase();
        if !SYSTEM_KEYS.contains(&k.as_str())
            && RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
        {
            return Err(invalid_parameter(format!(
                "The operational data key '{k}' is reserved: keys can't begin with amazon, aws, amzn, ssm, /amazon, /aws, /amzn or /ssm."
            )));
        }
        let value = str_field(v, "Value").unwrap_or("").to_owned();
        if value.len() > MAX_DATA_VALUE {
            return Err(invalid_parameter(format!(
                "The operational data value of '{k}' is {} bytes; the limit is 20 KB.",
                value.len()
            )));
        }
        let kind = str_field(v, "Type").unwrap_or("SearchableString");
        if kind != "SearchableString" && kind != "String" {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at 'operationalData.{k}.member.type' failed to satisfy constraint: Member must satisfy enum value set: [SearchableString, String]"
            )));
        }
        out.insert(
            k.clone(),
            Data {
                value,
                kind: kind.to_owned(),
            },
        );
    }
    Ok(out)
}

fn related_ids(body: &Value) -> Option<Vec<String>> {
    body.get("RelatedOpsItems")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| str_field(r, "OpsItemId").map(str::to_owned))
                .collect()
        })
}

fn notifications(body: &Value) -> Option<Vec<String>> {
    body.get("Notifications")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| str_field(r, "Arn").map(str::to_owned))
                .collect()
        })
}

/// CloudWatch metrics an alarm can watch: name, unit, threshold.
const SEED_METRICS: [(&str, &str, f64); 5] = [
    ("CPUUtilization", "Percent", 90.0),
    ("mem_used_percent", "Percent", 85.0),
    ("disk_used_percent", "Percent", 80.0),
    ("StatusCheckFailed", "Count", 1.0),
    ("NetworkOut", "Bytes", 5.0e9),
];

/// AWS Config rules a finding can name.
const SEED_CONFIG_RULES: [&str; 4] = [
    "ec2-managedinstance-patch-compliance-status-check",
    "ec2-managedinstance-association-compliance-status-check",
    "ec2-instance-managed-by-systems-manager",
    "restricted-ssh",
];

/// Security Hub controls a finding can name: id, text.
const SEED_HUB: [(&str, &str); 3] = [
    (
        "SSM.1",
        "EC2 instances should be managed by AWS Systems Manager",
    ),
    (
        "EC2.8",
        "EC2 instances should use Instance Metadata Service Version 2",
    ),
    (
        "SSM.2",
        "Managed instances should have a patch compliance status of COMPLIANT",
    ),
];

/// A seeded source event: when (epoch seconds), source, detail type, detail JSON.
type SeedEvent = (f64, &'static str, &'static str, String);

/// What a seeded finding says: title, description, source, category,
/// severity, created by.
type Finding = (
    String,
    String,
    &'static str,
    &'static str,
    &'static str,
    String,
);

/// A CloudWatch alarm in ALARM state on `node`, with its state changes.
fn seed_alarm(
    rng: &mut ChaCha8Rng,
    node: &LabNode,
    created: f64,
    data: &mut BTreeMap<String, Data>,
    events: &mut Vec<SeedEvent>,
) -> Finding {
    let drawn = rng.random_range(0..SEED_METRICS.len());
    let (metric, unit, threshold) = SEED_METRICS[metric_for(node, drawn)];
    let alarm = format!("{}-{metric}", node.name);
    let value = threshold * rng.random_range(1.02..1.3);
    data.insert(
        "AlarmName".into(),
        Data {
            value: alarm.clone(),
            kind: "SearchableString".into(),
        },
    );
    data.insert(
                "AlarmDetails".into(),
                Data {
                    value: json!({
                        "metric": metric, "namespace": if metric.contains('_') { "CWAgent" } else { "AWS/EC2" },
                        "threshold": threshold, "unit": unit, "statistic": "Average",
                        "period": 300, "evaluationPeriods": 3,
                        "dimensions": { "InstanceId": node.id },
                    })
                    .to_string(),
                    kind: "String".into(),
                },
            );
    data.insert(
                "/aws/automations".into(),
                Data {
                    value: json!([{ "automationType": "AWS::SSM::Automation", "automationId": "AWS-RestartEC2Instance" }]).to_string(),
                    kind: "SearchableString".into(),
                },
            );
    for step in 0..rng.random_range(1..4) {
        let state = if step % 2 == 0 { "ALARM" } else { "OK" };
        events.push((
                    created + f64::from(step) * 420.0,
                    "aws.cloudwatch",
                    "CloudWatch Alarm State Change",
                    json!({
                        "alarmName": alarm, "state": { "value": state,
                        "reason": format!("Threshold Crossed: 3 datapoints were greater than the threshold ({threshold}); the last one was {value:.1} {unit}") }
                    })
                    .to_string(),
                ));
    }
    (
        format!("CloudWatch alarm - '{alarm}' is in ALARM state"),
        format!(
            "{metric} on {} ({}) was above {threshold} {unit} for 3 periods of 5 minutes; the last datapoint was {value:.1}.",
            node.name, node.id
        ),
        "CloudWatch Alarm",
        "Performance",
        ["2", "2", "3", "3", "4"][rng.random_range(0..5)],
        format!(
            "arn:aws:sts::{LAB_ACCOUNT}:assumed-role/AWSServiceRoleForCloudWatchEvents/cloudwatch"
        ),
    )
}

/// An EC2 status check failure of `node`.
fn seed_status_check(
    rng: &mut ChaCha8Rng,
    node: &LabNode,
    created: f64,
    data: &mut BTreeMap<String, Data>,
    events: &mut Vec<SeedEvent>,
) -> Finding {
    data.insert(
                "StatusCheck".into(),
                Data {
                    value: json!({
                        "InstanceStatus": {"Status": "impaired", "Details": [{"Name": "reachability", "Status": "failed"}]},
                        "SystemStatus": {"Status": if rng.random_bool(0.3) { "impaired" } else { "ok" }},
                        "AvailabilityZone": if node.availability_zone.is_empty() { "on-premises" } else { node.availability_zone.as_str() },
                    })
                    .to_string(),
                    kind: "String".into(),
                },
            );
    events.push((
        created,
        "aws.ec2",
        "EC2 Instance Status Check Failure",
        json!({"instance-id": node.id, "check": "reachability", "status": "failed"}).to_string(),
    ));
    (
        format!(
            "EC2 instance status check failed: {} ({})",
            node.name, node.id
        ),
        format!(
            "The instance status check of {} has failed since {}: the instance does not answer ARP requests. Reboot it, or look at the system log.",
            node.id,
            crate::protocol::iso8601(created as i64)
        ),
        "EC2",
        "Availability",
        ["1", "1", "2"][rng.random_range(0..3)],
        format!(
            "arn:aws:sts::{LAB_ACCOUNT}:assumed-role/AWSServiceRoleForSystemsManagerOpsCenter/ec2"
        ),
    )
}

/// An AWS Config rule that found `node` NON_COMPLIANT.
fn seed_config(
    rng: &mut ChaCha8Rng,
    node: &LabNode,
    created: f64,
    data: &mut BTreeMap<String, Data>,
    events: &mut Vec<SeedEvent>,
) -> Finding {
    let rule = SEED_CONFIG_RULES[rng.random_range(0..SEED_CONFIG_RULES.len())];
    data.insert(
        "ConfigRuleName".into(),
        Data {
            value: rule.into(),
            kind: "SearchableString".into(),
        },
    );
    events.push((
                created,
                "aws.config",
                "Config Rules Compliance Change",
                json!({"configRuleName": rule, "resourceId": node.id, "newEvaluationResult": {"complianceType": "NON_COMPLIANT"}})
                    .to_string(),
            ));
    (
        format!("Config rule {rule} is NON_COMPLIANT: {}", node.name),
        format!(
            "AWS Config evaluated {} against {rule} and found it NON_COMPLIANT.",
            node.id
        ),
        "Config",
        "Security",
        ["2", "3", "3", "4"][rng.random_range(0..4)],
        format!("arn:aws:sts::{LAB_ACCOUNT}:assumed-role/AWSServiceRoleForConfig/config"),
    )
}

/// A Security Hub control that failed for `node`.
fn seed_hub(
    rng: &mut ChaCha8Rng,
    node: &LabNode,
    created: f64,
    events: &mut Vec<SeedEvent>,
) -> Finding {
    let (control, text) = SEED_HUB[rng.random_range(0..SEED_HUB.len())];
    events.push((
        created,
        "aws.securityhub",
        "Security Hub Findings - Imported",
        json!({"control": control, "resource": node.id, "severity": "MEDIUM"}).to_string(),
    ));
    (
        format!("{control} {text}: {}", node.name),
        format!("Security Hub control {control} failed for {}.", node.id),
        "Security Hub",
        "Security",
        ["2", "3", "4"][rng.random_range(0..3)],
        format!("arn:aws:sts::{LAB_ACCOUNT}:assumed-role/AWSServiceRoleForSecurityHub/securityhub"),
    )
}

impl OpsStore {
    /// Records automation execution `execution` on the first OpsItem that
    /// names managed node `node` in `/aws/resources` and suggests runbooks
    /// in `/aws/automations` (appended to that list, as the AWS console
    /// records a run from an OpsItem). Returns the OpsItem id, if any.
    pub(crate) fn link_automation(&mut self, node: &str, execution: &str) -> Option<String> {
        let item = self.items.values_mut().find(|i| {
            i.data
                .get("/aws/resources")
                .is_some_and(|d| d.value.contains(node))
                && i.data.contains_key("/aws/automations")
        })?;
        let d = item.data.get_mut("/aws/automations")?;
        let mut list: Vec<Value> = serde_json::from_str(&d.value).ok()?;
        list.push(json!({"automationType": "AWS::SSM::Automation", "automationId": execution}));
        d.value = Value::Array(list).to_string();
        Some(item.id.clone())
    }

    /// An empty store for `region`.
    pub fn new(region: &str) -> Self {
        OpsStore {
            region: region.to_owned(),
            account: LAB_ACCOUNT.to_owned(),
            rng: Some(ChaCha8Rng::seed_from_u64(0x0c5e)),
            ..OpsStore::default()
        }
    }

    /// A store of `account` in `region` whose new OpsItem ids are drawn
    /// from a stream salted with `salt` (0 for the lab's first tenant), so
    /// ids of different tenants differ.
    pub(crate) fn for_tenant(account: &str, region: &str, salt: u64) -> Self {
        OpsStore {
            account: account.to_owned(),
            rng: Some(ChaCha8Rng::seed_from_u64(0x0c5e ^ salt)),
            ..OpsStore::new(region)
        }
    }

    fn arn(&self, id: &str) -> String {
        format!("arn:aws:ssm:{}:{}:opsitem/{id}", self.region, self.account)
    }

    fn new_id(&mut self) -> String {
        let rng = self
            .rng
            .get_or_insert_with(|| ChaCha8Rng::seed_from_u64(0x0c5e));
        loop {
            let n: u64 = rng.random();
            let id = format!("oi-{:012x}", n & 0xffff_ffff_ffff);
            if !self.items.contains_key(&id) {
                return id;
            }
        }
    }

    fn find(&self, body: &Value) -> Result<&Item, ApiError> {
        let id = str_field(body, "OpsItemId").ok_or_else(|| {
            validation(
                "Value null at 'opsItemId' failed to satisfy constraint: Member must not be null",
            )
        })?;
        crate::validate::pattern("opsItemId", id, crate::validate::OPS_ITEM_ID)?;
        self.items.get(id).ok_or_else(|| {
            err(
                "OpsItemNotFoundException",
                format!("OpsItem {id} was not found in account {}.", self.account),
            )
        })
    }

    /// Answers an OpsCenter action; `None` when `action` is not one.
    pub fn handle(
        &mut self,
        action: &str,
        body: &Value,
        user: &str,
    ) -> Option<Result<Value, ApiError>> {
        // The OpsCenter list calls list no InvalidNextToken in the model: a
        // token they cannot read is the parameter error the model lists
        // (OpsItemInvalidParameterException), or for DescribeOpsItems, which
        // lists none, the common ValidationException.
        let token = |r: Result<Value, ApiError>, code: &'static str| {
            r.map_err(|e| {
                if e.code == "InvalidNextToken" {
                    ApiError {
                        code,
                        message: e.message,
                    }
                } else {
                    e
                }
            })
        };
        Some(match action {
            "CreateOpsItem" => self.create(body, user, now_s()),
            "DescribeOpsItems" => token(self.describe(body), "ValidationException"),
            "GetOpsItem" => self.get(body),
            "UpdateOpsItem" => self.update(body, user),
            "ListOpsItemEvents" => token(self.list_events(body), INVALID_PARAMETER),
            "ListOpsItemRelatedItems" => token(self.list_related(body), INVALID_PARAMETER),
            "AssociateOpsItemRelatedItem" => self.associate(body, user),
            "DisassociateOpsItemRelatedItem" => self.disassociate(body),
            _ => return None,
        })
    }

    fn create(&mut self, body: &Value, user: &str, now: f64) -> Result<Value, ApiError> {
        let required = |key: &str, field: &str, max: usize| -> Result<String, ApiError> {
            check_text(body, key, field, max)?.ok_or_else(|| {
                validation(format!(
                    "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
                ))
            })
        };
        let title = required("Title", "title", 1_024)?;
        let description = required("Description", "description", 2_048)?;
        let source = required("Source", "source", 128)?;
        let priority = check_priority(body)?;
        let severity = check_severity(body)?;
        let data = check_data(body)?;
        let ops_type = str_field(body, "OpsItemType")
            .unwrap_or("/aws/issue")
            .to_owned();
        let duplicate = data.get("/aws/dedup").and_then(|dedup| {
            self.items.values().find(|i| {
                i.status != "Resolved" && i.data.get("/aws/dedup").is_some_and(|d| d == dedup)
            })
        });
        if let Some(same) = duplicate {
            return Err(err(
                "OpsItemAlreadyExistsException",
                format!(
                    "The OpsItem already exists: {} has the same dedup string.",
                    same.id
                ),
            ));
        }
        let related = related_ids(body).unwrap_or_default();
        for r in &related {
            if !self.items.contains_key(r) {
                return Err(err(
                    "OpsItemNotFoundException",
                    format!("The related OpsItem {r} was not found."),
                ));
            }
        }
        let id = self.new_id();
        let item = Item {
            id: id.clone(),
            title,
            description,
            status: "Open".into(),
            priority,
            severity,
            category: str_field(body, "Category").map(str::to_owned),
            ops_type,
            created_by: user.to_owned(),
            created: now,
            modified_by: user.to_owned(),
            modified: now,
            data,
            notifications: notifications(body).unwrap_or_default(),
            related,
            version: 1,
            source,
        };
        self.items.insert(id.clone(), item);
        Ok(json!({"OpsItemId": id, "OpsItemArn": self.arn(&id)}))
    }

    fn describe(&self, body: &Value) -> Result<Value, ApiError> {
        let filters = body
            .get("OpsItemFilters")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(Filter::parse).collect::<Result<Vec<_>, _>>())
            .transpose()
            // The model lists no OpsItemInvalidParameterException for
            // DescribeOpsItems: a filter AWS refuses is a ValidationException.
            .map_err(|e| validation(e.message))?
            .unwrap_or_default();
        let mut matching: Vec<&Item> = self
            .items
            .values()
            .filter(|i| filters.iter().all(|f| f.matches(i, &self.account)))
            .collect();
        // Newest first, ids breaking ties, so pages are stable.
        matching.sort_by(|a, b| b.created.total_cmp(&a.created).then(a.id.cmp(&b.id)));
        let (page, next) = crate::commands::page(
            matching,
            |i| format!("{}{}", crate::paging::desc(i.created), i.id),
            body,
            50,
        )?;
        let summaries: Vec<Value> = page
            .into_iter()
            .map(|i| {
                let mut v = json!({
                    "OpsItemId": i.id,
                    "Title": i.title,
                    "Status": i.status,
                    "Source": i.source,
                    "OpsItemType": i.ops_type,
                    "CreatedBy": i.created_by,
                    "CreatedTime": i.created,
                    "LastModifiedBy": i.modified_by,
                    "LastModifiedTime": i.modified,
                    "OperationalData": data_json(&i.data, true),
                });
                if let Some(p) = i.priority {
                    v["Priority"] = json!(p);
                }
                if let Some(s) = &i.severity {
                    v["Severity"] = json!(s);
                }
                if let Some(c) = &i.category {
                    v["Category"] = json!(c);
                }
                v
            })
            .collect();
        Ok(crate::commands::listed("OpsItemSummaries", summaries, next))
    }

    fn get(&self, body: &Value) -> Result<Value, ApiError> {
        let i = self.find(body)?;
        let mut v = json!({
            "OpsItemId": i.id,
            "OpsItemArn": self.arn(&i.id),
            "Title": i.title,
            "Description": i.description,
            "Status": i.status,
            "Source": i.source,
            "OpsItemType": i.ops_type,
            "CreatedBy": i.created_by,
            "CreatedTime": i.created,
            "LastModifiedBy": i.modified_by,
            "LastModifiedTime": i.modified,
            "Version": i.version.to_string(),
            "OperationalData": data_json(&i.data, false),
            "Notifications": i.notifications.iter().map(|a| json!({"Arn": a})).collect::<Vec<_>>(),
            "RelatedOpsItems": i.related.iter().map(|r| json!({"OpsItemId": r})).collect::<Vec<_>>(),
        });
        if let Some(p) = i.priority {
            v["Priority"] = json!(p);
        }
        if let Some(s) = &i.severity {
            v["Severity"] = json!(s);
        }
        if let Some(c) = &i.category {
            v["Category"] = json!(c);
        }
        Ok(json!({ "OpsItem": v }))
    }

    fn update(&mut self, body: &Value, user: &str) -> Result<Value, ApiError> {
        let id = self.find(body)?.id.clone();
        // Validate everything before changing anything.
        let title = check_text(body, "Title", "title", 1_024)?;
        let description = check_text(body, "Description", "description", 2_048)?;
        let status = check_status(body)?;
        let priority = check_priority(body)?;
        let severity = check_severity(body)?;
        let data = check_data(body)?;
        let to_delete: Vec<String> = body
            .get("OperationalDataToDelete")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let related = related_ids(body);
        if let Some(r) = related
            .iter()
            .flatten()
            .find(|r| !self.items.contains_key(*r) || **r == id)
        {
            return Err(if *r == id {
                invalid_parameter(format!("An OpsItem can't be related to itself ({r})."))
            } else {
                err(
                    "OpsItemNotFoundException",
                    format!("The related OpsItem {r} was not found."),
                )
            });
        }
        let notes = notifications(body);
        let item = self.items.get_mut(&id).expect("found above");
        if let Some(t) = title {
            item.title = t;
        }
        if let Some(d) = description {
            item.description = d;
        }
        if let Some(s) = status {
            item.status = s;
        }
        if priority.is_some() {
            item.priority = priority;
        }
        if severity.is_some() {
            item.severity = severity;
        }
        if let Some(c) = str_field(body, "Category") {
            item.category = Some(c.to_owned());
        }
        for k in &to_delete {
            item.data.remove(k);
        }
        item.data.extend(data);
        if let Some(r) = related {
            item.related = r;
        }
        if let Some(n) = notes {
            item.notifications = n;
        }
        item.modified = now_s().max(item.modified + 0.001);
        item.modified_by = user.to_owned();
        item.version += 1;
        Ok(json!({}))
    }

    fn item_filter(body: &Value, allowed: &[&str]) -> Result<Vec<(String, Vec<String>)>, ApiError> {
        let mut out = Vec::new();
        for f in body
            .get("Filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = str_field(f, "Key").unwrap_or("");
            if !allowed.contains(&key) {
                return Err(validation(format!(
                    "1 validation error detected: Value '{key}' at 'filters.member.key' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                )));
            }
            let op = str_field(f, "Operator").unwrap_or("");
            if op != "Equal" {
                return Err(validation(format!(
                    "1 validation error detected: Value '{op}' at 'filters.member.operator' failed to satisfy constraint: Member must satisfy enum value set: [Equal]"
                )));
            }
            let values = f
                .get("Values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.push((key.to_owned(), values));
        }
        Ok(out)
    }

    fn list_events(&self, body: &Value) -> Result<Value, ApiError> {
        let filters = Self::item_filter(body, &["OpsItemId"])?;
        let events: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| filters.iter().all(|(_, v)| v.contains(&e.ops_item_id)))
            .collect();
        let (page, next) = crate::commands::page(
            events,
            |e| format!("{}{}", crate::paging::desc(e.created), e.event_id),
            body,
            50,
        )?;
        let list: Vec<Value> = page
            .into_iter()
            .map(|e| {
                json!({
                    "OpsItemId": e.ops_item_id,
                    "EventId": e.event_id,
                    "Source": e.source,
                    "DetailType": e.detail_type,
                    "Detail": e.detail,
                    "CreatedBy": {"Arn": e.created_by},
                    "CreatedTime": e.created,
                })
            })
            .collect();
        Ok(crate::commands::listed("Summaries", list, next))
    }

    fn list_related(&self, body: &Value) -> Result<Value, ApiError> {
        let filters = Self::item_filter(body, &["ResourceType", "AssociationId", "ResourceUri"])?;
        // The model lists no not-found error for ListOpsItemRelatedItems: an
        // OpsItem the account does not have simply has no related items.
        let id = str_field(body, "OpsItemId");
        if let Some(id) = id {
            crate::validate::pattern("opsItemId", id, crate::validate::OPS_ITEM_ID)?;
        }
        let items: Vec<&Related> = self
            .related
            .iter()
            .filter(|r| id.is_none_or(|id| r.ops_item_id == id))
            .filter(|r| {
                filters.iter().all(|(k, v)| {
                    let field = match k.as_str() {
                        "ResourceType" => &r.resource_type,
                        "AssociationId" => &r.association_id,
                        _ => &r.resource_uri,
                    };
                    v.contains(field)
                })
            })
            .collect();
        let (page, next) = crate::commands::page(
            items,
            |r| format!("{}{}", crate::paging::asc(r.created), r.association_id),
            body,
            50,
        )?;
        let list: Vec<Value> = page
            .into_iter()
            .map(|r| {
                json!({
                    "OpsItemId": r.ops_item_id,
                    "AssociationId": r.association_id,
                    "ResourceType": r.resource_type,
                    "AssociationType": r.association_type,
                    "ResourceUri": r.resource_uri,
                    "CreatedBy": {"Arn": r.created_by},
                    "CreatedTime": r.created,
                    "LastModifiedBy": {"Arn": r.created_by},
                    "LastModifiedTime": r.created,
                })
            })
            .collect();
        Ok(crate::commands::listed("Summaries", list, next))
    }

    fn associate(&mut self, body: &Value, user: &str) -> Result<Value, ApiError> {
        let id = self.find(body)?.id.clone();
        let rtype = str_field(body, "ResourceType").unwrap_or("");
        if !matches!(
            rtype,
            "AWS::SSMIncidents::IncidentRecord" | "AWS::SSM::Document"
        ) {
            return Err(invalid_parameter(format!(
                "The resource type '{rtype}' can't be associated; OpsCenter supports AWS::SSMIncidents::IncidentRecord and AWS::SSM::Document."
            )));
        }
        let uri = str_field(body, "ResourceUri").unwrap_or("").to_owned();
        let atype = str_field(body, "AssociationType").unwrap_or("").to_owned();
        if uri.is_empty() || atype.is_empty() {
            return Err(validation("ResourceUri and AssociationType are required."));
        }
        if self
            .related
            .iter()
            .any(|r| r.ops_item_id == id && r.resource_uri == uri)
        {
            return Err(err(
                "OpsItemRelatedItemAlreadyExistsException",
                format!("{uri} is already associated with {id}."),
            ));
        }
        let n: u64 = self
            .rng
            .get_or_insert_with(|| ChaCha8Rng::seed_from_u64(0x0c5e))
            .random();
        let association_id = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            n as u32,
            (n >> 32) as u16,
            (n >> 48) & 0xfff,
            (n >> 20) & 0xfff,
            n & 0xffff_ffff_ffff
        );
        self.related.push(Related {
            ops_item_id: id,
            association_id: association_id.clone(),
            resource_type: rtype.to_owned(),
            association_type: atype,
            resource_uri: uri,
            created_by: user.to_owned(),
            created: now_s(),
        });
        Ok(json!({ "AssociationId": association_id }))
    }

    fn disassociate(&mut self, body: &Value) -> Result<Value, ApiError> {
        let id = self.find(body)?.id.clone();
        let assoc = str_field(body, "AssociationId").unwrap_or("");
        let before = self.related.len();
        self.related
            .retain(|r| !(r.ops_item_id == id && r.association_id == assoc));
        if self.related.len() == before {
            return Err(err(
                "OpsItemRelatedItemAssociationNotFoundException",
                format!("The association {assoc} of {id} was not found."),
            ));
        }
        Ok(json!({}))
    }

    /// Seeds `count` realistic OpsItems about `nodes`: CloudWatch alarms,
    /// EC2 status check failures, Config findings and Security Hub findings,
    /// across statuses, priorities, severities and ages (up to 30 days
    /// before `now`, epoch seconds), each with its source events, some with
    /// related OpsItems and a runbook document association.
    pub fn seed(&mut self, seed: u64, count: usize, nodes: &[LabNode], now: f64) {
        if nodes.is_empty() {
            return;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0b5c);
        self.rng = Some(ChaCha8Rng::seed_from_u64(seed ^ 0x1d5));
        let mut ids = Vec::with_capacity(count);
        for n in 0..count {
            let pick = rng.random_range(0..nodes.len());
            let age = rng.random_range(300.0..86_400.0 * 30.0);
            let created = (now - age).floor() + f64::from(n as u32 % 1000) / 1000.0;
            // The first item is always an open, critical status check
            // failure, so every preset has one to triage.
            let kind = if n == 0 { 4 } else { rng.random_range(0..10) };
            let (node, kind) = subject(nodes, pick, kind);
            let arn = if node.is_hybrid() {
                format!(
                    "arn:aws:ssm:{}:{}:managed-instance/{}",
                    self.region, self.account, node.id
                )
            } else {
                format!(
                    "arn:aws:ec2:{}:{}:instance/{}",
                    self.region, self.account, node.id
                )
            };
            let mut data = BTreeMap::new();
            data.insert(
                "/aws/resources".to_owned(),
                Data {
                    value: json!([{ "arn": arn }]).to_string(),
                    kind: "SearchableString".into(),
                },
            );
            let mut events = Vec::new();
            let finding = match kind {
                0..=3 => seed_alarm(&mut rng, node, created, &mut data, &mut events),
                4..=5 => seed_status_check(&mut rng, node, created, &mut data, &mut events),
                6..=8 => seed_config(&mut rng, node, created, &mut data, &mut events),
                _ => seed_hub(&mut rng, node, created, &mut events),
            };
            let (title, description, source, category, severity, created_by) = finding;
            // The seed texts name the service roles of the lab's first
            // account; an item of another tenant names its own account.
            let created_by = created_by.replace(LAB_ACCOUNT, &self.account);
            let severity = if n == 0 { "1" } else { severity };
            let roll: f64 = rng.random();
            let status = if roll < 0.5 || n == 0 {
                "Open"
            } else if roll < 0.7 {
                "InProgress"
            } else {
                "Resolved"
            };
            let modified = if status == "Open" {
                created + 1.0
            } else {
                created + rng.random_range(60.0..age.max(61.0))
            };
            let modified_by = if status == "Open" {
                created_by.clone()
            } else {
                format!(
                    "arn:aws:sts::{}:assumed-role/OnCall/{}",
                    self.account,
                    ["alice", "bob", "chen", "dana"][rng.random_range(0..4)]
                )
            };
            let id = self.new_id();
            for (i, (at, src, detail_type, detail)) in events.into_iter().enumerate() {
                self.events.push(Event {
                    ops_item_id: id.clone(),
                    event_id: format!("{id}-e{i}"),
                    source: src.into(),
                    detail_type: detail_type.into(),
                    detail,
                    created_by: created_by.clone(),
                    created: at,
                });
            }
            if kind <= 3 && rng.random_bool(0.3) {
                self.related.push(Related {
                    ops_item_id: id.clone(),
                    association_id: format!("{id}-runbook"),
                    resource_type: "AWS::SSM::Document".into(),
                    association_type: "RelatesTo".into(),
                    resource_uri: format!(
                        "arn:aws:ssm:{}::document/AWS-RestartEC2Instance",
                        self.region
                    ),
                    created_by: created_by.clone(),
                    created,
                });
            }
            // Items about the same node relate to each other now and then.
            let related = ids
                .iter()
                .rev()
                .take(40)
                .find(|(_, other): &&(String, String)| *other == node.id && rng.random_bool(0.5))
                .map(|(oid, _)| vec![oid.clone()])
                .unwrap_or_default();
            self.items.insert(
                id.clone(),
                Item {
                    id: id.clone(),
                    title,
                    description,
                    status: status.into(),
                    priority: Some(rng.random_range(1..=5)),
                    severity: Some(severity.into()),
                    source: source.into(),
                    category: Some(category.into()),
                    ops_type: "/aws/issue".into(),
                    created_by,
                    created,
                    modified_by,
                    modified,
                    data,
                    notifications: if rng.random_bool(0.2) {
                        vec![format!(
                            "arn:aws:sns:{}:{}:oncall-pager",
                            self.region, self.account
                        )]
                    } else {
                        Vec::new()
                    },
                    related,
                    version: if status == "Open" { 1 } else { 2 },
                },
            );
            ids.push((id, node.id.clone()));
        }
    }

    /// Every OpsItem as the attributes GetOpsSummary aggregates and filters
    /// on ([`SUMMARY_ATTRIBUTES`]): name to value, an attribute the item
    /// lacks (no severity) left out.
    pub(crate) fn summary_rows(&self) -> Vec<BTreeMap<&'static str, String>> {
        self.items
            .values()
            .map(|i| {
                let mut row = BTreeMap::new();
                row.insert("Status", i.status.clone());
                row.insert("Source", i.source.clone());
                row.insert("OpsItemType", i.ops_type.clone());
                row.insert("Title", i.title.clone());
                if let Some(p) = i.priority {
                    row.insert("Priority", p.to_string());
                }
                if let Some(s) = &i.severity {
                    row.insert("Severity", s.clone());
                }
                if let Some(c) = &i.category {
                    row.insert("Category", c.clone());
                }
                row
            })
            .collect()
    }

    /// Number of OpsItems.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> OpsStore {
        let mut s = OpsStore::new("us-east-1");
        let nodes = crate::FleetSpec::small().generate();
        s.seed(5, 40, &nodes, 1_800_000_000.0);
        s
    }

    #[test]
    fn seeding_is_deterministic_and_varied() {
        let a = store();
        let b = store();
        assert_eq!(a.len(), 40);
        assert_eq!(
            a.items.keys().collect::<Vec<_>>(),
            b.items.keys().collect::<Vec<_>>()
        );
        let sources: std::collections::BTreeSet<_> =
            a.items.values().map(|i| i.source.as_str()).collect();
        assert!(sources.contains("CloudWatch Alarm"), "{sources:?}");
        assert!(sources.contains("EC2"), "{sources:?}");
        assert!(sources.contains("Config"), "{sources:?}");
        let sev: std::collections::BTreeSet<_> = a
            .items
            .values()
            .filter_map(|i| i.severity.as_deref())
            .collect();
        assert!(sev.len() >= 3, "{sev:?}");
        assert!(
            a.items
                .values()
                .all(|i| i.data.contains_key("/aws/resources"))
        );
        assert!(!a.events.is_empty());
    }

    #[test]
    fn filters_check_operators_per_key() {
        let s = store();
        let bad = json!({"OpsItemFilters": [{"Key": "Status", "Operator": "Contains", "Values": ["Open"]}]});
        let e = s.describe(&bad).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("Equal"), "{}", e.message);
        let ok = json!({"OpsItemFilters": [
            {"Key": "Status", "Operator": "Equal", "Values": ["Open", "InProgress"]},
            {"Key": "Severity", "Operator": "Equal", "Values": ["1", "2"]}
        ], "MaxResults": 50});
        let v = s.describe(&ok).unwrap();
        let list = v["OpsItemSummaries"].as_array().unwrap();
        let expected = s
            .items
            .values()
            .filter(|i| i.status != "Resolved")
            .filter(|i| matches!(i.severity.as_deref(), Some("1" | "2")))
            .count();
        assert_eq!(list.len(), expected);
        assert!(expected > 0);
    }

    #[test]
    fn update_validates_before_changing() {
        let mut s = store();
        let id = s.items.keys().next().unwrap().clone();
        let before = s.items[&id].clone();
        let e = s
            .update(
                &json!({"OpsItemId": id, "Status": "Resolved", "Priority": 7}),
                "u",
            )
            .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("priority"), "{}", e.message);
        assert_eq!(s.items[&id].status, before.status);
        let e = s
            .update(&json!({"OpsItemId": id, "Status": "Done"}), "u")
            .unwrap_err();
        assert!(e.message.contains("status"), "{}", e.message);
        let e = s
            .update(
                &json!({"OpsItemId": id, "OperationalData": {"aws:x": {"Value": "v", "Type": "String"}}}),
                "u",
            )
            .unwrap_err();
        assert_eq!(e.code, "OpsItemInvalidParameterException");
        s.update(
            &json!({"OpsItemId": id, "Status": "InProgress", "OperationalDataToDelete": ["/aws/resources"],
                    "OperationalData": {"note": {"Value": "hi", "Type": "String"}}}),
            "me",
        )
        .unwrap();
        let i = &s.items[&id];
        assert_eq!(i.status, "InProgress");
        assert_eq!(i.modified_by, "me");
        assert!(i.modified > before.modified);
        assert!(!i.data.contains_key("/aws/resources"));
        assert_eq!(i.data["note"].value, "hi");
    }

    #[test]
    fn create_requires_title_description_source() {
        let mut s = OpsStore::new("us-east-1");
        let e = s
            .create(&json!({"Description": "d", "Source": "s"}), "u", 1.0)
            .unwrap_err();
        assert!(e.message.contains("'title'"), "{}", e.message);
        let v = s
            .create(
                &json!({"Title": "t", "Description": "d", "Source": "s", "Priority": 2, "Severity": "1"}),
                "u",
                1.0,
            )
            .unwrap();
        assert!(v["OpsItemId"].as_str().unwrap().starts_with("oi-"));
        assert_eq!(s.len(), 1);
    }
}
