//! ListNodes, ListNodesSummary and GetOpsSummary per tenant and through the
//! Quick Setup resource data sync (every tenant, for the management and the
//! delegated administrator account), paged as the model says, refusing
//! with codes the model lists; OpsItems of every tenant name their own
//! account.

use std::collections::BTreeMap;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    NodeAggregator, NodeAggregatorType, NodeAttributeName, NodeFilter, NodeFilterKey, NodeTypeName,
    OpsAggregator, OpsFilter, OpsItemFilter, OpsItemFilterKey, OpsItemFilterOperator,
};
use ssmdeck_lab::LabHandle;

use crate::lab_tenancy::{REGIONS, grid_lab, ssm};
use crate::lab_validation::{COMMON, model_errors};

const SYNC: &str = "AWS-QuickSetup-ManagedNode";

/// Every node ListNodes gives `client` (pages of `page`), as
/// (id, account, region, platform type).
async fn listed(
    client: &aws_sdk_ssm::Client,
    sync: Option<&str>,
    page: i32,
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    let mut pages = client
        .list_nodes()
        .set_sync_name(sync.map(str::to_owned))
        .max_results(page)
        .into_paginator()
        .send();
    let mut n_pages = 0;
    while let Some(p) = pages.next().await {
        n_pages += 1;
        for n in p.expect("ListNodes page").nodes() {
            let info = n.node_type().unwrap().as_instance().unwrap();
            assert!(n.capture_time().is_some());
            assert_eq!(info.managed_status().map(|s| s.as_str()), Some("Managed"));
            out.push((
                n.id().unwrap().to_owned(),
                n.owner().unwrap().account_id().unwrap().to_owned(),
                n.region().unwrap().to_owned(),
                info.platform_type().unwrap().as_str().to_owned(),
            ));
        }
    }
    assert!(n_pages > 1, "{page} a page gives more than one page");
    out
}

fn count_by(items: impl Iterator<Item = String>) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    m
}

fn aggregator(attribute: NodeAttributeName) -> NodeAggregator {
    NodeAggregator::builder()
        .aggregator_type(NodeAggregatorType::Count)
        .type_name(NodeTypeName::Instance)
        .attribute_name(attribute)
        .build()
        .unwrap()
}

/// ListNodesSummary of `client` by `aggs`, every page of `page` entries.
async fn summary(
    client: &aws_sdk_ssm::Client,
    sync: Option<&str>,
    aggs: Vec<NodeAggregator>,
    page: i32,
) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let r = client
            .list_nodes_summary()
            .set_sync_name(sync.map(str::to_owned))
            .set_aggregators(Some(aggs.clone()))
            .max_results(page)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("ListNodesSummary");
        assert!(r.summary().len() <= page as usize);
        out.extend(r.summary().iter().cloned().map(|m| m.into_iter().collect()));
        token = r.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

