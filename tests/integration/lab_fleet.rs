//! Integration tests: the console's AWS layer against the lab over HTTP.

use crate::common;

use std::collections::{HashMap, HashSet};

use ssmdeck::aws::ErrorKind;
use ssmdeck::aws::fleet::FleetEvent;
use ssmdeck::model::ManagedNode;
use ssmdeck_lab::Faults;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Folds events into nodes by id, as the pane does.
fn fold(events: &[FleetEvent]) -> HashMap<String, ManagedNode> {
    let mut nodes: HashMap<String, ManagedNode> = HashMap::new();
    for e in events {
        match e {
            FleetEvent::Page(page) => {
                for n in page {
                    nodes.insert(n.id.clone(), n.clone());
                }
            }
            FleetEvent::Ec2(joins) => {
                for (id, d, tags) in joins {
                    nodes
                        .get_mut(id)
                        .expect("EC2 join names a listed node")
                        .apply_ec2(d.clone(), tags.clone());
                }
            }
            FleetEvent::Tags(id, tags) => nodes
                .get_mut(id)
                .expect("tags name a listed node")
                .apply_tags(tags.clone()),
            _ => {}
        }
    }
    nodes
}

fn done(events: &[FleetEvent]) -> &ssmdeck::aws::fleet::LoadStats {
    match events.last() {
        Some(FleetEvent::Done(s)) => s,
        other => panic!("load did not finish: last event {other:?}"),
    }
}

