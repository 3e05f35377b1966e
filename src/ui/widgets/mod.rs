//! Shared widgets: header, tabs, status line, help overlay.

use crate::widgets::line_input;

pub mod picker;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table};

use super::RenderContext;
use crate::action::Command;
use crate::app::palette::PaletteEnter;
use crate::app::{App, Confirm, Mode, Pane, registry};
use crate::config::{Layer, Theme};

pub use crate::widgets::{ping_token, with_cursor};

/// Header: account, profile, region, endpoint, ping counts.
pub fn header(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let t = cx.theme;
    let label = t.style("ui.header_label");
    let value = t.style("ui.header_value");
    let c = &app.context;
    let alias = app.contexts.first().and_then(|l| l.account_name.as_deref());
    let account = match (&c.identity, &c.identity_error) {
        (Some(id), _) => match alias {
            // The id first: on a narrow terminal the alias gives way.
            Some(a) => format!("{} ({a})", id.account),
            None => id.account.clone(),
        },
        (None, Some(_)) => "unknown".into(),
        (None, None) => "…".into(),
    };
    let mut spans = vec![Span::styled(" ssmdeck ", t.style("ui.tab_active"))];
    // Read-only and a change freeze come first: they must show at any
    // width, before names that may push the rest off the line.
    let shut = app
        .contexts
        .iter()
        .filter(|l| l.read_only.is_some())
        .count();
    if app.read_only.is_some() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" READ-ONLY ", t.style("ui.error")));
    } else if shut > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(" READ-ONLY in {shut} of {} contexts ", app.contexts.len()),
            t.style("ui.error"),
        ));
    }
    if let Some(badge) = app.maintenance.badge(crate::model::now_epoch_s()) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {badge} "), t.style("ui.error")));
    }
    spans.extend(if app.contexts.len() > 1 {
        vec![
            Span::styled("  contexts ", label),
            Span::styled(crate::aws::contexts::describe(&app.contexts), value),
            Span::styled(
                match cx.keymap.key_for(Layer::Global, Command::Contexts) {
                    Some(k) => format!("  ({k} or :contexts)"),
                    None => "  (:contexts)".to_owned(),
                },
                label,
            ),
        ]
    } else {
        vec![
            Span::styled("  account ", label),
            Span::styled(account, value),
            Span::styled("  profile ", label),
            Span::styled(c.profile.clone().unwrap_or_else(|| "default".into()), value),
            Span::styled("  region ", label),
            Span::styled(c.region.clone(), value),
        ]
    });
    if let Some(e) = &c.endpoint {
        spans.push(Span::styled("  endpoint ", label));
        spans.push(Span::styled(e.clone(), value));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style("ui.header")),
        area,
    );
}

