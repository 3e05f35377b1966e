//! The Parameters pane driven end to end without a terminal: real `update`,
//! real effects run by the console's own TaskManager against the lab over
//! HTTP, results fed back as the event loop does.

use crate::common;
use ssmdeck::app::ShellJob;

use crate::common::live::Live;

use std::time::Instant;

use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::Mode;
use ssmdeck::app::params::{Field, TreeRow};
use ssmdeck::aws::params::{self, PutRequest};
use ssmdeck::model::ParamKind;
use ssmdeck_lab::Faults;

/// Another client's write of a String parameter, guarded by `expected_version`.
fn overwrite(name: &str, value: &str, expected_version: Option<i64>) -> PutRequest {
    PutRequest {
        name: name.into(),
        value: value.into(),
        kind: ParamKind::String,
        tier: None,
        description: None,
        key_id: None,
        data_type: None,
        tags: Vec::new(),
        expected_version,
    }
}

trait ParamsLive {
    fn focus(&mut self, field: Field);
    async fn goto(&mut self, name: &str);
}

impl ParamsLive for Live {
    /// Tabs through the editor until `field` has the focus.
    fn focus(&mut self, field: Field) {
        for _ in 0..10 {
            if self.app.params.editor.as_ref().map(|e| e.focus) == Some(field) {
                return;
            }
            self.key(KeyCode::Tab, KeyModifiers::NONE);
        }
        panic!("no field {field:?} in the editor");
    }

    /// Opens the Parameters pane and puts the cursor on `name` via search.
    async fn goto(&mut self, name: &str) {
        while self.app.pane != ssmdeck::app::Pane::Parameters {
            self.cmd(Command::NextPane);
        }
        self.until("the index", |a| a.params.index.done).await;
        self.cmd(Command::Filter);
        for c in name.chars() {
            self.act(Action::Input(InputKey::Char(c)));
        }
        self.act(Action::Input(InputKey::Submit));
        let first = self.app.params.current().map(|r| r.key().to_owned());
        assert_eq!(first.as_deref(), Some(name), "search puts {name} first");
        self.cmd(Command::OpenDetails);
        let want = name.to_owned();
        self.until(
            "the parameter in the tree with its value, every level read",
            move |a| {
                matches!(a.params.current(), Some(TreeRow::Param { name, .. }) if *name == want)
                    && a.params.values.contains_key(&want)
                    && a.params.levels_loading.is_empty()
            },
        )
        .await;
    }
}

#[tokio::test]
async fn edit_save_and_see_version_two() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    let name = "/prod/web/log_level";
    live.goto(name).await;
    let before = live.app.params.values[name].clone();
    assert_eq!(before.version, 1);

    live.cmd(Command::Edit);
    assert_eq!(live.app.mode(), Mode::Editor);
    live.key(KeyCode::Home, KeyModifiers::NONE);
    live.key(KeyCode::Char('k'), KeyModifiers::CONTROL);
    live.type_text("warn");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.until("the save", |a| a.params.editor.is_none()).await;
    live.until("version 2 on screen", |a| {
        a.params.known.get(name).is_some_and(|m| m.version == 2)
            && a.params.values.get(name).is_some_and(|v| v.version == 2)
    })
    .await;
    let s = live.screen();
    assert!(s.contains("Version         2"), "{s}");
    assert!(s.contains("saved /prod/web/log_level: version 2"), "{s}");
    let stored = params::get_value(&ctx, name, false).await.unwrap();
    assert_eq!((stored.version, stored.value.as_str()), (2, "warn"));
}

#[tokio::test]
async fn a_concurrent_write_is_refused_and_nothing_is_lost() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    let name = "/prod/web/replicas";
    live.goto(name).await;
    live.cmd(Command::Edit);
    live.key(KeyCode::Home, KeyModifiers::NONE);
    live.key(KeyCode::Char('k'), KeyModifiers::CONTROL);
    live.type_text("42");

    // Another client writes while the editor is open.
    params::put(&ctx, &overwrite(name, "7", Some(1)))
        .await
        .unwrap();

    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.until("the refusal", |a| {
        a.params
            .editor
            .as_ref()
            .is_some_and(|e| e.theirs.is_some() && !e.saving)
    })
    .await;
    let ed = live.app.params.editor.as_ref().unwrap();
    assert_eq!(ed.text(), "42", "the user's text is kept");
    assert_eq!(ed.theirs.as_ref().unwrap().value, "7");
    assert!(ed.error.as_ref().unwrap().contains("changed to version 2"));
    let s = live.screen();
    assert!(
        s.contains("yours") && s.contains("theirs: version 2"),
        "{s}"
    );
    // Nothing was overwritten.
    let stored = params::get_value(&ctx, name, false).await.unwrap();
    assert_eq!((stored.version, stored.value.as_str()), (2, "7"));

    // Saving again, having seen theirs, overwrites deliberately.
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.until("the second save", |a| a.params.editor.is_none())
        .await;
    let stored = params::get_value(&ctx, name, false).await.unwrap();
    assert_eq!((stored.version, stored.value.as_str()), (3, "42"));
}

