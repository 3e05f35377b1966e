//! Load scenarios for Run Command, against `ssmdeck lab serve --fleet large`
//! in its own process, driven through the console's own `update`, task
//! manager and renderer (a 200×50 TestBackend):
//!
//! 1. `echo` to 1,000 Online nodes: wall time until every final status is in
//!    the state (and drawn), poll cycles, and status calls per cycle (goal:
//!    ceil(1000/50) = 20).
//! 2. 200 nodes each printing 20 lines a second for 5 s, CloudWatch output on:
//!    frame times while the output streams (goal: under 16 ms), and whether
//!    every line arrived (20,000 expected).
//! 3. 1,000 nodes each printing 50 KB (50 MB in all): peak RSS of this
//!    process, and the per-node bound (64 KB) with its truncation marker.
//!
//! Run: `cargo bench --bench commands_load`. Bounded: three runs, each with
//! a deadline.

#[path = "common/lab.rs"]
mod lab;

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::action::{Action, Command};
use ssmdeck::app::{App, CommandsJob, ContextInfo, Effect};
use ssmdeck::aws::AwsContext;
use ssmdeck::aws::commands::{SendRequest, Targets};
use ssmdeck::config::Settings;
use ssmdeck::runtime::TaskManager;
use ssmdeck::ui::{RenderContext, render};
use tokio::sync::mpsc;

struct Harness {
    app: App,
    tasks: TaskManager,
    rx: mpsc::UnboundedReceiver<Action>,
    term: Terminal<TestBackend>,
    settings: Settings,
    frames: Vec<Duration>,
}

impl Harness {
    fn new(ctx: AwsContext) -> Harness {
        let (tx, rx) = mpsc::unbounded_channel();
        let (mut app, _) = App::new(ContextInfo::default(), (200, 50), Instant::now());
        app.update(Action::Command(Command::NextPane), Instant::now());
        Harness {
            app,
            tasks: TaskManager::new(ctx, tx),
            rx,
            term: Terminal::new(TestBackend::new(200, 50)).unwrap(),
            settings: Settings::load(None),
            frames: Vec::new(),
        }
    }

    fn run_effects(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.tasks.run(e);
        }
    }

    /// Sends like the confirmed composer does, then runs the event loop
    /// (batching, settle, one draw per batch) until every node is final.
    async fn send_and_wait(&mut self, req: SendRequest, deadline: Duration) -> Duration {
        let start = Instant::now();
        self.tasks.run(Effect::RunCommand(CommandsJob::Send(req)));
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let Ok(Some(first)) = tokio::time::timeout_at(until, self.rx.recv()).await else {
                panic!("scenario did not finish within {deadline:?}");
            };
            let mut batch = vec![first];
            while let Ok(a) = self.rx.try_recv() {
                batch.push(a);
                if batch.len() >= 512 {
                    break;
                }
            }
            for a in batch {
                let e = self.app.update(a, Instant::now());
                self.run_effects(e);
            }
            let e = self.app.settle();
            self.run_effects(e);
            let t = Instant::now();
            let cx = RenderContext {
                theme: &self.settings.theme,
                keymap: &self.settings.keymap,
                now: Instant::now(),
            };
            let app = &self.app;
            self.term.draw(|f| render(f, app, &cx)).unwrap();
            self.frames.push(t.elapsed());
            if self.app.commands.run().is_some_and(|r| r.done()) {
                return start.elapsed();
            }
        }
    }
}