#[tokio::test]
async fn every_page_of_1234_nodes_arrives_with_the_ec2_join() {
    let lab = common::lab(1_234, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    let stats = done(&events).clone();
    assert_eq!(stats.nodes, 1_234);
    assert_eq!(stats.ssm_calls, 25, "1,234 nodes at 50 a page is 25 pages");
    let nodes = fold(&events);
    let expected = lab.nodes();
    assert_eq!(
        nodes.keys().collect::<HashSet<_>>(),
        expected.iter().map(|n| &n.id).collect::<HashSet<_>>()
    );
    let ec2_nodes = expected.iter().filter(|n| !n.is_hybrid()).count();
    let hybrid = expected.len() - ec2_nodes;
    assert!(hybrid > 0, "the spec includes hybrid nodes");
    assert_eq!(
        stats.tag_calls as usize, hybrid,
        "one ListTagsForResource per mi- node"
    );
    assert!(
        stats.ec2_calls <= 25,
        "EC2 join is batched per page, got {} calls",
        stats.ec2_calls
    );
    for want in &expected {
        let got = &nodes[&want.id];
        assert_eq!(got.name, want.name, "{}", want.id);
        assert_eq!(got.ping_status.as_str(), want.ping.as_str());
        assert_eq!(got.agent_version, want.agent_version);
        assert_eq!(got.platform_name, want.platform_name);
        assert_eq!(got.ip, want.ip);
        assert_eq!(got.tags, want.tags, "{}", want.id);
        if want.is_hybrid() {
            assert!(got.ec2.is_none());
            assert_eq!(got.resource_type, "ManagedInstance");
        } else {
            let ec2 = got.ec2.as_ref().expect("EC2 join for i- node");
            assert_eq!(ec2.instance_type, want.instance_type);
            assert_eq!(ec2.state, want.state);
            assert_eq!(ec2.availability_zone, want.availability_zone);
            assert_eq!(ec2.launch_time_s, Some(want.launch_epoch_s));
        }
    }
    let calls = lab.calls();
    assert_eq!(calls["ssm:DescribeInstanceInformation"], 25);
}

#[tokio::test]
async fn ec2_denied_degrades_to_ssm_columns() {
    let lab = common::lab(
        120,
        Faults {
            deny: vec!["ec2:*".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    assert_eq!(done(&events).nodes, 120);
    let denied: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            FleetEvent::Ec2Unavailable(err) => Some(err),
            _ => None,
        })
        .collect();
    assert_eq!(denied.len(), 1, "reported once, not per page");
    assert_eq!(denied[0].kind, ErrorKind::AccessDenied);
    assert_eq!(denied[0].code.as_deref(), Some("UnauthorizedOperation"));
    assert!(denied[0].to_string().contains("ec2:DescribeInstances"));
    let nodes = fold(&events);
    assert_eq!(nodes.len(), 120);
    assert!(nodes.values().all(|n| n.ec2.is_none()));
    // Hybrid nodes still get their tags from SSM.
    assert!(nodes.values().any(|n| n.is_hybrid() && !n.tags.is_empty()));
}

#[tokio::test]
async fn throttling_is_retried_and_reported_as_notices() {
    let lab = common::lab(
        400,
        Faults {
            throttle_share: 0.25,
            ..Faults::default()
        },
    )
    .await;
    let mut opts = common::options(&lab);
    opts.max_attempts = 12;
    let (ctx, notices) = common::context_with(opts).await;
    let events = common::load(&ctx).await;
    assert_eq!(done(&events).nodes, 400);
    assert_eq!(fold(&events).len(), 400);
    let notices = notices.lock().unwrap();
    assert!(!notices.is_empty(), "throttled attempts produce notices");
    assert!(
        notices.iter().any(|n| n.contains("throttled")),
        "{notices:?}"
    );
}

/// Issue 18 item 1: the clients retry in the SDK's standard mode (the
/// adaptive mode's rate limiter collapsed under throttling; see
/// `AwsContext::connect`), each context in its own retry partition.
#[tokio::test]
async fn clients_retry_in_standard_mode_in_a_partition_of_their_own() {
    use aws_smithy_types::retry::RetryMode;
    let lab = common::lab(4, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let conf = ctx.ssm.config();
    assert_eq!(
        conf.retry_config().map(|r| r.mode()),
        Some(RetryMode::Standard)
    );
    let mut opts = common::options(&lab);
    opts.region = Some("eu-west-1".into());
    let (other, _) = common::context_with(opts).await;
    let name = |c: &ssmdeck::aws::AwsContext| format!("{:?}", c.ssm.config().retry_partition());
    assert_ne!(name(&ctx), name(&other), "one rate limiter per context");
    assert!(name(&ctx).contains("us-east-1"), "{}", name(&ctx));
}

/// Issue 18 item 1: under heavy throttling the EC2 and tag joins give way
/// (fewer at once) and ask a throttled call again instead of dropping it:
/// every node keeps the EC2 details and tags an unthrottled load gives.
#[tokio::test]
async fn heavy_throttling_slows_the_joins_but_loses_no_name_or_tag() {
    let lab = common::lab(100, Faults::default()).await;
    let mut opts = common::options(&lab);
    // No SDK retry: every throttle reaches the joins.
    opts.max_attempts = 1;
    let (ctx, _) = common::context_with(opts).await;
    let calm = fold(&common::load(&ctx).await);
    lab.set_faults(Faults {
        throttle_share: 0.3,
        ..Faults::default()
    });
    let events = common::load(&ctx).await;
    let lost: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            FleetEvent::Ec2Unavailable(err) | FleetEvent::TagsFailed(err) => Some(err.to_string()),
            _ => None,
        })
        .collect();
    assert!(lost.is_empty(), "joins dropped under throttling: {lost:?}");
    let stormy = fold(&events);
    assert_eq!(stormy.len(), 100);
    for (id, n) in &calm {
        let s = &stormy[id];
        assert_eq!(s.ec2.is_some(), n.ec2.is_some(), "{id}: EC2 details");
        assert_eq!(s.tags, n.tags, "{id}: tags");
    }
    assert!(calm.values().any(|n| n.is_hybrid() && !n.tags.is_empty()));
}

#[tokio::test]
async fn partial_endpoint_names_the_unsupported_operation() {
    let lab = common::lab(
        10,
        Faults {
            unsupported: vec!["ssm:DescribeInstanceInformation".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    let Some(FleetEvent::Failed(e)) = events.last() else {
        panic!("expected a failure, got {events:?}");
    };
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert_eq!(e.status, Some(500));
    let text = e.to_string();
    assert!(text.contains("DescribeInstanceInformation"), "{text}");
    assert!(text.contains(&lab.endpoint_url()), "{text}");
    // The rest of the endpoint still works.
    let id = ctx.caller_identity().await.expect("STS works");
    assert_eq!(id.account, "123456789012");
}

#[tokio::test]
async fn unreachable_endpoint_is_one_clear_error() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let (ctx, _) = common::context_with(ssmdeck::aws::ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.clone()),
        static_credentials: Some(("AKIAX".into(), "secret".into())),
        max_attempts: 1,
        timeouts: Default::default(),
        role_arn: None,
        ..Default::default()
    })
    .await;
    let events = common::load(&ctx).await;
    let Some(FleetEvent::Failed(e)) = events.last() else {
        panic!("expected a failure, got {events:?}");
    };
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    let text = e.to_string();
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("connection refused by"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(!text.contains(" }"), "no Debug fragments: {text}");
}

#[tokio::test]
async fn a_hung_endpoint_times_out_with_a_readable_error() {
    // Accepts every connection and never answers, as a wedged proxy does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(sock);
        }
    });
    let (ctx, _) = common::context_with(ssmdeck::aws::ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.clone()),
        static_credentials: Some(("AKIAX".into(), "secret".into())),
        max_attempts: 3,
        timeouts: ssmdeck::aws::Timeouts {
            connect: std::time::Duration::from_secs(1),
            attempt: std::time::Duration::from_secs(1),
            operation: std::time::Duration::from_secs(2),
        },
        ..Default::default()
    })
    .await;
    let events = common::load(&ctx).await;
    holder.abort();
    let Some(FleetEvent::Failed(e)) = events.last() else {
        panic!("expected a failure, got {events:?}");
    };
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("DescribeInstanceInformation: timed out"),
        "{text}"
    );
    assert!(
        text.contains(&format!("no answer from {url} within 2 s")),
        "{text}"
    );
    assert!(text.contains("operation 2 s"), "names the timeouts: {text}");
    assert!(!text.contains(" }") && !text.contains('\n'), "{text}");
}

