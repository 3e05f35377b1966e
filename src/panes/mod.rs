//! The panes, one folder each: the pane's jobs (the asynchronous work it
//! asks for, with the AWS write each declares) and the messages they
//! report, and their state, update and view behind the
//! [`Pane`](crate::pane::Pane) trait.
//!
//! [`pane_table!`](crate::pane_table) is the one place a pane is
//! registered.

/// The pane table: one entry per pane, in tab order. Everything the
/// console needs to know of a pane is generated from it by the callback
/// macros it is handed: its module here, its state in the `App` (`field`)
/// and that state's default (`app_struct!`), its report's `Action`
/// variant (`msg`, carrying its [`Pane::Msg`](crate::pane::Pane::Msg);
/// `action_enum!`), its keymap layer (`layer`, TOML table `keys`, in
/// `Layer::ALL`; `layers!`), and the registry (`registry!` in
/// `src/app/registry.rs`: the `Pane` variant, tab `title` and `short`
/// title, `:` `command` and what it does (`about`), its `Slot` constant
/// `slot`, the `Effect` variant `job` carrying its
/// [`Pane::Job`](crate::pane::Pane::Job), prompt routing and the update
/// and runner arms).
///
/// `crate::pane_table!(callback $)` expands to `callback! { $ entries… }`:
/// the `$` lets a callback define macros of its own.
#[macro_export]
macro_rules! pane_table {
    ($callback:ident $d:tt) => {
        $callback! { $d
            /// Managed nodes.
            Fleet {
                module: fleet, state: FleetState, field: fleet, slot: FLEET,
                title: "Fleet", short: "Fleet", layer: Fleet, keys: "fleet",
                command: "fleet", about: "show the Fleet pane",
                job: Fleet, msg: Fleet,
            }
            /// Run Command.
            Commands {
                module: run_command, state: CommandsState, field: commands, slot: RUN_COMMAND,
                title: "Run Command", short: "Run", layer: Commands, keys: "commands",
                command: "commands", about: "show the Run Command pane",
                job: RunCommand, msg: Commands,
            }
            /// Parameter Store.
            Parameters {
                module: parameters, state: ParamsState, field: params, slot: PARAMS,
                title: "Parameters", short: "Params", layer: Parameters, keys: "parameters",
                command: "params", about: "show the Parameters pane",
                job: Parameters, msg: Params,
            }
            /// OpsCenter.
            OpsCenter {
                module: opscenter, state: OpsState, field: ops, slot: OPS,
                title: "OpsCenter", short: "Ops", layer: OpsCenter, keys: "opscenter",
                command: "ops", about: "show the OpsCenter pane",
                job: OpsCenter, msg: Ops,
            }
            /// Session Manager shells.
            Sessions {
                module: sessions, state: SessionsState, field: sessions, slot: SESSIONS,
                title: "Sessions", short: "Sessions", layer: Sessions, keys: "sessions",
                command: "sessions", about: "show the Sessions pane",
                job: Sessions, msg: Sessions,
            }
            /// Counts across the context set.
            Overview {
                module: overview, state: OverviewState, field: overview, slot: OVERVIEW,
                title: "Overview", short: "Overview", layer: Overview, keys: "overview",
                command: "overview", about: "show the Overview: nodes and open OpsItems per account and region",
                job: Overview, msg: Overview,
            }
            /// Maintenance windows and change calendars (also behind the header's freeze badge and a send's second question).
            Maintenance {
                module: maintenance, state: MaintenanceState, field: maintenance, slot: MAINTENANCE,
                title: "Maintenance", short: "Maint", layer: Maintenance, keys: "maintenance",
                command: "maintenance", about: "show maintenance windows, the next 7 days' runs and change calendars",
                job: Maintenance, msg: Maintenance,
            }
            /// Automation executions and runbooks.
            Automation {
                module: automation, state: AutomationState, field: automation, slot: AUTOMATION,
                title: "Automation", short: "Auto", layer: Automation, keys: "automation",
                command: "automation", about: "show Automation executions and runbooks (start, approve, stop)",
                job: Automation, msg: Automation,
            }
            /// SSM documents, their content and versions.
            Documents {
                module: documents, state: DocumentsState, field: documents, slot: DOCUMENTS,
                title: "Documents", short: "Docs", layer: Documents, keys: "documents",
                command: "documents", about: "show SSM documents by type and owner: content, versions, diff",
                job: Documents, msg: Documents,
            }
            /// State Manager associations, their executions and targets.
            Associations {
                module: associations, state: AssociationsState, field: associations, slot: ASSOCIATIONS,
                title: "Associations", short: "Assoc", layer: Associations, keys: "associations",
                command: "associations", about: "show State Manager associations: executions, targets, apply now",
                job: Associations, msg: Associations,
            }
            /// Compliance by type and the non-compliant nodes.
            Compliance {
                module: compliance, state: ComplianceState, field: compliance, slot: COMPLIANCE,
                title: "Compliance", short: "Compl", layer: Compliance, keys: "compliance",
                command: "compliance", about: "show compliance by type and the non-compliant nodes; scan or install patches",
                job: Compliance, msg: Compliance,
            }
            /// Hybrid activations (register `mi-` nodes).
            Activations {
                module: activations, state: ActivationsState, field: activations, slot: ACTIVATIONS,
                title: "Activations", short: "Activ", layer: Activations, keys: "activations",
                command: "activations", about: "show hybrid activations: registrations, expiry; create, delete",
                job: Activations, msg: Activations,
            }
        }
    };
}

/// `pub mod` for each pane of the table.
macro_rules! pane_modules {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident { module: $module:ident, $($rest:tt)* }
    )*) => {
        $(pub mod $module;)*
    };
}

crate::pane_table!(pane_modules $);

pub mod harness;