#[tokio::test]
async fn securestring_is_masked_until_revealed_and_remasked_on_move() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let clear = params::get_value(&ctx, "/prod/web/db/password", true)
        .await
        .unwrap()
        .value;
    let mut live = Live::start(ctx).await;
    live.goto("/prod/web/db/password").await;
    let s = live.screen();
    assert!(s.contains("•••••••• (SecureString — v reveals)"), "{s}");
    assert!(!s.contains(&clear), "masked by default");
    insta::assert_snapshot!("params_tree_securestring_masked", s);
    // Copying an unrevealed SecureString is refused; its ARN is fine.
    let effects = live
        .app
        .update(Action::Command(Command::CopyValue), Instant::now());
    assert!(effects.is_empty());
    assert!(live.app.notices.last().unwrap().0.contains("reveal"));
    let effects = live
        .app
        .update(Action::Command(Command::CopyArn), Instant::now());
    assert_eq!(
        effects,
        vec![ssmdeck::app::Effect::Shell(ShellJob::Clipboard(
            ssmdeck::app::SecretText(
                "arn:aws:ssm:us-east-1:123456789012:parameter/prod/web/db/password".into()
            )
        ))]
    );

    live.cmd(Command::Reveal);
    live.until("the clear value", |a| a.params.revealed.is_some())
        .await;
    assert!(live.screen().contains(&clear));

    live.cmd(Command::SelectNext);
    assert!(
        live.app.params.revealed.is_none(),
        "moving away masks it again"
    );
    live.cmd(Command::SelectPrev);
    assert!(!live.screen().contains(&clear));
}

#[tokio::test]
async fn create_validates_before_calling_aws_and_keeps_the_text() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    live.goto("/prod/web/log_level").await;
    live.cmd(Command::Create);
    assert_eq!(live.app.mode(), Mode::Editor);
    // Name field starts with the current level.
    assert_eq!(live.app.params.editor.as_ref().unwrap().name, "/prod/web/");
    live.type_text("bad name");
    live.focus(Field::Value);
    live.type_text("value");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let ed = live.app.params.editor.as_ref().unwrap();
    assert!(
        ed.error.as_ref().unwrap().contains("contains ' '"),
        "{:?}",
        ed.error
    );
    assert_eq!(ed.text(), "value");
    assert!(!ed.saving, "nothing sent to AWS");

    // A malformed tag is named.
    live.focus(Field::Tags);
    live.type_text("Env=prod, oops");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let err = live
        .app
        .params
        .editor
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        err.contains("contains ' '"),
        "the name is checked first: {err}"
    );

    // Fix the name: now the tag is named.
    live.focus(Field::Name);
    for _ in 0.."bad name".len() {
        live.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    live.type_text("big");
    assert_eq!(
        live.app.params.editor.as_ref().unwrap().name,
        "/prod/web/big"
    );
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let err = live
        .app
        .params
        .editor
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(err.contains("tag 'oops' is not Key=Value"), "{err}");
    live.focus(Field::Tags);
    for _ in 0..", oops".len() {
        live.key(KeyCode::Backspace, KeyModifiers::NONE);
    }

    // Too big for Standard: the message offers the tier switch.
    live.app.params.editor.as_mut().unwrap().value =
        ratatui_textarea::TextArea::new(vec!["x".repeat(5_000)]);
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let err = live
        .app
        .params
        .editor
        .as_ref()
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        err.contains("Standard tier allows 4096") && err.contains("Advanced"),
        "{err}"
    );
    // Switch the tier (Space on the Tier field) and create.
    live.focus(Field::Tier);
    live.key(KeyCode::Char(' '), KeyModifiers::NONE);
    assert_eq!(live.app.params.editor.as_ref().unwrap().tier, "Advanced");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.until("the create", |a| a.params.editor.is_none())
        .await;
    let stored = params::get_value(&ctx, "/prod/web/big", false)
        .await
        .unwrap();
    assert_eq!(stored.value.len(), 5_000);
}

#[tokio::test]
async fn delete_asks_first_then_deletes() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    let name = "/prod/web/replicas";
    live.goto(name).await;
    live.cmd(Command::Delete);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let s = live.screen();
    assert!(
        s.contains("Delete /prod/web/replicas and all of its versions"),
        "{s}"
    );
    assert!(s.contains("region us-east-1"), "{s}");
    live.act(Action::Input(InputKey::Cancel));
    assert!(
        params::get_value(&ctx, name, false).await.is_ok(),
        "n keeps it"
    );
    live.cmd(Command::Delete);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the delete", |a| !a.params.known.contains_key(name))
        .await;
    let e = params::get_value(&ctx, name, false).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ParameterNotFound"));
}

