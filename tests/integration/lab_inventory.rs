//! Issue 15 "Node posture" and hybrid nodes, over HTTP: the lab's
//! inventory (GetInventory, ListInventoryEntries, GetInventorySchema),
//! hybrid activations (CreateActivation, DescribeActivations,
//! DeleteActivation, DeregisterManagedInstance) and
//! DescribeInstanceProperties, with the AWS SDK for Rust and raw signed
//! requests whose answers are checked strictly against botocore's model.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    InstancePropertyFilter, InstancePropertyFilterKey, InstancePropertyFilterOperator,
    InstancePropertyStringFilter, InventoryFilter, InventoryQueryOperatorType, ResultAttribute,
};
use serde_json::{Value, json};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle, PingStatus};

use crate::lab_validation::{COMMON, json_call, model_errors};
use crate::model_shapes::check_output;

fn client(lab: &LabHandle) -> aws_sdk_ssm::Client {
    crate::lab_tenancy::ssm(lab, &lab.accounts()[0], lab.region())
}

fn ec2(lab: &LabHandle) -> aws_sdk_ec2::Client {
    use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
    let c = lab.credentials();
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(lab.region().to_owned()))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(Credentials::new(
            &c.access_key_id,
            &c.secret_access_key,
            None,
            None,
            "test",
        ))
        .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

async fn lab_with(fleet: FleetSpec) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// The test's own reading of a version: its leading numbers (`1.1.1k` is 1.1.1).
fn numbers(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .take_while(|p| !p.is_empty())
        .map(|p| p.parse().unwrap())
        .collect()
}

/// Every page of a raw JSON list call, each checked against the model;
/// returns the pages.
async fn pages(lab: &LabHandle, op: &str, body: Value) -> Vec<Value> {
    pages_checked(lab, op, body, true).await
}

/// [`pages`], the model check only when `check`.
async fn pages_checked(lab: &LabHandle, op: &str, body: Value, check: bool) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut b = body.clone();
        if let Some(t) = &token {
            b["NextToken"] = json!(t);
        }
        let (status, v) = json_call(lab, "ssm", op, &b).await;
        assert_eq!(status, 200, "{op} {b}: {v}");
        if check {
            check_output("ssm", op, &v).unwrap_or_else(|e| panic!("{op} {b}: {e}"));
        }
        token = v["NextToken"].as_str().map(str::to_owned);
        out.push(v);
        if token.is_none() {
            return out;
        }
    }
    panic!("{op}: no end of pages");
}

/// Asserts `op` with `body` is refused with `code`, and that the model lists it.
async fn refused(lab: &LabHandle, op: &str, body: Value, code: &str) {
    let errors = model_errors();
    let (status, v) = json_call(lab, "ssm", op, &body).await;
    assert_eq!(
        (status, v["__type"].as_str().unwrap_or("")),
        (400, code),
        "{op} {body}: {v}"
    );
    let listed = &errors["ssm"][op];
    assert!(
        listed.iter().any(|c| c == code) || COMMON.contains(&code),
        "{op}: {code} is not in the model's errors {listed:?}"
    );
}

