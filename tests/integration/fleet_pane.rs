//! The Fleet pane without a network: `update` tables (action in, state and
//! effects out), and TestBackend renders (insta snapshots, plus cell styles
//! where colour carries meaning). Result actions are injected as a spawned
//! task would send them.

use ssmdeck::app::{FleetJob, MaintenanceJob, ShellJob};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{App, ContextInfo, Effect, Mode};
use ssmdeck::aws::fleet::{FleetEvent, LoadStats};
use ssmdeck::aws::{AwsError, ErrorKind};
use ssmdeck::config::Settings;
use ssmdeck::model::{CallerIdentity, Ec2Details, ManagedNode, PingStatus};
use ssmdeck::ui::{RenderContext, render};

fn node(i: usize, name: &str, ping: PingStatus, env: &str) -> ManagedNode {
    let hybrid = i % 4 == 3;
    let windows = i.is_multiple_of(3);
    let id = if hybrid {
        format!("mi-{i:017x}")
    } else {
        format!("i-{i:017x}")
    };
    let mut n = ManagedNode {
        id,
        name: String::new(),
        ping_status: ping,
        // Whole half hours ago, so the ages a snapshot shows hold for a minute.
        last_ping_s: Some(ssmdeck::model::now_epoch_s() - (i as i64 * 3_600 + 1_800)),
        agent_version: format!("3.3.{}.0", 900 + i),
        agent_is_latest: Some(i.is_multiple_of(2)),
        platform_type: if windows { "Windows" } else { "Linux" }.into(),
        platform_name: if windows {
            "Microsoft Windows Server 2022 Datacenter"
        } else {
            "Ubuntu"
        }
        .into(),
        platform_version: if windows { "10.0.20348" } else { "22.04" }.into(),
        ip: format!("10.0.{i}.{}", 10 + i),
        computer_name: format!("host-{i}"),
        resource_type: if hybrid {
            "ManagedInstance"
        } else {
            "EC2Instance"
        }
        .into(),
        association_status: "Success".into(),
        ..Default::default()
    };
    let tags = vec![
        ("Name".to_string(), name.to_string()),
        ("Env".to_string(), env.to_string()),
    ];
    if hybrid {
        n.apply_tags(tags);
    } else {
        n.apply_ec2(
            Ec2Details {
                instance_type: "m6i.large".into(),
                state: if ping == PingStatus::Inactive {
                    "stopped"
                } else {
                    "running"
                }
                .into(),
                availability_zone: "us-east-1a".into(),
                private_ip: format!("10.0.{i}.{}", 10 + i),
                launch_time_s: Some(1_790_000_000),
                image_id: "ami-0123".into(),
            },
            tags,
        );
    }
    n
}

fn fleet() -> Vec<ManagedNode> {
    vec![
        node(0, "prod-web-01", PingStatus::Online, "prod"),
        node(1, "prod-web-02", PingStatus::Online, "prod"),
        node(2, "prod-db-01", PingStatus::ConnectionLost, "prod"),
        node(3, "onprem-build-01", PingStatus::Online, "dev"),
        node(4, "staging-api-01", PingStatus::Inactive, "staging"),
        node(5, "dev-worker-01", PingStatus::Online, "dev"),
    ]
}

struct Harness {
    app: App,
    now: Instant,
    settings: Settings,
}

impl Harness {
    fn new(w: u16, h: u16) -> (Harness, Vec<Effect>) {
        let now = Instant::now();
        let (app, effects) = App::new(
            ContextInfo {
                profile: Some("oncall".into()),
                region: "eu-west-1".into(),
                endpoint: Some("http://127.0.0.1:4566".into()),
                ..Default::default()
            },
            (w, h),
            now,
        );
        (
            Harness {
                app,
                now,
                settings: Settings::load(None),
            },
            effects,
        )
    }

    /// A harness with the fixture fleet loaded as generation 1.
    fn loaded(w: u16, h: u16) -> Harness {
        let (mut h, _) = Harness::new(w, h);
        h.act(Action::IdentityLoaded(Ok(CallerIdentity {
            account: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:role/oncall".into(),
        })));
        h.fleet_event(1, FleetEvent::Page(fleet()));
        h.fleet_event(
            1,
            FleetEvent::Done(LoadStats {
                nodes: 6,
                ssm_calls: 1,
                ec2_calls: 1,
                tag_calls: 1,
                patch_calls: 0,
                listing: Default::default(),
                ec2_done_ms: 200,
                elapsed_ms: 250,
            }),
        );
        h
    }

