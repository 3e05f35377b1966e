//! Drawing the Documents pane: type tabs with counts over the documents
//! table; a document's description, parameters and content (keys
//! highlighted); its versions; a diff. Every text from AWS is sanitized.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};

use super::state::{DocumentsState, Inner};
use crate::aws::documents::TYPES;
use crate::config::Theme;
use crate::model::when;
use crate::pane::{Loaded, RenderContext};
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{note, styled, tab_line, table};
use crate::widgets::titled_block;

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &DocumentsState, cx: &RenderContext) {
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let title = match crate::pane::Pane::crumb(s) {
        None => " Documents ".to_owned(),
        Some(c) => format!(" Documents · {c} "),
    };
    let block = titled_block(title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.inner() {
        None => render_list(frame, inner, s, cx),
        Some(Inner::Versions { cursor, marked, .. }) => {
            render_versions(frame, inner, s, (*cursor, marked.as_deref()), cx)
        }
        Some(Inner::Document { scroll, .. }) => {
            s.hits.forget();
            let lines = document_lines_with(s, cx.theme);
            let body: Vec<Line> = lines.into_iter().skip(scroll.at).collect();
            frame.render_widget(Paragraph::new(body), inner);
        }
        Some(Inner::Diff { scroll, .. }) => {
            s.hits.forget();
            let body: Vec<Line> = diff_lines_styled(s, cx.theme)
                .into_iter()
                .skip(scroll.at)
                .collect();
            frame.render_widget(Paragraph::new(body), inner);
        }
    }
}

fn render_list(frame: &mut Frame, area: Rect, s: &DocumentsState, cx: &RenderContext) {
    let t = cx.theme;
    let [tabs, status, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    // Below 110 columns the types are shortened and only the shown one
    // carries its count, so every tab (the shown one above all) fits.
    let short = area.width < 110;
    let titles: Vec<(String, bool)> = TYPES
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let name = match (short, *k) {
                (true, "Command") => "Cmd",
                (true, "Automation") => "Auto",
                (true, "Package") => "Pkg",
                (true, "ChangeCalendar") => "Calendar",
                _ => k,
            };
            let title = if short && i != s.tab {
                name.to_owned()
            } else {
                format!("{name} {}", s.count(i))
            };
            (title, i == s.tab)
        })
        .collect();
    frame.render_widget(Paragraph::new(tab_line(&titles, t)), tabs);
    let (text, style) = if !s.failed.is_empty() {
        let f: Vec<String> = s
            .failed
            .iter()
            .map(|(c, e)| {
                let name = s
                    .contexts
                    .get(c.index())
                    .map_or_else(String::new, crate::model::ContextLabel::short);
                format!("✗ {name} {}", sanitize(e))
            })
            .collect();
        (f.join(" · "), "ui.error")
    } else if s.pending > 0 {
        (
            format!("loading… ({} context(s) to go)", s.pending),
            "ui.dim",
        )
    } else {
        let owner = s
            .owner
            .as_deref()
            .map_or("any owner".to_owned(), |o| format!("owner {o}"));
        let search = if s.filter.is_empty() {
            String::new()
        } else {
            format!(" · filter: {}", sanitize(&s.filter))
        };
        (
            format!(
                "{owner}{search} · / searches · c runs a Command or Package · A starts a runbook"
            ),
            "ui.dim",
        )
    };
    frame.render_widget(Paragraph::new(Line::styled(text, t.style(style))), status);
    if s.shown.is_empty() {
        s.hits.forget();
        let text = if s.pending > 0 {
            "loading…".into()
        } else {
            "No documents here.".to_owned()
        };
        note(frame, list, text, t.style("ui.dim"));
        return;
    }
    let multi = s.contexts.len() > 1;
    let rows = s
        .shown
        .iter()
        .map(|i| {
            let (ctx, d) = &s.docs[*i];
            let ctx = if multi {
                s.contexts
                    .get(ctx.index())
                    .map_or_else(String::new, crate::model::ContextLabel::short)
            } else {
                String::new()
            };
            vec![
                styled(sanitize(&d.name), t.style("ui.text")),
                Cell::from(sanitize(&d.kind)),
                Cell::from(sanitize(&d.owner)),
                Cell::from(sanitize(&d.version)),
                Cell::from(sanitize(&d.format)),
                Cell::from(sanitize(&d.platforms.join(","))),
                Cell::from(ctx),
            ]
        })
        .collect();
    let header = vec![
        "NAME",
        "TYPE",
        "OWNER",
        "VERSION",
        "FORMAT",
        "PLATFORMS",
        "CONTEXT",
    ];
    let widths = vec![
        Constraint::Min(30),
        Constraint::Length(14),
        Constraint::Length(13),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(20),
        Constraint::Length(if multi { 24 } else { 0 }),
    ];
    let wide = list.width >= 110;
    let keep = [
        true,
        true,
        wide || list.width >= 70,
        true,
        wide,
        wide,
        multi && wide,
    ];
    let (header, widths, rows) =
        crate::widgets::table::narrow((header, widths, rows), &keep, false);
    table(
        frame,
        list,
        &s.hits,
        (header, widths),
        rows,
        s.cursors[s.tab],
        cx,
    );
}

