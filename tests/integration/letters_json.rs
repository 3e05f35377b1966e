//! Issue 13 item 7 end to end against the lab: sorting by a picked column
//! in one step, copying a node's id, name or IP, and the raw JSON view
//! (`y`) of a node and an OpsItem, with the letters the default keymap
//! gives them.

use std::time::Instant;

use crate::common;
use crate::common::live::Live;
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Effect, Mode, Pane, ShellJob};
use ssmdeck::config::Layer;
use ssmdeck::config::keymap::{KeySpec, Resolved};
use ssmdeck_lab::Faults;

/// The command the default keymap gives `key` in `layer`.
fn bound(live: &Live, layer: Layer, key: &str) -> Command {
    match live
        .settings
        .keymap
        .resolve(layer, &[KeySpec::parse(key).unwrap()])
    {
        Resolved::Command(c) => c,
        other => panic!("{key} in {layer:?}: {other:?}"),
    }
}

async fn loaded_fleet(live: &mut Live) {
    live.until("the fleet", |a| {
        a.fleet.loading.is_none() && !a.fleet.view.is_empty()
    })
    .await;
}

#[tokio::test]
async fn fleet_sorts_by_a_picked_column_copies_and_shows_raw_json() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    loaded_fleet(&mut live).await;

    // s: one choice of columns; picking IP sorts by IP at once.
    let s = bound(&live, Layer::Fleet, "s");
    assert_eq!(s, Command::SortBy);
    live.cmd(s);
    assert_eq!(live.app.mode(), Mode::Choose);
    let screen = live.screen();
    assert!(screen.contains("Sort the fleet by"), "{screen}");
    let ip_pick = live
        .app
        .fleet
        .columns()
        .iter()
        .position(|c| c.title() == "IP")
        .unwrap();
    let digit = char::from_digit(u32::try_from(ip_pick + 1).unwrap(), 10).unwrap();
    live.act(Action::Input(InputKey::Char(digit)));
    assert_eq!(live.app.mode(), Mode::Normal);
    live.app.settle();
    let ips: Vec<String> = live
        .app
        .fleet
        .view
        .iter()
        .map(|i| live.app.fleet.nodes[*i].ip.clone())
        .collect();
    let mut sorted = ips.clone();
    sorted.sort_by_key(|ip| ip.parse::<std::net::Ipv4Addr>().unwrap());
    assert_eq!(ips, sorted, "sorted by IP (numerically) in one step");
    assert!(live.screen().contains("sort ip ▲"), "{}", live.screen());

    // Y: copy the node's id, name or IP (OSC 52 through the shell's
    // clipboard job).
    let node = live.app.fleet.current().unwrap().clone();
    let y = bound(&live, Layer::Fleet, "Y");
    for (digit, want) in [('1', &node.id), ('2', &node.name), ('3', &node.ip)] {
        live.cmd(y);
        assert_eq!(live.app.mode(), Mode::Choose);
        let effects = live
            .app
            .update(Action::Input(InputKey::Char(digit)), Instant::now());
        assert_eq!(
            effects,
            vec![Effect::Shell(ShellJob::Clipboard(
                ssmdeck::app::SecretText(want.clone())
            ))],
            "choice {digit}"
        );
    }

    // y: the node as JSON, with its tags; j scrolls; Esc closes.
    assert_eq!(bound(&live, Layer::Fleet, "y"), Command::RawJson);
    live.cmd(Command::RawJson);
    let screen = live.screen();
    assert!(screen.contains("JSON, read-only"), "{screen}");
    assert!(
        screen.contains(&format!("\"id\": \"{}\"", node.id)),
        "{screen}"
    );
    let json = live.app.fleet.json.as_ref().unwrap();
    assert!(json.lines.iter().any(|l| l.contains("\"tags\"")));
    let (k, v) = node.tags.first().expect("the lab tags its nodes");
    let body = json.lines.join("\n");
    assert!(
        body.contains(&format!("\"Key\": \"{k}\",\n      \"Value\": \"{v}\"")),
        "tags as AWS writes them: {body}"
    );
    live.cmd(Command::SelectNext);
    assert_eq!(live.app.fleet.json.as_ref().unwrap().scroll, 1);
    live.cmd(Command::Back);
    assert!(live.app.fleet.json.is_none());
    assert!(!live.screen().contains("JSON, read-only"));
}

#[tokio::test]
async fn opscenter_letters_mean_what_they_mean_in_fleet() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    // t is a shell in both panes; s sorts by a picked column; y is JSON.
    for key in ["t", "s", "y"] {
        assert_eq!(
            bound(&live, Layer::Fleet, key),
            bound(&live, Layer::OpsCenter, key),
            "{key}"
        );
    }
    assert_eq!(bound(&live, Layer::OpsCenter, "t"), Command::StartSession);
    assert_eq!(bound(&live, Layer::OpsCenter, "m"), Command::SetStatus);

    while live.app.pane != Pane::OpsCenter {
        live.cmd(Command::NextPane);
    }
    live.until("the OpsItems", |a| !a.ops.loading && !a.ops.view.is_empty())
        .await;
    live.cmd(Command::SortBy);
    let pick = ssmdeck::app::opscenter::OpsColumn::ALL
        .iter()
        .position(|c| c.title() == "Title")
        .unwrap();
    let digit = char::from_digit(u32::try_from(pick + 1).unwrap(), 10).unwrap();
    live.act(Action::Input(InputKey::Char(digit)));
    assert_eq!(
        live.app.ops.sort.column,
        ssmdeck::app::opscenter::OpsColumn::Title
    );

    let id = live.app.ops.current().unwrap().id.clone();
    live.cmd(Command::RawJson);
    let screen = live.screen();
    assert!(
        screen.contains(&format!("{id} (OpsItem) — JSON")),
        "{screen}"
    );
    assert!(screen.contains("\"status\""), "{screen}");
    live.cmd(Command::Back);
    assert!(live.app.ops.json.is_none());
}

#[tokio::test]
async fn parameter_json_is_metadata_and_never_the_value() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let clear = ssmdeck::aws::params::get_value(&ctx, "/prod/web/db/password", true)
        .await
        .unwrap()
        .value;
    let mut live = Live::start(ctx).await;
    while live.app.pane != Pane::Parameters {
        live.cmd(Command::NextPane);
    }
    live.until("the index", |a| a.params.index.done).await;
    live.cmd(Command::Filter);
    for c in "/prod/web/db/password".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(bound(&live, Layer::Parameters, "J"), Command::RawJson);
    live.cmd(Command::RawJson);
    let json = live.app.params.json.as_ref().expect("the JSON view");
    let body = json.lines.join("\n");
    assert!(
        body.contains("\"name\": \"/prod/web/db/password\""),
        "{body}"
    );
    assert!(body.contains("\"kind\": \"SecureString\""), "{body}");
    assert!(!body.contains(&clear), "never the value: {body}");
    assert!(live.screen().contains("(metadata, no value) — JSON"));
    live.cmd(Command::Back);
    assert!(live.app.params.json.is_none());
}
