//! Load scenario (issue 14): one `ssmdeck lab serve` process with 20
//! accounts of about 2,000 managed nodes each (every tenant but the first
//! is within 10 % of the spec), 20 ms per call, and its AWS profiles
//! (`--aws-config-dir`: profiles lab-0 … lab-19, read through the standard
//! credential chain as a user's profiles are).
//!
//! It reports:
//! - each context's SSM sequential minimum (DescribeInstanceInformation
//!   alone, 50 a page, one cursor), the slowest of them, and their sum;
//! - for each listing (DescribeInstanceProperties, the default, and
//!   DescribeInstanceInformation): the console's load of the slowest
//!   context alone (its SSM pages, EC2 joins, patch states and hybrid
//!   nodes' tags), then its fan-out over the 20 contexts
//!   (the Fleet pane's own job, through the console's TaskManager, folded
//!   into its state): wall time against the slowest context's SSM minimum
//!   (goal: within 15 %) and against that context alone, calls per context;
//! - peak RSS (VmHWM) of this process with every node loaded and one frame
//!   drawn (goal: < 400 MB at 40,000 nodes);
//! - the AWS CLI on the same lab: `aws ssm describe-instance-information`
//!   for every profile, one after the other (the shell loop an on-call
//!   engineer writes) and all at once, when the CLI is found (`.venv/bin/aws`
//!   as `scripts/test` installs it, or `aws` on PATH).
//!
//! Run: `cargo bench --bench contexts_load`. Bounded: one load per part,
//! after one unmeasured load that warms the lab (it makes each node's patch
//! state the first time that state is asked for).

#[path = "common/lab.rs"]
mod lab;

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::app::{App, ContextInfo, Effect};
use ssmdeck::aws::ConnectOptions;
use ssmdeck::aws::contexts::{ContextSet, pairs};
use ssmdeck::aws::fleet::Listing;
use ssmdeck::config::Settings;
use ssmdeck::panes::fleet::FleetJob;
use ssmdeck::runtime::TaskManager;
use ssmdeck::ui::{RenderContext, render};

