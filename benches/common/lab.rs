//! `ssmdeck lab serve` as its own process for the load scenarios, killed by
//! its PID when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use ssmdeck::aws::ConnectOptions;

pub struct Lab {
    child: std::process::Child,
    /// The four variables `lab serve` printed (name, value).
    pub env: Vec<(String, String)>,
}

impl Lab {
    /// Starts `lab serve --fleet large` with `--latency-ms latency_ms`.
    #[allow(dead_code)]
    pub fn start(latency_ms: u64) -> Lab {
        let latency = latency_ms.to_string();
        Self::start_args(&["--fleet", "large", "--latency-ms", &latency])
    }

    /// Starts `lab serve` with `args`.
    pub fn start_args(args: &[&str]) -> Lab {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
            .args(["lab", "serve"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssmdeck lab serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let env = (0..4)
            .map(|_| {
                let line = lines.next().expect("4 export lines").unwrap();
                let (k, v) = line
                    .strip_prefix("export ")
                    .expect("export line")
                    .split_once('=')
                    .unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Lab { child, env }
    }

    /// CPU seconds (user + system) the lab process has used so far.
    #[allow(dead_code)]
    pub fn cpu_s(&self) -> f64 {
        cpu_s_of(&self.child.id().to_string())
    }

    /// One of the printed variables.
    pub fn var(&self, k: &str) -> String {
        self.env.iter().find(|(n, _)| n == k).unwrap().1.clone()
    }

    /// Options that point the console at this lab.
    #[allow(dead_code)]
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            region: Some(self.var("AWS_REGION")),
            endpoint_url: Some(self.var("AWS_ENDPOINT_URL")),
            static_credentials: Some((
                self.var("AWS_ACCESS_KEY_ID"),
                self.var("AWS_SECRET_ACCESS_KEY"),
            )),
            ..Default::default()
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) of process `pid` (`self` for this one),
/// from fields 14 and 15 of `/proc/PID/stat`, in clock ticks of the
/// kernel's USER_HZ (100 on Linux).
#[allow(dead_code)]
pub fn cpu_s_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// Peak resident set size of this process (VmHWM), in MB.
#[allow(dead_code)]
pub fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// Pages DescribeInstanceInformation alone (50 a page, the API's maximum;
/// the cursor is sequential): the minimum any fleet load of `ctx` takes.
/// Returns the wall time, the calls and the nodes.
#[allow(dead_code)]
pub async fn ssm_only(ctx: &ssmdeck::aws::AwsContext) -> (std::time::Duration, u32, usize) {
    let t = std::time::Instant::now();
    let mut token = None;
    let mut calls = 0;
    let mut nodes = 0;
    loop {
        calls += 1;
        let out = ctx
            .ssm
            .describe_instance_information()
            .max_results(50)
            .set_next_token(token)
            .send()
            .await
            .expect("SSM page");
        nodes += out.instance_information_list.map_or(0, |l| l.len());
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    (t.elapsed(), calls, nodes)
}
