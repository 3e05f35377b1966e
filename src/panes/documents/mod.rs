//! The Documents pane: the SSM documents of every context of the set by
//! type (tabs: Command, Automation, Session, Package, ChangeCalendar,
//! Policy) and owner (`owner:Self|Amazon|Private|Public|ThirdParty`), with
//! a fuzzy search over names; a document's description, parameters and
//! content (GetDocument as JSON or YAML, keys highlighted); its versions
//! (ListDocumentVersions, the default marked) and a line diff between two.
//! From a document: a Command document opens the Run Command composer on
//! the Fleet selection with it, a Package (Distributor) opens it with
//! AWS-ConfigureAWSPackage (Install, the package's name), an Automation
//! runbook opens the Automation pane's runbooks with it first.
//!
//! State in [`state`], AWS work in [`jobs`]; every job reads.

pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{DocumentsJob, DocumentsMsg};
pub use state::DocumentsState;

/// The diff shown, one line each (`-`, `+`, ` ` prefixes; the two
/// versions' headers first), for tests and exports.
pub fn diff_text(s: &DocumentsState) -> Vec<String> {
    view::diff_lines(s)
}
