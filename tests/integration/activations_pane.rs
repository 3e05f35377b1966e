//! Hybrid nodes against the lab (issue 15): the Activations pane lists the
//! seeded activations with their registrations, limits and expiry; a new
//! activation's code shows once and is gone after (not in the audit log,
//! the notices or the screen); delete asks first and removes it; read-only
//! mode refuses both writes; Fleet X deregisters an Inactive `mi-` node
//! and refuses an online or EC2 node, naming it.

use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Mode, Pane};
use ssmdeck::audit::Audit;
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle, PingStatus};

use crate::common::{self, live::Live};

async fn lab() -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes: 60,
            seed: 15,
            hybrid_share: 0.5,
            connection_lost_share: 0.05,
            inactive_share: 0.3,
            failing_share: 0.0,
            ops_items: 0,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// Every activation of the lab, read with the SDK (every page).
async fn activations(ctx: &ssmdeck::aws::AwsContext) -> Vec<aws_sdk_ssm::types::Activation> {
    let mut pages = ctx
        .ssm
        .describe_activations()
        .max_results(2)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(p) = pages.next().await {
        out.extend(p.expect("DescribeActivations").activation_list().to_vec());
    }
    out
}

/// The console on the Activations pane, its list read.
async fn shown(lab: &LabHandle) -> Live {
    let (ctx, _) = common::context(lab).await;
    let mut live = Live::start(ctx).await;
    live.show(Pane::Activations);
    live.until("the activations", |a| {
        a.activations.pending == 0 && !a.activations.rows.is_empty()
    })
    .await;
    live
}

fn with_audit(live: &mut Live) -> std::path::PathBuf {
    let path = live.data_dir.join("audit.jsonl");
    let audit = Audit::new(path.clone(), live.tasks.context());
    live.tasks.set_audit(Some(audit));
    path
}

#[tokio::test]
async fn the_pane_lists_the_seeded_activations_with_registrations_limit_and_expiry() {
    let lab = lab().await;
    let (ctx, _) = common::context(&lab).await;
    let live = shown(&lab).await;
    let aws = activations(&ctx).await;
    let rows = &live.app.activations.rows;
    let mut ids: Vec<&str> = rows.iter().map(|(_, a)| a.id.as_str()).collect();
    let mut want: Vec<&str> = aws.iter().filter_map(|a| a.activation_id()).collect();
    ids.sort();
    want.sort();
    assert_eq!(ids, want, "every page read");
    let hybrid = lab.nodes().iter().filter(|n| n.is_hybrid()).count();
    let registered: i32 = rows.iter().map(|(_, a)| a.registrations).sum();
    assert_eq!(registered as usize, hybrid);
    assert!(rows.iter().any(|(_, a)| a.expired) && rows.iter().any(|(_, a)| !a.expired));
    assert!(!rows[0].1.expired, "live ones first");
    let screen = live.screen();
    for (_, a) in rows {
        assert!(screen.contains(&a.id), "{} in\n{screen}", a.id);
        let reg = format!("{} / {}", a.registrations, a.limit);
        assert!(screen.contains(&reg), "{reg} in\n{screen}");
    }
    assert!(screen.contains("expired 2 mo ago"), "{screen}");
    assert!(
        screen.contains("in 17 d") || screen.contains("in 18 d"),
        "{screen}"
    );
    assert!(screen.contains("Activations"), "its tab");
}

