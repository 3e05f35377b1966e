//! Fleet `X`: deregister dead hybrid nodes (DeregisterManagedInstance).
//!
//! Only `mi-` nodes whose ping status is `Inactive` qualify: an EC2
//! instance leaves Systems Manager when it is terminated, and an online or
//! connection-lost hybrid node is still (or may come back) in use. The
//! selection (or the node under the cursor) is split into the nodes that
//! qualify and the others, each named with why it is skipped; when none
//! qualifies nothing is asked. The confirmation names the count and the
//! first ids; the job then sends one DeregisterManagedInstance per node,
//! one audit line each, and the fleet is read again.

use crate::aws::AwsError;
use crate::aws::fleet::FleetEvent;
use crate::job::{JobBase, JobEnv, Mutation, Outcome};
use crate::model::{ContextId, ManagedNode, PingStatus};
use crate::pane::Request;

use super::jobs::{FleetJob, FleetMsg};
use super::{FleetCx, FleetState};

/// Ids the confirmation names before `and N more`.
const NAMED: usize = 5;

/// Why node `n` may not be deregistered, `None` when it may.
pub fn why_not(n: &ManagedNode) -> Option<String> {
    if !n.id.starts_with("mi-") {
        return Some(format!(
            "{} is an EC2 instance (it leaves Systems Manager when it is terminated)",
            n.id
        ));
    }
    match n.ping_status {
        PingStatus::Inactive => None,
        PingStatus::Online => Some(format!("{} is Online", n.id)),
        PingStatus::ConnectionLost => Some(format!(
            "{} is ConnectionLost (it may come back; only Inactive nodes are deregistered)",
            n.id
        )),
        PingStatus::Unknown => Some(format!("{} has no known ping status", n.id)),
    }
}

/// `a, b, c and 2 more`.
fn first_ids(ids: &[String]) -> String {
    let mut text = ids
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > NAMED {
        text.push_str(&format!(" and {} more", ids.len() - NAMED));
    }
    text
}

/// `X`: asks to deregister the qualifying nodes of the selection (or the
/// node under the cursor), naming the ones skipped; refuses, naming them
/// all, when none qualifies.
pub fn ask(p: &FleetState, cx: &mut FleetCx) {
    let mut ids: Vec<String> = p.selected.iter().cloned().collect();
    ids.sort();
    if ids.is_empty() {
        match p.current() {
            Some(n) => ids.push(n.id.clone()),
            None => return cx.notice("no node to deregister"),
        }
    }
    let mut go: Vec<(ContextId, String)> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for id in &ids {
        match p.node(id) {
            None => skipped.push(format!("{id} is not in the fleet any more")),
            Some(n) => match why_not(n) {
                None => go.push((n.ctx, n.id.clone())),
                Some(why) => skipped.push(why),
            },
        }
    }
    if go.is_empty() {
        return cx.notice(format!(
            "nothing deregistered: only Inactive hybrid (mi-) nodes are; {}",
            skipped.join("; ")
        ));
    }
    let names: Vec<String> = go.iter().map(|(_, id)| id.clone()).collect();
    let mut lines = vec![
        format!(
            "Deregister {} Inactive hybrid node(s) (DeregisterManagedInstance): {}",
            go.len(),
            first_ids(&names)
        ),
        "They leave Systems Manager: Run Command, Session Manager and inventory no longer reach them; a node comes back only if its agent registers again with an activation.".into(),
    ];
    if !skipped.is_empty() {
        lines.push(format!(
            "Skipped {} (not Inactive mi- nodes): {}",
            skipped.len(),
            skipped
                .iter()
                .take(NAMED)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
                + &if skipped.len() > NAMED {
                    format!("; and {} more", skipped.len() - NAMED)
                } else {
                    String::new()
                }
        ));
    }
    lines.push(format!("In {}", cx.shared.where_));
    cx.request(Request::Confirm {
        title: format!("Deregister {} node(s)?", go.len()),
        lines,
        yes: FleetJob::Deregister { nodes: go },
    });
}

/// The declared write of a deregistration of `nodes`.
pub fn mutation(nodes: &[(ContextId, String)]) -> Mutation {
    Mutation::new(
        "ssm:DeregisterManagedInstance",
        nodes.iter().map(|(_, id)| id.clone()).collect(),
        "deregister Inactive hybrid node",
    )
}

/// The contexts the deregistration writes to.
pub fn writes_to(nodes: &[(ContextId, String)], _base: &JobBase) -> Vec<ContextId> {
    let mut out: Vec<ContextId> = nodes.iter().map(|(c, _)| *c).collect();
    out.sort_by_key(|c| c.index());
    out.dedup();
    out
}