#[tokio::test]
async fn history_labels_diff_and_restore() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let name = "/prod/web/config.json";
    let v1 = params::get_value(&ctx, name, false).await.unwrap().value;
    params::put(
        &ctx,
        &overwrite(name, "{\"service\":\"web\",\"timeout_ms\":9}", Some(1)),
    )
    .await
    .unwrap();
    let mut live = Live::start(ctx.clone()).await;
    live.goto(name).await;
    live.cmd(Command::History);
    live.until("the history", |a| {
        a.params
            .history
            .as_ref()
            .is_some_and(|h| h.versions.is_some())
    })
    .await;
    assert_eq!(
        live.app.params.history.as_ref().unwrap().cursor,
        1,
        "on the newest"
    );
    live.cmd(Command::Diff);
    let s = live.screen();
    assert!(s.contains("Diff v1 → v2"), "{s}");
    assert!(
        s.contains("+ {\"service\":\"web\",\"timeout_ms\":9}"),
        "{s}"
    );

    // Label version 1, via the prompt.
    live.cmd(Command::SelectPrev);
    live.cmd(Command::AddLabel);
    assert_eq!(live.app.mode(), Mode::Prompt);
    for c in "known-good".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    live.until("the label", |a| {
        a.params
            .history
            .as_ref()
            .and_then(|h| h.versions.as_ref())
            .is_some_and(|v| v[0].labels == vec!["known-good".to_string()])
    })
    .await;

    // Restore version 1 as version 3, after confirmation.
    live.cmd(Command::Restore);
    assert_eq!(live.app.mode(), Mode::Confirm);
    assert!(
        live.screen()
            .contains("Write version 1 of /prod/web/config.json as a new version 3")
    );
    live.act(Action::Input(InputKey::Submit));
    live.until("the restore", |a| {
        a.params
            .history
            .as_ref()
            .and_then(|h| h.versions.as_ref())
            .is_some_and(|v| v.len() == 3)
    })
    .await;
    let stored = params::get_value(&ctx, name, false).await.unwrap();
    assert_eq!((stored.version, stored.value), (3, v1));
}

#[tokio::test]
async fn promote_a_subtree_with_a_dry_run_then_move_it() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    live.goto("/prod/web/feature/new_checkout").await;
    live.cmd(Command::Collapse);
    assert_eq!(
        live.app
            .params
            .current()
            .map(|r| r.key().to_owned())
            .as_deref(),
        Some("/prod/web/feature")
    );

    let copy_to = |live: &mut Live, cmd: Command, dest: &str| {
        live.cmd(cmd);
        assert_eq!(live.app.mode(), Mode::Prompt);
        live.act(Action::Input(InputKey::Clear));
        for c in dest.chars() {
            live.act(Action::Input(InputKey::Char(c)));
        }
        live.act(Action::Input(InputKey::Submit));
    };

    // 1. Dry run, confirm, two parameters created.
    copy_to(&mut live, Command::CopyTree, "/qa/web/feature");
    live.until("the dry run", |a| a.mode() == Mode::Confirm)
        .await;
    let s = live.screen();
    assert!(
        s.contains(
            "Copy /prod/web/feature → /qa/web/feature: 2 to create, 0 to overwrite, 0 unchanged."
        ),
        "{s}"
    );
    assert!(s.contains("+ /qa/web/feature/dark_launch"), "{s}");
    live.act(Action::Input(InputKey::Submit));
    live.until("the copy", |a| {
        a.notices.iter().any(|(n, _)| n.starts_with("2 created"))
    })
    .await;
    for leaf in ["dark_launch", "new_checkout"] {
        let src = params::get_value(&ctx, &format!("/prod/web/feature/{leaf}"), false)
            .await
            .unwrap();
        let dst = params::get_value(&ctx, &format!("/qa/web/feature/{leaf}"), false)
            .await
            .unwrap();
        assert_eq!(src.value, dst.value);
    }

    // 2. One source changes: the dry run shows one overwrite; n cancels.
    let old = params::get_value(&ctx, "/prod/web/feature/dark_launch", false)
        .await
        .unwrap();
    let new_value = if old.value == "true" { "false" } else { "true" };
    params::put(
        &ctx,
        &overwrite(
            "/prod/web/feature/dark_launch",
            new_value,
            Some(old.version),
        ),
    )
    .await
    .unwrap();
    copy_to(&mut live, Command::CopyTree, "/qa/web/feature");
    live.until("the second dry run", |a| a.mode() == Mode::Confirm)
        .await;
    let s = live.screen();
    assert!(
        s.contains("0 to create, 1 to overwrite, 1 unchanged."),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "~ /qa/web/feature/dark_launch: {} → {new_value}",
            old.value
        )),
        "{s}"
    );
    live.act(Action::Input(InputKey::Char('n')));
    let dst = params::get_value(&ctx, "/qa/web/feature/dark_launch", false)
        .await
        .unwrap();
    assert_eq!(dst.value, old.value, "cancelled: nothing written");

    // 3. Move: copies, then deletes the sources.
    copy_to(&mut live, Command::MoveTree, "/qa2/feature");
    live.until("the move dry run", |a| a.mode() == Mode::Confirm)
        .await;
    assert!(
        live.screen()
            .contains("Then delete the sources under /prod/web/feature")
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the move", |a| {
        a.notices
            .iter()
            .any(|(n, _)| n.contains("2 sources deleted"))
    })
    .await;
    assert!(
        params::get_value(&ctx, "/qa2/feature/dark_launch", false)
            .await
            .is_ok()
    );
    let gone = params::get_value(&ctx, "/prod/web/feature/dark_launch", false)
        .await
        .unwrap_err();
    assert_eq!(gone.code.as_deref(), Some("ParameterNotFound"));
    assert!(
        !live
            .app
            .params
            .known
            .contains_key("/prod/web/feature/dark_launch")
    );
}

