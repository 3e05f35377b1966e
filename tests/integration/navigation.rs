//! Console-wide navigation without a terminal: the back stack (Esc walks
//! back through panes once a pane has nothing left to close), breadcrumbs,
//! and mouse input (tabs, rows, the wheel).

use ssmdeck::app::{FleetJob, OpsJob, ShellJob};
use std::time::Instant;

use ssmdeck::action::{Action, Command, OpsCenterEvent};
use ssmdeck::app::{App, ContextInfo, Effect, Mode, MouseInput, Pane};
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
        Action::Fleet(ssmdeck::app::FleetMsg {
            ctx: Default::default(),
            generation,
            event: FleetEvent::Page(nodes),
        }),
        Instant::now(),
    );
    app.settle();
    app
}

/// A raw key, as the editor, the composer and the forms get them.
fn key(app: &mut App, code: crossterm::event::KeyCode) {
    let k = crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
    app.update(Action::Key(k), Instant::now());
}

/// `text` typed as raw keys.
fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, crossterm::event::KeyCode::Char(c));
    }
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
        Action::Ops(OpsCenterEvent::Page {
            ctx: Default::default(),
            generation,
            result: Ok(vec![OpsItem {
                id: "oi-000000000001".into(),
                status: "Open".into(),
                ..OpsItem::default()
            }]),
            done: true,
        }),
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
    // A click hits what the last frame drew, as the user saw it.
    let m = |app: &mut App, i: MouseInput| {
        screen(app);
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
    assert!(
        e.iter()
            .any(|e| matches!(e, Effect::OpsCenter(OpsJob::List { .. })))
    );
    // Clicks below the last row do nothing.
    m(&mut app, MouseInput::Click(2, 1));
    m(&mut app, MouseInput::Click(10, 29));
    assert_eq!(app.pane, Pane::Fleet);
}

fn palette(app: &mut App, line: &str) -> Vec<Effect> {
    cmd(app, Command::CommandLine);
    for c in line.chars() {
        app.update(
            Action::Input(ssmdeck::action::InputKey::Char(c)),
            Instant::now(),
        );
    }
    let e = app.update(
        Action::Input(ssmdeck::action::InputKey::Submit),
        Instant::now(),
    );
    app.settle();
    e
}

#[test]
fn the_palette_finds_actions_nodes_and_saved_filters() {
    let mut app = app();
    app.keyhelp = vec![
        (
            Some(Pane::OpsCenter),
            "v".into(),
            Command::SetSeverity,
            "Set the severity".into(),
        ),
        (
            Some(Pane::Fleet),
            "s".into(),
            Command::SortNext,
            "Sort".into(),
        ),
    ];
    // Actions of the current pane only, with their keys.
    cmd(&mut app, Command::CommandLine);
    for c in "sort".chars() {
        app.update(
            Action::Input(ssmdeck::action::InputKey::Char(c)),
            Instant::now(),
        );
    }
    assert_eq!(app.palette[0].line, "sort_next");
    assert!(
        app.palette[0].hint.starts_with("s  "),
        "{:?}",
        app.palette[0]
    );
    assert!(!app.palette.iter().any(|e| e.line == "set_severity"));
    app.update(
        Action::Input(ssmdeck::action::InputKey::Cancel),
        Instant::now(),
    );
    // :node with fuzzy completion over names; Enter shows the best match.
    cmd(&mut app, Command::CommandLine);
    for c in "node web-1".chars() {
        app.update(
            Action::Input(ssmdeck::action::InputKey::Char(c)),
            Instant::now(),
        );
    }
    assert!(
        app.palette
            .iter()
            .take(8)
            .all(|e| e.line.starts_with("node web-1")),
        "{:?}",
        app.palette
    );
    app.update(
        Action::Input(ssmdeck::action::InputKey::Cancel),
        Instant::now(),
    );
    let e = palette(&mut app, "node web-17");
    assert_eq!(app.pane, Pane::Fleet);
    assert!(app.fleet.details);
    assert_eq!(app.fleet.current().unwrap().name, "web-17");
    assert!(
        matches!(e.last(), Some(Effect::Shell(ShellJob::SaveUserState(json))) if json.contains("web-17"))
    );
    assert_eq!(app.user.recent[0].key, "web-17");
    // Recent targets come back in the palette.
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::CommandLine);
    assert!(
        app.palette
            .iter()
            .any(|e| e.line == "node web-17" && e.hint.starts_with("recent"))
    );
    app.update(
        Action::Input(ssmdeck::action::InputKey::Cancel),
        Instant::now(),
    );
    // Save a filter, clear it, apply it again by name.
    cmd(&mut app, Command::Filter);
    for c in "web-17".chars() {
        app.update(
            Action::Input(ssmdeck::action::InputKey::Char(c)),
            Instant::now(),
        );
    }
    app.update(
        Action::Input(ssmdeck::action::InputKey::Submit),
        Instant::now(),
    );
    let e = palette(&mut app, "save webs");
    assert!(
        matches!(e.last(), Some(Effect::Shell(ShellJob::SaveUserState(json))) if json.contains("\"webs\"") && json.contains("web-17"))
    );
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::Back);
    assert_eq!(app.fleet.filter, "");
    palette(&mut app, "filter webs");
    assert_eq!(app.fleet.filter, "web-17");
    assert_eq!(app.fleet.view.len(), 1);
    // :ops with a filter reloads OpsCenter with it, server-side.
    let e = palette(&mut app, "ops sev:1");
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(app.ops.filter, "sev:1");
    assert!(e.iter().any(
        |e| matches!(e, Effect::OpsCenter(OpsJob::List { filters, .. }) if filters.len() == 1)
    ));
    // Errors say what to type.
    palette(&mut app, "filter nope");
    assert!(
        app.command_error
            .as_deref()
            .unwrap()
            .contains("no saved filter 'nope': webs")
    );
    palette(&mut app, "region mars-1");
    assert!(
        app.command_error
            .as_deref()
            .unwrap()
            .contains("not a region name")
    );
    // The state survives a restart.
    let json = serde_json::to_string(&app.user).unwrap();
    let mut fresh = self::app();
    fresh.load_user_state(&json);
    assert_eq!(fresh.user, app.user);
}

