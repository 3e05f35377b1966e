//! Application state and the synchronous `update`: action in, state and
//! effects out. No I/O and no `.await` here.

pub mod fleet;

use std::time::{Duration, Instant};

use crate::action::{Action, Command, InputKey};
use crate::aws::AwsError;
use crate::config::Layer;
use crate::model::CallerIdentity;

pub use fleet::FleetState;

/// How long a passing notice stays on screen.
pub const NOTICE_TTL: Duration = Duration::from_secs(5);

/// Panes. Only the Fleet pane exists so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Managed nodes.
    Fleet,
}

impl Pane {
    /// Every pane, in tab order.
    pub const ALL: &'static [Pane] = &[Pane::Fleet];

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Fleet => "Fleet",
        }
    }

    /// The keymap layer for this pane.
    pub fn layer(self) -> Layer {
        match self {
            Pane::Fleet => Layer::Fleet,
        }
    }
}

/// Where keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keys go through the keymap.
    Normal,
    /// Typing the filter.
    Filter,
    /// Typing a `:` command.
    CommandLine,
    /// The help overlay is open.
    Help,
}

/// Work for the task manager; each runs as a cancellable tokio task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Load the fleet as `generation` (cancels an older load).
    LoadFleet {
        /// Generation tag for the results.
        generation: u64,
    },
    /// STS `GetCallerIdentity`.
    LoadIdentity,
}

/// The `:` commands and what they do.
pub const COMMANDS: &[(&str, &str)] = &[
    ("fleet", "show the Fleet pane"),
    ("help", "show the key bindings"),
    ("quit", "leave ssmdeck"),
    ("refresh", "reload the current pane"),
];

/// What the header shows about the AWS context.
#[derive(Debug, Clone, Default)]
pub struct ContextInfo {
    /// Profile name, if any.
    pub profile: Option<String>,
    /// Region.
    pub region: String,
    /// Endpoint when not AWS.
    pub endpoint: Option<String>,
    /// Caller identity once known.
    pub identity: Option<CallerIdentity>,
    /// Why the identity could not be read.
    pub identity_error: Option<AwsError>,
}

/// The whole console state.
#[derive(Debug)]
pub struct App {
    /// Current pane.
    pub pane: Pane,
    /// Input mode.
    pub mode: Mode,
    /// Fleet pane.
    pub fleet: FleetState,
    /// AWS context for the header.
    pub context: ContextInfo,
    /// Passing notices with their expiry.
    pub notices: Vec<(String, Instant)>,
    /// Configuration problems (shown until dismissed by a key).
    pub config_problems: Vec<String>,
    /// The `:` line.
    pub command_line: String,
    /// Result of the last `:` command, when it failed.
    pub command_error: Option<String>,
    /// Terminal size, columns × rows.
    pub size: (u16, u16),
    /// Set when the user asked to quit.
    pub quit: bool,
}

impl App {
    /// A fresh state and the effects that start the first loads.
    pub fn new(context: ContextInfo, size: (u16, u16), now: Instant) -> (App, Vec<Effect>) {
        let mut app = App {
            pane: Pane::Fleet,
            mode: Mode::Normal,
            fleet: FleetState::default(),
            context,
            notices: Vec::new(),
            config_problems: Vec::new(),
            command_line: String::new(),
            command_error: None,
            size,
            quit: false,
        };
        let generation = app.fleet.begin_load(now);
        (
            app,
            vec![Effect::LoadIdentity, Effect::LoadFleet { generation }],
        )
    }

    /// Rows of the fleet table that fit on screen (header, tabs, status line,
    /// borders and the column header taken away).
    pub fn page_rows(&self) -> usize {
        usize::from(self.size.1.saturating_sub(6)).max(1)
    }

    /// Recomputes derived views (filter, sort) after a batch of actions.
    pub fn settle(&mut self) {
        let rows = self.page_rows();
        self.fleet.settle(rows);
    }

    fn notice(&mut self, text: String, now: Instant) {
        self.notices.retain(|(t, _)| *t != text);
        self.notices.push((text, now + NOTICE_TTL));
        if self.notices.len() > 3 {
            self.notices.remove(0);
        }
    }

    fn refresh(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.context.identity.is_none() {
            effects.push(Effect::LoadIdentity);
        }
        let generation = self.fleet.begin_load(now);
        effects.push(Effect::LoadFleet { generation });
        effects
    }

    /// Applies one action; returns the effects to run. Pure: no I/O.
    pub fn update(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        match action {
            Action::Command(c) => self.command(c, now),
            Action::Input(k) => self.input(k, now),
            Action::Tick(t) => {
                self.notices.retain(|(_, until)| *until > t);
                Vec::new()
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                let rows = self.page_rows();
                self.fleet.move_by(0, rows);
                Vec::new()
            }
            Action::IdentityLoaded(Ok(id)) => {
                self.context.identity = Some(id);
                self.context.identity_error = None;
                Vec::new()
            }
            Action::IdentityLoaded(Err(e)) => {
                self.context.identity_error = Some(e);
                Vec::new()
            }
            Action::Fleet { generation, event } => {
                if let Some(text) = self.fleet.apply(generation, event, now) {
                    self.notice(text, now);
                }
                Vec::new()
            }
            Action::Notice(text, at) => {
                self.notice(text, at);
                Vec::new()
            }
            Action::ConfigProblems(p) => {
                self.config_problems = p;
                Vec::new()
            }
        }
    }

