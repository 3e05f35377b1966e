//! The Automation pane's state: every context's executions and runbooks,
//! the filter, the route inside the pane (an execution, one of its steps)
//! with a cursor per list, the poll's back-off, and the start form.

use crate::aws::automation::{Execution, ExecutionDetail, ExecutionFilters, Runbook, STATUSES};
use crate::model::{ContextId, ContextLabel};
use crate::pane::Loaded;
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::RawJson;

/// The pane's top-level lists (`l` / `h` switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TopTab {
    /// Automation executions, newest first.
    #[default]
    Executions,
    /// Runbooks to start.
    Runbooks,
}

impl TopTab {
    /// In tab order.
    pub const ALL: [TopTab; 2] = [TopTab::Executions, TopTab::Runbooks];
}

/// An execution's lists (`l` / `h` switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExecTab {
    /// Its steps.
    #[default]
    Steps,
    /// A rate-controlled run's child executions.
    Children,
    /// Its parameters and outputs.
    Values,
}

impl ExecTab {
    /// In tab order.
    pub const ALL: [ExecTab; 3] = [ExecTab::Steps, ExecTab::Children, ExecTab::Values];
}

/// Where inside the pane the user is, above the top-level lists; Esc
/// walks back one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// An execution: its steps, children or values.
    Execution {
        /// Its context.
        ctx: ContextId,
        /// The automation execution id.
        id: String,
        /// Which list.
        tab: ExecTab,
        /// A cursor per list, by [`ExecTab::ALL`] position.
        cursors: [ListCursor; 3],
    },
    /// One step of the execution below it on the route: everything it
    /// got and gave, in full.
    Step {
        /// Its context.
        ctx: ContextId,
        /// The execution id.
        id: String,
        /// The step's position in the execution's steps.
        index: usize,
        /// The first line shown.
        scroll: ListCursor,
    },
}

/// Where a start came from: the nodes it targets, and the OpsItem it is
/// recorded on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartFrom {
    /// Managed node ids (may be empty).
    pub nodes: Vec<String>,
    /// "the Fleet selection", "OpsItem oi-…".
    pub origin: String,
    /// The OpsItem the execution is recorded on.
    pub ops_item: Option<String>,
    /// Runbooks listed first (an OpsItem's `/aws/automations`).
    pub suggested: Vec<String>,
}

/// How a running execution is polled: the wait before the next read, and
/// what the last read looked like (the wait doubles while it stays the
/// same).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    /// The next wait, milliseconds.
    pub delay_ms: u64,
    /// The last read's status and step statuses.
    pub last: String,
}

/// The Automation pane.
#[derive(Debug, Default)]
pub struct AutomationState {
    /// Loaded once (the first show).
    pub started: bool,
    /// Generation of the execution loads.
    pub generation: u64,
    /// The top-level list shown.
    pub tab: TopTab,
    /// Cursors of the top-level lists, by [`TopTab::ALL`] position.
    pub cursors: [ListCursor; 2],
    /// Every context's executions as read.
    pub executions: Vec<(ContextId, Execution)>,
    /// Contexts whose executions are still on their way.
    pub pending: usize,
    /// Contexts whose list failed, with the error.
    pub failed: Vec<(ContextId, String)>,
    /// Contexts whose list was cut at [`super::EXECUTIONS_CAP`].
    pub capped: Vec<ContextId>,
    /// The filter as typed.
    pub filter: String,
    /// The filter (or the runbook search) as it was when typing began
    /// (Esc puts it back).
    pub filter_before: Option<String>,
    /// Why the typed filter does not parse (nothing reloads until it does).
    pub filter_error: Option<String>,
    /// The server-side filters of the last load.
    pub filters: ExecutionFilters,
    /// Its free text (matched against runbook, id, target, who).
    pub text: String,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    /// The rows shown: indexes into `executions`.
    pub shown: Vec<usize>,
    /// Re-reads of the list since the last load.
    pub relists: u32,
    /// Every context's runbooks, by name (Amazon's once).
    pub runbooks: Vec<(ContextId, Runbook)>,
    /// Generation of the runbook loads.
    pub runbook_generation: u64,
    /// Contexts whose runbooks are still on their way.
    pub runbooks_pending: usize,
    /// Contexts whose runbooks failed.
    pub runbooks_failed: Vec<(ContextId, String)>,
    /// The runbook search as typed (fuzzy over names and descriptions).
    pub search: String,
    /// Runbook descriptions read so far, by name (DescribeDocument).
    pub descriptions: std::collections::HashMap<String, String>,
    /// The runbooks shown: indexes into `runbooks`, suggested ones first.
    pub runbooks_shown: Vec<usize>,
    /// Where the next start comes from.
    pub start_from: StartFrom,
    /// The route inside the pane (empty: a top-level list).
    pub stack: Vec<Inner>,
    /// The execution shown.
    pub detail: Loaded<ExecutionDetail>,
    /// Its children (a rate-controlled run).
    pub children: Loaded<Vec<Execution>>,
    /// The poll of the execution shown.
    pub poll: Backoff,
    /// The start form (kept when hidden, so nothing typed is lost).
    pub form: Option<super::form::StartForm>,
    /// Every context of the set (names for the Context column).
    pub contexts: Vec<ContextLabel>,
    /// The raw JSON view (`y`), over everything else.
    pub raw: Option<RawJson>,
    /// Where the shown list's rows were drawn (mouse).
    pub hits: RowHits,
    /// Rows of a list that fit.
    pub page_rows: usize,
    /// The wall clock at the last update, epoch seconds.
    pub now_s: i64,
}

