//! The key vocabulary: bindable key actions ([`Command`], snake_case in
//! keymaps) and the keys a text input understands ([`InputKey`]). A leaf
//! module: keymaps, panes and widgets use it without the rest of the app.

use serde::{Deserialize, Serialize};

/// User-bindable commands; keymaps name them in snake_case (`select_next`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Quit the console.
    Quit,
    /// Toggle the help overlay.
    Help,
    /// Open the `:` command line.
    CommandLine,
    /// Reload the current pane.
    Refresh,
    /// Cursor down one row.
    SelectNext,
    /// Cursor up one row.
    SelectPrev,
    /// Cursor to the first row.
    SelectFirst,
    /// Cursor to the last row.
    SelectLast,
    /// Cursor down half a page.
    PageDown,
    /// Cursor up half a page.
    PageUp,
    /// Edit the filter.
    Filter,
    /// Close the innermost view: details, then the filter.
    Back,
    /// Open the details of the row under the cursor.
    OpenDetails,
    /// Select or unselect the row under the cursor.
    ToggleSelect,
    /// Select every row that matches the filter.
    SelectAllMatching,
    /// Clear the selection.
    ClearSelection,
    /// Sort by the next column.
    SortNext,
    /// Sort by a column picked from a list (one step).
    SortBy,
    /// Show the object under the cursor as read-only pretty JSON.
    RawJson,
    /// Reverse the sort order.
    SortReverse,
    /// Show the next pane.
    NextPane,
    /// Show the previous pane.
    PrevPane,
    /// Open the folder under the cursor.
    Expand,
    /// Close the folder, or go to the parent level.
    Collapse,
    /// Reveal the SecureString under the cursor (re-masked when the cursor moves).
    Reveal,
    /// Edit the value of the parameter under the cursor.
    Edit,
    /// Create a parameter under the current level.
    Create,
    /// Delete the parameter under the cursor (asks first).
    Delete,
    /// Show every version of the parameter under the cursor.
    History,
    /// Copy the name (OSC 52 clipboard).
    CopyName,
    /// Copy the value (a SecureString only once revealed).
    CopyValue,
    /// Copy the ARN.
    CopyArn,
    /// Diff the marked version against the one under the cursor.
    Diff,
    /// Restore the version under the cursor as a new version (asks first).
    Restore,
    /// Attach a label to the version under the cursor.
    AddLabel,
    /// Detach a label from the version under the cursor.
    RemoveLabel,
    /// Copy the level (or parameter) under the cursor to another prefix, after a dry run.
    CopyTree,
    /// Move the level (or parameter) under the cursor to another prefix, after a dry run.
    MoveTree,
    /// Compare the parameter under the cursor across every context of the set.
    Compare,
    /// Run a command on the selected nodes (opens the composer).
    RunCommand,
    /// Cancel the command (the chosen nodes, or all of them).
    CancelCommand,
    /// Run the same command again on the nodes that failed.
    Rerun,
    /// Group nodes by identical status, exit code and output.
    ToggleGroups,
    /// Export the results (status, exit code, stdout, stderr per node) as JSON.
    Export,
    /// Set the status of the OpsItem (or the selected ones).
    SetStatus,
    /// Set the priority of the OpsItem (or the selected ones).
    SetPriority,
    /// Set the severity of the OpsItem (or the selected ones).
    SetSeverity,
    /// Add a note (operational data with the time and your identity).
    AddNote,
    /// Add or replace an operational data entry.
    AddOpsData,
    /// Delete an operational data entry.
    RemoveOpsData,
    /// Relate another OpsItem.
    LinkItem,
    /// Show a related managed node in the Fleet pane.
    JumpToNode,
    /// Show the OpsItems about the node under the cursor (OpsCenter, `node:` filter).
    NodeOpsItems,
    /// Open a Session Manager shell on the node (a new tab in Sessions).
    StartSession,
    /// Give the keys to the shown session's shell.
    TerminalFocus,
    /// Take the keys back from the shell (the escape chord).
    TerminalUnfocus,
    /// Terminate the shown session (asks first).
    TerminateSession,
    /// Close the tab of an ended session.
    CloseSession,
    /// Show the next session tab.
    NextTab,
    /// Show the previous session tab.
    PrevTab,
    /// In a confirmation: do it (`[confirm]`).
    Yes,
    /// In a confirmation: don't (`[confirm]`).
    No,
    /// In a choice list: take the highlighted option (`[choice]`).
    Pick,
    /// Forward a local port to the node (or a host it reaches).
    ForwardPort,
    /// Browse another context (account and region) of the set.
    Context,
    /// The contexts of the set, how each one's loads stand, and the
    /// picker that changes the set (`:contexts`).
    Contexts,
    /// Enable or disable the maintenance window in view (asks first).
    ToggleEnabled,
    /// A change calendar's state at a time the user types.
    AtTime,
    /// Approve the waiting `aws:approve` step (SendAutomationSignal).
    Approve,
    /// Reject the waiting `aws:approve` step.
    Reject,
    /// Interactive mode: run the step under the cursor (StartStep).
    StartStep,
    /// Interactive mode: let the execution go on by itself (Resume).
    Resume,
    /// Start an Automation runbook on the selected nodes (Fleet) or the
    /// OpsItem's nodes.
    RunRunbook,
    /// The Automation executions recorded on the OpsItem.
    Automations,
    /// Run the State Manager association now, whatever its schedule
    /// (StartAssociationsOnce; asks first).
    ApplyNow,
    /// Scan or install patches on the selected nodes (AWS-RunPatchBaseline
    /// in the Run Command composer; pick the operation first).
    Patch,
    /// Deregister the selected Inactive hybrid (`mi-`) nodes
    /// (DeregisterManagedInstance; asks first).
    Deregister,
}