/// One DeregisterManagedInstance per node, in order.
pub async fn run(env: &JobEnv<FleetMsg>, nodes: Vec<(ContextId, String)>) -> FleetMsg {
    let mut results = Vec::with_capacity(nodes.len());
    for (ctx, id) in nodes {
        let r = crate::aws::activations::deregister(env.contexts.get(ctx), &id).await;
        results.push((ctx, id, r));
    }
    FleetMsg {
        generation: 0,
        ctx: ContextId::default(),
        event: FleetEvent::Deregistered(results),
    }
}

/// One audit line per node.
pub fn outcomes(results: &[(ContextId, String, Result<(), AwsError>)]) -> Vec<Outcome> {
    results
        .iter()
        .map(|(ctx, id, r)| Outcome::of(r).targets(vec![id.clone()]).in_context(*ctx))
        .collect()
}

/// The deregistration answered: says what went and what failed (and
/// why), unselects the nodes that went, and reads the fleet again.
pub fn on_result(
    p: &mut FleetState,
    results: Vec<(ContextId, String, Result<(), AwsError>)>,
    cx: &mut FleetCx,
) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (_, id, r) in results {
        match r {
            Ok(()) => {
                p.selected.remove(&id);
                ok.push(id);
            }
            Err(e) => failed.push(format!("{id}: {e}")),
        }
    }
    let mut text = format!("deregistered {} node(s)", ok.len());
    if !ok.is_empty() {
        text.push_str(&format!(": {}", first_ids(&ok)));
    }
    if !failed.is_empty() {
        text.push_str(&format!("; {} failed: {}", failed.len(), failed.join("; ")));
    }
    cx.notice(text);
    p.load(cx);
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::pane::{Cx, Shared};

    fn node(id: &str, ping: PingStatus) -> ManagedNode {
        ManagedNode {
            id: id.into(),
            ping_status: ping,
            ..ManagedNode::default()
        }
    }

    #[test]
    fn only_inactive_hybrid_nodes_are_asked_about_and_the_others_are_named() {
        let mut p = FleetState::default();
        let generation = p.begin_load(Instant::now());
        let nodes = vec![
            node("mi-0000000000000000a", PingStatus::Inactive),
            node("mi-0000000000000000b", PingStatus::Online),
            node("i-0000000000000000c", PingStatus::Inactive),
        ];
        p.apply(generation, FleetEvent::Page(nodes), Instant::now());
        p.selected = p.nodes.iter().map(|n| n.id.clone()).collect();
        let sel = HashSet::new();
        let shared = Shared {
            where_: "account 1, region r",
            selected: &sel,
            ..Shared::default()
        };
        let mut cx: FleetCx = Cx::new(Instant::now(), shared);
        ask(&p, &mut cx);
        let (jobs, requests) = cx.finish();
        assert!(jobs.is_empty(), "nothing runs before the answer");
        let [Request::Confirm { title, lines, yes }] = requests.as_slice() else {
            panic!("one confirmation: {requests:?}")
        };
        assert_eq!(title, "Deregister 1 node(s)?");
        let text = lines.join("\n");
        assert!(text.contains("mi-0000000000000000a"), "{text}");
        assert!(text.contains("Skipped 2"), "{text}");
        assert!(text.contains("mi-0000000000000000b is Online"), "{text}");
        assert!(
            text.contains("i-0000000000000000c is an EC2 instance"),
            "{text}"
        );
        let m = crate::job::Job::mutation(yes).expect("a declared write");
        assert_eq!(m.action, "ssm:DeregisterManagedInstance");
        assert_eq!(m.targets, vec!["mi-0000000000000000a".to_owned()]);

        // None qualifies: refused with each named, nothing asked.
        p.selected = [
            "mi-0000000000000000b".to_owned(),
            "i-0000000000000000c".to_owned(),
        ]
        .into_iter()
        .collect();
        let mut cx: FleetCx = Cx::new(Instant::now(), shared);
        ask(&p, &mut cx);
        let (_, requests) = cx.finish();
        let [Request::Notice(n)] = requests.as_slice() else {
            panic!("a notice: {requests:?}")
        };
        assert!(
            n.contains("nothing deregistered") && n.contains("mi-0000000000000000b is Online"),
            "{n}"
        );
    }

    #[test]
    fn each_node_has_its_own_audit_line() {
        let results = vec![
            (ContextId(0), "mi-a".to_owned(), Ok(())),
            (
                ContextId(0),
                "mi-b".to_owned(),
                Err(AwsError::local("ssm:DeregisterManagedInstance", "boom")),
            ),
        ];
        let o = outcomes(&results);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].targets, Some(vec!["mi-a".to_owned()]));
        assert_eq!(o[0].outcome, "ok");
        assert_ne!(o[1].outcome, "ok");
    }
}
