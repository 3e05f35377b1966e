//! The lab's S3 for Run Command output: SendCommand's `OutputS3BucketName`
//! puts each invocation's whole stdout and stderr at the agent's keys, the
//! invocation's `StandardOutputUrl` names them, and S3's answers have the
//! model's shapes (tests/fixtures/model-shapes.json) and its error codes.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use ssmdeck_lab::{Faults, LabHandle, PingStatus};

use crate::common;
use crate::lab_validation::{json_call, model_errors, signed_response};
use crate::model_shapes::check_rest_xml_output;

const BUCKET: &str = "ssmdeck-lab-output";

/// One Online Linux node.
fn linux_node(lab: &LabHandle) -> String {
    lab.nodes()
        .into_iter()
        .find(|x| x.ping == PingStatus::Online && x.platform_type == "Linux")
        .expect("an online Linux node")
        .id
}

/// Sends `script` to `node` with output to `bucket`/`prefix`; the command id.
async fn send(lab: &LabHandle, node: &str, script: &str, bucket: &str, prefix: &str) -> String {
    let (status, v) = json_call(
        lab,
        "ssm",
        "SendCommand",
        &json!({
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": [node],
            "Parameters": {"commands": [script]},
            "OutputS3BucketName": bucket,
            "OutputS3KeyPrefix": prefix,
        }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Command"]["OutputS3BucketName"], bucket, "{v}");
    assert_eq!(v["Command"]["OutputS3KeyPrefix"], prefix, "{v}");
    v["Command"]["CommandId"].as_str().unwrap().to_owned()
}

/// GetCommandInvocation once the invocation has ended (bounded: 60 s).
async fn finished(lab: &LabHandle, command: &str, node: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, v) = json_call(
            lab,
            "ssm",
            "GetCommandInvocation",
            &json!({"CommandId": command, "InstanceId": node}),
        )
        .await;
        if !matches!(
            v["Status"].as_str(),
            Some("Pending" | "InProgress" | "Delayed") | None
        ) {
            return v;
        }
        assert!(Instant::now() < deadline, "the invocation never ended: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A signed S3 request of the lab's own account: status, headers, body.
async fn s3(lab: &LabHandle, method: &str, uri: &str) -> (u16, Vec<(String, String)>, String) {
    let creds = lab.credentials().clone();
    signed_response(
        lab,
        &creds,
        (method, uri, "s3"),
        None,
        "",
        SystemTime::now(),
    )
    .await
}

fn lines(n: usize) -> String {
    (1..=n).map(|i| format!("{i}\n")).collect()
}

#[tokio::test]
async fn send_command_puts_the_whole_output_in_s3_and_the_console_reads_it_back() {
    let lab = common::lab(6, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = linux_node(&lab);
    let cmd = send(&lab, &node, "seq 1 20000; seq 1 3000 >&2", BUCKET, "runs").await;
    let inv = finished(&lab, &cmd, &node).await;
    assert_eq!(inv["Status"], "Success", "{inv}");
    let key = format!("runs/{cmd}/{node}/awsrunShellScript/0.awsrunShellScript");
    let url = format!("https://s3.{}.amazonaws.com/{BUCKET}/{key}", lab.region());
    assert_eq!(inv["StandardOutputUrl"], format!("{url}/stdout"));
    assert_eq!(inv["StandardErrorUrl"], format!("{url}/stderr"));
    assert_eq!(
        inv["StandardOutputContent"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        24_000
    );
    // The console reads the rest from S3, both streams whole.
    let full = ssmdeck::aws::commands::full_output(&ctx, &cmd, &node)
        .await
        .unwrap();
    assert!(full.from_s3 && !full.from_logs, "{:?}", full.logs_error);
    assert!(!full.truncated(), "{:?}", full.marker());
    assert_eq!(full.stdout, lines(20_000));
    assert_eq!(full.stderr, lines(3_000));
    assert_eq!(full.source(), "full output (S3)");
    // The objects, through the SDK's paginator one key a page, and by
    // common prefix.
    let mut keys = Vec::new();
    let mut pages = ctx
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("runs/")
        .max_keys(1)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(keys, [format!("{key}/stderr"), format!("{key}/stdout")]);
    let by_folder = ctx
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("runs/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let folders: Vec<_> = by_folder
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(folders, [format!("runs/{cmd}/")]);
    assert!(by_folder.contents().is_empty());
    // A range of the object.
    let part = ctx
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(format!("{key}/stdout"))
        .range("bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 0-9/108894"));
    let body = part.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"1\n2\n3\n4\n5\n");
    // Without a bucket, no URL.
    let (status, v) = json_call(
        &lab,
        "ssm",
        "SendCommand",
        &json!({"DocumentName": "AWS-RunShellScript", "InstanceIds": [node], "Parameters": {"commands": ["true"]}}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let plain = v["Command"]["CommandId"].as_str().unwrap();
    assert!(v["Command"].get("OutputS3BucketName").is_none(), "{v}");
    let inv = finished(&lab, plain, &node).await;
    assert_eq!(inv["StandardOutputUrl"], "", "{inv}");
    lab.shutdown().await;
}

#[tokio::test]
async fn s3_answers_have_the_model_shapes_and_errors_the_model_codes() {
    let lab = common::lab(6, Faults::default()).await;
    let node = linux_node(&lab);
    let cmd = send(&lab, &node, "echo hello", BUCKET, "").await;
    finished(&lab, &cmd, &node).await;
    let key = format!("{cmd}/{node}/awsrunShellScript/0.awsrunShellScript/stdout");
    let ok = |op: &str, (status, headers, body): (u16, Vec<(String, String)>, String)| {
        assert!((200..300).contains(&status), "{op}: {status} {body}");
        check_rest_xml_output("s3", op, &body, &headers).unwrap_or_else(|e| panic!("{op}: {e}"));
        body
    };
    let listed = ok("ListBuckets", s3(&lab, "GET", "/").await);
    assert!(
        listed.contains(&format!("<Name>{BUCKET}</Name>")),
        "{listed}"
    );
    ok("CreateBucket", s3(&lab, "PUT", "/my-runs").await);
    let body = ok(
        "ListObjectsV2",
        s3(
            &lab,
            "GET",
            &format!("/{BUCKET}?list-type=2&max-keys=1&encoding-type=url"),
        )
        .await,
    );
    assert!(
        body.contains("<NextContinuationToken>") || body.contains("<KeyCount>1</KeyCount>"),
        "{body}"
    );
    ok(
        "HeadObject",
        s3(&lab, "HEAD", &format!("/{BUCKET}/{key}")).await,
    );
    // GetObject's payload is the object; its headers are the shape's.
    let (status, headers, got) = s3(&lab, "GET", &format!("/{BUCKET}/{key}")).await;
    assert_eq!((status, got.as_str()), (200, "hello\n"));
    check_rest_xml_output("s3", "GetObject", "", &headers).unwrap();
    assert!(
        headers
            .iter()
            .any(|(h, v)| h.eq_ignore_ascii_case("content-length") && v == "6"),
        "{headers:?}"
    );

    // Errors: the codes the S3 model lists for the operation, or S3's
    // common codes (S3 API reference, "List of error codes").
    let errors = &model_errors()["s3"];
    let code = |body: &str| {
        body.split("<Code>")
            .nth(1)
            .and_then(|r| r.split("</Code>").next())
            .unwrap_or("")
            .to_owned()
    };
    for (op, method, uri, status, want) in [
        (
            "GetObject",
            "GET",
            format!("/{BUCKET}/no/such/key"),
            404,
            "NoSuchKey",
        ),
        (
            "ListObjectsV2",
            "GET",
            "/no-such-bucket?list-type=2".into(),
            404,
            "NoSuchBucket",
        ),
        (
            "CreateBucket",
            "PUT",
            format!("/{BUCKET}"),
            409,
            "BucketAlreadyOwnedByYou",
        ),
    ] {
        let (got, _, body) = s3(&lab, method, &uri).await;
        if op == "CreateBucket" && lab.region() == "us-east-1" {
            assert_eq!(
                got, 200,
                "us-east-1 answers a repeated create of one's bucket with 200"
            );
            continue;
        }
        assert_eq!((got, code(&body).as_str()), (status, want), "{op}: {body}");
        assert!(
            errors[op].iter().any(|c| c == want),
            "{op} lists {:?}",
            errors[op]
        );
    }
    for (uri, status, want) in [
        ("/Not_A_Bucket".to_owned(), 400, "InvalidBucketName"),
        (
            format!("/{BUCKET}?list-type=2&continuation-token=zz"),
            400,
            "InvalidArgument",
        ),
        (
            format!("/{BUCKET}?list-type=2&max-keys=-1"),
            400,
            "InvalidArgument",
        ),
    ] {
        let method = if uri.contains('?') { "GET" } else { "PUT" };
        let (got, _, body) = s3(&lab, method, &uri).await;
        assert_eq!((got, code(&body).as_str()), (status, want), "{uri}: {body}");
    }
    // A HEAD error is the status alone, as S3 answers it (SDKs: NotFound).
    let (got, _, body) = s3(&lab, "HEAD", &format!("/{BUCKET}/no/such/key")).await;
    assert_eq!((got, body.as_str()), (404, ""));
    // SendCommand bounds the output bucket and prefix as the SSM model does.
    for (bucket, prefix) in [("ab", ""), (BUCKET, &*"p".repeat(501))] {
        let (status, v) = json_call(
            &lab,
            "ssm",
            "SendCommand",
            &json!({"DocumentName": "AWS-RunShellScript", "InstanceIds": [node],
                "Parameters": {"commands": ["true"]},
                "OutputS3BucketName": bucket, "OutputS3KeyPrefix": prefix}),
        )
        .await;
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("ValidationException")),
            "{v}"
        );
    }
    lab.shutdown().await;
}
