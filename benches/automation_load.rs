//! Watching an Automation run (issue 16): a rate-controlled
//! AWS-RestartEC2Instance over 100 nodes (one parent, 100 children; tag
//! targets, MaxConcurrency 20) on the lab (in this process, 20 ms a call,
//! 500 ms a step), followed by the Automation pane's own poll (its state
//! machine and back-off, its jobs' AWS calls) and by a shell loop over the
//! AWS CLI doing the same reads. Reports, side by side: the calls and wall
//! time of one poll (the execution and its 100 children), and for the
//! console the time from each change of the parent in the lab (a child
//! finished, the status) to the pane's state showing it, mean and worst,
//! with the calls the whole watch cost; the console's peak RSS.
//!
//! Run: `cargo bench --bench automation_load` (after scripts/test has made
//! .venv for the CLI). Bounded: one run, at most 120 s.

#[path = "common/lab.rs"]
mod lab;

use std::time::{Duration, Instant};

use aws_sdk_ssm::types::Target;
use ssmdeck::aws::AwsContext;
use ssmdeck::aws::automation;
use ssmdeck::pane::{Cx, Pane, Shared};
use ssmdeck::panes::automation::{AutomationJob, AutomationMsg, AutomationState};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle};

const NODES: usize = 100;

async fn start_run(ctx: &AwsContext) -> String {
    ctx.ssm
        .start_automation_execution()
        .document_name("AWS-RestartEC2Instance")
        .target_parameter_name("InstanceId")
        .targets(Target::builder().key("tag-key").values("Name").build())
        .max_concurrency("20")
        .max_errors("10")
        .send()
        .await
        .expect("StartAutomationExecution")
        .automation_execution_id
        .unwrap()
}

/// What the lab says of the parent: finished children and its status.
fn lab_view(lab: &LabHandle, id: &str) -> (usize, String) {
    let all = lab.automation_executions();
    let done = all
        .iter()
        .filter(|e| e.parent.as_deref() == Some(id) && automation::is_final(&e.status))
        .count();
    let status = all
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.status.clone())
        .unwrap_or_default();
    (done, status)
}

/// What the pane shows of it: finished children and the status.
fn pane_view(p: &AutomationState) -> (usize, String) {
    let done = p.children.ready().map_or(0, |c| {
        c.iter().filter(|x| automation::is_final(&x.status)).count()
    });
    let status = p
        .detail
        .ready()
        .map(|d| d.execution.status.clone())
        .unwrap_or_default();
    (done, status)
}

/// Runs one of the pane's read jobs (after its delay) as the runner does.
async fn run_job(ctx: &AwsContext, job: AutomationJob) -> Option<AutomationMsg> {
    match job {
        AutomationJob::Detail {
            ctx: c,
            id,
            delay_ms,
        } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let result = automation::execution(ctx, &id).await.map(Box::new);
            Some(AutomationMsg::Detail { ctx: c, id, result })
        }
        AutomationJob::Children {
            ctx: c,
            parent,
            delay_ms,
        } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let result = automation::children(ctx, &parent).await;
            Some(AutomationMsg::Children {
                ctx: c,
                parent,
                result,
            })
        }
        _ => None,
    }
}

/// The pane watches `id` until it shows the run finished; returns the
/// latencies (ms) from each change the lab made to the pane showing it.
async fn watch(lab: &LabHandle, ctx: &AwsContext, id: &str) -> Vec<f64> {
    let mut p = AutomationState::default();
    let shared = Shared {
        page_rows: 30,
        ..Shared::default()
    };
    let mut cx = Cx::new(Instant::now(), shared);
    p.open_execution(Default::default(), id.to_owned(), &mut cx);
    let (mut jobs, _) = cx.finish();
    let mut changes: Vec<((usize, String), Instant)> = Vec::new();
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut running = Vec::new();
    loop {
        for j in jobs.drain(..) {
            let (ctx, tx) = (ctx.clone(), tx.clone());
            running.push(tokio::spawn(async move {
                if let Some(m) = run_job(&ctx, j).await {
                    let _ = tx.send(m);
                }
            }));
        }
        // The lab's side, sampled every 10 ms while waiting for the pane.
        let msg = loop {
            let now = lab_view(lab, id);
            if changes.last().is_none_or(|(v, _)| *v != now) {
                changes.push((now, Instant::now()));
            }
            match tokio::time::timeout(Duration::from_millis(10), rx.recv()).await {
                Ok(Some(m)) => break m,
                _ if Instant::now() > deadline => panic!("the run did not finish in 120 s"),
                _ => {}
            }
        };
        let mut cx = Cx::new(Instant::now(), shared);
        p.message(msg, &mut cx);
        jobs = cx.finish().0;
        let shown = pane_view(&p);
        // Every lab change the pane now shows (or has passed) is seen.
        changes.retain(|(v, at)| {
            let seen = shown.0 >= v.0 && (shown.1 == v.1 || automation::is_final(&shown.1));
            if seen {
                latencies.push(at.elapsed().as_secs_f64() * 1e3);
            }
            !seen
        });
        if automation::is_final(&shown.1) && shown.0 == NODES {
            // The polls still waiting would count in the next measure.
            for r in &running {
                r.abort();
            }
            return latencies;
        }
    }
}

