//! Load scenario: the full `large` fleet (10,000 managed nodes) from
//! `ssmdeck lab serve` running as its own process, with no added latency and
//! with 20 ms per call.
//!
//! For each latency it reports:
//! - the SSM sequential minimum: paging DescribeInstanceInformation alone
//!   (50 a page is the API's maximum, and the cursor is sequential);
//! - the full load (SSM pages + EC2 join + hybrid tags) through the console's
//!   own loader, its wall time, API calls, and overhead over the minimum;
//! - peak RSS (VmHWM) of this process with 10,000 nodes loaded into the
//!   console's state and one frame rendered (the lab's memory is in the
//!   other process).
//!
//! Run: `cargo bench --bench fleet_load`. Bounded: two loads per scenario.

#[path = "common/lab.rs"]
mod lab;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::action::Action;
use ssmdeck::app::{App, ContextInfo};
use ssmdeck::aws::AwsContext;
use ssmdeck::aws::fleet::{FleetEvent, load_fleet};
use ssmdeck::config::Settings;
use ssmdeck::ui::{RenderContext, render};

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: skip the slow run there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fleet_load: run with `cargo bench --bench fleet_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "scenario        | SSM-only minimum   | SSM + EC2 join (overhead)      | + hybrid tags: calls"
    );
    for latency in [0u64, 20] {
        let lab = lab::Lab::start(latency);
        let (min, full, stats) = rt.block_on(async {
            let ctx = AwsContext::connect(&lab.options(), None).await.unwrap();
            let min = lab::ssm_only(&ctx).await;
            let t = Instant::now();
            let events = Arc::new(Mutex::new(Vec::new()));
            let sink = events.clone();
            let last_page = Arc::new(Mutex::new(Duration::ZERO));
            let lp = last_page.clone();
            load_fleet(ctx, Default::default(), move |e| {
                if matches!(e, FleetEvent::Page(_)) {
                    *lp.lock().unwrap() = t.elapsed();
                }
                sink.lock().unwrap().push(e)
            })
            .await;
            let full = t.elapsed();
            let events = Arc::try_unwrap(events).unwrap().into_inner().unwrap();
            let stats = match events.last() {
                Some(FleetEvent::Done(s)) => s.clone(),
                other => panic!("load failed: {other:?}"),
            };
            println!(
                "  ({latency} ms) last SSM page at {:.0} ms, EC2 join done at {} ms, hybrid tags done at {:.0} ms",
                last_page.lock().unwrap().as_secs_f64() * 1e3,
                stats.ec2_done_ms,
                full.as_secs_f64() * 1e3
            );
            // Fold into the console's state and render once, for RSS.
            let now = Instant::now();
            let (mut app, _) = App::new(ContextInfo::default(), (200, 50), now);
            let generation = app.fleet.generation;
            for event in events {
                app.update(Action::Fleet {
    generation,
    ctx: Default::default(),
    event,
}, now);
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
            (min, full, stats)
        });
        let (min_t, min_calls, min_nodes) = min;
        assert_eq!(min_nodes, 10_000);
        let overhead = (stats.ec2_done_ms as f64 / (min_t.as_secs_f64() * 1e3) - 1.0) * 100.0;
        println!(
            "{latency:>3} ms per call | {:>5.0} ms, {min_calls} calls | {:>5} ms ({overhead:+.1} %) | {:>5.0} ms: {} calls ({} SSM, {} EC2, {} tags)",
            min_t.as_secs_f64() * 1e3,
            stats.ec2_done_ms,
            full.as_secs_f64() * 1e3,
            stats.ssm_calls + stats.ec2_calls + stats.tag_calls,
            stats.ssm_calls,
            stats.ec2_calls,
            stats.tag_calls,
        );
    }
    println!(
        "peak RSS of the console process with 10,000 nodes loaded and rendered: {:.1} MB",
        lab::vm_hwm_mb()
    );
}
