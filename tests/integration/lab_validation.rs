//! Input AWS refuses, sent to the lab as raw signed requests (no SDK in
//! between to tidy it): every refusal must carry the code AWS answers, and
//! every code must be one the service model lists for that operation (or a
//! common AWS error such as ValidationException). The model's error lists
//! are in tests/fixtures/model-errors.json (scripts/model-errors writes it
//! from botocore).

use std::collections::HashMap;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::{Value, json};
use ssmdeck_lab::{Faults, LabHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// Errors every AWS JSON service may answer besides the operation's own
/// (the API references' "Common Errors" pages).
pub(crate) const COMMON: &[&str] = &[
    "ValidationException",
    "AccessDeniedException",
    "ThrottlingException",
    "InternalFailure",
    "ServiceUnavailable",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "UnrecognizedClientException",
    "InvalidSignatureException",
];

pub(crate) fn model_errors() -> HashMap<String, HashMap<String, Vec<String>>> {
    let text = include_str!("../fixtures/model-errors.json");
    let v: Value = serde_json::from_str(text).expect("fixture is JSON");
    let mut out = HashMap::new();
    for svc in ["ssm", "logs", "sts", "organizations", "s3", "iam"] {
        let ops: HashMap<String, Vec<String>> =
            serde_json::from_value(v[svc].clone()).expect("op -> [code]");
        out.insert(svc.to_owned(), ops);
    }
    out
}

/// Sends one SigV4-signed POST to the lab: `service` is the credential
/// scope (`ssm`, `logs`, `ec2`), `target` the X-Amz-Target (JSON services).
pub(crate) async fn signed(
    lab: &LabHandle,
    service: &str,
    target: Option<&str>,
    body: &str,
) -> (u16, String) {
    signed_raw(lab, "POST", "/", service, target, body, SystemTime::now()).await
}

/// Sends one request signed at `time` with `method` to `uri` (path and
/// query); the status and the body of the answer.
pub(crate) async fn signed_raw(
    lab: &LabHandle,
    method: &str,
    uri: &str,
    service: &str,
    target: Option<&str>,
    body: &str,
    time: SystemTime,
) -> (u16, String) {
    let creds = lab.credentials().clone();
    signed_by(lab, &creds, method, uri, service, target, body, time).await
}

/// [`signed_raw`] with the keys `creds` (another account's).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn signed_by(
    lab: &LabHandle,
    creds: &ssmdeck_lab::LabCredentials,
    method: &str,
    uri: &str,
    service: &str,
    target: Option<&str>,
    body: &str,
    time: SystemTime,
) -> (u16, String) {
    let (status, _, body) =
        signed_response(lab, creds, (method, uri, service), target, body, time).await;
    (status, body)
}