#[test]
fn a_context_switch_reloads_every_pane() {
    let mut app = app();
    let e = palette(&mut app, "region eu-west-1");
    assert_eq!(
        e,
        [Effect::SwitchContext {
            profile: None,
            region: Some("eu-west-1".into())
        }]
    );
    let e = app.update(
        Action::ContextSwitched(Ok(ContextInfo {
            region: "eu-west-1".into(),
            ..ContextInfo::default()
        })),
        Instant::now(),
    );
    assert_eq!(app.context.region, "eu-west-1");
    assert!(
        app.fleet.nodes.is_empty(),
        "the old account's nodes are gone"
    );
    assert!(e.contains(&Effect::Shell(ShellJob::Identity)));
    assert!(
        e.iter()
            .any(|e| matches!(e, Effect::Fleet(FleetJob::Load { .. })))
    );
    let e = app.update(
        Action::ContextSwitched(Err("profile nope: not in ~/.aws/config".into())),
        Instant::now(),
    );
    assert!(e.is_empty());
    assert!(app.notices.last().unwrap().0.contains("not switched"));
    assert!(
        app.notices
            .last()
            .unwrap()
            .0
            .contains("still on profile default, region eu-west-1")
    );
}

#[test]
fn jumps_from_an_opsitem_push_a_route_and_esc_returns_to_it() {
    let mut app = app();
    let node = app.fleet.nodes[7].id.clone();
    let mut item = OpsItem {
        id: "oi-000000000007".into(),
        status: "Open".into(),
        ..OpsItem::default()
    };
    item.operational_data.insert(
        "/aws/resources".into(),
        ssmdeck::model::OpsData {
            value: format!(r#"[{{"arn":"arn:aws:ec2:us-east-1:123456789012:instance/{node}"}}]"#),
            searchable: false,
        },
    );
    cmd(&mut app, Command::NextPane);
    cmd(&mut app, Command::NextPane);
    cmd(&mut app, Command::NextPane);
    assert_eq!(app.pane, Pane::OpsCenter);
    let generation = app.ops.generation;
    app.update(
        Action::Ops(OpsCenterEvent::Page {
            ctx: Default::default(),
            generation,
            result: Ok(vec![item]),
            done: true,
        }),
        Instant::now(),
    );
    app.settle();
    cmd(&mut app, Command::OpenDetails);
    assert!(app.ops.detail.is_some());
    // f: the node in Fleet, its details open.
    cmd(&mut app, Command::JumpToNode);
    assert_eq!(app.pane, Pane::Fleet);
    assert!(app.fleet.details);
    assert_eq!(app.fleet.current().unwrap().id, node);
    assert_eq!(app.back.last(), Some(&Pane::OpsCenter));
    // One Esc closes what the jump opened and returns to the OpsItem.
    cmd(&mut app, Command::Back);
    assert!(!app.fleet.details);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(
        app.ops.detail.as_ref().map(|d| d.id.as_str()),
        Some("oi-000000000007")
    );
    // O from Fleet pushes a route too.
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::PrevPane);
    while app.pane != Pane::Fleet {
        cmd(&mut app, Command::PrevPane);
    }
    let before = app.back.len();
    cmd(&mut app, Command::NodeOpsItems);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(
        app.back.last(),
        Some(&Pane::Fleet),
        "{:?} (was {before})",
        app.back
    );
    // Esc clears the node: filter first, then returns.
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert!(!app.ops.filter.contains("node:"), "{}", app.ops.filter);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Fleet);
}

