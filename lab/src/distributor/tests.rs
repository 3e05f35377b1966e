//! Distributor in the lab: the package documents (ListDocuments by type,
//! DescribeDocument, GetDocument, ListDocumentVersions) and
//! AWS-ConfigureAWSPackage through SendCommand and GetCommandInvocation.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

use super::{PackageRequest, configure};
use crate::params::ApiError;
use crate::{FleetSpec, LabConfig, LabState, PingStatus};

static ERRORS: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../tests/fixtures/model-errors.json"))
        .expect("fixture is JSON")
});

/// Asserts `r` failed with `code`, and that the model lists `code` for
/// `op` (or it is the common ValidationException).
fn assert_code(op: &str, r: Result<Value, ApiError>, code: &str) -> String {
    let e = r.expect_err(&format!("{op} should fail with {code}"));
    assert_eq!(e.code, code, "{op}: {}", e.message);
    let listed = ERRORS["ssm"][op]
        .as_array()
        .unwrap_or_else(|| panic!("{op} is not in the fixture"));
    assert!(
        code == "ValidationException" || listed.iter().any(|c| c == code),
        "{op}: {code} is not listed in model-errors.json ({listed:?})"
    );
    e.message
}

async fn lab() -> (crate::LabHandle, Arc<LabState>) {
    let handle = crate::start(LabConfig {
        fleet: FleetSpec::small(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts");
    let state = handle.lab.first().clone();
    (handle, state)
}

fn call(state: &Arc<LabState>, op: &str, body: Value) -> Result<Value, ApiError> {
    crate::paging::scoped(
        crate::paging::Scope {
            op: format!("ssm:{op}"),
            binding: crate::paging::json_binding(&body),
            key: state.token_key,
            short_pages: 0.0,
            seed: 1,
        },
        || {
            crate::automation::handle(state, op, &body)
                .or_else(|| crate::commands::handle(state, op, &body))
                .expect("a document or command action")
        },
    )
}

/// An Online node of `platform` that runs commands at once and well.
fn node(s: &Arc<LabState>, platform: &str) -> String {
    s.nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| {
            n.ping == PingStatus::Online
                && n.platform_type == platform
                && !n.command_fails
                && n.command_delay_ms == 0
                // Not a node of the seeded CloudWatch agent association
                // (installed there, or failing).
                && !matches!(n.tag("Role"), Some("web" | "api" | "worker"))
        })
        .unwrap_or_else(|| panic!("the small fleet has a healthy {platform} node"))
        .id
        .clone()
}

/// Sends AWS-ConfigureAWSPackage with `params` to `node`; its command id.
fn send(s: &Arc<LabState>, node: &str, params: Value) -> String {
    let r = call(
        s,
        "SendCommand",
        json!({"DocumentName": "AWS-ConfigureAWSPackage", "InstanceIds": [node], "Parameters": params}),
    )
    .unwrap();
    r["Command"]["CommandId"].as_str().unwrap().to_owned()
}

/// Waits (up to 20 s) for the invocation to end; GetCommandInvocation's answer.
async fn finished(s: &Arc<LabState>, id: &str, node: &str) -> Value {
    for _ in 0..400 {
        let r = call(
            s,
            "GetCommandInvocation",
            json!({"CommandId": id, "InstanceId": node}),
        )
        .unwrap();
        if !["Pending", "InProgress", "Delayed"].contains(&r["Status"].as_str().unwrap()) {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("invocation {id} on {node} never ended");
}

#[tokio::test]
async fn packages_list_by_type_and_describe_without_parameters() {
    let (_h, s) = lab().await;
    let listed = call(
        &s,
        "ListDocuments",
        json!({"Filters": [{"Key": "DocumentType", "Values": ["Package"]}]}),
    )
    .unwrap();
    let ids = listed["DocumentIdentifiers"].as_array().unwrap();
    let names: Vec<&str> = ids.iter().map(|d| d["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["AWSCodeDeployAgent", "AmazonCloudWatchAgent"]);
    let cw = &ids[1];
    assert_eq!(cw["DocumentType"], "Package");
    assert_eq!(cw["Owner"], "Amazon");
    assert_eq!(cw["VersionName"], "1.300032.2b361");
    assert_eq!(cw["PlatformTypes"], json!(["Windows", "Linux", "MacOS"]));
    assert_eq!(cw["DocumentFormat"], "JSON");
    // The older filter list and the Owner filter see them too.
    let old = call(
        &s,
        "ListDocuments",
        json!({"DocumentFilterList": [{"key": "DocumentType", "value": "Package"}, {"key": "Owner", "value": "Amazon"}]}),
    )
    .unwrap();
    assert_eq!(old["DocumentIdentifiers"].as_array().unwrap().len(), 2);

    let d = call(
        &s,
        "DescribeDocument",
        json!({"Name": "AmazonCloudWatchAgent"}),
    )
    .unwrap()["Document"]
        .clone();
    assert_eq!(d["DocumentType"], "Package");
    assert_eq!(d["DocumentVersion"], "3");
    assert_eq!(d["DefaultVersion"], "3");
    assert_eq!(d["VersionName"], "1.300032.2b361");
    assert!(d.get("Parameters").is_none(), "a package has no parameters");
    let older = call(
        &s,
        "DescribeDocument",
        json!({"Name": "AmazonCloudWatchAgent", "VersionName": "1.300028.1b210"}),
    )
    .unwrap();
    assert_eq!(older["Document"]["DocumentVersion"], "1");
    let m = assert_code(
        "DescribeDocument",
        call(
            &s,
            "DescribeDocument",
            json!({"Name": "AmazonCloudWatchAgent", "DocumentVersion": "9"}),
        ),
        "InvalidDocumentVersion",
    );
    assert!(m.contains("no version 9"), "{m}");
    assert_code(
        "DescribeDocument",
        call(
            &s,
            "DescribeDocument",
            json!({"Name": "AWSCodeDeployAgent", "VersionName": "bad name!"}),
        ),
        "ValidationException",
    );
}

#[tokio::test]
async fn package_content_is_its_manifest_and_versions_carry_version_names() {
    let (_h, s) = lab().await;
    let g = call(
        &s,
        "GetDocument",
        json!({"Name": "AWSCodeDeployAgent", "DocumentVersion": "1"}),
    )
    .unwrap();
    assert_eq!(g["DocumentType"], "Package");
    assert_eq!(g["VersionName"], "1.6.0-49");
    let manifest: Value = serde_json::from_str(g["Content"].as_str().unwrap()).unwrap();
    assert_eq!(manifest["schemaVersion"], "2.0");
    assert_eq!(manifest["version"], "1.6.0-49");
    let file = manifest["packages"]["amazon"]["_any"]["x86_64"]["file"]
        .as_str()
        .unwrap();
    let sha = manifest["files"][file]["checksums"]["sha256"]
        .as_str()
        .unwrap();
    assert_eq!(sha.len(), 64);

    let v = call(
        &s,
        "ListDocumentVersions",
        json!({"Name": "AmazonCloudWatchAgent"}),
    )
    .unwrap();
    let rows = v["DocumentVersions"].as_array().unwrap();
    let names: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["DocumentVersion"].as_str().unwrap(),
                r["VersionName"].as_str().unwrap(),
                r["IsDefaultVersion"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("1", "1.300028.1b210", false),
            ("2", "1.300031.1b317", false),
            ("3", "1.300032.2b361", true),
        ]
    );
    assert_code(
        "ListDocumentVersions",
        call(&s, "ListDocumentVersions", json!({"Name": "NoSuchPackage"})),
        "InvalidDocument",
    );
}

#[tokio::test]
async fn configure_package_declares_its_real_parameters() {
    let (_h, s) = lab().await;
    let d = call(
        &s,
        "DescribeDocument",
        json!({"Name": "AWS-ConfigureAWSPackage"}),
    )
    .unwrap()["Document"]
        .clone();
    assert_eq!(d["DocumentType"], "Command");
    assert_eq!(d["PlatformTypes"], json!(["Windows", "Linux", "MacOS"]));
    let params: Vec<(&str, &str, Option<&str>)> = d["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap(),
                p["Type"].as_str().unwrap(),
                p["DefaultValue"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        params,
        [
            ("action", "String", None),
            (
                "installationType",
                "String",
                Some("Uninstall and reinstall")
            ),
            ("name", "String", None),
            ("version", "String", Some("")),
            ("additionalArguments", "StringMap", Some("{}")),
        ]
    );
    let g = call(
        &s,
        "GetDocument",
        json!({"Name": "AWS-ConfigureAWSPackage"}),
    )
    .unwrap();
    let content: Value = serde_json::from_str(g["Content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["parameters"]["action"]["allowedValues"],
        json!(["Install", "Uninstall"])
    );
    assert_eq!(
        content["parameters"]["installationType"]["allowedValues"],
        json!(["Uninstall and reinstall", "In-place update"])
    );
    assert_eq!(
        content["parameters"]["additionalArguments"]["default"],
        json!({})
    );
    assert_eq!(content["mainSteps"][0]["action"], "aws:configurePackage");
    let listed = call(
        &s,
        "ListDocuments",
        json!({"Filters": [{"Key": "Name", "Values": ["AWS-ConfigureAWSPackage"]}]}),
    )
    .unwrap();
    assert_eq!(listed["DocumentIdentifiers"][0]["DocumentType"], "Command");
}

#[tokio::test]
async fn install_succeeds_and_an_unknown_package_fails_the_invocation() {
    let (_h, s) = lab().await;
    let linux = node(&s, "Linux");
    let id = send(
        &s,
        &linux,
        json!({"action": ["Install"], "name": ["AmazonCloudWatchAgent"]}),
    );
    let r = finished(&s, &id, &linux).await;
    assert_eq!(r["Status"], "Success", "{r:#}");
    assert_eq!(r["ResponseCode"], 0);
    assert_eq!(r["PluginName"], "configurePackage");
    let out = r["StandardOutputContent"].as_str().unwrap();
    assert!(
        out.starts_with(
            "Initiating arn:aws:ssm:::package/AmazonCloudWatchAgent 1.300032.2b361 install\n\
             Plugin aws:runShellScript ResultStatus Success\n"
        ),
        "{out}"
    );
    assert!(out.contains(
        "Successfully installed arn:aws:ssm:::package/AmazonCloudWatchAgent 1.300032.2b361"
    ));
    // The plugin answers under its step name and its action name.
    for p in ["configurePackage", "aws:configurePackage"] {
        call(
            &s,
            "GetCommandInvocation",
            json!({"CommandId": id, "InstanceId": linux, "PluginName": p}),
        )
        .unwrap();
    }
    // Installing it again: already installed, still a success.
    let again = send(
        &s,
        &linux,
        json!({"action": ["Install"], "name": ["arn:aws:ssm:::package/AmazonCloudWatchAgent"]}),
    );
    let r = finished(&s, &again, &linux).await;
    assert_eq!(r["Status"], "Success");
    assert_eq!(
        r["StandardOutputContent"],
        "arn:aws:ssm:::package/AmazonCloudWatchAgent 1.300032.2b361 is already installed\n"
    );

    let bad = send(
        &s,
        &linux,
        json!({"action": ["Install"], "name": ["NoSuchPackage"]}),
    );
    let r = finished(&s, &bad, &linux).await;
    assert_eq!(r["Status"], "Failed");
    assert_eq!(r["StatusDetails"], "Failed");
    assert_eq!(r["ResponseCode"], 1);
    let err = r["StandardErrorContent"].as_str().unwrap();
    assert!(
        err.contains("Document with name NoSuchPackage does not exist."),
        "{err}"
    );
    let listed = call(
        &s,
        "ListCommandInvocations",
        json!({"CommandId": bad, "Details": true}),
    )
    .unwrap();
    let plugin = &listed["CommandInvocations"][0]["CommandPlugins"][0];
    assert_eq!(plugin["Name"], "configurePackage");
    assert_eq!(plugin["ResponseCode"], 1);
    let c = call(&s, "ListCommands", json!({"CommandId": bad})).unwrap();
    assert_eq!(c["Commands"][0]["Status"], "Failed");
    assert_eq!(c["Commands"][0]["ErrorCount"], 1);
}

#[tokio::test]
async fn uninstall_needs_an_installed_package() {
    let (_h, s) = lab().await;
    let linux = node(&s, "Linux");
    let uninstall = json!({"action": ["Uninstall"], "name": ["AWSCodeDeployAgent"]});
    let first = send(&s, &linux, uninstall.clone());
    let r = finished(&s, &first, &linux).await;
    assert_eq!(r["Status"], "Failed");
    assert_eq!(r["ResponseCode"], 1);
    let install = send(
        &s,
        &linux,
        json!({"action": ["Install"], "name": ["AWSCodeDeployAgent"], "version": ["1.6.0-49"]}),
    );
    assert_eq!(finished(&s, &install, &linux).await["Status"], "Success");
    let second = send(&s, &linux, uninstall);
    let r = finished(&s, &second, &linux).await;
    assert_eq!(r["Status"], "Success", "{r:#}");
    assert!(
        r["StandardOutputContent"]
            .as_str()
            .unwrap()
            .contains("Successfully uninstalled arn:aws:ssm:::package/AWSCodeDeployAgent 1.6.0-49")
    );
}

#[tokio::test]
async fn send_command_refuses_a_missing_or_unknown_action() {
    let (_h, s) = lab().await;
    let linux = node(&s, "Linux");
    let send = |params: Value| {
        call(
            &s,
            "SendCommand",
            json!({"DocumentName": "AWS-ConfigureAWSPackage", "InstanceIds": [linux], "Parameters": params}),
        )
    };
    let m = assert_code(
        "SendCommand",
        send(json!({"name": ["AmazonCloudWatchAgent"]})),
        "InvalidParameters",
    );
    assert!(m.contains("\"action\" is required"), "{m}");
    let m = assert_code(
        "SendCommand",
        send(json!({"action": ["install"], "name": ["AmazonCloudWatchAgent"]})),
        "InvalidParameters",
    );
    assert_eq!(
        m,
        "Parameter \"action\" has value \"install\" not found in [Install, Uninstall]."
    );
    for params in [
        json!({"action": ["Install"]}),
        json!({"action": ["Install"], "name": ["AmazonCloudWatchAgent"], "installationType": ["Reinstall"]}),
        json!({"action": ["Install"], "name": ["AmazonCloudWatchAgent"], "colour": ["blue"]}),
        json!({"action": ["Install", "Uninstall"], "name": ["AmazonCloudWatchAgent"]}),
        json!({"action": ["Install"], "name": ["bad name"]}),
        json!({"action": ["Install"], "name": ["AmazonCloudWatchAgent"], "additionalArguments": ["{\"x\": \"1\"}"]}),
    ] {
        assert_code("SendCommand", send(params), "InvalidParameters");
    }
    // Nothing was sent.
    let listed = call(&s, "ListCommands", json!({})).unwrap();
    assert!(
        listed["Commands"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["DocumentName"] != "AWS-ConfigureAWSPackage")
    );
}

fn request(action: &str, name: &str, version: &str, kind: &str) -> PackageRequest {
    PackageRequest {
        action: action.into(),
        installation_type: kind.into(),
        name: name.into(),
        version: version.into(),
    }
}

#[test]
fn configure_table() {
    let mut node = BTreeMap::new();
    let reinstall = "Uninstall and reinstall";
    let cw = "AmazonCloudWatchAgent";
    let r = configure(
        &mut node,
        &request("Install", cw, "1.300031.1b317", reinstall),
        "Windows",
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .contains("Plugin aws:runPowerShellScript ResultStatus Success")
    );
    // In-place update to the latest.
    let r = configure(
        &mut node,
        &request("Install", cw, "", "In-place update"),
        "Windows",
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("1.300032.2b361 update"), "{}", r.stdout);
    assert_eq!(node[cw], "1.300032.2b361");
    // Uninstall of another version than the installed one fails.
    let r = configure(
        &mut node,
        &request("Uninstall", cw, "1.300028.1b210", reinstall),
        "Windows",
    );
    assert_eq!(r.code, 1);
    // An unknown version fails, naming it.
    let r = configure(
        &mut node,
        &request("Install", cw, "9.9", reinstall),
        "Linux",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("with version 9.9 does not exist"),
        "{}",
        r.stderr
    );
    // AWSCodeDeployAgent has no macOS package.
    let r = configure(
        &mut node,
        &request("Install", "AWSCodeDeployAgent", "", reinstall),
        "MacOS",
    );
    assert_eq!(r.code, 1);
    assert!(!node.contains_key("AWSCodeDeployAgent"));
}
