//! AWS-RunPatchBaseline, the Command document Patch Manager runs, as the
//! Run Command engine runs it on a lab node (no process: the node's patch
//! record changes and the plugin prints the patch summary).
//!
//! Parameters (the document's own): `Operation` (required, `Scan` or
//! `Install`), `RebootOption` (`RebootIfNeeded`, the default, or
//! `NoReboot`), `SnapshotId` (empty or a UUID), `InstallOverrideList` and
//! `BaselineOverride` (empty, an `https://` URL or an `s3://bucket/key`
//! path; the lab records them but reads no list). Bad values are refused
//! at SendCommand with `InvalidParameters`.
//!
//! Per node: Scan records a new Scan operation (new times, the same
//! patches; a node never scanned gets its first state). Install moves
//! every Missing and Failed patch to Installed, or with `NoReboot` to
//! InstalledPendingReboot (and records LastNoRebootInstallOperationTime).
//! With `RebootIfNeeded`, a node that installed something or had patches
//! pending a reboot reboots: it is `ConnectionLost` for
//! [`crate::LabHandle::set_patch_reboot_ms`] then `Online` again, its
//! pending patches Installed, and only then does its invocation end. A
//! node whose agent fails every command (the fleet spec's
//! `failing_share`) fails an Install with its Missing patches moved to
//! Failed, and fails a Scan leaving its state as it was.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};

use super::catalog::ItemState;
use super::store::uuid_of;
use crate::LabState;
use crate::distributor::Outcome;
use crate::fleet::{LabNode, PingStatus};
use crate::params::{ApiError, err};

/// The document's name.
pub(crate) const DOCUMENT: &str = "AWS-RunPatchBaseline";
/// The platforms it runs on.
pub(crate) const PLATFORMS: &[&str] = &["Windows", "Linux", "MacOS"];
/// Its description.
pub(crate) const DESCRIPTION: &str =
    "Scans for or installs patches from a patch baseline to a Linux, Windows, or macOS instance.";

/// The plugin (step) that runs on a node of `platform`.
pub(crate) fn plugin(platform: &str) -> &'static str {
    match platform {
        "Windows" => "PatchWindows",
        "MacOS" => "PatchMacOS",
        _ => "PatchLinux",
    }
}

const URL_PATTERN: &str = r"(^$)|^https://.+$|^s3://([^/]+)/(.*?([^/]+))$";
const SNAPSHOT_PATTERN: &str =
    r"(^$)|^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$";

/// The declared parameters: (name, description, default, allowed values,
/// allowed pattern).
type Param = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    Option<&'static str>,
);

const PARAMETERS: [Param; 5] = [
    (
        "Operation",
        "(Required) The update or configuration to perform on the instance. The system checks if patches specified in the patch baseline are installed on the instance. The install operation installs patches missing from the baseline.",
        None,
        &["Scan", "Install"],
        None,
    ),
    (
        "SnapshotId",
        "(Optional) The snapshot ID to use to retrieve a patch baseline snapshot.",
        Some(""),
        &[],
        Some(SNAPSHOT_PATTERN),
    ),
    (
        "InstallOverrideList",
        "(Optional) An https URL or an Amazon S3 path-style URL to the list of patches to be installed. This patch installation list overrides the patches specified by the default patch baseline.",
        Some(""),
        &[],
        Some(URL_PATTERN),
    ),
    (
        "BaselineOverride",
        "(Optional) Defines the basic information about a patch baseline override.",
        Some(""),
        &[],
        Some(URL_PATTERN),
    ),
    (
        "RebootOption",
        "(Optional) Reboot behavior after a patch Install operation. If you choose NoReboot and patches are installed, the instance is marked as non-compliant until a subsequent reboot and scan.",
        Some("RebootIfNeeded"),
        &["RebootIfNeeded", "NoReboot"],
        None,
    ),
];

/// DescribeDocument's `Parameters` of the document.
pub(crate) fn parameter_descriptions() -> Value {
    Value::Array(
        PARAMETERS
            .iter()
            .map(|(name, description, default, _, _)| {
                let mut v = json!({"Name": name, "Type": "String", "Description": description});
                if let Some(d) = default {
                    v["DefaultValue"] = json!(d);
                }
                v
            })
            .collect(),
    )
}