#[test]
fn a_jump_from_an_opsitem_keeps_the_fleet_filter_and_selection() {
    let mut app = app();
    // The user's own Fleet state: a filter that hides web-07, a selection.
    app.fleet.set_filter("web-1".into());
    app.fleet.selected.insert("i-00000000000000003".into());
    app.settle();
    let node = app.fleet.nodes[7].id.clone();
    assert!(
        app.fleet
            .view
            .iter()
            .all(|i| app.fleet.nodes[*i].id != node)
    );
    list_opsitem_about(&mut app, &node, "oi-000000000008");
    cmd(&mut app, Command::JumpToNode);
    assert_eq!(app.pane, Pane::Fleet);
    assert_eq!(app.fleet.current().map(|n| n.id.clone()), Some(node));
    // Run Command from the OpsItem targets its node without touching the
    // Fleet selection.
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(app.fleet.filter, "web-1", "the filter came back");
    cmd(&mut app, Command::RunCommand);
    assert_eq!(app.pane, Pane::Commands);
    let compose = app.commands.compose.as_ref().expect("the composer is open");
    assert_eq!(compose.origin, "OpsItem oi-000000000008");
    assert_eq!(compose.nodes, vec![app.fleet.nodes[7].id.clone()]);
    assert_eq!(
        app.fleet.selected.iter().collect::<Vec<_>>(),
        ["i-00000000000000003"],
        "the Fleet selection is the user's"
    );
}

#[test]
fn every_filter_has_one_rule_and_a_movable_cursor() {
    use ssmdeck::action::InputKey;
    let mut app = app();
    let key = |app: &mut App, k: InputKey| {
        app.update(Action::Input(k), Instant::now());
        app.settle();
    };
    let text_of = |app: &App| -> String {
        match app.pane {
            Pane::Fleet => app.fleet.filter.clone(),
            Pane::Parameters => app.params.search.clone().unwrap_or_default(),
            Pane::OpsCenter => app.ops.filter.clone(),
            other => panic!("no filter test for {other:?}"),
        }
    };
    for pane in [Pane::Fleet, Pane::Parameters, Pane::OpsCenter] {
        while app.pane != pane {
            cmd(&mut app, Command::NextPane);
        }
        let start = text_of(&app);
        cmd(&mut app, Command::Filter);
        assert_eq!(app.mode(), Mode::Filter, "{pane:?}");
        key(&mut app, InputKey::Clear);
        for c in "ab".chars() {
            key(&mut app, InputKey::Char(c));
        }
        // Left, then a character lands between a and b; Home, End, Delete.
        key(&mut app, InputKey::Left);
        key(&mut app, InputKey::Char('X'));
        assert_eq!(text_of(&app), "aXb", "{pane:?}");
        key(&mut app, InputKey::Home);
        key(&mut app, InputKey::Delete);
        key(&mut app, InputKey::End);
        key(&mut app, InputKey::Char('c'));
        assert_eq!(text_of(&app), "Xbc", "{pane:?}");
        // Tab keeps the filter and gives the keys back to the list, as Enter does.
        key(&mut app, InputKey::Complete);
        assert_eq!(app.mode(), Mode::Normal, "{pane:?}: Tab leaves the input");
        assert_eq!(text_of(&app), "Xbc", "{pane:?}: Tab keeps the filter");
        // Esc restores the filter as it was when the input opened.
        cmd(&mut app, Command::Filter);
        key(&mut app, InputKey::DeleteWord);
        key(&mut app, InputKey::Char('z'));
        assert_eq!(text_of(&app), "z", "{pane:?}");
        key(&mut app, InputKey::Cancel);
        assert_eq!(app.mode(), Mode::Normal);
        assert_eq!(text_of(&app), "Xbc", "{pane:?}: Esc restores");
        assert_ne!(start, "Xbc");
    }
}

