//! Sessions pane state: one tab per Session Manager shell, each with its
//! own vt100 terminal (scrollback, alternate screen, application cursor
//! keys tracked by the parser), its state, bytes in and out; keys go to the
//! focused tab until the escape chord returns them to the console.

use super::{SessionsJob, ShellJob};
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::{App, Confirm, Effect, Mode, Pane};
use crate::action::Command;
use crate::session::client::{SessionEvent, SessionInput};

/// Lines of scrollback kept per session.
pub const SCROLLBACK: usize = 5_000;

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TabState {
    /// StartSession sent, the channel opening.
    Starting,
    /// Handshake done: a live shell.
    Ready,
    /// The websocket dropped; ResumeSession attempt N.
    Reconnecting(u32),
    /// Ended: why, and the shell's exit code when known. Stays readable.
    Closed {
        /// Reason.
        reason: String,
        /// Exit code.
        exit_code: Option<i32>,
    },
}

/// One session tab.
pub struct SessionTab {
    /// Local tab number (stable while the tab exists).
    pub tab: usize,
    /// Managed node id.
    pub node: String,
    /// Node name, if known.
    pub name: String,
    /// Session id, once StartSession answered.
    pub session_id: Option<String>,
    /// State.
    pub state: TabState,
    /// When it started, `HH:MM` UTC.
    pub started: String,
    /// Bytes received from the node.
    pub bytes_in: u64,
    /// Bytes typed to the node.
    pub bytes_out: u64,
    /// The terminal.
    pub parser: vt100::Parser,
    /// Lines scrolled back (0: live).
    pub scroll: usize,
    /// A port forward rather than a shell.
    pub forward: Option<ForwardTab>,
    /// Rows chosen for copying: (anchor, cursor), rows of the shown screen.
    pub selection: Option<(u16, u16)>,
}

/// What a port forward tab shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTab {
    /// Ports and host asked for.
    pub spec: crate::session::forward::ForwardSpec,
    /// The local port listening (once bound).
    pub local_port: Option<u16>,
    /// Connections open now.
    pub open: usize,
    /// Connections so far.
    pub total: u64,
}

impl std::fmt::Debug for SessionTab {
    // Terminal contents are not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTab")
            .field("tab", &self.tab)
            .field("node", &self.node)
            .field("session_id", &self.session_id)
            .field("state", &self.state)
            .field("bytes_in", &self.bytes_in)
            .field("bytes_out", &self.bytes_out)
            .finish()
    }
}

impl SessionTab {
    /// Whether keys can go to it.
    pub fn live(&self) -> bool {
        !matches!(self.state, TabState::Closed { .. })
    }
}

/// The Sessions pane.
#[derive(Debug, Default)]
pub struct SessionsState {
    /// Tabs, in opening order.
    pub tabs: Vec<SessionTab>,
    /// Index of the shown tab.
    pub active: usize,
    /// Keys go to the shown tab's shell.
    pub focused: bool,
    next_tab: usize,
}

impl SessionsState {
    /// The shown tab.
    pub fn current(&self) -> Option<&SessionTab> {
        self.tabs.get(self.active)
    }

    fn by_tab(&mut self, tab: usize) -> Option<&mut SessionTab> {
        self.tabs.iter_mut().find(|t| t.tab == tab)
    }
}

fn wall_hhmm() -> String {
    let s = crate::model::format_epoch(crate::model::now_epoch_s());
    s.get(11..16).unwrap_or("").to_owned()
}

impl App {
    /// Terminal size of the Sessions pane, rows × columns (the body less
    /// the session bar and the borders).
    pub fn terminal_size(&self) -> (u16, u16) {
        (
            self.size.1.saturating_sub(6).max(2),
            self.size.0.saturating_sub(2).max(10),
        )
    }

    /// Adds a tab for `node` and shows it; returns its number. A shell tab
    /// gets a terminal of `term` rows × columns and the keys; a forward tab
    /// a token terminal (it shows its counters instead).
    fn open_tab(&mut self, node: &str, forward: Option<ForwardTab>, term: (u16, u16)) -> usize {
        let name = self
            .fleet
            .nodes
            .iter()
            .find(|n| n.id == node)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let s = &mut self.sessions;
        s.next_tab += 1;
        let shell = forward.is_none();
        s.tabs.push(SessionTab {
            tab: s.next_tab,
            node: node.to_owned(),
            name,
            session_id: None,
            state: TabState::Starting,
            started: wall_hhmm(),
            bytes_in: 0,
            bytes_out: 0,
            parser: vt100::Parser::new(term.0, term.1, if shell { SCROLLBACK } else { 0 }),
            scroll: 0,
            forward,
            selection: None,
        });
        s.active = s.tabs.len() - 1;
        s.focused = shell;
        s.next_tab
    }

