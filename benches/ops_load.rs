//! Load scenario: OpsCenter with 5,000 OpsItems (`lab serve --fleet large`,
//! its own process), with no added latency and with 20 ms per call.
//!
//! Reports, per latency:
//! - first page: time and DescribeOpsItems calls until the first page is in
//!   the console (what it paints first);
//! - full list: time and calls to read every page, with the counts by
//!   status and severity the header shows;
//! - the default filter (`status:Open,InProgress`, server-side): time, calls, items;
//! - the AWS CLI (`aws ssm describe-ops-items`, from the test venv) over the
//!   same lab, wall time, for comparison.
//!
//! Run: `cargo bench --bench ops_load` (after scripts/test has made .venv).

#[path = "common/lab.rs"]
mod lab;

use std::process::Command;
use std::time::Instant;

use ssmdeck::aws::AwsContext;
use ssmdeck::aws::opscenter;
use ssmdeck::ops_filter::OpsQuery;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("ops_load: run with `cargo bench --bench ops_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    for latency in [0u64, 20] {
        let lab = lab::Lab::start(latency);
        let opts = lab.options();
        rt.block_on(async {
            let ctx = AwsContext::connect(&opts, None).await.unwrap();
            let start = Instant::now();
            let mut first = None;
            let mut items = Vec::new();
            let calls = opscenter::list_all(&ctx, &[], |page, _| {
                first.get_or_insert((start.elapsed(), page.len()));
                items.extend(page);
            })
            .await
            .unwrap();
            let full = start.elapsed();
            let (first_t, first_n) = first.unwrap();
            let mut by_status = std::collections::BTreeMap::new();
            let mut by_sev = std::collections::BTreeMap::new();
            for i in &items {
                *by_status.entry(i.status.clone()).or_insert(0) += 1;
                *by_sev.entry(i.severity.clone().unwrap_or_default()).or_insert(0) += 1;
            }
            assert_eq!(items.len(), 5_000);
            println!(
                "{latency:>3} ms per call: first page ({first_n} items) after {:.1} ms and 1 call; all {} after {:.0} ms with {calls} calls; status {by_status:?}; severity {by_sev:?}",
                first_t.as_secs_f64() * 1e3,
                items.len(),
                full.as_secs_f64() * 1e3,
            );
            let q = OpsQuery::parse(ssmdeck::app::opscenter::DEFAULT_FILTER).unwrap();
            let start = Instant::now();
            let mut open = 0;
            let calls = opscenter::list_all(&ctx, &q.server, |page, _| open += page.len())
                .await
                .unwrap();
            println!(
                "{latency:>3} ms per call: default filter status:Open,InProgress: {open} items in {:.0} ms with {calls} calls",
                start.elapsed().as_secs_f64() * 1e3
            );
        });
        if cli.exists() {
            let t = Instant::now();
            let out = Command::new(&cli)
                .args(["ssm", "describe-ops-items", "--output", "json"])
                .envs(lab.env.iter().cloned())
                .env("AWS_DEFAULT_REGION", lab.var("AWS_REGION"))
                .output()
                .expect("run the AWS CLI");
            let listed = String::from_utf8_lossy(&out.stdout)
                .matches("\"OpsItemId\":")
                .count();
            println!(
                "{latency:>3} ms per call: aws ssm describe-ops-items listed {listed} in {:.0} ms{}",
                t.elapsed().as_secs_f64() * 1e3,
                if out.status.success() {
                    ""
                } else {
                    " (failed)"
                }
            );
        } else {
            println!("(no .venv/bin/aws: run scripts/test once to compare with the AWS CLI)");
        }
    }
}