/// GetDocument's `Content` (schema 2.2, one step per platform).
pub(crate) fn content() -> String {
    let mut parameters = serde_json::Map::new();
    for (name, description, default, allowed, pattern) in PARAMETERS {
        let mut p = json!({"type": "String", "description": description});
        if let Some(d) = default {
            p["default"] = json!(d);
        }
        if !allowed.is_empty() {
            p["allowedValues"] = json!(allowed);
        }
        if let Some(pat) = pattern {
            p["allowedPattern"] = json!(pat);
        }
        parameters.insert(name.to_owned(), p);
    }
    let step = |platform: &str, action: &str| {
        json!({
            "precondition": {"StringEquals": ["platformType", platform]},
            "action": action,
            "name": plugin(platform),
            "inputs": {"timeoutSeconds": 7200, "runCommand": ["# Patch Manager's baseline operation (the lab simulates it)"]},
        })
    };
    let doc = json!({
        "schemaVersion": "2.2",
        "description": DESCRIPTION,
        "parameters": parameters,
        "mainSteps": [
            step("Windows", "aws:runPowerShellScript"),
            step("Linux", "aws:runShellScript"),
            step("MacOS", "aws:runShellScript"),
        ],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The checked parameters of one run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// `Scan` or `Install`.
    pub operation: &'static str,
    /// `RebootIfNeeded` or `NoReboot`.
    pub reboot: &'static str,
    /// The SnapshotId given (else one is drawn per node).
    pub snapshot_id: Option<String>,
    /// The InstallOverrideList given.
    pub install_override_list: Option<String>,
}

/// Checks SendCommand's `Parameters` for the document: every name
/// declared, one value each, Operation given, values allowed.
///
/// # Errors
/// `InvalidParameters`, worded as AWS words it.
pub(crate) fn check_parameters(parameters: &Value) -> Result<Request, ApiError> {
    static PATTERNS: LazyLock<[Regex; 2]> = LazyLock::new(|| {
        [
            Regex::new(URL_PATTERN).expect("compiles"),
            Regex::new(SNAPSHOT_PATTERN).expect("compiles"),
        ]
    });
    let map = parameters.as_object().cloned().unwrap_or_default();
    if let Some(k) = map.keys().find(|k| !PARAMETERS.iter().any(|p| p.0 == *k)) {
        return Err(err(
            "InvalidParameters",
            format!("Parameter \"{k}\" is not defined in the document {DOCUMENT}."),
        ));
    }
    let mut values = std::collections::BTreeMap::new();
    for (name, _, default, allowed, pattern) in PARAMETERS {
        let given: Vec<&str> = map
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if given.len() > 1 {
            return Err(err(
                "InvalidParameters",
                format!(
                    "Parameter \"{name}\" of type String takes one value, not {}.",
                    given.len()
                ),
            ));
        }
        let Some(v) = given.first().copied().or(default) else {
            return Err(err(
                "InvalidParameters",
                format!("Parameter \"{name}\" is required by the document {DOCUMENT}."),
            ));
        };
        if !allowed.is_empty() && !allowed.contains(&v) {
            return Err(err(
                "InvalidParameters",
                format!(
                    "Parameter \"{name}\" has value \"{v}\" not in {{{}}}.",
                    allowed.join(", ")
                ),
            ));
        }
        if let Some(p) = pattern {
            let re = if p == URL_PATTERN {
                &PATTERNS[0]
            } else {
                &PATTERNS[1]
            };
            if !re.is_match(v) {
                return Err(err(
                    "InvalidParameters",
                    format!(
                        "Parameter \"{name}\" value \"{v}\" does not match the allowed pattern {p}."
                    ),
                ));
            }
        }
        values.insert(name, v.to_owned());
    }
    let pick = |name: &str, options: &[&'static str]| {
        options
            .iter()
            .copied()
            .find(|o| values.get(name).is_some_and(|v| v == o))
            .unwrap_or(options[0])
    };
    let nonempty = |name: &str| values.get(name).filter(|v| !v.is_empty()).cloned();
    Ok(Request {
        operation: pick("Operation", &["Scan", "Install"]),
        reboot: pick("RebootOption", &["RebootIfNeeded", "NoReboot"]),
        snapshot_id: nonempty("SnapshotId"),
        install_override_list: nonempty("InstallOverrideList"),
    })
}

/// What an operation changed on a node: (installed now, reboot needed).
fn apply(
    record: &mut super::NodePatches,
    request: &Request,
    fails: bool,
    (start, now): (f64, f64),
) -> (u32, bool) {
    let mut installed = 0;
    if request.operation == "Install" {
        for p in &mut record.items {
            if !matches!(p.state, ItemState::Missing | ItemState::Failed) {
                continue;
            }
            if fails {
                p.state = ItemState::Failed;
            } else {
                installed += 1;
                p.installed_s = now.floor();
                p.state = if request.reboot == "NoReboot" {
                    ItemState::InstalledPendingReboot
                } else {
                    ItemState::Installed
                };
            }
        }
        record.reboot_option = request.reboot;
        if request.reboot == "NoReboot" && !fails {
            record.last_no_reboot_s = Some(now);
        }
    }
    record.state.operation = request.operation;
    record.state.ran_s = (start, now);
    record.recount();
    let reboot = request.operation == "Install"
        && request.reboot == "RebootIfNeeded"
        && !fails
        && (installed > 0 || record.state.pending_reboot > 0);
    (installed, reboot)
}

/// Sets node `id`'s ping status (and its last ping to now).
fn set_ping(state: &LabState, id: &str, ping: PingStatus) {
    let mut nodes = state.nodes.write().expect("nodes lock");
    if let Some(n) = nodes.iter_mut().find(|n| n.id == id) {
        n.ping = ping;
        n.last_ping_epoch_s = crate::params::now_s().floor();
    }
}

/// Runs one invocation of the document on `node` for command
/// `command_id` (its parameters already checked at SendCommand).
pub(crate) async fn run(
    state: &Arc<LabState>,
    node: &LabNode,
    command_id: &str,
    request: &Request,
) -> Outcome {
    let start = crate::params::now_s();
    let fails = node.command_fails;
    let (installed, reboot, reboot_ms) = {
        let mut store = state.patches.lock().expect("patches lock");
        let reboot_ms = store.reboot_ms;
        let record = store.scanned(node, &state.region, start);
        if fails && request.operation == "Scan" {
            return Outcome {
                code: 1,
                stdout: String::new(),
                stderr: "lab node profile: the agent failed to run the patch scan\n".into(),
            };
        }
        record.snapshot_id = Some(
            request
                .snapshot_id
                .clone()
                .unwrap_or_else(|| uuid_of(command_id, 0x5a9)),
        );
        record.install_override_list = request.install_override_list.clone();
        record.execution_id = command_id.to_owned();
        let (installed, reboot) = apply(record, request, fails, (start, crate::params::now_s()));
        (installed, reboot, reboot_ms)
    };
    if reboot {
        set_ping(state, &node.id, PingStatus::ConnectionLost);
        tokio::time::sleep(Duration::from_millis(reboot_ms)).await;
        set_ping(state, &node.id, PingStatus::Online);
        let mut store = state.patches.lock().expect("patches lock");
        let record = store.scanned(node, &state.region, start);
        for p in &mut record.items {
            if p.state == ItemState::InstalledPendingReboot {
                p.state = ItemState::Installed;
            }
        }
        record.state.ran_s.1 = crate::params::now_s();
        record.recount();
    }
    let store = state.patches.lock().expect("patches lock");
    let mut summary = String::new();
    if let Some(r) = store.peek(&node.id) {
        summary = summary_text(node, r, installed, reboot);
    }
    if fails {
        return Outcome {
            code: 1,
            stdout: summary,
            stderr: "lab node profile: the agent failed to install the missing patches; they are Failed\n".into(),
        };
    }
    Outcome {
        code: 0,
        stdout: summary,
        stderr: String::new(),
    }
}

/// The output AWS-RunPatchBaseline prints: on Linux and macOS a few log
/// lines, then the patch summary every platform prints.
fn summary_text(node: &LabNode, r: &super::NodePatches, installed: u32, reboot: bool) -> String {
    let s = &r.state;
    let when = crate::protocol::iso8601_ms;
    let mut out = String::new();
    if node.platform_type != "Windows" {
        let stamp = when(s.ran_s.0);
        out.push_str(&format!(
            "{stamp} root [INFO]: Downloading patch baseline snapshot {}\n",
            r.snapshot_id.as_deref().unwrap_or("")
        ));
        out.push_str(&format!(
            "{stamp} root [INFO]: Running {} with patch baseline {}\n",
            s.operation, s.baseline_id
        ));
        if s.operation == "Install" {
            out.push_str(&format!(
                "{stamp} root [INFO]: Installed {installed} updates\n"
            ));
        }
        if reboot {
            out.push_str(&format!(
                "{stamp} root [INFO]: Reboot required (RebootOption RebootIfNeeded): rebooting the instance\n"
            ));
        }
        out.push_str(&format!(
            "{} root [INFO]: Report upload successful.\n",
            when(s.ran_s.1)
        ));
    }
    let rows = [
        ("PatchGroup", s.patch_group.clone()),
        ("BaselineId", s.baseline_id.clone()),
        ("SnapshotId", r.snapshot_id.clone().unwrap_or_default()),
        ("OwnerInformation", String::new()),
        ("OperationType", s.operation.to_owned()),
        ("OperationStartTime", when(s.ran_s.0)),
        ("OperationEndTime", when(s.ran_s.1)),
        ("InstalledCount", s.installed.to_string()),
        ("InstalledOtherCount", s.installed_other.to_string()),
        ("InstalledPendingRebootCount", s.pending_reboot.to_string()),
        (
            "InstalledRejectedCount",
            r.count(ItemState::InstalledRejected).to_string(),
        ),
        ("FailedCount", s.failed.to_string()),
        ("MissingCount", s.missing.to_string()),
        ("NotApplicableCount", s.not_applicable.to_string()),
        ("UnreportedNotApplicableCount", "0".to_owned()),
    ];
    out.push_str(&format!("Patch Summary for {}\n", node.id));
    for (k, v) in rows {
        out.push_str(&format!("{k:<20}: {v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_as_the_document_declares_them() {
        let ok = check_parameters(&json!({"Operation": ["Install"], "RebootOption": ["NoReboot"]}))
            .unwrap();
        assert_eq!((ok.operation, ok.reboot), ("Install", "NoReboot"));
        let scan = check_parameters(&json!({"Operation": ["Scan"]})).unwrap();
        assert_eq!(scan.reboot, "RebootIfNeeded", "the default");
        for bad in [
            json!({}),
            json!({"Operation": ["Patch"]}),
            json!({"Operation": ["Scan", "Install"]}),
            json!({"Operation": ["Scan"], "RebootOption": ["Always"]}),
            json!({"Operation": ["Scan"], "SnapshotId": ["not-a-uuid"]}),
            json!({"Operation": ["Scan"], "InstallOverrideList": ["ftp://x/y"]}),
            json!({"Operation": ["Scan"], "BaselineOverride": ["http://x/y"]}),
            json!({"Operation": ["Scan"], "Nope": ["x"]}),
        ] {
            let e = check_parameters(&bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameters", "{bad}");
        }
        let full = check_parameters(&json!({
            "Operation": ["Install"],
            "SnapshotId": ["0f1e2d3c-4b5a-4987-8654-3210fedcba98"],
            "InstallOverrideList": ["s3://bucket/lists/override.yaml"],
            "BaselineOverride": ["https://example.com/baselines.json"],
        }))
        .unwrap();
        assert_eq!(
            full.install_override_list.as_deref(),
            Some("s3://bucket/lists/override.yaml")
        );
        assert!(full.snapshot_id.is_some());
    }

    #[test]
    fn the_content_declares_the_parameters_and_one_step_per_platform() {
        let v: Value = serde_json::from_str(&content()).unwrap();
        assert_eq!(v["parameters"]["RebootOption"]["default"], "RebootIfNeeded");
        assert!(v["parameters"]["Operation"].get("default").is_none());
        let steps: Vec<&str> = v["mainSteps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["PatchWindows", "PatchLinux", "PatchMacOS"]);
        assert_eq!(parameter_descriptions().as_array().unwrap().len(), 5);
    }
}
