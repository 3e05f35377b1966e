//! The maintenance shift's first look (issue 17): every maintenance window,
//! the next 7 days' runs of the enabled ones, and each change calendar's
//! state, on `ssmdeck lab serve` (its own process) with 50 windows (the AWS
//! default quota) and 20 ms per call, read by the console's own jobs (the
//! Maintenance pane's `upcoming` and `calendars`, which also read each
//! calendar's CLOSED spans for 7 days) and by a shell loop over the AWS CLI
//! on the same lab (`describe-maintenance-windows`, one
//! `describe-maintenance-window-schedule` per enabled window, every page, as
//! the CLI pages; `list-documents` and one `get-calendar-state` per
//! calendar), side by side. Reports windows, runs, calendars, wall time and
//! the console's peak RSS. The console stops each schedule at 7 days; the
//! CLI reads all of it (the lab's schedule looks 30 days ahead).
//!
//! Run: `cargo bench --bench maintenance_load` (after scripts/test has made
//! .venv for the CLI). Bounded: one pass per client.

#[path = "common/lab.rs"]
mod lab;

use std::time::Instant;

use aws_sdk_ssm::types::{MaintenanceWindowResourceType, Target};
use ssmdeck::aws::AwsContext;
use ssmdeck::panes::maintenance::jobs::{HORIZON_S, calendars, upcoming};

/// Windows added to the lab's four seeded ones (AWS allows 50 an account).
const EXTRA_WINDOWS: usize = 46;

async fn add_windows(ctx: &AwsContext) {
    for i in 0..EXTRA_WINDOWS {
        let id = ctx
            .ssm
            .create_maintenance_window()
            .name(format!("shift-{i:03}"))
            .schedule(format!("cron(0 {} ? * * *)", i % 24))
            .duration(2)
            .cutoff(1)
            .allow_unassociated_targets(true)
            .send()
            .await
            .expect("CreateMaintenanceWindow")
            .window_id
            .unwrap();
        ctx.ssm
            .register_target_with_maintenance_window()
            .window_id(&id)
            .resource_type(MaintenanceWindowResourceType::Instance)
            .targets(Target::builder().key("tag:Env").values("dev").build())
            .send()
            .await
            .expect("RegisterTargetWithMaintenanceWindow");
    }
}

/// What the AWS CLI loop read: windows, runs, calendars, wall time.
fn cli_loop(cli: &std::path::Path, env: &[(String, String)]) -> (usize, usize, usize, f64) {
    let run = |args: &[&str]| -> String {
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
    let t = Instant::now();
    let windows = run(&[
        "ssm",
        "describe-maintenance-windows",
        "--query",
        "WindowIdentities[?Enabled].WindowId",
    ]);
    let ids: Vec<&str> = windows.split_whitespace().collect();
    let mut runs = 0;
    for id in &ids {
        let out = run(&[
            "ssm",
            "describe-maintenance-window-schedule",
            "--window-id",
            id,
            "--query",
            "ScheduledWindowExecutions[].ExecutionTime",
        ]);
        runs += out.split_whitespace().count();
    }
    let cals = run(&[
        "ssm",
        "list-documents",
        "--filters",
        "Key=DocumentType,Values=ChangeCalendar",
        "--query",
        "DocumentIdentifiers[].Name",
    ]);
    let names: Vec<&str> = cals.split_whitespace().collect();
    for n in &names {
        run(&[
            "ssm",
            "get-calendar-state",
            "--calendar-names",
            n,
            "--query",
            "State",
        ]);
    }
    (
        ids.len(),
        runs,
        names.len(),
        t.elapsed().as_secs_f64() * 1e3,
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("maintenance_load: run with `cargo bench --bench maintenance_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lab = lab::Lab::start_args(&["--fleet", "small", "--latency-ms", "20"]);
    let ctx = rt.block_on(async {
        let ctx = AwsContext::connect(&lab.options(), None).await.unwrap();
        add_windows(&ctx).await;
        ctx
    });
    let t = Instant::now();
    let now = ssmdeck::model::now_epoch_s();
    let (runs, cals) = rt.block_on(async {
        tokio::join!(
            upcoming(&ctx, now + HORIZON_S),
            calendars(&ctx, now, now + HORIZON_S)
        )
    });
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let (runs, cals) = (runs.expect("upcoming"), cals.expect("calendars"));
    let windows = runs
        .iter()
        .map(|r| r.window_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    println!(
        "console | {windows} windows with runs, {} runs in 7 days, {} calendars with their spans | {ms:.0} ms | peak RSS {:.1} MB",
        runs.len(),
        cals.len(),
        lab::vm_hwm_mb()
    );
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    if cli.exists() {
        let (w, r, c, ms) = cli_loop(&cli, &lab.env);
        println!(
            "aws cli | {w} enabled windows, {r} runs (every page, 30 days), {c} calendars (state now) | {ms:.0} ms"
        );
    } else {
        println!("aws cli | (no .venv/bin/aws: run scripts/test once)");
    }
}
