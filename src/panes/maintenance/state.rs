//! The Maintenance pane's state: the windows of every context, the next
//! 7 days' runs, the change calendars, and the route inside the pane (a
//! window, one of its executions, a calendar), each list with its own
//! [`ListCursor`].

use crate::aws::maintenance::{
    Calendar, ExecutionTask, ScheduledRun, Timeline, Window, WindowDetails,
};
use crate::model::{ContextId, ContextLabel};
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{RawJson, sanitize};

pub use crate::model::{relative, when};
pub use crate::pane::Loaded;

/// The pane's top-level lists (Tab / Shift-Tab switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TopTab {
    /// Every maintenance window.
    #[default]
    Windows,
    /// The enabled windows' runs of the next 7 days.
    Upcoming,
    /// The change calendars and their states.
    Calendars,
}

impl TopTab {
    /// In tab order.
    pub const ALL: [TopTab; 3] = [TopTab::Windows, TopTab::Upcoming, TopTab::Calendars];

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            TopTab::Windows => "Windows",
            TopTab::Upcoming => "Upcoming 7 days",
            TopTab::Calendars => "Change calendars",
        }
    }
}

/// A window's lists (Tab / Shift-Tab switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WindowTab {
    /// Its runs, newest first.
    #[default]
    Executions,
    /// Its tasks, by priority.
    Tasks,
    /// Its targets.
    Targets,
}

impl WindowTab {
    /// In tab order.
    pub const ALL: [WindowTab; 3] = [WindowTab::Executions, WindowTab::Tasks, WindowTab::Targets];

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            WindowTab::Executions => "Executions",
            WindowTab::Tasks => "Tasks",
            WindowTab::Targets => "Targets",
        }
    }
}

/// Where inside the pane the user is, above the top-level lists; Esc
/// walks back one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// A window: its executions, tasks or targets.
    Window {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        id: String,
        /// Which list.
        tab: WindowTab,
        /// The cursor in that list (one per tab).
        cursors: [ListCursor; 3],
    },
    /// One execution of a window: its tasks' invocations per target.
    Execution {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        window: String,
        /// The window execution id.
        id: String,
        /// The cursor over the invocations.
        cursor: ListCursor,
    },
    /// One change calendar: its events and a state at a chosen time.
    Calendar {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The first line shown (row keys scroll the view).
        cursor: ListCursor,
    },
}

/// The Maintenance pane.
#[derive(Debug, Default)]
pub struct MaintenanceState {
    /// Loaded once (the first show).
    pub started: bool,
    /// Generation of the loads (a newer load makes older answers stale).
    pub generation: u64,
    /// The top-level list shown.
    pub tab: TopTab,
    /// Cursors of the top-level lists, by [`TopTab::ALL`] position.
    pub cursors: [ListCursor; 3],
    /// Every context's windows, by context then name.
    pub windows: Vec<(ContextId, Window)>,
    /// Contexts whose windows are still on their way.
    pub windows_pending: usize,
    /// Contexts whose window list failed, with the error.
    pub windows_failed: Vec<(ContextId, String)>,
    /// The runs of the next 7 days, in time order.
    pub upcoming: Loaded<Vec<(ContextId, ScheduledRun)>>,
    /// The due time the windows were last listed again for (a window
    /// that just opened moves its NextExecutionTime on).
    pub windows_reloaded_for: Option<i64>,
    /// Generation of the upcoming runs' load.
    pub upcoming_generation: u64,
    /// Contexts whose schedule is still on its way.
    pub upcoming_pending: usize,
    /// Contexts whose schedule failed.
    pub upcoming_failed: Vec<(ContextId, String)>,
    /// Every context's change calendars and their spans.
    pub calendars: Vec<(ContextId, Timeline)>,
    /// Generation of the calendar check.
    pub calendar_generation: u64,
    /// Contexts whose calendars failed (the badge says the check is partial).
    pub calendars_failed: Vec<(ContextId, String)>,
    /// When the calendars were last asked for, epoch seconds.
    pub calendars_asked_s: Option<i64>,
    /// The calendars that matter, by AWS profile (`[profiles.NAME]
    /// change_calendars`; the default profile is `default`); a profile
    /// not named: every calendar of its accounts.
    pub calendars_that_matter: std::collections::BTreeMap<String, Vec<String>>,
    /// The route inside the pane (empty: a top-level list).
    pub stack: Vec<Inner>,
    /// The window shown in [`Inner::Window`].
    pub details: Loaded<WindowDetails>,
    /// The execution shown in [`Inner::Execution`].
    pub execution: Loaded<Vec<ExecutionTask>>,
    /// The calendar shown in [`Inner::Calendar`]: its iCalendar text,
    /// read once when it arrives (the view and the row keys use it).
    pub calendar_text: Loaded<super::ical::Parsed>,
    /// Its state at the time the user chose.
    pub calendar_at: Loaded<Calendar>,
    /// Every context of the set (names for the Context column).
    pub contexts: Vec<ContextLabel>,
    /// The raw JSON view (`y`), over everything else.
    pub raw: Option<RawJson>,
    /// Where the shown list's rows were drawn (mouse).
    pub hits: RowHits,
    /// Rows of a list that fit (set by the shell's size).
    pub page_rows: usize,
    /// The wall clock at the last update, epoch seconds (for "in 2h").
    pub now_s: i64,
}

