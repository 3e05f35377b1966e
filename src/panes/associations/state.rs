//! The Associations pane's state: every context's State Manager
//! associations, the filter, and the route inside the pane (an
//! association with its executions, an execution with its targets).

use std::collections::HashMap;

use crate::aws::associations::{
    Association, AssociationDetail, AssociationExecution, ExecutionTarget,
};
use crate::model::{ContextId, ContextLabel};
use crate::pane::Loaded;
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::RawJson;

/// A view inside the pane, over the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// An association: its settings and executions.
    Association {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// The cursor over its executions.
        cursor: ListCursor,
    },
    /// An execution: its targets.
    Execution {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// The execution id.
        execution: String,
        /// The cursor over its targets.
        cursor: ListCursor,
    },
}

/// How often a running execution is read again, milliseconds.
pub const POLL_MS: u64 = 3_000;

/// Polls at most, after one apply now or while an execution runs (an
/// execution that never ends stops being watched after ten minutes).
pub const POLL_BUDGET: u32 = 200;

/// Polls after an apply now while no execution is seen running yet (AWS
/// starts the execution a moment after it answers).
pub const POLLS_AFTER_APPLY: u32 = 10;

/// The Associations pane's state.
#[derive(Debug, Default)]
pub struct AssociationsState {
    /// Loaded once (the first show loads).
    pub started: bool,
    /// Generation of the newest list load.
    pub generation: u64,
    /// Contexts whose list has not answered yet.
    pub pending: usize,
    /// Every context's associations.
    pub rows: Vec<(ContextId, Association)>,
    /// Contexts whose list failed, with why.
    pub failed: Vec<(ContextId, String)>,
    /// The filter text.
    pub filter: String,
    /// The filter before it was edited (Esc puts it back).
    pub filter_before: Option<String>,
    /// Indexes into `rows` the filter keeps, in order.
    pub shown: Vec<usize>,
    /// The cursor over `shown`.
    pub cursor: ListCursor,
    /// The route inside the pane.
    pub stack: Vec<Inner>,
    /// The open association's settings.
    pub detail: Loaded<AssociationDetail>,
    /// The open association's executions.
    pub executions: Loaded<Vec<AssociationExecution>>,
    /// The open execution's targets.
    pub targets: Loaded<Vec<ExecutionTarget>>,
    /// Polls left for the open view (see [`POLL_BUDGET`]).
    pub polls: u32,
    /// Polls left after an apply now with nothing seen running.
    pub polls_after_apply: u32,
    /// Node names of the shown targets, by managed node id.
    pub names: HashMap<String, String>,
    /// The contexts of the set.
    pub contexts: Vec<ContextLabel>,
    /// The raw JSON view, drawn over the pane while open.
    pub raw: Option<RawJson>,
    /// Where the last draw put the rows.
    pub hits: RowHits,
    /// Rows of a page.
    pub page_rows: usize,
    /// The wall clock at the last update, epoch seconds.
    pub now_s: i64,
}

impl AssociationsState {
    /// The innermost view, `None` for the list.
    pub fn inner(&self) -> Option<&Inner> {
        self.stack.last()
    }

    /// Whether the set has more than one context (rows name theirs).
    pub fn multi(&self) -> bool {
        self.contexts.len() > 1
    }

    /// The name of context `ctx` (`account region`).
    pub fn context_name(&self, ctx: ContextId) -> String {
        self.contexts
            .get(ctx.index())
            .map(|l| format!("{} {}", l.account_text(), l.region))
            .unwrap_or_default()
    }

    /// Recomputes `shown` from the filter: `status:TEXT` keeps rows whose
    /// status starts with TEXT or that have nodes in that status
    /// (`status:failed`), `doc:PREFIX` rows whose document starts with
    /// it; other words must each occur in the name, document, targets,
    /// schedule or context (any case).
    pub fn derive(&mut self) {
        let mut status = Vec::new();
        let mut doc = Vec::new();
        let mut words = Vec::new();
        for w in self.filter.to_lowercase().split_whitespace() {
            match w.split_once(':') {
                Some(("status", v)) => status.push(v.to_owned()),
                Some(("doc", v)) => doc.push(v.to_owned()),
                _ => words.push(w.to_owned()),
            }
        }
        self.shown = (0..self.rows.len())
            .filter(|i| {
                let (ctx, a) = &self.rows[*i];
                let st = a.status.to_lowercase();
                let status_ok = status.iter().all(|s| {
                    st.starts_with(s.as_str())
                        || a.counts
                            .iter()
                            .any(|(k, n)| *n > 0 && k.to_lowercase().starts_with(s.as_str()))
                });
                let docname = a.document.to_lowercase();
                let hay = format!(
                    "{} {} {} {} {}",
                    a.label(),
                    a.document,
                    a.targets.join(" "),
                    a.schedule,
                    self.context_name(*ctx)
                )
                .to_lowercase();
                status_ok
                    && doc.iter().all(|d| docname.starts_with(d.as_str()))
                    && words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        self.cursor
            .keep_in_view(self.shown.len(), self.page_rows.max(1));
    }

    /// The association under the list's cursor.
    pub fn focused(&self) -> Option<&(ContextId, Association)> {
        self.shown.get(self.cursor.at).map(|i| &self.rows[*i])
    }

    /// The association `id` of context `ctx`, if listed.
    pub fn find(&self, ctx: ContextId, id: &str) -> Option<&Association> {
        self.rows
            .iter()
            .find(|(c, a)| *c == ctx && a.id == id)
            .map(|(_, a)| a)
    }

    /// Nodes by status over every listed association (`Success` → 120).
    pub fn totals(&self) -> Vec<(String, i32)> {
        let mut by: std::collections::BTreeMap<String, i32> = Default::default();
        for (_, a) in &self.rows {
            for (k, n) in &a.counts {
                *by.entry(k.clone()).or_default() += n;
            }
        }
        by.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assoc(name: &str, doc: &str, status: &str, failed: i32) -> Association {
        let mut counts = std::collections::BTreeMap::new();
        counts.insert("Success".to_owned(), 3);
        if failed > 0 {
            counts.insert("Failed".to_owned(), failed);
        }
        Association {
            id: format!("id-{name}"),
            name: name.into(),
            document: doc.into(),
            status: status.into(),
            targets: vec!["tag:Env=prod".into()],
            schedule: "rate(30 minutes)".into(),
            counts,
            ..Association::default()
        }
    }

    #[test]
    fn the_filter_keeps_by_status_document_and_words() {
        let mut s = AssociationsState {
            rows: vec![
                (
                    ContextId(0),
                    assoc("inventory", "AWS-GatherSoftwareInventory", "Success", 0),
                ),
                (
                    ContextId(0),
                    assoc("cw-agent", "AWS-ConfigureAWSPackage", "Failed", 2),
                ),
                (
                    ContextId(0),
                    assoc("agent", "AWS-UpdateSSMAgent", "Success", 0),
                ),
            ],
            ..AssociationsState::default()
        };
        s.derive();
        assert_eq!(s.shown, vec![0, 1, 2]);
        s.filter = "status:failed".into();
        s.derive();
        assert_eq!(s.shown, vec![1]);
        s.filter = "doc:aws-update".into();
        s.derive();
        assert_eq!(s.shown, vec![2]);
        s.filter = "prod inventory".into();
        s.derive();
        assert_eq!(s.shown, vec![0]);
        s.filter = "nothing-like-it".into();
        s.derive();
        assert!(s.shown.is_empty());
        assert_eq!(
            s.totals(),
            vec![("Failed".to_owned(), 2), ("Success".to_owned(), 9)]
        );
    }
}
