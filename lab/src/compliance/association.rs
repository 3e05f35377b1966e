//! Association compliance items of a node: the one place they are
//! derived. Today from [`crate::patch::associations_of`] (the counts
//! DescribeInstanceInformation's AssociationOverview gives); when State
//! Manager associations are real, this function reads them instead.

use std::collections::BTreeMap;

use super::{Execution, Item};
use crate::LabState;
use crate::fleet::LabNode;
use crate::patch::mix;
use crate::patch::store::uuid_of;

/// Documents the derived associations run.
const DOCUMENTS: [&str; 5] = [
    "AWS-GatherSoftwareInventory",
    "AWS-UpdateSSMAgent",
    "AWS-RunPatchBaseline",
    "AWS-ConfigureAWSPackage",
    "AWS-RunShellScript",
];

/// The Association compliance items of `node` as of `now` (epoch
/// seconds): one per association that ran (pending ones have none yet),
/// Id the association id, Title its document's name, Status COMPLIANT
/// when its last run succeeded else NON_COMPLIANT, Severity UNSPECIFIED,
/// ExecutionSummary the last run (the node's LastAssociationExecutionDate,
/// type `Command`), Details DocumentName and DocumentVersion.
pub(crate) fn items(_state: &LabState, node: &LabNode, now: f64) -> Vec<Item> {
    let Some((success, failed, _pending)) = crate::patch::associations_of(node) else {
        return Vec::new();
    };
    let time = (now / 60.0).floor() * 60.0 - 1800.0;
    (0..failed + success)
        .map(|k| {
            let salt = 0xa550_c000 + u64::from(k);
            let document = DOCUMENTS[(mix(&node.id, salt) % DOCUMENTS.len() as u64) as usize];
            Item {
                compliance_type: "Association".into(),
                resource_id: node.id.clone(),
                id: uuid_of(&node.id, salt),
                title: document.into(),
                status: if k < failed {
                    "NON_COMPLIANT"
                } else {
                    "COMPLIANT"
                },
                severity: "UNSPECIFIED",
                execution: Execution {
                    time,
                    id: Some(uuid_of(&node.id, salt ^ 0xe)),
                    kind: Some("Command".into()),
                },
                details: BTreeMap::from([
                    ("DocumentName".to_owned(), document.to_owned()),
                    ("DocumentVersion".to_owned(), "1".to_owned()),
                ]),
            }
        })
        .collect()
}