#[test]
fn form_fields_have_a_movable_cursor() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app();
    // The OpsItem form: the title field.
    while app.pane != Pane::OpsCenter {
        cmd(&mut app, Command::NextPane);
    }
    cmd(&mut app, Command::Create);
    assert_eq!(app.mode(), Mode::Editor);
    typed(&mut app, "Dsk full");
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Right);
    typed(&mut app, "i");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.ops.form.as_ref().unwrap().title, "Disk ful");
    app.update(
        Action::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)),
        Instant::now(),
    );
    assert_eq!(app.ops.form.as_ref().unwrap().title, "Disk ");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    // The parameter editor: the name field of a new parameter.
    app.ops.form = None;
    while app.pane != Pane::Parameters {
        cmd(&mut app, Command::NextPane);
    }
    cmd(&mut app, Command::Create);
    assert_eq!(app.mode(), Mode::Editor);
    let before = app.params.editor.as_ref().unwrap().name.clone();
    typed(&mut app, "ac");
    key(&mut app, KeyCode::Left);
    typed(&mut app, "b");
    assert_eq!(
        app.params.editor.as_ref().unwrap().name,
        format!("{before}abc")
    );
}

fn screen(app: &App) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let settings = ssmdeck::config::Settings::load(None);
    let cx = ssmdeck::ui::RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now: Instant::now() + std::time::Duration::from_secs(60),
    };
    let mut t = Terminal::new(TestBackend::new(140, 30)).unwrap();
    t.draw(|f| ssmdeck::ui::render(f, app, &cx)).unwrap();
    let b = t.backend().buffer().clone();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_failed_write_stays_until_acknowledged_and_messages_keep_every_notice() {
    let mut app = app();
    app.update(
        Action::Notice("throttled: retrying".into(), Instant::now()),
        Instant::now(),
    );
    app.update(
        Action::WriteFailed("ssm:DeleteParameter /x: error: ParameterNotFound".into()),
        Instant::now(),
    );
    // A minute later (notices last 5 s) the failure is still on screen.
    let s = screen(&app);
    let bottom = s.lines().last().unwrap();
    assert!(
        bottom.contains("ssm:DeleteParameter /x: error: ParameterNotFound"),
        "{s}"
    );
    // A key that acts also acknowledges it; Esc only acknowledges.
    cmd(&mut app, Command::Back);
    assert!(app.write_failure.is_none());
    assert_eq!(app.pane, Pane::Fleet);
    // :messages lists both, newest first, and Esc closes it.
    palette(&mut app, "messages");
    assert_eq!(app.mode(), Mode::Messages);
    let s = screen(&app);
    let failed = s.find("ParameterNotFound").expect("the failure is listed");
    let throttled = s.find("throttled: retrying").expect("the notice is listed");
    assert!(failed < throttled, "newest first:\n{s}");
    cmd(&mut app, Command::Back);
    assert_eq!(app.mode(), Mode::Normal);
}

