//! Criterion benches of the Fleet pane's hot paths, on 10,000 nodes loaded
//! from the lab's `large` fleet through the real AWS layer.
//!
//! - `filter_keystroke_10k`: one keystroke in the filter (update + settle +
//!   render to a 200×50 TestBackend). Goal: under 5 ms median.
//! - `filter_only_10k`: the same keystroke without the render.
//! - `filter_cold_10k`: a filter text no recent query's matches help
//!   (a full pass over every node), without the render.
//! - `first_frame`: settings, state and the first frame before any network answer.
//! - `params_search_10k`: one keystroke of the Parameters search over 10,000
//!   names (fuzzy, ranked) and a render. Goal: under 5 ms median.
//! - `ops_filter_keystroke_5k` / `ops_filter_only_5k`: one keystroke of the
//!   OpsCenter filter over 5,000 OpsItems read from the lab's `large` preset
//!   through the real AWS layer (fuzzy title; and with structured terms),
//!   with and without the render. Goal: under 5 ms median.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{App, ContextInfo};
use ssmdeck::aws::fleet::load_fleet;
use ssmdeck::aws::{AwsContext, ConnectOptions};
use ssmdeck::config::Settings;
use ssmdeck::ui::{RenderContext, render};
use ssmdeck_lab::{FleetSpec, LabConfig};

const SIZE: (u16, u16) = (200, 50);

/// Loads the `large` fleet from an in-process lab into an App.
fn loaded_app() -> App {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lab = ssmdeck_lab::start(LabConfig {
            fleet: FleetSpec::large(),
            ..LabConfig::default()
        })
        .await
        .unwrap();
        let ctx = AwsContext::connect(
            &ConnectOptions {
                region: Some(lab.region().into()),
                endpoint_url: Some(lab.endpoint_url()),
                static_credentials: Some((
                    lab.credentials().access_key_id.clone(),
                    lab.credentials().secret_access_key.clone(),
                )),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let now = Instant::now();
        let (mut app, _) = App::new(ContextInfo::default(), SIZE, now);
        let generation = app.fleet.generation;
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        load_fleet(ctx, Default::default(), move |e| {
            sink.lock().unwrap().push(e)
        })
        .await;
        for event in events.lock().unwrap().drain(..) {
            app.update(
                Action::Fleet(ssmdeck::app::FleetMsg {
                    generation,
                    ctx: Default::default(),
                    event,
                }),
                now,
            );
        }
        app.settle();
        assert_eq!(app.fleet.nodes.len(), 10_000);
        lab.shutdown().await;
        app
    })
}

fn benches(c: &mut Criterion) {
    let settings = Settings::load(None);
    let mut app = loaded_app();
    let now = Instant::now();
    app.update(Action::Command(Command::Filter), now);
    for ch in "prod".chars() {
        app.update(Action::Input(InputKey::Char(ch)), now);
    }
    app.settle();
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };

    // Alternate between "prod" and "prod w" so every iteration refilters.
    let mut typed = false;
    c.bench_function("filter_keystroke_10k", |b| {
        b.iter(|| {
            let key = if typed {
                InputKey::Backspace
            } else {
                InputKey::Char('w')
            };
            typed = !typed;
            app.update(Action::Input(key), now);
            app.settle();
            terminal.draw(|f| render(f, &app, &cx)).unwrap();
        })
    });
    c.bench_function("filter_only_10k", |b| {
        b.iter(|| {
            let key = if typed {
                InputKey::Backspace
            } else {
                InputKey::Char('w')
            };
            typed = !typed;
            app.update(Action::Input(key), now);
            app.settle();
        })
    });
    // A query no recent one helps (ten texts, none a prefix of another,
    // more than the pane remembers): a full pass over 10,000 nodes.
    let cold = [
        "prod w", "stag d", "web-3", "db 7", "i-0a", "10.0.1", "api-2", "Env=dev", "cache 9",
        "worker",
    ];
    let mut k = 0;
    c.bench_function("filter_cold_10k", |b| {
        b.iter(|| {
            k = (k + 1) % cold.len();
            app.fleet.set_filter(cold[k].into());
            app.settle();
        })
    });
    c.bench_function("first_frame", |b| {
        b.iter(|| {
            let settings = Settings::load(None);
            let (mut app, effects) = App::new(ContextInfo::default(), SIZE, Instant::now());
            app.settle();
            let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
            let cx = RenderContext {
                theme: &settings.theme,
                keymap: &settings.keymap,
                now: Instant::now(),
            };
            terminal.draw(|f| render(f, &app, &cx)).unwrap();
            effects
        })
    });
}