/// A content line with its key (JSON `"key":`, YAML `key:`) picked out.
fn highlighted(line: &str, t: &Theme) -> Line<'static> {
    let text = sanitize(line);
    let trimmed = text.trim_start();
    let indent = text.len() - trimmed.len();
    let key_end = if let Some(rest) = trimmed.strip_prefix('"') {
        rest.find("\":").map(|i| i + 2)
    } else if trimmed.starts_with("- ") || trimmed.starts_with('#') {
        None
    } else {
        trimmed.find(':').filter(|i| !trimmed[..*i].contains(' '))
    };
    match key_end {
        Some(end) => Line::from(vec![
            Span::raw(text[..indent].to_owned()),
            Span::styled(trimmed[..end].to_owned(), t.style("ui.key")),
            Span::styled(trimmed[end..].to_owned(), t.style("ui.text")),
        ]),
        None if trimmed.starts_with('#') => Line::styled(text, t.style("ui.dim")),
        None => Line::from(text),
    }
}

/// The lines of the document view (its description, parameters, then
/// the content), unstyled: for counting them.
pub fn document_lines(s: &DocumentsState) -> Vec<Line<'static>> {
    document_lines_with(s, &Theme::default())
}

fn document_lines_with(s: &DocumentsState, t: &Theme) -> Vec<Line<'static>> {
    let Some(Inner::Document {
        name,
        version,
        yaml,
        ..
    }) = s.inner()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match &s.description {
        Loaded::Ready(d) if d.name == *name => {
            out.push(Line::from(format!(
                "{} · {} · {} · default v{} · latest v{} · {}",
                sanitize(&d.name),
                sanitize(&d.kind),
                sanitize(&d.owner),
                sanitize(&d.default_version),
                sanitize(&d.latest_version),
                sanitize(&d.status)
            )));
            if let Some(c) = d.created_s {
                out.push(Line::from(format!("created {}", when(c, s.now_s))));
            }
            out.extend(
                d.description
                    .lines()
                    .take(6)
                    .map(|l| Line::from(sanitize(l))),
            );
            if !d.params.is_empty() {
                out.push(Line::from("Parameters"));
                for (n, k, def, desc) in &d.params {
                    let def = if def.is_empty() {
                        String::new()
                    } else {
                        format!(" = {}", sanitize(def))
                    };
                    let desc = desc.lines().next().map(sanitize).unwrap_or_default();
                    out.push(Line::from(format!(
                        "  {} ({}){def}  {desc}",
                        sanitize(n),
                        sanitize(k)
                    )));
                }
            }
        }
        Loaded::Failed(e) => out.push(Line::from(format!("✗ {}", sanitize(e)))),
        _ => out.push(Line::from("reading the description…")),
    }
    let v = version
        .as_deref()
        .map_or("default version".to_owned(), |v| format!("version {v}"));
    out.push(Line::from(format!(
        "Content ({v}, {}; l switches)",
        if *yaml { "YAML" } else { "JSON" }
    )));
    match &s.content {
        Loaded::Ready(c) => out.extend(c.lines().map(|l| highlighted(l, t))),
        Loaded::Failed(e) => out.push(Line::from(format!("✗ {}", sanitize(e)))),
        _ => out.push(Line::from("loading…")),
    }
    out
}

fn render_versions(
    frame: &mut Frame,
    area: Rect,
    s: &DocumentsState,
    (cursor, marked): (crate::widgets::list::ListCursor, Option<&str>),
    cx: &RenderContext,
) {
    let t = cx.theme;
    let Some(list) = s.versions.ready() else {
        s.hits.forget();
        let (text, style) = match &s.versions {
            Loaded::Failed(e) => (format!("✗ {}", sanitize(e)), "ui.error"),
            _ => ("loading…".into(), "ui.dim"),
        };
        note(frame, area, text, t.style(style));
        return;
    };
    let rows = list
        .iter()
        .map(|v| {
            let mark = match (v.is_default, Some(v.version.as_str()) == marked) {
                (true, true) => "default, marked",
                (true, false) => "default",
                (false, true) => "marked",
                _ => "",
            };
            vec![
                Cell::from(sanitize(&v.version)),
                Cell::from(sanitize(&v.version_name)),
                Cell::from(v.created_s.map_or_else(String::new, |c| when(c, s.now_s))),
                Cell::from(sanitize(&v.status)),
                Cell::from(sanitize(&v.format)),
                styled(mark, t.style("ui.key")),
            ]
        })
        .collect();
    let header = vec!["VERSION", "NAME", "CREATED", "STATUS", "FORMAT", ""];
    let widths = vec![
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Length(12),
        Constraint::Length(10),
        Constraint::Length(6),
        Constraint::Min(8),
    ];
    table(frame, area, &s.hits, (header, widths), rows, cursor, cx);
}

/// The diff's lines as text (`-`, `+`, ` ` prefixes), for counting.
pub fn diff_lines(s: &DocumentsState) -> Vec<String> {
    match &s.diff {
        Loaded::Ready(((a, b), (ta, tb))) => {
            let mut out = vec![format!("--- version {a}"), format!("+++ version {b}")];
            let d = similar::TextDiff::from_lines(ta, tb);
            for c in d.iter_all_changes() {
                let sign = match c.tag() {
                    similar::ChangeTag::Delete => "-",
                    similar::ChangeTag::Insert => "+",
                    similar::ChangeTag::Equal => " ",
                };
                out.push(format!(
                    "{sign}{}",
                    sanitize(c.value().trim_end_matches('\n'))
                ));
            }
            out
        }
        Loaded::Failed(e) => vec![format!("✗ {}", sanitize(e))],
        _ => vec!["loading…".into()],
    }
}

fn diff_lines_styled(s: &DocumentsState, t: &Theme) -> Vec<Line<'static>> {
    diff_lines(s)
        .into_iter()
        .map(|l| {
            let style = match l.chars().next() {
                Some('+') => t.style("diff.added"),
                Some('-') => t.style("diff.removed"),
                _ => t.style("ui.dim"),
            };
            Line::styled(l, style)
        })
        .collect()
}
