//! The Parameters pane (Parameter Store): the parameter hierarchy as a
//! tree, values on demand, SecureString reveal, the editor with its
//! no-lost-update guard, history with labels and diffs, copy and move of
//! subtrees. State in [`state`], the [`Pane`](crate::pane::Pane) behaviour
//! in `update`, `editor` and `history`, drawing in [`view`], AWS work in
//! [`jobs`].

mod editor;
mod history;
pub mod jobs;
pub mod state;
mod update;
pub mod view;

pub use jobs::{ParamsEvent, ParamsJob};
pub use state::ParamsState;

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A label to attach to version `version` of `name`
    /// (LabelParameterVersion; moves it from any other version).
    AddLabel {
        /// Parameter.
        name: String,
        /// Version.
        version: i64,
    },
    /// A label to detach from version `version` of `name`
    /// (UnlabelParameterVersion).
    RemoveLabel {
        /// Parameter.
        name: String,
        /// Version.
        version: i64,
    },
    /// The prefix to copy (or move) `from` to; a dry run comes first.
    CopyTo {
        /// Source prefix or name.
        from: String,
        /// Delete the sources afterwards.
        move_sources: bool,
    },
    /// The context to browse (`w`): a pick of
    /// [`Request::Choose`](crate::pane::Request::Choose), the context's
    /// number, 1 the first.
    Browse,
    /// The context to copy (or move) `from` to, as `to` (a pick of
    /// [`Request::Choose`](crate::pane::Request::Choose): the context's
    /// number, 1 the first).
    CopyContext {
        /// Source prefix or name.
        from: String,
        /// Destination prefix.
        to: String,
        /// Delete the sources afterwards.
        move_sources: bool,
    },
}

/// The pane's side of one update.
pub type ParamsCx<'a> = crate::pane::Cx<'a, ParamsJob, Ask>;