impl Command {
    /// Every command, for validation messages and completion.
    pub const ALL: &'static [Command] = &[
        Command::Quit,
        Command::Help,
        Command::CommandLine,
        Command::Refresh,
        Command::SelectNext,
        Command::SelectPrev,
        Command::SelectFirst,
        Command::SelectLast,
        Command::PageDown,
        Command::PageUp,
        Command::Filter,
        Command::Back,
        Command::OpenDetails,
        Command::ToggleSelect,
        Command::SelectAllMatching,
        Command::ClearSelection,
        Command::SortNext,
        Command::SortBy,
        Command::RawJson,
        Command::SortReverse,
        Command::NextPane,
        Command::PrevPane,
        Command::Expand,
        Command::Collapse,
        Command::Reveal,
        Command::Edit,
        Command::Create,
        Command::Delete,
        Command::History,
        Command::CopyName,
        Command::CopyValue,
        Command::CopyArn,
        Command::Diff,
        Command::Restore,
        Command::AddLabel,
        Command::RemoveLabel,
        Command::CopyTree,
        Command::MoveTree,
        Command::Compare,
        Command::RunCommand,
        Command::CancelCommand,
        Command::Rerun,
        Command::ToggleGroups,
        Command::Export,
        Command::SetStatus,
        Command::SetPriority,
        Command::SetSeverity,
        Command::AddNote,
        Command::AddOpsData,
        Command::RemoveOpsData,
        Command::LinkItem,
        Command::JumpToNode,
        Command::NodeOpsItems,
        Command::StartSession,
        Command::TerminalFocus,
        Command::TerminalUnfocus,
        Command::TerminateSession,
        Command::CloseSession,
        Command::NextTab,
        Command::PrevTab,
        Command::ForwardPort,
        Command::Context,
        Command::Contexts,
        Command::ToggleEnabled,
        Command::AtTime,
        Command::Approve,
        Command::Reject,
        Command::StartStep,
        Command::Resume,
        Command::RunRunbook,
        Command::Automations,
        Command::ApplyNow,
        Command::Patch,
        Command::Deregister,
        Command::Yes,
        Command::No,
        Command::Pick,
    ];

    /// The snake_case name used in keymaps.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Parses a snake_case name.
    pub fn from_name(name: &str) -> Option<Command> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// Keys a text input understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    /// A printable character.
    Char(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the word before the cursor (Ctrl-W).
    DeleteWord,
    /// Clear the line (Ctrl-U).
    Clear,
    /// Complete (Tab).
    Complete,
    /// Accept (Enter).
    Submit,
    /// Abandon (Esc).
    Cancel,
    /// Move the cursor within the list while typing (Up/Down).
    Up,
    /// See [`InputKey::Up`].
    Down,
    /// Cursor one character left.
    Left,
    /// Cursor one character right.
    Right,
    /// Cursor to the start of the line (Home, Ctrl-A).
    Home,
    /// Cursor to the end of the line (End, Ctrl-E).
    End,
    /// Delete the character under the cursor.
    Delete,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Command::ALL {
            assert_eq!(Command::from_name(&c.name()), Some(*c), "{c:?}");
        }
        assert_eq!(Command::SelectNext.name(), "select_next");
        assert_eq!(Command::from_name("nope"), None);
    }
}
