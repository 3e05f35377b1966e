//! The Command documents State Manager's seeded associations run, as the
//! lab's agent answers them without a process: AWS-GatherSoftwareInventory
//! (schema 2.0, step `collectSoftwareInventoryItems`, action
//! `aws:softwareInventory`) and AWS-UpdateSSMAgent (schema 1.2, plugin
//! `aws:updateSsmAgent`). Run Command's engine accepts them (SendCommand,
//! and the executions of associations); ListDocuments, DescribeDocument
//! and GetDocument show them with their schema versions and declared
//! parameters. Also the failure of a package install on the nodes whose
//! installs are made to fail.

use serde_json::{Value, json};

use crate::distributor::Outcome;
use crate::fleet::LabNode;
use crate::params::{ApiError, err};

/// Collects the node's inventory (schema 2.0).
pub(crate) const INVENTORY: &str = "AWS-GatherSoftwareInventory";
/// Updates SSM Agent (schema 1.2).
pub(crate) const UPDATE_AGENT: &str = "AWS-UpdateSSMAgent";
/// The platform types both documents declare.
pub(crate) const PLATFORMS: &[&str] = &["Windows", "Linux", "MacOS"];

/// AWS-GatherSoftwareInventory's description, as AWS gives it.
pub(crate) const INVENTORY_DESCRIPTION: &str = "Software Inventory Policy Document.";
/// AWS-UpdateSSMAgent's description, as AWS gives it.
pub(crate) const UPDATE_DESCRIPTION: &str =
    "Updates the Amazon SSM Agent to the specified version or the latest version.";

/// The schema version of `document` (one of these two): 2.0 or 1.2.
pub(crate) fn schema_version(document: &str) -> &'static str {
    if document == INVENTORY { "2.0" } else { "1.2" }
}

fn declared(document: &str) -> &'static [(&'static str, &'static [&'static str])] {
    if document == INVENTORY {
        INVENTORY_PARAMETERS
    } else {
        UPDATE_PARAMETERS
    }
}

/// The parameter's default (`Enabled` for inventory switches, `false` for
/// a downgrade, else empty).
fn default_of(allowed: &[&str]) -> &'static str {
    match allowed.first() {
        Some(&"Enabled") => "Enabled",
        Some(&"true") => "false",
        _ => "",
    }
}

/// DescribeDocument's `Parameters` of `document` (one of these two).
pub(crate) fn parameter_descriptions(document: &str) -> Value {
    Value::Array(
        declared(document)
            .iter()
            .map(|(name, allowed)| {
                json!({
                    "Name": name, "Type": "String",
                    "Description": format!("(Optional) {name}."),
                    "DefaultValue": default_of(allowed),
                })
            })
            .collect(),
    )
}

/// GetDocument's `Content` of `document` (one of these two): its schema,
/// declared parameters and its one step or plugin.
pub(crate) fn content(document: &str) -> String {
    let mut parameters = serde_json::Map::new();
    for (name, allowed) in declared(document) {
        let mut p = json!({"type": "String", "default": default_of(allowed), "description": format!("(Optional) {name}.")});
        if !allowed.is_empty() {
            p["allowedValues"] = json!(allowed);
        }
        parameters.insert((*name).to_owned(), p);
    }
    let inputs: serde_json::Map<String, Value> = declared(document)
        .iter()
        .map(|(name, _)| ((*name).to_owned(), json!(format!("{{{{ {name} }}}}"))))
        .collect();
    let doc = if document == INVENTORY {
        json!({
            "schemaVersion": "2.0", "description": INVENTORY_DESCRIPTION, "parameters": parameters,
            "mainSteps": [{"action": "aws:softwareInventory", "name": "collectSoftwareInventoryItems", "inputs": inputs}],
        })
    } else {
        json!({
            "schemaVersion": "1.2", "description": UPDATE_DESCRIPTION, "parameters": parameters,
            "runtimeConfig": {"aws:updateSsmAgent": {"properties": [inputs]}},
        })
    };
    serde_json::to_string_pretty(&doc).expect("JSON")
}

