//! The Fleet filter's remote terms (`pkg:`, `compliance:`): which the
//! query needs asked of AWS, their answers, and what the pane says about
//! them. Asked when the filter is kept (Enter), shown by a jump, or the
//! fleet reloads — never per keystroke, so typing `pkg:openssl<3.0.7`
//! costs one question, not fifteen. A reload asks again and keeps the
//! older answer until the new one comes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::FleetState;
use crate::aws::node_query::TermAnswer;
use crate::filter::{RemoteIds, RemoteTerm};

/// What the pane knows of one remote term.
#[derive(Debug, Clone, Default)]
pub struct RemoteAnswer {
    /// The node ids it holds for, per context, once an answer came.
    pub ids: Option<RemoteIds>,
    /// The contexts that could not answer, as the user reads it.
    pub failures: Vec<String>,
    /// Some context had more than [`IDS_CAP`](crate::aws::node_query::IDS_CAP) nodes.
    pub cut: bool,
    /// The fleet load the last question was asked for.
    pub generation: u64,
    /// A question is on its way.
    pub asking: bool,
}

impl FleetState {
    /// The remote terms of the query to ask now (each one not answered
    /// for the current load, marked as asked), the answers of terms the
    /// query no longer has dropped. Empty when nothing needs asking.
    pub fn remote_to_ask(&mut self) -> Vec<RemoteTerm> {
        let terms = self.query.remote_terms();
        self.remote.retain(|t, _| terms.contains(t));
        let generation = self.generation;
        let mut ask = Vec::new();
        for t in terms {
            let a = self.remote.entry(t.clone()).or_default();
            if a.generation != generation || a.asking || a.ids.is_none() {
                a.generation = generation;
                a.asking = true;
                ask.push(t);
            }
        }
        ask
    }

    /// Takes the answers of one question asked for load `generation`
    /// (older than the last question about a term: dropped), and
    /// filters again with them.
    pub fn take_remote(&mut self, generation: u64, answers: Vec<TermAnswer>) {
        let mut by_term: HashMap<RemoteTerm, Vec<TermAnswer>> = HashMap::new();
        for a in answers {
            by_term.entry(a.term.clone()).or_default().push(a);
        }
        for (term, parts) in by_term {
            let Some(known) = self.remote.get_mut(&term) else {
                continue;
            };
            if generation < known.generation {
                continue;
            }
            let size = parts.iter().map(|p| p.ctx.index() + 1).max().unwrap_or(0);
            let mut sets: Vec<HashSet<String>> = vec![HashSet::new(); size];
            known.failures.clear();
            known.cut = false;
            for p in parts {
                match p.result {
                    Ok((ids, cut)) => {
                        known.cut |= cut;
                        sets[p.ctx.index()].extend(ids);
                    }
                    Err(e) => {
                        let place = self
                            .contexts
                            .get(p.ctx.index())
                            .filter(|_| self.contexts.len() > 1)
                            .map(|l| format!("{}: ", l.short()))
                            .unwrap_or_default();
                        known.failures.push(format!("{place}{e}"));
                    }
                }
            }
            known.ids = Some(Arc::new(sets));
            known.asking = false;
            known.generation = generation;
        }
        self.rebind_remote();
        self.forget_matches();
    }

    /// The query with the answers known now bound (after an answer, or
    /// when the filter text changes). The recent matches stay: a query
    /// with a new answer is another query to them ([`FleetQuery::same_as`](crate::filter::FleetQuery::same_as)).
    pub(super) fn rebind_remote(&mut self) {
        let remote = &self.remote;
        let query = std::mem::replace(&mut self.query, crate::filter::FleetQuery::parse(""));
        self.query = query.bind_remote(|t| remote.get(t).and_then(|a| a.ids.clone()));
    }

    /// Whether the agents' currency must be asked now: the query asks
    /// `agent:outdated`/`agent:latest`, the last load listed the nodes by
    /// DescribeInstanceProperties (no `IsLatestVersion`), and it was not
    /// asked for this load yet. Marks it asked.
    pub fn agent_currency_to_ask(&mut self) -> bool {
        let asked = self
            .agent_currency
            .is_some_and(|(g, _)| g == self.generation);
        if !self.listed_by_properties() || asked || !self.query.asks_agent_currency() {
            return false;
        }
        self.agent_currency = Some((self.generation, true));
        true
    }

    /// Whether the last load listed some context's nodes by
    /// DescribeInstanceProperties.
    fn listed_by_properties(&self) -> bool {
        self.last_stats
            .as_ref()
            .is_some_and(|s| s.listing == crate::aws::fleet::Listing::Properties)
    }

    /// Takes one context's agents' currency for load `generation`.
    pub fn take_agent_currency(
        &mut self,
        generation: u64,
        result: Result<Vec<(String, bool)>, crate::aws::AwsError>,
    ) {
        if generation != self.generation {
            return;
        }
        if let Some((_, asking)) = &mut self.agent_currency {
            *asking = false;
        }
        match result {
            Ok(pairs) => {
                for (id, latest) in pairs {
                    self.set_agent_latest(&id, latest);
                }
                self.agent_currency_error = None;
            }
            Err(e) => self.agent_currency_error = Some(e.to_string()),
        }
        self.forget_matches();
    }

    /// What the pane says about the query's remote terms: one line per
    /// failed or cut answer (`✗ pkg:x: …`), for above the table.
    pub fn remote_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.listed_by_properties()
            && self.query.asks_agent_currency()
            && let Some(e) = &self.agent_currency_error
        {
            lines.push(format!("✗ agent:outdated: {e}"));
        }
        for t in self.query.remote_terms() {
            let Some(a) = self.remote.get(&t) else {
                continue;
            };
            let key = t.key();
            lines.extend(a.failures.iter().map(|f| format!("✗ {key}: {f}")));
            if a.cut {
                lines.push(format!(
                    "✗ {key}: more nodes than {} answered; only the first are kept — narrow the term",
                    crate::aws::node_query::IDS_CAP
                ));
            }
        }
        lines
    }

    /// Whether a question about the query's remote terms is on its way,
    /// and the first such term with its AWS operation
    /// (`GetInventory for pkg:openssl<3.0.7`).
    pub fn remote_asking(&self) -> Option<String> {
        if self.agent_currency.is_some_and(|(_, asking)| asking) && self.query.asks_agent_currency()
        {
            return Some("DescribeInstanceInformation for agent:".into());
        }
        self.query.remote_terms().into_iter().find_map(|t| {
            self.remote
                .get(&t)
                .filter(|a| a.asking)
                .map(|_| format!("{} for {}", t.operation(), t.key()))
        })
    }

    /// Why the view is empty when the query awaits a remote answer: on
    /// its way, or not asked until the filter is kept.
    pub fn remote_wait_text(&self) -> Option<String> {
        if !self.query.awaits_remote() {
            return None;
        }
        Some(match self.remote_asking() {
            Some(what) => format!("Asking {what}…"),
            None => {
                let terms: Vec<String> = self
                    .query
                    .remote_terms()
                    .iter()
                    .map(RemoteTerm::key)
                    .collect();
                format!(
                    "{} is asked of AWS when you keep the filter (Enter).",
                    terms.join(" ")
                )
            }
        })
    }
}