/// Whether an execution status is final.
pub fn is_final(status: &str) -> bool {
    matches!(
        status,
        "SUCCESS" | "FAILED" | "TIMED_OUT" | "CANCELLED" | "SKIPPED_OVERLAPPING"
    )
}

impl MaintenanceState {
    /// The route's top, if any.
    pub fn inner(&self) -> Option<&Inner> {
        self.stack.last()
    }

    /// The window of the set `id` in context `ctx`, if listed.
    pub fn window(&self, ctx: ContextId, id: &str) -> Option<&Window> {
        self.windows
            .iter()
            .find(|(c, w)| *c == ctx && w.id == id)
            .map(|(_, w)| w)
    }

    /// The window under the top-level cursor.
    pub fn window_at_cursor(&self) -> Option<&(ContextId, Window)> {
        self.windows.get(self.cursors[0].at)
    }

    /// The invocations of the shown execution, flat: (task, invocation).
    pub fn invocations(
        &self,
    ) -> Vec<(
        &crate::aws::maintenance::Execution,
        &crate::aws::maintenance::Invocation,
    )> {
        self.execution
            .ready()
            .into_iter()
            .flatten()
            .flat_map(|(t, invs)| invs.iter().map(move |i| (t, i)))
            .collect()
    }

    /// Whether calendar `name` of context `ctx` counts for the badge and
    /// the second question: its profile's `change_calendars` name it, or
    /// the profile sets none (`change_calendars = []` counts none).
    pub fn counts(&self, ctx: ContextId, name: &str) -> bool {
        let profile = self
            .contexts
            .get(ctx.index())
            .and_then(|l| l.profile.as_deref())
            .unwrap_or("default");
        self.calendars_that_matter
            .get(profile)
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// The calendars that count ([`MaintenanceState::counts`]).
    pub fn counted(&self) -> impl Iterator<Item = &(ContextId, Timeline)> {
        self.calendars
            .iter()
            .filter(|(ctx, t)| self.counts(*ctx, &t.now.name))
    }

    /// The counted calendars CLOSED at `now_s` (epoch seconds), or whose
    /// state could not be read, with their contexts: from the CLOSED
    /// spans read ahead, so a freeze that began since the last check
    /// counts, and one that ended does not.
    pub fn closed_now(&self, now_s: i64) -> Vec<&(ContextId, Timeline)> {
        self.counted().filter(|(_, t)| t.closed_at(now_s)).collect()
    }

    /// The counted calendars CLOSED at `t` (epoch seconds), by name.
    pub fn closed_at(&self, t: i64) -> Vec<&str> {
        self.counted()
            .filter(|(_, tl)| tl.closed_at(t))
            .map(|(_, tl)| tl.now.name.as_str())
            .collect()
    }

    /// `ACCOUNT REGION` of context `ctx` when the set has more than one.
    pub fn context_name(&self, ctx: ContextId) -> String {
        if self.contexts.len() <= 1 {
            return String::new();
        }
        self.contexts
            .get(ctx.index())
            .map_or_else(String::new, ContextLabel::short)
    }

    /// The header badge: `freeze NAME CLOSED until 18:00` (UTC) for the
    /// first counted calendar CLOSED now, `+N` more; `freeze check failed`
    /// when a calendar's state or a context's calendars could not be read
    /// and none is known CLOSED; `None` otherwise.
    pub fn badge(&self, now_s: i64) -> Option<String> {
        let closed = self.closed_now(now_s);
        let known: Vec<_> = closed.iter().filter(|(_, t)| t.error.is_none()).collect();
        let unknown = closed.len() - known.len() + self.calendars_failed.len();
        let Some((_, first)) = known.first() else {
            return (unknown > 0).then(|| format!("freeze check failed ({unknown})"));
        };
        let more = match closed.len() {
            1 => String::new(),
            n => format!(" +{}", n - 1),
        };
        Some(format!(
            "freeze {} CLOSED {}{more}",
            sanitize(&first.now.name),
            until_text(first, now_s)
        ))
    }

    /// What a send's confirmation says of the change calendars, and
    /// whether it asks a second time: each counted calendar CLOSED now or
    /// of unknown state (asks twice), and each context whose calendars
    /// could not be listed (said, not asked); only in the contexts `to`
    /// the send goes to (`None`: every context of the set).
    pub fn freeze_lines(&self, now_s: i64, to: Option<&[ContextId]>) -> (Vec<String>, bool) {
        let goes_to = |ctx: &ContextId| to.is_none_or(|to| to.contains(ctx));
        let closed: Vec<_> = self
            .closed_now(now_s)
            .into_iter()
            .filter(|(ctx, _)| goes_to(ctx))
            .collect();
        let mut lines = Vec::new();
        if !closed.is_empty() {
            lines.push("CHANGE FREEZE — a change calendar is CLOSED:".to_owned());
        }
        for (ctx, t) in &closed {
            let place = match self.context_name(*ctx) {
                p if p.is_empty() => String::new(),
                p => format!(" in {p}"),
            };
            let name = sanitize(&t.now.name);
            lines.push(match &t.error {
                Some(e) => format!(
                    "  {name}{place}: state unknown, taken as CLOSED ({})",
                    sanitize(e)
                ),
                None => format!("  {name}{place}: CLOSED {}", until_text(t, now_s)),
            });
        }
        for (ctx, e) in self.calendars_failed.iter().filter(|(c, _)| goes_to(c)) {
            let place = match self.context_name(*ctx) {
                p if p.is_empty() => "this account".to_owned(),
                p => p,
            };
            lines.push(format!(
                "Change calendars of {place} not read ({}): look for a freeze before sending.",
                sanitize(e)
            ));
        }
        let twice = !closed.is_empty();
        if twice {
            lines.push("You will be asked a second time.".into());
        }
        (lines, twice)
    }
}

/// When the calendar CLOSED at `now_s` opens again: the end of the span
/// it is in (`until 18:00`), or that no reopening is known.
fn until_text(t: &Timeline, now_s: i64) -> String {
    let now_s = now_s.max(t.from_s);
    let end = t
        .closed
        .iter()
        .find(|(a, b)| *a <= now_s && b.is_none_or(|b| now_s < b))
        .and_then(|(_, b)| *b);
    end.map_or_else(
        || "no reopening known".into(),
        |x| format!("until {}", when(x, now_s)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(
        name: &str,
        open: bool,
        next: Option<&str>,
        closed: Vec<(i64, Option<i64>)>,
    ) -> Timeline {
        Timeline {
            now: Calendar {
                name: name.into(),
                open,
                at: String::new(),
                next_transition: next.map(str::to_owned),
            },
            from_s: closed.first().map_or(0, |c| c.0),
            closed,
            error: None,
        }
    }

    #[test]
    fn the_badge_names_the_closed_calendar_and_when_it_opens() {
        let now = crate::aws::maintenance::parse_iso8601("2026-12-03T10:00Z").unwrap();
        let mut s = MaintenanceState::default();
        assert_eq!(s.badge(now), None);
        s.calendars = vec![
            (
                ContextId::default(),
                timeline("release-train", true, None, vec![]),
            ),
            (
                ContextId::default(),
                timeline(
                    "prod-freeze",
                    false,
                    Some("2026-12-03T18:00Z"),
                    vec![(now, Some(now + 8 * 3600))],
                ),
            ),
        ];
        assert_eq!(
            s.badge(now).as_deref(),
            Some("freeze prod-freeze CLOSED until 18:00")
        );
        let (lines, twice) = s.freeze_lines(now, None);
        assert!(twice);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("prod-freeze: CLOSED until 18:00"))
        );
        assert_eq!(
            s.badge(now + 9 * 3600),
            None,
            "the freeze ended: the spans say so"
        );
        assert!(!s.freeze_lines(now + 9 * 3600, None).1);
        let elsewhere = [ContextId(1)];
        assert!(
            !s.freeze_lines(now, Some(&elsewhere)).1,
            "a send to another context is not asked about this one's freeze"
        );
        assert_eq!(s.closed_at(now + 3600), ["prod-freeze"]);
        assert_eq!(
            s.closed_at(now - 30),
            ["prod-freeze"],
            "a run due seconds before the check is judged by the state then"
        );
        assert!(s.closed_at(now + 9 * 3600).is_empty());
        s.calendars_that_matter
            .insert("default".into(), vec!["release-train".into()]);
        assert_eq!(s.badge(now), None, "only the profile's calendars count");
        assert!(s.freeze_lines(now, None).0.is_empty());
        // A counted calendar whose state could not be read is taken as
        // CLOSED; a context whose calendars could not be listed is named.
        s.calendars[0].1.error = Some("ThrottlingException".into());
        assert_eq!(s.badge(now).as_deref(), Some("freeze check failed (1)"));
        let (lines, twice) = s.freeze_lines(now, None);
        assert!(
            twice
                && lines
                    .iter()
                    .any(|l| l.contains("release-train: state unknown"))
        );
        s.calendars_that_matter.insert("default".into(), Vec::new());
        s.calendars_failed = vec![(ContextId::default(), "AccessDenied".into())];
        let (lines, twice) = s.freeze_lines(now, None);
        assert!(!twice, "an unlisted calendar is said, not asked about");
        assert!(lines[0].contains("Change calendars of this account not read (AccessDenied)"));
        assert_eq!(s.badge(now).as_deref(), Some("freeze check failed (1)"));
    }

    #[test]
    fn times_read_as_today_or_a_date_and_relative() {
        let now = crate::aws::maintenance::parse_iso8601("2026-12-03T10:00Z").unwrap();
        assert_eq!(when(now + 8 * 3600, now), "18:00");
        assert_eq!(when(now + 2 * 86_400, now), "12-05 10:00");
        assert_eq!(relative(now + 2 * 3600 + 300, now), "in 2h 05m");
        assert_eq!(relative(now - 3 * 86_400, now), "3d 0h ago");
        assert_eq!(relative(now + 30, now), "now");
    }
}