/// Pane tabs on the left, selection and ping-status counts on the right.
pub fn tabs(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let counts = app.fleet.ping_counts();
    let long = Line::from(
        counts
            .iter()
            .map(|(status, n)| {
                Span::styled(
                    format!(" ● {n} {} ", status.as_str()),
                    cx.theme.style(ping_token(*status)),
                )
            })
            .collect::<Vec<_>>(),
    );
    let short = Line::from(
        counts
            .iter()
            .map(|(status, n)| Span::styled(format!(" ● {n}"), cx.theme.style(ping_token(*status))))
            .collect::<Vec<_>>(),
    );
    // The tabs always show, in full where the short ping counts fit beside
    // them, else by their short titles (`Run`, `Params`, `Ops`); the ping
    // counts take what is left, long (`● 279 Online`) or short (`● 279`).
    let width = |short_titles: bool| -> u16 {
        crate::app::registry::PANES
            .iter()
            .map(|e| if short_titles { e.short } else { e.title }.chars().count() as u16 + 3)
            .sum()
    };
    let short_titles = width(false) + short.width() as u16 > area.width;
    let tabs_w = width(short_titles);
    let mut spans = Vec::new();
    let panes = crate::app::registry::PANES;
    let (first, last) = shown_tabs(area.width, app.pane, short_titles);
    if first > 0 {
        spans.push(Span::styled("‹ ", cx.theme.style("ui.dim")));
    }
    for e in &panes[first..last] {
        let style = if e.pane == app.pane {
            cx.theme.style("ui.tab_active")
        } else {
            cx.theme.style("ui.tab_inactive")
        };
        let title = if short_titles { e.short } else { e.title };
        spans.push(Span::styled(format!(" {title} "), style));
        spans.push(Span::raw(" "));
    }
    if last < panes.len() {
        spans.push(Span::styled("› ", cx.theme.style("ui.dim")));
    }
    if !app.fleet.selected.is_empty() {
        spans.push(Span::styled(
            format!(" {} selected ", app.fleet.selected.len()),
            cx.theme.style("ui.selected"),
        ));
    }
    // Beside the tabs: the route (`Fleet › Overview`) and the ping counts,
    // each whole or not at all (never cut to `Flee` or mid-id): the
    // longest route that fits (its first steps give way to `…`), with the
    // long counts, else the short ones; else the counts alone.
    let crumbs = app.breadcrumbs();
    let routes: Vec<String> = (0..crumbs.len())
        .filter(|_| crumbs.len() > 1)
        .map(|k| {
            let tail = crumbs[k..].join(" › ");
            if k == 0 {
                format!(" {tail} ")
            } else {
                format!(" … › {tail} ")
            }
        })
        .collect();
    let used: usize = spans.iter().map(Span::width).sum();
    let fits =
        |route: &str, l: &Line| used + route.chars().count() + l.width() <= usize::from(area.width);
    let (route, right) = routes
        .iter()
        .map(String::as_str)
        .chain([""])
        .flat_map(|r| [(r, &long), (r, &short)])
        .find(|(r, l)| fits(r, l))
        .map_or(("", Line::default()), |(r, l)| (r, l.clone()));
    if !route.is_empty() {
        spans.push(Span::styled(route.to_owned(), cx.theme.style("ui.dim")));
    }
    let [l, r] = Layout::horizontal([
        Constraint::Min(tabs_w.min(area.width)),
        Constraint::Length(right.width() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), l);
    frame.render_widget(Paragraph::new(right), r);
}

/// The tabs that fit in `width` columns, as a range of the registry
/// (first, end): all of them when they fit, else a window that holds the
/// shown pane `active` (with room for the `‹` and `›` markers).
fn shown_tabs(width: u16, active: crate::app::Pane, short_titles: bool) -> (usize, usize) {
    let panes = crate::app::registry::PANES;
    let w: Vec<u16> = panes
        .iter()
        .map(|e| if short_titles { e.short } else { e.title }.chars().count() as u16 + 3)
        .collect();
    if w.iter().sum::<u16>() <= width {
        return (0, panes.len());
    }
    let room = width.saturating_sub(4);
    let at = panes.iter().position(|e| e.pane == active).unwrap_or(0);
    let (mut first, mut end) = (at, at + 1);
    let mut used = w[at];
    // Grow to the left first (the tabs before the shown one), then right.
    while first > 0 && used + w[first - 1] <= room {
        first -= 1;
        used += w[first];
    }
    while end < panes.len() && used + w[end] <= room {
        used += w[end];
        end += 1;
    }
    (first, end)
}

fn hint(cx: &RenderContext, layer: Layer, command: Command, label: &str) -> Vec<Span<'static>> {
    match cx.keymap.key_for(layer, command) {
        Some(k) => vec![
            Span::styled(k, cx.theme.style("ui.key")),
            Span::styled(format!(" {label}  "), cx.theme.style("ui.dim")),
        ],
        None => Vec::new(),
    }
}

