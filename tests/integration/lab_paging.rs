//! Paging as AWS pages: tokens bound to their operation and filters (a token
//! from elsewhere is refused with the code the model lists), pages that come
//! back short or empty with a NextToken (the `short_pages` knob), and a
//! create or delete between two pages that makes a listing neither skip nor
//! repeat an item. The console's loaders are run through short pages and
//! must end with exactly the right items.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde_json::{Value, json};
use ssmdeck::aws::commands::{self, SendRequest, Targets};
use ssmdeck::aws::fleet::FleetEvent;
use ssmdeck::aws::{opscenter, params};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle, PingStatus};

use crate::common;
use crate::lab_validation::{COMMON, json_call, model_errors, signed};

async fn lab_with(nodes: usize, ops_items: usize, faults: Faults) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes,
            seed: nodes as u64,
            ops_items,
            ..FleetSpec::demo()
        },
        faults,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts")
}

/// The token of the first page of `action` with `body` (which must have more than one page).
async fn first_token(lab: &LabHandle, action: &str, body: Value) -> String {
    let (status, v) = json_call(lab, "ssm", action, &body).await;
    assert_eq!(status, 200, "{action}: {v}");
    v["NextToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{action} {body}: no NextToken: {v}"))
        .to_owned()
}

#[tokio::test]
async fn a_token_from_another_operation_or_other_filters_is_refused_with_the_models_code() {
    let lab = lab_with(30, 12, Faults::default()).await;
    let model = model_errors();
    let params_token = first_token(&lab, "DescribeParameters", json!({"MaxResults": 1})).await;
    // The token is good for the call it came from, with another page size too.
    let (status, v) = json_call(
        &lab,
        "ssm",
        "DescribeParameters",
        &json!({"MaxResults": 2, "NextToken": params_token}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let with = |mut b: Value, t: &str| {
        b["NextToken"] = Value::String(t.to_owned());
        b
    };
    let nodes_token = first_token(
        &lab,
        "DescribeInstanceInformation",
        json!({"MaxResults": 5}),
    )
    .await;
    let cases = [
        (
            "DescribeInstanceInformation",
            with(json!({}), &params_token),
            "InvalidNextToken",
        ),
        (
            "GetParametersByPath",
            with(json!({"Path": "/", "Recursive": true}), &params_token),
            "InvalidNextToken",
        ),
        (
            "DescribeParameters",
            with(
                json!({"MaxResults": 1,
            "ParameterFilters": [{"Key": "Type", "Values": ["String"]}]}),
                &params_token,
            ),
            "InvalidNextToken",
        ),
        (
            "DescribeParameters",
            with(json!({}), "lab:1"),
            "InvalidNextToken",
        ),
        (
            "DescribeParameters",
            with(json!({}), &params_token[..params_token.len() - 2]),
            "InvalidNextToken",
        ),
        (
            "DescribeInstanceInformation",
            with(
                json!({"Filters": [{"Key": "PingStatus", "Values": ["Online"]}]}),
                &nodes_token,
            ),
            "InvalidNextToken",
        ),
        (
            "ListCommands",
            with(json!({}), &params_token),
            "InvalidNextToken",
        ),
        (
            "ListCommandInvocations",
            with(json!({}), &params_token),
            "InvalidNextToken",
        ),
        (
            "DescribeSessions",
            with(json!({"State": "Active"}), &params_token),
            "InvalidNextToken",
        ),
        (
            "DescribeOpsItems",
            with(json!({}), &params_token),
            "ValidationException",
        ),
        (
            "ListOpsItemEvents",
            with(json!({}), &params_token),
            "OpsItemInvalidParameterException",
        ),
        (
            "ListOpsItemRelatedItems",
            with(json!({}), &params_token),
            "OpsItemInvalidParameterException",
        ),
    ];
    let mut wrong = Vec::new();
    for (action, body, want) in cases {
        let (status, v) = json_call(&lab, "ssm", action, &body).await;
        let code = v["__type"].as_str().unwrap_or("");
        if status != 400 || code != want {
            wrong.push(format!(
                "{action} {body}: want 400 {want}, got {status} {v}"
            ));
        }
        let listed = &model["ssm"][action];
        if !listed.iter().any(|l| l == code) && !COMMON.contains(&code) {
            wrong.push(format!("{action}: {code} is not in the model ({listed:?})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // EC2: a token of DescribeInstances is bound to its filters too.
    let base = "Action=DescribeInstances&Version=2016-11-15";
    let (status, text) = signed(&lab, "ec2", None, &format!("{base}&MaxResults=5")).await;
    assert_eq!(status, 200, "{text}");
    let ec2_token = text
        .split("<nextToken>")
        .nth(1)
        .and_then(|t| t.split("</nextToken>").next())
        .expect("a second page")
        .to_owned();
    let (status, text) = signed(
        &lab,
        "ec2",
        None,
        &format!("{base}&MaxResults=5&NextToken={ec2_token}"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    for body in [
        format!("{base}&MaxResults=5&NextToken={params_token}"),
        format!(
            "{base}&MaxResults=5&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&NextToken={ec2_token}"
        ),
    ] {
        let (status, text) = signed(&lab, "ec2", None, &body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(
            text.contains("<Code>InvalidPaginationToken</Code>"),
            "{body}: {text}"
        );
    }
    lab.shutdown().await;
}

fn fold_nodes(events: &[FleetEvent]) -> (Vec<String>, HashSet<String>, usize) {
    let mut listed = Vec::new();
    let mut joined = HashSet::new();
    let mut empty_pages = 0;
    for e in events {
        match e {
            FleetEvent::Page(p) => {
                empty_pages += usize::from(p.is_empty());
                listed.extend(p.iter().map(|n| n.id.clone()));
            }
            FleetEvent::Ec2(j) => joined.extend(j.iter().map(|(id, _, _)| id.clone())),
            _ => {}
        }
    }
    (listed, joined, empty_pages)
}

#[tokio::test]
async fn the_loaders_read_every_item_once_through_short_and_empty_pages() {
    let faults = Faults {
        short_pages: 1.0,
        ..Faults::default()
    };
    let lab = lab_with(300, 137, faults).await;
    let (ctx, _) = common::context(&lab).await;
    // Fleet: DescribeInstanceInformation pages and the EC2 join of each.
    let events = common::load(&ctx).await;
    let Some(FleetEvent::Done(stats)) = events.last() else {
        panic!("fleet load did not finish: {:?}", events.last());
    };
    let (listed, joined, empty_pages) = fold_nodes(&events);
    let want: Vec<String> = lab.nodes().into_iter().map(|n| n.id).collect();
    assert_eq!(stats.nodes, 300);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, want, "every node once");
    let ec2: HashSet<String> = want
        .iter()
        .filter(|i| i.starts_with("i-"))
        .cloned()
        .collect();
    assert_eq!(
        joined, ec2,
        "every EC2 node joined once the short EC2 pages are read"
    );
    assert!(
        stats.ssm_calls > 6,
        "pages were short: {} calls",
        stats.ssm_calls
    );
    assert!(empty_pages > 0, "some pages were empty");
    // Parameters index.
    let seen = Mutex::new(Vec::new());
    params::index_all(&ctx, |metas| {
        seen.lock()
            .unwrap()
            .extend(metas.into_iter().map(|m| m.name))
    })
    .await
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    let mut want: Vec<String> = FleetSpec::demo()
        .parameters()
        .into_iter()
        .map(|p| p.name)
        .collect();
    want.sort();
    assert_eq!(seen, want, "every parameter once");
    // OpsCenter list.
    let mut ids = Vec::new();
    let mut last_done = false;
    opscenter::list_all(&ctx, &[], |items, done| {
        ids.extend(items.into_iter().map(|i| i.id));
        last_done = done;
    })
    .await
    .unwrap();
    assert!(last_done);
    assert_eq!(ids.len(), 137);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        137,
        "no OpsItem twice"
    );
    // Run Command history and the invocations of a 50-node command.
    let linux: Vec<String> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
        .map(|n| n.id)
        .take(60)
        .collect();
    assert_eq!(linux.len(), 60, "the fleet has 60 online Linux nodes");
    let mut sent = Vec::new();
    for _ in 0..3 {
        let req = SendRequest {
            document: "AWS-RunShellScript".into(),
            commands: vec!["true".into()],
            targets: Targets::Nodes(linux.clone()),
            timeout_s: 60,
            execution_timeout_s: 60,
            max_concurrency: "50".into(),
            max_errors: "100%".into(),
            comment: "paging".into(),
            cloudwatch_group: None,
            output_s3: None,
            extra: Vec::new(),
        };
        sent.extend(commands::send(&ctx, &req).await.unwrap());
    }
    assert_eq!(sent.len(), 6, "60 nodes are two commands of 50 and 10");
    let history = commands::history(&ctx, usize::MAX).await.unwrap();
    let got: Vec<&str> = history.iter().map(|c| c.command_id.as_str()).collect();
    let want: Vec<&str> = sent.iter().rev().map(String::as_str).collect();
    assert_eq!(got, want, "every command once, newest first");
    let (invocations, _) = commands::invocations(&ctx, &sent[0]).await.unwrap();
    let nodes: HashSet<&str> = invocations.iter().map(|i| i.instance_id.as_str()).collect();
    assert_eq!((invocations.len(), nodes.len()), (50, 50));
    lab.shutdown().await;
}

/// Every page of DescribeParameters under `/paging/`, `between` run after the first.
async fn parameter_pages(lab: &LabHandle, between: impl AsyncFnOnce()) -> Vec<String> {
    let filters = json!([{"Key": "Name", "Option": "BeginsWith", "Values": ["/paging/"]}]);
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut between = Some(between);
    for _ in 0..100 {
        let mut body = json!({"MaxResults": 5, "ParameterFilters": filters});
        if let Some(t) = &token {
            body["NextToken"] = Value::String(t.clone());
        }
        let (status, v) = json_call(lab, "ssm", "DescribeParameters", &body).await;
        assert_eq!(status, 200, "{v}");
        for p in v["Parameters"].as_array().unwrap() {
            names.push(p["Name"].as_str().unwrap().to_owned());
        }
        if let Some(f) = between.take() {
            f().await;
        }
        match v["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return names,
        }
    }
    panic!("DescribeParameters did not end in 100 pages");
}

#[tokio::test]
async fn a_create_or_delete_between_pages_neither_skips_nor_repeats() {
    let lab = lab_with(10, 23, Faults::default()).await;
    let put = async |name: &str| {
        let (status, v) = json_call(
            &lab,
            "ssm",
            "PutParameter",
            &json!({"Name": name, "Value": "v", "Type": "String"}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
    };
    for i in 0..12 {
        put(&format!("/paging/p{i:02}")).await;
    }
    let names = parameter_pages(&lab, async || {
        // Delete one already listed, create one before and one after the position.
        let (status, v) = json_call(
            &lab,
            "ssm",
            "DeleteParameter",
            &json!({"Name": "/paging/p01"}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        put("/paging/p015").await;
        put("/paging/p055").await;
    })
    .await;
    let mut want: Vec<String> = (0..12).map(|i| format!("/paging/p{i:02}")).collect();
    want.insert(6, "/paging/p055".into());
    assert_eq!(names, want, "no name skipped or repeated");
    // OpsItems, newest first: one created between pages lands before the position.
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut created = false;
    for _ in 0..100 {
        let mut body = json!({"MaxResults": 5});
        if let Some(t) = &token {
            body["NextToken"] = Value::String(t.clone());
        }
        let (status, v) = json_call(&lab, "ssm", "DescribeOpsItems", &body).await;
        assert_eq!(status, 200, "{v}");
        ids.extend(
            v["OpsItemSummaries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["OpsItemId"].as_str().unwrap().to_owned()),
        );
        if !created {
            created = true;
            let (status, v) = json_call(
                &lab,
                "ssm",
                "CreateOpsItem",
                &json!({"Title": "new", "Description": "between pages", "Source": "paging"}),
            )
            .await;
            assert_eq!(status, 200, "{v}");
        }
        match v["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(
        ids.len(),
        23,
        "the 23 seeded OpsItems, each once: {counts:?}"
    );
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    lab.shutdown().await;
}

/// Issue 18 item 1: the Parameters index and the OpsCenter list, throttled
/// part-way past the SDK's retries, ask for the failed page again (no
/// restart) and end with every parameter and OpsItem exactly once.
#[tokio::test]
async fn index_and_opsitem_list_resume_after_a_stall() {
    use ssmdeck::aws::resume::Stall;
    let lab = common::lab(
        40,
        Faults {
            latency_ms: 40,
            ..Faults::default()
        },
    )
    .await;
    let mut opts = common::options(&lab);
    opts.max_attempts = 1;
    let (ctx, _) = common::context_with(opts).await;
    let throttle = Faults {
        throttle_share: 1.0,
        ..Faults::default()
    };
    let calm = Faults {
        latency_ms: 40,
        ..Faults::default()
    };
    // OpsCenter: throttled after the first page.
    let ids = Mutex::new(Vec::new());
    let stalls: Mutex<Vec<Stall>> = Mutex::new(Vec::new());
    let list = opscenter::list_all_with_stalls(
        &ctx,
        &[],
        |items, _| ids.lock().unwrap().extend(items.into_iter().map(|i| i.id)),
        |s| stalls.lock().unwrap().push(s),
    );
    let steer = async {
        common::wait_for("a first page", || !ids.lock().unwrap().is_empty()).await;
        lab.set_faults(throttle.clone());
        common::wait_for("a stall", || !stalls.lock().unwrap().is_empty()).await;
        lab.set_faults(calm.clone());
    };
    let (r, ()) = tokio::join!(list, steer);
    r.unwrap();
    let ids = ids.into_inner().unwrap();
    let mut calm_ids = Vec::new();
    opscenter::list_all(&ctx, &[], |items, _| {
        calm_ids.extend(items.into_iter().map(|i| i.id))
    })
    .await
    .unwrap();
    assert!(
        calm_ids.len() > 50,
        "more than one page: {}",
        calm_ids.len()
    );
    assert_eq!(ids.len(), calm_ids.len(), "every OpsItem once");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(stalls.lock().unwrap()[0].round, 1);
    // Parameters index: throttled once some pages arrived.
    let names = Mutex::new(Vec::new());
    let stalled = Mutex::new(0);
    let on_stall = |_| *stalled.lock().unwrap() += 1;
    let index = params::index_all_with_stalls(
        &ctx,
        |metas| {
            names
                .lock()
                .unwrap()
                .extend(metas.into_iter().map(|m| m.name))
        },
        &on_stall,
    );
    let steer = async {
        common::wait_for("index pages", || names.lock().unwrap().len() >= 50).await;
        lab.set_faults(throttle.clone());
        common::wait_for("an index stall", || *stalled.lock().unwrap() > 0).await;
        lab.set_faults(calm.clone());
    };
    let (r, ()) = tokio::join!(index, steer);
    r.unwrap();
    let mut names = names.into_inner().unwrap();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(total, names.len(), "no parameter twice");
    let want = Mutex::new(Vec::new());
    params::index_all(&ctx, |m| {
        want.lock().unwrap().extend(m.into_iter().map(|m| m.name))
    })
    .await
    .unwrap();
    let mut want = want.into_inner().unwrap();
    want.sort();
    assert_eq!(names, want, "every parameter once");
}