    fn act(&mut self, a: Action) -> Vec<Effect> {
        let e = self.app.update(a, self.now);
        self.app.settle();
        e
    }

    fn cmd(&mut self, c: Command) -> Vec<Effect> {
        self.act(Action::Command(c))
    }

    fn fleet_event(&mut self, generation: u64, event: FleetEvent) {
        self.act(Action::Fleet(ssmdeck::app::FleetMsg {
            generation,
            ctx: Default::default(),
            event,
        }));
    }

    fn typed(&mut self, s: &str) {
        for c in s.chars() {
            self.act(Action::Input(InputKey::Char(c)));
        }
    }

    fn buffer(&self) -> Buffer {
        let (w, h) = self.app.size;
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let cx = RenderContext {
            theme: &self.settings.theme,
            keymap: &self.settings.keymap,
            now: self.now,
        };
        t.draw(|f| render(f, &self.app, &cx)).unwrap();
        t.backend().buffer().clone()
    }

    fn screen(&self) -> String {
        let b = self.buffer();
        let mut out = String::new();
        for y in 0..b.area.height {
            let mut line = String::new();
            for x in 0..b.area.width {
                line.push_str(b[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn names(&self) -> Vec<String> {
        self.app
            .fleet
            .view
            .iter()
            .map(|i| self.app.fleet.nodes[*i].name.clone())
            .collect()
    }

    fn cursor_name(&self) -> String {
        self.app
            .fleet
            .current()
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }
}

#[test]
fn start_asks_for_identity_and_the_first_fleet_load() {
    let (h, effects) = Harness::new(120, 30);
    assert_eq!(
        effects[..2],
        [
            Effect::Shell(ShellJob::Identity),
            Effect::Fleet(FleetJob::Load { generation: 1 })
        ]
    );
    // The change calendars, for the header's freeze badge: 7 days ahead.
    let [
        _,
        _,
        Effect::Maintenance(MaintenanceJob::Calendars {
            from_s, until_s, ..
        }),
    ] = effects[..]
    else {
        panic!("the start reads the change calendars: {effects:?}");
    };
    assert_eq!(until_s - from_s, 7 * 86_400);
    assert!(h.app.fleet.loading.is_some());
    assert!(h.screen().contains("Loading managed nodes…"));
}

#[test]
fn update_table() {
    // (command sequence, expected cursor node, expected selected count)
    let cases: &[(&[Command], &str, usize)] = &[
        (&[], "dev-worker-01", 0),
        (&[Command::SelectNext], "onprem-build-01", 0),
        (&[Command::SelectLast], "staging-api-01", 0),
        (
            &[Command::SelectLast, Command::SelectNext],
            "staging-api-01",
            0,
        ),
        (
            &[Command::SelectLast, Command::SelectFirst],
            "dev-worker-01",
            0,
        ),
        (&[Command::SelectPrev], "dev-worker-01", 0),
        (&[Command::ToggleSelect], "onprem-build-01", 1),
        (
            &[
                Command::ToggleSelect,
                Command::SelectPrev,
                Command::ToggleSelect,
            ],
            "onprem-build-01",
            0,
        ),
        (&[Command::SelectAllMatching], "dev-worker-01", 6),
        (
            &[Command::SelectAllMatching, Command::ClearSelection],
            "dev-worker-01",
            0,
        ),
        (&[Command::SortReverse], "staging-api-01", 0),
        (&[Command::PageDown], "prod-web-01", 0),
    ];
    for (cmds, want_cursor, want_selected) in cases {
        let mut h = Harness::loaded(120, 12);
        for c in *cmds {
            assert!(h.cmd(*c).is_empty(), "{c:?} has no effects");
        }
        assert_eq!(h.cursor_name(), *want_cursor, "after {cmds:?}");
        assert_eq!(h.app.fleet.selected.len(), *want_selected, "after {cmds:?}");
    }
}

#[test]
fn filter_typing_narrows_and_escape_restores() {
    let mut h = Harness::loaded(120, 30);
    h.cmd(Command::Filter);
    assert_eq!(h.app.mode(), Mode::Filter);
    h.typed("prod");
    assert_eq!(h.names(), vec!["prod-db-01", "prod-web-01", "prod-web-02"]);
    h.typed(" ping:conn");
    assert_eq!(h.names(), vec!["prod-db-01"]);
    // Cancel puts back the filter from before editing (none).
    h.act(Action::Input(InputKey::Cancel));
    assert_eq!(h.app.mode(), Mode::Normal);
    assert_eq!(h.names().len(), 6);
    // Submit keeps it; Back clears it.
    h.cmd(Command::Filter);
    h.typed("tag:Env=dev");
    h.act(Action::Input(InputKey::Submit));
    assert_eq!(h.names(), vec!["dev-worker-01", "onprem-build-01"]);
    h.cmd(Command::Back);
    assert_eq!(h.names().len(), 6);
}

#[test]
fn select_all_matching_selects_only_the_filtered_set() {
    let mut h = Harness::loaded(120, 30);
    h.cmd(Command::Filter);
    h.typed("platform:windows");
    h.act(Action::Input(InputKey::Submit));
    h.cmd(Command::SelectAllMatching);
    let mut ids: Vec<_> = h.app.fleet.selected.iter().cloned().collect();
    ids.sort();
    assert_eq!(ids, vec!["i-00000000000000000", "mi-00000000000000003"]);
}

#[test]
fn refresh_keeps_the_cursor_on_the_same_node_and_drops_gone_nodes() {
    let mut h = Harness::loaded(120, 30);
    h.cmd(Command::SelectNext);
    h.cmd(Command::SelectNext);
    assert_eq!(h.cursor_name(), "prod-db-01");
    let effects = h.cmd(Command::Refresh);
    assert_eq!(
        effects,
        vec![Effect::Fleet(FleetJob::Load { generation: 2 })]
    );
    // Generation 2 no longer has onprem-build-01 and adds a node sorting first.
    let mut nodes: Vec<_> = fleet()
        .into_iter()
        .filter(|n| n.name != "onprem-build-01")
        .collect();
    nodes.push(node(9, "a-new-node", PingStatus::Online, "dev"));
    // A stale page of generation 1 is ignored.
    h.fleet_event(
        1,
        FleetEvent::Page(vec![node(8, "stale", PingStatus::Online, "dev")]),
    );
    h.fleet_event(2, FleetEvent::Page(nodes));
    assert_eq!(h.cursor_name(), "prod-db-01", "cursor follows the node");
    h.fleet_event(2, FleetEvent::Done(LoadStats::default()));
    assert_eq!(h.cursor_name(), "prod-db-01");
    assert!(!h.names().contains(&"onprem-build-01".to_string()));
    assert!(!h.names().contains(&"stale".to_string()));
    assert_eq!(h.names()[0], "a-new-node");
}

#[test]
fn command_line_completes_and_rejects_unknown_commands() {
    let mut h = Harness::loaded(120, 30);
    h.cmd(Command::CommandLine);
    h.typed("fl");
    h.act(Action::Input(InputKey::Complete));
    assert_eq!(h.app.command_line, "fleet");
    h.act(Action::Input(InputKey::Submit));
    assert_eq!(h.app.mode(), Mode::Normal);
    assert!(h.app.command_error.is_none());

    h.cmd(Command::CommandLine);
    h.typed("bogus");
    h.act(Action::Input(InputKey::Submit));
    let err = h.app.command_error.clone().unwrap();
    assert!(
        err.contains("unknown command ':bogus'") && err.contains("fleet"),
        "{err}"
    );
    assert!(h.screen().contains("unknown command ':bogus'"));

    h.cmd(Command::CommandLine);
    h.typed("ref");
    let effects = h.act(Action::Input(InputKey::Submit));
    assert_eq!(
        effects,
        vec![Effect::Fleet(FleetJob::Load { generation: 2 })]
    );

    h.cmd(Command::CommandLine);
    h.typed("quit");
    h.act(Action::Input(InputKey::Submit));
    assert!(h.app.quit);
}

#[test]
fn notices_expire_on_tick() {
    let mut h = Harness::loaded(120, 30);
    h.act(Action::Notice(
        "DescribeInstanceInformation: throttled (HTTP 400), retrying with backoff".into(),
        h.now,
    ));
    assert!(h.screen().contains("throttled (HTTP 400), retrying"));
    h.act(Action::Tick(h.now + Duration::from_secs(6)));
    assert!(h.app.notices.is_empty());
}

fn error(kind: ErrorKind, op: &str, code: Option<&str>, hint: &str) -> AwsError {
    AwsError {
        operation: op.into(),
        kind,
        code: code.map(Into::into),
        status: None,
        message: String::new(),
        hint: hint.into(),
    }
}

#[test]
fn unreachable_endpoint_shows_a_banner_with_the_retry_key() {
    let (mut h, _) = Harness::new(120, 20);
    h.fleet_event(
        1,
        FleetEvent::Failed(error(
            ErrorKind::Unreachable,
            "ssm:DescribeInstanceInformation",
            None,
            "cannot reach http://127.0.0.1:4566: Connection refused (os error 111); check the network or --endpoint-url",
        )),
    );
    let s = h.screen();
    assert!(s.contains("cannot reach http://127.0.0.1:4566"), "{s}");
    assert!(
        s.contains(" r retries │ DescribeInstanceInformation"),
        "{s}"
    );
    assert!(s.contains("Press r to retry."), "{s}");
    insta::assert_snapshot!("unreachable", s);
    // A notice still shows while the load has an error ("select nodes first").
    h.cmd(Command::RunCommand);
    let s = h.screen();
    let bottom = s.lines().last().unwrap();
    assert!(bottom.contains("select"), "the notice is hidden:\n{s}");
    let effects = h.cmd(Command::Refresh);
    assert!(effects.contains(&Effect::Fleet(FleetJob::Load { generation: 2 })));
    assert!(h.app.fleet.error.is_none());
}

#[test]
fn ec2_denied_keeps_ssm_columns_and_says_so() {
    let (mut h, _) = Harness::new(140, 14);
    let ssm_only: Vec<_> = fleet()
        .into_iter()
        .map(|mut n| {
            n.ec2 = None;
            n
        })
        .collect();
    h.fleet_event(1, FleetEvent::Page(ssm_only));
    h.fleet_event(
        1,
        FleetEvent::Ec2Unavailable(error(
            ErrorKind::AccessDenied,
            "ec2:DescribeInstances",
            Some("UnauthorizedOperation"),
            "the identity lacks ec2:DescribeInstances: grant it in the role's IAM policy",
        )),
    );
    let s = h.screen();
    assert!(s.contains("EC2 join unavailable: SSM columns only"), "{s}");
    assert!(
        s.contains("UnauthorizedOperation"),
        "the notice names the code: {s}"
    );
    assert_eq!(h.names().len(), 6);
}

/// `screen` with the wall-clock time of the last ping blanked (the
/// fixture's pings are relative to the real clock so the ages hold).
fn without_clock(screen: &str) -> String {
    const LABEL: &str = "Last ping (UTC)   ";
    let Some(at) = screen.find(LABEL).map(|i| i + LABEL.len()) else {
        return screen.to_owned();
    };
    format!("{}YYYY-MM-DD hh:mm:ss{}", &screen[..at], &screen[at + 19..])
}

#[test]
fn snapshots_of_the_pane() {
    let h = Harness::loaded(140, 14);
    insta::assert_snapshot!("loaded", h.screen());

    let mut h = Harness::loaded(140, 14);
    h.cmd(Command::Filter);
    h.typed("web");
    insta::assert_snapshot!("filtered", h.screen());

    let mut h = Harness::loaded(140, 30);
    h.cmd(Command::SelectNext);
    h.cmd(Command::OpenDetails);
    insta::assert_snapshot!("details", without_clock(&h.screen()));

    let mut h = Harness::loaded(120, 30);
    h.cmd(Command::Help);
    insta::assert_snapshot!("help", h.screen());

    let h = Harness::loaded(50, 8);
    insta::assert_snapshot!("too_small", h.screen());
}

/// Help at 80x24: scrolled to the end it lists every `:` command; `/`
/// then text keeps only the rows with it; Esc clears, then closes.
#[test]
fn help_scrolls_searches_and_lists_every_colon_command() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |h: &mut Harness, c: KeyCode| {
        h.act(Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    };
    let mut h = Harness::loaded(80, 24);
    h.cmd(Command::Help);
    let top = h.screen();
    assert!(top.contains("q / <C-c>"), "{top}");
    assert!(!top.contains(":region"), "{top}");
    key(&mut h, KeyCode::Char('G'));
    let end = h.screen();
    assert!(end.contains(":region"), "{end}");
    assert!(!end.contains("q / <C-c>"), "{end}");
    key(&mut h, KeyCode::Char('g'));
    assert!(h.screen().contains("q / <C-c>"));
    key(&mut h, KeyCode::Char('/'));
    for c in "session".chars() {
        key(&mut h, KeyCode::Char(c));
    }
    key(&mut h, KeyCode::Enter);
    let found = h.screen();
    assert!(found.contains("Open a Session Manager shell"), "{found}");
    assert!(!found.contains("Quit ssmdeck"), "{found}");
    assert!(found.contains("/session"), "{found}");
    assert_eq!(h.app.mode(), Mode::Help);
    key(&mut h, KeyCode::Esc);
    assert!(h.screen().contains("Quit ssmdeck"));
    key(&mut h, KeyCode::Esc);
    assert_eq!(h.app.mode(), Mode::Normal);
}

#[test]
fn colour_carries_meaning() {
    let h = Harness::loaded(140, 14);
    let b = h.buffer();
    let theme = &h.settings.theme;
    let find = |text: &str| -> (u16, u16) {
        // Below the header and tabs: the table.
        for y in 3..b.area.height {
            let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
            if let Some(col) = line.find(text) {
                // Column index in cells: every symbol here is one cell wide.
                let x = line[..col].chars().count() as u16;
                return (x, y);
            }
        }
        panic!("{text} not on screen");
    };
    let (x, y) = find("ConnectionLost ");
    assert_eq!(
        b[(x, y)].fg,
        theme.style("status.connection_lost").fg.unwrap(),
        "ConnectionLost is drawn in the connection_lost colour"
    );
    let (x, y) = find("Inactive ");
    assert_eq!(b[(x, y)].fg, theme.style("status.inactive").fg.unwrap());
    // The cursor row (first row) carries the cursor background.
    let (x, y) = find("dev-worker-01");
    assert_eq!(b[(x, y)].bg, theme.style("ui.cursor").bg.unwrap());
}

#[test]
fn narrow_terminals_drop_the_least_important_columns() {
    use ssmdeck::app::fleet::Column;
    use ssmdeck::panes::fleet::view::visible_columns;
    assert_eq!(visible_columns(200, 0), Column::ALL.to_vec());
    let narrow = visible_columns(70, 0);
    assert!(narrow.contains(&Column::Name) && narrow.contains(&Column::Id));
    assert!(!narrow.contains(&Column::Agent));
    assert!(narrow.len() < Column::ALL.len());
    let tiny = visible_columns(20, 0);
    assert_eq!(tiny, vec![Column::Name, Column::Id]);
    // The rendered header follows.
    let h = Harness::loaded(70, 14);
    let s = h.screen();
    assert!(s.contains("NODE ID") && !s.contains("AGENT"), "{s}");
}

#[test]
fn at_80_columns_every_tab_shows_and_the_ping_counts_shorten() {
    let h = Harness::loaded(80, 24);
    let screen = h.screen();
    let tabs = screen.lines().nth(1).unwrap();
    // Eleven short titles do not fit 80 columns: the tabs from the shown
    // one (Fleet) on show, `›` marks the hidden ones, the ping counts go.
    let titles = [
        "Fleet", "Run", "Params", "Ops", "Sessions", "Overview", "Maint", "Auto", "Docs",
    ];
    for title in titles {
        assert!(tabs.contains(title), "{title} is missing: {tabs}");
    }
    assert!(tabs.contains('›') && !tabs.contains("Compl"), "{tabs}");
    assert!(
        !tabs.contains("Online"),
        "the long form does not fit: {tabs}"
    );
    let narrow = Harness::loaded(110, 24).screen();
    let line = narrow.lines().nth(1).unwrap();
    assert!(line.contains("● ") && line.contains("Compl"), "{narrow}");
    let wide = Harness::loaded(200, 30).screen();
    assert!(wide.lines().nth(1).unwrap().contains("Online"), "{wide}");
}

/// Issue 13 item 8: at 80x24 the shown tab is always on the tabs line,
/// drawn as the active tab, whichever pane it is: walking every pane with
/// Shift-Tab (Fleet, then the last tab, Activations, down to Run Command),
/// the tabs before it give way (`‹`) rather than the shown one.
#[test]
fn at_80_columns_the_shown_tab_stays_visible_for_every_pane() {
    let mut h = Harness::loaded(80, 24);
    let panes = ssmdeck::app::registry::PANES;
    for _ in 0..panes.len() {
        h.cmd(Command::PrevPane);
        let entry = panes.iter().find(|e| e.pane == h.app.pane).unwrap();
        let b = h.buffer();
        let row: String = (0..b.area.width).map(|x| b[(x, 1)].symbol()).collect();
        let label = format!(" {} ", entry.short);
        let at = row
            .find(&label)
            .unwrap_or_else(|| panic!("{} is not on the tabs line: {row}", entry.short));
        let x = row[..at].chars().count() as u16 + 1;
        let active = h.settings.theme.style("ui.tab_active");
        assert_eq!(
            b[(x, 1)].style().bg,
            active.bg,
            "{} is shown but not drawn as the active tab: {row}",
            entry.short
        );
        assert!(active.bg.is_some(), "the active tab has a background");
        if entry.pane == panes[panes.len() - 1].pane {
            assert!(
                row.contains('‹'),
                "the hidden tabs on the left are marked: {row}"
            );
        }
    }
    assert_eq!(h.app.pane, panes[0].pane, "the walk went round");
}

/// The route after the tabs (`Fleet › Overview › NODES`) shows whole where it
/// fits (200 columns) and not at all where it does not (80): never cut
/// to `Flee`.
#[test]
fn the_route_beside_the_tabs_shows_whole_or_not_at_all() {
    for (w, h) in [(200, 50), (80, 24)] {
        let mut harness = Harness::loaded(w, h);
        harness.cmd(Command::CommandLine);
        for c in "overview".chars() {
            harness.act(Action::Input(InputKey::Char(c)));
        }
        harness.act(Action::Input(InputKey::Submit));
        assert_eq!(harness.app.breadcrumbs(), ["Fleet", "Overview", "NODES"]);
        let b = harness.buffer();
        let row: String = (0..b.area.width).map(|x| b[(x, 1)].symbol()).collect();
        if w == 200 {
            assert!(row.contains(" Fleet › Overview › NODES "), "{row}");
        } else {
            // After the hidden-tabs marker: only the short ping counts.
            let (_, after) = row.split_once('›').expect("tabs hidden at 80 columns");
            assert!(
                !after.chars().any(char::is_alphabetic),
                "a cut route: {row}"
            );
        }
    }
}

#[test]
fn a_silent_endpoint_is_named_in_the_title_while_the_load_waits() {
    let (mut h, _) = Harness::new(160, 20);
    assert!(!h.screen().contains("waiting for"), "{}", h.screen());
    h.now += Duration::from_secs(12);
    h.act(Action::Tick(h.now));
    let screen = h.screen();
    assert!(
        screen.contains("waiting for the managed node list at http://127.0.0.1:4566 (12 s)"),
        "{screen}"
    );
    h.fleet_event(1, FleetEvent::Page(fleet()));
    assert!(!h.screen().contains("waiting for"), "a page answered");
}

#[test]
fn the_patch_column_appears_once_a_state_is_known() {
    use ssmdeck::model::{Patch, PatchSummary};
    let mut h = Harness::loaded(200, 20);
    assert!(!h.screen().contains("PATCH"), "no state yet: no column");
    let ids: Vec<String> = h.app.fleet.nodes.iter().map(|n| n.id.clone()).collect();
    let bad = PatchSummary {
        missing: 3,
        critical: 1,
        security: 2,
        installed: 30,
        operation: "Scan".into(),
        ..PatchSummary::default()
    };
    h.fleet_event(
        1,
        FleetEvent::Patch {
            asked: ids.clone(),
            states: vec![(ids[0].clone(), bad.clone())],
        },
    );
    let screen = h.screen();
    assert!(screen.contains("PATCH"), "{screen}");
    assert!(screen.contains("3 missing 1 crit 2 sec"), "{screen}");
    assert!(screen.contains("never scanned"), "{screen}");
    assert_eq!(h.app.fleet.nodes[0].patch, Patch::Scanned(bad));
    h.cmd(Command::Filter);
    h.typed("patch:noncompliant");
    h.act(Action::Input(InputKey::Submit));
    assert_eq!(h.names().len(), 1, "{:?}", h.names());
}