/// The canonical AWS name of status `word` (any case), if it is one.
pub fn status_named(word: &str) -> Option<&'static str> {
    STATUSES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(word))
        .copied()
}

/// Seconds in `24h`, `2d`, `30m`, `1w`.
fn age_s(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .ok()
        .filter(|n| *n > 0)?;
    n.checked_mul(match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    })
}

/// Parses the filter: `status:Failed,Waiting` `runbook:AWS-Restart`
/// `since:24h` (or an ISO 8601 time) `ops:oi-…` `parent:ID` and free text
/// (kept apart: matched on the rows read). `now_s` is epoch seconds.
///
/// # Errors
/// What is wrong and the form expected.
pub fn parse_filter(text: &str, now_s: i64) -> Result<(ExecutionFilters, String), String> {
    let mut f = ExecutionFilters::default();
    let mut free = Vec::new();
    for word in text.split_whitespace() {
        let Some((key, value)) = word.split_once(':') else {
            free.push(word);
            continue;
        };
        if value.is_empty() {
            return Err(format!("{key}: needs a value ({key}:…)"));
        }
        match key.to_ascii_lowercase().as_str() {
            "status" => {
                for v in value.split(',') {
                    let s = status_named(v).ok_or_else(|| {
                        format!(
                            "status:{v} is not an automation status (one of {})",
                            STATUSES.join(", ")
                        )
                    })?;
                    f.status.push(s.to_owned());
                }
                // DescribeAutomationExecutions takes 10 values a filter.
                if f.status.len() > 10 {
                    return Err(format!(
                        "status: names {} statuses; AWS takes at most 10",
                        f.status.len()
                    ));
                }
            }
            "runbook" => f.runbook_prefix = Some(value.to_owned()),
            "since" => {
                let at = match age_s(value) {
                    Some(s) => now_s.checked_sub(s).filter(|t| *t >= 0).ok_or_else(|| {
                        format!("since:{value} reaches before 1970: use a smaller age")
                    })?,
                    None => crate::aws::maintenance::parse_iso8601(value).ok_or_else(|| {
                        format!("since:{value} is neither an age (30m, 24h, 7d) nor a time (2026-12-01T08:00Z)")
                    })?,
                };
                f.started_after = Some(crate::aws::maintenance::iso8601(at));
            }
            "ops" => f.ops_item = Some(value.to_owned()),
            "parent" => f.parent = Some(value.to_owned()),
            _ => free.push(word),
        }
    }
    Ok((f, free.join(" ")))
}

impl AutomationState {
    /// The route's top, if any.
    pub fn inner(&self) -> Option<&Inner> {
        self.stack.last()
    }

    /// The execution row `ctx`/`id` as listed, if it is.
    pub fn listed(&self, ctx: ContextId, id: &str) -> Option<&Execution> {
        self.executions
            .iter()
            .find(|(c, e)| *c == ctx && e.id == id)
            .map(|(_, e)| e)
    }

