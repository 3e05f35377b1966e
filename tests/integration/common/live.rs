//! A console without a terminal: real `App::update`, effects run by the
//! console's own TaskManager against a real endpoint, results fed back as
//! the event loop does, and a TestBackend to read the screen.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ssmdeck::action::{Action, Command};
use ssmdeck::app::{App, ContextInfo};
use ssmdeck::aws::AwsContext;
use ssmdeck::aws::contexts::ContextSet;
use ssmdeck::config::Settings;
use ssmdeck::runtime::TaskManager;
use ssmdeck::ui::{RenderContext, render};
use tokio::sync::mpsc;

/// Screen size of the harness, columns × rows.
pub const SIZE: (u16, u16) = (150, 40);

pub struct Live {
    pub app: App,
    pub tasks: TaskManager,
    pub rx: mpsc::UnboundedReceiver<Action>,
    pub settings: Settings,
    /// The console's data directory (exports), the test's own.
    pub data_dir: std::path::PathBuf,
}

/// A data directory of its own for each console of this test process.
fn fresh_data_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("ssmdeck-live-{}-{n}", std::process::id()))
}

impl Live {
    /// A fresh console on `ctx`, its start-up loads running.
    pub async fn start(ctx: AwsContext) -> Live {
        Self::start_set(ContextSet::single(ctx)).await
    }

    /// A fresh console across every context of `set`, its start-up loads
    /// running.
    pub async fn start_set(set: ContextSet) -> Live {
        let (tx, rx) = mpsc::unbounded_channel();
        let (app, effects) = App::new(
            ContextInfo {
                region: "us-east-1".into(),
                ..Default::default()
            },
            SIZE,
            Instant::now(),
        );
        let mut app = app;
        app.set_contexts(set.labels().to_vec());
        let data_dir = fresh_data_dir();
        let mut tasks = TaskManager::for_set(set, tx);
        tasks.set_data_dir(Some(data_dir.clone()));
        let mut live = Live {
            app,
            tasks,
            rx,
            settings: Settings::load(None),
            data_dir,
        };
        for e in effects {
            live.tasks.run(e);
        }
        live
    }

    /// Moves to `ctx` as the event loop does after a profile or region
    /// switch: the next runner (same session hub), then ContextSwitched.
    pub fn switch(&mut self, ctx: AwsContext) {
        self.tasks = self.tasks.next_context(ctx);
        let info = ContextInfo {
            region: "us-east-1".into(),
            generation: self.tasks.generation(),
            ..Default::default()
        };
        self.act(Action::ContextSwitched(Ok(info)));
    }

    /// Applies an action and runs the effects it (and the settled view) asks for.
    pub fn act(&mut self, a: Action) {
        for e in self.app.update(a, Instant::now()) {
            self.tasks.run(e);
        }
        for e in self.app.settle() {
            self.tasks.run(e);
        }
    }

    pub fn cmd(&mut self, c: Command) {
        self.act(Action::Command(c));
    }

    /// Moves to `pane` as a user does, one tab back at a time (the
    /// pane's first loads start as it shows).
    pub fn show(&mut self, pane: ssmdeck::app::Pane) {
        for _ in ssmdeck::app::Pane::all() {
            if self.app.pane == pane {
                break;
            }
            self.cmd(Command::PrevPane);
        }
        assert_eq!(self.app.pane, pane);
    }

    /// A raw key, as the editor and the composer get them.
    pub fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        self.act(Action::Key(KeyEvent::new(code, mods)));
    }

    /// Types `line` into the open prompt (its text cleared first) and
    /// Enter; panics when no prompt is open.
    pub fn answer(&mut self, line: &str) {
        assert!(self.app.prompt().is_some(), "no prompt open");
        self.act(Action::Input(ssmdeck::action::InputKey::Clear));
        for c in line.chars() {
            self.act(Action::Input(ssmdeck::action::InputKey::Char(c)));
        }
        self.act(Action::Input(ssmdeck::action::InputKey::Submit));
    }

    pub fn type_text(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// Feeds task results until `pred` holds (at most 30 s).
    pub async fn until(&mut self, what: &str, pred: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !pred(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(a)) => self.act(a),
                _ => panic!("timed out waiting for {what}; mode {:?}", self.app.mode()),
            }
        }
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.screen_at(SIZE.0, SIZE.1)
    }

    /// The screen drawn at `width` x `height` cells (the app's own size
    /// should match: [`Action::Resize`] first).
    pub fn screen_at(&self, width: u16, height: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
        let cx = RenderContext {
            theme: &self.settings.theme,
            keymap: &self.settings.keymap,
            now: Instant::now(),
        };
        t.draw(|f| render(f, &self.app, &cx)).unwrap();
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
}