/// The bottom line: input, error, notice or key hints, in that order of precedence.
pub fn status_line(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let t = cx.theme;
    let line = match app.mode() {
        Mode::Filter => filter_line(app, t),
        Mode::Choose => Line::from(vec![
            Span::styled(" j/k", t.style("ui.key")),
            Span::styled(" move · ", t.style("ui.dim")),
            Span::styled("Enter", t.style("ui.key")),
            Span::styled(" or the digit picks · ", t.style("ui.dim")),
            Span::styled("Esc", t.style("ui.key")),
            Span::styled(" cancels", t.style("ui.dim")),
        ]),
        Mode::Editor => Line::from(Span::styled(
            format!(" {}", form_hint(app)),
            t.style("ui.dim"),
        )),
        Mode::Confirm => Line::from(vec![
            Span::styled(" y", t.style("ui.key")),
            Span::styled(" confirms · ", t.style("ui.dim")),
            Span::styled("n", t.style("ui.key")),
            Span::styled("/Esc cancels", t.style("ui.dim")),
        ]),
        Mode::Prompt => {
            let (title, text) = app
                .prompt()
                .map(|p| (p.title.clone(), p.text.clone()))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!(" {title}: "), t.style("ui.key")),
                Span::styled(
                    line_input::with_cursor(&text, app.line_cursor),
                    t.style("ui.input"),
                ),
                Span::styled("  Enter applies · Esc cancels", t.style("ui.dim")),
            ])
        }
        Mode::CommandLine => Line::from(vec![
            Span::styled(":", t.style("ui.key")),
            Span::styled(
                line_input::with_cursor(&app.command_line, app.line_cursor),
                t.style("ui.input"),
            ),
            Span::styled(
                match app.palette_enter() {
                    PaletteEnter::Nothing => {
                        "  type to search · Tab completes · Esc cancels".to_owned()
                    }
                    PaletteEnter::Run(t) => {
                        format!("  Enter runs :{t} · Tab completes · Esc cancels")
                    }
                    PaletteEnter::Fill(t) => {
                        format!("  Enter shows :{t} (Enter again runs it) · Esc cancels")
                    }
                },
                t.style("ui.dim"),
            ),
        ]),
        Mode::Contexts => Line::from(vec![
            Span::styled(" j/k", t.style("ui.key")),
            Span::styled(" move · ", t.style("ui.dim")),
            Span::styled("Tab/h/l", t.style("ui.key")),
            Span::styled(" profiles or regions · ", t.style("ui.dim")),
            Span::styled("Space", t.style("ui.key")),
            Span::styled(" toggles · ", t.style("ui.dim")),
            Span::styled("Enter", t.style("ui.key")),
            Span::styled(
                " connects the chosen set (sessions stay) · ",
                t.style("ui.dim"),
            ),
            Span::styled("Esc", t.style("ui.key")),
            Span::styled(" closes", t.style("ui.dim")),
        ]),
        Mode::Normal | Mode::Help | Mode::Messages => normal_line(app, cx),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The status line while a filter or search is typed: the text with its
/// cursor and what the pane's filter does.
fn filter_line(app: &App, t: &Theme) -> Line<'static> {
    let (line, warning) = registry::view_of(app, app.pane).filter_status();
    pane_filter_line(line, warning, app, t)
}

/// The filter line of a pane on the trait: `/`, the text with its cursor,
/// then the warning (notice style) or what the filter does (dim).
fn pane_filter_line(
    (text, what): (String, &'static str),
    warning: Option<String>,
    app: &App,
    t: &Theme,
) -> Line<'static> {
    let note = match warning {
        Some(w) => Span::styled(format!("  {w}"), t.style("ui.notice")),
        None => Span::styled(format!("  {what}"), t.style("ui.dim")),
    };
    Line::from(vec![
        Span::styled("/", t.style("ui.key")),
        Span::styled(
            line_input::with_cursor(&text, app.line_cursor),
            t.style("ui.input"),
        ),
        note,
    ])
}

/// The status line in normal mode: an error, a config problem, a passing
/// notice, the fleet error, or else the pane's key hints.
fn normal_line(app: &App, cx: &RenderContext) -> Line<'static> {
    let t = cx.theme;
    if let Some(e) = &app.command_error {
        Line::from(Span::styled(format!(" {e} "), t.style("ui.error")))
    } else if let Some(e) = &app.write_failure {
        Line::from(Span::styled(format!(" {e} "), t.style("ui.error")))
    } else if let Some(p) = app.config_problems.first() {
        let more = if app.config_problems.len() > 1 {
            format!(
                " (+{} more; run ssmdeck --check-config)",
                app.config_problems.len() - 1
            )
        } else {
            String::new()
        };
        Line::from(Span::styled(
            format!(" config: {p}{more} "),
            t.style("ui.error"),
        ))
    } else if let Some((n, _)) = app.notices.iter().rev().find(|(_, until)| *until > cx.now) {
        // A passing notice (a refusal, "select nodes first") comes
        // before the standing fleet error, on every pane.
        Line::from(Span::styled(format!(" {n}"), t.style("ui.notice")))
    } else if let Some(e) = app.fleet.error.as_ref().filter(|_| app.pane == Pane::Fleet) {
        let retry = cx
            .keymap
            .key_for(Layer::Fleet, Command::Refresh)
            .unwrap_or_else(|| ":refresh".into());
        Line::from(Span::styled(
            format!(" {retry} retries │ {e} "),
            t.style("ui.error"),
        ))
    } else {
        let layer = app.pane.layer();
        let mut spans = Vec::new();
        for (c, l) in pane_hints(app) {
            spans.extend(hint(cx, layer, *c, l));
        }
        Line::from(spans)
    }
}

/// The key hints shown for the current pane, in order.
fn pane_hints(app: &App) -> &'static [(Command, &'static str)] {
    registry::view_of(app, app.pane).key_hints()
}

