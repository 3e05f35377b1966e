//! The Maintenance pane, for the maintenance shift: every maintenance
//! window of the set (enabled, schedule and time zone, duration, cutoff,
//! next run), the runs of the next 7 days marked where a change calendar
//! will be CLOSED, the change calendars; a window's executions, tasks and
//! targets; an execution's task invocations per node, whose Run Command
//! command opens in the Run Command pane. Cancel a running execution and
//! enable / disable a window, each confirmed (read-only refuses them, the
//! audit log records them). The change calendars also feed the header's
//! freeze badge and the second question before a send.
//!
//! State in [`state`], drawing in `view`, AWS work in [`jobs`], the
//! calendar's iCalendar text in [`ical`].

pub mod ical;
pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{HORIZON_S, MaintenanceJob, MaintenanceMsg};
pub use state::MaintenanceState;

use crate::model::ContextId;

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceAsk {
    /// The time to read a calendar's state at.
    CalendarAt {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
    },
}

/// How often the change calendars are read again for the badge, seconds.
pub const CALENDAR_EVERY_S: i64 = 300;

/// How long a running execution waits before it is read again,
/// milliseconds.
pub const RUNNING_POLL_MS: u64 = 5_000;
