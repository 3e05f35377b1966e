//! moto, the independent third-party check: the EC2 join against moto's
//! DescribeInstances, and the Fleet pane's reaction to an endpoint that does
//! not implement DescribeInstanceInformation (moto answers HTTP 500).
//!
//! Needs a moto server: `scripts/test` starts one and sets SSMDECK_MOTO_URL.

use crate::common;

use ssmdeck::aws::fleet::{FleetEvent, describe_ec2};
use ssmdeck::aws::{ConnectOptions, ErrorKind};

fn moto_url() -> String {
    std::env::var("SSMDECK_MOTO_URL")
        .expect("SSMDECK_MOTO_URL must name a running moto server: run scripts/test")
}

fn moto_options() -> ConnectOptions {
    ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(moto_url()),
        static_credentials: Some(("testing".into(), "testing".into())),
        max_attempts: 2,
        timeouts: Default::default(),
        role_arn: None,
        ..Default::default()
    }
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn ec2_join_against_motos_describe_instances() {
    use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
    let (ctx, _) = common::context_with(moto_options()).await;
    let image = ctx
        .ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("moto lists its preloaded images")
        .images
        .unwrap_or_default()
        .into_iter()
        .find_map(|i| i.image_id)
        .expect("moto has at least one image");
    let mut ids = Vec::new();
    for (name, itype) in [
        ("moto-web-1", InstanceType::T3Micro),
        ("moto-db-1", InstanceType::M5Large),
    ] {
        let out = ctx
            .ec2
            .run_instances()
            .image_id(&image)
            .instance_type(itype)
            .min_count(1)
            .max_count(1)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Name").value(name).build())
                    .tags(Tag::builder().key("Env").value("moto").build())
                    .build(),
            )
            .send()
            .await
            .expect("moto runs the instance");
        ids.push(out.instances.unwrap()[0].instance_id.clone().unwrap());
    }
    // One id that does not exist: the join must skip it, not fail.
    let mut asked = ids.clone();
    asked.push("i-00000000000000000".into());
    let (joins, calls) = describe_ec2(&ctx, asked).await.expect("join works on moto");
    assert_eq!(calls, 1);
    assert_eq!(joins.len(), 2, "{joins:?}");
    for (id, details, tags) in &joins {
        assert!(ids.contains(id));
        assert_eq!(details.state, "running");
        assert!(!details.availability_zone.is_empty());
        assert!(details.launch_time_s.is_some());
        let name = tags
            .iter()
            .find(|(k, _)| k == "Name")
            .map(|(_, v)| v.as_str());
        match name {
            Some("moto-web-1") => assert_eq!(details.instance_type, "t3.micro"),
            Some("moto-db-1") => assert_eq!(details.instance_type, "m5.large"),
            other => panic!("unexpected Name tag {other:?}"),
        }
        assert!(tags.contains(&("Env".into(), "moto".into())));
    }
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn fleet_pane_names_what_moto_does_not_support() {
    let (ctx, _) = common::context_with(moto_options()).await;
    let events = common::load(&ctx).await;
    match events.last() {
        Some(FleetEvent::Failed(e)) => {
            assert_eq!(e.kind, ErrorKind::Unsupported, "{e:?}");
            let text = e.to_string();
            assert!(text.contains("DescribeInstanceInformation"), "{text}");
            assert!(text.contains(&moto_url()), "{text}");
            eprintln!("moto answered: {text}");
        }
        other => panic!("unexpected end of load: {other:?}"),
    }
    // STS keeps working on the same endpoint.
    let id = ctx.caller_identity().await.expect("moto implements STS");
    assert_eq!(id.account.len(), 12);
}

