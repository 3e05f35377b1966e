//! Console-wide navigation without a terminal: the back stack (Esc walks
//! back through panes once a pane has nothing left to close), breadcrumbs,
//! and mouse input (tabs, rows, the wheel).

use std::time::Instant;

use ssmdeck::action::{Action, Command, OpsCenterEvent};
use ssmdeck::app::{App, ContextInfo, Effect, MouseInput, Pane};
use ssmdeck::aws::fleet::FleetEvent;
use ssmdeck::model::{ManagedNode, OpsItem, PingStatus};

fn app() -> App {
    let (mut app, _) = App::new(ContextInfo::default(), (140, 30), Instant::now());
    let generation = app.fleet.generation;
    let nodes: Vec<ManagedNode> = (0..20)
        .map(|i| ManagedNode {
            id: format!("i-{i:017x}"),
            name: format!("web-{i:02}"),
            ping_status: PingStatus::Online,
            ..ManagedNode::default()
        })
        .collect();
    app.update(
        Action::Fleet {
            generation,
            event: FleetEvent::Page(nodes),
        },
        Instant::now(),
    );
    app.settle();
    app
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    let e = app.update(Action::Command(c), Instant::now());
    app.settle();
    e
}

#[test]
fn esc_closes_inner_views_first_then_walks_back_through_panes() {
    let mut app = app();
    cmd(&mut app, Command::OpenDetails);
    assert_eq!(app.breadcrumbs(), ["Fleet", "web-00"]);
    cmd(&mut app, Command::NextPane);
    cmd(&mut app, Command::NextPane);
    cmd(&mut app, Command::NextPane);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(app.back, [Pane::Fleet, Pane::Commands, Pane::Parameters]);
    assert_eq!(
        app.breadcrumbs(),
        ["Run Command", "Parameters", "OpsCenter"]
    );
    let generation = app.ops.generation;
    app.update(
        Action::Ops(OpsCenterEvent::Page(
            generation,
            Ok(vec![OpsItem {
                id: "oi-000000000001".into(),
                status: "Open".into(),
                ..OpsItem::default()
            }]),
            true,
        )),
        Instant::now(),
    );
    app.settle();
    cmd(&mut app, Command::OpenDetails);
    assert_eq!(app.breadcrumbs().last().unwrap(), "oi-000000000001");
    // Esc closes the detail first…
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert!(app.ops.detail.is_none());
    // …then walks back, pane by pane.
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Parameters);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Commands);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Fleet);
    assert!(app.back.is_empty());
    // In Fleet the details are still open: Esc closes them; then nothing happens.
    cmd(&mut app, Command::Back);
    assert!(!app.fleet.details);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Fleet);
}

#[test]
fn mouse_clicks_tabs_and_rows_and_scrolls() {
    let mut app = app();
    let m = |app: &mut App, i: MouseInput| {
        let e = app.update(Action::Mouse(i), Instant::now());
        app.settle();
        e
    };
    // Rows start at screen row 4 (header, tabs, border, column header).
    m(&mut app, MouseInput::Click(10, 7));
    assert_eq!(app.fleet.current().unwrap().name, "web-03");
    assert!(!app.fleet.details);
    // A click on the cursor's row opens it.
    m(&mut app, MouseInput::Click(10, 7));
    assert!(app.fleet.details);
    m(&mut app, MouseInput::ScrollDown);
    assert_eq!(app.fleet.current().unwrap().name, "web-06");
    m(&mut app, MouseInput::ScrollUp);
    assert_eq!(app.fleet.current().unwrap().name, "web-03");
    // The tab line: " Fleet " " Run Command " " Parameters " " OpsCenter ".
    assert_eq!(Pane::tab_at(0), Some(Pane::Fleet));
    assert_eq!(Pane::tab_at(8), Some(Pane::Commands));
    assert_eq!(Pane::tab_at(7), None, "the gap between tabs");
    let e = m(&mut app, MouseInput::Click(40, 1));
    assert_eq!(app.pane, Pane::OpsCenter);
    assert!(e.iter().any(|e| matches!(e, Effect::LoadOps { .. })));
    // Clicks below the last row do nothing.
    m(&mut app, MouseInput::Click(2, 1));
    m(&mut app, MouseInput::Click(10, 29));
    assert_eq!(app.pane, Pane::Fleet);
}