/// One poll over the AWS CLI: the execution, then its children, every page.
fn cli_poll(cli: &std::path::Path, env: &[(String, String)], id: &str) -> (f64, usize) {
    let t = Instant::now();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(cli)
            .args(args)
            .args(["--output", "text"])
            .envs(env.iter().cloned())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("run the AWS CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&[
        "ssm",
        "get-automation-execution",
        "--automation-execution-id",
        id,
        "--query",
        "AutomationExecution.AutomationExecutionStatus",
    ]);
    let children = run(&[
        "ssm",
        "describe-automation-executions",
        "--filters",
        &format!("Key=ParentExecutionId,Values={id}"),
        "--query",
        "AutomationExecutionMetadataList[].AutomationExecutionStatus",
    ]);
    (
        t.elapsed().as_secs_f64() * 1e3,
        children.split_whitespace().count(),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("automation_load: run with `cargo bench --bench automation_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = rt.block_on(async {
        ssmdeck_lab::start(LabConfig {
            fleet: FleetSpec {
                nodes: NODES,
                seed: 100,
                hybrid_share: 0.0,
                connection_lost_share: 0.0,
                inactive_share: 0.0,
                ..FleetSpec::demo()
            },
            faults: Faults {
                latency_ms: 20,
                ..Faults::default()
            },
            ..LabConfig::default()
        })
        .await
        .expect("lab")
    });
    lab.set_automation_step_ms(500);
    let env: Vec<(String, String)> = lab
        .env_lines()
        .iter()
        .filter_map(|l| {
            let (k, v) = l.strip_prefix("export ")?.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect();
    let opts = ssmdeck::aws::ConnectOptions {
        region: Some(lab.region().to_owned()),
        endpoint_url: Some(lab.endpoint_url()),
        static_credentials: Some((
            lab.credentials().access_key_id.clone(),
            lab.credentials().secret_access_key.clone(),
        )),
        ..Default::default()
    };
    let ctx = rt.block_on(AwsContext::connect(&opts, None)).unwrap();
    let id = rt.block_on(start_run(&ctx));
    lab.reset_calls();
    let t = Instant::now();
    let latencies = rt.block_on(watch(&lab, &ctx, &id));
    let watch_s = t.elapsed().as_secs_f64();
    let calls = lab.calls();
    let get = calls
        .get("ssm:GetAutomationExecution")
        .copied()
        .unwrap_or(0);
    let describe = calls
        .get("ssm:DescribeAutomationExecutions")
        .copied()
        .unwrap_or(0);
    let mean = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    let worst = latencies.iter().copied().fold(0.0, f64::max);
    // One poll of the finished run, alone.
    lab.reset_calls();
    let t = Instant::now();
    rt.block_on(async {
        let (d, c) = tokio::join!(
            automation::execution(&ctx, &id),
            automation::children(&ctx, &id)
        );
        assert_eq!(c.expect("children").len(), NODES);
        d.expect("execution");
    });
    let poll_ms = t.elapsed().as_secs_f64() * 1e3;
    let poll_calls: u64 = lab.calls().values().sum();
    println!(
        "console | one poll of a {NODES}-child run: {poll_calls} calls, {poll_ms:.0} ms | watch {watch_s:.1} s: {get} GetAutomationExecution + {describe} DescribeAutomationExecutions | lab change to pane: mean {mean:.0} ms, worst {worst:.0} ms over {} changes | peak RSS {:.1} MB",
        latencies.len(),
        lab::vm_hwm_mb()
    );
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    if cli.exists() {
        lab.reset_calls();
        let (ms, n) = cli_poll(&cli, &env, &id);
        let calls: u64 = lab.calls().values().sum();
        println!(
            "aws cli | one poll (get-automation-execution + describe-automation-executions, every page): {calls} calls, {n} children, {ms:.0} ms"
        );
    } else {
        println!("aws cli | (no .venv/bin/aws: run scripts/test once)");
    }
}
