//! The AWS-owned default patch baselines (one per operating system, plus
//! the two predefined Windows ones) and SSM `DescribePatchBaselines`,
//! `GetPatchBaseline`, `GetDefaultPatchBaseline`. Ids are those moto ships
//! for us-east-1 (owned by AWS's account 075727635805), in every region;
//! the lab has no baselines of its own (Owner `Self` lists none).

use serde_json::{Value, json};

use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};

/// The account AWS's baselines belong to (as moto reports them).
pub const AWS_ACCOUNT: &str = "075727635805";

/// The model's `OperatingSystem` values.
pub const OPERATING_SYSTEMS: [&str; 15] = [
    "WINDOWS",
    "AMAZON_LINUX",
    "AMAZON_LINUX_2",
    "AMAZON_LINUX_2022",
    "UBUNTU",
    "REDHAT_ENTERPRISE_LINUX",
    "SUSE",
    "CENTOS",
    "ORACLE_LINUX",
    "DEBIAN",
    "MACOS",
    "RASPBIAN",
    "ROCKY_LINUX",
    "ALMA_LINUX",
    "AMAZON_LINUX_2023",
];

/// One AWS baseline: (operating system, name, id, description, default).
type Baseline = (&'static str, &'static str, &'static str, &'static str, bool);

const BASELINES: &[Baseline] = &[
    (
        "ALMA_LINUX",
        "AWS-AlmaLinuxDefaultPatchBaseline",
        "pb-0cb0c4966f86b059b",
        "Default Patch Baseline for Alma Linux Provided by AWS.",
        true,
    ),
    (
        "AMAZON_LINUX",
        "AWS-AmazonLinuxDefaultPatchBaseline",
        "pb-0c10e657807c7a700",
        "Default Patch Baseline for Amazon Linux Provided by AWS.",
        true,
    ),
    (
        "AMAZON_LINUX_2",
        "AWS-AmazonLinux2DefaultPatchBaseline",
        "pb-0be8c61cde3be63f3",
        "Default Patch Baseline for Amazon Linux 2 Provided by AWS.",
        true,
    ),
    (
        "AMAZON_LINUX_2022",
        "AWS-AmazonLinux2022DefaultPatchBaseline",
        "pb-0028ca011460d5eaf",
        "Default Patch Baseline for Amazon Linux 2022 Provided by AWS.",
        true,
    ),
    (
        "AMAZON_LINUX_2023",
        "AWS-AmazonLinux2023DefaultPatchBaseline",
        "pb-05c9c9bf778d4c4d0",
        "Default Patch Baseline for Amazon Linux 2023 Provided by AWS.",
        true,
    ),
    (
        "CENTOS",
        "AWS-CentOSDefaultPatchBaseline",
        "pb-03e3f588eec25344c",
        "Default Patch Baseline for CentOS Provided by AWS.",
        true,
    ),
    (
        "DEBIAN",
        "AWS-DebianDefaultPatchBaseline",
        "pb-09a5f8eb62bde80b1",
        "Default Patch Baseline for Debian Provided by AWS.",
        true,
    ),
    (
        "MACOS",
        "AWS-MacOSDefaultPatchBaseline",
        "pb-0ee4f94581368c0d4",
        "Default Patch Baseline for MacOS Provided by AWS.",
        true,
    ),
    (
        "ORACLE_LINUX",
        "AWS-OracleLinuxDefaultPatchBaseline",
        "pb-06bff38e95fe85c02",
        "Default Patch Baseline for Oracle Linux Provided by AWS.",
        true,
    ),
    (
        "RASPBIAN",
        "AWS-RaspbianDefaultPatchBaseline",
        "pb-0ec16280999c5c75e",
        "Default Patch Baseline for Raspbian Provided by AWS.",
        true,
    ),
    (
        "REDHAT_ENTERPRISE_LINUX",
        "AWS-RedHatDefaultPatchBaseline",
        "pb-0cbb3a633de00f07c",
        "Default Patch Baseline for Redhat Enterprise Linux Provided by AWS.",
        true,
    ),
    (
        "ROCKY_LINUX",
        "AWS-RockyLinuxDefaultPatchBaseline",
        "pb-03ec98bc512aa3ac0",
        "Default Patch Baseline for Rocky Linux Provided by AWS.",
        true,
    ),
    (
        "SUSE",
        "AWS-SuseDefaultPatchBaseline",
        "pb-07d8884178197b66b",
        "Default Patch Baseline for Suse Provided by AWS.",
        true,
    ),
    (
        "UBUNTU",
        "AWS-UbuntuDefaultPatchBaseline",
        "pb-0c7e89f711c3095f4",
        "Default Patch Baseline for Ubuntu Provided by AWS.",
        true,
    ),
    (
        "WINDOWS",
        "AWS-DefaultPatchBaseline",
        "pb-09ca3fb51f0412ec3",
        "Default Patch Baseline Provided by AWS.",
        true,
    ),
    (
        "WINDOWS",
        "AWS-WindowsPredefinedPatchBaseline-OS",
        "pb-0e4d1b4bc0a8fa6f5",
        "Windows Predefined Patch Baseline for OS",
        false,
    ),
    (
        "WINDOWS",
        "AWS-WindowsPredefinedPatchBaseline-OS-Applications",
        "pb-0b0d5a2cc3f0b8f21",
        "Windows Predefined Patch Baseline for OS and Applications",
        false,
    ),
];

