//! Protocols and services as AWS serves them, with raw signed requests:
//! query-protocol parameters in the URL query string (GET, or POST with an
//! empty body), an unknown-service error that names the service, and a
//! signature more than 5 minutes off the lab's clock refused with each
//! service's own error (a captured request cannot be replayed).

use std::time::{Duration, SystemTime};

use serde_json::Value;
use ssmdeck_lab::Faults;

use crate::common;
use crate::lab_validation::signed_raw;

#[tokio::test]
async fn ec2_and_sts_read_query_string_parameters_as_aws_does() {
    let lab = common::lab(12, Faults::default()).await;
    let now = SystemTime::now();
    let query = "/?Action=DescribeInstances&Version=2016-11-15&MaxResults=5";
    for method in ["GET", "POST"] {
        let (status, text) = signed_raw(&lab, method, query, "ec2", None, "", now).await;
        assert_eq!(status, 200, "{method}: {text}");
        assert!(
            text.contains("<DescribeInstancesResponse"),
            "{method}: {text}"
        );
        assert_eq!(
            text.matches("<instanceId>").count(),
            5,
            "MaxResults from the query: {text}"
        );
        assert!(text.contains("<nextToken>"), "{text}");
    }
    // Unknown parameters are refused wherever they come from.
    let (status, text) = signed_raw(
        &lab,
        "GET",
        &format!("{query}&Colour=red"),
        "ec2",
        None,
        "",
        now,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>UnknownParameter</Code>"), "{text}");
    for method in ["GET", "POST"] {
        let (status, text) = signed_raw(
            &lab,
            method,
            "/?Action=GetCallerIdentity&Version=2011-06-15",
            "sts",
            None,
            "",
            now,
        )
        .await;
        assert_eq!(status, 200, "{method}: {text}");
        assert!(
            text.contains("<Account>123456789012</Account>"),
            "{method}: {text}"
        );
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn a_service_the_lab_does_not_serve_is_named_in_an_unknown_service_error() {
    let lab = common::lab(6, Faults::default()).await;
    let now = SystemTime::now();
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "dynamodb",
        Some("DynamoDB_20120810.ListTables"),
        "{}",
        now,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let v: Value = serde_json::from_str(&text).expect("JSON error");
    assert_eq!(v["__type"], "UnknownOperationException", "{v}");
    let message = v["message"].as_str().unwrap_or("");
    assert!(
        message.contains("service dynamodb ") && !message.contains("AmazonSSM"),
        "{message}"
    );
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "sqs",
        None,
        "Action=ListQueues&Version=2012-11-05",
        now,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("<Code>UnknownOperationException</Code>"),
        "{text}"
    );
    assert!(text.contains("service sqs "), "{text}");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_signature_more_than_five_minutes_off_is_refused_with_each_services_error() {
    let lab = common::lab(6, Faults::default()).await;
    let now = SystemTime::now();
    let ago = now - Duration::from_secs(20 * 60);
    let ahead = now + Duration::from_secs(20 * 60);
    let ssm = Some("AmazonSSM.DescribeInstanceInformation");
    // Within the window: accepted.
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "ssm",
        ssm,
        "{}",
        now - Duration::from_secs(4 * 60),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = signed_raw(&lab, "POST", "/", "ssm", ssm, "{}", ago).await;
    assert_eq!(status, 400, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["__type"], "InvalidSignatureException", "{v}");
    let m = v["message"].as_str().unwrap();
    assert!(
        m.starts_with("Signature expired: ")
            && m.contains(" is now earlier than ")
            && m.ends_with(" - 5 min.)"),
        "{m}"
    );
    let (status, text) = signed_raw(&lab, "POST", "/", "ssm", ssm, "{}", ahead).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Signature not yet current: "), "{text}");
    // A command cannot be replayed later.
    let send = r#"{"DocumentName":"AWS-RunShellScript","Parameters":{"commands":["true"]},"InstanceIds":["i-0123456789abcdef0"]}"#;
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "ssm",
        Some("AmazonSSM.SendCommand"),
        send,
        ago,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "logs",
        Some("Logs_20140328.DescribeLogGroups"),
        "{}",
        ago,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "ec2",
        None,
        "Action=DescribeInstances&Version=2016-11-15",
        ago,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>RequestExpired</Code>"), "{text}");
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "sts",
        None,
        "Action=GetCallerIdentity&Version=2011-06-15",
        ago,
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>") && text.contains("Signature expired: "),
        "{text}"
    );
    let calls = lab.calls();
    assert!(
        !calls.contains_key("ssm:SendCommand"),
        "a refused request reaches no action: {calls:?}"
    );
    lab.shutdown().await;
}
