//! The Compliance pane's state: every context's counts per compliance
//! type and non-compliant resources, the previous load's (for what
//! changed), the type tab, filter and selection.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::aws::compliance::{ResourceSummary, Severities, TypeSummary};
use crate::model::{ContextId, ContextLabel};
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::RawJson;

/// A resource's key: its context, id and compliance type.
pub type Key = (ContextId, String, String);

/// A row the pane shows: a non-compliant resource of this load, or one
/// the previous load had that is compliant now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// An index into `rows`.
    Now(usize),
    /// An index into `fixed`.
    Fixed(usize),
}

/// The Compliance pane's state.
#[derive(Debug, Default)]
pub struct ComplianceState {
    /// Loaded once (the first show loads).
    pub started: bool,
    /// Generation of the newest load.
    pub generation: u64,
    /// Contexts that have not answered yet.
    pub pending: usize,
    /// Each context's counts per compliance type.
    pub types: Vec<(ContextId, TypeSummary)>,
    /// Every context's non-compliant resources.
    pub rows: Vec<(ContextId, ResourceSummary)>,
    /// Some context's resources were cut at the cap.
    pub cut: bool,
    /// Contexts whose load failed, with why.
    pub failed: Vec<(ContextId, String)>,
    /// The previous load's non-compliant resources (`None` before a
    /// second load).
    pub before: Option<HashMap<Key, ResourceSummary>>,
    /// Resources the previous load had that are compliant now.
    pub fixed: Vec<(ContextId, ResourceSummary)>,
    /// The type tab: 0 is every type, then [`ComplianceState::type_names`].
    pub tab: usize,
    /// The filter text.
    pub filter: String,
    /// The filter before it was edited (Esc puts it back).
    pub filter_before: Option<String>,
    /// The rows shown, in order.
    pub shown: Vec<Shown>,
    /// The cursor over `shown`.
    pub cursor: ListCursor,
    /// Selected managed nodes (context, id): the patch run's targets.
    pub selected: HashSet<(ContextId, String)>,
    /// A patch run was started from here: reload when shown again.
    pub watching: bool,
    /// Node names, by managed node id (from the Fleet pane).
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

impl ComplianceState {
    /// The compliance types of every context, in name order.
    pub fn type_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .types
            .iter()
            .map(|(_, t)| t.compliance_type.clone())
            .chain(self.rows.iter().map(|(_, r)| r.compliance_type.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The type tab's type (`None`: every type).
    pub fn tab_type(&self) -> Option<String> {
        self.tab
            .checked_sub(1)
            .and_then(|i| self.type_names().get(i).cloned())
    }

    /// Compliant and non-compliant counts and the non-compliant by
    /// severity of `compliance_type` (`None`: every type) over the set.
    pub fn totals(&self, compliance_type: Option<&str>) -> (i32, i32, Severities) {
        let mut out = (0, 0, Severities::default());
        for (_, t) in &self.types {
            if compliance_type.is_none_or(|c| c == t.compliance_type) {
                out.0 += t.compliant;
                out.1 += t.noncompliant;
                out.2.add(&t.severities);
            }
        }
        out
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

    /// The resource of a shown row, and whether it is compliant now.
    pub fn row(&self, s: &Shown) -> (&(ContextId, ResourceSummary), bool) {
        match s {
            Shown::Now(i) => (&self.rows[*i], false),
            Shown::Fixed(i) => (&self.fixed[*i], true),
        }
    }

    /// What changed of a row since the previous load: `new`, `was 3
    /// high`, `now compliant`, or empty (no previous load, or the same).
    pub fn change(&self, s: &Shown) -> String {
        let Some(before) = &self.before else {
            return String::new();
        };
        let ((ctx, r), fixed) = self.row(s);
        if fixed {
            return "now compliant".into();
        }
        match before.get(&(*ctx, r.resource.clone(), r.compliance_type.clone())) {
            None => "new".into(),
            Some(b) if b.noncompliant != r.noncompliant => format!("was {}", b.noncompliant.text()),
            Some(_) => String::new(),
        }
    }

    /// Recomputes `shown`: the tab's type, then the filter (each word
    /// must occur in the node id, name, type, severity or context).
    pub fn derive(&mut self) {
        let kind = self.tab_type();
        let words: Vec<String> = self
            .filter
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let keep = |(ctx, r): &(ContextId, ResourceSummary)| {
            if kind.as_ref().is_some_and(|k| *k != r.compliance_type) {
                return false;
            }
            let hay = format!(
                "{} {} {} {} {}",
                r.resource,
                self.names.get(&r.resource).map_or("", String::as_str),
                r.compliance_type,
                r.overall_severity,
                self.context_name(*ctx)
            )
            .to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        };
        let mut shown: Vec<Shown> = (0..self.rows.len())
            .filter(|i| keep(&self.rows[*i]))
            .map(Shown::Now)
            .collect();
        shown.extend(
            (0..self.fixed.len())
                .filter(|i| keep(&self.fixed[*i]))
                .map(Shown::Fixed),
        );
        self.shown = shown;
        self.cursor
            .keep_in_view(self.shown.len(), self.page_rows.max(1));
    }

    /// Ends a load: what the previous load had that this one lacks is
    /// compliant now.
    pub fn finish_load(&mut self, previous: Option<HashMap<Key, ResourceSummary>>) {
        let Some(previous) = previous else {
            return;
        };
        let now: HashSet<Key> = self
            .rows
            .iter()
            .map(|(c, r)| (*c, r.resource.clone(), r.compliance_type.clone()))
            .collect();
        let mut fixed: BTreeMap<Key, ResourceSummary> = BTreeMap::new();
        for (k, r) in &previous {
            if !now.contains(k) {
                fixed.insert(k.clone(), r.clone());
            }
        }
        self.fixed = fixed.into_iter().map(|((c, _, _), r)| (c, r)).collect();
        self.before = Some(previous);
    }

    /// This load's non-compliant resources, by key (the next load's
    /// "before").
    pub fn snapshot(&self) -> HashMap<Key, ResourceSummary> {
        self.rows
            .iter()
            .map(|(c, r)| {
                (
                    (*c, r.resource.clone(), r.compliance_type.clone()),
                    r.clone(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(id: &str, kind: &str, high: i32) -> (ContextId, ResourceSummary) {
        (
            ContextId(0),
            ResourceSummary {
                resource: id.into(),
                compliance_type: kind.into(),
                status: "NON_COMPLIANT".into(),
                overall_severity: "HIGH".into(),
                noncompliant: Severities([0, high, 0, 0, 0, 0]),
                ..ResourceSummary::default()
            },
        )
    }

    #[test]
    fn a_second_load_says_what_changed_and_keeps_the_fixed_nodes() {
        let mut s = ComplianceState {
            rows: vec![
                res("i-1", "Patch", 3),
                res("i-2", "Patch", 1),
                res("i-3", "Association", 1),
            ],
            ..ComplianceState::default()
        };
        s.derive();
        assert_eq!(s.shown.len(), 3);
        assert_eq!(s.change(&s.shown[0].clone()), "", "no previous load");
        let before = s.snapshot();
        s.rows = vec![
            res("i-1", "Patch", 1),
            res("i-4", "Patch", 2),
            res("i-3", "Association", 1),
        ];
        s.finish_load(Some(before));
        s.derive();
        let changes: Vec<(String, String)> = s
            .shown
            .iter()
            .map(|x| (s.row(x).0.1.resource.clone(), s.change(x)))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("i-1".into(), "was 3 high".into()),
                ("i-4".into(), "new".into()),
                ("i-3".into(), String::new()),
                ("i-2".into(), "now compliant".into()),
            ]
        );
        // The Patch tab keeps its type only; the filter words narrow it.
        s.tab = 1 + s
            .type_names()
            .iter()
            .position(|t| t == "Patch")
            .expect("Patch");
        s.derive();
        assert_eq!(s.shown.len(), 3);
        s.filter = "i-4".into();
        s.derive();
        assert_eq!(s.shown, vec![Shown::Now(1)]);
    }
}
