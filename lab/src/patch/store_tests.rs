//! Unit tests of the patch store, the patch reads and AWS-RunPatchBaseline.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::fleet::{FleetSpec, PlatformSpec};
use crate::{LabConfig, LabState, PingStatus};

/// A fleet with every platform family the catalogs cover.
fn mixed_spec(nodes: usize) -> FleetSpec {
    let p = |name: &str, t: &str, version: &str| PlatformSpec {
        name: name.into(),
        platform_type: t.into(),
        version: version.into(),
        weight: 1,
    };
    FleetSpec {
        nodes,
        seed: 77,
        platforms: vec![
            p("Amazon Linux", "Linux", "2023"),
            p("Amazon Linux", "Linux", "2"),
            p("Ubuntu", "Linux", "22.04"),
            p(
                "Microsoft Windows Server 2022 Datacenter",
                "Windows",
                "10.0.20348",
            ),
            p("macOS", "MacOS", "14.4"),
        ],
        ..FleetSpec::demo()
    }
}

#[test]
fn seeded_patches_match_the_derived_counts_exactly() {
    let nodes = mixed_spec(2_000).generate();
    let now = 1_800_000_000.0;
    let mut store = PatchStore::default();
    let mut families = HashSet::new();
    for n in &nodes {
        let want = state_of(n, "us-east-1", now);
        let got = store.record(n, "us-east-1", now).cloned();
        let (Some(want), Some(got)) = (want.clone(), got) else {
            assert!(want.is_none(), "{}: seeded only when scanned", n.id);
            continue;
        };
        let counts = |s: &PatchState| {
            (
                s.installed,
                s.installed_other,
                s.pending_reboot,
                s.missing,
                s.failed,
                s.not_applicable,
                s.critical,
                s.security,
            )
        };
        assert_eq!(counts(&got.state), counts(&want), "{}", n.id);
        let kbs: HashSet<&str> = got.items.iter().map(|p| p.kb_id.as_str()).collect();
        assert_eq!(kbs.len(), got.items.len(), "{}: KBIds unique", n.id);
        for p in &got.items {
            let installed = matches!(
                p.state,
                ItemState::Installed
                    | ItemState::InstalledOther
                    | ItemState::InstalledPendingReboot
            );
            assert_eq!(installed, p.installed_s > 0.0, "{}: {p:?}", n.id);
            assert_eq!(p.is_security(), !p.cve_ids.is_empty(), "{p:?}");
            if p.is_security() {
                assert!(
                    p.cve_ids.split(',').all(|c| c.starts_with("CVE-20")),
                    "{p:?}"
                );
            }
            if p.severity == "Critical" {
                assert!(p.is_security(), "only security updates are Critical: {p:?}");
            }
        }
        let first = &got.items[0];
        match n.platform_type.as_str() {
            "Windows" => {
                assert!(first.kb_id.starts_with("KB"), "{first:?}");
                assert!(first.title.ends_with(&format!("({})", first.kb_id)));
            }
            "MacOS" => assert!(!first.title.is_empty()),
            _ if n.platform_name == "Ubuntu" => {
                assert!(first.title.starts_with(&format!("{}:amd64 ", first.kb_id)))
            }
            _ => {
                assert!(
                    first.title.starts_with(&format!("{}:", first.kb_id)),
                    "{first:?}"
                );
                assert!(first.title.contains(".amzn"), "{first:?}");
            }
        }
        families.insert((n.platform_type.clone(), n.platform_version.clone()));
        assert_eq!(
            got.state.baseline_id,
            baselines::default_arn(baselines::os_of(n), "us-east-1")
        );
    }
    assert_eq!(families.len(), 5, "every family seen: {families:?}");
}

async fn lab(spec: FleetSpec) -> (crate::LabHandle, Arc<LabState>) {
    let handle = crate::start(LabConfig {
        fleet: spec,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts");
    handle.set_patch_reboot_ms(300);
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
            handle(state, op, &body)
                .or_else(|| crate::commands::handle(state, op, &body))
                .expect("a patch or command action")
        },
    )
}

fn record(state: &LabState, n: &LabNode) -> NodePatches {
    let mut store = state.patches.lock().unwrap();
    store
        .scanned(n, &state.region, crate::params::now_s())
        .clone()
}

