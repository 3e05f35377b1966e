//! Load scenario: the full `large` fleet (10,000 managed nodes) from
//! `ssmdeck lab serve` running as its own process, with no added latency and
//! with 20 ms per call.
//!
//! For each latency it reports:
//! - the SSM sequential minimum: paging DescribeInstanceInformation alone
//!   (50 a page is the API's maximum, and the cursor is sequential);
//! - the full load through the console's own loader (SSM pages + EC2 join +
//!   patch states + hybrid tags), wall time and calls, four ways: listed
//!   by DescribeInstanceInformation without the patch join (the load before
//!   the PATCH column: a lab that denies DescribeInstancePatchStates turns
//!   the join off after one call), the same with it, and the same two
//!   listed by DescribeInstanceProperties (1,000 a page);
//! - the AWS CLI on the same lab: `aws ssm describe-instance-information`
//!   and `describe-instance-properties` (every page, SSM only), when
//!   `.venv/bin/aws` (scripts/test installs it) or `aws` on PATH is found;
//! - peak RSS (VmHWM) of this process with 10,000 nodes loaded into the
//!   console's state and one frame rendered (the lab's memory is in the
//!   other process).
//!
//! Run: `cargo bench --bench fleet_load`. Bounded: six loads per latency.

#[path = "common/lab.rs"]
mod lab;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::action::Action;
use ssmdeck::app::{App, ContextInfo};
use ssmdeck::aws::AwsContext;
use ssmdeck::aws::fleet::{FleetEvent, Listing, LoadStats, load_fleet};
use ssmdeck::config::Settings;
use ssmdeck::ui::{RenderContext, render};

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: skip the slow run there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fleet_load: run with `cargo bench --bench fleet_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    for latency in [0u64, 20] {
        let ms = latency.to_string();
        let lab = lab::Lab::start(latency);
        let no_patch = lab::Lab::start_args(&[
            "--fleet",
            "large",
            "--latency-ms",
            &ms,
            "--deny",
            "ssm:DescribeInstancePatchStates",
        ]);
        let ctx = rt
            .block_on(AwsContext::connect(&lab.options(), None))
            .unwrap();
        let (min_t, min_calls, min_nodes) = rt.block_on(lab::ssm_only(&ctx));
        assert_eq!(min_nodes, 10_000);
        println!(
            "{latency:>2} ms per call | SSM-only minimum (DescribeInstanceInformation alone): {:.0} ms, {min_calls} calls",
            min_t.as_secs_f64() * 1e3
        );
        let ctx_off = rt
            .block_on(AwsContext::connect(&no_patch.options(), None))
            .unwrap();
        let base = rt.block_on(console_load(ctx_off.clone(), Listing::Information, false));
        let props_off = rt.block_on(console_load(ctx_off, Listing::Properties, false));
        let info = rt.block_on(console_load(ctx.clone(), Listing::Information, false));
        let props = rt.block_on(console_load(ctx, Listing::Properties, latency == 20));
        let base_ms = base.elapsed_ms as f64;
        for (what, s) in [
            ("information, no patch join", &base),
            ("information + PATCH/ASSOC", &info),
            ("properties, no patch join", &props_off),
            ("properties + PATCH/ASSOC", &props),
        ] {
            println!(
                "{latency:>2} ms per call | console {what:<27} | {:>5} ms ({:+.1} % of the first) | {:>4} calls: {} SSM, {} EC2, {} patch, {} tags",
                s.elapsed_ms,
                (s.elapsed_ms as f64 / base_ms - 1.0) * 100.0,
                s.ssm_calls + s.ec2_calls + s.patch_calls + s.tag_calls,
                s.ssm_calls,
                s.ec2_calls,
                s.patch_calls,
                s.tag_calls
            );
        }
        for op in [
            "describe-instance-information",
            "describe-instance-properties",
        ] {
            match aws_cli(&lab, op) {
                Some(t) => println!(
                    "{latency:>2} ms per call | AWS CLI {op} (every page, SSM only): {:.0} ms",
                    t.as_secs_f64() * 1e3
                ),
                None => println!("AWS CLI: not found or failed; scripts/test installs it"),
            }
        }
    }
    println!(
        "peak RSS of the console process with 10,000 nodes loaded and rendered: {:.1} MB",
        lab::vm_hwm_mb()
    );
}

/// One full load through the console's loader by `listing`; its stats.
/// With `render`, the events are folded into the console's state and one
/// 200×50 frame drawn (for the peak RSS).
async fn console_load(ctx: AwsContext, listing: Listing, render_it: bool) -> LoadStats {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    load_fleet(ctx, listing, move |e| sink.lock().unwrap().push(e)).await;
    let events = Arc::try_unwrap(events).unwrap().into_inner().unwrap();
    let stats = match events.last() {
        Some(FleetEvent::Done(s)) => s.clone(),
        other => panic!("load failed: {other:?}"),
    };
    assert_eq!(stats.nodes, 10_000);
    assert_eq!(stats.listing, listing);
    if render_it {
        let now = Instant::now();
        let (mut app, _) = App::new(ContextInfo::default(), (200, 50), now);
        let generation = app.fleet.generation;
        for event in events {
            let ctx = Default::default();
            app.update(
                Action::Fleet(ssmdeck::app::FleetMsg {
                    generation,
                    ctx,
                    event,
                }),
                now,
            );
        }
        app.settle();
        let settings = Settings::load(None);
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        let cx = RenderContext {
            theme: &settings.theme,
            keymap: &settings.keymap,
            now,
        };
        term.draw(|f| render(f, &app, &cx)).unwrap();
        assert_eq!(app.fleet.nodes.len(), 10_000);
        assert!(app.fleet.patch_known && app.fleet.assoc_known);
    }
    stats
}

/// `aws ssm OP` (every page, JSON) on `lab`: its wall time, or `None`
/// when the CLI is missing or fails.
fn aws_cli(lab: &lab::Lab, op: &str) -> Option<Duration> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/aws");
    let cli = if std::path::Path::new(venv).exists() {
        venv
    } else {
        "aws"
    };
    let t = Instant::now();
    let status = std::process::Command::new(cli)
        .args(["ssm", op, "--output", "json"])
        .envs(lab.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        // The CLI v1 reads its region from here only.
        .env("AWS_DEFAULT_REGION", lab.var("AWS_REGION"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| t.elapsed())
}
