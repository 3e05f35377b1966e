//! Unit tests of the compliance answers.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::params::ApiError;
use crate::{FleetSpec, LabConfig, LabNode, LabState};

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
        || super::handle(state, op, &body).expect("a compliance action"),
    )
}

/// Every item of `op`'s list under `key`, page by page.
fn every(s: &Arc<LabState>, op: &str, key: &str, body: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut body = body;
    loop {
        let v = call(s, op, body.clone()).unwrap();
        out.extend(v[key].as_array().unwrap().iter().cloned());
        match v["NextToken"].as_str() {
            Some(t) => body["NextToken"] = json!(t),
            None => return out,
        }
    }
}

fn scanned_node(s: &Arc<LabState>) -> (LabNode, crate::patch::NodePatches) {
    let nodes = s.nodes.read().unwrap().clone();
    let mut store = s.patches.lock().unwrap();
    nodes
        .into_iter()
        .find_map(|n| {
            let r = store.record(&n, &s.region, 0.0)?.clone();
            (r.state.missing > 0).then_some((n, r))
        })
        .expect("a node missing patches")
}

#[tokio::test]
async fn patch_items_and_summaries_follow_the_patch_store() {
    let (_h, s) = lab().await;
    let (n, r) = scanned_node(&s);
    let items = every(
        &s,
        "ListComplianceItems",
        "ComplianceItems",
        json!({"ResourceIds": [n.id], "ResourceTypes": ["ManagedInstance"], "MaxResults": 7,
               "Filters": [{"Key": "ComplianceType", "Values": ["Patch"]}]}),
    );
    let st = &r.state;
    let applicable = st.installed + st.installed_other + st.pending_reboot + st.missing + st.failed;
    assert_eq!(
        items.len() as u32,
        applicable,
        "NotApplicable patches have no item"
    );
    let bad = items
        .iter()
        .filter(|i| i["Status"] == "NON_COMPLIANT")
        .count() as u32;
    assert_eq!(bad, st.missing + st.failed + st.pending_reboot);
    let critical = items
        .iter()
        .filter(|i| i["Status"] == "NON_COMPLIANT" && i["Severity"] == "CRITICAL")
        .count() as u32;
    assert!(critical >= st.critical);
    let summaries = every(
        &s,
        "ListResourceComplianceSummaries",
        "ResourceComplianceSummaryItems",
        json!({"Filters": [{"Key": "ResourceId", "Values": [n.id]}]}),
    );
    let patch = summaries
        .iter()
        .find(|x| x["ComplianceType"] == "Patch")
        .unwrap();
    assert_eq!(patch["Status"], "NON_COMPLIANT");
    assert_eq!(
        patch["NonCompliantSummary"]["NonCompliantCount"],
        json!(bad)
    );
    assert_eq!(
        patch["CompliantSummary"]["CompliantCount"],
        json!(st.installed + st.installed_other)
    );
    assert_eq!(
        patch["ExecutionSummary"]["ExecutionId"],
        json!(r.execution_id)
    );
    // Association items: one per association that ran.
    let assoc = every(
        &s,
        "ListComplianceItems",
        "ComplianceItems",
        json!({"ResourceIds": [n.id], "Filters": [{"Key": "ComplianceType", "Values": ["Association"]}]}),
    );
    let want = {
        let store = s.associations.lock().expect("associations lock");
        crate::associations::counts_of(&store, &n.id).map_or(0, |(ok, f, _)| ok + f)
    };
    assert_eq!(assoc.len() as u32, want);
    assert!(assoc.iter().all(|i| i["Severity"] == "UNSPECIFIED"));
    // The fleet: every scanned node once in the Patch summary.
    let types = every(
        &s,
        "ListComplianceSummaries",
        "ComplianceSummaryItems",
        json!({}),
    );
    let p = types
        .iter()
        .find(|t| t["ComplianceType"] == "Patch")
        .unwrap();
    let total = p["CompliantSummary"]["CompliantCount"].as_u64().unwrap()
        + p["NonCompliantSummary"]["NonCompliantCount"]
            .as_u64()
            .unwrap();
    let nodes = s.nodes.read().unwrap().clone();
    let scanned = nodes
        .iter()
        .filter(|n| crate::patch::state_of(n, "x", 0.0).is_some())
        .count();
    assert_eq!(total as usize, scanned);
    for (op, body) in [
        (
            "ListComplianceItems",
            json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}),
        ),
        (
            "ListResourceComplianceSummaries",
            json!({"Filters": [{"Key": "Severity", "Values": ["x"]}]}),
        ),
        (
            "ListComplianceSummaries",
            json!({"Filters": [{"Key": "Status", "Values": ["x"]}]}),
        ),
    ] {
        assert_eq!(
            call(&s, op, body).unwrap_err().code,
            "InvalidFilter",
            "{op}"
        );
    }
    let e = call(
        &s,
        "ListComplianceItems",
        json!({"ResourceTypes": ["EC2Instance"]}),
    )
    .unwrap_err();
    assert_eq!(e.code, "InvalidResourceType");
    let e = call(
        &s,
        "ListComplianceItems",
        json!({"ResourceIds": ["i-0000000000000000f"]}),
    )
    .unwrap_err();
    assert_eq!(e.code, "InvalidResourceId");
    let e = call(&s, "ListComplianceItems", json!({"MaxResults": 51})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
}