fn request(nodes: Vec<String>, script: &str, cloudwatch: bool) -> SendRequest {
    SendRequest {
        document: "AWS-RunShellScript".into(),
        commands: vec![script.into()],
        targets: Targets::Nodes(nodes),
        timeout_s: 600,
        execution_timeout_s: 600,
        max_concurrency: "50".into(),
        max_errors: "100%".into(),
        comment: "commands_load bench".into(),
        cloudwatch_group: cloudwatch.then(String::new),
        output_s3: None,
        extra: Vec::new(),
    }
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p) as usize]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("commands_load: run with `cargo bench --bench commands_load`");
        return;
    }
    let lab = lab::Lab::start(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opts = lab.options();
    rt.block_on(async {
        let ctx = AwsContext::connect(&opts, None).await.unwrap();
        // Online nodes from the lab's own listing.
        let (nodes_tx, mut nodes_rx) = mpsc::unbounded_channel();
        ssmdeck::aws::fleet::load_fleet(ctx.clone(), Default::default(), move |e| {
            let _ = nodes_tx.send(e);
        })
        .await;
        let mut online = Vec::new();
        while let Ok(e) = nodes_rx.try_recv() {
            if let ssmdeck::aws::fleet::FleetEvent::Page(p) = e {
                online.extend(
                    p.into_iter()
                        .filter(|n| n.ping_status == ssmdeck::model::PingStatus::Online)
                        .map(|n| n.id),
                );
            }
        }

        // 1. echo to 1,000 nodes.
        let mut h = Harness::new(ctx.clone());
        let nodes: Vec<String> = online.iter().take(1_000).cloned().collect();
        let took = h.send_and_wait(request(nodes, "echo ok", false), Duration::from_secs(300)).await;
        let run = h.app.commands.run().unwrap();
        println!(
            "1,000 nodes, echo: every final status after {:.2} s; {} poll cycles; {} ListCommandInvocations calls per cycle (goal 20); {} frames drawn",
            took.as_secs_f64(),
            run.polls,
            run.last_poll_calls,
            h.frames.len()
        );

        // 2. 200 nodes x 20 lines/s for 5 s, live.
        let mut h = Harness::new(ctx.clone());
        let nodes: Vec<String> = online.iter().skip(1_000).take(200).cloned().collect();
        let script = "i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); sleep 0.05; done";
        let took = h.send_and_wait(request(nodes, script, true), Duration::from_secs(300)).await;
        // The last live read is scheduled at the end; let it land.
        let settle = tokio::time::Instant::now() + Duration::from_secs(5);
        while let Ok(Some(a)) = tokio::time::timeout_at(settle, h.rx.recv()).await {
            let e = h.app.update(a, Instant::now());
            h.run_effects(e);
        }
        let run = h.app.commands.run().unwrap();
        let lines: usize = run.nodes.values().map(|n| n.live.len()).sum();
        let dropped: usize = run.nodes.values().map(|n| n.dropped_bytes).sum();
        let mut frames = h.frames.clone();
        let (p50, p99, max) = (
            percentile(&mut frames, 0.5),
            percentile(&mut frames, 0.99),
            *frames.iter().max().unwrap(),
        );
        // The same final state drawn again with the lab idle: the draw alone.
        let mut idle = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let cx = RenderContext {
                theme: &h.settings.theme,
                keymap: &h.settings.keymap,
                now: Instant::now(),
            };
            let app = &h.app;
            h.term.draw(|f| render(f, app, &cx)).unwrap();
            idle.push(t.elapsed());
        }
        let (i50, i99) = (percentile(&mut idle, 0.5), percentile(&mut idle, 0.99));
        println!(
            "  the same screen drawn with the lab idle: p50 {:.2} ms, p99 {:.2} ms",
            i50.as_secs_f64() * 1e3,
            i99.as_secs_f64() * 1e3
        );
        println!(
            "200 nodes x 20 lines/s: finished after {:.2} s; {lines} of 20000 lines arrived live ({dropped} bytes dropped by the bound); {} frames, draw p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal < 16 ms)",
            took.as_secs_f64(),
            frames.len(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
        );

        // 3. 1,000 nodes x 50 KB.
        let before = lab::vm_hwm_mb();
        let mut h = Harness::new(ctx.clone());
        let nodes: Vec<String> = online.iter().take(1_000).cloned().collect();
        let script = "i=0; while [ $i -lt 512 ]; do printf '%099d\\n' $i; i=$((i+1)); done";
        let took = h.send_and_wait(request(nodes, script, true), Duration::from_secs(600)).await;
        let settle = tokio::time::Instant::now() + Duration::from_secs(10);
        while let Ok(Some(a)) = tokio::time::timeout_at(settle, h.rx.recv()).await {
            let e = h.app.update(a, Instant::now());
            h.run_effects(e);
        }
        let run = h.app.commands.run().unwrap();
        let kept: usize = run.nodes.values().map(|n| n.live.bytes()).sum();
        let dropped: usize = run.nodes.values().map(|n| n.dropped_bytes).sum();
        println!(
            "1,000 nodes x 50 KB: finished after {:.2} s; live output kept {:.1} MB, dropped {:.1} MB (bound 64 KB per node); peak RSS {:.1} MB (before this scenario {:.1} MB)",
            took.as_secs_f64(),
            kept as f64 / 1e6,
            dropped as f64 / 1e6,
            lab::vm_hwm_mb(),
            before
        );
    });
}