    /// Opens a shell on `node` in a new tab.
    pub(super) fn start_session(&mut self, node: String, now: Instant) -> Vec<Effect> {
        let (rows, cols) = self.terminal_size();
        let tab = self.open_tab(&node, None, (rows, cols));
        self.notice(format!("opening a session on {node}…"), now);
        let mut effects = self.show_pane(Pane::Sessions);
        effects.push(Effect::Sessions(SessionsJob::Shell {
            tab,
            target: node,
            cols,
            rows,
        }));
        effects
    }

    /// A session task reported.
    pub(super) fn session_event(
        &mut self,
        tab: usize,
        ev: SessionEvent,
        now: Instant,
    ) -> Vec<Effect> {
        let Some(t) = self.sessions.by_tab(tab) else {
            return Vec::new();
        };
        match ev {
            SessionEvent::Output(b) => {
                t.bytes_in += b.len() as u64;
                t.parser.process(&b);
            }
            SessionEvent::Handshake { .. } => {}
            SessionEvent::Ready => t.state = TabState::Ready,
            SessionEvent::Reconnecting(n) => t.state = TabState::Reconnecting(n),
            SessionEvent::Resumed => t.state = TabState::Ready,
            SessionEvent::Closed { reason, exit_code } => {
                let text = format!(
                    "session on {} ended: {reason}{}",
                    t.node,
                    exit_code.map_or(String::new(), |c| format!(" (exit {c})"))
                );
                t.state = TabState::Closed { reason, exit_code };
                if self.sessions.current().is_some_and(|c| c.tab == tab) {
                    self.sessions.focused = false;
                }
                self.notice(text, now);
            }
        }
        Vec::new()
    }

    /// Forwards a local port to `node` in a new tab.
    pub(super) fn start_forward(
        &mut self,
        node: String,
        spec: crate::session::forward::ForwardSpec,
        now: Instant,
    ) -> Vec<Effect> {
        let forward = ForwardTab {
            spec: spec.clone(),
            local_port: None,
            open: 0,
            total: 0,
        };
        let tab = self.open_tab(&node, Some(forward), (2, 10));
        self.notice(
            format!(
                "forwarding {} through {node}…",
                spec.describe(spec.local_port)
            ),
            now,
        );
        let mut effects = self.show_pane(Pane::Sessions);
        effects.push(Effect::Sessions(SessionsJob::Forward {
            tab,
            target: node,
            spec,
        }));
        effects
    }

    /// A forward's counters changed.
    pub(super) fn forward_stats(&mut self, tab: usize, st: crate::session::forward::ForwardStats) {
        if let Some(t) = self.sessions.by_tab(tab) {
            t.bytes_in = st.bytes_in;
            t.bytes_out = st.bytes_out;
            if let Some(f) = t.forward.as_mut() {
                f.open = st.open;
                f.total = st.total;
            }
        }
    }

    /// A forward's local port is bound.
    pub(super) fn forward_listening(&mut self, tab: usize, port: u16) {
        if let Some(f) = self.sessions.by_tab(tab).and_then(|t| t.forward.as_mut()) {
            f.local_port = Some(port);
        }
    }

    /// StartSession answered with the session id.
    pub(super) fn session_started(&mut self, tab: usize, session_id: String) {
        if let Some(t) = self.sessions.by_tab(tab) {
            t.session_id = Some(session_id);
        }
    }

