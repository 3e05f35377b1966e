//! Rendering: reads state and draws; never mutates state or waits on I/O.

pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Mode};

/// Smallest terminal the layout works in, columns × rows.
pub const MIN_SIZE: (u16, u16) = (60, 10);

pub use crate::pane::RenderContext;

/// Draws the whole console.
pub fn render(frame: &mut Frame, app: &App, cx: &RenderContext) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        render_too_small(frame, area, cx);
        return;
    }
    let [header, tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    widgets::header(frame, header, app, cx);
    widgets::tabs(frame, tabs, app, cx);
    crate::app::registry::view_of(app, app.pane).draw(frame, body, cx);
    widgets::status_line(frame, status, app, cx);
    if app.mode() == Mode::Help {
        widgets::help_overlay(frame, body, app, cx);
    }
    if app.mode() == Mode::Contexts {
        widgets::contexts_overlay(frame, body, app, cx);
    } else if app.mode() == Mode::Messages {
        widgets::messages_overlay(frame, body, app, cx);
    }
    if app.mode() == Mode::CommandLine && !app.palette.is_empty() {
        widgets::palette(frame, body, app, cx);
    }
    if let Some(c) = app.choice().filter(|_| app.mode() == Mode::Choose) {
        crate::widgets::choice::render(frame, body, c, cx);
    }
    if let Some(c) = app.confirm() {
        widgets::confirm_dialog(frame, body, c, cx);
    }
}

fn render_too_small(frame: &mut Frame, area: Rect, cx: &RenderContext) {
    let text = vec![
        Line::from(format!(
            "Terminal too small: {}×{}",
            area.width, area.height
        )),
        Line::from(format!(
            "ssmdeck needs at least {}×{}: enlarge the window (q quits)",
            MIN_SIZE.0, MIN_SIZE.1
        )),
    ];
    frame.render_widget(
        Paragraph::new(text)
            .style(cx.theme.style("ui.notice"))
            .wrap(Wrap { trim: true }),
        area,
    );
}