#[test]
fn a_context_switch_asks_before_closing_unsaved_text() {
    use crossterm::event::KeyCode;
    let mut app = app();
    // A composer with a typed command, hidden by Esc (kept, not lost).
    cmd(&mut app, Command::ToggleSelect);
    cmd(&mut app, Command::RunCommand);
    assert_eq!(app.mode(), Mode::Editor);
    for c in "uptime".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.commands.compose.is_some());
    // :region asks first, naming what would be closed.
    let e = palette(&mut app, "region eu-west-1");
    assert!(e.is_empty(), "no switch before the answer: {e:?}");
    assert_eq!(app.mode(), Mode::Confirm);
    let lines = app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains("the Run Command composer has unsaved text"),
        "{lines}"
    );
    // n: stay, with the text.
    app.update(
        Action::Input(ssmdeck::action::InputKey::Char('n')),
        Instant::now(),
    );
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.commands.compose.is_some(), "the composer is kept");
    // y: the switch goes out.
    palette(&mut app, "region eu-west-1");
    let e = app.update(
        Action::Input(ssmdeck::action::InputKey::Char('y')),
        Instant::now(),
    );
    assert_eq!(
        e,
        [Effect::SwitchContext {
            profile: None,
            region: Some("eu-west-1".into())
        }]
    );
    // Once switched, nothing stale keeps the keys: the next key goes
    // through the keymap (the layer is derived from what is open, and the
    // old context's forms are gone).
    app.update(
        Action::ContextSwitched(Ok(ContextInfo {
            region: "eu-west-1".into(),
            generation: 1,
            ..ContextInfo::default()
        })),
        Instant::now(),
    );
    assert_eq!(
        app.mode(),
        Mode::Normal,
        "no stale mode swallows the next key"
    );
    assert!(app.commands.compose.is_none());
}

#[test]
fn the_composer_fields_have_a_movable_cursor() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ssmdeck::panes::run_command::ComposeField;
    let mut app = app();
    cmd(&mut app, Command::ToggleSelect);
    cmd(&mut app, Command::RunCommand);
    assert_eq!(app.mode(), Mode::Editor);
    for _ in 0..20 {
        if app.commands.compose.as_ref().unwrap().focus == ComposeField::Comment {
            break;
        }
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(
        app.commands.compose.as_ref().unwrap().focus,
        ComposeField::Comment
    );
    key(&mut app, KeyCode::Char('u'));
    app.update(
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        Instant::now(),
    );
    for c in "rstart".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(app.commands.compose.as_ref().unwrap().comment, "restart");
}

#[test]
fn palette_enter_runs_only_what_was_asked_for_and_fills_the_line_otherwise() {
    let mut app = app();
    // A fuzzy match never runs on Enter: `:ssm` once quit the console.
    let e = palette(&mut app, "ssm");
    assert!(e.is_empty(), "{e:?}");
    assert!(!app.quit);
    assert_eq!(app.mode(), Mode::CommandLine, "the line stays open");
    assert_ne!(app.command_line, "ssm", "it shows the best candidate");
    let shown = app.command_line.clone();
    assert!(
        matches!(app.palette_enter(), ssmdeck::app::palette::PaletteEnter::Run(l) if l == shown),
        "a second Enter runs what is shown"
    );
    app.update(
        Action::Input(ssmdeck::action::InputKey::Cancel),
        Instant::now(),
    );
    // A unique prefix of a command runs: `:qu` is :quit (nothing open: at once).
    palette(&mut app, "fle");
    assert_eq!(app.pane, Pane::Fleet);
    assert_eq!(app.mode(), Mode::Normal);
    // :node with a name that is not exact fills in the best node first.
    palette(&mut app, "node web-1");
    assert_eq!(app.mode(), Mode::CommandLine);
    assert!(
        app.command_line.starts_with("node web-1"),
        "{}",
        app.command_line
    );
    app.update(
        Action::Input(ssmdeck::action::InputKey::Submit),
        Instant::now(),
    );
    assert_eq!(app.mode(), Mode::Normal, "the second Enter ran it");
    // An exact node name runs at once.
    palette(&mut app, "node web-07");
    assert_eq!(app.mode(), Mode::Normal);
    assert_eq!(app.fleet.current().map(|n| n.name.as_str()), Some("web-07"));
    palette(&mut app, "qu");
    assert!(app.quit, ":qu is the unique prefix of :quit");
}

#[test]
fn quit_asks_first_when_typed_text_would_be_lost() {
    use crossterm::event::KeyCode;
    let mut app = app();
    cmd(&mut app, Command::ToggleSelect);
    cmd(&mut app, Command::RunCommand);
    typed(&mut app, "uptime");
    key(&mut app, KeyCode::Esc);
    cmd(&mut app, Command::Quit);
    assert!(!app.quit);
    assert_eq!(app.mode(), Mode::Confirm);
    let lines = app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains("the Run Command composer has unsaved text"),
        "{lines}"
    );
    app.update(
        Action::Input(ssmdeck::action::InputKey::Char('y')),
        Instant::now(),
    );
    assert!(app.quit, "y quits");
}