/// Two contexts on moto: its default account in us-east-1, and a role
/// assumed in account 222222222222 in eu-west-1 (moto maps the keys
/// AssumeRole issues to the role's account, and keeps each region apart).
async fn two_contexts() -> ssmdeck::aws::contexts::ContextSet {
    use ssmdeck::aws::contexts::{ContextSet, ContextSpec};
    let specs = [
        ContextSpec::default(),
        ContextSpec {
            region: Some("eu-west-1".into()),
            role_arn: Some("arn:aws:iam::222222222222:role/ssmdeck-moto".into()),
            account: Some("222222222222".into()),
            ..ContextSpec::default()
        },
    ];
    ContextSet::connect(&moto_options(), &specs, None)
        .await
        .expect("two contexts")
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn parameters_ec2_and_send_command_stay_in_their_context_on_moto() {
    use ssmdeck::aws::commands::{self, SendRequest, Targets};
    use ssmdeck::aws::params;
    use ssmdeck::model::{ContextId, ParamKind};
    let set = two_contexts().await;
    let (home, away) = (set.get(ContextId(0)), set.get(ContextId(1)));
    let who = away.caller_identity().await.expect("the assumed role");
    assert_eq!(who.account, "222222222222", "{who:?}");
    assert_ne!(home.caller_identity().await.unwrap().account, who.account);

    // Parameters: the same name holds its own value in each context, and a
    // copy plans against the destination's own value and lands there only.
    let root = format!("/deck-moto-{}", std::process::id());
    let name = format!("{root}/db/url");
    let put = |value: &str| params::PutRequest {
        name: name.clone(),
        value: value.into(),
        kind: ParamKind::String,
        tier: None,
        description: None,
        key_id: None,
        data_type: None,
        tags: Vec::new(),
        expected_version: None,
    };
    params::put(home, &put("db.us.internal"))
        .await
        .expect("put at home");
    params::put(away, &put("db.eu.internal"))
        .await
        .expect("put away");
    assert_eq!(
        params::get_value(home, &name, false).await.unwrap().value,
        "db.us.internal"
    );
    assert_eq!(
        params::get_value(away, &name, false).await.unwrap().value,
        "db.eu.internal"
    );
    let mut plan = params::plan_copy(home, away, &root, &root, false)
        .await
        .expect("a dry run across contexts");
    assert_eq!(plan.steps.len(), 1, "{plan:?}");
    assert_eq!(
        plan.steps[0].overwrite,
        Some(1),
        "the destination's own version"
    );
    plan.to_ctx = ContextId(1);
    let out = params::apply_copy(home, away, &plan).await;
    assert!(out.failures.is_empty(), "{out:?}");
    assert_eq!(
        params::get_value(away, &name, false).await.unwrap().value,
        "db.us.internal"
    );
    assert_eq!(
        params::get_value(home, &name, false).await.unwrap().version,
        1,
        "home untouched"
    );

    // EC2: an instance of the other account and region is not joined at home.
    let image = away
        .ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("moto lists images")
        .images
        .unwrap_or_default()
        .into_iter()
        .find_map(|i| i.image_id)
        .expect("an image");
    let id = away
        .ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("an instance away")
        .instances
        .unwrap_or_default()
        .into_iter()
        .find_map(|i| i.instance_id)
        .unwrap();
    let (there, _) = describe_ec2(away, vec![id.clone()]).await.unwrap();
    let (here, _) = describe_ec2(home, vec![id.clone()]).await.unwrap();
    assert_eq!(there.len(), 1);
    assert!(here.is_empty(), "{here:?}");

    // SendCommand: a command sent away is listed away, not at home.
    let req = SendRequest {
        document: "AWS-RunShellScript".into(),
        commands: vec!["uptime".into()],
        targets: Targets::Nodes(vec![id.clone()]),
        timeout_s: 600,
        execution_timeout_s: 60,
        max_concurrency: "50".into(),
        max_errors: "0".into(),
        comment: "ssmdeck cross-context".into(),
        cloudwatch_group: None,
        output_s3: None,
        extra: Vec::new(),
    };
    let sent = commands::send(away, &req).await.expect("sent away");
    let away_ids: Vec<String> = commands::history(away, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.command_id)
        .collect();
    let home_ids: Vec<String> = commands::history(home, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.command_id)
        .collect();
    assert!(away_ids.contains(&sent[0]), "{away_ids:?}");
    assert!(!home_ids.contains(&sent[0]), "{home_ids:?}");
}

/// What the console reads of one window, its targets and tasks, with the
/// ids each endpoint draws left out.
type WindowReading = (
    (
        String,
        bool,
        String,
        Option<String>,
        Option<i32>,
        i32,
        String,
    ),
    Vec<(String, String, Vec<(String, Vec<String>)>, String)>,
    Vec<(String, String, i32, String, String, Vec<String>)>,
);

/// Creates one window with a tag target and a RUN_COMMAND task through
/// the SDK, reads it back through the console's calls, and deletes it.
async fn window_round_trip(ctx: &ssmdeck::aws::AwsContext) -> WindowReading {
    use aws_sdk_ssm::types::{MaintenanceWindowResourceType, MaintenanceWindowTaskType, Target};
    use ssmdeck::aws::maintenance;
    let id = ctx
        .ssm
        .create_maintenance_window()
        .name("shift-check")
        .description("weekly shift check")
        .schedule("cron(0 3 ? * SUN *)")
        .schedule_timezone("Asia/Tokyo")
        .duration(4)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .send()
        .await
        .expect("CreateMaintenanceWindow")
        .window_id
        .expect("a window id");
    let target = ctx
        .ssm
        .register_target_with_maintenance_window()
        .window_id(&id)
        .name("prod-fleet")
        .owner_information("team-platform")
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(Target::builder().key("tag:Env").values("prod").build())
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow")
        .window_target_id
        .expect("a window target id");
    ctx.ssm
        .register_task_with_maintenance_window()
        .window_id(&id)
        .task_arn("AWS-RunShellScript")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .priority(1)
        .max_concurrency("10%")
        .max_errors("1")
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(&target)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow");
    let w = maintenance::windows(ctx)
        .await
        .expect("DescribeMaintenanceWindows")
        .into_iter()
        .find(|w| w.id == id)
        .expect("the window is listed");
    let targets = maintenance::window_targets(ctx, &id)
        .await
        .expect("targets");
    let tasks = maintenance::window_tasks(ctx, &id).await.expect("tasks");
    ctx.ssm
        .delete_maintenance_window()
        .window_id(&id)
        .send()
        .await
        .expect("DeleteMaintenanceWindow");
    (
        (
            w.name,
            w.enabled,
            w.schedule,
            w.timezone,
            w.duration_h,
            w.cutoff_h,
            w.description,
        ),
        targets
            .into_iter()
            .map(|t| (t.name, t.resource_type, t.targets, t.owner_information))
            .collect(),
        tasks
            .into_iter()
            .map(|t| {
                let keys = t
                    .targets
                    .iter()
                    .map(|(k, v)| format!("{k}×{}", v.len()))
                    .collect();
                (
                    t.task_type,
                    t.task_arn,
                    t.priority,
                    t.max_concurrency,
                    t.max_errors,
                    keys,
                )
            })
            .collect(),
    )
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn maintenance_window_lists_read_the_same_on_moto_and_on_the_lab() {
    let (moto, _) = common::context_with(moto_options()).await;
    let lab = common::lab(24, ssmdeck_lab::Faults::default()).await;
    let (on_lab, _) = common::context(&lab).await;
    let mut from_moto = window_round_trip(&moto).await;
    let from_lab = window_round_trip(&on_lab).await;
    // moto 5.2.5 leaves out two members the service model has and the lab
    // sends: the target's OwnerInformation and the task's Type.
    assert_eq!(
        (from_lab.1[0].3.as_str(), from_lab.2[0].0.as_str()),
        ("team-platform", "RUN_COMMAND")
    );
    assert_eq!(
        (from_moto.1[0].3.as_str(), from_moto.2[0].0.as_str()),
        ("", "")
    );
    from_moto.1[0].3 = from_lab.1[0].3.clone();
    from_moto.2[0].0 = from_lab.2[0].0.clone();
    assert_eq!(from_moto, from_lab);
    assert_eq!(
        from_lab.1[0].2,
        [("tag:Env".to_owned(), vec!["prod".to_owned()])]
    );
    assert_eq!(from_lab.2[0].5, ["WindowTargetIds×1"]);
}

/// A Command document in two versions, the second the default.
const DOC_V1: &str = r#"{"schemaVersion":"2.2","description":"v1","mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["uptime"]}}]}"#;
const DOC_V2: &str = r#"{"schemaVersion":"2.2","description":"v2","parameters":{"Depth":{"type":"String","default":"basic"}},"mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["uptime","df -h"]}}]}"#;

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn documents_list_describe_versions_and_content_read_motos_documents() {
    use ssmdeck::aws::documents;
    let (moto, _) = common::context_with(moto_options()).await;
    let name = format!("ssmdeck-docs-{}", std::process::id());
    moto.ssm
        .create_document()
        .name(&name)
        .content(DOC_V1)
        .document_type(aws_sdk_ssm::types::DocumentType::Command)
        .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
        .send()
        .await
        .expect("moto creates the document");
    moto.ssm
        .update_document()
        .name(&name)
        .content(DOC_V2)
        .document_version("$LATEST")
        .send()
        .await
        .expect("moto adds version 2");
    moto.ssm
        .update_document_default_version()
        .name(&name)
        .document_version("2")
        .send()
        .await
        .expect("version 2 becomes the default");
    let mine = documents::list(&moto, None, Some("Self")).await.unwrap();
    let d = mine
        .iter()
        .find(|d| d.name == name)
        .expect("listed as the account's own");
    assert_eq!((d.kind.as_str(), d.version.as_str()), ("Command", "2"));
    let desc = documents::describe(&moto, &name).await.unwrap();
    assert_eq!(
        (desc.default_version.as_str(), desc.latest_version.as_str()),
        ("2", "2")
    );
    assert_eq!(desc.params[0].0, "Depth");
    // moto 5.2.5 has no ListDocumentVersions (HTTP 500): the pane falls
    // back to the versions DescribeDocument counts.
    let e = documents::versions(&moto, &name).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e:?}");
    let versions = documents::versions_from_description(&moto, &name)
        .await
        .unwrap();
    let v: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.version.as_str(), v.is_default))
        .collect();
    assert_eq!(
        v,
        [("2", true), ("1", false)],
        "newest first, the default marked"
    );
    let one = documents::content(&moto, &name, Some("1"), false, false)
        .await
        .unwrap();
    let two = documents::content(&moto, &name, None, false, false)
        .await
        .unwrap();
    assert!(
        one.contains("\"v1\"") && two.contains("df -h"),
        "{one}\n{two}"
    );
    let yaml = documents::content(&moto, &name, None, true, false)
        .await
        .unwrap();
    assert!(
        yaml.contains("schemaVersion") && !yaml.trim_start().starts_with('{'),
        "{yaml}"
    );
    moto.ssm.delete_document().name(&name).send().await.unwrap();
}

