//! The Sessions pane: a bar with every session (node, start time, state,
//! bytes in and out) and the shown session's terminal (tui-term over the
//! vt100 screen), with the escape chord named while it has the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_term::widget::PseudoTerminal;

use super::state::{ForwardTab, SessionTab, SessionsState, TabState};
use crate::config::Layer;
use crate::keys::Command;
use crate::pane::RenderContext;
use crate::widgets::titled_block;

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1}MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1}KB", n as f64 / 1024.0),
        n => format!("{n}B"),
    }
}

/// The tab's state as the session bar shows it, and its theme token:
/// "ended" with no code when the agent sent none (a shell against AWS).
pub(crate) fn state_text(t: &SessionTab) -> (String, &'static str) {
    match &t.state {
        TabState::Starting => ("starting".into(), "status.pending"),
        TabState::Ready => ("live".into(), "status.success"),
        TabState::Reconnecting(n) => (format!("reconnecting ({n})"), "status.timed_out"),
        TabState::Closed { exit_code, .. } => (
            exit_code.map_or("ended".into(), |c| format!("ended, exit {c}")),
            "status.cancelled",
        ),
    }
}

/// Draws the pane: the session bar and the shown tab.
pub fn render(frame: &mut Frame, area: Rect, s: &SessionsState, cx: &RenderContext) {
    let t = cx.theme;
    let chord = cx
        .keymap
        .key_for(Layer::Sessions, Command::TerminalUnfocus)
        .unwrap_or_else(|| "(unbound)".into());
    if s.tabs.is_empty() {
        let start = cx
            .keymap
            .key_for(Layer::Fleet, Command::StartSession)
            .unwrap_or_else(|| ":node".into());
        frame.render_widget(
            Paragraph::new(format!(
                "No sessions. In the Fleet pane press {start} on an Online node to open a shell here (Session Manager, no plugin needed). While a shell has the keys, {chord} gives them back to the console."
            ))
            .wrap(Wrap { trim: true })
            .block(titled_block(" Sessions ".into(), cx)),
            area,
        );
        return;
    }
    let [bar, term] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let mut spans = Vec::new();
    for (i, tab) in s.tabs.iter().enumerate() {
        let (state, token) = state_text(tab);
        let mut label = if tab.name.is_empty() {
            tab.node.clone()
        } else {
            tab.name.clone()
        };
        if let Some(f) = &tab.forward {
            label = format!(
                "{label} :{}→{} ({} conn)",
                f.local_port.unwrap_or(f.spec.local_port),
                f.spec.remote_port,
                f.open
            );
        }
        let base = if i == s.active {
            t.style("ui.tab_active")
        } else {
            t.style("ui.tab_inactive")
        };
        spans.push(Span::styled(format!(" {} {label} ", tab.tab), base));
        spans.push(Span::styled(format!("● {state} "), t.style(token)));
        spans.push(Span::styled(
            format!(
                "{} ↓{} ↑{}  ",
                tab.started,
                bytes(tab.bytes_in),
                bytes(tab.bytes_out)
            ),
            t.style("ui.dim"),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), bar);
    let Some(tab) = s.current() else {
        return;
    };
    let focus = if s.focused {
        format!("keys go to the shell · {chord} gives them back")
    } else {
        let enter = cx
            .keymap
            .key_for(Layer::Sessions, Command::TerminalFocus)
            .unwrap_or_else(|| "Enter".into());
        format!("{enter} types in the shell · PageUp scrolls back")
    };
    let scrolled = if tab.scroll > 0 {
        format!(" · {} lines back", tab.scroll)
    } else {
        String::new()
    };
    // The chord first: on a narrow terminal the session id gives way.
    let title = format!(
        " {focus}{scrolled} — {} on {} {} ",
        tab.session_id.as_deref().unwrap_or("(starting)"),
        tab.node,
        tab.name
    );
    let mut block = titled_block(title, cx);
    if s.focused {
        block = block.border_style(t.style("ui.key"));
    }
    if let Some(f) = &tab.forward {
        render_forward(frame, term, tab, f, cx);
        return;
    }
    if let TabState::Closed { reason, exit_code } = &tab.state {
        let [screen, why] =
            Layout::vertical([Constraint::Min(2), Constraint::Length(2)]).areas(term);
        frame.render_widget(
            PseudoTerminal::new(tab.parser.screen()).block(block),
            screen,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    " Session ended: {reason}{}. d closes the tab.",
                    exit_code.map_or(String::new(), |c| format!(" (exit code {c})"))
                ),
                t.style("ui.notice"),
            ))
            .wrap(Wrap { trim: true }),
            why,
        );
        return;
    }
    let term_widget = PseudoTerminal::new(tab.parser.screen())
        .block(block)
        .style(Style::default());
    frame.render_widget(term_widget, term);
    // Rows chosen for copying, in the selection style.
    if let Some((a, b)) = tab.selection {
        let style = t.style("ui.selected").patch(t.style("ui.cursor"));
        let buf = frame.buffer_mut();
        for row in a.min(b)..=a.max(b) {
            let y = term.y + 1 + row;
            if y + 1 >= term.y + term.height {
                break;
            }
            for x in term.x + 1..term.x + term.width.saturating_sub(1) {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_style(style);
                }
            }
        }
    }
}

/// A port forward's tab: the forward, its state, connections and bytes.
fn render_forward(
    frame: &mut Frame,
    term: Rect,
    tab: &SessionTab,
    f: &ForwardTab,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let lines = vec![
        Line::from(vec![
            Span::styled("Forward   ", t.style("ui.dim")),
            Span::styled(
                match f.local_port {
                    Some(p) => f.spec.describe(p),
                    None => format!("(binding 127.0.0.1:{})", f.spec.local_port),
                },
                t.style("ui.key"),
            ),
            Span::styled(
                format!("  through {} {}", tab.node, tab.name),
                t.style("ui.text"),
            ),
        ]),
        Line::from(vec![
            Span::styled("State     ", t.style("ui.dim")),
            Span::styled(state_text(tab).0, t.style(state_text(tab).1)),
        ]),
        Line::from(vec![
            Span::styled("Connections ", t.style("ui.dim")),
            Span::styled(
                format!("{} open, {} so far", f.open, f.total),
                t.style("ui.text"),
            ),
        ]),
        Line::from(vec![
            Span::styled("Bytes     ", t.style("ui.dim")),
            Span::styled(
                format!(
                    "↓{} from the node, ↑{} to it",
                    bytes(tab.bytes_in),
                    bytes(tab.bytes_out)
                ),
                t.style("ui.text"),
            ),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            match &tab.state {
                TabState::Closed { reason, .. } => format!("Ended: {reason}. d closes the tab."),
                _ => {
                    "Connect to the local port; x stops the forward (TerminateSession, asks first)."
                        .into()
                }
            },
            t.style("ui.dim"),
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(titled_block(
                format!(
                    " Port forward {} ",
                    tab.session_id.as_deref().unwrap_or("(starting)")
                ),
                cx,
            )),
        term,
    );
}