fn put(
    s: &Arc<LabState>,
    node: &str,
    ctype: &str,
    items: Value,
    extra: Value,
) -> Result<Value, ApiError> {
    let mut body = json!({
        "ResourceId": node, "ResourceType": "ManagedInstance", "ComplianceType": ctype,
        "ExecutionSummary": {"ExecutionTime": 1_800_000_000.0, "ExecutionId": "run-1"},
        "Items": items,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(s, "PutComplianceItems", body)
}

#[tokio::test]
async fn put_compliance_items_stores_replaces_merges_and_refuses() {
    let (_h, s) = lab().await;
    let node = s.nodes.read().unwrap()[0].id.clone();
    let item = |id: &str, status: &str| json!({"Id": id, "Title": format!("check {id}"), "Severity": "HIGH", "Status": status, "Details": {"Owner": "ops"}});
    put(
        &s,
        &node,
        "Custom:Backup",
        json!([item("a", "COMPLIANT"), item("b", "NON_COMPLIANT")]),
        json!({}),
    )
    .unwrap();
    let listed = |s: &Arc<LabState>| {
        every(
            s,
            "ListComplianceItems",
            "ComplianceItems",
            json!({"ResourceIds": [node], "Filters": [{"Key": "ComplianceType", "Values": ["Custom:"], "Type": "BEGIN_WITH"}]}),
        )
    };
    let got = listed(&s);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["Details"]["Owner"], "ops");
    assert_eq!(got[0]["ExecutionSummary"]["ExecutionId"], "run-1");
    put(
        &s,
        &node,
        "Custom:Backup",
        json!([item("b", "COMPLIANT"), item("c", "COMPLIANT")]),
        json!({"UploadType": "PARTIAL"}),
    )
    .unwrap();
    let got = listed(&s);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|i| i["Status"] == "COMPLIANT"));
    let summary = every(
        &s,
        "ListResourceComplianceSummaries",
        "ResourceComplianceSummaryItems",
        json!({"Filters": [{"Key": "ComplianceType", "Values": ["Custom:Backup"]}]}),
    );
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["Status"], "COMPLIANT");
    assert_eq!(summary[0]["OverallSeverity"], "HIGH");
    put(&s, &node, "Custom:Backup", json!([]), json!({})).unwrap();
    assert!(
        listed(&s).is_empty(),
        "COMPLETE with no items removes the type"
    );
    // The same hash twice: the second put changes nothing.
    put(
        &s,
        &node,
        "Custom:Av",
        json!([item("x", "COMPLIANT")]),
        json!({"ItemContentHash": "h1"}),
    )
    .unwrap();
    put(
        &s,
        &node,
        "Custom:Av",
        json!([item("y", "NON_COMPLIANT")]),
        json!({"ItemContentHash": "h1"}),
    )
    .unwrap();
    assert_eq!(listed(&s)[0]["Id"], "x");
    for k in 0..9 {
        put(
            &s,
            &node,
            &format!("Custom:T{k}"),
            json!([item("x", "COMPLIANT")]),
            json!({}),
        )
        .unwrap();
    }
    let e = put(
        &s,
        &node,
        "Custom:Eleventh",
        json!([item("x", "COMPLIANT")]),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ComplianceTypeCountLimitExceededException");
    for (body_node, ctype, items, extra, code) in [
        (
            node.as_str(),
            "Patch",
            json!([item("x", "COMPLIANT")]),
            json!({}),
            "InvalidItemContentException",
        ),
        (
            "i-0000000000000000f",
            "Custom:Xy",
            json!([]),
            json!({}),
            "InvalidResourceId",
        ),
        (
            node.as_str(),
            "Custom:Xy",
            json!([{"Severity": "SEVERE", "Status": "COMPLIANT"}]),
            json!({}),
            "ValidationException",
        ),
        (
            node.as_str(),
            "Custom:Xy",
            json!([{"Severity": "LOW", "Status": "COMPLIANT"}]),
            json!({"UploadType": "PARTIAL"}),
            "InvalidItemContentException",
        ),
        (
            node.as_str(),
            "Not A Type",
            json!([]),
            json!({}),
            "ValidationException",
        ),
        (
            node.as_str(),
            "Custom:Xy",
            json!([]),
            json!({"ResourceType": "EC2Instance"}),
            "InvalidResourceType",
        ),
    ] {
        let e = put(&s, body_node, ctype, items, extra).unwrap_err();
        assert_eq!(e.code, code, "{ctype}: {}", e.message);
    }
}