#[tokio::test]
async fn a_new_activations_code_shows_once_and_is_gone_after() {
    let lab = lab().await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = shown(&lab).await;
    let audit = with_audit(&mut live);
    let before = activations(&ctx).await.len();
    live.cmd(Command::Create);
    // A bad line is asked again with its text and what is wrong.
    live.answer("role=SSMServiceRole limit=0 colour=red");
    let p = live.app.prompt().expect("asked again");
    assert_eq!(p.text, "role=SSMServiceRole limit=0 colour=red");
    let problems = live.app.activations.asking.clone().unwrap().join("\n");
    assert!(problems.contains("`limit=0`") && problems.contains("`colour=`: not a field"));
    let screen = live.screen();
    assert!(
        screen.contains("`colour=`: not a field"),
        "shown under the list:\n{screen}"
    );
    live.answer(
        r#"role=SSMServiceRole limit=25 days=3 name=edge desc="branch offices" tag:Site=branch"#,
    );
    live.until("the new activation", |a| a.activations.created.is_some())
        .await;
    let n = live.app.activations.created.clone().unwrap();
    let code = n.code.expose().to_owned();
    assert_eq!(code.len(), 20);
    let screen = live.screen();
    assert!(screen.contains(&code), "shown once:\n{screen}");
    assert!(
        screen.contains(&format!("-id \"{}\" -region \"us-east-1\"", n.id)),
        "{screen}"
    );
    let aws = activations(&ctx).await;
    assert_eq!(aws.len(), before + 1);
    let made = aws
        .iter()
        .find(|a| a.activation_id() == Some(n.id.as_str()))
        .expect("created in the lab");
    assert_eq!(made.registration_limit(), Some(25));
    assert_eq!(made.default_instance_name(), Some("edge"));
    assert_eq!(made.description(), Some("branch offices"));
    // y puts it on the clipboard; Esc forgets it.
    live.cmd(Command::CopyValue);
    live.cmd(Command::Back);
    assert!(live.app.activations.created.is_none());
    live.until("the list read again", |a| {
        a.activations.pending == 0 && a.activations.find(Default::default(), &n.id).is_some()
    })
    .await;
    let screen = live.screen();
    assert!(!screen.contains(&code), "gone from the screen");
    assert!(screen.contains(&n.id), "{screen}");
    let log = std::fs::read_to_string(&audit).expect("audit written");
    assert!(
        log.contains("ssm:CreateActivation") && log.contains(&n.id),
        "{log}"
    );
    assert!(!log.contains(&code), "the audit log never holds the code");
    let said: String = live
        .app
        .messages
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!said.contains(&code), "no notice holds it:\n{said}");
    assert!(!format!("{:?}", live.app.activations).contains(&code));
}

#[tokio::test]
async fn delete_asks_first_and_removes_the_activation() {
    let lab = lab().await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = shown(&lab).await;
    let audit = with_audit(&mut live);
    let id = live.app.activations.focused().unwrap().1.id.clone();
    live.cmd(Command::Delete);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains(&id) && lines.contains("stay registered"),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the list without it", |a| {
        a.activations.pending == 0
            && !a.activations.rows.is_empty()
            && a.activations.find(Default::default(), &id).is_none()
    })
    .await;
    assert!(
        activations(&ctx)
            .await
            .iter()
            .all(|a| a.activation_id() != Some(id.as_str()))
    );
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(
        log.contains("ssm:DeleteActivation") && log.contains(&id),
        "{log}"
    );
}

#[tokio::test]
async fn read_only_refuses_create_and_delete() {
    let lab = lab().await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = shown(&lab).await;
    live.app.read_only = Some("--read-only".into());
    let before = activations(&ctx).await.len();
    for (c, api) in [
        (Command::Create, "ssm:CreateActivation"),
        (Command::Delete, "ssm:DeleteActivation"),
    ] {
        live.cmd(c);
        assert_eq!(live.app.mode(), Mode::Normal, "nothing is asked");
        let notice = &live.app.notices.last().expect("a notice says why").0;
        assert!(
            notice.contains("read-only") && notice.contains(api),
            "{notice}"
        );
    }
    // The runner refuses a write that got past the keys.
    live.tasks.set_read_only(Some("--read-only".into()));
    live.app.read_only = None;
    live.cmd(Command::Create);
    live.answer("role=SSMServiceRole");
    live.until("the refusal", |a| {
        a.notices
            .iter()
            .any(|(n, _)| n.contains("read-only") && n.contains("ssm:CreateActivation"))
    })
    .await;
    assert_eq!(activations(&ctx).await.len(), before, "nothing was created");
}