#[tokio::test]
async fn list_nodes_pages_each_tenant_and_the_sync_sees_them_all() {
    let lab = grid_lab(30).await;
    let accounts = lab.accounts();
    let mut everything = Vec::new();
    for account in &accounts {
        for region in REGIONS {
            let got = listed(&ssm(&lab, account, region), None, 7).await;
            let want: Vec<String> = lab
                .nodes_in(account, region)
                .into_iter()
                .map(|n| n.id)
                .collect();
            assert_eq!(got.iter().map(|n| n.0.clone()).collect::<Vec<_>>(), want);
            assert!(got.iter().all(|n| &n.1 == account && n.2 == region));
            everything.extend(got);
        }
    }
    everything.sort();
    // The management account and the delegated administrator see every
    // tenant through the sync, from any of their regions.
    for (account, region) in [(&accounts[0], REGIONS[0]), (&accounts[1], REGIONS[1])] {
        let mut all = listed(&ssm(&lab, account, region), Some(SYNC), 50).await;
        all.sort();
        assert_eq!(all, everything, "{account} through {SYNC}");
    }
    // Filters: Equal, NotEqual and BeginWith over the tenant's nodes.
    let client = ssm(&lab, &accounts[1], REGIONS[0]);
    let nodes = lab.nodes_in(&accounts[1], REGIONS[0]);
    let linux = nodes.iter().filter(|n| n.platform_type == "Linux").count();
    for (kind, values, want) in [
        ("Equal", vec!["Linux"], linux),
        ("NotEqual", vec!["Linux"], nodes.len() - linux),
        (
            "BeginWith",
            vec!["Lin", "Win"],
            nodes.iter().filter(|n| n.platform_type != "MacOS").count(),
        ),
    ] {
        let r = client
            .list_nodes()
            .filters(
                NodeFilter::builder()
                    .key(NodeFilterKey::PlatformType)
                    .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
                    .r#type(kind.into())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("filtered");
        assert_eq!(r.nodes().len(), want, "{kind} {values:?}");
    }
    // Refusals, each with a code the model lists for ListNodes.
    let model = model_errors();
    let member = ssm(&lab, &accounts[2], REGIONS[0]);
    let e = member
        .list_nodes()
        .sync_name(SYNC)
        .send()
        .await
        .expect_err("member");
    let mut codes = vec![e.code().unwrap_or_default().to_owned()];
    assert_eq!(codes[0], "ResourceDataSyncNotFoundException");
    let e = client
        .list_nodes()
        .sync_name("my-sync")
        .send()
        .await
        .expect_err("unknown");
    codes.push(e.code().unwrap_or_default().to_owned());
    let e = client
        .list_nodes()
        .next_token("bogus")
        .send()
        .await
        .expect_err("token");
    assert_eq!(e.code(), Some("InvalidNextToken"));
    codes.push("InvalidNextToken".into());
    let e = client
        .list_nodes()
        .filters(
            NodeFilter::builder()
                .key(NodeFilterKey::ResourceType)
                .values("Laptop")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect_err("bad value");
    assert_eq!(e.code(), Some("InvalidFilter"));
    codes.push("InvalidFilter".into());
    for c in &codes {
        assert!(
            model["ssm"]["ListNodes"].contains(c) || COMMON.contains(&c.as_str()),
            "ListNodes: {c} is not in the model"
        );
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn list_nodes_summary_counts_per_tenant_and_across_the_sync() {
    let lab = grid_lab(30).await;
    let accounts = lab.accounts();
    let client = ssm(&lab, &accounts[1], REGIONS[1]);
    let nodes = lab.nodes_in(&accounts[1], REGIONS[1]);
    let got = summary(
        &client,
        None,
        vec![aggregator(NodeAttributeName::PlatformName)],
        1,
    )
    .await;
    let want = count_by(nodes.iter().map(|n| n.platform_name.clone()));
    let seen: BTreeMap<String, i64> = got
        .iter()
        .map(|m| (m["PlatformName"].clone(), m["Count"].parse().unwrap()))
        .collect();
    assert_eq!(seen, want);
    assert!(want.len() > 1, "pages of one entry: more than one page");
    // Two aggregators, the second nested: counts per (platform type, agent version).
    let nested = NodeAggregator::builder()
        .aggregator_type(NodeAggregatorType::Count)
        .type_name(NodeTypeName::Instance)
        .attribute_name(NodeAttributeName::PlatformType)
        .aggregators(aggregator(NodeAttributeName::AgentVersion))
        .build()
        .unwrap();
    let got = summary(
        &client,
        None,
        vec![nested, aggregator(NodeAttributeName::ResourceType)],
        50,
    )
    .await;
    let pairs: BTreeMap<String, i64> = got
        .iter()
        .filter(|m| m.contains_key("AgentVersion"))
        .map(|m| {
            (
                format!("{}/{}", m["PlatformType"], m["AgentVersion"]),
                m["Count"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        count_by(
            nodes
                .iter()
                .map(|n| format!("{}/{}", n.platform_type, n.agent_version))
        )
    );
    assert!(
        got.iter().all(|m| m.len() <= 3),
        "a NodeSummary has at most 3 entries"
    );
    let types: i64 = got
        .iter()
        .filter(|m| m.contains_key("ResourceType"))
        .map(|m| m["Count"].parse::<i64>().unwrap())
        .sum();
    assert_eq!(types as usize, nodes.len());
    // Through the sync: per region, every account's nodes.
    let got = summary(
        &ssm(&lab, &accounts[0], REGIONS[0]),
        Some(SYNC),
        vec![aggregator(NodeAttributeName::Region)],
        50,
    )
    .await;
    let per_region: BTreeMap<String, i64> = got
        .iter()
        .map(|m| (m["Region"].clone(), m["Count"].parse().unwrap()))
        .collect();
    let want: BTreeMap<String, i64> = REGIONS
        .iter()
        .map(|r| {
            (
                r.to_string(),
                accounts
                    .iter()
                    .map(|a| lab.nodes_in(a, r).len() as i64)
                    .sum(),
            )
        })
        .collect();
    assert_eq!(per_region, want);
    // Refusals with codes the model lists.
    let model = &model_errors()["ssm"]["ListNodesSummary"];
    let e = client
        .list_nodes_summary()
        .sync_name("nope")
        .aggregators(aggregator(NodeAttributeName::Region))
        .send()
        .await
        .expect_err("unknown sync");
    assert_eq!(e.code(), Some("ResourceDataSyncNotFoundException"));
    let deep = NodeAggregator::builder()
        .aggregator_type(NodeAggregatorType::Count)
        .type_name(NodeTypeName::Instance)
        .attribute_name(NodeAttributeName::Region)
        .aggregators(
            NodeAggregator::builder()
                .aggregator_type(NodeAggregatorType::Count)
                .type_name(NodeTypeName::Instance)
                .attribute_name(NodeAttributeName::PlatformName)
                .aggregators(aggregator(NodeAttributeName::PlatformType))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let e2 = client
        .list_nodes_summary()
        .aggregators(deep)
        .send()
        .await
        .expect_err("too deep");
    assert_eq!(e2.code(), Some("InvalidAggregatorException"));
    for c in [e.code(), e2.code()].into_iter().flatten() {
        assert!(model.iter().any(|m| m == c), "{c} not in {model:?}");
    }
    lab.shutdown().await;
}

/// Every OpsItem `client` sees (DescribeOpsItems, all pages): (status, severity).
async fn ops_items(client: &aws_sdk_ssm::Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_ops_items()
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        for i in p.unwrap().ops_item_summaries() {
            out.push((
                i.status().unwrap().as_str().to_owned(),
                i.severity().unwrap_or_default().to_owned(),
            ));
        }
    }
    out
}

fn ops_count(attribute: &str) -> OpsAggregator {
    OpsAggregator::builder()
        .aggregator_type("count")
        .type_name("AWS:OpsItem")
        .attribute_name(attribute)
        .build()
}

/// GetOpsSummary of `client`: entity id -> count, every page of `page`.
async fn ops_summary(
    client: &aws_sdk_ssm::Client,
    sync: Option<&str>,
    aggs: Vec<OpsAggregator>,
    filters: Option<Vec<OpsFilter>>,
    page: i32,
) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut pages = client
        .get_ops_summary()
        .set_sync_name(sync.map(str::to_owned))
        .set_aggregators(Some(aggs))
        .set_filters(filters)
        .max_results(page)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        for e in p.expect("GetOpsSummary page").entities() {
            let item = &e.data().unwrap()["AWS:OpsItem"];
            assert!(item.capture_time().unwrap().ends_with('Z'));
            let content = &item.content()[0];
            out.push((
                e.id().unwrap().to_owned(),
                content["Count"].parse().unwrap(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn get_ops_summary_counts_ops_items_by_status_and_severity() {
    let lab = grid_lab(30).await;
    let accounts = lab.accounts();
    let client = ssm(&lab, &accounts[2], REGIONS[1]);
    let items = ops_items(&client).await;
    assert!(items.len() > 3);
    let got = ops_summary(&client, None, vec![ops_count("Status")], None, 1).await;
    let want = count_by(items.iter().map(|i| i.0.clone()));
    assert!(want.len() > 1, "more than one page of one");
    assert_eq!(got.into_iter().collect::<BTreeMap<_, _>>(), want);
    // Two aggregators in one call: Severity after Status.
    let got = ops_summary(
        &client,
        None,
        vec![ops_count("Status"), ops_count("Severity")],
        None,
        50,
    )
    .await;
    let sev: BTreeMap<String, i64> = got.into_iter().skip(want.len()).collect();
    assert_eq!(sev, count_by(items.iter().map(|i| i.1.clone())));
    // Severity nested in Status: one entity per status, its total first,
    // then one count per severity that adds up to it.
    let nested = OpsAggregator::builder()
        .aggregator_type("count")
        .type_name("AWS:OpsItem")
        .attribute_name("Status")
        .aggregators(ops_count("Severity"))
        .build();
    let r = client
        .get_ops_summary()
        .aggregators(nested)
        .send()
        .await
        .expect("nested");
    let ids: Vec<&str> = r.entities().iter().map(|e| e.id().unwrap()).collect();
    assert_eq!(ids, want.keys().map(String::as_str).collect::<Vec<_>>());
    for e in r.entities() {
        let content = e.data().unwrap()["AWS:OpsItem"].content();
        let status = e.id().unwrap();
        let total: i64 = content[0]["Count"].parse().unwrap();
        assert_eq!(total, want[status]);
        let per_severity: Vec<(String, i64)> = content[1..]
            .iter()
            .map(|c| {
                assert_eq!(c["Status"], status);
                (c["Severity"].clone(), c["Count"].parse().unwrap())
            })
            .collect();
        let expected = count_by(items.iter().filter(|i| i.0 == status).map(|i| i.1.clone()));
        assert_eq!(
            per_severity.into_iter().collect::<BTreeMap<_, _>>(),
            expected,
            "{status}"
        );
    }
    // A filter: everything not resolved.
    let open = OpsFilter::builder()
        .key("AWS:OpsItem.Status")
        .values("Resolved")
        .r#type("NotEqual".into())
        .build()
        .unwrap();
    let got = ops_summary(
        &client,
        None,
        vec![ops_count("Severity")],
        Some(vec![open]),
        50,
    )
    .await;
    let unresolved = items.iter().filter(|i| i.0 != "Resolved").count() as i64;
    assert_eq!(got.iter().map(|g| g.1).sum::<i64>(), unresolved);
    // Through the sync: every tenant's OpsItems.
    let mut total = 0;
    for a in &accounts {
        for r in REGIONS {
            total += ops_items(&ssm(&lab, a, r)).await.len() as i64;
        }
    }
    let got = ops_summary(
        &ssm(&lab, &accounts[0], REGIONS[0]),
        Some(SYNC),
        vec![ops_count("Status")],
        None,
        50,
    )
    .await;
    assert_eq!(got.iter().map(|g| g.1).sum::<i64>(), total);
    // Refusals, with codes the model lists for GetOpsSummary.
    let model = &model_errors()["ssm"]["GetOpsSummary"];
    let mut codes = Vec::new();
    for (what, call) in [
        (
            "unknown sync",
            client
                .get_ops_summary()
                .sync_name("nope")
                .aggregators(ops_count("Status")),
        ),
        (
            "member through the sync",
            client
                .get_ops_summary()
                .sync_name(SYNC)
                .aggregators(ops_count("Status")),
        ),
        (
            "unknown type",
            client.get_ops_summary().aggregators(
                OpsAggregator::builder()
                    .aggregator_type("count")
                    .type_name("AWS:EC2InstanceInformation")
                    .attribute_name("Status")
                    .build(),
            ),
        ),
        (
            "unknown attribute",
            client.get_ops_summary().aggregators(ops_count("Colour")),
        ),
        (
            "bad filter",
            client
                .get_ops_summary()
                .aggregators(ops_count("Status"))
                .filters(
                    OpsFilter::builder()
                        .key("AWS:Foo.Bar")
                        .values("x")
                        .build()
                        .unwrap(),
                ),
        ),
        (
            "bad token",
            client
                .get_ops_summary()
                .aggregators(ops_count("Status"))
                .next_token("bogus"),
        ),
    ] {
        let e = call.send().await.expect_err(what);
        let code = e.code().unwrap_or_default().to_owned();
        assert!(model.contains(&code), "{what}: {code} not in {model:?}");
        codes.push(code);
    }
    assert_eq!(
        codes,
        [
            "ResourceDataSyncNotFoundException",
            "ResourceDataSyncNotFoundException",
            "InvalidTypeNameException",
            "InvalidAggregatorException",
            "InvalidFilter",
            "InvalidNextToken"
        ]
    );
    lab.shutdown().await;
}

/// OpsItems of a tenant other than the first: ARNs and seeded principals
/// name the tenant's account and region, and the AccountId filter of
/// DescribeOpsItems matches the tenant's account.
#[tokio::test]
async fn ops_items_of_every_tenant_carry_its_account() {
    let lab: LabHandle = grid_lab(20).await;
    let accounts = lab.accounts();
    for (account, region) in [(&accounts[0], REGIONS[0]), (&accounts[2], REGIONS[1])] {
        let client = ssm(&lab, account, region);
        let all = ops_items(&client).await.len();
        let by_account = |value: &str| {
            client
                .describe_ops_items()
                .max_results(50)
                .ops_item_filters(
                    OpsItemFilter::builder()
                        .key(OpsItemFilterKey::AccountId)
                        .values(value)
                        .operator(OpsItemFilterOperator::Equal)
                        .build()
                        .unwrap(),
                )
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            by_account(account).await.len(),
            all,
            "{account}: AccountId filter"
        );
        let other = if account == &accounts[0] {
            &accounts[1]
        } else {
            &accounts[0]
        };
        assert_eq!(
            by_account(other).await.len(),
            0,
            "{account}: another account's id"
        );
        let first = client
            .describe_ops_items()
            .max_results(5)
            .send()
            .await
            .unwrap();
        for s in first.ops_item_summaries() {
            let id = s.ops_item_id().unwrap();
            let item = client.get_ops_item().ops_item_id(id).send().await.unwrap();
            let item = item.ops_item().unwrap();
            assert_eq!(
                item.ops_item_arn(),
                Some(format!("arn:aws:ssm:{region}:{account}:opsitem/{id}").as_str())
            );
            for who in [s.created_by().unwrap(), s.last_modified_by().unwrap()] {
                assert!(who.contains(&format!("::{account}:")), "{id}: {who}");
            }
        }
    }
    lab.shutdown().await;
}

/// The raw answers of ListNodes, ListNodesSummary, GetOpsSummary, the
/// Organizations calls (JSON) and STS GetCallerIdentity and AssumeRole
/// (XML), checked strictly against botocore's output shapes
/// (tests/integration/model_shapes.rs).
#[tokio::test]
async fn explorer_organizations_sts_and_iam_answers_have_the_model_shapes() {
    use crate::lab_validation::{json_call, signed_raw};
    use crate::model_shapes::check_output;
    use serde_json::json;
    let lab = grid_lab(30).await;
    let node_agg =
        |a: &str| json!({"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": a});
    let ops_agg =
        |a: &str| json!({"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": a});
    let mut calls = vec![
        ("ListNodes", json!({})),
        ("ListNodes", json!({"MaxResults": 3, "SyncName": SYNC})),
        (
            "ListNodes",
            json!({"Filters": [{"Key": "PlatformType", "Values": ["Linux"], "Type": "Equal"}]}),
        ),
        (
            "GetOpsSummary",
            json!({"Aggregators": [ops_agg("Status"), ops_agg("Severity")]}),
        ),
        (
            "GetOpsSummary",
            json!({"SyncName": SYNC, "Aggregators": [
            {"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": "Status",
             "Aggregators": [ops_agg("Priority")]}]}),
        ),
    ];
    for a in [
        "AgentVersion",
        "PlatformName",
        "PlatformType",
        "PlatformVersion",
        "Region",
        "ResourceType",
    ] {
        calls.push((
            "ListNodesSummary",
            json!({"SyncName": SYNC, "Aggregators": [
            {"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": a,
             "Aggregators": [node_agg("PlatformType"), node_agg("Region")]}]}),
        ));
    }
    for (op, body) in calls {
        let (status, v) = json_call(&lab, "ssm", op, &body).await;
        assert_eq!(status, 200, "{op} {body}: {v}");
        check_output("ssm", op, &v).unwrap_or_else(|e| panic!("{op} {body}: {e}"));
    }
    for (op, body) in [
        ("ListAccounts", r#"{"MaxResults": 2}"#),
        ("DescribeOrganization", "{}"),
        ("ListDelegatedAdministrators", "{}"),
    ] {
        let target = format!("AWSOrganizationsV20161128.{op}");
        let (status, text) = signed_raw(
            &lab,
            "POST",
            "/",
            "organizations",
            Some(&target),
            body,
            std::time::SystemTime::now(),
        )
        .await;
        assert_eq!(status, 200, "{op}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        check_output("organizations", op, &v).unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    let role = format!("arn:aws:iam::{}:role/ssmdeck-operator", lab.accounts()[1]);
    for (op, body) in [
        (
            "GetCallerIdentity",
            "Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
        ),
        (
            "AssumeRole",
            format!(
                "Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=shapes&DurationSeconds=900"
            ),
        ),
    ] {
        let (status, text) = signed_raw(
            &lab,
            "POST",
            "/",
            "sts",
            None,
            &body,
            std::time::SystemTime::now(),
        )
        .await;
        assert_eq!(status, 200, "{op}: {text}");
        crate::model_shapes::check_query_output("sts", op, &text)
            .unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    // IAM: each account's alias.
    let (status, text) = signed_raw(
        &lab,
        "POST",
        "/",
        "iam",
        None,
        "Action=ListAccountAliases&Version=2010-05-08&MaxItems=10",
        std::time::SystemTime::now(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<member>acme-management</member>"), "{text}");
    crate::model_shapes::check_query_output("iam", "ListAccountAliases", &text)
        .unwrap_or_else(|e| panic!("ListAccountAliases: {e}"));
    lab.shutdown().await;
}

/// Short and empty pages with a NextToken (the `short_pages` knob) lose and
/// repeat nothing, and a token of one operation or other filters is refused
/// by another as the model says (`InvalidNextToken`).
#[tokio::test]
async fn short_pages_and_foreign_tokens() {
    use crate::lab_validation::json_call;
    use serde_json::json;
    let lab = grid_lab(30).await;
    lab.set_faults(ssmdeck_lab::Faults {
        short_pages: 0.6,
        ..Default::default()
    });
    let accounts = lab.accounts();
    let client = ssm(&lab, &accounts[1], REGIONS[0]);
    let got: Vec<String> = listed(&client, None, 5)
        .await
        .into_iter()
        .map(|n| n.0)
        .collect();
    let want: Vec<String> = lab
        .nodes_in(&accounts[1], REGIONS[0])
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(got, want);
    let by_name = summary(
        &client,
        None,
        vec![aggregator(NodeAttributeName::AgentVersion)],
        1,
    )
    .await;
    let n: i64 = by_name
        .iter()
        .map(|m| m["Count"].parse::<i64>().unwrap())
        .sum();
    assert_eq!(n as usize, want.len());
    lab.set_faults(ssmdeck_lab::Faults::default());
    let (_, v) = json_call(&lab, "ssm", "ListNodes", &json!({"MaxResults": 1})).await;
    let token = v["NextToken"].as_str().unwrap().to_owned();
    let agg =
        json!([{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "Region"}]);
    for (op, body) in [
        (
            "ListNodesSummary",
            json!({"Aggregators": agg, "NextToken": token}),
        ),
        (
            "ListNodes",
            json!({"NextToken": token, "Filters": [{"Key": "PlatformType", "Values": ["Linux"]}]}),
        ),
        (
            "GetOpsSummary",
            json!({"NextToken": token, "Aggregators": [{"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": "Status"}]}),
        ),
    ] {
        let (status, v) = json_call(&lab, "ssm", op, &body).await;
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("InvalidNextToken")),
            "{op}"
        );
    }
    let (status, _) = json_call(
        &lab,
        "ssm",
        "ListNodes",
        &json!({"MaxResults": 2, "NextToken": token}),
    )
    .await;
    assert_eq!(
        status, 200,
        "the token is good for its own call, at another page size"
    );
    lab.shutdown().await;
}
