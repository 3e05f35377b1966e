//! Fault scenario (issue 18): the `large` fleet (10,000 managed nodes) from
//! `ssmdeck lab serve` as its own process, loaded under API faults by the
//! console's loader and by the AWS CLI (`aws ssm describe-instance-information`,
//! every page), side by side on the same lab:
//! throttling 0.2 and 0.5, HTTP 5xx 0.1, 50 ms per call, and a hung
//! endpoint (a listener on loopback that accepts and never answers).
//!
//! For each it reports the nodes each client ended with, whether the load
//! said it was complete, the wall time and the console's calls. The hung
//! endpoint is bounded: the console by its operation timeout (60 s), the
//! CLI by `timeout 400` (its own defaults: 60 s read timeout, 5 attempts).
//!
//! Run: `cargo bench --bench faults_load` (after scripts/test has made
//! .venv for the CLI). Bounded: one load per client and scenario.

#[path = "common/lab.rs"]
mod lab;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use ssmdeck::aws::AwsContext;
use ssmdeck::aws::fleet::{FleetEvent, load_fleet};

/// What one console load ended with.
struct Outcome {
    nodes: usize,
    complete: bool,
    ms: f64,
    calls: u64,
    end: String,
}

async fn console(ctx: AwsContext) -> Outcome {
    let t = Instant::now();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    load_fleet(ctx, Default::default(), move |e| {
        sink.lock().unwrap().push(e)
    })
    .await;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let events = Arc::try_unwrap(events).unwrap().into_inner().unwrap();
    let mut ids = std::collections::HashSet::new();
    for e in &events {
        if let FleetEvent::Page(p) = e {
            ids.extend(p.iter().map(|n| n.id.clone()));
        }
    }
    let (complete, calls, end) = match events.last() {
        Some(FleetEvent::Done(s)) => (
            true,
            u64::from(s.ssm_calls + s.ec2_calls + s.tag_calls + s.patch_calls),
            "done".to_owned(),
        ),
        Some(FleetEvent::Failed(e)) => (false, 0, format!("stopped: {e}")),
        other => (false, 0, format!("{other:?}")),
    };
    Outcome {
        nodes: ids.len(),
        complete,
        ms,
        calls,
        end,
    }
}

/// The AWS CLI's count of managed nodes, its wall time and exit status.
fn cli(cli: &std::path::Path, env: &[(String, String)], region: &str) -> (usize, f64, String) {
    let t = Instant::now();
    let out = std::process::Command::new("timeout")
        .arg("400")
        .arg(cli)
        .args(["ssm", "describe-instance-information", "--output", "json"])
        .envs(env.iter().cloned())
        .env("AWS_DEFAULT_REGION", region)
        .output()
        .expect("run the AWS CLI");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let n = String::from_utf8_lossy(&out.stdout)
        .matches("\"InstanceId\":")
        .count();
    let status = if out.status.success() {
        "ok".to_owned()
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        format!(
            "exit {}: {}",
            out.status.code().unwrap_or(-1),
            last.chars().take(120).collect::<String>()
        )
    };
    (n, ms, status)
}

fn report(name: &str, o: &Outcome, c: Option<(usize, f64, String)>) {
    println!(
        "{name:<16} | console {:>6} nodes {:<10} {:>8.0} ms {:>5} calls ({})",
        o.nodes,
        if o.complete { "complete" } else { "incomplete" },
        o.ms,
        o.calls,
        o.end.chars().take(140).collect::<String>()
    );
    match c {
        Some((n, ms, status)) => println!(
            "{:<16} | aws cli {n:>6} nodes            {ms:>8.0} ms ({status})",
            ""
        ),
        None => println!("{:<16} | (no .venv/bin/aws: run scripts/test once)", ""),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("faults_load: run with `cargo bench --bench faults_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cli_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    let have_cli = cli_path.exists();
    let scenarios: [(&str, &[&str]); 4] = [
        ("throttle 0.2", &["--throttle-share", "0.2"]),
        ("throttle 0.5", &["--throttle-share", "0.5"]),
        ("5xx 0.1", &["--server-error-share", "0.1"]),
        ("50 ms per call", &["--latency-ms", "50"]),
    ];
    for (name, knobs) in scenarios {
        let mut args = vec!["--fleet", "large"];
        args.extend_from_slice(knobs);
        let lab = lab::Lab::start_args(&args);
        let o = rt.block_on(async {
            let ctx = AwsContext::connect(&lab.options(), None).await.unwrap();
            console(ctx).await
        });
        let c = have_cli.then(|| cli(&cli_path, &lab.env, &lab.var("AWS_REGION")));
        report(name, &o, c);
    }
    // A hung endpoint: accepts and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut socks = Vec::new();
        // Bounded: the two clients open few connections.
        for s in listener.incoming().take(64) {
            match s {
                Ok(s) => socks.push(s),
                Err(_) => break,
            }
        }
    });
    let env = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), "AKIAHUNG".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "hung".to_owned()),
        ("AWS_ENDPOINT_URL".to_owned(), url.clone()),
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
    ];
    let opts = ssmdeck::aws::ConnectOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url),
        static_credentials: Some(("AKIAHUNG".into(), "hung".into())),
        ..Default::default()
    };
    let o = rt.block_on(async {
        let ctx = AwsContext::connect(&opts, None).await.unwrap();
        console(ctx).await
    });
    let c = have_cli.then(|| cli(&cli_path, &env, "us-east-1"));
    report("hung endpoint", &o, c);
    drop(held);
}