#[tokio::test]
async fn describe_instance_patches_filters_pages_and_refuses() {
    let (_h, s) = lab(FleetSpec::small()).await;
    let nodes = s.nodes.read().unwrap().clone();
    let n = nodes
        .iter()
        .find(|n| state_of(n, "x", 0.0).is_some_and(|st| st.missing > 0))
        .expect("a node missing patches");
    let r = record(&s, n);
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"InstanceId": n.id, "MaxResults": 10});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let v = call(&s, "DescribeInstancePatches", body).unwrap();
        let page = v["Patches"].as_array().unwrap();
        assert!(page.len() <= 10);
        all.extend(page.iter().cloned());
        match v["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(all.len(), r.items.len());
    let missing = call(
        &s,
        "DescribeInstancePatches",
        json!({"InstanceId": n.id, "MaxResults": 100,
               "Filters": [{"Key": "State", "Values": ["Missing"]}]}),
    )
    .unwrap();
    let list = missing["Patches"].as_array().unwrap();
    assert_eq!(list.len() as u32, r.state.missing);
    assert!(
        list.iter()
            .all(|p| p["State"] == "MISSING" && p["InstalledTime"] == 0.0)
    );
    let kb = list[0]["KBId"].as_str().unwrap();
    let one = call(
        &s,
        "DescribeInstancePatches",
        json!({"InstanceId": n.id, "Filters": [{"Key": "KBId", "Values": [kb]}]}),
    )
    .unwrap();
    assert_eq!(one["Patches"].as_array().unwrap().len(), 1);
    for (body, code) in [
        (
            json!({"InstanceId": "i-00000000000000000"}),
            "InvalidInstanceId",
        ),
        (json!({"InstanceId": "node-1"}), "ValidationException"),
        (json!({}), "ValidationException"),
        (
            json!({"InstanceId": n.id, "MaxResults": 5}),
            "ValidationException",
        ),
        (
            json!({"InstanceId": n.id, "Filters": [{"Key": "Product", "Values": ["x"]}]}),
            "InvalidFilter",
        ),
        (
            json!({"InstanceId": n.id, "Filters": [{"Key": "State", "Values": ["Broken"]}]}),
            "InvalidFilter",
        ),
        (
            json!({"InstanceId": n.id, "NextToken": "nope"}),
            "InvalidNextToken",
        ),
    ] {
        let e = call(&s, "DescribeInstancePatches", body.clone()).unwrap_err();
        assert_eq!(e.code, code, "{body}: {}", e.message);
    }
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..600 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

fn send(s: &Arc<LabState>, node: &str, params: Value) -> String {
    let v = call(
        s,
        "SendCommand",
        json!({"DocumentName": run::DOCUMENT, "InstanceIds": [node], "Parameters": params}),
    )
    .unwrap();
    v["Command"]["CommandId"].as_str().unwrap().to_owned()
}

fn invocation(s: &Arc<LabState>, id: &str, node: &str) -> Value {
    call(
        s,
        "GetCommandInvocation",
        json!({"CommandId": id, "InstanceId": node}),
    )
    .unwrap()
}

async fn finished(s: &Arc<LabState>, id: &str, node: &str) -> Value {
    until("the invocation ends", || {
        let st = invocation(s, id, node)["Status"].clone();
        st != "Pending" && st != "InProgress"
    })
    .await;
    invocation(s, id, node)
}

#[tokio::test]
async fn scan_install_reboot_no_reboot_and_a_failing_node() {
    let spec = FleetSpec {
        failing_share: 0.3,
        connection_lost_share: 0.0,
        inactive_share: 0.0,
        ..FleetSpec::demo()
    };
    let (_h, s) = lab(spec).await;
    let nodes = s.nodes.read().unwrap().clone();
    let missing = |n: &&LabNode| state_of(n, "x", 0.0).is_some_and(|st| st.missing > 0);
    let mut healthy = nodes.iter().filter(|n| !n.command_fails).filter(missing);
    let (a, b) = (healthy.next().unwrap(), healthy.next().unwrap());
    let bad = nodes
        .iter()
        .filter(|n| n.command_fails)
        .find(missing)
        .unwrap();
    // Scan: a new Scan operation, the same counts.
    let before = record(&s, a);
    let id = send(&s, &a.id, json!({"Operation": ["Scan"]}));
    let inv = finished(&s, &id, &a.id).await;
    assert_eq!(inv["Status"], "Success", "{inv}");
    assert_eq!(inv["PluginName"], run::plugin(&a.platform_type));
    let out = inv["StandardOutputContent"].as_str().unwrap();
    assert!(
        out.contains(&format!("MissingCount        : {}", before.state.missing)),
        "{out}"
    );
    let scanned = record(&s, a);
    assert_eq!(scanned.state.operation, "Scan");
    assert!(scanned.state.ran_s.0 > before.state.ran_s.1);
    assert_eq!(scanned.state.missing, before.state.missing);
    assert_eq!(scanned.execution_id, id);
    // Install with a reboot: ConnectionLost for a moment, then all Installed.
    let id = send(&s, &a.id, json!({"Operation": ["Install"]}));
    let ping = |id: &str| {
        s.nodes
            .read()
            .unwrap()
            .iter()
            .find(|n| n.id == id)
            .unwrap()
            .ping
    };
    until("the reboot", || ping(&a.id) == PingStatus::ConnectionLost).await;
    let inv = finished(&s, &id, &a.id).await;
    assert_eq!(inv["Status"], "Success", "{inv}");
    assert_eq!(ping(&a.id), PingStatus::Online);
    let after = record(&s, a);
    assert_eq!(
        (
            after.state.missing,
            after.state.failed,
            after.state.pending_reboot
        ),
        (0, 0, 0)
    );
    assert_eq!(
        after.state.installed,
        before.state.installed
            + before.state.missing
            + before.state.failed
            + before.state.pending_reboot
    );
    assert_eq!(after.state.operation, "Install");
    // NoReboot: the installs wait for a reboot, the node stays Online.
    let b0 = record(&s, b);
    let id = send(
        &s,
        &b.id,
        json!({"Operation": ["Install"], "RebootOption": ["NoReboot"]}),
    );
    let inv = finished(&s, &id, &b.id).await;
    assert_eq!(inv["Status"], "Success", "{inv}");
    let b1 = record(&s, b);
    assert_eq!(
        b1.state.pending_reboot,
        b0.state.pending_reboot + b0.state.missing + b0.state.failed
    );
    assert_eq!(b1.state.missing, 0);
    assert_eq!(b1.reboot_option, "NoReboot");
    assert!(b1.last_no_reboot_s.is_some());
    // A failing agent: the missing patches end Failed.
    let f0 = record(&s, bad);
    let id = send(&s, &bad.id, json!({"Operation": ["Install"]}));
    let inv = finished(&s, &id, &bad.id).await;
    assert_eq!(inv["Status"], "Failed", "{inv}");
    let f1 = record(&s, bad);
    assert_eq!(
        (f1.state.missing, f1.state.failed),
        (0, f0.state.missing + f0.state.failed)
    );
    // Bad parameters are refused at the send.
    for p in [
        json!({}),
        json!({"Operation": ["Patch"]}),
        json!({"Operation": ["Scan"], "RebootOption": ["x"]}),
    ] {
        let e = call(
            &s,
            "SendCommand",
            json!({"DocumentName": run::DOCUMENT, "InstanceIds": [a.id], "Parameters": p}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameters", "{p}");
    }
}

#[tokio::test]
async fn baselines_are_the_aws_defaults_and_states_name_them() {
    let (_h, s) = lab(FleetSpec::small()).await;
    let all = call(&s, "DescribePatchBaselines", json!({})).unwrap();
    let ids: Vec<&Value> = all["BaselineIdentities"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(ids.len(), 17);
    let defaults = ids.iter().filter(|b| b["DefaultBaseline"] == true).count();
    assert_eq!(
        defaults,
        baselines::OPERATING_SYSTEMS.len(),
        "one default per OS"
    );
    for n in s.nodes.read().unwrap().clone() {
        let Some(r) = s
            .patches
            .lock()
            .unwrap()
            .record(&n, &s.region, 0.0)
            .cloned()
        else {
            continue;
        };
        let got = call(
            &s,
            "GetPatchBaseline",
            json!({"BaselineId": r.state.baseline_id}),
        )
        .unwrap();
        assert_eq!(got["OperatingSystem"], baselines::os_of(&n));
        let d = call(
            &s,
            "GetDefaultPatchBaseline",
            json!({"OperatingSystem": baselines::os_of(&n)}),
        )
        .unwrap();
        assert_eq!(d["BaselineId"], json!(r.state.baseline_id));
    }
    let ubuntu = call(
        &s,
        "DescribePatchBaselines",
        json!({"Filters": [{"Key": "NAME_PREFIX", "Values": ["AWS-Ubuntu"]}]}),
    )
    .unwrap();
    assert_eq!(ubuntu["BaselineIdentities"].as_array().unwrap().len(), 1);
    let mine = call(
        &s,
        "DescribePatchBaselines",
        json!({"Filters": [{"Key": "OWNER", "Values": ["Self"]}]}),
    )
    .unwrap();
    assert!(mine["BaselineIdentities"].as_array().unwrap().is_empty());
    let e = call(
        &s,
        "GetPatchBaseline",
        json!({"BaselineId": "pb-0123456789abcdef0"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "DoesNotExistException");
    let e = call(&s, "GetPatchBaseline", json!({"BaselineId": "pb-1"})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    let e = call(
        &s,
        "GetDefaultPatchBaseline",
        json!({"OperatingSystem": "BEOS"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ValidationException");
    let w = call(&s, "GetDefaultPatchBaseline", json!({})).unwrap();
    assert_eq!(w["OperatingSystem"], "WINDOWS");
}
