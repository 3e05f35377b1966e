//! State Manager associations of the lab through the AWS SDK over HTTP:
//! the seeded associations list with their counts over pages, an
//! execution's targets lead to real Run Command invocations, a failing
//! CloudWatch agent install is fixed and applied again (StartAssociationsOnce)
//! until DescribeInstanceAssociationsStatus and DescribeInstanceInformation
//! say Success, the association clock runs scheduled associations, and
//! every answer and error follows botocore's model.

use std::time::Duration;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    AssociationExecution, AssociationExecutionFilter, AssociationExecutionFilterKey,
    AssociationExecutionTargetsFilter, AssociationExecutionTargetsFilterKey, AssociationFilter,
    AssociationFilterKey, AssociationFilterOperatorType, InstanceInformationStringFilter, Target,
};
use serde_json::{Value, json};
use ssmdeck_lab::{Faults, LabHandle, PingStatus};

use crate::lab_tenancy::ssm;
use crate::lab_validation::{COMMON, json_call, model_errors};
use crate::model_shapes::check_output;

fn client(lab: &LabHandle) -> aws_sdk_ssm::Client {
    ssm(lab, &lab.accounts()[0], lab.region())
}

/// The id of the association running `document` (first match).
async fn association_of(c: &aws_sdk_ssm::Client, document: &str) -> String {
    let out = c
        .list_associations()
        .association_filter_list(
            AssociationFilter::builder()
                .key(AssociationFilterKey::Name)
                .value(document)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("ListAssociations");
    out.associations()[0]
        .association_id()
        .expect("an id")
        .to_owned()
}

/// The newest execution of `id` once it is final and not `not` (polls for
/// at most 30 s).
async fn finished_after(
    c: &aws_sdk_ssm::Client,
    id: &str,
    not: Option<&str>,
) -> AssociationExecution {
    for _ in 0..600 {
        let out = c
            .describe_association_executions()
            .association_id(id)
            .max_results(1)
            .send()
            .await
            .expect("DescribeAssociationExecutions");
        if let Some(e) = out.association_executions().first()
            && e.execution_id() != not
            && matches!(e.status(), Some("Success" | "Failed"))
        {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("association {id}: no new final execution");
}

async fn newest_execution_id(c: &aws_sdk_ssm::Client, id: &str) -> Option<String> {
    c.describe_association_executions()
        .association_id(id)
        .max_results(1)
        .send()
        .await
        .expect("DescribeAssociationExecutions")
        .association_executions()
        .first()
        .and_then(|e| e.execution_id().map(str::to_owned))
}

#[tokio::test]
async fn seeded_associations_list_with_their_counts_over_pages() {
    let lab = crate::common::lab(120, Faults::default()).await;
    let c = client(&lab);
    let mut all = Vec::new();
    let mut pages = c.list_associations().max_results(1).into_paginator().send();
    let mut n_pages = 0;
    while let Some(p) = pages.next().await {
        all.extend(p.expect("ListAssociations").associations().to_vec());
        n_pages += 1;
    }
    assert_eq!(n_pages, 3);
    let names: Vec<&str> = all.iter().filter_map(|a| a.name()).collect();
    assert_eq!(
        names,
        [
            "AWS-GatherSoftwareInventory",
            "AWS-UpdateSSMAgent",
            "AWS-ConfigureAWSPackage"
        ]
    );
    // Each overview counts the nodes that report a status for it.
    let nodes = lab.nodes();
    for a in &all {
        let id = a.association_id().unwrap();
        let reported = nodes
            .iter()
            .filter(|n| {
                lab.association_statuses(&n.id)
                    .iter()
                    .any(|s| s.association_id == id)
            })
            .count() as i32;
        let ov = a.overview().expect("an overview");
        let counts = ov.association_status_aggregated_count().unwrap();
        assert_eq!(counts.values().sum::<i32>(), reported, "{a:?}");
        assert!(a.last_execution_date().is_some());
        if a.name() == Some("AWS-ConfigureAWSPackage") {
            assert_eq!(ov.status(), Some("Failed"));
            assert!(counts["Failed"] > 0 && counts["Success"] > 0, "{counts:?}");
        } else {
            assert_eq!(ov.status(), Some("Success"));
        }
    }
    // The inventory's four runs, newest first, two a page.
    let inventory = all[0].association_id().unwrap();
    let mut runs: Vec<AssociationExecution> = Vec::new();
    let mut pages = c
        .describe_association_executions()
        .association_id(inventory)
        .max_results(2)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        runs.extend(p.unwrap().association_executions().to_vec());
    }
    assert_eq!(runs.len(), 4);
    let times: Vec<f64> = runs
        .iter()
        .map(|e| e.created_time().unwrap().as_secs_f64())
        .collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "{times:?}");
    let counts = regex::Regex::new(r"^\{\w+=\d+(, \w+=\d+)*\}$").unwrap();
    for e in &runs {
        assert!(
            counts.is_match(e.resource_count_by_status().unwrap()),
            "{e:?}"
        );
    }
    // CreatedTime filters.
    let newest = runs[0].created_time().unwrap();
    let after = c
        .describe_association_executions()
        .association_id(inventory)
        .filters(
            AssociationExecutionFilter::builder()
                .key(AssociationExecutionFilterKey::CreatedTime)
                .value(
                    newest
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                        .unwrap(),
                )
                .r#type(AssociationFilterOperatorType::LessThan)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(after.association_executions().len(), 3);
    // Legacy-only InstanceId filter: the seeded associations use targets.
    let legacy = c
        .list_associations()
        .association_filter_list(
            AssociationFilter::builder()
                .key(AssociationFilterKey::InstanceId)
                .value(&nodes[0].id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(legacy.associations().is_empty());
    lab.shutdown().await;
}

#[tokio::test]
async fn an_execution_runs_through_run_command_and_versions_follow_updates() {
    let lab = crate::common::lab(30, Faults::default()).await;
    let c = client(&lab);
    let linux: Vec<String> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
        .take(2)
        .map(|n| n.id)
        .collect();
    assert_eq!(linux.len(), 2);
    let created = c
        .create_association()
        .name("AWS-RunShellScript")
        .association_name("echo-node")
        .targets(
            Target::builder()
                .key("InstanceIds")
                .set_values(Some(linux.clone()))
                .build(),
        )
        .parameters("commands", vec!["echo assoc-$SSM_NODE_ID".into()])
        .schedule_expression("rate(30 minutes)")
        .send()
        .await
        .expect("CreateAssociation");
    let d = created.association_description().unwrap();
    assert_eq!(d.association_version(), Some("1"));
    assert_eq!(d.overview().unwrap().detailed_status(), Some("Creating"));
    let id = d.association_id().unwrap().to_owned();
    let first = finished_after(&c, &id, None).await;
    assert_eq!(first.status(), Some("Success"), "{first:?}");
    assert_eq!(first.resource_count_by_status(), Some("{Success=2}"));
    let exec = first.execution_id().unwrap();
    let targets = c
        .describe_association_execution_targets()
        .association_id(&id)
        .execution_id(exec)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.association_execution_targets().len(), 2);
    for t in targets.association_execution_targets() {
        assert_eq!(t.resource_type(), Some("ManagedInstance"));
        let src = t.output_source().unwrap();
        assert_eq!(src.output_source_type(), Some("RunCommand"));
        let node = t.resource_id().unwrap();
        let inv = c
            .get_command_invocation()
            .command_id(src.output_source_id().unwrap())
            .instance_id(node)
            .send()
            .await
            .expect("GetCommandInvocation of the OutputSourceId");
        assert_eq!(
            inv.standard_output_content(),
            Some(format!("assoc-{node}\n").as_str())
        );
    }
    let one = c
        .describe_association_execution_targets()
        .association_id(&id)
        .execution_id(exec)
        .filters(
            AssociationExecutionTargetsFilter::builder()
                .key(AssociationExecutionTargetsFilterKey::ResourceId)
                .value(&linux[0])
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(one.association_execution_targets().len(), 1);
    // An update is version 2 and runs at once.
    let updated = c
        .update_association()
        .association_id(&id)
        .parameters("commands", vec!["echo v2".into()])
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated
            .association_description()
            .unwrap()
            .association_version(),
        Some("2")
    );
    let second = finished_after(&c, &id, Some(exec)).await;
    assert_eq!(second.association_version(), Some("2"));
    let versions = c
        .list_association_versions()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.association_versions().len(), 2);
    let v1 = c
        .describe_association()
        .association_id(&id)
        .association_version("1")
        .send()
        .await
        .unwrap();
    let p = v1.association_description().unwrap().parameters().unwrap();
    assert_eq!(p["commands"], vec!["echo assoc-$SSM_NODE_ID".to_owned()]);
    c.delete_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    let e = c
        .describe_association()
        .association_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AssociationDoesNotExist"));
    lab.shutdown().await;
}

/// DescribeInstanceInformation's AssociationStatus of `node` (the same
/// as its overview's DetailedStatus).
async fn dii_status(c: &aws_sdk_ssm::Client, node: &str) -> Option<String> {
    let out = c
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("InstanceIds")
                .values(node)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let n = out.instance_information_list().first()?;
    assert_eq!(
        n.association_status(),
        n.association_overview().and_then(|o| o.detailed_status())
    );
    n.association_status().map(str::to_owned)
}

#[tokio::test]
async fn an_association_failure_then_apply_now_succeeds_after_the_fix() {
    let lab = crate::common::lab(120, Faults::default()).await;
    let c = client(&lab);
    let online: Vec<String> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.ping == PingStatus::Online)
        .map(|n| n.id)
        .collect();
    let failing = lab.association_failing_nodes();
    let node = failing
        .iter()
        .find(|n| online.contains(n))
        .expect("an online node whose install fails")
        .clone();
    assert_eq!(lab.association_counts(&node).map(|c| c.1), Some(1));
    assert_eq!(dii_status(&c, &node).await.as_deref(), Some("Failed"));
    let id = association_of(&c, "AWS-ConfigureAWSPackage").await;
    // Apply now without the fix: it fails again, with the plugin's error.
    let before = newest_execution_id(&c, &id).await;
    c.start_associations_once()
        .association_ids(&id)
        .send()
        .await
        .unwrap();
    let again = finished_after(&c, &id, before.as_deref()).await;
    assert_eq!(again.status(), Some("Failed"));
    let targets = c
        .describe_association_execution_targets()
        .association_id(&id)
        .execution_id(again.execution_id().unwrap())
        .filters(
            AssociationExecutionTargetsFilter::builder()
                .key(AssociationExecutionTargetsFilterKey::Status)
                .value("Failed")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let t = targets
        .association_execution_targets()
        .iter()
        .find(|t| t.resource_id() == Some(node.as_str()))
        .expect("the failing node's target");
    let inv = c
        .get_command_invocation()
        .command_id(t.output_source().unwrap().output_source_id().unwrap())
        .instance_id(&node)
        .send()
        .await
        .unwrap();
    assert!(
        inv.standard_error_content()
            .unwrap()
            .contains("package AmazonCloudWatchAgent failed to install"),
        "{inv:?}"
    );
    // The fix, then apply now: Success everywhere.
    assert!(lab.fix_association_failures() >= failing.len());
    assert!(lab.association_failing_nodes().is_empty());
    c.start_associations_once()
        .association_ids(&id)
        .send()
        .await
        .unwrap();
    let fixed = finished_after(&c, &id, again.execution_id()).await;
    assert_eq!(fixed.status(), Some("Success"), "{fixed:?}");
    let st = c
        .describe_instance_associations_status()
        .instance_id(&node)
        .send()
        .await
        .unwrap();
    let mine = st
        .instance_association_status_infos()
        .iter()
        .find(|s| s.association_id() == Some(id.as_str()))
        .unwrap();
    assert_eq!(mine.status(), Some("Success"));
    assert!(mine.error_code().is_none());
    assert!(mine.execution_summary().unwrap().contains("1 success"));
    assert_eq!(dii_status(&c, &node).await.as_deref(), Some("Success"));
    let described = c
        .describe_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    let d = described.association_description().unwrap();
    assert!(d.last_successful_execution_date().is_some());
    lab.shutdown().await;
}

#[tokio::test]
async fn the_association_clock_runs_scheduled_associations() {
    let lab = crate::common::lab(20, Faults::default()).await;
    let c = client(&lab);
    let id = association_of(&c, "AWS-GatherSoftwareInventory").await;
    let before = newest_execution_id(&c, &id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(newest_execution_id(&c, &id).await, before, "off at start");
    lab.set_association_tick_ms(100);
    let run = finished_after(&c, &id, before.as_deref()).await;
    lab.set_association_tick_ms(0);
    assert_eq!(run.status(), Some("Success"));
    lab.shutdown().await;
}

fn listed(op: &str, code: &str) -> bool {
    COMMON.contains(&code) || model_errors()["ssm"][op].iter().any(|c| c.as_str() == code)
}

#[tokio::test]
async fn association_errors_carry_the_model_codes() {
    let lab = crate::common::lab(20, Faults::default()).await;
    let node = lab.nodes()[0].id.clone();
    let tags = json!([{"Key": "tag:Env", "Values": ["prod"]}]);
    let shell = json!({"commands": ["true"]});
    let none = "00000000-0000-4000-8000-000000000000";
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "CreateAssociation",
            json!({"Targets": tags}),
            "ValidationException",
        ),
        (
            "CreateAssociation",
            json!({"Name": "Nope-Doc", "Targets": tags}),
            "InvalidDocument",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "Targets": tags, "Parameters": shell, "ScheduleExpression": "rate(5 minutes)"}),
            "InvalidSchedule",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "Targets": tags, "Parameters": shell, "ScheduleExpression": "every day"}),
            "InvalidSchedule",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "Targets": [{"Key": "Colour", "Values": ["red"]}], "Parameters": shell}),
            "InvalidTarget",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "Targets": tags, "Parameters": shell, "MaxConcurrency": "0"}),
            "ValidationException",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "Targets": tags, "Parameters": shell, "AssociationName": "x"}),
            "ValidationException",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-ConfigureAWSPackage", "Targets": tags, "Parameters": {"action": ["Explode"], "name": ["AmazonCloudWatchAgent"]}}),
            "InvalidParameters",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "InstanceId": "i-0123456789abcdef0", "Parameters": shell}),
            "InvalidInstanceId",
        ),
        (
            "CreateAssociation",
            json!({"Name": "AWS-RunShellScript", "InstanceId": node, "Targets": tags, "Parameters": shell}),
            "InvalidTarget",
        ),
        (
            "DescribeAssociation",
            json!({"AssociationId": none}),
            "AssociationDoesNotExist",
        ),
        (
            "DescribeAssociation",
            json!({"AssociationId": "nope"}),
            "ValidationException",
        ),
        (
            "DeleteAssociation",
            json!({"AssociationId": none}),
            "AssociationDoesNotExist",
        ),
        (
            "UpdateAssociation",
            json!({"AssociationId": none}),
            "AssociationDoesNotExist",
        ),
        (
            "StartAssociationsOnce",
            json!({"AssociationIds": [none]}),
            "InvalidAssociation",
        ),
        (
            "StartAssociationsOnce",
            json!({"AssociationIds": []}),
            "ValidationException",
        ),
        (
            "ListAssociations",
            json!({"AssociationFilterList": [{"key": "Colour", "value": "red"}]}),
            "ValidationException",
        ),
        (
            "ListAssociations",
            json!({"NextToken": "bogus"}),
            "InvalidNextToken",
        ),
        (
            "ListAssociations",
            json!({"MaxResults": 51}),
            "ValidationException",
        ),
        (
            "ListAssociationVersions",
            json!({"AssociationId": none}),
            "AssociationDoesNotExist",
        ),
        (
            "DescribeAssociationExecutions",
            json!({"AssociationId": none}),
            "AssociationDoesNotExist",
        ),
        (
            "DescribeInstanceAssociationsStatus",
            json!({"InstanceId": "i-0123456789abcdef0"}),
            "InvalidInstanceId",
        ),
        (
            "DescribeInstanceAssociationsStatus",
            json!({"InstanceId": node, "NextToken": "bogus"}),
            "InvalidNextToken",
        ),
    ];
    for (op, body, code) in &cases {
        let (status, v) = json_call(&lab, "ssm", op, body).await;
        assert_eq!(status, 400, "{op} {body}: {v}");
        assert_eq!(v["__type"], *code, "{op} {body}: {v}");
        assert!(
            listed(op, code),
            "{op}: {code} is not in the model's errors"
        );
    }
    // Needing an association: duplicates, old versions, executions.
    let legacy = json!({"Name": "AWS-RunShellScript", "InstanceId": node, "Parameters": shell});
    let (status, created) = json_call(&lab, "ssm", "CreateAssociation", &legacy).await;
    assert_eq!(status, 200, "{created}");
    let id = created["AssociationDescription"]["AssociationId"].clone();
    let more: Vec<(&str, Value, &str)> = vec![
        (
            "CreateAssociation",
            legacy.clone(),
            "AssociationAlreadyExists",
        ),
        (
            "DescribeAssociation",
            json!({"AssociationId": id, "AssociationVersion": "7"}),
            "InvalidAssociationVersion",
        ),
        (
            "UpdateAssociation",
            json!({"AssociationId": id, "AssociationVersion": "7"}),
            "InvalidAssociationVersion",
        ),
        (
            "DescribeAssociationExecutionTargets",
            json!({"AssociationId": id, "ExecutionId": none}),
            "AssociationExecutionDoesNotExist",
        ),
        (
            "DescribeAssociationExecutions",
            json!({"AssociationId": id, "Filters": [{"Key": "Status", "Value": "Success", "Type": "LESS_THAN"}]}),
            "ValidationException",
        ),
    ];
    for (op, body, code) in &more {
        let (status, v) = json_call(&lab, "ssm", op, body).await;
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some(*code)),
            "{op} {body}: {v}"
        );
        assert!(
            listed(op, code),
            "{op}: {code} is not in the model's errors"
        );
    }
    // The legacy association is found by Name and InstanceId.
    let (status, v) = json_call(
        &lab,
        "ssm",
        "DescribeAssociation",
        &json!({"Name": "AWS-RunShellScript", "InstanceId": node}),
    )
    .await;
    assert_eq!(
        (status, &v["AssociationDescription"]["AssociationId"]),
        (200, &id),
        "{v}"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn association_answers_have_the_model_shapes() {
    let lab = crate::common::lab(40, Faults::default()).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
        .unwrap()
        .id;
    let call = |op: &'static str, body: Value| {
        let lab = &lab;
        async move {
            let (status, v) = json_call(lab, "ssm", op, &body).await;
            assert_eq!(status, 200, "{op}: {v}");
            check_output("ssm", op, &v).unwrap_or_else(|e| panic!("{op}: {e}\n{v}"));
            v
        }
    };
    let created = call(
        "CreateAssociation",
        json!({
            "Name": "AWS-RunShellScript", "AssociationName": "shape-check",
            "Targets": [{"Key": "InstanceIds", "Values": [node]}],
            "Parameters": {"commands": ["echo shape"]}, "ScheduleExpression": "cron(0 2 ? * SUN *)",
            "ApplyOnlyAtCronInterval": true, "ComplianceSeverity": "LOW", "MaxConcurrency": "1",
            "MaxErrors": "0", "SyncCompliance": "AUTO", "ScheduleOffset": 2,
            "OutputLocation": {"S3Location": {"OutputS3BucketName": "lab-bucket", "OutputS3KeyPrefix": "assoc"}},
            "Tags": [{"Key": "Team", "Value": "platform"}],
        }),
    )
    .await;
    let id = created["AssociationDescription"]["AssociationId"].clone();
    call("StartAssociationsOnce", json!({"AssociationIds": [id]})).await;
    call(
        "UpdateAssociation",
        json!({"AssociationId": id, "MaxErrors": "1"}),
    )
    .await;
    call("DescribeAssociation", json!({"AssociationId": id})).await;
    call("ListAssociationVersions", json!({"AssociationId": id})).await;
    let list = call("ListAssociations", json!({"MaxResults": 50})).await;
    let cw = list["Associations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == "AWS-ConfigureAWSPackage")
        .unwrap()["AssociationId"]
        .clone();
    let runs = call(
        "DescribeAssociationExecutions",
        json!({"AssociationId": cw}),
    )
    .await;
    let exec = runs["AssociationExecutions"][0]["ExecutionId"].clone();
    call(
        "DescribeAssociationExecutionTargets",
        json!({"AssociationId": cw, "ExecutionId": exec}),
    )
    .await;
    for n in lab
        .association_failing_nodes()
        .iter()
        .take(1)
        .chain([&node])
    {
        let st = call(
            "DescribeInstanceAssociationsStatus",
            json!({"InstanceId": n}),
        )
        .await;
        assert!(
            !st["InstanceAssociationStatusInfos"]
                .as_array()
                .unwrap()
                .is_empty()
                || *n == node
        );
    }
    call("DeleteAssociation", json!({"AssociationId": id})).await;
    lab.shutdown().await;
}