const ACCOUNTS: usize = 20;
const NODES: usize = 2_000;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: skip the slow run there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("contexts_load: run with `cargo bench --bench contexts_load`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ssmdeck-contexts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fleet = dir.join("fleet.toml");
    std::fs::write(
        &fleet,
        format!("nodes = {NODES}\nseed = 7\nparameters = 0\nops_items = 0\n"),
    )
    .unwrap();
    let accounts = ACCOUNTS.to_string();
    let lab = lab::Lab::start_args(&[
        "--fleet",
        fleet.to_str().unwrap(),
        "--accounts",
        &accounts,
        "--regions",
        "us-east-1",
        "--latency-ms",
        "20",
        "--aws-config-dir",
        dir.to_str().unwrap(),
    ]);
    let (config, credentials) = (dir.join("config"), dir.join("credentials"));
    // SAFETY: set before the runtime starts; no other thread of this
    // process reads or writes the environment yet.
    unsafe {
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        std::env::remove_var("AWS_PROFILE");
    }
    let profiles: Vec<String> = (0..ACCOUNTS).map(|k| format!("lab-{k}")).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let base = ConnectOptions::default();
        let set = ContextSet::connect(&base, &pairs(&profiles, &[]), None)
            .await
            .expect("20 profiles connect");
        let mut minimums = Vec::new();
        let mut want = 0;
        for (_, ctx) in set.iter() {
            let (t, _, n) = lab::ssm_only(ctx).await;
            minimums.push(t);
            want += n;
        }
        let slowest = minimums.iter().max().copied().unwrap_or_default();
        let sum: Duration = minimums.iter().sum();
        println!(
            "SSM sequential minimum per context: slowest {:.0} ms, fastest {:.0} ms, all {} one after another {:.0} ms ({want} nodes)",
            ms(slowest),
            ms(minimums.iter().min().copied().unwrap_or_default()),
            ACCOUNTS,
            ms(sum)
        );
        // The console's own work for one context (SSM pages, EC2 joins,
        // tags of hybrid nodes), the slowest one alone: what the fan-out
        // adds is measured against it.
        let k = minimums.iter().position(|m| *m == slowest).unwrap_or(0);
        // One unmeasured load first: the lab works out each node's patch
        // state the first time it is asked (AWS has it at hand), which
        // would land on whichever measured load came first.
        console_load(set.clone(), Listing::Properties).await;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for listing in [Listing::Properties, Listing::Information] {
            let alone = ContextSet::single(set.get(ssmdeck::model::ContextId(k as u16)).clone());
            let (alone_wall, alone_calls, _) = console_load(alone, listing).await;
            println!(
                "{listing:?} listing | console, that slowest context alone: {:.0} ms, {alone_calls} calls",
                ms(alone_wall)
            );
            let (me, lab_cpu) = (lab::cpu_s_of("self"), lab.cpu_s());
            let (wall, calls, nodes) = console_load(set.clone(), listing).await;
            let (me, lab_cpu) = (lab::cpu_s_of("self") - me, lab.cpu_s() - lab_cpu);
            assert_eq!(nodes, want, "every node of every context, once");
            println!(
                "{listing:?} listing | console, {ACCOUNTS} contexts side by side: {:.0} ms ({:+.1} % over the slowest context's minimum), {calls} calls ({:.0} per context), {nodes} nodes",
                ms(wall),
                (ms(wall) / ms(slowest) - 1.0) * 100.0,
                f64::from(calls) / ACCOUNTS as f64
            );
            println!(
                "{listing:?} listing | CPU during the fan-out: console {me:.2} s, lab {lab_cpu:.2} s ({:.0} % of the machine's {cores} cores over the wall time)",
                (me + lab_cpu) / (cores as f64 * wall.as_secs_f64()) * 100.0
            );
            println!(
                "{listing:?} listing | fan-out: {ACCOUNTS} contexts side by side take {:+.1} % over that context alone",
                (ms(wall) / ms(alone_wall) - 1.0) * 100.0
            );
        }
        println!(
            "peak RSS of the console process with {want} nodes loaded and drawn (twice): {:.1} MB",
            lab::vm_hwm_mb()
        );
    });
    aws_cli(&lab, &profiles);
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The Fleet pane's load over `set` as the console runs it: wall time until
/// the last context finished, API calls, nodes; then one frame.
async fn console_load(set: ContextSet, listing: Listing) -> (Duration, u32, usize) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let now = Instant::now();
    let (mut app, _) = App::new(ContextInfo::default(), (200, 50), now);
    app.set_contexts(set.labels().to_vec());
    let mut tasks = TaskManager::for_set(set, tx);
    tasks.set_fleet_listing(listing);
    let t = Instant::now();
    tasks.run(Effect::Fleet(FleetJob::Load {
        generation: app.fleet.generation,
    }));
    while app.fleet.loading.is_some() {
        let a = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("the load goes on")
            .expect("the runner is alive");
        app.update(a, now);
    }
    let wall = t.elapsed();
    assert!(
        app.fleet.failures().is_empty(),
        "{:?}",
        app.fleet.failures()
    );
    app.settle();
    let settings = Settings::load(None);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };
    term.draw(|f| render(f, &app, &cx)).unwrap();
    let stats = app.fleet.last_stats.clone().unwrap_or_default();
    (
        wall,
        stats.ssm_calls + stats.ec2_calls + stats.patch_calls + stats.tag_calls,
        app.fleet.nodes.len(),
    )
}

/// The AWS CLI on the same lab and profiles, if installed: every profile
/// one after the other, then all at once.
fn aws_cli(lab: &lab::Lab, profiles: &[String]) {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/aws");
    let cli = if std::path::Path::new(venv).exists() {
        venv.to_owned()
    } else {
        "aws".to_owned()
    };
    let run = |p: &str| {
        std::process::Command::new(&cli)
            .args([
                "--profile",
                p,
                "ssm",
                "describe-instance-information",
                "--output",
                "json",
            ])
            .arg("--endpoint-url")
            .arg(lab.var("AWS_ENDPOINT_URL"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
    };
    let t = Instant::now();
    for p in profiles {
        match run(p).and_then(|mut c| c.wait()) {
            Ok(s) if s.success() => {}
            _ => {
                println!("AWS CLI: not found or failed ({cli}); install it with scripts/test");
                return;
            }
        }
    }
    let one_by_one = t.elapsed();
    let t = Instant::now();
    let children: Vec<_> = profiles.iter().filter_map(|p| run(p).ok()).collect();
    for mut c in children {
        let _ = c.wait();
    }
    println!(
        "AWS CLI describe-instance-information (SSM only, no EC2 join), {} profiles: one after another {:.0} ms, all at once {:.0} ms",
        profiles.len(),
        ms(one_by_one),
        ms(t.elapsed())
    );
}