    /// Counts of the listed executions by status, in [`STATUSES`] order
    /// (only statuses with rows).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        STATUSES
            .iter()
            .filter_map(|s| {
                let n = self
                    .shown
                    .iter()
                    .filter(|i| self.executions[**i].1.status == *s)
                    .count();
                (n > 0).then_some((*s, n))
            })
            .collect()
    }

    /// Runs `change` (new rows of a context) with the cursor kept on the
    /// execution it was on, wherever that row lands.
    pub fn keeping_cursor(&mut self, change: impl FnOnce(&mut Self)) {
        let at_id = self
            .shown
            .get(self.cursors[0].at)
            .and_then(|i| self.executions.get(*i))
            .map(|(c, e)| (*c, e.id.clone()));
        change(self);
        if let Some((c, id)) = at_id
            && let Some(i) = self
                .shown
                .iter()
                .position(|i| self.executions[*i].0 == c && self.executions[*i].1.id == id)
        {
            self.cursors[0].at = i;
            let len = self.shown.len();
            self.cursors[0].keep_in_view(len, self.page_rows.max(1));
        }
    }

    /// Recomputes the rows shown: the free text, then the order.
    pub fn derive(&mut self) {
        let text = self.text.to_lowercase();
        let mut shown: Vec<usize> = (0..self.executions.len())
            .filter(|i| {
                let e = &self.executions[*i].1;
                text.is_empty()
                    || text.split_whitespace().all(|w| {
                        [&e.runbook, &e.id, &e.target, &e.executed_by, &e.status]
                            .iter()
                            .any(|f| f.to_lowercase().contains(w))
                    })
            })
            .collect();
        shown.sort_by(|a, b| {
            let (x, y) = (&self.executions[*a].1, &self.executions[*b].1);
            let o = y.start_s.cmp(&x.start_s).then_with(|| x.id.cmp(&y.id));
            if self.oldest_first { o.reverse() } else { o }
        });
        self.shown = shown;
        let len = self.shown.len();
        self.cursors[0].keep_in_view(len, self.page_rows.max(1));
        self.derive_runbooks();
    }

    /// Recomputes the runbooks shown: suggested ones first, then the
    /// fuzzy search's matches by score (every runbook when it is empty).
    pub fn derive_runbooks(&mut self) {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        let pattern = Pattern::parse(&self.search, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(bool, u32, usize)> = self
            .runbooks
            .iter()
            .enumerate()
            .filter_map(|(i, (_, r))| {
                let description = self.descriptions.get(&r.name).map_or("", String::as_str);
                let hay = format!("{} {} {description}", r.name, r.display_name);
                let score = if self.search.is_empty() {
                    0
                } else {
                    pattern.score(nucleo_matcher::Utf32Str::new(&hay, &mut buf), &mut matcher)?
                };
                let suggested = self.start_from.suggested.contains(&r.name);
                Some((!suggested, u32::MAX - score, i))
            })
            .collect();
        scored.sort_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then_with(|| self.runbooks[a.2].1.name.cmp(&self.runbooks[b.2].1.name))
        });
        self.runbooks_shown = scored.into_iter().map(|(_, _, i)| i).collect();
        let len = self.runbooks_shown.len();
        self.cursors[1].keep_in_view(len, self.page_rows.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_maps_to_server_side_filters_with_clear_errors() {
        let now = 1_800_000_000;
        let (f, free) =
            parse_filter("status:failed,Waiting runbook:AWS- since:2h web", now).unwrap();
        assert_eq!(f.status, vec!["Failed", "Waiting"]);
        assert_eq!(f.runbook_prefix.as_deref(), Some("AWS-"));
        assert_eq!(
            f.started_after,
            Some(crate::aws::maintenance::iso8601(now - 7_200))
        );
        assert_eq!(free, "web");
        let e = parse_filter("status:Broken", now).unwrap_err();
        assert!(
            e.contains("status:Broken") && e.contains("InProgress"),
            "{e}"
        );
        let e = parse_filter("since:yesterday", now).unwrap_err();
        assert!(e.contains("since:yesterday") && e.contains("24h"), "{e}");
        assert!(
            parse_filter("ops:", now)
                .unwrap_err()
                .contains("needs a value")
        );
        // Multi-byte text and huge ages are errors, never a panic.
        assert!(parse_filter("since:5é", now).is_err());
        assert!(parse_filter("since:99999999999999w", now).is_err());
        let (f, _) = parse_filter("ops:oi-0123456789ab parent:p-1", now).unwrap();
        assert_eq!(f.ops_item.as_deref(), Some("oi-0123456789ab"));
        assert_eq!(f.parent.as_deref(), Some("p-1"));
    }
}