/// The `OperatingSystem` of node `n`'s platform.
pub fn os_of(n: &LabNode) -> &'static str {
    let name = n.platform_name.to_ascii_lowercase();
    match n.platform_type.as_str() {
        "Windows" => return "WINDOWS",
        "MacOS" => return "MACOS",
        _ => {}
    }
    for (needle, os) in [
        ("ubuntu", "UBUNTU"),
        ("debian", "DEBIAN"),
        ("raspbian", "RASPBIAN"),
        ("red hat", "REDHAT_ENTERPRISE_LINUX"),
        ("suse", "SUSE"),
        ("centos", "CENTOS"),
        ("oracle", "ORACLE_LINUX"),
        ("rocky", "ROCKY_LINUX"),
        ("alma", "ALMA_LINUX"),
    ] {
        if name.contains(needle) {
            return os;
        }
    }
    match n.platform_version.as_str() {
        "2" => "AMAZON_LINUX_2",
        "2022" => "AMAZON_LINUX_2022",
        v if v.starts_with("2018") || v == "1" => "AMAZON_LINUX",
        _ => "AMAZON_LINUX_2023",
    }
}

fn arn(id: &str, region: &str) -> String {
    format!("arn:aws:ssm:{region}:{AWS_ACCOUNT}:patchbaseline/{id}")
}

/// The ARN of the default baseline of `os` in `region`.
pub fn default_arn(os: &str, region: &str) -> String {
    let b = BASELINES
        .iter()
        .find(|b| b.0 == os && b.4)
        .unwrap_or(&BASELINES[4]);
    arn(b.2, region)
}

fn identity(b: &Baseline, region: &str) -> Value {
    json!({
        "BaselineId": arn(b.2, region),
        "BaselineName": b.1,
        "OperatingSystem": b.0,
        "BaselineDescription": b.3,
        "DefaultBaseline": b.4,
    })
}

/// SSM `DescribePatchBaselines`: `Filters` NAME_PREFIX, OWNER (`AWS`,
/// `Self`, `All`), OPERATING_SYSTEM (any value matching; others are a
/// `ValidationException`, the model listing no filter error), paged by
/// name with `MaxResults` 1 … 100 (default 100).
///
/// # Errors
/// `ValidationException`, `InvalidNextToken`.
pub fn describe_patch_baselines(region: &str, body: &Value) -> Result<Value, ApiError> {
    let mut rows: Vec<&Baseline> = BASELINES.iter().collect();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&format!("filters.{}.member.key", i + 1), key, 1, 128)?;
        let values: Vec<&str> = f
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let test: fn(&Baseline, &str) -> bool = match key {
            "NAME_PREFIX" => |b, v| b.1.starts_with(v),
            "OWNER" => |_, v| v == "AWS" || v == "All",
            "OPERATING_SYSTEM" => |b, v| b.0 == v,
            _ => {
                return Err(validation(format!(
                    "The filter key {key} isn't valid. Valid filter keys: NAME_PREFIX, OWNER, OPERATING_SYSTEM."
                )));
            }
        };
        rows.retain(|b| values.iter().any(|v| test(b, v)));
    }
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 100,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=100) => n as usize,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"
                )));
            }
        },
    };
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(rows, |b| b.1.to_owned(), token, max)
        .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))?;
    let list = page.into_iter().map(|b| identity(b, region)).collect();
    Ok(crate::commands::listed("BaselineIdentities", list, next))
}

