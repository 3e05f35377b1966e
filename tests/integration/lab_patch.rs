//! Patch Manager and Compliance against the lab (issue 15, node posture):
//! patch states read back patch by patch, AWS-RunPatchBaseline through
//! Run Command changing them, compliance following, every answer strict
//! against botocore's shapes and every refusal a code the model lists.

use std::collections::HashMap;

use aws_sdk_ssm::types::{
    ComplianceStatus, ComplianceStringFilter, PatchComplianceDataState, PatchOrchestratorFilter,
};
use futures::StreamExt;
use serde_json::{Value, json};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle, PingStatus};

use crate::common;
use crate::lab_validation::{COMMON, json_call, model_errors};
use crate::model_shapes::check_output;

/// Every patch of `node`, read page by page with DescribeInstancePatches.
async fn patches(
    ssm: &aws_sdk_ssm::Client,
    node: &str,
) -> Vec<aws_sdk_ssm::types::PatchComplianceData> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ssm
            .describe_instance_patches()
            .instance_id(node)
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{node}: {e:?}"));
        out.extend(page.patches().iter().cloned());
        match page.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn patch_states_of_1234_nodes_match_their_patches_field_by_field() {
    use PatchComplianceDataState as S;
    let lab = common::lab(1_234, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let ssm = ctx.ssm.clone();
    let ids: Vec<String> = lab.nodes().iter().map(|n| n.id.clone()).collect();
    let mut states = Vec::new();
    let (mut pages, mut want_pages) = (0, 0);
    for chunk in ids.chunks(50) {
        let had = states.len();
        let mut token: Option<String> = None;
        loop {
            let page = ssm
                .describe_instance_patch_states()
                .set_instance_ids(Some(chunk.to_vec()))
                .max_results(20)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            pages += 1;
            assert!(page.instance_patch_states().len() <= 20);
            states.extend(page.instance_patch_states().iter().cloned());
            match page.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        want_pages += (states.len() - had).div_ceil(20).max(1);
    }
    assert_eq!(
        pages, want_pages,
        "pages of 20, no empty page but for a batch with no state"
    );
    assert!(pages > 60, "{pages} pages");
    let never = ids.len() - states.len();
    assert!(never > 0 && never * 5 < ids.len(), "{never} never scanned");
    let read: Vec<_> = futures::stream::iter(states.iter().map(|s| {
        let ssm = ssm.clone();
        async move { (s.clone(), patches(&ssm, s.instance_id()).await) }
    }))
    .buffer_unordered(12)
    .collect()
    .await;
    for (s, list) in read {
        let id = s.instance_id();
        let n = |st: S| list.iter().filter(|p| *p.state() == st).count() as i32;
        assert_eq!(s.installed_count(), n(S::Installed), "{id}");
        assert_eq!(s.installed_other_count(), n(S::InstalledOther), "{id}");
        assert_eq!(
            s.installed_pending_reboot_count(),
            Some(n(S::InstalledPendingReboot)),
            "{id}"
        );
        assert_eq!(s.installed_rejected_count(), Some(n(S::InstalledRejected)));
        assert_eq!(s.missing_count(), n(S::Missing), "{id}");
        assert_eq!(s.failed_count(), n(S::Failed), "{id}");
        assert_eq!(s.not_applicable_count(), n(S::NotApplicable), "{id}");
        let bad: Vec<_> = list
            .iter()
            .filter(|p| matches!(p.state(), S::Missing | S::Failed))
            .collect();
        let critical = bad.iter().filter(|p| p.severity() == "Critical").count() as i32;
        let security = bad
            .iter()
            .filter(|p| matches!(p.classification(), "Security" | "SecurityUpdates"))
            .count() as i32;
        assert_eq!(s.critical_non_compliant_count(), Some(critical), "{id}");
        assert_eq!(s.security_non_compliant_count(), Some(security), "{id}");
        assert_eq!(
            s.other_non_compliant_count(),
            Some(bad.len() as i32 - security),
            "{id}"
        );
        assert!(
            list.iter()
                .all(|p| !p.title().is_empty() && !p.kb_id().is_empty())
        );
        assert!(
            list.iter()
                .filter(|p| matches!(p.state(), S::Missing | S::NotApplicable))
                .all(|p| p.installed_time().secs() == 0),
            "{id}: not installed, InstalledTime 0"
        );
    }
    lab.shutdown().await;
}

/// A lab whose agents fail on some nodes, every node Online, reboots quick.
async fn run_lab() -> LabHandle {
    let lab = ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes: 80,
            seed: 15,
            failing_share: 0.2,
            connection_lost_share: 0.0,
            inactive_share: 0.0,
            ..FleetSpec::demo()
        },
        ..LabConfig::default()
    })
    .await
    .unwrap();
    lab.set_patch_reboot_ms(400);
    lab
}