/// The status line while a pane's form has the keys.
fn form_hint(app: &App) -> &'static str {
    registry::view_of(app, app.pane).form_keys()
}

/// The help overlay: the lines of [`crate::app::help::lines`] for the
/// shown pane (from the effective keymap), scrolled and searched as the
/// overlay's state says; the last line shows the search and the keys.
pub fn help_overlay(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    use crate::app::help::{self, HelpLine};
    let t = cx.theme;
    let state = app.help().cloned().unwrap_or_default();
    let popup = area.centered(Constraint::Max(110), Constraint::Percentage(90));
    let lines = help::lines(&app.keymap, app.pane.layer(), &state.query);
    let shown = usize::from(popup.height.saturating_sub(3)).max(1);
    let first = state.scroll.min(lines.len().saturating_sub(shown));
    let rows: Vec<Row> = lines
        .iter()
        .skip(first)
        .take(shown)
        .map(|l| match l {
            HelpLine::Section(title) => Row::new(vec![
                Span::styled(title.clone(), t.style("ui.title")),
                Span::raw(""),
            ]),
            HelpLine::Row(keys, desc) => Row::new(vec![
                Span::styled(keys.clone(), t.style("ui.key")),
                Span::styled(desc.clone(), t.style("ui.text")),
            ]),
        })
        .collect();
    let search = if state.typing {
        Line::from(vec![
            Span::styled("/", t.style("ui.key")),
            Span::styled(state.query.clone(), t.style("ui.text")),
            Span::styled("▏ Enter keeps, Esc clears", t.style("ui.dim")),
        ])
    } else if !state.query.is_empty() {
        Line::from(vec![
            Span::styled(format!("/{}", state.query), t.style("ui.key")),
            Span::styled(
                format!(" {} lines · Esc clears", lines.len()),
                t.style("ui.dim"),
            ),
        ])
    } else {
        Line::from(Span::styled(
            format!(
                "lines {}-{} of {} · j/k PgUp/PgDn g/G scroll · / search",
                (first + 1).min(lines.len()),
                (first + shown).min(lines.len()),
                lines.len()
            ),
            t.style("ui.dim"),
        ))
    };
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border"))
        .title(Span::styled(
            " Help — ? or Esc closes ",
            t.style("ui.title"),
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [table_area, search_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let key_width = lines
        .iter()
        .map(|l| match l {
            HelpLine::Row(k, _) => k.chars().count(),
            HelpLine::Section(_) => 0,
        })
        .max()
        .unwrap_or(8)
        .clamp(8, 28) as u16;
    frame.render_widget(
        Table::new(rows, [Constraint::Length(key_width), Constraint::Min(10)]),
        table_area,
    );
    frame.render_widget(Paragraph::new(search), search_area);
}

/// The message history (`:messages`): every notice and error so far,
/// newest first, with how long ago it came.
pub fn messages_overlay(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let t = cx.theme;
    let popup = area.centered(Constraint::Max(140), Constraint::Percentage(90));
    let rows: Vec<Row> = app
        .messages
        .iter()
        .rev()
        .map(|(at, text)| {
            let ago = cx.now.saturating_duration_since(*at).as_secs();
            Row::new(vec![
                Span::styled(format!("{ago} s ago"), t.style("ui.dim")),
                Span::styled(text.clone(), t.style("ui.text")),
            ])
        })
        .collect();
    let title = if rows.is_empty() {
        " Messages — none yet · Esc closes ".to_owned()
    } else {
        format!(" Messages — {} · newest first · Esc closes ", rows.len())
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Table::new(rows, [Constraint::Length(12), Constraint::Min(10)]).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style("ui.border"))
                .title(Span::styled(title, t.style("ui.title"))),
        ),
        popup,
    );
}

/// Every context of the set (`:contexts`): account (name or id), region,
/// profile or role, its nodes by ping status, the nodes whose agent needs
/// an update, its open OpsItems by severity (once OpsCenter loaded), how
/// its part of the fleet load stands; and the totals.
pub fn contexts_overlay(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let t = cx.theme;
    let table_h = (app.contexts.len() as u16).saturating_add(4);
    let lists_h = app.picker().map_or(0, |p| {
        picker::height(p, area.height.saturating_sub(table_h.min(area.height / 2)))
    });
    let whole = area.centered(
        Constraint::Max(150),
        Constraint::Length((table_h + lists_h).min(area.height)),
    );
    frame.render_widget(Clear, whole);
    let [popup, lists] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(lists_h)]).areas(whole);
    if let Some(p) = app.picker() {
        picker::render(frame, lists, p, t);
    }
    let counts = app.fleet.counts_by_context();
    let ops = app.ops.open_by_context();
    let mut total = crate::panes::fleet::state::ContextCounts::default();
    let mut ops_total = [0usize; 4];
    let mut rows: Vec<Vec<Span<'static>>> = Vec::new();
    for l in &app.contexts {
        let c = counts.get(l.id.index()).copied().unwrap_or_default();
        total.nodes += c.nodes;
        total.online += c.online;
        total.lost += c.lost;
        total.inactive += c.inactive;
        total.agent_behind += c.agent_behind;
        let sev = ops.as_ref().and_then(|o| o.get(l.id.index()).copied());
        if let Some(s) = sev {
            for k in 0..4 {
                ops_total[k] += s[k];
            }
        }
        let (state, style) = context_state(app, l.id);
        let via = l
            .role
            .as_deref()
            .and_then(|r| r.split_once(":role/"))
            .map(|(_, name)| format!("role {name}"))
            .or_else(|| l.profile.clone())
            .unwrap_or_else(|| "default".into());
        rows.push(context_row(
            [
                crate::widgets::table::ellipsize(l.account_text(), 14),
                l.region.clone(),
                via,
            ],
            c,
            sev,
            (state, style),
            t,
        ));
    }
    rows.push(context_row(
        ["all".into(), String::new(), String::new()],
        total,
        ops.as_ref().map(|_| ops_total),
        (String::new(), "ui.text"),
        t,
    ));
    let title = format!(
        " Contexts — {} · OPS: open OpsItems by severity once OpsCenter loaded · Space toggles, Enter connects ",
        crate::aws::contexts::describe(&app.contexts)
    );
    frame.render_widget(Clear, popup);
    // Narrow (80 columns): account, region, nodes, lost and the load.
    let wide = popup.width >= 128;
    let keep = |i: usize| wide || [0, 1, 3, 5, 9].contains(&i);
    let pick = |cells: Vec<Span<'static>>| -> Row<'static> {
        Row::new(
            cells
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, c)| c)
                .collect::<Vec<_>>(),
        )
    };
    let total_row = rows.len() - 1;
    let rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, cells)| {
            let r = pick(cells);
            if i == total_row {
                r.style(t.style("ui.table_header"))
            } else {
                r
            }
        })
        .collect();
    let widths: Vec<Constraint> = [
        Constraint::Length(14),
        Constraint::Length(15),
        Constraint::Length(20),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(14),
        Constraint::Min(10),
    ]
    .into_iter()
    .enumerate()
    .filter(|(i, _)| keep(*i))
    .map(|(_, c)| c)
    .collect();
    let header = [
        "ACCOUNT",
        "REGION",
        "PROFILE / ROLE",
        "NODES",
        "ONLINE",
        "LOST",
        "INACTIVE",
        "AGENT↑",
        "OPS 1/2/3/4",
        "FLEET LOAD",
    ]
    .into_iter()
    .enumerate()
    .filter(|(i, _)| keep(*i))
    .map(|(_, h)| Span::raw(h))
    .collect::<Vec<_>>();
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(t.style("ui.table_header")))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.style("ui.border"))
                    .title(Span::styled(title, t.style("ui.title"))),
            ),
        popup,
    );
}