#[tokio::test]
async fn fleet_x_deregisters_an_inactive_hybrid_node_and_refuses_the_others() {
    let lab = lab().await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let audit = with_audit(&mut live);
    live.until("the fleet", |a| {
        a.fleet.loading.is_none() && !a.fleet.nodes.is_empty()
    })
    .await;
    let nodes = lab.nodes();
    let dead = nodes
        .iter()
        .find(|n| n.is_hybrid() && n.ping == PingStatus::Inactive)
        .expect("an Inactive mi- node")
        .id
        .clone();
    let online = nodes
        .iter()
        .find(|n| n.is_hybrid() && n.ping == PingStatus::Online)
        .expect("an online mi- node")
        .id
        .clone();
    let ec2 = nodes
        .iter()
        .find(|n| !n.is_hybrid())
        .expect("an EC2 node")
        .id
        .clone();
    // Only the others: refused, each named.
    live.app.fleet.selected = [online.clone(), ec2.clone()].into_iter().collect();
    live.cmd(Command::Deregister);
    assert_eq!(live.app.mode(), Mode::Normal, "nothing is asked");
    let notice = live.app.notices.last().unwrap().0.clone();
    assert!(
        notice.contains(&format!("{online} is Online"))
            && notice.contains(&format!("{ec2} is an EC2 instance")),
        "{notice}"
    );
    // With the dead one: asked about it alone, the others skipped.
    live.app.fleet.selected.insert(dead.clone());
    live.cmd(Command::Deregister);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains(&dead) && lines.contains("Skipped 2"),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the fleet read again without it", |a| {
        a.fleet.loading.is_none() && !a.fleet.nodes.iter().any(|n| n.id == dead)
    })
    .await;
    assert!(live.app.fleet.nodes.iter().any(|n| n.id == online));
    assert!(
        !lab.nodes().iter().any(|n| n.id == dead),
        "gone from the lab"
    );
    assert!(!live.app.fleet.selected.contains(&dead));
    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ssm:DeregisterManagedInstance"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains(&dead) && !lines[0].contains(&online));
}

mod snapshots {
    //! The pane at 120×40 from fixed activations (times relative to the
    //! wall clock, dates masked); the code panel with a made-up code, so
    //! no real code can land in a snapshot.

    use std::time::Instant;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ssmdeck::action::{Action, Command, InputKey};
    use ssmdeck::app::{ActivationsJob, App, ContextInfo, Effect, Pane};
    use ssmdeck::aws::activations::{Activation, ActivationCode, CreatedActivation};
    use ssmdeck::config::Settings;
    use ssmdeck::model::{now_epoch_s, when};
    use ssmdeck::panes::activations::ActivationsMsg;
    use ssmdeck::ui::{RenderContext, render};

    const DAY: i64 = 86_400;

    struct Harness {
        app: App,
        settings: Settings,
        effects: Vec<Effect>,
        masks: Vec<String>,
    }

    impl Harness {
        fn act(&mut self, a: Action) {
            let e = self.app.update(a, Instant::now());
            self.effects.extend(e);
            let e = self.app.settle();
            self.effects.extend(e);
        }