/// Declared parameters: (name, allowed values; empty: any string).
const INVENTORY_PARAMETERS: &[(&str, &[&str])] = &[
    ("applications", &["Enabled", "Disabled"]),
    ("awsComponents", &["Enabled", "Disabled"]),
    ("files", &[]),
    ("networkConfig", &["Enabled", "Disabled"]),
    ("billingInfo", &["Enabled", "Disabled"]),
    ("windowsUpdates", &["Enabled", "Disabled"]),
    ("instanceDetailedInformation", &["Enabled", "Disabled"]),
    ("services", &["Enabled", "Disabled"]),
    ("windowsRegistry", &[]),
    ("windowsRoles", &["Enabled", "Disabled"]),
    ("customInventory", &["Enabled", "Disabled"]),
];
const UPDATE_PARAMETERS: &[(&str, &[&str])] =
    &[("version", &[]), ("allowDowngrade", &["true", "false"])];

/// The plugin name invocations of `document` report (GetCommandInvocation's
/// PluginName), `None` when it is not one of these documents.
pub(crate) fn plugin(document: &str) -> Option<&'static str> {
    match document {
        INVENTORY => Some("collectSoftwareInventoryItems"),
        UPDATE_AGENT => Some("aws:updateSsmAgent"),
        _ => None,
    }
}

/// Checks SendCommand's (or an association's) `Parameters` for `document`:
/// declared names only, one string each, from the allowed values; else
/// `InvalidParameters`, worded as for AWS-ConfigureAWSPackage.
pub(crate) fn check_parameters(document: &str, parameters: &Value) -> Result<(), ApiError> {
    let declared = declared(document);
    let empty = serde_json::Map::new();
    for (k, v) in parameters.as_object().unwrap_or(&empty) {
        let Some((_, allowed)) = declared.iter().find(|(n, _)| n == k) else {
            return Err(err(
                "InvalidParameters",
                format!("Parameter \"{k}\" is not defined in document {document}."),
            ));
        };
        let one = match v.as_array().map(Vec::as_slice) {
            Some([Value::String(s)]) => s,
            _ => {
                return Err(err(
                    "InvalidParameters",
                    format!("Parameter \"{k}\" takes exactly one string value."),
                ));
            }
        };
        if !allowed.is_empty() && !allowed.contains(&one.as_str()) {
            return Err(err(
                "InvalidParameters",
                format!(
                    "Parameter \"{k}\" has value \"{one}\" not found in [{}].",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A stable number from `s` (FNV-1a).
fn mix(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the plugin of `document` ends with on `node`.
pub(crate) fn run(document: &str, node: &LabNode, parameters: &Value) -> Outcome {
    let stdout = if document == INVENTORY {
        let apps = 180 + mix(&node.id) % 240;
        let services = 40 + mix(&node.name) % 60;
        format!(
            "Collecting inventory for {} ({} {})\nAWS:Application: {apps} items\nAWS:AWSComponent: 3 items\nAWS:Network: 2 items\nAWS:Service: {services} items\nAWS:InstanceInformation: 1 item\nInventory data for {} was uploaded to Systems Manager Inventory.\n",
            node.id, node.platform_name, node.platform_version, node.id
        )
    } else {
        let wanted = parameters
            .get("version")
            .and_then(|v| v[0].as_str())
            .filter(|v| !v.is_empty())
            .unwrap_or("latest");
        if node.agent_is_latest {
            format!(
                "Updating amazon-ssm-agent from {v} to {wanted}\namazon-ssm-agent {v} has already been installed, update skipped\n",
                v = node.agent_version
            )
        } else {
            format!(
                "Updating amazon-ssm-agent from {v} to {wanted}\nSuccessfully downloaded manifest\nSuccessfully downloaded updater version 3.3.1142.0\nInitiating amazon-ssm-agent update to {wanted}\namazon-ssm-agent updated successfully to {wanted}\n",
                v = node.agent_version
            )
        }
    };
    Outcome {
        code: 0,
        stdout,
        stderr: String::new(),
    }
}

/// The failure of installing `package` on a node whose installs fail.
pub(crate) fn install_failure(package: &str) -> Outcome {
    Outcome {
        code: 1,
        stdout: format!(
            "Initiating arn:aws:ssm:::package/{package} install\nPlugin aws:runShellScript ResultStatus Failed\n"
        ),
        stderr: format!(
            "package {package} failed to install: install action state Failed: exit status 1: cannot create /opt/aws/amazon-cloudwatch-agent/etc: No space left on device\n"
        ),
    }
}
