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