    /// A key while the shown tab has the focus: to the shell.
    pub(super) fn session_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let Some(t) = self.sessions.tabs.get_mut(self.sessions.active) else {
            self.sessions.focused = false;
            return Vec::new();
        };
        if !t.live() {
            self.sessions.focused = false;
            return Vec::new();
        }
        let Some(bytes) =
            crate::session::keys::key_bytes(k, t.parser.screen().application_cursor())
        else {
            return Vec::new();
        };
        t.bytes_out += bytes.len() as u64;
        t.scroll = 0;
        t.parser.screen_mut().set_scrollback(0);
        vec![Effect::Sessions(SessionsJob::Input {
            tab: t.tab,
            input: SessionInput::Keys(bytes),
        })]
    }

    /// Pasted text while the shown tab has the focus.
    pub(super) fn session_paste(&mut self, text: &str) -> Vec<Effect> {
        let Some(t) = self
            .sessions
            .tabs
            .get_mut(self.sessions.active)
            .filter(|t| t.live())
        else {
            return Vec::new();
        };
        let bytes = crate::session::keys::paste_bytes(text, t.parser.screen().bracketed_paste());
        t.bytes_out += bytes.len() as u64;
        vec![Effect::Sessions(SessionsJob::Input {
            tab: t.tab,
            input: SessionInput::Keys(bytes),
        })]
    }

    /// The pane was resized: every terminal follows, and every live shell
    /// is told (Size message).
    pub(super) fn sessions_resized(&mut self) -> Vec<Effect> {
        let (rows, cols) = self.terminal_size();
        let mut effects = Vec::new();
        for t in &mut self.sessions.tabs {
            t.parser.screen_mut().set_size(rows, cols);
            if t.live() {
                effects.push(Effect::Sessions(SessionsJob::Input {
                    tab: t.tab,
                    input: SessionInput::Resize(cols, rows),
                }));
            }
        }
        effects
    }

    pub(super) fn sessions_command(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        let rows = usize::from(self.terminal_size().0);
        let where_ = self.where_();
        let s = &mut self.sessions;
        let n = s.tabs.len();
        let screen_rows = rows as u16;
        // While rows are chosen, moving extends the choice; Esc drops it.
        if let Some(t) = s.tabs.get_mut(s.active)
            && let Some((anchor, cursor)) = t.selection
        {
            match c {
                Command::SelectNext => {
                    t.selection = Some((anchor, (cursor + 1).min(screen_rows.saturating_sub(1))));
                    return Vec::new();
                }
                Command::SelectPrev => {
                    t.selection = Some((anchor, cursor.saturating_sub(1)));
                    return Vec::new();
                }
                Command::Back | Command::ToggleSelect => {
                    t.selection = None;
                    return Vec::new();
                }
                _ => {}
            }
        }
        match c {
            Command::ToggleSelect => {
                if let Some(t) = s.tabs.get_mut(s.active) {
                    // Start at the cursor's row (or the bottom when scrolled back).
                    let row = if t.scroll > 0 {
                        screen_rows.saturating_sub(1)
                    } else {
                        t.parser.screen().cursor_position().0
                    };
                    t.selection = Some((row, row));
                }
            }
            Command::NextTab if n > 0 => s.active = (s.active + 1) % n,
            Command::PrevTab if n > 0 => s.active = (s.active + n - 1) % n,
            Command::OpenDetails | Command::TerminalFocus => {
                if s.current().is_some_and(|t| t.forward.is_some()) {
                    return Vec::new();
                }
                if s.current().is_some_and(SessionTab::live) {
                    s.focused = true;
                } else if s.current().is_some() {
                    self.notice("this session has ended: d closes the tab".into(), now);
                }
            }
            Command::PageUp | Command::PageDown => {
                if let Some(t) = s.tabs.get_mut(s.active) {
                    let half = (rows / 2).max(1);
                    t.scroll = if c == Command::PageUp {
                        (t.scroll + half).min(SCROLLBACK)
                    } else {
                        t.scroll.saturating_sub(half)
                    };
                    t.parser.screen_mut().set_scrollback(t.scroll);
                    t.scroll = t.parser.screen().scrollback();
                }
            }
            Command::TerminateSession => {
                let Some(t) = s.current().filter(|t| t.live()) else {
                    return Vec::new();
                };
                let what = t.session_id.clone().unwrap_or_else(|| "(starting)".into());
                self.confirm = Some(Confirm {
                    title: "Terminate session".into(),
                    lines: vec![
                        format!("Terminate session {what} on {} {}?", t.node, t.name),
                        format!("TerminateSession in {where_}. The shell and what runs in it end."),
                    ],
                    effect: Effect::Sessions(SessionsJob::Input {
                        tab: t.tab,
                        input: SessionInput::Terminate,
                    }),
                });
                self.mode = Mode::Confirm;
            }
            Command::CopyName | Command::CopyValue => {
                // The chosen rows, or the text on screen (scrolled back or live).
                let Some(t) = s.tabs.get_mut(s.active) else {
                    return Vec::new();
                };
                let screen = t.parser.screen();
                let chosen = t.selection.take();
                let text = match chosen {
                    // Screen rows, as highlighted (wrapped lines are several rows).
                    Some((a, b)) => {
                        let (lo, hi) = (usize::from(a.min(b)), usize::from(a.max(b)));
                        let cols = screen.size().1;
                        screen
                            .rows(0, cols)
                            .skip(lo)
                            .take(hi - lo + 1)
                            .map(|r| r.trim_end().to_owned())
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                    None => screen.contents(),
                };
                let lines = chosen.map_or_else(
                    || text.lines().count(),
                    |(a, b)| usize::from(a.abs_diff(b)) + 1,
                );
                self.notice(
                    format!("copied {lines} lines of the terminal (OSC 52)"),
                    now,
                );
                return vec![Effect::Shell(ShellJob::Clipboard(super::SecretText(text)))];
            }
            Command::CloseSession => {
                let Some(t) = s.current() else {
                    return Vec::new();
                };
                if t.live() {
                    self.notice(
                        "the session is still live: x terminates it first (asks), then d closes the tab"
                            .into(),
                        now,
                    );
                    return Vec::new();
                }
                s.tabs.remove(s.active);
                s.active = s.active.min(s.tabs.len().saturating_sub(1));
            }
            _ => {}
        }
        Vec::new()
    }
}
