//! Association compliance items of a node: the one place they are
//! derived, from the State Manager associations' statuses on the node
//! (the store DescribeInstanceAssociationsStatus reads).

use std::collections::BTreeMap;

use super::{Execution, Item};
use crate::LabState;
use crate::fleet::LabNode;

/// The Association compliance items of `node`: one per association that
/// ran on it (a pending one has none yet), Id the association id, Title
/// its document's name, Status COMPLIANT when its last run succeeded else
/// NON_COMPLIANT, Severity the association's ComplianceSeverity,
/// ExecutionSummary its last execution (type `Command`), Details
/// DocumentName and DocumentVersion. `_now` is unused: the statuses carry
/// their own times.
pub(crate) fn items(state: &LabState, node: &LabNode, _now: f64) -> Vec<Item> {
    let statuses = {
        let store = state.associations.lock().expect("associations lock");
        crate::associations::instance_statuses(&store, &node.id)
    };
    statuses
        .into_iter()
        .filter(|s| s.status != "Pending")
        .map(|s| Item {
            compliance_type: "Association".into(),
            resource_id: node.id.clone(),
            id: s.association_id.clone(),
            title: s.document.clone(),
            status: if s.status == "Success" {
                "COMPLIANT"
            } else {
                "NON_COMPLIANT"
            },
            severity: severity(&s.compliance_severity),
            execution: Execution {
                time: s.execution_date,
                id: Some(s.execution_id.clone()),
                kind: Some("Command".into()),
            },
            details: BTreeMap::from([
                ("DocumentName".to_owned(), s.document.clone()),
                ("DocumentVersion".to_owned(), s.document_version.clone()),
            ]),
        })
        .collect()
}

/// The model's `ComplianceSeverity` value for `s` (`UNSPECIFIED` when it
/// is none of them).
fn severity(s: &str) -> &'static str {
    ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
        .into_iter()
        .find(|x| *x == s)
        .unwrap_or("UNSPECIFIED")
}