/// How context `id`'s part of the fleet load stands, with its style token.
fn context_state(app: &App, id: crate::model::ContextId) -> (String, &'static str) {
    let (state, style) = load_state(app, id);
    match app
        .contexts
        .get(id.index())
        .and_then(|l| l.read_only.as_ref())
    {
        Some(_) => (format!("{state} · read-only"), style),
        None => (state, style),
    }
}

fn load_state(app: &App, id: crate::model::ContextId) -> (String, &'static str) {
    use crate::panes::fleet::ContextLoad;
    match app.fleet.context_loads.get(id.index()) {
        Some(ContextLoad::Loading { stalled: None, .. }) => ("loading".to_owned(), "ui.dim"),
        Some(ContextLoad::Loading {
            stalled: Some(s), ..
        }) => (crate::widgets::stall_text(s), "ui.notice"),
        Some(ContextLoad::Done) | None => ("ok".to_owned(), "ui.text"),
        Some(ContextLoad::Failed(e)) => (format!("error: {e}"), "ui.error"),
    }
}

/// The cells of one row of the contexts overlay.
fn context_row(
    names: [String; 3],
    c: crate::panes::fleet::state::ContextCounts,
    sev: Option<[usize; 4]>,
    (state, style): (String, &'static str),
    t: &Theme,
) -> Vec<Span<'static>> {
    let n = |v: usize| crate::widgets::thousands(v);
    let ops = sev.map_or_else(
        || "-".to_owned(),
        |s| format!("{}/{}/{}/{}", s[0], s[1], s[2], s[3]),
    );
    let [account, region, via] = names;
    vec![
        Span::styled(account, t.style("ui.text")),
        Span::styled(region, t.style("ui.text")),
        Span::styled(via, t.style("ui.dim")),
        Span::styled(n(c.nodes), t.style("ui.text")),
        Span::styled(
            n(c.online),
            t.style(ping_token(crate::model::PingStatus::Online)),
        ),
        Span::styled(
            n(c.lost),
            t.style(ping_token(crate::model::PingStatus::ConnectionLost)),
        ),
        Span::styled(
            n(c.inactive),
            t.style(ping_token(crate::model::PingStatus::Inactive)),
        ),
        Span::styled(n(c.agent_behind), t.style("ui.text")),
        Span::styled(ops, t.style("ui.text")),
        Span::styled(state, t.style(style)),
    ]
}