#[tokio::test]
async fn escape_with_unsaved_changes_asks_before_discarding() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.goto("/prod/web/log_level").await;
    // Unchanged: one Esc closes.
    live.cmd(Command::Edit);
    live.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(live.app.params.editor.is_none());
    // Changed: the first Esc warns and keeps the text, another key goes on editing.
    live.cmd(Command::Edit);
    live.type_text("!");
    live.key(KeyCode::Esc, KeyModifiers::NONE);
    let ed = live.app.params.editor.as_ref().expect("still open");
    assert!(ed.error.as_ref().unwrap().contains("Esc again discards"));
    live.type_text("?");
    let ed = live.app.params.editor.as_ref().unwrap();
    assert!(ed.text().contains("!?"), "{}", ed.text());
    assert!(!ed.discard_armed);
    // Esc twice discards.
    live.key(KeyCode::Esc, KeyModifiers::NONE);
    live.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(live.app.params.editor.is_none());
    assert_eq!(live.app.mode(), Mode::Normal);
}

/// The lab's count of the Parameter Store read calls the pane makes.
fn params_reads(lab: &ssmdeck_lab::LabHandle) -> u32 {
    let calls = lab.calls();
    [
        "ssm:DescribeParameters",
        "ssm:GetParameters",
        "ssm:GetParameter",
    ]
    .iter()
    .map(|op| calls.get(*op).copied().unwrap_or(0))
    .sum::<u64>()
    .try_into()
    .unwrap()
}

#[tokio::test]
async fn the_title_counts_every_call_the_pane_made() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    lab.reset_calls();
    let mut live = Live::start(ctx).await;
    live.goto("/prod/web/db/password").await;
    live.until("the pane's count reaches the lab's", |a| {
        a.params.calls == params_reads(&lab)
    })
    .await;
    let n = live.app.params.calls;
    assert!(
        n > live.app.params.index.pages,
        "levels and values are calls too: {n} calls, {} index pages",
        live.app.params.index.pages
    );
    let s = live.screen();
    assert!(s.contains(&format!("· {n} calls")), "{s}");
}

/// Issue 18 item 10: `Y` copied a value's raw escape bytes while the
/// screen showed them stripped. The clipboard gets what the screen shows,
/// and the notice says characters were left out.
#[tokio::test]
async fn copy_value_copies_what_the_screen_shows() {
    let lab = common::lab(4, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let name = "/copy/escapes";
    let raw = "ok\u{1b}[31mred\u{1b}[0m\u{202e}end";
    params::put(
        &ctx,
        &PutRequest {
            name: name.into(),
            value: raw.into(),
            kind: ParamKind::String,
            tier: None,
            description: None,
            key_id: None,
            data_type: None,
            tags: Vec::new(),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    let mut live = Live::start(ctx).await;
    live.goto(name).await;
    live.until("the value", |a| a.params.values.contains_key(name))
        .await;
    let shown = "ok[31mred[0mend";
    let screen = live.screen();
    assert!(screen.contains(shown), "{screen}");
    let effects = live
        .app
        .update(Action::Command(Command::CopyValue), Instant::now());
    assert_eq!(
        effects,
        vec![ssmdeck::app::Effect::Shell(ShellJob::Clipboard(
            ssmdeck::app::SecretText(shown.into())
        ))]
    );
    let notice = &live.app.notices.last().unwrap().0;
    assert!(
        notice.contains("as shown (3 control character(s) left out)"),
        "{notice}"
    );
    lab.shutdown().await;
}