#[tokio::test]
async fn the_old_openssl_query_finds_exactly_the_nodes_whose_entries_say_so() {
    let lab = crate::common::lab(300, Faults::default()).await;
    let ssm = client(&lab);
    // Independently: each node's AWS:Application entries, every page.
    let mut expected = BTreeSet::new();
    let mut never = 0;
    for n in lab.nodes() {
        let mut token = None;
        let mut ssl = Vec::new();
        let mut entries = 0;
        loop {
            let out = ssm
                .list_inventory_entries()
                .instance_id(&n.id)
                .type_name("AWS:Application")
                .max_results(17)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            entries += out.entries().len();
            for e in out.entries() {
                if e.get("Name").map(String::as_str) == Some("openssl") {
                    ssl.push(e["Version"].clone());
                }
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        never += usize::from(entries == 0);
        if ssl.iter().any(|v| numbers(v) < vec![3, 0, 7]) {
            expected.insert(n.id.clone());
        }
    }
    assert!(
        never > 5 && never < 60,
        "about one in twelve never inventoried: {never}"
    );
    assert!(expected.len() > 10, "{expected:?}");
    let filter = |key: &str, value: &str, op: InventoryQueryOperatorType| {
        InventoryFilter::builder()
            .key(key)
            .values(value)
            .r#type(op)
            .build()
            .unwrap()
    };
    let mut found = Vec::new();
    let mut token = None;
    let mut calls = 0;
    loop {
        let out = ssm
            .get_inventory()
            .filters(filter(
                "AWS:Application.Name",
                "openssl",
                InventoryQueryOperatorType::Equal,
            ))
            .filters(filter(
                "AWS:Application.Version",
                "3.0.7",
                InventoryQueryOperatorType::LessThan,
            ))
            .result_attributes(
                ResultAttribute::builder()
                    .type_name("AWS:Application")
                    .build()
                    .unwrap(),
            )
            .max_results(7)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        calls += 1;
        for e in out.entities() {
            let data = &e.data().unwrap()["AWS:Application"];
            assert!(
                data.content().iter().all(|c| c["Name"] == "openssl"),
                "{data:?}"
            );
            found.push(e.id().unwrap().to_owned());
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(calls, expected.len().div_ceil(7), "pages of 7");
    let got: BTreeSet<String> = found.iter().cloned().collect();
    assert_eq!(got.len(), found.len(), "no node twice");
    assert_eq!(got, expected);
    lab.shutdown().await;
}

#[tokio::test]
async fn inventory_answers_have_the_model_shapes_and_its_errors_the_model_codes() {
    let lab = crate::common::lab(120, Faults::default()).await;
    let all = pages(&lab, "GetInventory", json!({"MaxResults": 50})).await;
    let ids: Vec<String> = all
        .iter()
        .flat_map(|p| p["Entities"].as_array().unwrap().clone())
        .map(|e| e["Id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() > 90 && ids.len() < 120, "{}", ids.len());
    let first = &all[0]["Entities"][0]["Data"]["AWS:InstanceInformation"];
    assert_eq!(
        first["Content"][0]["InstanceId"],
        all[0]["Entities"][0]["Id"]
    );
    let never = lab
        .nodes()
        .into_iter()
        .find(|n| !ids.contains(&n.id))
        .unwrap();
    for t in [
        "AWS:Application",
        "AWS:Network",
        "AWS:Service",
        "AWS:File",
        "AWS:AWSComponent",
        "AWS:WindowsUpdate",
        "AWS:InstanceInformation",
    ] {
        pages(
            &lab,
            "GetInventory",
            json!({"ResultAttributes": [{"TypeName": t}]}),
        )
        .await;
        let p = pages(
            &lab,
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": t, "MaxResults": 5}),
        )
        .await;
        assert!(
            p.iter()
                .all(|v| v["TypeName"] == t && v["InstanceId"] == ids[0].as_str())
        );
        let empty = pages(
            &lab,
            "ListInventoryEntries",
            json!({"InstanceId": never.id, "TypeName": t}),
        )
        .await;
        assert_eq!(empty[0]["Entries"], json!([]), "{t}: never inventoried");
        assert!(empty[0].get("CaptureTime").is_none());
    }
    let agg = pages(
        &lab,
        "GetInventory",
        json!({"Aggregators": [{"Expression": "AWS:InstanceInformation.PlatformType"}]}),
    )
    .await;
    let counts = &agg[0]["Entities"][0]["Data"]["AWS:InstanceInformation"]["Content"];
    let total: u64 = counts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Count"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total as usize, ids.len(), "{counts}");
    let schemas = pages(&lab, "GetInventorySchema", json!({})).await;
    let names: Vec<&str> = schemas[0]["Schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["TypeName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"AWS:Application") && names.contains(&"AWS:WindowsUpdate"),
        "{names:?}"
    );
    pages(&lab, "GetInventorySchema", json!({"TypeName": "AWS:File"})).await;
    pages(&lab, "GetInventorySchema", json!({"Aggregator": true})).await;
    let app = |k: &str, t: &str| json!({"Filters": [{"Key": k, "Values": ["x"], "Type": t}]});
    for (op, body, code) in [
        (
            "GetInventory",
            app("AWS:Application.Name", "Like"),
            "ValidationException",
        ),
        ("GetInventory", app("Name", "Equal"), "InvalidFilter"),
        (
            "GetInventory",
            app("AWS:Application.Colour", "Equal"),
            "InvalidFilter",
        ),
        (
            "GetInventory",
            app("AWS:Application.Name", "Exists"),
            "InvalidFilter",
        ),
        (
            "GetInventory",
            app("Custom:Thing.Name", "Equal"),
            "InvalidTypeNameException",
        ),
        (
            "GetInventory",
            json!({"ResultAttributes": [{"TypeName": "AWS:Nope"}]}),
            "InvalidResultAttributeException",
        ),
        (
            "GetInventory",
            json!({"Aggregators": [{"Expression": "AWS:Nope.Name"}]}),
            "InvalidAggregatorException",
        ),
        (
            "GetInventory",
            json!({"Aggregators": [{"Expression": "AWS:Application.Name", "Groups": [{"Name": "g", "Filters": [{"Key": "AWS:Application.Name", "Values": ["a"]}]}]}]}),
            "InvalidInventoryGroupException",
        ),
        (
            "GetInventory",
            json!({"MaxResults": 51}),
            "ValidationException",
        ),
        (
            "GetInventory",
            json!({"NextToken": "nope"}),
            "InvalidNextToken",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": "i-0123456789abcdef0", "TypeName": "AWS:Application"}),
            "InvalidInstanceId",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": "AWS:Nope"}),
            "InvalidTypeNameException",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": "AWS:Application", "Filters": [{"Key": "Colour", "Values": ["a"]}]}),
            "InvalidFilter",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": "web-1", "TypeName": "AWS:Application"}),
            "ValidationException",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": ids[0]}),
            "ValidationException",
        ),
        (
            "ListInventoryEntries",
            json!({"InstanceId": ids[0], "TypeName": "AWS:Application", "NextToken": "x"}),
            "InvalidNextToken",
        ),
        (
            "GetInventorySchema",
            json!({"TypeName": "AWS:Nope"}),
            "InvalidTypeNameException",
        ),
        (
            "GetInventorySchema",
            json!({"MaxResults": 10}),
            "ValidationException",
        ),
    ] {
        refused(&lab, op, body, code).await;
    }
    lab.shutdown().await;
}

/// The seeded activations: one expired, their RegistrationsCount the
/// hybrid nodes DescribeInstanceInformation names them for.
async fn seeded_activations_match_the_nodes(lab: &LabHandle) {
    let acts: Vec<Value> = pages(lab, "DescribeActivations", json!({"MaxResults": 1}))
        .await
        .into_iter()
        .flat_map(|p| p["ActivationList"].as_array().unwrap().clone())
        .collect();
    assert!(
        acts.iter().any(|a| a["Expired"] == true) && acts.iter().any(|a| a["Expired"] == false)
    );
    let mut by_activation: BTreeMap<String, u64> = BTreeMap::new();
    for p in pages(lab, "DescribeInstanceInformation", json!({})).await {
        for n in p["InstanceInformationList"].as_array().unwrap() {
            if let Some(a) = n["ActivationId"].as_str() {
                *by_activation.entry(a.to_owned()).or_default() += 1;
            }
        }
    }
    let hybrid = lab.nodes().iter().filter(|n| n.is_hybrid()).count() as u64;
    assert_eq!(by_activation.values().sum::<u64>(), hybrid);
    for a in &acts {
        let id = a["ActivationId"].as_str().unwrap();
        assert_eq!(
            a["RegistrationsCount"].as_u64().unwrap_or(0),
            by_activation.get(id).copied().unwrap_or(0),
            "{a}"
        );
    }
}

#[tokio::test]
async fn activations_are_created_described_and_deleted_and_the_code_is_shown_once() {
    let lab = crate::common::lab(300, Faults::default()).await;
    seeded_activations_match_the_nodes(&lab).await;
    let ssm = client(&lab);
    let expires = std::time::SystemTime::now() + std::time::Duration::from_secs(7 * 86_400);
    let out = ssm
        .create_activation()
        .iam_role("SSMServiceRole")
        .registration_limit(5)
        .default_instance_name("rack-b")
        .description("rack B")
        .expiration_date(aws_sdk_ssm::primitives::DateTime::from(expires))
        .tags(
            aws_sdk_ssm::types::Tag::builder()
                .key("Site")
                .value("dc-west")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (id, code) = (
        out.activation_id().unwrap().to_owned(),
        out.activation_code().unwrap().to_owned(),
    );
    assert_eq!(code.len(), 20);
    let body = json!({"Filters": [{"FilterKey": "ActivationIds", "FilterValues": [id]}]});
    let (status, v) = json_call(&lab, "ssm", "DescribeActivations", &body).await;
    assert_eq!(status, 200);
    check_output("ssm", "DescribeActivations", &v).unwrap();
    assert!(
        !v.to_string().contains(&code),
        "the code is never shown again"
    );
    let a = &v["ActivationList"][0];
    assert_eq!(
        (a["RegistrationLimit"].as_u64(), a["Expired"].as_bool()),
        (Some(5), Some(false)),
        "{a}"
    );
    assert_eq!(a["DefaultInstanceName"], "rack-b");
    let named = ssm
        .describe_activations()
        .filters(
            aws_sdk_ssm::types::DescribeActivationsFilter::builder()
                .filter_key(aws_sdk_ssm::types::DescribeActivationsFilterKeys::DefaultInstanceName)
                .filter_values("rack-b")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(named.activation_list().len(), 1);
    let (status, v) = json_call(&lab, "ssm", "CreateActivation", &json!({"IamRole": "R"})).await;
    assert_eq!(status, 200);
    check_output("ssm", "CreateActivation", &v).unwrap();
    let (status, v) = json_call(
        &lab,
        "ssm",
        "DeleteActivation",
        &json!({"ActivationId": id}),
    )
    .await;
    assert_eq!(status, 200);
    check_output("ssm", "DeleteActivation", &v).unwrap();
    let (_, v) = json_call(&lab, "ssm", "DescribeActivations", &body).await;
    assert_eq!(v["ActivationList"], json!([]));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let too_late = now + 31.0 * 86_400.0;
    for (op, body, code) in [
        (
            "DeleteActivation",
            json!({"ActivationId": id}),
            "InvalidActivation",
        ),
        (
            "DeleteActivation",
            json!({"ActivationId": "0e6b7c1a-1111-4222-8333-444455556666"}),
            "InvalidActivationId",
        ),
        (
            "DeleteActivation",
            json!({"ActivationId": "nope"}),
            "ValidationException",
        ),
        ("CreateActivation", json!({}), "ValidationException"),
        (
            "CreateActivation",
            json!({"IamRole": "R", "RegistrationLimit": 1001}),
            "ValidationException",
        ),
        (
            "CreateActivation",
            json!({"IamRole": "R", "ExpirationDate": too_late}),
            "InvalidParameters",
        ),
        (
            "CreateActivation",
            json!({"IamRole": "R", "ExpirationDate": 1_000_000.0}),
            "InvalidParameters",
        ),
        (
            "CreateActivation",
            json!({"IamRole": "R", "Tags": [{"Key": "a*b", "Value": "v"}]}),
            "ValidationException",
        ),
        (
            "CreateActivation",
            json!({"IamRole": "x".repeat(65)}),
            "ValidationException",
        ),
        (
            "DescribeActivations",
            json!({"Filters": [{"FilterKey": "Colour", "FilterValues": ["x"]}]}),
            "ValidationException",
        ),
        (
            "DescribeActivations",
            json!({"Filters": [{"FilterValues": ["x"]}]}),
            "InvalidFilter",
        ),
        (
            "DescribeActivations",
            json!({"NextToken": "x"}),
            "InvalidNextToken",
        ),
    ] {
        refused(&lab, op, body, code).await;
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn a_deregistered_hybrid_node_leaves_the_fleet() {
    let lab = lab_with(FleetSpec {
        nodes: 200,
        seed: 15,
        hybrid_share: 0.3,
        inactive_share: 0.2,
        ..FleetSpec::demo()
    })
    .await;
    let ssm = client(&lab);
    let gone = lab
        .nodes()
        .into_iter()
        .find(|n| n.is_hybrid() && n.ping == PingStatus::Inactive)
        .expect("an Inactive hybrid node");
    let before = pages(&lab, "DescribeActivations", json!({})).await;
    ssm.deregister_managed_instance()
        .instance_id(&gone.id)
        .send()
        .await
        .unwrap();
    let listed: Vec<String> = pages(&lab, "DescribeInstanceInformation", json!({}))
        .await
        .iter()
        .flat_map(|p| p["InstanceInformationList"].as_array().unwrap().clone())
        .map(|n| n["InstanceId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), 199);
    assert!(!listed.contains(&gone.id));
    assert!(lab.nodes().iter().all(|n| n.id != gone.id));
    let e = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(&gone.id)
        .parameters("commands", vec!["true".to_owned()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInstanceId"), "{e:?}");
    let e = ssm
        .start_session()
        .target(&gone.id)
        .send()
        .await
        .unwrap_err();
    assert!(
        e.code().is_some_and(|c| c != "ThrottlingException"),
        "{e:?}"
    );
    let e = ssm
        .list_inventory_entries()
        .instance_id(&gone.id)
        .type_name("AWS:Application")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidInstanceId"));
    // The activation keeps its count of registrations made.
    assert_eq!(pages(&lab, "DescribeActivations", json!({})).await, before);
    let (status, v) = json_call(
        &lab,
        "ssm",
        "DeregisterManagedInstance",
        &json!({"InstanceId": listed.iter().find(|i| i.starts_with("mi-")).unwrap()}),
    )
    .await;
    assert_eq!(status, 200);
    check_output("ssm", "DeregisterManagedInstance", &v).unwrap();
    let ec2 = lab.nodes().into_iter().find(|n| !n.is_hybrid()).unwrap();
    for (body, code) in [
        (json!({"InstanceId": gone.id}), "InvalidInstanceId"),
        (
            json!({"InstanceId": "mi-0123456789abcdef0"}),
            "InvalidInstanceId",
        ),
        (json!({"InstanceId": ec2.id}), "ValidationException"),
        (json!({}), "ValidationException"),
    ] {
        refused(&lab, "DeregisterManagedInstance", body, code).await;
    }
    lab.shutdown().await;
}

/// The EC2 view of each instance: (Name tag, type, profile ARN, key,
/// state, architecture, launch time, zone, private IP).
async fn ec2_view(lab: &LabHandle) -> HashMap<String, [String; 9]> {
    let ec2 = ec2(lab);
    let mut out = HashMap::new();
    let mut token = None;
    loop {
        let page = ec2
            .describe_instances()
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for i in page.reservations().iter().flat_map(|r| r.instances()) {
            let name = i
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
                .unwrap_or("");
            out.insert(
                i.instance_id().unwrap().to_owned(),
                [
                    name.to_owned(),
                    i.instance_type().unwrap().as_str().to_owned(),
                    i.iam_instance_profile()
                        .and_then(|p| p.arn())
                        .unwrap()
                        .to_owned(),
                    i.key_name().unwrap().to_owned(),
                    i.state()
                        .and_then(|s| s.name())
                        .unwrap()
                        .as_str()
                        .to_owned(),
                    i.architecture().unwrap().as_str().to_owned(),
                    i.launch_time().unwrap().secs().to_string(),
                    i.placement()
                        .and_then(|p| p.availability_zone())
                        .unwrap()
                        .to_owned(),
                    i.private_ip_address().unwrap().to_owned(),
                ],
            );
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

/// Every DescribeInstanceInformation field of `dii` is in `dip` with the
/// same value (times that follow the clock within their period, plus
/// `elapsed` seconds between the two reads).
fn same_as_dii(dii: &Value, dip: &Value, elapsed: f64) {
    for (k, v) in dii.as_object().unwrap() {
        let slack = match k.as_str() {
            "IsLatestVersion" => continue,
            "LastPingDateTime" => 300.0 + elapsed,
            "LastAssociationExecutionDate" => 60.0 + elapsed,
            _ => 0.0,
        };
        if slack > 0.0 {
            let (a, b) = (v.as_f64().unwrap(), dip[k].as_f64().unwrap());
            assert!((a - b).abs() <= slack, "{k}: {a} vs {b}");
        } else {
            assert_eq!(&dip[k], v, "{k} of {}", dii["InstanceId"]);
        }
    }
}

#[tokio::test]
async fn instance_properties_pages_of_1000_match_dii_and_ec2_field_by_field() {
    let lab = crate::common::lab(3_500, Faults::default()).await;
    let started = std::time::Instant::now();
    let dip = pages_checked(
        &lab,
        "DescribeInstanceProperties",
        json!({"MaxResults": 1000}),
        false,
    )
    .await;
    assert_eq!(dip.len(), 4, "3,500 nodes at 1,000 a page");
    let props: Vec<Value> = dip
        .iter()
        .flat_map(|p| p["InstanceProperties"].as_array().unwrap().clone())
        .collect();
    assert_eq!(props.len(), 3_500);
    let dii: HashMap<String, Value> =
        pages_checked(&lab, "DescribeInstanceInformation", json!({}), false)
            .await
            .iter()
            .flat_map(|p| p["InstanceInformationList"].as_array().unwrap().clone())
            .map(|n| (n["InstanceId"].as_str().unwrap().to_owned(), n))
            .collect();
    let elapsed = started.elapsed().as_secs_f64() + 1.0;
    let ec2 = ec2_view(&lab).await;
    assert_eq!(dii.len(), 3_500);
    // The strict shape check of every page (after the reads, so the
    // clock-driven times above are read close together).
    for p in &dip {
        check_output("ssm", "DescribeInstanceProperties", p).unwrap();
    }
    let mut hybrid = 0;
    for p in &props {
        let id = p["InstanceId"].as_str().unwrap();
        same_as_dii(&dii[id], p, elapsed);
        if id.starts_with("mi-") {
            hybrid += 1;
            assert!(
                p.get("InstanceType").is_none() && p["ActivationId"].is_string(),
                "{p}"
            );
            continue;
        }
        let e = &ec2[id];
        let got = [
            p["Name"].as_str().unwrap().to_owned(),
            p["InstanceType"].as_str().unwrap().to_owned(),
            p["InstanceRole"].as_str().unwrap().to_owned(),
            p["KeyName"].as_str().unwrap().to_owned(),
            p["InstanceState"].as_str().unwrap().to_owned(),
            p["Architecture"].as_str().unwrap().to_owned(),
            (p["LaunchTime"].as_f64().unwrap() as i64).to_string(),
            p["AvailabilityZone"].as_str().unwrap().to_owned(),
            p["IPAddress"].as_str().unwrap().to_owned(),
        ];
        for (k, (g, w)) in got.iter().zip(e).enumerate() {
            if k == 2 {
                assert!(
                    w.ends_with(&format!(":instance-profile/{g}")),
                    "{id}: {g} vs {w}"
                );
            } else {
                assert_eq!(g, w, "{id} field {k}");
            }
        }
    }
    assert!(hybrid > 100, "{hybrid}");
    assert!(props.iter().any(|p| p["Architecture"] == "arm64"));
    // An endpoint without the operation: the console falls back to DII.
    lab.set_faults(Faults {
        unsupported: vec!["ssm:DescribeInstanceProperties".into()],
        ..Faults::default()
    });
    let e = client(&lab)
        .describe_instance_properties()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.raw_response().map(|r| r.status().as_u16()),
        Some(500),
        "{e:?}"
    );
    assert!(
        client(&lab)
            .describe_instance_information()
            .send()
            .await
            .is_ok()
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn instance_property_filters_and_their_errors() {
    let lab = crate::common::lab(400, Faults::default()).await;
    let ssm = client(&lab);
    let nodes = lab.nodes();
    let with = |key: &str, values: &[&str], op: InstancePropertyFilterOperator| {
        InstancePropertyStringFilter::builder()
            .key(key)
            .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
            .operator(op)
            .build()
            .unwrap()
    };
    let ids = |out: aws_sdk_ssm::operation::describe_instance_properties::DescribeInstancePropertiesOutput| {
        out.instance_properties().iter().map(|p| p.instance_id().unwrap().to_owned()).collect::<BTreeSet<_>>()
    };
    let want = |f: &dyn Fn(&ssmdeck_lab::LabNode) -> bool| {
        nodes
            .iter()
            .filter(|n| f(n))
            .map(|n| n.id.clone())
            .collect::<BTreeSet<_>>()
    };
    let got = ids(ssm
        .describe_instance_properties()
        .max_results(1000)
        .filters_with_operator(with(
            "PingStatus",
            &["Online"],
            InstancePropertyFilterOperator::Equal,
        ))
        .send()
        .await
        .unwrap());
    assert_eq!(got, want(&|n| n.ping == PingStatus::Online));
    let got = ids(ssm
        .describe_instance_properties()
        .max_results(1000)
        .filters_with_operator(with(
            "AgentVersion",
            &["3.3.0.0"],
            InstancePropertyFilterOperator::LessThan,
        ))
        .send()
        .await
        .unwrap());
    assert_eq!(got, want(&|n| n.agent_version.starts_with("3.2.")));
    let got = ids(ssm
        .describe_instance_properties()
        .max_results(1000)
        .filters_with_operator(with(
            "tag:Env",
            &["pro"],
            InstancePropertyFilterOperator::BeginWith,
        ))
        .filters_with_operator(with(
            "PlatformTypes",
            &["Windows"],
            InstancePropertyFilterOperator::NotEqual,
        ))
        .send()
        .await
        .unwrap());
    assert_eq!(
        got,
        want(&|n| n.tag("Env") == Some("prod") && n.platform_type != "Windows")
    );
    let legacy = InstancePropertyFilter::builder()
        .key(InstancePropertyFilterKey::ResourceType)
        .value_set("ManagedInstance")
        .build()
        .unwrap();
    let got = ids(ssm
        .describe_instance_properties()
        .max_results(1000)
        .instance_property_filter_list(legacy)
        .send()
        .await
        .unwrap());
    assert_eq!(got, want(&|n| n.is_hybrid()));
    let f = |k: &str, v: &str| json!({"FiltersWithOperator": [{"Key": k, "Values": [v]}]});
    for (body, code) in [
        (f("Colour", "red"), "InvalidFilterKey"),
        (
            f("PingStatus", "Sleepy"),
            "InvalidInstancePropertyFilterValue",
        ),
        (f("InstanceIds", "web-1"), "InvalidInstanceId"),
        (f("ActivationIds", "nope"), "InvalidActivationId"),
        (
            json!({"FiltersWithOperator": [{"Key": "PingStatus", "Values": ["Online"], "Operator": "Like"}]}),
            "ValidationException",
        ),
        (
            json!({"InstancePropertyFilterList": [{"key": "Colour", "valueSet": ["x"]}]}),
            "ValidationException",
        ),
        (json!({"FiltersWithOperator": []}), "ValidationException"),
        (json!({"MaxResults": 1001}), "ValidationException"),
        (json!({"MaxResults": 4}), "ValidationException"),
        (json!({"NextToken": "nope"}), "InvalidNextToken"),
    ] {
        refused(&lab, "DescribeInstanceProperties", body, code).await;
    }
    lab.shutdown().await;
}

/// `ssmdeck lab serve` with every log level on: an activation's code is
/// in no line the lab writes (stdout, stderr, its log file).
#[tokio::test]
async fn the_activation_code_never_reaches_the_labs_logs() {
    let dir = std::env::temp_dir().join(format!("ssmdeck-activation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("lab.env");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["lab", "serve", "--fleet", "small", "--env-file"])
        .arg(&env_file)
        .env("SSMDECK_LOG", "trace")
        .env("RUST_LOG", "trace")
        .env("SSMDECK_DATA_DIR", &dir)
        .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(&env_file).map_or(true, |t| t.lines().count() < 4) {
        assert!(std::time::Instant::now() < deadline, "no env file");
        assert!(child.try_wait().unwrap().is_none(), "lab serve ended");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let text = std::fs::read_to_string(&env_file).unwrap();
    let var = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap()
            .to_owned()
    };
    let conf = aws_sdk_ssm::Config::builder()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new(var("AWS_REGION")))
        .endpoint_url(var("AWS_ENDPOINT_URL"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            var("AWS_ACCESS_KEY_ID"),
            var("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "test",
        ))
        .build();
    let ssm = aws_sdk_ssm::Client::from_conf(conf);
    let out = ssm
        .create_activation()
        .iam_role("SSMServiceRole")
        .send()
        .await;
    let listed = ssm.describe_activations().send().await;
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    let out = out.unwrap();
    assert!(listed.unwrap().activation_list().len() >= 3);
    let code = out.activation_code().unwrap();
    let mut read = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        let t = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(
            !t.contains(code),
            "{} holds the activation code",
            f.display()
        );
        read += t.len();
    }
    assert!(read > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
