//! OpsCenter against the lab over HTTP: the console's own calls
//! (`ssmdeck::aws::opscenter`) and, where the console never sends a request
//! (bad operators, out-of-range values), the SDK directly.

use crate::common;

use std::sync::{Arc, Mutex};

use aws_sdk_ssm::types::{OpsItemFilter, OpsItemFilterKey, OpsItemFilterOperator};
use ssmdeck::aws::opscenter::{
    self, CreateRequest, OpsChange, ServerFilter, TimeBound, UpdateError,
};
use ssmdeck::ops_filter::OpsQuery;
use ssmdeck_lab::{Faults, FleetSpec, LabConfig};

async fn lab_with(ops_items: usize) -> ssmdeck_lab::LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes: 40,
            seed: 40,
            ops_items,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts")
}

fn text(key: &str, contains: bool, values: &[&str]) -> ServerFilter {
    ServerFilter::Text {
        key: key.into(),
        contains,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

#[tokio::test]
async fn every_page_is_read_and_the_first_arrives_after_one_call() {
    let lab = lab_with(237).await;
    let (ctx, _) = common::context(&lab).await;
    lab.reset_calls();
    let pages = Arc::new(Mutex::new(Vec::new()));
    let sink = pages.clone();
    let calls_at_first = Arc::new(Mutex::new(None));
    let first = calls_at_first.clone();
    let lab_calls = {
        let lab = &lab;
        move || {
            lab.calls()
                .get("ssm:DescribeOpsItems")
                .copied()
                .unwrap_or(0)
        }
    };
    let calls = opscenter::list_all(&ctx, &[], |items, done| {
        let mut f = first.lock().unwrap();
        if f.is_none() {
            *f = Some(lab_calls());
        }
        sink.lock().unwrap().push((items.len(), done));
    })
    .await
    .unwrap();
    let pages = pages.lock().unwrap().clone();
    assert_eq!(calls, 5, "237 items at 50 a page");
    assert_eq!(pages.iter().map(|p| p.0).sum::<usize>(), 237);
    assert_eq!(pages.last(), Some(&(37, true)));
    assert!(pages[..4].iter().all(|p| !p.1));
    assert_eq!(*calls_at_first.lock().unwrap(), Some(1));
    lab.shutdown().await;
}

#[tokio::test]
async fn server_side_filters_agree_with_the_client_side_filter() {
    let lab = lab_with(300).await;
    let (ctx, _) = common::context(&lab).await;
    let mut all = Vec::new();
    opscenter::list_all(&ctx, &[], |items, _| all.extend(items))
        .await
        .unwrap();
    assert_eq!(all.len(), 300);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for q in [
        "status:Open,InProgress sev:1,2",
        "status:Resolved",
        "prio:1-2 source:Cloud",
        "cat:Security sev:3",
        "title:prod-",
        "created:<3d",
        "created:>20d status:Open",
        "type:/aws/issue sev:4",
    ] {
        let query = OpsQuery::parse(q).unwrap();
        let mut server = Vec::new();
        opscenter::list_all(&ctx, &query.server, |items, _| server.extend(items))
            .await
            .unwrap();
        let mut matcher = ssmdeck::filter::new_matcher();
        let mut client: Vec<String> = all
            .iter()
            .filter(|i| {
                query.matches(
                    i,
                    &nucleo_matcher::Utf32String::from(i.title.as_str()),
                    now,
                    &mut matcher,
                )
            })
            .map(|i| i.id.clone())
            .collect();
        let mut got: Vec<String> = server.iter().map(|i| i.id.clone()).collect();
        client.sort();
        got.sort();
        assert_eq!(got, client, "{q}");
        assert!(!got.is_empty() || q.contains(">20d"), "{q} matched nothing");
    }
    // A filter with no match is an empty list, not an error.
    let none = opscenter::list_page(&ctx, &[text("Title", true, &["no such title"])], None)
        .await
        .unwrap();
    assert!(none.0.is_empty() && none.1.is_none());
    let newer = opscenter::list_page(
        &ctx,
        &[ServerFilter::Created(TimeBound::NewerThan(1))],
        None,
    )
    .await
    .unwrap();
    assert!(
        newer.0.is_empty(),
        "seeded items are at least 5 minutes old"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn aws_validation_errors_name_the_field() {
    let lab = lab_with(10).await;
    let (ctx, _) = common::context(&lab).await;
    let e = ctx
        .ssm
        .describe_ops_items()
        .ops_item_filters(
            OpsItemFilter::builder()
                .key(OpsItemFilterKey::Status)
                .operator(OpsItemFilterOperator::Contains)
                .values("Open")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    let e = ctx.error("ssm:DescribeOpsItems", e);
    // DescribeOpsItems lists no OpsItemInvalidParameterException in the model.
    assert_eq!(e.code.as_deref(), Some("ValidationException"), "{e}");
    assert!(e.to_string().contains("Equal"), "{e}");
    let (items, _) = opscenter::list_page(&ctx, &[], None).await.unwrap();
    let id = items[0].id.clone();
    let e = ctx
        .ssm
        .update_ops_item()
        .ops_item_id(&id)
        .priority(7)
        .send()
        .await
        .unwrap_err();
    let e = ctx.error("ssm:UpdateOpsItem", e);
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    assert!(e.to_string().contains("priority"), "{e}");
    let e = ctx
        .ssm
        .update_ops_item()
        .ops_item_id(&id)
        .status(aws_sdk_ssm::types::OpsItemStatus::from("Done"))
        .send()
        .await
        .unwrap_err();
    assert!(ctx.error("x", e).to_string().contains("status"));
    let e = ctx
        .ssm
        .create_ops_item()
        .description("d")
        .source("s")
        .send()
        .await
        .unwrap_err();
    assert!(ctx.error("x", e).to_string().contains("'title'"));
    let e = opscenter::get(&ctx, "oi-000000000000").await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("OpsItemNotFoundException"));
    lab.shutdown().await;
}

#[tokio::test]
async fn guarded_update_writes_notes_data_and_links_and_refuses_a_lost_update() {
    let lab = lab_with(20).await;
    let (ctx, _) = common::context(&lab).await;
    let (items, _) = opscenter::list_page(&ctx, &[text("Status", false, &["Open"])], None)
        .await
        .unwrap();
    let (a, b) = (items[0].id.clone(), items[1].id.clone());
    let mine = opscenter::get(&ctx, &a).await.unwrap();
    assert!(mine.description.is_some());
    // Someone else moves it to InProgress after I opened it.
    let theirs = OpsChange {
        status: Some("InProgress".into()),
        priority: Some(1),
        ..OpsChange::default()
    };
    let after_theirs = opscenter::update_guarded(&ctx, &a, Some(mine.last_modified_ms), &theirs)
        .await
        .unwrap();
    assert_eq!(after_theirs.status, "InProgress");
    // My write, guarded by what I read, is refused and nothing is written.
    let my_change = OpsChange {
        status: Some("Resolved".into()),
        note: Some("false alarm".into()),
        caller: "arn:aws:iam::123456789012:user/me".into(),
        ..OpsChange::default()
    };
    match opscenter::update_guarded(&ctx, &a, Some(mine.last_modified_ms), &my_change).await {
        Err(UpdateError::Conflict(current)) => {
            assert_eq!(current.status, "InProgress");
            let what = ssmdeck::app::opscenter::changes(&mine, &current);
            assert!(
                what.contains(&"status: Open → InProgress".to_owned()),
                "{what:?}"
            );
            assert!(what.iter().any(|w| w.starts_with("priority:")), "{what:?}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let now = opscenter::get(&ctx, &a).await.unwrap();
    assert_eq!(now.status, "InProgress");
    assert!(now.notes().is_empty(), "nothing was written");
    // Guarded by the new time, it goes through: status, note, data, link.
    let my_change = OpsChange {
        add_data: vec![("runbook".into(), "https://wiki/disk".into(), true)],
        link: vec![b.clone()],
        ..my_change
    };
    let done = opscenter::update_guarded(&ctx, &a, Some(now.last_modified_ms), &my_change)
        .await
        .unwrap();
    assert_eq!(done.status, "Resolved");
    let notes = done.notes();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "false alarm");
    assert_eq!(notes[0].by, "arn:aws:iam::123456789012:user/me");
    assert!(
        notes[0].at.ends_with('Z') && notes[0].at.contains('.'),
        "{}",
        notes[0].at
    );
    assert_eq!(done.operational_data["runbook"].value, "https://wiki/disk");
    assert!(done.related_ops_items.contains(&b));
    assert_eq!(
        done.last_modified_by,
        "arn:aws:iam::123456789012:user/ssmdeck-lab"
    );
    // Delete the operational data again.
    let gone = opscenter::update_guarded(
        &ctx,
        &a,
        Some(done.last_modified_ms),
        &OpsChange {
            delete_data: vec!["runbook".into()],
            ..OpsChange::default()
        },
    )
    .await
    .unwrap();
    assert!(!gone.operational_data.contains_key("runbook"));
    assert!(gone.operational_data.contains_key("/aws/resources"));
    lab.shutdown().await;
}

#[tokio::test]
async fn create_relates_the_node_and_detail_reads_events_and_related_items() {
    let lab = lab_with(60).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab.nodes()[3].id.clone();
    let arn = format!("arn:aws:ec2:us-east-1:123456789012:instance/{node}");
    let id = opscenter::create(
        &ctx,
        &CreateRequest {
            title: "Disk full".into(),
            description: "df says 100%".into(),
            source: "ssmdeck".into(),
            priority: 2,
            severity: "1".into(),
            category: Some("Availability".into()),
            node_arn: Some(arn),
        },
    )
    .await
    .unwrap();
    let item = opscenter::get(&ctx, &id).await.unwrap();
    assert_eq!(item.related_nodes(), vec![node.clone()]);
    assert_eq!(item.severity.as_deref(), Some("1"));
    assert_eq!(item.status, "Open");
    // Found by the node it names (ResourceId Contains).
    let (by_node, _) = opscenter::list_page(&ctx, &[text("ResourceId", true, &[&node])], None)
        .await
        .unwrap();
    assert!(by_node.iter().any(|i| i.id == id));
    // Seeded items carry source events; some carry a runbook association.
    let mut all = Vec::new();
    opscenter::list_all(&ctx, &[], |items, _| all.extend(items))
        .await
        .unwrap();
    let mut events_seen = 0;
    let mut related_seen = 0;
    for i in all.iter().filter(|i| i.id != id) {
        events_seen += opscenter::events(&ctx, &i.id).await.unwrap().len();
        related_seen += opscenter::related(&ctx, &i.id).await.unwrap().len();
    }
    assert!(events_seen >= 60, "{events_seen}");
    assert!(related_seen > 0);
    assert!(opscenter::events(&ctx, &id).await.unwrap().is_empty());
    lab.shutdown().await;
}

#[tokio::test]
async fn a_create_answered_500_after_it_ran_is_found_not_created_twice() {
    let lab = lab_with(20).await;
    lab.set_faults(Faults {
        fail_after_share: 1.0,
        shares_only: vec!["ssm:CreateOpsItem".into()],
        ..Faults::default()
    });
    let (ctx, _) = common::context(&lab).await;
    let id = opscenter::create(
        &ctx,
        &CreateRequest {
            title: "Lost answer".into(),
            description: "created, then HTTP 500".into(),
            source: "ssmdeck".into(),
            priority: 3,
            severity: "2".into(),
            category: None,
            node_arn: None,
        },
    )
    .await
    .expect("found by DescribeOpsItems");
    assert_eq!(lab.calls()["ssm:CreateOpsItem"], 1, "never sent twice");
    let item = opscenter::get(&ctx, &id).await.unwrap();
    assert_eq!(item.title, "Lost answer");
    let (same, _) = opscenter::list_page(&ctx, &[text("Title", false, &["Lost answer"])], None)
        .await
        .unwrap();
    assert_eq!(same.len(), 1, "one OpsItem: {same:?}");
    lab.shutdown().await;
}
