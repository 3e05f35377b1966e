//! Sessions pane state: one tab per Session Manager shell, each with its
//! own vt100 terminal (scrollback, alternate screen, application cursor
//! keys tracked by the parser), its state, bytes in and out; keys go to the
//! focused tab until the escape chord returns them to the console.

use crossterm::event::KeyEvent;

use super::jobs::{SessionsJob, SessionsMsg};
use crate::config::Layer;
use crate::keys::Command;
use crate::pane::{Cx, Handled, Pane, RenderContext, Request};
use crate::session::client::{SessionEvent, SessionInput};
use crate::session::forward::{ForwardSpec, ForwardStats};

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

/// The Sessions pane's update context.
pub type SessionsCx<'a> = Cx<'a, SessionsJob>;

/// Terminal size of the Sessions pane for a console of `size` (columns ×
/// rows): rows × columns, the body less the session bar and the borders.
pub fn terminal_size(size: (u16, u16)) -> (u16, u16) {
    (
        size.1.saturating_sub(6).max(2),
        size.0.saturating_sub(2).max(10),
    )
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

impl SessionsState {
    /// Adds a tab for `node` and shows it; returns its number. A shell tab
    /// gets a terminal of `term` rows × columns and the keys; a forward tab
    /// a token terminal (it shows its counters instead).
    fn open_tab(
        &mut self,
        node: &str,
        name: &str,
        forward: Option<ForwardTab>,
        term: (u16, u16),
    ) -> usize {
        self.next_tab += 1;
        let shell = forward.is_none();
        self.tabs.push(SessionTab {
            tab: self.next_tab,
            node: node.to_owned(),
            name: name.to_owned(),
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
        self.active = self.tabs.len() - 1;
        self.focused = shell;
        self.next_tab
    }

    /// Opens a shell on `node` in a new tab and shows the pane.
    pub fn open_shell(&mut self, node: String, cx: &mut SessionsCx) {
        let (rows, cols) = terminal_size(cx.shared.size);
        let name = cx.shared.node_name(&node).to_owned();
        let tab = self.open_tab(&node, &name, None, (rows, cols));
        cx.notice(format!("opening a session on {node}…"));
        cx.request(Request::Show);
        cx.job(SessionsJob::Shell {
            tab,
            ctx: cx.shared.node_context(&node),
            target: node,
            cols,
            rows,
        });
    }

    /// Forwards a local port to `node` in a new tab and shows the pane.
    pub fn open_forward(&mut self, node: String, spec: ForwardSpec, cx: &mut SessionsCx) {
        let forward = ForwardTab {
            spec: spec.clone(),
            local_port: None,
            open: 0,
            total: 0,
        };
        let name = cx.shared.node_name(&node).to_owned();
        let tab = self.open_tab(&node, &name, Some(forward), (2, 10));
        cx.notice(format!(
            "forwarding {} through {node}…",
            spec.describe(spec.local_port)
        ));
        cx.request(Request::Show);
        cx.job(SessionsJob::Forward {
            tab,
            ctx: cx.shared.node_context(&node),
            target: node,
            spec,
        });
    }

    /// Tabs whose session is still open (not ended).
    pub fn live_tabs(&self) -> impl Iterator<Item = &SessionTab> {
        self.tabs.iter().filter(|t| t.live())
    }

    fn event(&mut self, tab: usize, ev: SessionEvent, cx: &mut SessionsCx) {
        let shown = self.current().is_some_and(|c| c.tab == tab);
        let Some(t) = self.by_tab(tab) else {
            return;
        };
        match ev {
            SessionEvent::Output(b) => {
                t.bytes_in += b.len() as u64;
                t.parser.process(&b);
            }
            SessionEvent::Handshake { .. } => {}
            SessionEvent::ConnectToPortFailed => {
                let port = t
                    .forward
                    .as_ref()
                    .map_or(String::new(), |f| format!(" {}", f.spec.remote_port));
                cx.notice(format!("{}: connection to port{port} failed", t.node));
            }
            SessionEvent::Ready | SessionEvent::Resumed => {
                if t.state == TabState::Starting {
                    cx.notice(format!("session on {} open", t.node));
                }
                t.state = TabState::Ready;
            }
            SessionEvent::Reconnecting(n) => t.state = TabState::Reconnecting(n),
            SessionEvent::Closed { reason, exit_code } => {
                let text = format!(
                    "session on {} ended: {reason}{}",
                    t.node,
                    exit_code.map_or(String::new(), |c| format!(" (exit {c})"))
                );
                t.state = TabState::Closed { reason, exit_code };
                if shown {
                    self.focused = false;
                }
                cx.notice(text);
            }
        }
    }

    fn forward_stats(&mut self, tab: usize, st: ForwardStats) {
        if let Some(t) = self.by_tab(tab) {
            t.bytes_in = st.bytes_in;
            t.bytes_out = st.bytes_out;
            if let Some(f) = t.forward.as_mut() {
                f.open = st.open;
                f.total = st.total;
            }
        }
    }

    /// While rows are chosen, moving extends the choice; Esc drops it.
    /// `Some` when the command was about the choice.
    fn choice_command(&mut self, c: Command, screen_rows: u16) -> Option<Handled> {
        let t = self.tabs.get_mut(self.active)?;
        let (anchor, cursor) = t.selection?;
        match c {
            Command::SelectNext => {
                t.selection = Some((anchor, (cursor + 1).min(screen_rows.saturating_sub(1))));
            }
            Command::SelectPrev => t.selection = Some((anchor, cursor.saturating_sub(1))),
            Command::Back | Command::ToggleSelect => t.selection = None,
            _ => return None,
        }
        Some(Handled::Yes)
    }

    /// The chosen rows (or the text on screen) to the clipboard.
    fn copy(&mut self, cx: &mut SessionsCx) {
        let Some(t) = self.tabs.get_mut(self.active) else {
            return;
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
        cx.notice(format!("copied {lines} lines of the terminal (OSC 52)"));
        cx.request(Request::Clipboard(text));
    }

    fn ask_terminate(&self, cx: &mut SessionsCx) {
        let Some(t) = self.current().filter(|t| t.live()) else {
            return;
        };
        let what = t.session_id.clone().unwrap_or_else(|| "(starting)".into());
        let where_ = cx.shared.where_;
        cx.request(Request::Confirm {
            title: "Terminate session".into(),
            lines: vec![
                format!("Terminate session {what} on {} {}?", t.node, t.name),
                format!("TerminateSession in {where_}. The shell and what runs in it end."),
            ],
            yes: SessionsJob::Input {
                tab: t.tab,
                input: SessionInput::Terminate,
            },
        });
    }

    fn close_tab(&mut self, cx: &mut SessionsCx) {
        let Some(t) = self.current() else {
            return;
        };
        if t.live() {
            cx.notice(
                "the session is still live: x terminates it first (asks), then d closes the tab",
            );
            return;
        }
        self.tabs.remove(self.active);
        self.active = self.active.min(self.tabs.len().saturating_sub(1));
    }

    fn scroll(&mut self, up: bool, rows: usize) {
        if let Some(t) = self.tabs.get_mut(self.active) {
            let half = (rows / 2).max(1);
            t.scroll = if up {
                (t.scroll + half).min(SCROLLBACK)
            } else {
                t.scroll.saturating_sub(half)
            };
            t.parser.screen_mut().set_scrollback(t.scroll);
            t.scroll = t.parser.screen().scrollback();
        }
    }

    fn focus(&mut self, cx: &mut SessionsCx) {
        if self.current().is_some_and(|t| t.forward.is_some()) {
            return;
        }
        if self.current().is_some_and(SessionTab::live) {
            self.focused = true;
        } else if self.current().is_some() {
            cx.notice("this session has ended: d closes the tab");
        }
    }
}

impl Pane for SessionsState {
    type Msg = SessionsMsg;
    type Job = SessionsJob;
    type Ask = std::convert::Infallible;

    fn switch_context(&mut self) {
        // Live shells and port forwards keep running on their own context.
    }

    fn title(&self) -> &'static str {
        "Sessions"
    }

    fn layer(&self) -> Layer {
        Layer::Sessions
    }

    fn command(&mut self, c: Command, cx: &mut SessionsCx) -> Handled {
        let rows = terminal_size(cx.shared.size).0;
        if let Some(h) = self.choice_command(c, rows) {
            return h;
        }
        let n = self.tabs.len();
        match c {
            Command::ToggleSelect => {
                if let Some(t) = self.tabs.get_mut(self.active) {
                    // Start at the cursor's row (or the bottom when scrolled back).
                    let row = if t.scroll > 0 {
                        rows.saturating_sub(1)
                    } else {
                        t.parser.screen().cursor_position().0
                    };
                    t.selection = Some((row, row));
                }
            }
            Command::NextTab if n > 0 => self.active = (self.active + 1) % n,
            Command::PrevTab if n > 0 => self.active = (self.active + n - 1) % n,
            Command::OpenDetails | Command::TerminalFocus => self.focus(cx),
            Command::TerminalUnfocus => self.focused = false,
            Command::PageUp | Command::PageDown => {
                self.scroll(c == Command::PageUp, usize::from(rows));
            }
            Command::TerminateSession => self.ask_terminate(cx),
            Command::CopyName | Command::CopyValue => self.copy(cx),
            Command::CloseSession => self.close_tab(cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn wants_keys(&self) -> bool {
        self.focused
    }

    /// A key while the shown tab has the focus: to the shell.
    fn key(&mut self, k: KeyEvent, cx: &mut SessionsCx) -> Handled {
        let Some(t) = self.tabs.get_mut(self.active) else {
            self.focused = false;
            return Handled::No;
        };
        if !t.live() {
            self.focused = false;
            return Handled::No;
        }
        let Some(bytes) =
            crate::session::keys::key_bytes(k, t.parser.screen().application_cursor())
        else {
            return Handled::Yes;
        };
        t.bytes_out += bytes.len() as u64;
        t.scroll = 0;
        t.parser.screen_mut().set_scrollback(0);
        cx.job(SessionsJob::Input {
            tab: t.tab,
            input: SessionInput::Keys(bytes),
        });
        Handled::Yes
    }

    /// Pasted text while the shown tab has the focus.
    fn paste(&mut self, text: &str, cx: &mut SessionsCx) -> Handled {
        let Some(t) = self.tabs.get_mut(self.active).filter(|t| t.live()) else {
            return Handled::No;
        };
        let bytes = crate::session::keys::paste_bytes(text, t.parser.screen().bracketed_paste());
        t.bytes_out += bytes.len() as u64;
        cx.job(SessionsJob::Input {
            tab: t.tab,
            input: SessionInput::Keys(bytes),
        });
        Handled::Yes
    }

    fn message(&mut self, m: SessionsMsg, cx: &mut SessionsCx) {
        match m {
            SessionsMsg::Event(tab, ev) => self.event(tab, ev, cx),
            SessionsMsg::Started(tab, id) => {
                if let Some(t) = self.by_tab(tab) {
                    t.session_id = Some(id);
                }
            }
            SessionsMsg::Stats(tab, st) => self.forward_stats(tab, st),
            SessionsMsg::Listening(tab, port) => {
                if let Some(f) = self.by_tab(tab).and_then(|t| t.forward.as_mut()) {
                    f.local_port = Some(port);
                }
            }
        }
    }

    /// Every terminal follows the new size, and every live shell is told
    /// (Size message).
    fn resized(&mut self, cx: &mut SessionsCx) {
        let (rows, cols) = terminal_size(cx.shared.size);
        for t in &mut self.tabs {
            t.parser.screen_mut().set_size(rows, cols);
            if t.live() {
                cx.job(SessionsJob::Input {
                    tab: t.tab,
                    input: SessionInput::Resize(cols, rows),
                });
            }
        }
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        &[
            (Command::Help, "help"),
            (Command::TerminalFocus, "type in the shell"),
            (Command::NextTab, "next tab"),
            (Command::PageUp, "scroll back"),
            (Command::TerminateSession, "terminate"),
            (Command::CloseSession, "close tab"),
            (Command::NextPane, "next pane"),
        ]
    }

    fn crumb(&self) -> Option<String> {
        self.current().map(|t| {
            if t.name.is_empty() {
                t.node.clone()
            } else {
                t.name.clone()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    //! Pure tests of the pane alone: state and messages in, state, jobs and
    //! requests out; the view drawn into the pane's own area.
    use std::time::Instant;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::config::Settings;
    use crate::model::ManagedNode;
    use crate::pane::Shared;

    fn nodes() -> Vec<ManagedNode> {
        vec![ManagedNode {
            id: "i-0123456789abcdef0".into(),
            name: "web-01".into(),
            ..ManagedNode::default()
        }]
    }

    /// Runs `f` with a context of a 100×30 console; returns its output.
    fn with<R>(
        p: &mut SessionsState,
        f: impl FnOnce(&mut SessionsState, &mut SessionsCx) -> R,
    ) -> (
        R,
        Vec<SessionsJob>,
        Vec<Request<SessionsJob, std::convert::Infallible>>,
    ) {
        let nodes = nodes();
        let shared = Shared {
            size: (100, 30),
            where_: "account 1, region r",
            nodes: &nodes,
            selected: &std::collections::HashSet::new(),
            page_rows: 24,
            ..Shared::default()
        };
        crate::panes::harness::run(p, shared, Instant::now(), f)
    }

    fn opened() -> SessionsState {
        let mut p = SessionsState::default();
        let (_, jobs, requests) = with(&mut p, |p, cx| {
            p.open_shell("i-0123456789abcdef0".into(), cx)
        });
        assert_eq!(
            jobs,
            [SessionsJob::Shell {
                tab: 1,
                target: "i-0123456789abcdef0".into(),
                ctx: Default::default(),
                cols: 98,
                rows: 24,
            }]
        );
        assert!(requests.contains(&Request::Show));
        p
    }

    #[test]
    fn a_shell_opens_with_the_pane_size_and_the_keys() {
        let p = opened();
        assert!(p.wants_keys());
        let t = p.current().unwrap();
        assert_eq!((t.name.as_str(), &t.state), ("web-01", &TabState::Starting));
        assert_eq!(p.crumb().as_deref(), Some("web-01"));
    }

    /// The footer's "opening a session…" gives way once the shell is
    /// ready; a resume after a drop says nothing new.
    #[test]
    fn a_shell_that_opens_says_so_once() {
        let mut p = opened();
        let ready =
            |p: &mut SessionsState, ev| with(p, |p, cx| p.message(SessionsMsg::Event(1, ev), cx)).2;
        assert_eq!(
            ready(&mut p, SessionEvent::Ready),
            [Request::Notice(
                "session on i-0123456789abcdef0 open".into()
            )]
        );
        assert_eq!(p.current().unwrap().state, TabState::Ready);
        ready(&mut p, SessionEvent::Reconnecting(1));
        assert!(ready(&mut p, SessionEvent::Resumed).is_empty());
    }

    #[test]
    fn keys_go_to_a_live_shell_only() {
        let mut p = opened();
        let k = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::NONE);
        let (h, jobs, _) = with(&mut p, |p, cx| p.key(k, cx));
        assert_eq!(h, Handled::Yes);
        assert_eq!(
            jobs,
            [SessionsJob::Input {
                tab: 1,
                input: SessionInput::Keys(b"l".to_vec()),
            }]
        );
        let closed = SessionsMsg::Event(
            1,
            SessionEvent::Closed {
                reason: "exited".into(),
                exit_code: Some(3),
            },
        );
        let (_, _, requests) = with(&mut p, |p, cx| p.message(closed, cx));
        assert!(!p.wants_keys(), "an ended shell gives the keys back");
        assert_eq!(
            requests,
            [Request::Notice(
                "session on i-0123456789abcdef0 ended: exited (exit 3)".into()
            )]
        );
        let (h, jobs, _) = with(&mut p, |p, cx| p.key(k, cx));
        assert_eq!((h, jobs.len()), (Handled::No, 0));
    }

    #[test]
    fn a_shell_that_ends_without_an_exit_code_says_ended_and_no_code() {
        // Against AWS an ordinary shell's agent sends no exit-code frame.
        let mut p = opened();
        let closed = SessionsMsg::Event(
            1,
            SessionEvent::Closed {
                reason: "Exiting session with sessionId: s-1.".into(),
                exit_code: None,
            },
        );
        let (_, _, requests) = with(&mut p, |p, cx| p.message(closed, cx));
        assert_eq!(
            requests,
            [Request::Notice(
                "session on i-0123456789abcdef0 ended: Exiting session with sessionId: s-1.".into()
            )]
        );
        assert_eq!(
            p.tabs[0].state,
            TabState::Closed {
                reason: "Exiting session with sessionId: s-1.".into(),
                exit_code: None
            }
        );
        assert_eq!(super::super::view::state_text(&p.tabs[0]).0, "ended");
    }

    #[test]
    fn a_refused_destination_port_is_named_in_a_notice() {
        let mut p = opened();
        p.tabs[0].forward = Some(ForwardTab {
            spec: ForwardSpec::parse("8080:5432").unwrap(),
            local_port: Some(8080),
            open: 0,
            total: 0,
        });
        let ev = SessionsMsg::Event(1, SessionEvent::ConnectToPortFailed);
        let (_, _, requests) = with(&mut p, |p, cx| p.message(ev, cx));
        assert_eq!(
            requests,
            [Request::Notice(
                "i-0123456789abcdef0: connection to port 5432 failed".into()
            )]
        );
        assert!(p.tabs[0].live(), "the forward stays open");
    }

    #[test]
    fn esc_drops_a_choice_and_otherwise_bubbles() {
        let mut p = opened();
        p.focused = false;
        with(&mut p, |p, cx| p.command(Command::ToggleSelect, cx));
        assert!(p.current().unwrap().selection.is_some());
        let (h, _, _) = with(&mut p, |p, cx| p.command(Command::Back, cx));
        assert_eq!(h, Handled::Yes);
        assert!(p.current().unwrap().selection.is_none());
        let (h, _, _) = with(&mut p, |p, cx| p.command(Command::Back, cx));
        assert_eq!(
            h,
            Handled::No,
            "nothing left to close: the shell walks back"
        );
    }

    #[test]
    fn terminate_asks_first_naming_the_session_and_where() {
        let mut p = opened();
        with(&mut p, |p, cx| {
            p.message(SessionsMsg::Started(1, "s-1".into()), cx);
        });
        let (_, jobs, requests) = with(&mut p, |p, cx| p.command(Command::TerminateSession, cx));
        assert!(jobs.is_empty(), "nothing is sent before yes");
        let Some(Request::Confirm { lines, yes, .. }) = requests.first() else {
            panic!("{requests:?}");
        };
        assert!(
            lines[0].contains("s-1") && lines[0].contains("web-01"),
            "{lines:?}"
        );
        assert!(lines[1].contains("account 1, region r"), "{lines:?}");
        assert_eq!(
            yes,
            &SessionsJob::Input {
                tab: 1,
                input: SessionInput::Terminate,
            }
        );
    }

    #[test]
    fn the_view_draws_into_the_pane_area_only() {
        let mut p = opened();
        with(&mut p, |p, cx| {
            p.message(SessionsMsg::Event(1, SessionEvent::Ready), cx);
            p.message(
                SessionsMsg::Event(1, SessionEvent::Output(b"hello 42\r\n".to_vec())),
                cx,
            );
        });
        let settings = Settings::load(None);
        let rcx = RenderContext {
            theme: &settings.theme,
            keymap: &settings.keymap,
            now: Instant::now(),
        };
        let mut term = Terminal::new(TestBackend::new(100, 12)).unwrap();
        term.draw(|f| p.view(f, ratatui::layout::Rect::new(0, 0, 100, 12), &rcx))
            .unwrap();
        let b = term.backend().buffer().clone();
        let text: String = (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect();
        assert!(text.contains("web-01") && text.contains("live"), "{text}");
        assert!(text.contains("hello 42"), "{text}");
    }
}
