//! One lab, a grid of (account, region) tenants: each with its own fleet
//! and stores, chosen from the signing keys (account) and the SigV4 scope
//! (region), ids unique across the lab, regions outside the grid refused as
//! AWS refuses a Region that is not enabled, and fault knobs per tenant.

use std::collections::{BTreeSet, HashSet};

use aws_sdk_ssm::config::retry::RetryConfig;
use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ssm::error::ProvideErrorMetadata;
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabCredentials, LabHandle};

pub(crate) const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// A lab of 3 accounts x 2 regions with `nodes` nodes in its first tenant.
pub(crate) async fn grid_lab(nodes: usize) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes,
            seed: nodes as u64,
            ..FleetSpec::demo()
        },
        accounts: ssmdeck_lab::tenancy::synthetic_accounts(3),
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

fn creds(c: &LabCredentials) -> Credentials {
    Credentials::new(&c.access_key_id, &c.secret_access_key, None, None, "test")
}

/// An SSM client of `account` (its long-term keys) in `region`, no retries.
pub(crate) fn ssm(lab: &LabHandle, account: &str, region: &str) -> aws_sdk_ssm::Client {
    let c = lab
        .account_credentials(account)
        .expect("account of the lab");
    let conf = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(creds(&c))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_ssm::Client::from_conf(conf)
}

fn ec2(lab: &LabHandle, account: &str, region: &str) -> aws_sdk_ec2::Client {
    let c = lab
        .account_credentials(account)
        .expect("account of the lab");
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new(region.to_owned()))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(creds(&c))
        .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