#[test]
fn overlays_stack_and_the_key_layer_follows_the_top_one() {
    use ssmdeck::action::InputKey;
    use ssmdeck::app::{Confirm, Overlay};
    let mut app = app();
    assert_eq!(app.mode(), Mode::Normal);
    cmd(&mut app, Command::Filter);
    assert_eq!(app.mode(), Mode::Filter);
    app.open_overlay(Overlay::Confirm(Box::new(Confirm {
        title: "Quit ssmdeck?".into(),
        lines: vec![],
        effect: Effect::Quit,
        again: None,
        second: false,
    })));
    assert_eq!(app.mode(), Mode::Confirm);
    app.update(Action::Input(InputKey::Char('n')), Instant::now());
    assert_eq!(app.mode(), Mode::Filter, "n closes the confirmation only");
    assert!(!app.quit);
    app.update(Action::Input(InputKey::Cancel), Instant::now());
    assert_eq!(app.mode(), Mode::Normal);
    assert!(app.overlays.is_empty());
}

#[test]
fn confirmation_and_choice_keys_come_from_their_keymap_layers() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ssmdeck::action::InputKey;
    use ssmdeck::app::{Confirm, Overlay};
    use ssmdeck::config::Keymap;
    use ssmdeck::runtime::KeyRouter;
    let mut settings = ssmdeck::config::Settings::load(None);
    let user = r#"
[confirm]
keymap = [{ on = ["o"], run = "yes", desc = "ok" }, { on = ["y"], run = "unbind" }]
"#;
    let mut problems = Vec::new();
    settings.keymap = Keymap::load(Some(("keymap.toml", user)), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let mut app = app();
    app.open_overlay(Overlay::Confirm(Box::new(Confirm {
        title: "Quit ssmdeck?".into(),
        lines: vec![],
        effect: Effect::Quit,
        again: None,
        second: false,
    })));
    let press = |app: &App, c: KeyCode| {
        let a = KeyRouter::new().route(app, &settings, KeyEvent::new(c, KeyModifiers::NONE));
        format!("{a:?}")
    };
    assert_eq!(press(&app, KeyCode::Char('y')), "None", "y is unbound here");
    let submit = format!("{:?}", Some(Action::Input(InputKey::Submit)));
    let cancel = format!("{:?}", Some(Action::Input(InputKey::Cancel)));
    assert_eq!(press(&app, KeyCode::Char('o')), submit);
    assert_eq!(press(&app, KeyCode::Esc), cancel);
    assert_eq!(
        press(&app, KeyCode::Char('q')),
        "None",
        "q does not quit from a dialog"
    );
}

/// Issue 13 item 1: `:params PATH` runs at once only for a level or a
/// parameter that exists by that exact name (`/prod/api` never opens
/// `/prod/api-1/…`); anything else fills the line with the candidate.
#[test]
fn params_in_the_palette_prefer_the_exact_level_or_parameter() {
    let mut app = app();
    for name in ["/prod/api/url", "/prod/api-1/allowed_hosts", "/prod/db"] {
        app.params.known.insert(
            name.into(),
            ssmdeck::model::ParameterMeta {
                name: name.into(),
                ..Default::default()
            },
        );
    }
    // A level: Enter opens it at once, and only it.
    let e = format!("{:?}", palette(&mut app, "params /prod/api"));
    assert_eq!(app.mode(), Mode::Normal, "{}", app.command_line);
    assert_eq!(app.pane, Pane::Parameters);
    assert!(e.contains("path: \"/prod/api\""), "{e}");
    assert!(!e.contains("api-1"), "{e}");
    // A parameter by its whole name: at once too.
    palette(&mut app, "params /prod/db");
    assert_eq!(app.mode(), Mode::Normal, "{}", app.command_line);
    // Neither: the line shows the candidate, nothing runs.
    let e = palette(&mut app, "params /prod/ap");
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(app.mode(), Mode::CommandLine);
    assert!(
        app.command_line.starts_with("params /prod/"),
        "{}",
        app.command_line
    );
}