/// Sends AWS-RunPatchBaseline to `nodes` and waits until every invocation
/// is final; their statuses by node.
async fn run_baseline(
    ssm: &aws_sdk_ssm::Client,
    nodes: &[String],
    params: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut req = ssm
        .send_command()
        .document_name("AWS-RunPatchBaseline")
        .set_instance_ids(Some(nodes.to_vec()));
    for (k, v) in params {
        req = req.parameters(*k, vec![(*v).to_owned()]);
    }
    let id = req
        .send()
        .await
        .unwrap()
        .command()
        .unwrap()
        .command_id()
        .unwrap()
        .to_owned();
    let mut last = HashMap::new();
    for _ in 0..600 {
        let invs = ssm
            .list_command_invocations()
            .command_id(&id)
            .send()
            .await
            .unwrap();
        last = invs
            .command_invocations()
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap().to_owned(),
                    i.status().unwrap().as_str().to_owned(),
                )
            })
            .collect();
        if last.len() == nodes.len()
            && last
                .values()
                .all(|s| !matches!(s.as_str(), "Pending" | "InProgress"))
        {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("AWS-RunPatchBaseline did not finish: {last:?}");
}

/// The Patch summary of `node` from ListResourceComplianceSummaries.
async fn patch_summary(
    ssm: &aws_sdk_ssm::Client,
    node: &str,
) -> aws_sdk_ssm::types::ResourceComplianceSummaryItem {
    let f = |k: &str, v: &str| {
        ComplianceStringFilter::builder()
            .key(k)
            .values(v)
            .r#type(aws_sdk_ssm::types::ComplianceQueryOperatorType::Equal)
            .build()
    };
    let out = ssm
        .list_resource_compliance_summaries()
        .filters(f("ResourceId", node))
        .filters(f("ComplianceType", "Patch"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.resource_compliance_summary_items().len(), 1, "{node}");
    out.resource_compliance_summary_items()[0].clone()
}

#[tokio::test]
async fn run_patch_baseline_scans_installs_reboots_and_compliance_follows() {
    let lab = run_lab().await;
    let (ctx, _) = common::context(&lab).await;
    let ssm = ctx.ssm.clone();
    let nodes = lab.nodes();
    let missing =
        |n: &&ssmdeck_lab::LabNode| lab.patch_state(&n.id).is_some_and(|r| r.state.missing > 0);
    let healthy: Vec<String> = nodes
        .iter()
        .filter(|n| !n.command_fails)
        .filter(missing)
        .take(4)
        .map(|n| n.id.clone())
        .collect();
    let failing = nodes
        .iter()
        .filter(|n| n.command_fails)
        .find(missing)
        .unwrap()
        .id
        .clone();
    let (reboot, no_reboot) = healthy.split_at(2);
    for n in &healthy {
        assert_eq!(
            *patch_summary(&ssm, n).await.status().unwrap(),
            ComplianceStatus::NonCompliant,
            "{n} misses patches"
        );
    }
    let before: HashMap<String, _> = healthy
        .iter()
        .map(|n| (n.clone(), lab.patch_state(n).unwrap()))
        .collect();
    // Scan: a Scan operation with the counts as they were.
    let done = run_baseline(&ssm, &healthy, &[("Operation", "Scan")]).await;
    assert!(done.values().all(|s| s == "Success"), "{done:?}");
    for n in &healthy {
        let r = lab.patch_state(n).unwrap();
        assert_eq!(r.state.operation, "Scan");
        assert_eq!(r.state.missing, before[n].state.missing);
        assert!(r.state.ran_s.1 > before[n].state.ran_s.1);
    }
    // Install, rebooting: the nodes are ConnectionLost for a moment.
    let install = {
        let ssm = ssm.clone();
        let reboot = reboot.to_vec();
        tokio::spawn(async move { run_baseline(&ssm, &reboot, &[("Operation", "Install")]).await })
    };
    common::wait_for("a reboot", || {
        lab.nodes()
            .iter()
            .any(|n| reboot.contains(&n.id) && n.ping == PingStatus::ConnectionLost)
    })
    .await;
    let done = install.await.unwrap();
    assert!(done.values().all(|s| s == "Success"), "{done:?}");
    assert!(
        lab.nodes()
            .iter()
            .filter(|n| reboot.contains(&n.id))
            .all(|n| n.ping == PingStatus::Online)
    );
    for n in reboot {
        let r = lab.patch_state(n).unwrap();
        assert_eq!(
            (r.state.missing, r.state.failed, r.state.pending_reboot),
            (0, 0, 0),
            "{n}"
        );
        let s = patch_summary(&ssm, n).await;
        assert_eq!(*s.status().unwrap(), ComplianceStatus::Compliant, "{n}");
        assert_eq!(s.non_compliant_summary().unwrap().non_compliant_count(), 0);
        assert!(s.execution_summary().unwrap().execution_id().is_some());
    }
    // Install without a reboot: pending, still non-compliant.
    let done = run_baseline(
        &ssm,
        no_reboot,
        &[("Operation", "Install"), ("RebootOption", "NoReboot")],
    )
    .await;
    assert!(done.values().all(|s| s == "Success"), "{done:?}");
    for n in no_reboot {
        let r = lab.patch_state(n).unwrap();
        assert_eq!(r.state.missing, 0);
        assert!(r.state.pending_reboot >= before[n].state.missing, "{n}");
        let s = patch_summary(&ssm, n).await;
        assert_eq!(*s.status().unwrap(), ComplianceStatus::NonCompliant, "{n}");
        assert_eq!(
            s.non_compliant_summary().unwrap().non_compliant_count() as u32,
            r.state.pending_reboot
        );
        let states = ssm
            .describe_instance_patch_states()
            .instance_ids(n)
            .send()
            .await
            .unwrap();
        let st = &states.instance_patch_states()[0];
        assert_eq!(st.reboot_option().map(|r| r.as_str()), Some("NoReboot"));
        assert!(st.last_no_reboot_install_operation_time().is_some());
        assert_eq!(st.operation().as_str(), "Install");
    }
    // A failing agent: the invocation Failed, the missing patches Failed.
    let f0 = lab.patch_state(&failing).unwrap();
    let done = run_baseline(
        &ssm,
        std::slice::from_ref(&failing),
        &[("Operation", "Install")],
    )
    .await;
    assert_eq!(done[&failing], "Failed");
    let f1 = lab.patch_state(&failing).unwrap();
    assert_eq!(
        (f1.state.missing, f1.state.failed),
        (0, f0.state.missing + f0.state.failed)
    );
    let failed = ssm
        .describe_instance_patches()
        .instance_id(&failing)
        .filters(
            PatchOrchestratorFilter::builder()
                .key("State")
                .values("Failed")
                .build(),
        )
        .max_results(100)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.patches().len() as u32, f1.state.failed);
    lab.shutdown().await;
}