fn sts(lab: &LabHandle, account: &str, region: &str) -> aws_sdk_sts::Client {
    let c = lab
        .account_credentials(account)
        .expect("account of the lab");
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(region.to_owned()))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(creds(&c))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// Every node a client sees: (id, computer name, ping status), every page.
pub(crate) async fn described(client: &aws_sdk_ssm::Client) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_instance_information()
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for n in page.expect("page").instance_information_list() {
            out.push((
                n.instance_id().unwrap_or_default().to_owned(),
                n.computer_name().unwrap_or_default().to_owned(),
                n.ping_status()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_tenant_of_a_3x2_lab_has_its_own_fleet_and_ids_never_collide() {
    let lab = grid_lab(40).await;
    let single = crate::common::lab(40, Faults::default()).await;
    assert_eq!(lab.accounts().len(), 3);
    assert_eq!(lab.regions(), REGIONS.to_vec());
    assert_eq!(lab.accounts()[0], ssmdeck_lab::LAB_ACCOUNT);
    let mut fleets = Vec::new();
    let mut all_ids = HashSet::new();
    let mut total = 0;
    for account in lab.accounts() {
        for region in REGIONS {
            let seen = described(&ssm(&lab, &account, region)).await;
            let expected: Vec<String> = lab
                .nodes_in(&account, region)
                .into_iter()
                .map(|n| n.id)
                .collect();
            let ids: Vec<String> = seen.iter().map(|(id, _, _)| id.clone()).collect();
            assert_eq!(ids, expected, "{account} {region}: every node, once");
            assert!(
                seen.len().abs_diff(40) <= 4,
                "{account} {region}: {}",
                seen.len()
            );
            total += seen.len();
            all_ids.extend(ids);
            fleets.push(seen);
        }
    }
    assert_eq!(all_ids.len(), total, "node ids are unique across the lab");
    let distinct: BTreeSet<_> = fleets.iter().collect();
    assert_eq!(distinct.len(), 6, "every tenant's fleet differs");
    let names: BTreeSet<&String> = fleets.iter().flatten().map(|(_, n, _)| n).collect();
    assert!(names.len() > 40, "names differ across tenants");
    // The first tenant is exactly today's single-tenant lab.
    let first: Vec<String> = lab.nodes().into_iter().map(|n| n.id).collect();
    let today: Vec<String> = single.nodes().into_iter().map(|n| n.id).collect();
    assert_eq!(first, today);
    assert_eq!(
        fleets[0],
        described(&ssm(&single, ssmdeck_lab::LAB_ACCOUNT, "us-east-1")).await
    );
    // Command ids and OpsItem ids are unique across the lab too.
    let mut command_ids = HashSet::new();
    let mut ops_ids = HashSet::new();
    let mut ops_total = 0;
    for account in lab.accounts() {
        for region in REGIONS {
            let client = ssm(&lab, &account, region);
            let node = lab.nodes_in(&account, region)[0].id.clone();
            let sent = client
                .send_command()
                .document_name("AWS-RunShellScript")
                .instance_ids(node)
                .parameters("commands", vec!["true".into()])
                .send()
                .await
                .expect("send in the tenant");
            command_ids.insert(sent.command().unwrap().command_id().unwrap().to_owned());
            let created = client
                .create_ops_item()
                .title("t")
                .description("d")
                .source("lab")
                .send()
                .await
                .expect("create in the tenant");
            let id = created.ops_item_id().unwrap().to_owned();
            assert!(
                created
                    .ops_item_arn()
                    .unwrap()
                    .contains(&format!(":{account}:")),
                "the ARN names the tenant's account"
            );
            let items = client
                .describe_ops_items()
                .max_results(50)
                .send()
                .await
                .unwrap();
            let listed: Vec<String> = items
                .ops_item_summaries()
                .iter()
                .filter_map(|s| s.ops_item_id().map(str::to_owned))
                .collect();
            assert!(listed.contains(&id));
            ops_total += listed.len();
            ops_ids.extend(listed);
        }
    }
    assert_eq!(command_ids.len(), 6, "command ids never collide");
    assert_eq!(ops_ids.len(), ops_total, "OpsItem ids never collide");
    // GetCallerIdentity answers per account.
    for account in lab.accounts() {
        let who = sts(&lab, &account, "eu-west-1")
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(who.account(), Some(account.as_str()));
        assert!(
            who.arn()
                .unwrap()
                .starts_with(&format!("arn:aws:iam::{account}:"))
        );
    }
    single.shutdown().await;
    lab.shutdown().await;
}

#[tokio::test]
async fn regions_are_isolated_and_a_region_outside_the_grid_is_not_enabled() {
    let lab = grid_lab(8).await;
    let accounts = lab.accounts();
    let home = ssm(&lab, &accounts[0], "us-east-1");
    home.put_parameter()
        .name("/only/here")
        .value("v")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .expect("put");
    assert_eq!(
        home.get_parameter()
            .name("/only/here")
            .send()
            .await
            .unwrap()
            .parameter()
            .unwrap()
            .value(),
        Some("v")
    );
    for (account, region) in [(&accounts[0], "eu-west-1"), (&accounts[1], "us-east-1")] {
        let e = ssm(&lab, account, region)
            .get_parameter()
            .name("/only/here")
            .send()
            .await
            .expect_err("another tenant does not see it");
        assert_eq!(e.code(), Some("ParameterNotFound"), "{account} {region}");
    }
    // A region the grid lacks answers as a Region not enabled for the account.
    let e = ssm(&lab, &accounts[1], "ap-southeast-2")
        .describe_instance_information()
        .send()
        .await
        .expect_err("not enabled");
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
    assert_eq!(
        e.message(),
        Some("The security token included in the request is invalid.")
    );
    let e = ec2(&lab, &accounts[1], "ap-southeast-2")
        .describe_instances()
        .send()
        .await
        .expect_err("not enabled");
    assert_eq!(e.code(), Some("AuthFailure"));
    let e = sts(&lab, &accounts[2], "ap-southeast-2")
        .get_caller_identity()
        .send()
        .await
        .expect_err("not enabled");
    assert_eq!(e.code(), Some("InvalidClientTokenId"));
    // EC2 answers in the tenant's own fleet.
    let reservations = ec2(&lab, &accounts[2], "eu-west-1")
        .describe_instances()
        .send()
        .await
        .unwrap();
    let owner = reservations.reservations()[0]
        .owner_id()
        .unwrap()
        .to_owned();
    assert_eq!(owner, accounts[2]);
    let ec2_ids: BTreeSet<String> = reservations
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    let lab_ids: BTreeSet<String> = lab
        .nodes_in(&accounts[2], "eu-west-1")
        .into_iter()
        .filter(|n| !n.is_hybrid())
        .map(|n| n.id)
        .collect();
    assert_eq!(ec2_ids, lab_ids);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_tenant_s_own_faults_hit_that_tenant_only() {
    let lab = grid_lab(10).await;
    let accounts = lab.accounts();
    lab.set_context_faults(
        &accounts[1],
        "us-east-1",
        Faults {
            deny: vec!["ssm:*".into()],
            ..Faults::default()
        },
    );
    lab.set_context_faults(
        &accounts[2],
        "eu-west-1",
        Faults {
            throttle_share: 1.0,
            ..Faults::default()
        },
    );
    for account in &accounts {
        for region in REGIONS {
            let r = ssm(&lab, account, region)
                .describe_instance_information()
                .send()
                .await;
            match (
                account == &accounts[1] && region == "us-east-1",
                account == &accounts[2] && region == "eu-west-1",
            ) {
                (true, _) => {
                    let e = r.expect_err("denied");
                    assert_eq!(e.code(), Some("AccessDeniedException"));
                    assert!(
                        e.message()
                            .unwrap()
                            .contains(&format!("arn:aws:iam::{}:", accounts[1])),
                        "{:?}",
                        e.message()
                    );
                }
                (_, true) => assert_eq!(
                    r.expect_err("throttled").code(),
                    Some("ThrottlingException")
                ),
                _ => assert!(r.is_ok(), "{account} {region}: {r:?}"),
            }
            assert_eq!(
                lab.calls_in(account, region)
                    .get("ssm:DescribeInstanceInformation"),
                Some(&1),
                "{account} {region}"
            );
        }
    }
    assert_eq!(lab.calls().get("ssm:DescribeInstanceInformation"), Some(&6));
    // The lab-wide knob still reaches every tenant.
    lab.set_faults(Faults {
        deny: vec!["ssm:DescribeInstanceInformation".into()],
        ..Faults::default()
    });
    for account in &accounts {
        let e = ssm(&lab, account, "eu-west-1")
            .describe_instance_information()
            .send()
            .await
            .expect_err("denied everywhere");
        assert_eq!(e.code(), Some("AccessDeniedException"), "{account}");
    }
    lab.reset_calls();
    assert!(lab.calls().is_empty());
    lab.shutdown().await;
}

/// An SSM client signing with the temporary keys `c` in `region`.
fn ssm_with(lab: &LabHandle, c: Credentials, region: &str) -> aws_sdk_ssm::Client {
    let conf = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(c)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_ssm::Client::from_conf(conf)
}

#[tokio::test]
async fn assumed_role_keys_call_in_their_account_until_they_expire() {
    let lab = grid_lab(10).await;
    let accounts = lab.accounts();
    let mgmt = sts(&lab, &accounts[0], "us-east-1");
    let role = format!("arn:aws:iam::{}:role/ssmdeck-operator", accounts[1]);
    let out = mgmt
        .assume_role()
        .role_arn(&role)
        .role_session_name("lab-test")
        .duration_seconds(900)
        .send()
        .await
        .expect("assume a role of the lab");
    let c = out.credentials().expect("credentials");
    assert!(c.access_key_id().starts_with("ASIA"));
    assert!(!c.session_token().is_empty());
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!(
            "arn:aws:sts::{}:assumed-role/ssmdeck-operator/lab-test",
            accounts[1]
        )
    );
    assert!(user.assumed_role_id().ends_with(":lab-test"));
    let temp = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "role",
    );
    // The keys call in the role's account.
    let seen = described(&ssm_with(&lab, temp.clone(), "eu-west-1")).await;
    let expected: Vec<String> = lab
        .nodes_in(&accounts[1], "eu-west-1")
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(seen.into_iter().map(|n| n.0).collect::<Vec<_>>(), expected);
    assert_eq!(
        lab.calls_in(&accounts[1], "eu-west-1")
            .get("ssm:DescribeInstanceInformation"),
        Some(&1)
    );
    let sts_conf = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(lab.endpoint_url())
        .credentials_provider(temp.clone())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    let role_sts = aws_sdk_sts::Client::from_conf(sts_conf);
    let who = role_sts.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some(accounts[1].as_str()));
    assert_eq!(who.arn(), Some(user.arn()));
    // Without its session token the key is unknown.
    let bare = Credentials::new(c.access_key_id(), c.secret_access_key(), None, None, "bare");
    let e = ssm_with(&lab, bare, "eu-west-1")
        .describe_instance_information()
        .send()
        .await
        .expect_err("no token");
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
    // Expired keys get each service's expired-token error.
    lab.expire_role_sessions();
    let e = ssm_with(&lab, temp, "eu-west-1")
        .describe_instance_information()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredTokenException"));
    let e = role_sts
        .get_caller_identity()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(e.code(), Some("ExpiredToken"));
    // Refusals: a role outside the lab, a duration out of range.
    let e = mgmt
        .assume_role()
        .role_arn("arn:aws:iam::999999999999:role/x")
        .role_session_name("s1")
        .send()
        .await
        .expect_err("not an account of the lab");
    assert_eq!(e.code(), Some("AccessDenied"));
    let e = mgmt
        .assume_role()
        .role_arn(&role)
        .role_session_name("s1")
        .duration_seconds(899)
        .send()
        .await
        .expect_err("too short");
    assert_eq!(e.code(), Some("ValidationError"));
    lab.shutdown().await;
}

async fn org_call(lab: &LabHandle, action: &str, body: &str) -> (u16, serde_json::Value) {
    let (status, text) = crate::lab_validation::signed_raw(
        lab,
        "POST",
        "/",
        "organizations",
        Some(&format!("AWSOrganizationsV20161128.{action}")),
        body,
        std::time::SystemTime::now(),
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or_default())
}

#[tokio::test]
async fn organizations_lists_the_lab_s_accounts_in_pages() {
    let lab = grid_lab(4).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let body = match &token {
            Some(t) => serde_json::json!({"MaxResults": 2, "NextToken": t}),
            None => serde_json::json!({"MaxResults": 2}),
        };
        let (status, v) = org_call(&lab, "ListAccounts", &body.to_string()).await;
        assert_eq!(status, 200, "{v}");
        pages += 1;
        for a in v["Accounts"].as_array().unwrap() {
            assert_eq!(a["Status"], "ACTIVE");
            assert!(a["Email"].as_str().unwrap().contains('@'));
            assert!(
                a["Arn"]
                    .as_str()
                    .unwrap()
                    .starts_with("arn:aws:organizations::")
            );
            seen.push(a["Id"].as_str().unwrap().to_owned());
        }
        token = v["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 2);
    let mut accounts = lab.accounts();
    accounts.sort();
    assert_eq!(seen, accounts);
    let (status, v) = org_call(&lab, "ListAccounts", r#"{"MaxResults": 21}"#).await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("InvalidInputException"))
    );
    let (status, v) = org_call(&lab, "DescribeOrganization", "{}").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["Organization"]["MasterAccountId"],
        lab.accounts()[0].as_str()
    );
    let (status, v) = org_call(&lab, "ListDelegatedAdministrators", "{}").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["DelegatedAdministrators"][0]["Id"],
        lab.accounts()[1].as_str()
    );
    let (status, v) = org_call(&lab, "ListRoots", "{}").await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    lab.shutdown().await;
}