fn params_search(c: &mut Criterion) {
    use ssmdeck::model::ParameterMeta;
    let settings = Settings::load(None);
    let now = Instant::now();
    let (mut app, _) = App::new(ContextInfo::default(), SIZE, now);
    while app.pane != ssmdeck::app::Pane::Parameters {
        app.update(Action::Command(Command::NextPane), now);
    }
    let metas: Vec<ParameterMeta> = FleetSpec::large()
        .parameters()
        .into_iter()
        .map(|p| ParameterMeta {
            name: p.name,
            version: 1,
            ..Default::default()
        })
        .collect();
    assert_eq!(metas.len(), 10_000);
    app.params.learn(metas);
    app.settle();
    app.update(Action::Command(Command::Filter), now);
    for ch in "prodapi".chars() {
        app.update(Action::Input(InputKey::Char(ch)), now);
    }
    app.settle();
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };
    let mut typed = false;
    c.bench_function("params_search_10k", |b| {
        b.iter(|| {
            let key = if typed {
                InputKey::Backspace
            } else {
                InputKey::Char('k')
            };
            typed = !typed;
            app.update(Action::Input(key), now);
            app.settle();
            terminal.draw(|f| render(f, &app, &cx)).unwrap();
        })
    });
}

fn ops_filter(c: &mut Criterion) {
    use ssmdeck::action::OpsCenterEvent;
    let settings = Settings::load(None);
    let now = Instant::now();
    let (mut app, _) = App::new(ContextInfo::default(), SIZE, now);
    while app.pane != ssmdeck::app::Pane::OpsCenter {
        app.update(Action::Command(Command::NextPane), now);
    }
    let generation = app.ops.generation;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pages = rt.block_on(async {
        let lab = ssmdeck_lab::start(LabConfig {
            fleet: FleetSpec::large(),
            ..LabConfig::default()
        })
        .await
        .unwrap();
        let ctx = AwsContext::connect(
            &ConnectOptions {
                region: Some(lab.region().into()),
                endpoint_url: Some(lab.endpoint_url()),
                static_credentials: Some((
                    lab.credentials().access_key_id.clone(),
                    lab.credentials().secret_access_key.clone(),
                )),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let mut pages = Vec::new();
        ssmdeck::aws::opscenter::list_all(&ctx, &[], |items, done| pages.push((items, done)))
            .await
            .unwrap();
        lab.shutdown().await;
        pages
    });
    for (items, done) in pages {
        app.update(
            Action::Ops(OpsCenterEvent::Page {
                ctx: Default::default(),
                generation,
                result: Ok(items),
                done,
            }),
            now,
        );
    }
    app.update(Action::Command(Command::Filter), now);
    for _ in 0..app.ops.filter.len() {
        app.update(Action::Input(InputKey::Backspace), now);
    }
    app.settle();
    assert_eq!(app.ops.items.len(), 5_000);
    assert_eq!(app.ops.view.len(), 5_000);
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };
    for (name, base, render_too) in [
        ("ops_filter_keystroke_5k", "prod disk", true),
        ("ops_filter_only_5k", "prod disk", false),
        (
            "ops_filter_terms_keystroke_5k",
            "status:Open,InProgress sev:1,2 prod",
            true,
        ),
    ] {
        while !app.ops.filter.is_empty() {
            app.update(Action::Input(InputKey::Backspace), now);
        }
        for ch in base.chars() {
            app.update(Action::Input(InputKey::Char(ch)), now);
        }
        app.settle();
        assert!(!app.ops.view.is_empty(), "{base} matches something");
        let mut typed = false;
        c.bench_function(name, |b| {
            b.iter(|| {
                let key = if typed {
                    InputKey::Backspace
                } else {
                    InputKey::Char('w')
                };
                typed = !typed;
                app.update(Action::Input(key), now);
                app.settle();
                if render_too {
                    terminal.draw(|f| render(f, &app, &cx)).unwrap();
                }
            })
        });
    }
}

/// 100,000 managed nodes over a set of 20 contexts (5,000 each), made
/// here (a lab load of that size takes 2,000 pages), folded into the app
/// as the Fleet load reports them: a keystroke of the filter, then a frame
/// (issue 14's goal: under 16 ms median).
fn fleet_100k(c: &mut Criterion) {
    use ssmdeck::aws::fleet::FleetEvent;
    use ssmdeck::model::{ContextId, ContextLabel, Ec2Details, ManagedNode, PingStatus};
    let settings = Settings::load(None);
    let now = Instant::now();
    let (mut app, _) = App::new(ContextInfo::default(), SIZE, now);
    let labels: Vec<ContextLabel> = (0..20u16)
        .map(|k| ContextLabel {
            id: ContextId(k),
            region: ["us-east-1", "eu-west-1"][usize::from(k % 2)].into(),
            account: Some(format!("{}", 210_000_000_000u64 + u64::from(k) * 1_000_003)),
            ..ContextLabel::default()
        })
        .collect();
    app.set_contexts(labels);
    let generation = app.fleet.generation;
    let (envs, roles) = (
        ["prod", "staging", "dev"],
        ["web", "api", "worker", "db", "cache", "batch"],
    );
    for k in 0..20u16 {
        let nodes: Vec<ManagedNode> = (0..5_000usize)
            .map(|i| {
                let n = usize::from(k) * 5_000 + i;
                let (env, role) = (envs[n % 3], roles[n % 6]);
                let mut node = ManagedNode {
                    id: format!("i-{n:017x}"),
                    name: format!("{env}-{role}-{i:04}"),
                    ping_status: PingStatus::Online,
                    ip: format!("10.{}.{}.{}", k, (i / 250) % 250, i % 250),
                    platform_name: "Amazon Linux".into(),
                    platform_version: "2023".into(),
                    agent_version: "3.3.987.0".into(),
                    ec2: Some(Ec2Details {
                        instance_type: "m6i.large".into(),
                        state: "running".into(),
                        ..Ec2Details::default()
                    }),
                    ctx: ContextId(k),
                    ..ManagedNode::default()
                };
                node.apply_tags(vec![
                    ("Env".into(), env.into()),
                    ("Role".into(), role.into()),
                ]);
                node
            })
            .collect();
        app.update(
            Action::Fleet(ssmdeck::app::FleetMsg {
                generation,
                ctx: ContextId(k),
                event: FleetEvent::Page(nodes),
            }),
            now,
        );
        app.update(
            Action::Fleet(ssmdeck::app::FleetMsg {
                generation,
                ctx: ContextId(k),
                event: FleetEvent::Done(Default::default()),
            }),
            now,
        );
    }
    app.settle();
    assert_eq!(app.fleet.nodes.len(), 100_000);
    app.update(Action::Command(Command::Filter), now);
    for ch in "prod".chars() {
        app.update(Action::Input(InputKey::Char(ch)), now);
    }
    app.settle();
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };
    let mut typed = false;
    c.bench_function("filter_keystroke_100k_20_contexts", |b| {
        b.iter(|| {
            let key = if typed {
                InputKey::Backspace
            } else {
                InputKey::Char('w')
            };
            typed = !typed;
            app.update(Action::Input(key), now);
            app.settle();
            terminal.draw(|f| render(f, &app, &cx)).unwrap();
        })
    });
    let cold = [
        "prod w",
        "stag d",
        "web-3",
        "db 7",
        "region:eu api",
        "account:2100 cache",
        "10.3.1",
        "Env=dev",
        "cache 9",
        "worker",
    ];
    let mut k = 0;
    c.bench_function("filter_cold_100k", |b| {
        b.iter(|| {
            k = (k + 1) % cold.len();
            app.fleet.set_filter(cold[k].into());
            app.settle();
        })
    });
}

criterion_group!(fleet, benches, params_search, ops_filter, fleet_100k);
criterion_main!(fleet);