/// [`signed_by`], also giving the answer's headers (name, value) as sent.
pub(crate) async fn signed_response(
    lab: &LabHandle,
    creds: &ssmdeck_lab::LabCredentials,
    (method, uri, service): (&str, &str, &str),
    target: Option<&str>,
    body: &str,
    time: SystemTime,
) -> (u16, Vec<(String, String)>, String) {
    let host = lab.addr().to_string();
    let content_type = if target.is_some() {
        "application/x-amz-json-1.1"
    } else {
        "application/x-www-form-urlencoded; charset=utf-8"
    };
    let mut headers = vec![("host", host.as_str()), ("content-type", content_type)];
    if let Some(t) = target {
        headers.push(("x-amz-target", t));
    }
    let identity = Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        None,
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(lab.region())
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let request = SignableRequest::new(
        method,
        uri,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable request");
    let (instructions, _) = sign(request, &params).expect("signs").into_parts();
    let mut head = String::new();
    for (k, v) in headers.iter().copied().chain(instructions.headers()) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let mut s = tokio::net::TcpStream::connect(lab.addr()).await.unwrap();
    let req = format!(
        "{method} {uri} HTTP/1.1\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status = out[9..12].parse().unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// A JSON call (`AmazonSSM.<action>` or `Logs_20140328.<action>`).
pub(crate) async fn json_call(
    lab: &LabHandle,
    service: &str,
    action: &str,
    body: &Value,
) -> (u16, Value) {
    let prefix = if service == "logs" {
        "Logs_20140328"
    } else {
        "AmazonSSM"
    };
    let (status, text) = signed(
        lab,
        service,
        Some(&format!("{prefix}.{action}")),
        &body.to_string(),
    )
    .await;
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{action}: JSON body: {text}"));
    (status, v)
}

/// One request AWS refuses and the code it answers.
struct Case {
    service: &'static str,
    action: &'static str,
    body: Value,
    code: &'static str,
    what: &'static str,
}

fn case(service: &'static str, action: &'static str, body: Value, code: &'static str) -> Case {
    Case {
        service,
        action,
        body,
        code,
        what: "",
    }
}

impl Case {
    fn because(mut self, what: &'static str) -> Case {
        self.what = what;
        self
    }
}

fn run_command_cases(node: &str, command_id: &str) -> Vec<Case> {
    let send = |extra: Value| {
        let mut b = json!({"DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["true"]}, "InstanceIds": [node]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    vec![
        case(
            "ssm",
            "SendCommand",
            send(json!({"MaxConcurrency": "0"})),
            "ValidationException",
        )
        .because("MaxConcurrency 0 does not match ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"),
        case(
            "ssm",
            "SendCommand",
            send(json!({"MaxConcurrency": "0%"})),
            "ValidationException",
        ),
        case(
            "ssm",
            "SendCommand",
            send(json!({"MaxConcurrency": "101%"})),
            "ValidationException",
        ),
        case(
            "ssm",
            "SendCommand",
            send(json!({"MaxErrors": "00"})),
            "ValidationException",
        ),
        case(
            "ssm",
            "SendCommand",
            send(json!({"MaxErrors": "12345678"})),
            "ValidationException",
        )
        .because("MaxErrors is at most 7 characters"),
        case(
            "ssm",
            "SendCommand",
            send(json!({"InstanceIds": [node, node]})),
            "DuplicateInstanceId",
        ),
        case(
            "ssm",
            "SendCommand",
            send(json!({"InstanceIds": ["web-1"]})),
            "ValidationException",
        )
        .because("InstanceIds members must match the model's InstanceId pattern"),
        case(
            "ssm",
            "GetCommandInvocation",
            json!({"CommandId": command_id, "InstanceId": node, "PluginName": "aws"}),
            "ValidationException",
        )
        .because("PluginName is at least 4 characters"),
        case(
            "ssm",
            "GetCommandInvocation",
            json!({"CommandId": command_id, "InstanceId": node, "PluginName": "aws:runPowerShellScript"}),
            "InvalidPluginName",
        ),
        case(
            "ssm",
            "ListCommandInvocations",
            json!({"Filters": [{"key": "ExecutionStage", "value": "Executing"}]}),
            "InvalidFilterKey",
        ),
        case(
            "ssm",
            "ListCommandInvocations",
            json!({"Filters": [{"key": "Colour", "value": "red"}]}),
            "ValidationException",
        ),
    ]
}

fn parameter_cases() -> Vec<Case> {
    let put = |extra: Value| {
        let mut b = json!({"Name": "/validation/new", "Value": "v", "Type": "String"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let filters = |f: Value| json!({"ParameterFilters": f});
    vec![
        case("ssm", "PutParameter", put(json!({"Description": "d".repeat(1_025)})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Tags": [{"Key": "a*b", "Value": "v"}]})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Tags": [{"Key": "k".repeat(129), "Value": "v"}]})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Tags": [{"Key": "", "Value": "v"}]})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Tags": [{"Key": "k", "Value": "v".repeat(257)}]})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Tags": [{"Key": "k", "Value": "a;b"}]})), "ValidationException"),
        case("ssm", "PutParameter", put(json!({"Type": "SecureString", "KeyId": "alias/my key"})), "ValidationException"),
        case("ssm", "LabelParameterVersion",
            json!({"Name": "/validation/p", "Labels": ["l".repeat(101)]}), "ValidationException")
            .because("a label is at most 100 characters (model ParameterLabel)"),
        case("ssm", "LabelParameterVersion",
            json!({"Name": "/validation/p", "Labels": (0..11).map(|i| format!("l{i}")).collect::<Vec<_>>()}),
            "ValidationException"),
        case("ssm", "DescribeParameters",
            json!({"Filters": [{"Key": "Name", "Values": ["x"]}],
                   "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}), "ValidationException"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Label", "Values": ["x"]}])), "InvalidFilterKey"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Colour", "Values": ["x"]}])), "ValidationException"),
        case("ssm", "DescribeParameters",
            filters(json!([{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["SecureString"]}])),
            "InvalidFilterKey").because("a filter key may appear once"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Path", "Option": "Equals", "Values": ["/a"]}])), "InvalidFilterOption"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Type", "Option": "Contains", "Values": ["String"]}])), "InvalidFilterOption"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Type", "Values": ["Blob"]}])), "InvalidFilterValue"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Name"}])), "InvalidFilterValue"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Path", "Values": ["/aws/x"]}])), "ValidationException"),
        case("ssm", "DescribeParameters", filters(json!([{"Key": "Path", "Values": ["no-slash"]}])), "ValidationException"),
        case("ssm", "GetParametersByPath",
            json!({"Path": "/validation", "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}), "InvalidFilterKey"),
    ]
}

fn fleet_ops_logs_cases(node: &str) -> Vec<Case> {
    vec![
        case("ssm", "DescribeInstanceInformation",
            json!({"Filters": [{"Key": "PingStatus", "Values": ["Sleeping"]}]}),
            "InvalidInstanceInformationFilterValue"),
        case("ssm", "DescribeInstanceInformation",
            json!({"InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["online"]}]}),
            "InvalidInstanceInformationFilterValue").because("enum values are case-sensitive"),
        case("ssm", "DescribeInstanceInformation",
            json!({"InstanceInformationFilterList": [{"key": "tag:Env", "valueSet": ["prod"]}]}),
            "ValidationException"),
        case("ssm", "DescribeInstanceInformation",
            json!({"InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
                   "Filters": [{"Key": "PingStatus", "Values": ["Online"]}]}),
            "ValidationException"),
        case("ssm", "DescribeInstanceInformation",
            json!({"Filters": [{"Key": "Colour", "Values": ["red"]}]}), "InvalidFilterKey"),
        case("ssm", "GetOpsItem", json!({"OpsItemId": "oi-XYZ"}), "ValidationException"),
        case("ssm", "UpdateOpsItem", json!({"OpsItemId": "12345", "Status": "Resolved"}), "ValidationException"),
        case("ssm", "GetOpsItem", json!({"OpsItemId": "oi-000000000000"}), "OpsItemNotFoundException"),
        case("ssm", "DescribeOpsItems",
            json!({"OpsItemFilters": [{"Key": "Status", "Operator": "Contains", "Values": ["Open"]}]}),
            "ValidationException").because("the model lists only InternalServerError for DescribeOpsItems"),
        case("ssm", "DescribeOpsItems", json!({"NextToken": "not-a-token"}), "ValidationException"),
        case("ssm", "ListOpsItemRelatedItems", json!({"OpsItemId": "oi-1"}), "ValidationException"),
        case("ssm", "StartSession", json!({"Target": "i-0123456789abcdef0"}), "TargetNotConnected")
            .because("AWS answers an unknown target as not connected"),
        case("ssm", "StartSession",
            json!({"Target": node, "DocumentName": "AWS-StartPortForwardingSession"}), "ValidationException"),
        case("ssm", "StartSession", json!({"Target": node, "DocumentName": "No-Such-Doc"}), "InvalidDocument"),
        case("logs", "GetLogEvents",
            json!({"logGroupName": "/aws/ssm/AWS-RunShellScript", "logStreamName": "s", "limit": 0}),
            "InvalidParameterException"),
        case("logs", "FilterLogEvents",
            json!({"logGroupName": "/aws/ssm/AWS-RunShellScript", "limit": 10_001}),
            "InvalidParameterException"),
    ]
}

/// Sends a valid command to `node` and returns its id.
async fn a_command(lab: &LabHandle, node: &str) -> String {
    let (status, v) = json_call(
        lab,
        "ssm",
        "SendCommand",
        &json!({"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]},
                "InstanceIds": [node], "MaxErrors": "0", "MaxConcurrency": "1"}),
    )
    .await;
    assert_eq!(status, 200, "MaxErrors 0 is valid: {v}");
    v["Command"]["CommandId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn lab_refuses_what_aws_refuses_with_codes_from_the_model() {
    let lab = common::lab(6, Faults::default()).await;
    let model = model_errors();
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == ssmdeck_lab::PingStatus::Online && !n.is_hybrid())
        .expect("an online EC2 node")
        .id;
    let command_id = a_command(&lab, &node).await;
    let (status, _) = json_call(
        &lab,
        "ssm",
        "PutParameter",
        &json!({"Name": "/validation/p", "Value": "v", "Type": "String"}),
    )
    .await;
    assert_eq!(status, 200);
    let mut cases = run_command_cases(&node, &command_id);
    cases.extend(parameter_cases());
    cases.extend(fleet_ops_logs_cases(&node));
    let mut wrong = Vec::new();
    for c in &cases {
        let (status, v) = json_call(&lab, c.service, c.action, &c.body).await;
        let code = v["__type"].as_str().unwrap_or("");
        let listed = &model[c.service][c.action];
        let label = format!("{} {} ({})", c.action, c.body, c.what);
        if status != 400 || code != c.code {
            wrong.push(format!("{label}: want 400 {}, got {status} {v}", c.code));
        }
        if !listed.iter().any(|l| l == code) && !COMMON.contains(&code) {
            wrong.push(format!(
                "{label}: {code} is not in the model's errors for {} ({listed:?}) nor a common error",
                c.action
            ));
        }
        if v["message"].as_str().is_none_or(str::is_empty) {
            wrong.push(format!("{label}: no message"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    lab.shutdown().await;
}

#[tokio::test]
async fn lab_accepts_what_aws_accepts_at_the_edges() {
    let lab = common::lab(6, Faults::default()).await;
    let node = lab.nodes()[0].id.clone();
    for (mc, me) in [
        ("1", "0%"),
        ("100%", "100%"),
        ("9%", "9%"),
        ("1234567", "0"),
    ] {
        let (status, v) = json_call(
            &lab,
            "ssm",
            "SendCommand",
            &json!({"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]},
                    "InstanceIds": [node], "MaxConcurrency": mc, "MaxErrors": me}),
        )
        .await;
        assert_eq!(status, 200, "{mc} / {me}: {v}");
    }
    let put = json!({"Name": "/validation/edge", "Value": "v", "Type": "SecureString",
        "Description": "d".repeat(1_024), "KeyId": "alias/team-key_1",
        "Tags": [{"Key": "Env name:ü/=+-@._", "Value": ""}, {"Key": "k".repeat(128), "Value": "v".repeat(256)}]});
    let (status, v) = json_call(&lab, "ssm", "PutParameter", &put).await;
    assert_eq!(status, 200, "{v}");
    // Labels that break the user guide's rules come back in InvalidLabels, HTTP 200.
    let (status, v) = json_call(
        &lab,
        "ssm",
        "LabelParameterVersion",
        &json!({"Name": "/validation/edge",
                "Labels": ["9lives", "AWSlabel", "ssm-x", "a/b", "has space", "ok-1.2_x", &"l".repeat(100)]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["InvalidLabels"],
        json!(["9lives", "AWSlabel", "ssm-x", "a/b", "has space"]),
        "{v}"
    );
    let (status, v) = json_call(
        &lab,
        "ssm",
        "ListOpsItemRelatedItems",
        &json!({"OpsItemId": "oi-000000000000"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Summaries"], json!([]));
    let (status, v) = json_call(
        &lab,
        "ssm",
        "DescribeParameters",
        &json!({"ParameterFilters": [{"Key": "Name", "Option": "Contains", "Values": ["edge"]},
                                     {"Key": "Path", "Option": "Recursive", "Values": ["/validation"]},
                                     {"Key": "tag:Env name:ü/=+-@._"}]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Parameters"].as_array().map(Vec::len), Some(1), "{v}");
    lab.shutdown().await;
}

#[tokio::test]
async fn lab_ec2_refuses_unknown_parameters_and_bad_combinations() {
    let lab = common::lab(6, Faults::default()).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| !n.is_hybrid())
        .expect("an EC2 node")
        .id;
    let base = "Action=DescribeInstances&Version=2016-11-15";
    let cases = [
        (format!("{base}&Colour=red"), "UnknownParameter"),
        (format!("{base}&Filter.1.Nme=x"), "UnknownParameter"),
        (
            format!("{base}&InstanceId.1={node}&MaxResults=5"),
            "InvalidParameterCombination",
        ),
        (
            format!("{base}&InstanceId.1=i-xyz"),
            "InvalidInstanceID.Malformed",
        ),
        (
            format!("{base}&InstanceId.1=i-0123456789abcdef0"),
            "InvalidInstanceID.NotFound",
        ),
        (
            format!("{base}&Filter.1.Name=colour&Filter.1.Value.1=red"),
            "InvalidParameterValue",
        ),
        (format!("{base}&MaxResults=2"), "InvalidParameterValue"),
    ];
    for (body, code) in cases {
        let (status, text) = signed(&lab, "ec2", None, &body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(
            text.contains(&format!("<Code>{code}</Code>")),
            "{body}: want {code}: {text}"
        );
    }
    let (status, text) = signed(&lab, "ec2", None, &format!("{base}&DryRun=true")).await;
    assert_eq!(status, 412, "{text}");
    assert!(text.contains("<Code>DryRunOperation</Code>"), "{text}");
    let (status, text) = signed(
        &lab,
        "ec2",
        None,
        &format!("{base}&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&MaxResults=5"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    lab.shutdown().await;
}

/// Errors every AWS query-protocol service (STS) may answer besides the
/// operation's own (the STS API reference's "Common Errors", in the
/// spelling STS answers them).
const COMMON_QUERY: &[&str] = &[
    "AccessDenied",
    "ValidationError",
    "InvalidAction",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "Throttling",
    "InternalFailure",
    "ServiceUnavailable",
];

fn xml_code(body: &str) -> String {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_default()
}

/// STS, Organizations and IAM: every refusal (bad input, a member account,
/// the fault knobs) carries a code that botocore's model lists for that
/// operation, or a common error of the protocol.
#[tokio::test]
async fn sts_and_organizations_refuse_with_codes_from_the_model() {
    let model = model_errors();
    let lab = crate::lab_tenancy::grid_lab(4).await;
    let accounts = lab.accounts();
    let member = lab.account_credentials(&accounts[1]).unwrap();
    let mgmt = lab.credentials().clone();
    let now = SystemTime::now;
    let role = format!("arn:aws:iam::{}:role/x", accounts[1]);
    let sts_cases = [
        (
            "AssumeRole",
            format!("Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=s&DurationSeconds=900"),
            "ValidationError",
        ),
        (
            "AssumeRole",
            format!("Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=ok&DurationSeconds=60"),
            "ValidationError",
        ),
        (
            "AssumeRole",
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::999999999999:role/x&RoleSessionName=ok".to_owned(),
            "AccessDenied",
        ),
    ];
    let mut seen = Vec::new();
    for (op, body, want) in &sts_cases {
        let (status, text) = signed_by(&lab, &mgmt, "POST", "/", "sts", None, body, now()).await;
        let code = xml_code(&text);
        assert_eq!(
            (status >= 400, code.as_str()),
            (true, *want),
            "{body}: {text}"
        );
        seen.push(("sts", *op, code));
    }
    // IAM (the account alias): a page size out of 1 … 1,000, an unknown action.
    for (op, body, want) in [
        (
            "ListAccountAliases",
            "Action=ListAccountAliases&Version=2010-05-08&MaxItems=0",
            "ValidationError",
        ),
        (
            "ListAccountAliases",
            "Action=ListAccountAliases&Version=2010-05-08&MaxItems=1001",
            "ValidationError",
        ),
        (
            "CreateAccountAlias",
            "Action=CreateAccountAlias&Version=2010-05-08&AccountAlias=x",
            "InvalidAction",
        ),
    ] {
        let (status, text) = signed_by(&lab, &mgmt, "POST", "/", "iam", None, body, now()).await;
        let code = xml_code(&text);
        assert_eq!((status, code.as_str()), (400, want), "{body}: {text}");
        assert!(
            text.contains("https://iam.amazonaws.com/doc/2010-05-08/"),
            "{text}"
        );
        seen.push(("iam", op, code));
    }
    let org = |action: &str| format!("AWSOrganizationsV20161128.{action}");
    let org_cases: [(&str, &str, &ssmdeck_lab::LabCredentials, &str); 5] = [
        (
            "ListAccounts",
            r#"{"MaxResults": 0}"#,
            &mgmt,
            "InvalidInputException",
        ),
        (
            "ListAccounts",
            r#"{"NextToken": "bogus"}"#,
            &mgmt,
            "InvalidInputException",
        ),
        ("ListAccounts", "{}", &member, "AccessDeniedException"),
        (
            "DescribeOrganization",
            "{}",
            &member,
            "AccessDeniedException",
        ),
        (
            "ListDelegatedAdministrators",
            "{}",
            &member,
            "AccessDeniedException",
        ),
    ];
    for (op, body, creds, want) in org_cases {
        let target = org(op);
        let (status, text) = signed_by(
            &lab,
            creds,
            "POST",
            "/",
            "organizations",
            Some(&target),
            body,
            now(),
        )
        .await;
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some(want)),
            "{op} {body}"
        );
        seen.push(("organizations", op, want.to_owned()));
    }
    // The fault knobs answer in each service's own words.
    for (faults, org_want, sts_want) in [
        (
            Faults {
                throttle_share: 1.0,
                ..Faults::default()
            },
            "TooManyRequestsException",
            "Throttling",
        ),
        (
            Faults {
                server_error_share: 1.0,
                ..Faults::default()
            },
            "ServiceException",
            "InternalFailure",
        ),
    ] {
        lab.set_faults(faults);
        for op in [
            "ListAccounts",
            "DescribeOrganization",
            "ListDelegatedAdministrators",
        ] {
            let target = org(op);
            let (_, text) = signed_by(
                &lab,
                &mgmt,
                "POST",
                "/",
                "organizations",
                Some(&target),
                "{}",
                now(),
            )
            .await;
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["__type"].as_str(), Some(org_want), "{op}");
            seen.push(("organizations", op, org_want.to_owned()));
        }
        for op in ["GetCallerIdentity", "AssumeRole"] {
            let body = format!("Action={op}&Version=2011-06-15&RoleArn={role}&RoleSessionName=ok");
            let (_, text) = signed_by(&lab, &mgmt, "POST", "/", "sts", None, &body, now()).await;
            assert_eq!(xml_code(&text), sts_want, "{op}");
            seen.push(("sts", op, sts_want.to_owned()));
        }
    }
    for (svc, op, code) in &seen {
        let listed = &model[*svc][*op];
        let common: &[&str] = if matches!(*svc, "sts" | "iam") {
            COMMON_QUERY
        } else {
            COMMON
        };
        assert!(
            listed.iter().any(|l| l == code) || common.contains(&code.as_str()),
            "{svc}:{op}: {code} is not in the model's errors ({listed:?}) nor a common error"
        );
    }
    lab.shutdown().await;
}

/// DescribeInstanceInformation (hybrid nodes with their activation and
/// registration), DescribeOpsItems and GetOpsItem answers, checked strictly
/// against botocore's output shapes.
#[tokio::test]
async fn fleet_and_opscenter_answers_have_the_model_shapes() {
    use crate::model_shapes::check_output;
    let lab = crate::common::lab(40, Faults::default()).await;
    assert!(lab.nodes().iter().any(|n| n.is_hybrid()));
    let (status, v) = json_call(&lab, "ssm", "DescribeInstanceInformation", &json!({})).await;
    assert_eq!(status, 200, "{v}");
    let nodes = v["InstanceInformationList"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["AssociationOverview"]["DetailedStatus"] == "Failed")
            && nodes.iter().any(|n| n.get("AssociationOverview").is_none()),
        "the shapes are checked with and without an association overview"
    );
    check_output("ssm", "DescribeInstanceInformation", &v).unwrap();
    let (status, v) = json_call(&lab, "ssm", "DescribeOpsItems", &json!({"MaxResults": 50})).await;
    assert_eq!(status, 200, "{v}");
    check_output("ssm", "DescribeOpsItems", &v).unwrap();
    for s in v["OpsItemSummaries"].as_array().unwrap().iter().take(10) {
        let id = s["OpsItemId"].clone();
        let (status, item) = json_call(&lab, "ssm", "GetOpsItem", &json!({"OpsItemId": id})).await;
        assert_eq!(status, 200, "{item}");
        check_output("ssm", "GetOpsItem", &item).unwrap();
    }
    lab.shutdown().await;
}

/// DescribeInstancePatchStates (issue 15): the model's shapes, its
/// validation (InstanceIds required, at most 50, each a node id;
/// MaxResults 10 … 100) and paging; a node never scanned is left out.
#[tokio::test]
async fn patch_states_have_the_model_shapes_validation_and_paging() {
    use crate::model_shapes::check_output;
    let lab = crate::common::lab(60, Faults::default()).await;
    let ids: Vec<String> = lab.nodes().iter().take(50).map(|n| n.id.clone()).collect();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"InstanceIds": ids, "MaxResults": 10});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let (status, v) = json_call(&lab, "ssm", "DescribeInstancePatchStates", &body).await;
        assert_eq!(status, 200, "{v}");
        check_output("ssm", "DescribeInstancePatchStates", &v).unwrap();
        let page = v["InstancePatchStates"].as_array().unwrap();
        assert!(page.len() <= 10);
        seen.extend(
            page.iter()
                .map(|s| s["InstanceId"].as_str().unwrap().to_owned()),
        );
        token = v["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no state twice");
    assert!(
        seen.len() < ids.len() && seen.len() * 2 > ids.len(),
        "some never scanned: {}",
        seen.len()
    );
    assert!(seen.iter().all(|s| ids.contains(s)));
    let bad = |body: Value, code: &'static str| {
        let lab = &lab;
        async move {
            let (status, v) = json_call(lab, "ssm", "DescribeInstancePatchStates", &body).await;
            assert_eq!(
                (status, v["__type"].as_str().unwrap_or("")),
                (400, code),
                "{body}: {v}"
            );
        }
    };
    let many: Vec<String> = (0..51).map(|k| format!("i-{k:017x}")).collect();
    bad(json!({}), "ValidationException").await;
    bad(json!({"InstanceIds": many}), "ValidationException").await;
    bad(json!({"InstanceIds": ["web-1"]}), "ValidationException").await;
    bad(
        json!({"InstanceIds": ids, "MaxResults": 5}),
        "ValidationException",
    )
    .await;
    bad(
        json!({"InstanceIds": ids, "NextToken": "nope"}),
        "InvalidNextToken",
    )
    .await;
    lab.shutdown().await;
}

#[tokio::test]
async fn the_fail_after_knob_runs_the_call_then_answers_a_code_the_model_lists() {
    // Each write the console must not repeat, failed after it was handled:
    // the answer is a code the model lists for that operation, and the
    // work was done (a command exists, an OpsItem exists).
    let errors = model_errors();
    let lab = crate::common::lab(30, Faults::default()).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == ssmdeck_lab::PingStatus::Online)
        .unwrap()
        .id;
    lab.set_faults(Faults {
        fail_after_share: 1.0,
        shares_only: vec![
            "ssm:SendCommand".into(),
            "ssm:CreateOpsItem".into(),
            "ssm:StartSession".into(),
        ],
        ..Faults::default()
    });
    let calls = [
        (
            "SendCommand",
            json!({"DocumentName": "AWS-RunShellScript", "InstanceIds": [node],
                   "Parameters": {"commands": ["true"]}}),
        ),
        (
            "CreateOpsItem",
            json!({"Title": "t", "Description": "d", "Source": "lab-test"}),
        ),
        ("StartSession", json!({"Target": node})),
    ];
    for (op, body) in &calls {
        let (status, v) = json_call(&lab, "ssm", op, body).await;
        let code = v["__type"].as_str().unwrap_or("");
        assert_eq!(status, 500, "{op}: {v}");
        let listed = errors["ssm"].get(*op).expect("operation in the model");
        assert!(
            listed.iter().any(|c| c == code) || COMMON.contains(&code),
            "{op} answered {code}, the model lists {listed:?}"
        );
    }
    lab.set_faults(Faults::default());
    let (_, v) = json_call(&lab, "ssm", "ListCommands", &json!({})).await;
    assert_eq!(v["Commands"].as_array().unwrap().len(), 1, "it ran: {v}");
    let (_, v) = json_call(
        &lab,
        "ssm",
        "DescribeOpsItems",
        &json!({"OpsItemFilters": [{"Key": "Source", "Values": ["lab-test"], "Operator": "Equal"}]}),
    )
    .await;
    assert_eq!(v["OpsItemSummaries"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = json_call(&lab, "ssm", "DescribeSessions", &json!({"State": "Active"})).await;
    assert!(
        v["Sessions"].as_array().is_some_and(|s| !s.is_empty()),
        "a session started: {v}"
    );
    lab.shutdown().await;
}