/// The shared config files of `LabHandle::aws_config_files`, written to a
/// fresh directory: profile `lab-1` reaches account 1 with the SDK's own
/// profile loading (credentials and region from the files, as
/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` would point it).
#[tokio::test]
async fn aws_config_files_give_each_account_a_profile_the_sdk_loads() {
    use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let lab = grid_lab(20).await;
    let dir = std::env::temp_dir().join(format!("ssmdeck-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (config, credentials) = lab.aws_config_files();
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("credentials"), credentials).unwrap();
    let files = EnvConfigFiles::builder()
        .with_file(EnvConfigFileKind::Config, dir.join("config"))
        .with_file(EnvConfigFileKind::Credentials, dir.join("credentials"))
        .build();
    for (n, account) in lab.accounts().iter().enumerate() {
        // Credentials and region from the files only (not from AWS_* variables
        // the environment may hold).
        let profile = format!("lab-{n}");
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .profile_files(files.clone())
                    .profile_name(&profile)
                    .build(),
            )
            .region(
                ProfileFileRegionProvider::builder()
                    .profile_files(files.clone())
                    .profile_name(&profile)
                    .build(),
            )
            .endpoint_url(lab.endpoint_url())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        assert_eq!(
            shared.region().map(|r| r.as_ref()),
            Some(REGIONS[0]),
            "lab-{n}"
        );
        let client = aws_sdk_ssm::Client::new(&shared);
        let ids: Vec<String> = described(&client)
            .await
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        let expected: Vec<String> = lab
            .nodes_in(account, REGIONS[0])
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(ids, expected, "profile lab-{n} sees account {account}");
        let who = aws_sdk_sts::Client::new(&shared)
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        assert_eq!(who.account(), Some(account.as_str()), "lab-{n}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
