//! The Activations pane (hybrid nodes): the activations of every context
//! of the set (DescribeActivations) with their registrations against the
//! limit and their expiry; a new activation from one typed line
//! (CreateActivation), its code shown once in a panel and then dropped;
//! delete (DeleteActivation, confirmed). Both writes are refused in
//! read-only mode and audited, the code never.
//!
//! State in [`state`], AWS work in [`jobs`], the typed line in [`create`].

pub mod create;
pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{ActivationsJob, ActivationsMsg};
pub use state::ActivationsState;

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivationsAsk {
    /// A new activation in context `ctx`: the answer is a
    /// [`create::SYNTAX`] line.
    Create {
        /// The context it goes to.
        ctx: crate::model::ContextId,
    },
}