/// Issue 13 item 2: an open parameter editor and OpsItem form hold text
/// too: `q` names both and quits only on `y`.
#[test]
fn quit_names_an_open_parameter_editor_and_opsitem_form() {
    let mut app = app();
    palette(&mut app, "params");
    assert_eq!(app.pane, Pane::Parameters);
    cmd(&mut app, Command::Create);
    assert!(app.params.editor.is_some(), "n opens the create form");
    app.ops.form = Some(ssmdeck::panes::opscenter::form::OpsForm::new(None));
    cmd(&mut app, Command::Quit);
    assert!(!app.quit);
    assert_eq!(app.mode(), Mode::Confirm);
    let lines = app.confirm().unwrap().lines.join("\n");
    assert!(lines.contains("the parameter editor"), "{lines}");
    assert!(lines.contains("the OpsItem form"), "{lines}");
    app.update(
        Action::Input(ssmdeck::action::InputKey::Char('n')),
        Instant::now(),
    );
    assert!(!app.quit, "n keeps the console and the text");
    assert!(app.params.editor.is_some() && app.ops.form.is_some());
}

/// Shows OpsCenter listing one Open OpsItem `id` whose
/// `/aws/resources` names EC2 instance `node`.
fn list_opsitem_about(app: &mut App, node: &str, id: &str) {
    let mut item = OpsItem {
        id: id.into(),
        status: "Open".into(),
        ..OpsItem::default()
    };
    item.operational_data.insert(
        "/aws/resources".into(),
        ssmdeck::model::OpsData {
            value: format!(r#"[{{"arn":"arn:aws:ec2:us-east-1:123456789012:instance/{node}"}}]"#),
            searchable: false,
        },
    );
    while app.pane != Pane::OpsCenter {
        cmd(app, Command::NextPane);
    }
    let generation = app.ops.generation;
    app.update(
        Action::Ops(OpsCenterEvent::Page {
            ctx: Default::default(),
            generation,
            result: Ok(vec![item]),
            done: true,
        }),
        Instant::now(),
    );
    app.settle();
}

/// The app on the OpsCenter pane with OpsItem `id` about Fleet node
/// `index` loaded and its detail open.
fn on_an_opsitem_about(index: usize, id: &str) -> App {
    let mut app = app();
    let node = app.fleet.nodes[index].id.clone();
    list_opsitem_about(&mut app, &node, id);
    cmd(&mut app, Command::OpenDetails);
    assert_eq!(app.ops.detail.as_ref().map(|d| d.id.as_str()), Some(id));
    app.back.clear();
    app
}

/// Issue 13 item 5: `T` (a shell on the OpsItem's node), `:node` and `c`
/// (Run Command from the OpsItem) each push a route, and Esc walks back to
/// the OpsItem; the composer says on screen where its targets came from.
#[test]
fn t_node_and_c_from_an_opsitem_return_to_it_on_esc() {
    // T: a shell on the node, in its own tab; Esc (the shell not typing)
    // returns to the OpsItem.
    let mut app = on_an_opsitem_about(5, "oi-0000000000a5");
    let node = app.fleet.nodes[5].id.clone();
    let effects = cmd(&mut app, Command::StartSession);
    assert_eq!(app.pane, Pane::Sessions);
    assert!(
        effects.iter().any(|e| matches!(e,
            Effect::Sessions(ssmdeck::panes::sessions::jobs::SessionsJob::Shell { target, .. })
                if *target == node)),
        "{effects:?}"
    );
    assert_eq!(app.back.last(), Some(&Pane::OpsCenter));
    cmd(&mut app, Command::TerminalUnfocus);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(
        app.ops.detail.as_ref().map(|d| d.id.as_str()),
        Some("oi-0000000000a5")
    );

    // :node NAME: the node's details in Fleet; one Esc closes them and
    // returns to the OpsItem.
    let mut app = on_an_opsitem_about(5, "oi-0000000000a5");
    app.fleet.set_filter("web-1".into());
    app.settle();
    palette(&mut app, "node web-05");
    assert_eq!(app.pane, Pane::Fleet);
    assert!(app.fleet.details);
    assert_eq!(app.fleet.current().map(|n| n.name.as_str()), Some("web-05"));
    assert_eq!(app.back.last(), Some(&Pane::OpsCenter));
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(app.fleet.filter, "web-1", "the user's Fleet filter is kept");
    assert!(app.ops.detail.is_some());

    // c: the composer on the OpsItem's node says so; Esc closes the
    // untouched composer, the next Esc returns to the OpsItem.
    let mut app = on_an_opsitem_about(5, "oi-0000000000a5");
    cmd(&mut app, Command::RunCommand);
    assert_eq!(app.pane, Pane::Commands);
    let s = screen(&app);
    assert!(s.contains("1 node from OpsItem oi-0000000000a5"), "{s}");
    assert!(
        app.fleet.selected.is_empty(),
        "the Fleet selection is untouched"
    );
    // The composer has the keys: a raw Esc closes it.
    key(&mut app, crossterm::event::KeyCode::Esc);
    app.settle();
    assert!(app.commands.compose.as_ref().is_none_or(|c| !c.shown));
    assert_eq!(app.pane, Pane::Commands);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::OpsCenter);
    assert_eq!(
        app.ops.detail.as_ref().map(|d| d.id.as_str()),
        Some("oi-0000000000a5")
    );
}