    fn command(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        let rows = self.page_rows();
        // Any command dismisses the start-up config report.
        if !self.config_problems.is_empty() && c != Command::Refresh {
            self.config_problems.clear();
        }
        if self.mode == Mode::Help {
            match c {
                Command::Help | Command::Back => self.mode = Mode::Normal,
                Command::Quit => self.mode = Mode::Normal,
                _ => {}
            }
            return Vec::new();
        }
        self.command_error = None;
        match c {
            Command::Quit => self.quit = true,
            Command::Help => self.mode = Mode::Help,
            Command::CommandLine => {
                self.command_line.clear();
                self.mode = Mode::CommandLine;
            }
            Command::Refresh => return self.refresh(now),
            Command::SelectNext => self.fleet.move_by(1, rows),
            Command::SelectPrev => self.fleet.move_by(-1, rows),
            Command::SelectFirst => self.fleet.move_to(0, rows),
            Command::SelectLast => self.fleet.move_to(usize::MAX, rows),
            Command::PageDown => self.fleet.move_by((rows / 2).max(1) as isize, rows),
            Command::PageUp => self.fleet.move_by(-((rows / 2).max(1) as isize), rows),
            Command::Filter => {
                self.fleet.filter_before = Some(self.fleet.filter.clone());
                self.mode = Mode::Filter;
            }
            Command::Back => {
                if self.fleet.details {
                    self.fleet.details = false;
                } else if !self.fleet.filter.is_empty() {
                    self.fleet.set_filter(String::new());
                }
            }
            Command::OpenDetails => self.fleet.details = !self.fleet.details,
            Command::ToggleSelect => {
                self.fleet.toggle_select();
                self.fleet.move_by(1, rows);
            }
            Command::SelectAllMatching => self.fleet.select_all_matching(),
            Command::ClearSelection => self.fleet.selected.clear(),
            Command::SortNext => self.fleet.sort_next(),
            Command::SortReverse => self.fleet.sort_reverse(),
        }
        Vec::new()
    }

    fn input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let rows = self.page_rows();
        match self.mode {
            Mode::Filter => {
                let mut text = self.fleet.filter.clone();
                match k {
                    InputKey::Char(c) => text.push(c),
                    InputKey::Backspace => {
                        text.pop();
                    }
                    InputKey::DeleteWord => delete_word(&mut text),
                    InputKey::Clear => text.clear(),
                    InputKey::Submit => {
                        self.fleet.filter_before = None;
                        self.mode = Mode::Normal;
                        return Vec::new();
                    }
                    InputKey::Cancel => {
                        text = self.fleet.filter_before.take().unwrap_or_default();
                        self.mode = Mode::Normal;
                    }
                    InputKey::Up => {
                        self.fleet.move_by(-1, rows);
                        return Vec::new();
                    }
                    InputKey::Down => {
                        self.fleet.move_by(1, rows);
                        return Vec::new();
                    }
                    InputKey::Complete => return Vec::new(),
                }
                if text != self.fleet.filter {
                    self.fleet.set_filter(text);
                }
                Vec::new()
            }
            Mode::CommandLine => {
                match k {
                    InputKey::Char(c) => self.command_line.push(c),
                    InputKey::Backspace => {
                        if self.command_line.pop().is_none() {
                            self.mode = Mode::Normal;
                        }
                    }
                    InputKey::DeleteWord => delete_word(&mut self.command_line),
                    InputKey::Clear => self.command_line.clear(),
                    InputKey::Complete => {
                        let c = completions(&self.command_line);
                        if let Some(common) = common_prefix(&c) {
                            self.command_line = common;
                        }
                    }
                    InputKey::Cancel => self.mode = Mode::Normal,
                    InputKey::Submit => {
                        self.mode = Mode::Normal;
                        let line = std::mem::take(&mut self.command_line);
                        return self.run_command_line(line.trim(), now);
                    }
                    InputKey::Up | InputKey::Down => {}
                }
                Vec::new()
            }
            Mode::Normal | Mode::Help => Vec::new(),
        }
    }

    fn run_command_line(&mut self, line: &str, now: Instant) -> Vec<Effect> {
        if line.is_empty() {
            return Vec::new();
        }
        let word = line.split_whitespace().next().unwrap_or("");
        let matches = completions(word);
        let chosen = if COMMANDS.iter().any(|(c, _)| *c == word) {
            Some(word.to_owned())
        } else if matches.len() == 1 {
            Some(matches[0].to_owned())
        } else {
            None
        };
        match chosen.as_deref() {
            Some("fleet") => {
                self.pane = Pane::Fleet;
                Vec::new()
            }
            Some("help") => {
                self.mode = Mode::Help;
                Vec::new()
            }
            Some("quit") => {
                self.quit = true;
                Vec::new()
            }
            Some("refresh") => self.refresh(now),
            _ => {
                let known: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).collect();
                self.command_error = Some(if matches.len() > 1 {
                    format!("':{word}' is ambiguous: {}", matches.join(", "))
                } else {
                    format!("unknown command ':{word}': try {}", known.join(", "))
                });
                Vec::new()
            }
        }
    }
}

/// `:` commands that start with `prefix`.
pub fn completions(prefix: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.starts_with(prefix))
        .collect()
}

fn common_prefix(words: &[&str]) -> Option<String> {
    let first = words.first()?;
    let mut len = first.len();
    for w in &words[1..] {
        len = len.min(
            first
                .chars()
                .zip(w.chars())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    Some(first[..len].to_owned())
}

fn delete_word(text: &mut String) {
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    let cut = text.rfind(' ').map_or(0, |i| i + 1);
    text.truncate(cut);
}