#[tokio::test]
async fn wrong_secret_and_unknown_key_are_refused_as_aws_does() {
    let lab = common::lab(5, Faults::default()).await;
    let mut opts = common::options(&lab);
    let (ak, _) = opts.static_credentials.clone().unwrap();
    opts.static_credentials = Some((ak, "not-the-secret".into()));
    let (ctx, _) = common::context_with(opts.clone()).await;
    let e = ctx.caller_identity().await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(e.kind, ErrorKind::Credentials);
    assert!(e.to_string().contains("aws configure"), "{e}");

    opts.static_credentials = Some(("AKIAUNKNOWN".into(), "x".into()));
    let (ctx, _) = common::context_with(opts).await;
    let events = common::load(&ctx).await;
    let Some(FleetEvent::Failed(e)) = events.last() else {
        panic!("expected a failure, got {events:?}");
    };
    assert_eq!(e.code.as_deref(), Some("UnrecognizedClientException"));
    assert_eq!(e.kind, ErrorKind::Credentials);
}

/// Sends one raw HTTP/1.1 request and returns (status, body).
async fn raw(lab: &ssmdeck_lab::LabHandle, headers: &str, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(lab.addr()).await.unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        lab.addr(),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test]
async fn unsigned_and_malformed_requests_get_aws_shaped_errors() {
    let lab = common::lab(5, Faults::default()).await;
    let (status, body) = raw(
        &lab,
        "X-Amz-Target: AmazonSSM.DescribeInstanceInformation\r\nContent-Type: application/x-amz-json-1.1\r\n",
        "{}",
    )
    .await;
    assert_eq!(status, 400);
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(v["__type"], "MissingAuthenticationToken");

    let (status, body) = raw(
        &lab,
        "Content-Type: application/x-www-form-urlencoded\r\n",
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );

    let (status, body) = raw(
        &lab,
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00\r\nX-Amz-Date: 20260101T000000Z\r\n",
        "Action=DescribeInstances&Version=2016-11-15",
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>UnrecognizedClientException</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_actions_are_aws_errors_not_html() {
    let lab = common::lab(5, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let e = ctx
        .ssm
        .describe_available_patches()
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeAvailablePatches", e))
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("UnknownOperationException"));
    assert_eq!(e.status, Some(400));
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

#[tokio::test]
async fn describe_instance_information_filters_and_limits() {
    use aws_sdk_ssm::types::{InstanceInformationStringFilter, PingStatus};
    let lab = common::lab(600, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let expected: Vec<_> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.ping.as_str() == "ConnectionLost" && n.tag("Env") == Some("prod"))
        .map(|n| n.id)
        .collect();
    assert!(!expected.is_empty());
    let mut got = Vec::new();
    let mut token = None;
    loop {
        let out = ctx
            .ssm
            .describe_instance_information()
            .filters(
                InstanceInformationStringFilter::builder()
                    .key("PingStatus")
                    .values(PingStatus::ConnectionLost.as_str())
                    .build()
                    .unwrap(),
            )
            .filters(
                InstanceInformationStringFilter::builder()
                    .key("tag:Env")
                    .values("prod")
                    .build()
                    .unwrap(),
            )
            .max_results(5)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        let page = out.instance_information_list.unwrap_or_default();
        assert!(page.len() <= 5);
        got.extend(page.into_iter().filter_map(|i| i.instance_id));
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(got, expected);

    let e = ctx
        .ssm
        .describe_instance_information()
        .max_results(4)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeInstanceInformation", e))
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ValidationException"));

    let e = ctx
        .ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("Colour")
                .values("x")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeInstanceInformation", e))
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidFilterKey"));
}

#[tokio::test]
async fn ec2_tag_filter_and_paging() {
    use aws_sdk_ec2::types::Filter;
    let lab = common::lab(300, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let expected: HashSet<String> = lab
        .nodes()
        .into_iter()
        .filter(|n| !n.is_hybrid() && n.tag("Role") == Some("db"))
        .map(|n| n.id)
        .collect();
    let mut got = HashSet::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        pages += 1;
        let out = ctx
            .ec2
            .describe_instances()
            .filters(Filter::builder().name("tag:Role").values("db").build())
            .max_results(5)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for r in out.reservations.unwrap_or_default() {
            for i in r.instances.unwrap_or_default() {
                got.insert(i.instance_id.unwrap());
            }
        }
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(got, expected);
    assert!(pages > 1);
}

#[tokio::test]
async fn switching_region_and_profile_checks_the_new_context_first() {
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let moved =
        ssmdeck::runtime::switch_context(&ctx.options, None, Some("eu-west-1".into()), tx.clone())
            .await
            .expect("the lab answers in any region");
    assert_eq!(moved.region, "eu-west-1");
    assert_eq!(moved.endpoint, ctx.endpoint);
    let e = ssmdeck::runtime::switch_context(
        &ctx.options,
        Some("ssmdeck-no-such-profile".into()),
        Some("us-east-1".into()),
        tx,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("profile 'ssmdeck-no-such-profile' is not in the shared AWS config files"),
        "{e}"
    );
    lab.shutdown().await;
}

/// Issue 18 item 1: a page that keeps failing after the SDK's retries is
/// asked for again from its NextToken (no restart from page one), and the
/// load ends with every node once.
#[tokio::test]
async fn a_load_throttled_mid_way_resumes_from_the_page_that_failed() {
    use ssmdeck::aws::fleet::load_fleet;
    use std::sync::{Arc, Mutex};
    let lab = common::lab(
        400,
        Faults {
            latency_ms: 40,
            ..Faults::default()
        },
    )
    .await;
    let mut opts = common::options(&lab);
    opts.max_attempts = 1;
    let (ctx, _) = common::context_with(opts).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let load = tokio::spawn(load_fleet(
        ctx,
        ssmdeck::aws::fleet::Listing::Information,
        move |e| sink.lock().unwrap().push(e),
    ));
    let count = |pred: &dyn Fn(&FleetEvent) -> bool| {
        events.lock().unwrap().iter().filter(|e| pred(e)).count()
    };
    common::wait_for("two pages", || {
        count(&|e| matches!(e, FleetEvent::Page(_))) >= 2
    })
    .await;
    lab.set_faults(Faults {
        throttle_share: 1.0,
        ..Faults::default()
    });
    common::wait_for("a stall", || {
        count(&|e| matches!(e, FleetEvent::Stalled(_))) >= 1
    })
    .await;
    lab.set_faults(Faults::default());
    load.await.unwrap();
    let events = events.lock().unwrap();
    let Some(FleetEvent::Done(stats)) = events.last() else {
        panic!("expected Done, got {:?}", events.last());
    };
    assert_eq!(stats.nodes, 400);
    let paged: usize = events
        .iter()
        .map(|e| match e {
            FleetEvent::Page(p) => p.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(paged, 400, "no page read twice");
    assert_eq!(fold(&events).len(), 400);
    let Some(FleetEvent::Stalled(stall)) =
        events.iter().find(|e| matches!(e, FleetEvent::Stalled(_)))
    else {
        unreachable!()
    };
    assert_eq!(stall.error.kind, ErrorKind::Throttled);
    assert_eq!((stall.retry_in_s, stall.round), (1, 1));
}

#[tokio::test]
async fn patch_state_is_joined_per_page_and_never_scanned_nodes_are_marked() {
    use ssmdeck::model::Patch;
    let lab = common::lab(260, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    let stats = done(&events).clone();
    assert_eq!(stats.ssm_calls, 6, "260 nodes at 50 a page");
    assert_eq!(
        stats.patch_calls, 6,
        "one DescribeInstancePatchStates per page of 50 ids, never one per node"
    );
    assert_eq!(lab.calls()["ssm:DescribeInstancePatchStates"], 6);
    let mut patch: HashMap<String, Patch> = HashMap::new();
    for e in &events {
        if let FleetEvent::Patch { asked, states } = e {
            for id in asked {
                patch.insert(id.clone(), Patch::NeverScanned);
            }
            for (id, s) in states {
                assert!(asked.contains(id), "{id} was not asked about");
                patch.insert(id.clone(), Patch::Scanned(s.clone()));
            }
        }
    }
    let expected = lab.nodes();
    assert_eq!(patch.len(), expected.len(), "every node was asked about");
    let mut never = 0;
    let mut noncompliant = 0;
    for n in &expected {
        let want = ssmdeck_lab::patch::state_of(n, lab.region(), 0.0);
        match (&patch[&n.id], want) {
            (Patch::NeverScanned, None) => never += 1,
            (Patch::Scanned(got), Some(w)) => {
                assert_eq!(
                    (got.missing, got.failed, got.pending_reboot),
                    (w.missing, w.failed, w.pending_reboot),
                    "{}",
                    n.id
                );
                assert_eq!((got.critical, got.security), (w.critical, w.security));
                assert_eq!(got.installed, w.installed);
                noncompliant += usize::from(got.noncompliant());
            }
            (got, want) => panic!("{}: loaded {got:?}, lab has {want:?}", n.id),
        }
    }
    assert!(
        never > 0 && noncompliant > 0,
        "{never} never, {noncompliant} bad"
    );
}

#[tokio::test]
async fn an_endpoint_without_patch_state_leaves_the_column_out_quietly() {
    let lab = common::lab(
        120,
        Faults {
            unsupported: vec!["ssm:DescribeInstancePatchStates".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, notices) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    assert_eq!(done(&events).nodes, 120);
    let unavailable = events
        .iter()
        .filter(|e| matches!(e, FleetEvent::PatchUnavailable(_)))
        .count();
    assert_eq!(unavailable, 1, "reported once, later pages skip it");
    assert!(!events.iter().any(|e| matches!(e, FleetEvent::Patch { .. })));
    let mut state = ssmdeck::app::fleet::FleetState::default();
    let now = std::time::Instant::now();
    let shown: Vec<_> = events
        .into_iter()
        .filter_map(|e| state.apply(0, e, now))
        .collect();
    assert!(
        shown.iter().all(|n| !n.contains("PatchStates")),
        "no notice for a missing patch state: {shown:?}"
    );
    assert!(
        !state
            .columns()
            .contains(&ssmdeck::app::fleet::Column::Patch)
    );
    assert!(state.patch_unavailable.is_some());
    assert!(notices.lock().unwrap().iter().all(|n| !n.contains("Patch")));
}

#[tokio::test]
async fn associations_come_with_the_node_listing_and_the_assoc_column_and_filter_use_them() {
    use ssmdeck::action::{Action, Command, InputKey};
    let lab = common::lab(120, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let events = common::load(&ctx).await;
    let stats = done(&events).clone();
    assert_eq!(stats.ssm_calls, 3, "no call beyond the listing's 3 pages");
    let mut got: HashMap<String, Option<ssmdeck::model::AssociationCounts>> = HashMap::new();
    for e in &events {
        if let FleetEvent::Page(p) = e {
            got.extend(p.iter().map(|n| (n.id.clone(), n.associations)));
        }
    }
    let expected = lab.nodes();
    let mut failed = 0;
    for n in &expected {
        let want = lab.association_counts(&n.id);
        let have = got[&n.id].map(|a| (a.success, a.failed, a.pending));
        assert_eq!(have, want, "{}", n.id);
        failed += usize::from(want.is_some_and(|(_, f, _)| f > 0));
    }
    assert!(
        failed > 0 && got.values().any(Option::is_none),
        "the fleet has both"
    );
    // The console: the ASSOC column shows, and assoc:failed keeps those.
    let mut live = crate::common::live::Live::start(ctx).await;
    live.until("the fleet", |a| {
        a.fleet.loading.is_none() && !a.fleet.nodes.is_empty()
    })
    .await;
    assert!(live.app.fleet.assoc_known);
    assert!(live.screen().contains("ASSOC"), "{}", live.screen());
    live.cmd(Command::Filter);
    for c in "assoc:failed".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    live.app.settle();
    assert_eq!(live.app.fleet.view.len(), failed);
    assert!(live.screen().contains("1 failed"), "{}", live.screen());
}

/// `n` without what only DescribeInstanceInformation says
/// (IsLatestVersion) and its last ping (the lab's nodes ping on between
/// two loads), for comparing the two listings.
fn comparable(mut n: ManagedNode) -> ManagedNode {
    n.agent_is_latest = None;
    n.last_ping_s = None;
    n
}

#[tokio::test]
async fn properties_list_1000_a_page_and_give_the_same_fleet_as_instance_information() {
    use ssmdeck::aws::fleet::Listing;
    let lab = common::lab(1234, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let info_events = common::load_by(&ctx, Listing::Information).await;
    let info = done(&info_events).clone();
    let prop_events = common::load_by(&ctx, Listing::Properties).await;
    let prop = done(&prop_events).clone();
    assert_eq!(prop.listing, Listing::Properties);
    assert_eq!((info.nodes, prop.nodes), (1234, 1234));
    assert_eq!(prop.ssm_calls, 2, "1,234 nodes at 1,000 a page");
    assert_eq!(info.ssm_calls, 25, "at 50 a page");
    assert_eq!(
        prop.patch_calls, info.patch_calls,
        "patch states stay 50 ids a call"
    );
    assert!(
        prop.ec2_calls * 3 < info.ec2_calls,
        "EC2 join {} ids a call: {} calls against {}",
        ssmdeck::aws::fleet::EC2_BATCH,
        prop.ec2_calls,
        info.ec2_calls
    );
    // Names, types, states and zones arrive with the page, before the join.
    let first_page = prop_events
        .iter()
        .find_map(|e| match e {
            FleetEvent::Page(nodes) => Some(nodes),
            _ => None,
        })
        .unwrap();
    assert_eq!(first_page.len(), 1000);
    let ec2_node = first_page.iter().find(|n| n.id.starts_with("i-")).unwrap();
    let details = ec2_node.ec2.as_ref().expect("EC2 details from the page");
    assert!(!ec2_node.name.is_empty() && !details.instance_type.is_empty());
    assert!(!details.state.is_empty() && !details.availability_zone.is_empty());
    let (info_nodes, prop_nodes) = (fold(&info_events), fold(&prop_events));
    assert_eq!(info_nodes.len(), prop_nodes.len());
    for (id, n) in info_nodes {
        let p = prop_nodes
            .get(&id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(comparable(p.clone()), comparable(n), "{id}");
    }
}

#[tokio::test]
async fn an_endpoint_without_properties_or_denying_them_is_listed_by_instance_information() {
    use ssmdeck::aws::fleet::Listing;
    for faults in [
        Faults {
            unsupported: vec!["ssm:DescribeInstanceProperties".into()],
            ..Faults::default()
        },
        Faults {
            deny: vec!["ssm:DescribeInstanceProperties".into()],
            ..Faults::default()
        },
    ] {
        let lab = common::lab(120, faults.clone()).await;
        let (ctx, _) = common::context(&lab).await;
        let events = common::load_by(&ctx, Listing::Properties).await;
        let stats = done(&events).clone();
        assert_eq!(stats.listing, Listing::Information, "{faults:?}");
        assert_eq!(stats.nodes, 120);
        assert_eq!(
            stats.ssm_calls,
            1 + 3,
            "the refused call, then 3 pages of 50"
        );
        assert!(fold(&events).values().all(|n| n.agent_is_latest.is_some()));
    }
    // A listing DescribeInstanceInformation cannot serve fails as before;
    // the properties listing does not need it.
    let lab = common::lab(
        10,
        Faults {
            unsupported: vec!["ssm:DescribeInstanceInformation".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let stats = done(&common::load_by(&ctx, Listing::Properties).await).clone();
    assert_eq!((stats.nodes, stats.listing), (10, Listing::Properties));
}