/// Issue 13 item 15: the README's sentences about the tab order ("`Tab`
/// from Parameters", "`Shift-Tab` from Sessions", "`Shift-Tab` from Fleet
/// opens the last tab, Activations") say what Tab and Shift-Tab do.
#[test]
fn the_readmes_tab_order_sentences_are_what_tab_and_shift_tab_do() {
    let readme = include_str!("../../README.md");
    let mut checked = 0;
    let mut section = None;
    for line in readme.lines() {
        if let Some(t) = line.strip_prefix("## The ") {
            section = t.strip_suffix(" pane").map(str::to_owned);
            continue;
        }
        for (phrase, next) in [
            ("`Tab` from ", Command::NextPane),
            ("`Shift-Tab` from ", Command::PrevPane),
        ] {
            for rest in line.split(phrase).skip(1) {
                let from: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == ' ')
                    .collect();
                let from = from.split(" opens").next().unwrap().trim().to_owned();
                let opens = match rest.split_once("opens the last tab, ") {
                    Some((_, name)) if rest.starts_with(&format!("{from} opens")) => name
                        .split(|c: char| !c.is_alphanumeric())
                        .next()
                        .unwrap()
                        .to_owned(),
                    _ => section
                        .clone()
                        .expect("a tab sentence inside a pane section"),
                };
                let mut app = app();
                for _ in 0..ssmdeck::app::registry::PANES.len() {
                    if app.pane.title() == from {
                        break;
                    }
                    cmd(&mut app, Command::NextPane);
                }
                assert_eq!(app.pane.title(), from, "no tab is called {from}");
                cmd(&mut app, next);
                assert_eq!(app.pane.title(), opens, "{phrase}{from} ({line})");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked, 3,
        "the README's three tab-order sentences were read"
    );
}

/// Issue 14 (account names): an account's IAM alias names it where
/// Organizations did not (an Organizations name stays), as AWS text
/// without control characters, and the one-context header shows it beside
/// the account id.
#[test]
fn an_account_alias_names_the_account_unless_organizations_did() {
    use ssmdeck::model::{CallerIdentity, ContextId, ContextLabel};
    let mut app = app();
    app.update(
        Action::IdentityLoaded(Ok(CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/me".into(),
        })),
        Instant::now(),
    );
    app.update(
        Action::AccountAlias(ContextId(0), "acme-\u{1b}[2Jprod".into()),
        Instant::now(),
    );
    let name = app.contexts[0].account_name.clone().unwrap();
    assert!(
        !name.contains('\u{1b}') && name.starts_with("acme-"),
        "{name:?}"
    );
    let top = screen(&app).lines().next().unwrap().to_owned();
    assert!(top.contains(&format!("123456789012 ({name})")), "{top}");
    // With two contexts, the second named by Organizations: its name stays.
    let labels: Vec<ContextLabel> = (0..2)
        .map(|i| ContextLabel {
            id: ContextId(i),
            region: "eu-west-1".into(),
            account_name: (i == 1).then(|| "prod-a".to_owned()),
            ..Default::default()
        })
        .collect();
    app.set_contexts(labels);
    app.update(
        Action::AccountAlias(ContextId(1), "acme-prod-a".into()),
        Instant::now(),
    );
    app.update(
        Action::AccountAlias(ContextId(0), "acme-management".into()),
        Instant::now(),
    );
    assert_eq!(app.contexts[1].account_name.as_deref(), Some("prod-a"));
    assert_eq!(
        app.contexts[0].account_name.as_deref(),
        Some("acme-management")
    );
}