/// Every patch baseline identity of `ctx` (DescribePatchBaselines, every
/// page, `max` a page when given): (id, name, operating system, default).
async fn baselines_by_page(
    ctx: &ssmdeck::aws::AwsContext,
    max: Option<i32>,
) -> Vec<(String, String, String, bool)> {
    let mut out = Vec::new();
    let mut token = None;
    let mut calls = 0;
    loop {
        calls += 1;
        let page = ctx
            .ssm
            .describe_patch_baselines()
            .set_max_results(max)
            .set_next_token(token)
            .send()
            .await
            .expect("DescribePatchBaselines");
        if let Some(m) = max {
            assert!(
                page.baseline_identities().len() <= m as usize,
                "MaxResults holds"
            );
        }
        for b in page.baseline_identities() {
            out.push((
                b.baseline_id().unwrap_or_default().to_owned(),
                b.baseline_name().unwrap_or_default().to_owned(),
                b.operating_system()
                    .map(|o| o.as_str().to_owned())
                    .unwrap_or_default(),
                b.default_baseline(),
            ));
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() || calls > 200 {
            break;
        }
    }
    out
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn patch_baselines_page_and_read_alike_on_moto_and_on_the_lab() {
    use aws_sdk_ssm::types::{
        OperatingSystem, PatchFilter, PatchFilterGroup, PatchFilterKey, PatchRule, PatchRuleGroup,
    };
    let (moto, _) = common::context_with(moto_options()).await;
    let rule = PatchRuleGroup::builder()
        .patch_rules(
            PatchRule::builder()
                .patch_filter_group(
                    PatchFilterGroup::builder()
                        .patch_filters(
                            PatchFilter::builder()
                                .key(PatchFilterKey::Classification)
                                .values("Security")
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .approve_after_days(7)
                .build(),
        )
        .build()
        .unwrap();
    let suffix = std::process::id();
    for (name, os) in [
        (
            format!("deck-al2023-{suffix}"),
            OperatingSystem::AmazonLinux2023,
        ),
        (format!("deck-win-{suffix}"), OperatingSystem::Windows),
    ] {
        moto.ssm
            .create_patch_baseline()
            .name(name)
            .operating_system(os)
            .approval_rules(rule.clone())
            .send()
            .await
            .expect("moto creates a patch baseline");
    }
    let lab = common::lab(8, ssmdeck_lab::Faults::default()).await;
    let (on_lab, _) = common::context(&lab).await;
    // moto 5.2.5 answers every baseline in one page whatever MaxResults
    // asks; the lab pages as AWS does, so it is read one a page.
    let from_moto = baselines_by_page(&moto, None).await;
    let from_lab = baselines_by_page(&on_lab, Some(1)).await;
    let ours: Vec<_> = from_moto
        .iter()
        .filter(|b| b.1.ends_with(&format!("-{suffix}")))
        .collect();
    assert_eq!(ours.len(), 2, "{from_moto:?}");
    assert!(
        from_lab.len() >= 5,
        "the AWS-owned baselines, one a page: {from_lab:?}"
    );
    let pb = |id: &str| {
        let tail = id.rsplit('/').next().unwrap_or_default();
        tail.len() == 20
            && tail.starts_with("pb-")
            && tail[3..].chars().all(|c| c.is_ascii_hexdigit())
    };
    for b in ours.iter().copied().chain(&from_lab) {
        assert!(
            pb(&b.0),
            "{b:?}: pb- and 17 hex digits (an ARN for AWS-owned ones)"
        );
        assert!(!b.1.is_empty() && !b.2.is_empty(), "{b:?}");
    }
    assert!(
        ours.iter().all(|b| !b.3),
        "a created baseline is no default"
    );
    // The lab's AWS-owned baselines: one default per operating system.
    let defaults: Vec<&str> = from_lab
        .iter()
        .filter(|b| b.3)
        .map(|b| b.2.as_str())
        .collect();
    let mut unique = defaults.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), defaults.len(), "{defaults:?}");
    assert!(defaults.contains(&"AMAZON_LINUX_2023") && defaults.contains(&"WINDOWS"));
}