        fn screen(&self) -> String {
            let (w, h) = self.app.size;
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            let cx = RenderContext {
                theme: &self.settings.theme,
                keymap: &self.settings.keymap,
                now: Instant::now(),
            };
            t.draw(|f| render(f, &self.app, &cx)).unwrap();
            let b = t.backend().buffer().clone();
            let mut text = (0..b.area.height)
                .map(|y| {
                    (0..b.area.width)
                        .map(|x| b[(x, y)].symbol())
                        .collect::<String>()
                        .trim_end()
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n");
            for m in &self.masks {
                text = text.replace(m, &"#".repeat(m.chars().count()));
            }
            text
        }
    }

    fn rows(now: i64) -> Vec<Activation> {
        vec![
            Activation {
                id: "5b0e2f7a-41c3-4d2e-9a7b-0c1d2e3f4a5b".into(),
                description: "On-premises servers, current wave".into(),
                iam_role: "SSMServiceRole".into(),
                registrations: 12,
                limit: 62,
                expires_s: Some(now + 18 * DAY - 600),
                created_s: Some(now - 12 * DAY),
                tags: vec![("Site".into(), "dc-east".into())],
                ..Activation::default()
            },
            Activation {
                id: "0f6a8c4e-2b1d-4e3f-8a9b-7c6d5e4f3a2b".into(),
                description: "Edge kiosks".into(),
                default_instance_name: "kiosk".into(),
                iam_role: "KioskRole".into(),
                registrations: 5,
                limit: 5,
                expires_s: Some(now + 5 * 3_600 + 600),
                created_s: Some(now - 3 * DAY),
                ..Activation::default()
            },
            Activation {
                id: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a".into(),
                description: "On-premises servers, wave 1 (closed)".into(),
                iam_role: "SSMServiceRole".into(),
                registrations: 9,
                limit: 10,
                expires_s: Some(now - 65 * DAY),
                expired: true,
                created_s: Some(now - 95 * DAY),
                tags: vec![("Site".into(), "dc-east".into())],
                ..Activation::default()
            },
        ]
    }

    fn harness() -> Harness {
        let (app, _) = App::new(
            ContextInfo {
                region: "us-east-1".into(),
                ..ContextInfo::default()
            },
            (120, 40),
            Instant::now(),
        );
        let mut h = Harness {
            app,
            settings: Settings::load(None),
            effects: Vec::new(),
            masks: Vec::new(),
        };
        h.act(Action::Command(Command::CommandLine));
        for c in "activations".chars() {
            h.act(Action::Input(InputKey::Char(c)));
        }
        h.act(Action::Input(InputKey::Submit));
        assert_eq!(h.app.pane, Pane::Activations);
        let Some(Effect::Activations(ActivationsJob::List { generation })) = h.effects.pop() else {
            panic!("showing the pane loads it: {:?}", h.effects);
        };
        let now = now_epoch_s();
        let rows = rows(now);
        for a in &rows {
            for t in [a.created_s, a.expires_s].into_iter().flatten() {
                // The full date first: the short one is a part of it.
                h.masks.push(ssmdeck::model::format_epoch(t));
                h.masks.push(when(t, now));
            }
        }
        h.act(Action::Activations(ActivationsMsg::List {
            generation,
            ctx: Default::default(),
            result: Ok(rows),
        }));
        h
    }

    #[test]
    fn list_detail_and_code_panel_snapshots() {
        let mut h = harness();
        insta::assert_snapshot!("activations_list", h.screen());
        // At 80 columns the ids stay whole (columns give way instead).
        h.app.size = (80, 24);
        let narrow = h.screen();
        for a in rows(0) {
            assert!(narrow.contains(&a.id), "{} whole at 80:\n{narrow}", a.id);
        }
        assert!(narrow.contains("expired 2 mo ago"), "{narrow}");
        h.app.size = (120, 40);
        h.act(Action::Command(Command::OpenDetails));
        insta::assert_snapshot!("activations_detail", h.screen());
        h.act(Action::Command(Command::Back));
        h.act(Action::Activations(ActivationsMsg::Created {
            ctx: Default::default(),
            line: "role=SSMServiceRole limit=10 days=7".into(),
            summary: "role SSMServiceRole · limit 10 · expires in 7 d".into(),
            result: Ok(CreatedActivation {
                id: "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a".into(),
                // Made up: a real code never reaches a snapshot.
                code: ActivationCode::new("NOT-A-REAL-CODE-xyz0".into()),
            }),
        }));
        insta::assert_snapshot!("activations_new_code", h.screen());
        h.act(Action::Command(Command::Back));
        assert!(!h.screen().contains("NOT-A-REAL-CODE"));
    }
}
