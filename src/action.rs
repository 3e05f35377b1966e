//! Actions: what the user asks for (bindable [`Command`]s, snake_case in
//! keymaps) and what tasks report back (results, stream chunks, notices).

use std::time::Instant;

pub use crate::keys::{Command, InputKey};

use crate::aws::AwsError;
use crate::model::CallerIdentity;

/// Writes [`Action`] from the pane table ([`pane_table!`](crate::pane_table)):
/// the shell's variants, and one per pane (`msg`) carrying its reports.
macro_rules! action_enum {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident {
            module: $module:ident, state: $state:ident, field: $field:ident, slot: $slot:ident,
            title: $title:literal, short: $short:literal, layer: $layer:ident, keys: $keys:literal,
            command: $command:literal, about: $about:literal,
            job: $job:ident, msg: $msg:ident $(,)?
        }
    )*) => {
        /// Everything `update` consumes.
        #[derive(Debug, Clone)]
        pub enum Action {
            /// A bound command.
            Command(Command),
            /// A key typed while a text input (filter, command line) has focus.
            Input(InputKey),
            /// Periodic tick carrying the current time (expires notices).
            Tick(Instant),
            /// The terminal was resized to columns × rows (characters).
            Resize(u16, u16),
            /// STS `GetCallerIdentity` answered.
            IdentityLoaded(Result<CallerIdentity, AwsError>),
            /// STS GetCallerIdentity of one context of the set answered.
            ContextIdentity(crate::model::ContextId, Result<CallerIdentity, AwsError>),
            /// The IAM alias of one context's account (ListAccountAliases):
            /// context, alias.
            AccountAlias(crate::model::ContextId, String),
            /// A passing notice (throttling, retries), shown for a few seconds.
            Notice(String, Instant),
            /// A write did not succeed (its audit outcome): kept on screen until
            /// acknowledged, and in `:messages`.
            WriteFailed(String),
            /// Configuration problems found at start, shown in the status line.
            ConfigProblems(Vec<String>),
            /// A raw key for the editor (it handles its own keys).
            Key(crossterm::event::KeyEvent),
            /// Mouse input (only sent when mouse support is on).
            Mouse(MouseInput),
            /// A profile or region switch finished: the new context, or why not
            /// (the old one stays).
            ContextSwitched(Result<ContextInfo, String>),
            /// Profiles found in the shared AWS config files.
            ProfilesLoaded(Vec<String>),
            $(
                #[doc = concat!("A report of the ", $title, " pane's jobs ([`Pane::Msg`](crate::pane::Pane::Msg)).")]
                $msg(<crate::panes::$module::$state as crate::pane::Pane>::Msg),
            )*
            /// Text pasted into the terminal (bracketed paste).
            Paste(String),
            /// A job's report, tagged with the context generation it was started
            /// under: `update` drops reports of an older context (a profile or
            /// region switch), except a session's, which lives on its own context.
            Reported {
                /// The context generation ([`ContextInfo::generation`]).
                context: u64,
                /// The report.
                action: Box<Action>,
            },
        }
    };
}

crate::pane_table!(action_enum $);

impl Action {
    /// The report inside [`Action::Reported`] (any other action as it is).
    pub fn unreported(self) -> Action {
        match self {
            Action::Reported { action, .. } => action.unreported(),
            other => other,
        }
    }
}

pub use crate::panes::opscenter::OpsCenterEvent;
pub use crate::panes::parameters::ParamsEvent;
pub use crate::panes::run_command::{CommandsEvent, LiveRead, PollResult};

/// What the header shows about the AWS context.
#[derive(Debug, Clone, Default)]
pub struct ContextInfo {
    /// Profile name, if any.
    pub profile: Option<String>,
    /// Region.
    pub region: String,
    /// Endpoint when not AWS.
    pub endpoint: Option<String>,
    /// Caller identity once known.
    pub identity: Option<CallerIdentity>,
    /// Why the identity could not be read.
    pub identity_error: Option<AwsError>,
    /// Counts context switches: reports of jobs started under another
    /// generation are stale ([`Action::Reported`]).
    pub generation: u64,
    /// After a switch to a context set (the `:contexts` picker): its
    /// labels, in set order, with why each is read-only (empty: one
    /// context, this one).
    pub labels: Vec<crate::model::ContextLabel>,
}

/// Mouse input the console handles (when mouse support is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseInput {
    /// Left click at column, row (cells, 0-based).
    Click(u16, u16),
    /// Wheel up.
    ScrollUp,
    /// Wheel down.
    ScrollDown,
}
