//! Load scenario: Parameter Store with 10,000 parameters (`lab serve --fleet
//! large`, its own process), with no added latency and with 20 ms per call.
//!
//! Reports, per latency:
//! - first paint: time until the first rows of the tree exist (root level
//!   listing and index started together), and until every top-level level is
//!   known;
//! - full index: wall time and calls of the console's partitioned index;
//! - the AWS CLI (`aws ssm describe-parameters`, from the test venv) over the
//!   same lab in the same run, wall time, for comparison.
//!
//! Run: `cargo bench --bench params_load` (after scripts/test has made .venv).

#[path = "common/lab.rs"]
mod lab;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssmdeck::aws::AwsContext;
use ssmdeck::aws::params;

/// Pages of names with the time each arrived.
type Arrivals = Vec<(Duration, Vec<String>)>;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("params_load: run with `cargo bench --bench params_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    for latency in [0u64, 20] {
        let lab = lab::Lab::start(latency);
        let opts = lab.options();
        let (first_rows, root_done, index_time, calls, count, tops) = rt.block_on(async {
            let ctx = AwsContext::connect(&opts, None).await.unwrap();
            let start = Instant::now();
            let names: Arc<Mutex<Vec<String>>> = Arc::default();
            let first: Arc<Mutex<Option<Duration>>> = Arc::default();
            let arrivals: Arc<Mutex<Arrivals>> = Arc::default();
            let level = params::list_level(&ctx, "/");
            let (n2, f2, a2) = (names.clone(), first.clone(), arrivals.clone());
            let index = params::index_all(&ctx, move |metas| {
                let t = start.elapsed();
                f2.lock().unwrap().get_or_insert(t);
                let batch: Vec<String> = metas.into_iter().map(|m| m.name).collect();
                a2.lock().unwrap().push((t, batch.clone()));
                n2.lock().unwrap().extend(batch);
            });
            let (level, index) = tokio::join!(level, index);
            let index_time = start.elapsed();
            let (_, level_calls) = level.unwrap();
            let calls = index.unwrap() + level_calls;
            let names = names.lock().unwrap().clone();
            let top = |n: &str| {
                n.trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            };
            let mut tops: Vec<String> = names.iter().map(|n| top(n)).collect();
            tops.sort();
            tops.dedup();
            // When was every top-level level first known?
            let mut known = std::collections::BTreeSet::new();
            let mut root_done = Duration::ZERO;
            for (t, batch) in arrivals.lock().unwrap().iter() {
                known.extend(batch.iter().map(|n| top(n)));
                if known.len() == tops.len() {
                    root_done = *t;
                    break;
                }
            }
            let first_rows = first.lock().unwrap().unwrap_or_default();
            (
                first_rows,
                root_done,
                index_time,
                calls,
                names.len(),
                tops.len(),
            )
        });
        assert_eq!(count, 10_000, "the index saw every parameter once");
        println!(
            "{latency:>3} ms per call: first rows after {:.0} ms; all {tops} top-level levels after {:.0} ms; full index of {count} in {:.0} ms with {calls} calls",
            first_rows.as_secs_f64() * 1e3,
            root_done.as_secs_f64() * 1e3,
            index_time.as_secs_f64() * 1e3,
        );
        if cli.exists() {
            let t = Instant::now();
            let out = Command::new(&cli)
                .args(["ssm", "describe-parameters", "--output", "json"])
                .envs(lab.env.iter().cloned())
                .env("AWS_DEFAULT_REGION", lab.var("AWS_REGION"))
                .output()
                .expect("run the AWS CLI");
            let cli_time = t.elapsed();
            if !out.status.success() {
                println!(
                    "AWS CLI failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .chars()
                        .take(400)
                        .collect::<String>()
                );
            }
            let listed = String::from_utf8_lossy(&out.stdout)
                .matches("\"Name\":")
                .count();
            println!(
                "{latency:>3} ms per call: aws ssm describe-parameters listed {listed} in {:.0} ms ({:.1}x the console's index time)",
                cli_time.as_secs_f64() * 1e3,
                cli_time.as_secs_f64() / index_time.as_secs_f64()
            );
        } else {
            println!("(no .venv/bin/aws: run scripts/test once to compare with the AWS CLI)");
        }
    }
}