/// The approval rules of the AWS baseline of `os` (the published rules:
/// security updates of the highest severities and, on Linux, bug fixes,
/// approved 7 days after release; Ubuntu and Debian by priority, with no
/// delay).
fn approval_rules(os: &str, name: &str) -> Value {
    let rule = |filters: Value, days: Option<u32>| {
        let mut r = json!({
            "PatchFilterGroup": {"PatchFilters": filters},
            "ComplianceLevel": "UNSPECIFIED",
            "EnableNonSecurity": false,
        });
        if let Some(d) = days {
            r["ApproveAfterDays"] = json!(d);
        }
        r
    };
    let f = |k: &str, v: &[&str]| json!({"Key": k, "Values": v});
    let rules = match os {
        "WINDOWS" => {
            let mut classes = vec!["CriticalUpdates", "SecurityUpdates"];
            if name.ends_with("Applications") || name == "AWS-DefaultPatchBaseline" {
                classes.push("Updates");
            }
            vec![rule(
                json!([
                    f("CLASSIFICATION", &classes),
                    f("MSRC_SEVERITY", &["Critical", "Important"])
                ]),
                Some(7),
            )]
        }
        "UBUNTU" | "DEBIAN" | "RASPBIAN" => vec![rule(
            json!([f(
                "PRIORITY",
                &["Required", "Important", "Standard", "Optional", "Extra"]
            )]),
            None,
        )],
        "MACOS" => vec![rule(
            json!([f("CLASSIFICATION", &["Security", "Software"])]),
            Some(0),
        )],
        _ => vec![
            rule(
                json!([
                    f("CLASSIFICATION", &["Security"]),
                    f("SEVERITY", &["Critical", "Important"])
                ]),
                Some(7),
            ),
            rule(json!([f("CLASSIFICATION", &["Bugfix"])]), Some(7)),
        ],
    };
    json!({"PatchRules": rules})
}

/// SSM `GetPatchBaseline`: `BaselineId` (required, 20 … 128 characters
/// of `^[a-zA-Z0-9_\-:/]{20,128}$`: an AWS baseline's ARN or its `pb-…`
/// id).
///
/// # Errors
/// `ValidationException`, `DoesNotExistException` for another id.
pub fn get_patch_baseline(region: &str, body: &Value) -> Result<Value, ApiError> {
    let Some(id) = body.get("BaselineId").and_then(Value::as_str) else {
        return Err(validation(
            "1 validation error detected: Value null at 'baselineId' failed to satisfy constraint: Member must not be null",
        ));
    };
    crate::validate::length("baselineId", id, 20, 128)?;
    crate::validate::pattern("baselineId", id, crate::validate::BASELINE_ID)?;
    let short = id.rsplit_once('/').map_or(id, |(_, s)| s);
    let b = BASELINES
        .iter()
        .find(|b| b.2 == short && (id == short || id == arn(b.2, region)))
        .ok_or_else(|| {
            err(
                "DoesNotExistException",
                format!("Patch Baseline {id} does not exist."),
            )
        })?;
    Ok(json!({
        "BaselineId": arn(b.2, region),
        "Name": b.1,
        "OperatingSystem": b.0,
        "GlobalFilters": {"PatchFilters": []},
        "ApprovalRules": approval_rules(b.0, b.1),
        "ApprovedPatches": [],
        "ApprovedPatchesComplianceLevel": "UNSPECIFIED",
        "ApprovedPatchesEnableNonSecurity": false,
        "RejectedPatches": [],
        "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY",
        "PatchGroups": [],
        "CreatedDate": 1_672_531_200.0,
        "ModifiedDate": 1_706_745_600.0,
        "Description": b.3,
        "Sources": [],
    }))
}

/// SSM `GetDefaultPatchBaseline`: the default baseline of
/// `OperatingSystem` (default `WINDOWS`, as AWS).
///
/// # Errors
/// `ValidationException` for a value outside the model's enum.
pub fn get_default_patch_baseline(region: &str, body: &Value) -> Result<Value, ApiError> {
    let os = body
        .get("OperatingSystem")
        .and_then(Value::as_str)
        .unwrap_or("WINDOWS");
    if !OPERATING_SYSTEMS.contains(&os) {
        return Err(validation(format!(
            "1 validation error detected: Value '{os}' at 'operatingSystem' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            OPERATING_SYSTEMS.join(", ")
        )));
    }
    Ok(json!({"BaselineId": default_arn(os, region), "OperatingSystem": os}))
}