#[tokio::test]
async fn patch_and_compliance_answers_have_the_model_shapes() {
    let lab = run_lab().await;
    let nodes = lab.nodes();
    let node = nodes
        .iter()
        .find(|n| {
            lab.patch_state(&n.id)
                .is_some_and(|r| r.state.missing > 0 && r.state.pending_reboot == 0)
        })
        .unwrap()
        .clone();
    let r = lab.patch_state(&node.id).unwrap();
    let (status, _) = json_call(
        &lab,
        "ssm",
        "PutComplianceItems",
        &json!({"ResourceId": node.id, "ResourceType": "ManagedInstance", "ComplianceType": "Custom:Backup",
                "ExecutionSummary": {"ExecutionTime": 1.8e9, "ExecutionType": "Command"},
                "Items": [{"Id": "daily", "Title": "daily backup", "Severity": "MEDIUM", "Status": "NON_COMPLIANT", "Details": {"Vault": "main"}}]}),
    )
    .await;
    assert_eq!(status, 200);
    let calls = [
        (
            "DescribeInstancePatches",
            json!({"InstanceId": node.id, "MaxResults": 100}),
        ),
        (
            "DescribeInstancePatchStatesForPatchGroup",
            json!({"PatchGroup": r.state.patch_group, "Filters": [
                {"Key": "MissingCount", "Values": [r.state.missing.to_string()], "Type": "Equal"},
                {"Key": "FailedCount", "Values": [r.state.failed.to_string()], "Type": "Equal"},
                {"Key": "InstalledCount", "Values": [r.state.installed.to_string()], "Type": "Equal"}]}),
        ),
        (
            "DescribeInstancePatchStates",
            json!({"InstanceIds": [node.id]}),
        ),
        ("DescribePatchBaselines", json!({})),
        (
            "GetPatchBaseline",
            json!({"BaselineId": r.state.baseline_id}),
        ),
        (
            "GetDefaultPatchBaseline",
            json!({"OperatingSystem": "UBUNTU"}),
        ),
        (
            "ListComplianceItems",
            json!({"ResourceIds": [node.id], "MaxResults": 50}),
        ),
        ("ListComplianceSummaries", json!({})),
        ("ListResourceComplianceSummaries", json!({"MaxResults": 50})),
        (
            "PutComplianceItems",
            json!({"ResourceId": node.id, "ResourceType": "ManagedInstance",
            "ComplianceType": "Custom:Av", "ExecutionSummary": {"ExecutionTime": 1.8e9}, "Items": []}),
        ),
    ];
    for (op, body) in calls {
        let (status, v) = json_call(&lab, "ssm", op, &body).await;
        assert_eq!(status, 200, "{op}: {v}");
        check_output("ssm", op, &v).unwrap_or_else(|e| panic!("{op} {body}: {e}"));
        if op == "DescribeInstancePatchStatesForPatchGroup" {
            let ids: Vec<&str> = v["InstancePatchStates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["InstanceId"].as_str().unwrap())
                .collect();
            assert!(ids.contains(&node.id.as_str()), "{v}");
        }
        if op == "ListComplianceItems" {
            let types: std::collections::BTreeSet<&str> = v["ComplianceItems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["ComplianceType"].as_str().unwrap())
                .collect();
            assert!(
                types.contains("Patch") && types.contains("Custom:Backup"),
                "{types:?}"
            );
        }
    }
    // The document, as ListDocuments and DescribeDocument show it.
    let (_, v) = json_call(
        &lab,
        "ssm",
        "DescribeDocument",
        &json!({"Name": "AWS-RunPatchBaseline"}),
    )
    .await;
    check_output("ssm", "DescribeDocument", &v).unwrap();
    let params: Vec<&str> = v["Document"]["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "Operation",
            "SnapshotId",
            "InstallOverrideList",
            "BaselineOverride",
            "RebootOption"
        ]
    );
    assert_eq!(
        v["Document"]["PlatformTypes"],
        json!(["Windows", "Linux", "MacOS"])
    );
    let (_, v) = json_call(
        &lab,
        "ssm",
        "ListDocuments",
        &json!({"Filters": [{"Key": "Name", "Values": ["AWS-RunPatch"]}]}),
    )
    .await;
    check_output("ssm", "ListDocuments", &v).unwrap();
    assert_eq!(v["DocumentIdentifiers"][0]["Name"], "AWS-RunPatchBaseline");
    lab.shutdown().await;
}

#[tokio::test]
async fn patch_and_compliance_refusals_carry_the_models_codes() {
    let lab = run_lab().await;
    let node = lab.nodes()[0].id.clone();
    let model = model_errors();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "DescribeInstancePatches",
            json!({"InstanceId": "i-0123456789abcdef0"}),
            "InvalidInstanceId",
        ),
        (
            "DescribeInstancePatches",
            json!({"InstanceId": node, "Filters": [{"Key": "Arch", "Values": ["x"]}]}),
            "InvalidFilter",
        ),
        (
            "DescribeInstancePatches",
            json!({"InstanceId": node, "MaxResults": 101}),
            "ValidationException",
        ),
        (
            "DescribeInstancePatches",
            json!({"InstanceId": node, "NextToken": "x"}),
            "InvalidNextToken",
        ),
        (
            "DescribeInstancePatchStatesForPatchGroup",
            json!({"PatchGroup": "prod", "Filters": [{"Key": "Colour", "Values": ["1"], "Type": "Equal"}]}),
            "InvalidFilter",
        ),
        (
            "DescribeInstancePatchStatesForPatchGroup",
            json!({"PatchGroup": "prod", "Filters": [{"Key": "MissingCount", "Values": ["1"], "Type": "Around"}]}),
            "ValidationException",
        ),
        (
            "DescribeInstancePatchStatesForPatchGroup",
            json!({}),
            "ValidationException",
        ),
        (
            "GetPatchBaseline",
            json!({"BaselineId": "pb-0123456789abcdef0"}),
            "DoesNotExistException",
        ),
        (
            "GetPatchBaseline",
            json!({"BaselineId": "pb"}),
            "ValidationException",
        ),
        (
            "GetDefaultPatchBaseline",
            json!({"OperatingSystem": "PLAN9"}),
            "ValidationException",
        ),
        (
            "DescribePatchBaselines",
            json!({"MaxResults": 0}),
            "ValidationException",
        ),
        (
            "ListComplianceItems",
            json!({"ResourceTypes": ["EC2Instance"]}),
            "InvalidResourceType",
        ),
        (
            "ListComplianceItems",
            json!({"ResourceIds": ["i-0123456789abcdef0"]}),
            "InvalidResourceId",
        ),
        (
            "ListComplianceItems",
            json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}),
            "InvalidFilter",
        ),
        (
            "ListComplianceSummaries",
            json!({"NextToken": "x"}),
            "InvalidNextToken",
        ),
        (
            "ListResourceComplianceSummaries",
            json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}),
            "InvalidFilter",
        ),
        (
            "PutComplianceItems",
            json!({"ResourceId": node, "ResourceType": "Server", "ComplianceType": "Custom:Xy", "ExecutionSummary": {"ExecutionTime": 1.0}, "Items": []}),
            "InvalidResourceType",
        ),
        (
            "PutComplianceItems",
            json!({"ResourceId": "i-0123456789abcdef0", "ResourceType": "ManagedInstance", "ComplianceType": "Custom:Xy", "ExecutionSummary": {"ExecutionTime": 1.0}, "Items": []}),
            "InvalidResourceId",
        ),
        (
            "PutComplianceItems",
            json!({"ResourceId": node, "ResourceType": "ManagedInstance", "ComplianceType": "Patch", "ExecutionSummary": {"ExecutionTime": 1.0}, "Items": []}),
            "InvalidItemContentException",
        ),
        (
            "PutComplianceItems",
            json!({"ResourceId": node, "ResourceType": "ManagedInstance", "ComplianceType": "Custom:Xy", "Items": []}),
            "ValidationException",
        ),
        (
            "SendCommand",
            json!({"DocumentName": "AWS-RunPatchBaseline", "InstanceIds": [node], "Parameters": {"Operation": ["Upgrade"]}}),
            "InvalidParameters",
        ),
        (
            "SendCommand",
            json!({"DocumentName": "AWS-RunPatchBaseline", "InstanceIds": [node], "Parameters": {}}),
            "InvalidParameters",
        ),
        (
            "SendCommand",
            json!({"DocumentName": "AWS-RunPatchBaseline", "InstanceIds": [node], "Parameters": {"Operation": ["Scan"], "SnapshotId": ["abc"]}}),
            "InvalidParameters",
        ),
    ];
    for (op, body, want) in cases {
        let (status, v) = json_call(&lab, "ssm", op, &body).await;
        assert_eq!(status, 400, "{op} {body}: {v}");
        let code = v["__type"]
            .as_str()
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(code, want, "{op} {body}: {v}");
        let listed = &model["ssm"][op];
        assert!(
            listed.contains(&code) || COMMON.contains(&code.as_str()),
            "{op}: {code} is not in the model's errors ({listed:?})"
        );
    }
    lab.shutdown().await;
}