/// A confirmation dialog: what will happen, and y / n.
pub fn confirm_dialog(frame: &mut Frame, area: Rect, c: &Confirm, cx: &RenderContext) {
    let t = cx.theme;
    let width = c
        .lines
        .iter()
        .map(|l| l.chars().count() as u16 + 4)
        .max()
        .unwrap_or(40)
        .clamp(40, area.width);
    let wrapped: u16 = c
        .lines
        .iter()
        .map(|l| (l.chars().count() as u16).div_ceil(width.saturating_sub(2).max(1)))
        .sum();
    let popup = area.centered(
        Constraint::Length(width),
        Constraint::Length((wrapped + 4).min(area.height)),
    );
    let mut lines: Vec<Line> = c
        .lines
        .iter()
        .map(|l| {
            // The lines name AWS objects (window names, OpsItem titles):
            // never raw control characters to the terminal.
            Line::from(Span::styled(
                crate::widgets::raw_json::sanitize(l),
                t.style("ui.text"),
            ))
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(if c.second {
        vec![
            Span::styled("Y", t.style("ui.key")),
            Span::styled(" (capital) yes, anyway    ", t.style("ui.dim")),
            Span::styled("n", t.style("ui.key")),
            Span::styled(" / Esc: no", t.style("ui.dim")),
        ]
    } else {
        vec![
            Span::styled("y", t.style("ui.key")),
            Span::styled(" yes, do it    ", t.style("ui.dim")),
            Span::styled("n", t.style("ui.key")),
            Span::styled(" / Esc: no", t.style("ui.dim")),
        ]
    }));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.style("status.failed"))
                    .title(Span::styled(
                        format!(" {} ", c.title),
                        t.style("status.failed"),
                    )),
            ),
        popup,
    );
}

pub use crate::widgets::titled_block;

/// The command palette: the best matches for the typed `:` line, drawn at
/// the bottom of the body, the highlighted one in the cursor style.
pub fn palette(frame: &mut Frame, area: Rect, app: &App, cx: &RenderContext) {
    let t = cx.theme;
    let shown = app.palette.len().min(crate::app::palette::PALETTE_ROWS);
    let h = (shown as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(h),
        width: area.width,
        height: h,
    };
    let width = app.palette[..shown]
        .iter()
        .map(|e| e.line.chars().count())
        .max()
        .unwrap_or(10)
        .min(48);
    let lines: Vec<Line> = app.palette[..shown]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let cursor = app.palette_cursor == Some(i);
            let base = if cursor {
                t.style("ui.cursor")
            } else {
                Style::default()
            };
            Line::from(vec![
                Span::styled(
                    format!(" :{:<width$} ", e.line),
                    t.style("ui.key").patch(base),
                ),
                Span::styled(format!(" {}", e.hint), t.style("ui.dim").patch(base)),
            ])
        })
        .collect();
    let more = app.palette.len().saturating_sub(shown);
    let title = if more > 0 {
        format!(
            " {} matches (+{more}) · Up/Down choose · Tab completes · Enter runs ",
            app.palette.len()
        )
    } else {
        " Up/Down choose · Tab completes · Enter runs ".to_owned()
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(titled_block(title, cx)), popup);
}
