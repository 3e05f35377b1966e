//! Run Command against the lab: its nodes really run the commands.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ssmdeck::aws::AwsContext;
use ssmdeck::aws::commands::{self, SendRequest, Targets};
use ssmdeck::model::{CommandInvocation, CommandStatus, CommandSummary, InvocationStatus};
use ssmdeck_lab::{Faults, PingStatus};

fn request(targets: Targets, script: &[&str]) -> SendRequest {
    SendRequest {
        document: "AWS-RunShellScript".into(),
        commands: script.iter().map(|s| s.to_string()).collect(),
        targets,
        timeout_s: 60,
        execution_timeout_s: 60,
        max_concurrency: "50".into(),
        max_errors: "100%".into(),
        comment: "ssmdeck test".into(),
        cloudwatch_group: None,
        output_s3: None,
        extra: Vec::new(),
    }
}

/// Polls until every command is final (ListCommands) with every one of its
/// TargetCount invocations final (at most 60 s). Returns the invocations by
/// node, and the ListCommandInvocations calls of the last poll cycle.
async fn wait_final(ctx: &AwsContext, ids: &[String]) -> (HashMap<String, CommandInvocation>, u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut all = HashMap::new();
        let mut calls = 0;
        let mut over = true;
        for id in ids {
            let (invs, c) = commands::invocations(ctx, id).await.unwrap();
            calls += c;
            let cmd = commands::command(ctx, id).await.unwrap().expect("listed");
            over &= cmd.status.is_final()
                && usize::try_from(cmd.target_count).unwrap() == invs.len()
                && invs.iter().all(|i| i.status.is_final());
            for i in invs {
                all.insert(i.instance_id.clone(), i);
            }
        }
        if over {
            return (all, calls);
        }
        assert!(Instant::now() < deadline, "commands did not finish in 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn fan_out_to_300_nodes_lands_every_node_in_the_right_final_status() {
    let lab = common::lab(300, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let nodes = lab.nodes();
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let script = [
        r#"if [ "$SSM_TAG_ROLE" = db ]; then echo "no db here" >&2; exit 3; fi"#,
        r#"echo "hello from $SSM_NODE_NAME in $(basename "$PWD")""#,
    ];
    let sent = commands::send(&ctx, &request(Targets::Nodes(ids.clone()), &script))
        .await
        .unwrap();
    assert_eq!(sent.len(), 6, "300 nodes go out as 6 commands of 50");
    let (all, calls) = wait_final(&ctx, &sent).await;
    assert_eq!(all.len(), 300);
    assert_eq!(calls, 6, "one ListCommandInvocations page per 50 nodes");
    for n in &nodes {
        let i = &all[&n.id];
        if n.platform_type == "Windows" {
            // AWS-RunShellScript declares Linux and MacOS only.
            assert_eq!(
                (i.status, i.details.as_str()),
                (InvocationStatus::Failed, "InvalidPlatform"),
                "{}",
                n.id
            );
            continue;
        }
        match (n.ping, n.tag("Role")) {
            (PingStatus::Inactive, _) => {
                assert_eq!(
                    (i.status, i.details.as_str()),
                    (InvocationStatus::Failed, "Undeliverable"),
                    "{}",
                    n.id
                )
            }
            (PingStatus::ConnectionLost, _) => assert_eq!(
                (i.status, i.details.as_str()),
                (InvocationStatus::TimedOut, "DeliveryTimedOut"),
                "{}",
                n.id
            ),
            (PingStatus::Online, Some("db")) => {
                assert_eq!(
                    (i.status, i.response_code),
                    (InvocationStatus::Failed, 3),
                    "{}",
                    n.id
                );
                let (out, err) = commands::output(&ctx, &i.command_id, &n.id).await.unwrap();
                assert_eq!((out.as_str(), err.as_str()), ("", "no db here\n"));
            }
            (PingStatus::Online, _) => {
                assert_eq!(
                    (i.status, i.response_code),
                    (InvocationStatus::Success, 0),
                    "{}",
                    n.id
                );
                assert_eq!(i.output, format!("hello from {} in {}\n", n.name, n.id));
            }
        }
    }

    // Re-run on the failed ones only: they now succeed.
    let failed: Vec<String> = all
        .values()
        .filter(|i| {
            i.status == InvocationStatus::Failed
                && !matches!(i.details.as_str(), "Undeliverable" | "InvalidPlatform")
        })
        .map(|i| i.instance_id.clone())
        .collect();
    assert!(!failed.is_empty());
    let again = commands::send(
        &ctx,
        &request(Targets::Nodes(failed.clone()), &["echo fixed"]),
    )
    .await
    .unwrap();
    let (rerun, _) = wait_final(&ctx, &again).await;
    assert_eq!(rerun.len(), failed.len());
    assert!(
        rerun
            .values()
            .all(|i| i.status == InvocationStatus::Success && i.output == "fixed\n")
    );

    // History lists them, newest first.
    let hist = commands::history(&ctx, 50).await.unwrap();
    assert_eq!(hist.len(), 7);
    assert_eq!(hist[0].command_id, again[0]);
    assert_eq!(hist[0].commands, vec!["echo fixed".to_string()]);
}

/// `n` Online Linux nodes (AWS-RunShellScript runs on them).
fn online(lab: &ssmdeck_lab::LabHandle, n: usize) -> Vec<String> {
    lab.nodes()
        .into_iter()
        .filter(|x| x.ping == PingStatus::Online && x.platform_type == "Linux")
        .take(n)
        .map(|x| x.id)
        .collect()
}

#[tokio::test]
async fn output_arrives_live_through_cloudwatch_before_the_command_ends() {
    let lab = common::lab(20, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = online(&lab, 1);
    let mut req = request(
        Targets::Nodes(node.clone()),
        &[
            "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done",
            "echo oops >&2",
        ],
    );
    req.cloudwatch_group = Some(String::new());
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let group = "/aws/ssm/AWS-RunShellScript";
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let mut cursor = commands::LiveCursor::default();
    let mut live_while_running = false;
    loop {
        let (lines, next) = commands::live_output(&ctx, group, &id, cursor.clone())
            .await
            .unwrap();
        cursor = next;
        let (invs, _) = commands::invocations(&ctx, &id).await.unwrap();
        let running = !invs[0].status.is_final();
        if running && !lines.is_empty() {
            live_while_running = true;
            // GetCommandInvocation has nothing before the node finishes, as in AWS.
            let (out, _) = commands::output(&ctx, &id, &node[0]).await.unwrap();
            assert_eq!(out, "");
        }
        seen.extend(lines);
        if !running {
            let (lines, _) = commands::live_output(&ctx, group, &id, cursor.clone())
                .await
                .unwrap();
            seen.extend(lines);
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(live_while_running, "lines arrived before the command ended");
    let stdout: Vec<&str> = seen
        .iter()
        .filter(|l| !l.stderr)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        stdout,
        vec!["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    );
    assert!(
        seen.iter()
            .any(|l| l.stderr && l.text == "oops" && l.instance_id == node[0])
    );
}

#[tokio::test]
async fn cancel_mid_run_and_execution_timeout() {
    let lab = common::lab(20, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let nodes = online(&lab, 3);
    let id = commands::send(&ctx, &request(Targets::Nodes(nodes.clone()), &["sleep 30"]))
        .await
        .unwrap()
        .remove(0);
    // Wait until they run, then cancel one node, then the rest.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (invs, _) = commands::invocations(&ctx, &id).await.unwrap();
        if invs
            .iter()
            .all(|i| i.status == InvocationStatus::InProgress)
        {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    commands::cancel(&ctx, &id, vec![nodes[0].clone()])
        .await
        .unwrap();
    // Wait until the cancelled node reports it, then look at the others.
    let deadline = Instant::now() + Duration::from_secs(10);
    let by: HashMap<_, _> = loop {
        let (invs, _) = commands::invocations(&ctx, &id).await.unwrap();
        let by: HashMap<_, _> = invs
            .iter()
            .map(|i| (i.instance_id.clone(), i.status))
            .collect();
        if by[&nodes[0]] == InvocationStatus::Cancelled {
            break by;
        }
        assert!(
            Instant::now() < deadline,
            "node 0 not Cancelled: {:?}",
            by[&nodes[0]]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(by[&nodes[1]], InvocationStatus::InProgress);
    let started = Instant::now();
    commands::cancel(&ctx, &id, Vec::new()).await.unwrap();
    let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
    assert!(
        all.values()
            .all(|i| i.status == InvocationStatus::Cancelled)
    );
    // CancelCommand, and only it, ends the command itself Cancelled.
    let cmd = commands::command(&ctx, &id).await.unwrap().expect("listed");
    assert_eq!(
        cmd.status,
        ssmdeck::model::CommandStatus::Cancelled,
        "{cmd:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "cancel killed sleep 30"
    );

    let mut req = request(Targets::Nodes(vec![nodes[0].clone()]), &["sleep 5"]);
    req.execution_timeout_s = 1;
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, &[id]).await;
    let i = &all[&nodes[0]];
    assert_eq!(
        (i.status, i.details.as_str()),
        (InvocationStatus::TimedOut, "ExecutionTimedOut")
    );
}

#[tokio::test]
async fn max_concurrency_one_runs_nodes_one_after_another() {
    let lab = common::lab(20, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let nodes = online(&lab, 3);
    let mut req = request(Targets::Nodes(nodes), &["sleep 0.3"]);
    req.max_concurrency = "1".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, &[id]).await;
    let mut spans: Vec<(f64, f64)> = all
        .values()
        .map(|i| (i.start_s.unwrap(), i.end_s.unwrap()))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in spans.windows(2) {
        assert!(w[1].0 >= w[0].1 - 0.01, "overlap: {spans:?}");
    }
}

#[tokio::test]
async fn tag_targets_and_limits() {
    let lab = common::lab(120, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let web: Vec<String> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.tag("Role") == Some("web") && n.tag("Env") == Some("prod"))
        .map(|n| n.id)
        .collect();
    let req = request(
        Targets::Tags(vec![
            ("Role".into(), vec!["web".into()]),
            ("Env".into(), vec!["prod".into()]),
        ]),
        &["true"],
    );
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, &[id]).await;
    let mut got: Vec<_> = all.keys().cloned().collect();
    got.sort();
    let mut want = web;
    want.sort();
    assert_eq!(got, want);

    // 51 ids in one call is refused by the service; the console chunks them.
    let ids: Vec<String> = lab.nodes().into_iter().take(51).map(|n| n.id).collect();
    let e = ctx
        .ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .set_instance_ids(Some(ids.clone()))
        .parameters("commands", vec!["true".into()])
        .send()
        .await
        .map_err(|e| ctx.error("ssm:SendCommand", e))
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    assert_eq!(
        commands::send(&ctx, &request(Targets::Nodes(ids), &["true"]))
            .await
            .unwrap()
            .len(),
        2
    );
    // Documents and their parameters.
    let docs = commands::documents(&ctx).await.unwrap();
    assert!(docs.contains(&"AWS-RunShellScript".to_string()));
    let info = commands::document_info(&ctx, "AWS-RunShellScript")
        .await
        .unwrap();
    assert_eq!(info.platform_types, vec!["Linux", "MacOS"]);
    assert!(
        info.params
            .iter()
            .any(|p| p.name == "commands" && p.kind == "StringList")
    );
}

#[tokio::test]
#[ignore = "needs moto: scripts/test starts it"]
async fn moto_send_command_round_trip() {
    use aws_sdk_ec2::types::InstanceType;
    let url = std::env::var("SSMDECK_MOTO_URL").expect("SSMDECK_MOTO_URL: run scripts/test");
    let (ctx, _) = common::context_with(ssmdeck::aws::ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url),
        static_credentials: Some(("testing".into(), "testing".into())),
        max_attempts: 2,
        timeouts: Default::default(),
        role_arn: None,
        ..Default::default()
    })
    .await;
    let image = ctx
        .ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images
        .unwrap_or_default()
        .into_iter()
        .find_map(|i| i.image_id)
        .unwrap();
    let node = ctx
        .ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()[0]
        .instance_id
        .clone()
        .unwrap();
    let ids = commands::send(
        &ctx,
        &request(Targets::Nodes(vec![node.clone()]), &["hostname"]),
    )
    .await
    .unwrap();
    assert_eq!(ids.len(), 1);
    // moto reports Success with empty output: the console must show exactly that.
    let (out, err) = commands::output(&ctx, &ids[0], &node).await.unwrap();
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
    let inv = ctx
        .ssm
        .get_command_invocation()
        .command_id(&ids[0])
        .instance_id(&node)
        .send()
        .await
        .unwrap();
    assert_eq!(
        inv.status.map(|s| s.as_str().to_owned()).as_deref(),
        Some("Success")
    );
    // moto 5.2.5 answers ListCommandInvocations with HTTP 500: the pane must
    // name it as unsupported rather than fail silently.
    let e = commands::invocations(&ctx, &ids[0]).await.unwrap_err();
    assert_eq!(e.kind, ssmdeck::aws::ErrorKind::Unsupported, "{e:?}");
    assert!(e.to_string().contains("ListCommandInvocations"));
}

#[tokio::test]
async fn node_profiles_add_delay_or_failure() {
    let lab = ssmdeck_lab::start(ssmdeck_lab::LabConfig {
        fleet: ssmdeck_lab::FleetSpec {
            nodes: 40,
            seed: 40,
            slow_share: 0.3,
            slow_ms: 400,
            failing_share: 0.3,
            ..ssmdeck_lab::FleetSpec::demo()
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let (ctx, _) = common::context(&lab).await;
    let nodes: Vec<_> = lab
        .nodes()
        .into_iter()
        .filter(|n| n.ping == PingStatus::Online && n.platform_type != "Windows")
        .collect();
    assert!(nodes.iter().any(|n| n.command_fails) && nodes.iter().any(|n| n.command_delay_ms > 0));
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let sent = Instant::now();
    let id = commands::send(&ctx, &request(Targets::Nodes(ids), &["echo ok"]))
        .await
        .unwrap()
        .remove(0);
    let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
    let first_start = all
        .values()
        .filter_map(|i| i.start_s)
        .fold(f64::MAX, f64::min);
    for n in &nodes {
        let i = &all[&n.id];
        if n.command_fails {
            assert_eq!(
                (i.status, i.response_code),
                (InvocationStatus::Failed, 1),
                "{}",
                n.id
            );
            let (_, err) = commands::output(&ctx, &id, &n.id).await.unwrap();
            assert!(err.contains("node profile"), "{err}");
        } else {
            assert_eq!(i.status, InvocationStatus::Success, "{}", n.id);
            if n.command_delay_ms > 0 {
                assert!(
                    i.start_s.unwrap() - first_start >= 0.3,
                    "{} started late",
                    n.id
                );
            }
        }
    }
    assert!(sent.elapsed() >= Duration::from_millis(400));
}

/// The command as ListCommands reports it.
async fn summary(ctx: &AwsContext, id: &str) -> CommandSummary {
    commands::command(ctx, id)
        .await
        .unwrap()
        .expect("ListCommands lists it")
}

fn with_ping(lab: &ssmdeck_lab::LabHandle, ping: PingStatus) -> String {
    lab.nodes()
        .into_iter()
        .find(|n| n.ping == ping && n.platform_type == "Linux")
        .map(|n| n.id)
        .expect("the fleet has such a Linux node")
}

#[tokio::test]
async fn delivery_timeouts_and_undeliverable_nodes_do_not_count_against_max_errors() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let lost = with_ping(&lab, PingStatus::ConnectionLost);
    let gone = with_ping(&lab, PingStatus::Inactive);
    let ok = online(&lab, 3);
    // The lost node first, one at a time, MaxErrors 0: before the fix its
    // delivery timeout cancelled every node after it and the command.
    let mut ids = vec![lost.clone(), gone.clone()];
    ids.extend(ok.iter().cloned());
    let mut req = request(Targets::Nodes(ids), &["echo ok"]);
    req.max_concurrency = "1".into();
    req.max_errors = "0".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
    assert_eq!(all[&lost].details, "DeliveryTimedOut");
    assert_eq!(all[&gone].details, "Undeliverable");
    for n in &ok {
        assert_eq!(all[n].status, InvocationStatus::Success, "{n}");
    }
    let c = summary(&ctx, &id).await;
    assert_eq!(
        (c.status, c.details.as_str()),
        (CommandStatus::Incomplete, "Incomplete")
    );
    assert_eq!(
        (c.target_count, c.completed, c.errors, c.delivery_timed_out),
        (5, 5, 0, 1)
    );
    // The wire spelling: Status is from the service model's enum (which has
    // no Incomplete), StatusDetails carries it.
    let raw = ctx
        .ssm
        .list_commands()
        .command_id(&id)
        .send()
        .await
        .unwrap();
    let cmd = &raw.commands()[0];
    assert_eq!(cmd.status().map(|s| s.as_str()), Some("Failed"));
    assert_eq!(cmd.status_details(), Some("Incomplete"));

    // Undeliverable alone does not make a command Incomplete: Success.
    let mut req = request(Targets::Nodes(vec![gone.clone(), ok[0].clone()]), &["true"]);
    req.max_errors = "0".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    wait_final(&ctx, std::slice::from_ref(&id)).await;
    let c = summary(&ctx, &id).await;
    assert_eq!((c.status, c.errors), (CommandStatus::Success, 0));
    // Every invocation undeliverable: Failed.
    let id = commands::send(&ctx, &request(Targets::Nodes(vec![gone]), &["true"]))
        .await
        .unwrap()
        .remove(0);
    wait_final(&ctx, std::slice::from_ref(&id)).await;
    assert_eq!(summary(&ctx, &id).await.status, CommandStatus::Failed);
}

#[tokio::test]
async fn exceeding_max_errors_terminates_the_nodes_not_started_and_fails_the_command() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let nodes = online(&lab, 5);
    for (max_errors, failures) in [("0", 1), ("1", 2)] {
        let mut req = request(Targets::Nodes(nodes.clone()), &["exit 4"]);
        req.max_concurrency = "1".into();
        req.max_errors = max_errors.into();
        let id = commands::send(&ctx, &req).await.unwrap().remove(0);
        let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
        let failed = all
            .values()
            .filter(|i| (i.status, i.details.as_str()) == (InvocationStatus::Failed, "Failed"))
            .count();
        let terminated = all
            .values()
            .filter(|i| {
                (i.status, i.details.as_str()) == (InvocationStatus::Cancelled, "Terminated")
            })
            .count();
        assert_eq!(
            (failed, terminated),
            (failures, 5 - failures),
            "MaxErrors {max_errors}"
        );
        let c = summary(&ctx, &id).await;
        assert_eq!(
            (
                c.status,
                c.details.as_str(),
                c.errors,
                c.completed,
                c.target_count
            ),
            (CommandStatus::Failed, "Failed", failures as i32, 5, 5),
            "MaxErrors {max_errors}"
        );
    }
    // Failures within MaxErrors: Incomplete, not Failed.
    let mut req = request(
        Targets::Nodes(nodes.clone()),
        &[&format!(
            r#"if [ "$SSM_NODE_ID" = "{}" ]; then exit 2; fi"#,
            nodes[0]
        )],
    );
    req.max_errors = "1".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    wait_final(&ctx, std::slice::from_ref(&id)).await;
    let c = summary(&ctx, &id).await;
    assert_eq!((c.status, c.errors), (CommandStatus::Incomplete, 1));
    // An execution timeout counts against MaxErrors too.
    let mut req = request(Targets::Nodes(vec![nodes[0].clone()]), &["sleep 5"]);
    req.execution_timeout_s = 1;
    req.max_errors = "0".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    wait_final(&ctx, std::slice::from_ref(&id)).await;
    let c = summary(&ctx, &id).await;
    assert_eq!((c.status, c.errors), (CommandStatus::TimedOut, 1));
}

#[tokio::test]
async fn tag_targets_resolve_after_the_send_in_batches() {
    let lab = common::lab(120, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let want = lab
        .nodes()
        .iter()
        .filter(|n| n.tag("Role") == Some("web"))
        .count();
    assert!(want >= 6, "enough nodes to resolve in batches: {want}");
    let sent = ctx
        .ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("tag:Role")
                .values("web")
                .build(),
        )
        .parameters("commands", vec!["true".into()])
        .max_errors("100%")
        .send()
        .await
        .unwrap();
    let cmd = sent.command.unwrap();
    // As AWS answers a Targets send: no ids yet, TargetCount 0, Pending.
    assert_eq!(cmd.instance_ids(), &[] as &[String]);
    assert_eq!(cmd.target_count, 0);
    assert_eq!(cmd.status().map(|s| s.as_str()), Some("Pending"));
    let id = cmd.command_id.unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The command first, then its invocations: fewer invocations than
        // targets now means they were still resolving when it was read.
        let c = summary(&ctx, &id).await;
        let (invs, _) = commands::invocations(&ctx, &id).await.unwrap();
        if invs.len() < want {
            assert_eq!(c.target_count, 0, "TargetCount stays 0 while resolving");
            assert!(!c.status.is_final());
        }
        if seen.last() != Some(&invs.len()) {
            seen.push(invs.len());
        }
        if c.status.is_final() {
            assert_eq!((invs.len(), c.target_count as usize), (want, want));
            break;
        }
        assert!(Instant::now() < deadline, "did not finish: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.first(), Some(&0), "no invocation at first: {seen:?}");
    assert!(
        seen.iter().filter(|n| **n > 0 && **n < want).count() >= 1,
        "invocations appear over several polls: {seen:?}"
    );
}

#[tokio::test]
async fn documents_fail_on_nodes_of_another_platform() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let windows = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online && n.platform_type == "Windows")
        .expect("the fleet has an Online Windows node")
        .id;
    let linux = online(&lab, 1).remove(0);
    // A shell script on Windows: InvalidPlatform, which does not count
    // against MaxErrors 0, so the Linux node's success makes it Success.
    let mut req = request(
        Targets::Nodes(vec![windows.clone(), linux.clone()]),
        &["echo hi"],
    );
    req.max_errors = "0".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
    assert_eq!(
        (
            all[&windows].status,
            all[&windows].details.as_str(),
            all[&windows].output.as_str()
        ),
        (InvocationStatus::Failed, "InvalidPlatform", "")
    );
    assert_eq!(all[&linux].status, InvocationStatus::Success);
    let c = summary(&ctx, &id).await;
    assert_eq!((c.status, c.errors), (CommandStatus::Success, 0));
    // PowerShell on Linux is allowed by the document but the lab's Linux
    // nodes have no PowerShell Core: the script fails there.
    let mut req = request(Targets::Nodes(vec![linux.clone()]), &["Write-Output hi"]);
    req.document = "AWS-RunPowerShellScript".into();
    let id = commands::send(&ctx, &req).await.unwrap().remove(0);
    let (all, _) = wait_final(&ctx, std::slice::from_ref(&id)).await;
    assert_eq!(
        (
            all[&linux].status,
            all[&linux].details.as_str(),
            all[&linux].response_code
        ),
        (InvocationStatus::Failed, "Failed", 1)
    );
    let (_, err) = commands::output(&ctx, &id, &linux).await.unwrap();
    assert!(err.contains("pwsh"), "{err}");
    let info = commands::document_info(&ctx, "AWS-RunPowerShellScript")
        .await
        .unwrap();
    assert_eq!(info.platform_types, vec!["Windows", "Linux"]);
}

#[tokio::test]
async fn a_send_answered_500_after_it_ran_is_sent_once_and_found_again() {
    // SendCommand runs, then its answer is lost (HTTP 500): the SDK's
    // retries would send it six times; the console sends it once and finds
    // it with ListCommands.
    let lab = common::lab(
        40,
        Faults {
            fail_after_share: 1.0,
            shares_only: vec!["ssm:SendCommand".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let nodes = online(&lab, 3);
    let ids = commands::send(
        &ctx,
        &request(Targets::Nodes(nodes.clone()), &["echo once"]),
    )
    .await
    .expect("found by ListCommands");
    assert_eq!(ids.len(), 1);
    assert_eq!(
        lab.calls()["ssm:SendCommand"],
        1,
        "sent once, never retried"
    );
    let history = commands::history(&ctx, 50).await.unwrap();
    assert_eq!(history.len(), 1, "one command on the endpoint: {history:?}");
    assert_eq!(history[0].command_id, ids[0]);
    let (invocations, _) = wait_final(&ctx, &ids).await;
    assert_eq!(invocations.len(), nodes.len());
    // Tag targets likewise.
    let tagged = commands::send(
        &ctx,
        &request(
            Targets::Tags(vec![("Env".into(), vec!["prod".into()])]),
            &["echo tags"],
        ),
    )
    .await
    .expect("found by ListCommands");
    assert_eq!(lab.calls()["ssm:SendCommand"], 2);
    assert_eq!(commands::history(&ctx, 50).await.unwrap().len(), 2);
    assert_ne!(tagged[0], ids[0]);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_send_that_may_not_have_run_is_not_sent_again_and_says_so() {
    use ssmdeck::aws::ErrorKind;
    // HTTP 500 before the lab handled it: nothing ran; the console cannot
    // know, so it checks, finds nothing, and says so without sending again.
    let lab = common::lab(
        40,
        Faults {
            server_error_share: 1.0,
            shares_only: vec!["ssm:SendCommand".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let e = commands::send(
        &ctx,
        &request(Targets::Nodes(online(&lab, 2)), &["echo no"]),
    )
    .await
    .expect_err("not found");
    assert_eq!(e.kind, ErrorKind::MaybeSent, "{e:?}");
    let text = e.to_string();
    assert!(text.contains("may or may not have been sent"), "{text}");
    assert!(text.contains("HTTP 500 InternalServerError"), "{text}");
    assert!(text.contains("most likely not sent"), "{text}");
    assert!(text.contains("the draft is kept"), "{text}");
    assert_eq!(lab.calls()["ssm:SendCommand"], 1, "never sent twice");
    assert!(lab.calls()["ssm:ListCommands"] >= 1, "checked");
    assert!(commands::history(&ctx, 50).await.unwrap().is_empty());

    // Throttling is refused before handling: asked again, with backoff.
    lab.set_faults(Faults {
        throttle_share: 1.0,
        shares_only: vec!["ssm:SendCommand".into()],
        ..Faults::default()
    });
    let e = commands::send(&ctx, &request(Targets::Nodes(online(&lab, 2)), &["echo t"]))
        .await
        .expect_err("throttled throughout");
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert_eq!(
        lab.calls()["ssm:SendCommand"],
        1 + u64::from(ssmdeck::aws::once::ATTEMPTS)
    );
    lab.set_faults(Faults::default());
    let ok = commands::send(
        &ctx,
        &request(Targets::Nodes(online(&lab, 2)), &["echo ok"]),
    )
    .await
    .unwrap();
    assert_eq!(ok.len(), 1);
    lab.shutdown().await;
}
