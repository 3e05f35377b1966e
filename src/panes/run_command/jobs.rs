//! Run Command jobs: documents, send, status polls, live and full output,
//! cancel, history, export. SendCommand and CancelCommand declare their writes.

use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::commands::{self, FullOutput, LiveCursor, LiveLine, SendRequest, Targets};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::{CommandInvocation, CommandSummary, ContextId, DocumentInfo};

/// New live lines and the cursor to continue from.
pub type LiveRead = (Vec<LiveLine>, LiveCursor);

/// One status poll of a run.
#[derive(Debug, Clone, Default)]
pub struct PollResult {
    /// Every invocation listed (ListCommandInvocations).
    pub invocations: Vec<CommandInvocation>,
    /// ListCommandInvocations calls made.
    pub calls: u32,
    /// The commands' own status and TargetCount (ListCommands, one call per
    /// command id), read only once every invocation listed is final: then
    /// it tells whether more are still to come (tag targets resolving).
    pub commands: Vec<CommandSummary>,
}

/// Results of Run Command jobs.
#[derive(Debug, Clone)]
pub enum CommandsEvent {
    /// Command documents (ListDocuments).
    Documents(Result<Vec<String>, AwsError>),
    /// A document's parameter schema (DescribeDocument).
    DocumentParams(String, Result<DocumentInfo, AwsError>),
    /// SendCommand answered; carries the request it answers.
    Sent(Result<Vec<String>, AwsError>, SendRequest),
    /// A send across several contexts answered: each context's command
    /// ids or error, with the node ids sent there and the context's name.
    SentAcross(Vec<ContextSend>, SendRequest),
    /// A status poll of run `.0`.
    Polled(usize, Result<PollResult, AwsError>),
    /// Live output of run `.0`, command `.1`: lines and where to continue.
    Live(usize, String, Result<LiveRead, AwsError>),
    /// Full output of one node of run `.0`, node `.1`.
    Output(usize, String, Result<FullOutput, AwsError>),
    /// First stderr lines of run `.0`'s failed nodes (GetCommandInvocation):
    /// per node id, its first non-empty `StandardErrorContent` line ("" when
    /// none) or why it could not be read.
    Stderr(usize, Vec<(String, Result<String, AwsError>)>),
    /// CancelCommand answered.
    Cancelled(Result<(), AwsError>),
    /// Past commands.
    History(Result<Vec<CommandSummary>, AwsError>),
    /// Export finished.
    Exported {
        /// The file written, or why not.
        result: Result<String, String>,
        /// The path as the user gave it (asked again with it on failure).
        asked: String,
        /// The run's command ids (to ask again).
        command_ids: Vec<String>,
    },
    /// The pane's file in the data directory read: its text (`None`: no
    /// file or no data directory), or why it could not be read.
    MemoryRead(Result<Option<String>, String>),
    /// The pane's file written, or why not.
    MemorySaved(Result<(), String>),
}

/// One context's part of a send across several ([`CommandsJob::SendAcross`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The context.
    pub ctx: ContextId,
    /// `ACCOUNT REGION`, for the audit line and messages.
    pub name: String,
    /// Its managed node ids (empty: tag targets, sent as they are).
    pub nodes: Vec<String>,
}

/// What one context answered to a send across several.
#[derive(Debug, Clone)]
pub struct ContextSend {
    /// Where it went.
    pub placement: Placement,
    /// Its command ids (one per 50 nodes), or why not.
    pub result: Result<Vec<String>, AwsError>,
}

/// Work of the Run Command pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandsJob {
    /// List Command documents.
    Documents,
    /// Read a document's parameter schema.
    DocumentParams {
        /// Document name.
        name: String,
    },
    /// SendCommand (chunks of 50 nodes; not cancellable: a send that
    /// started must report its command ids).
    Send(SendRequest),
    /// SendCommand in each context of `placements`, one after the other
    /// (its nodes in chunks of 50, or the request's tag targets); a context
    /// that fails does not stop the others.
    SendAcross {
        /// The command (its node targets are replaced per context).
        req: SendRequest,
        /// Where it goes.
        placements: Vec<Placement>,
    },
    /// Poll run `run`'s invocations (ListCommandInvocations) after `delay_ms`,
    /// and its commands (ListCommands) once those are all final.
    Poll {
        /// Run number.
        run: usize,
        /// Its command ids.
        command_ids: Vec<String>,
        /// Wait before polling, milliseconds.
        delay_ms: u64,
        /// The context the commands were sent in, when the run did not
        /// send them itself (a maintenance window's command): recorded
        /// before the poll, so polls, output and cancel go there.
        home: Option<ContextId>,
    },
    /// Read new live output of one command of a run after `delay_ms`
    /// (CloudWatch Logs FilterLogEvents).
    LiveOutput {
        /// Run number.
        run: usize,
        /// Log group.
        group: String,
        /// Command id (stream prefix).
        command_id: String,
        /// Where the last read stopped.
        cursor: LiveCursor,
        /// Wait first, milliseconds.
        delay_ms: u64,
    },
    /// Read one node's full output (GetCommandInvocation, then CloudWatch
    /// Logs for what it cut).
    Output {
        /// Run number.
        run: usize,
        /// Command id.
        command_id: String,
        /// Node id.
        instance_id: String,
    },
    /// Read the first stderr line of each of `invocations` (command id,
    /// node id) of run `run`: GetCommandInvocation, 8 at once.
    Stderr {
        /// Run number.
        run: usize,
        /// (command id, node id) of nodes that ran and failed.
        invocations: Vec<(String, String)>,
    },
    /// CancelCommand for these commands (only `instance_ids` when not empty).
    Cancel {
        /// Command ids.
        command_ids: Vec<String>,
        /// Nodes, or all.
        instance_ids: Vec<String>,
    },
    /// ListCommands.
    History,
    /// Read `<data dir>/run_command.json` ([`MEMORY_FILE`](super::memory::MEMORY_FILE)).
    ReadMemory,
    /// Write `json` to `<data dir>/run_command.json`, readable by the user
    /// only (0600): a temporary file, then a rename, so a reader never sees
    /// half a file. Latest wins.
    SaveMemory {
        /// The whole file.
        json: String,
    },
    /// Write a run's results as JSON (fetches every node's output) to
    /// `path`, readable by the user only (0600; see [`export_path`] for how
    /// the path is read). An existing file is refused unless it is in the
    /// data directory's `exports` folder (the console's own exports).
    Export {
        /// Command ids.
        command_ids: Vec<String>,
        /// The path as the user typed it.
        path: String,
    },
}

impl Job for CommandsJob {
    type Msg = CommandsEvent;

    fn slot(&self) -> Option<String> {
        match self {
            CommandsJob::Poll { run, .. } => Some(format!("cmd-poll:{run}")),
            CommandsJob::LiveOutput {
                run, command_id, ..
            } => Some(format!("cmd-live:{run}:{command_id}")),
            CommandsJob::History => Some("cmd-history".into()),
            CommandsJob::SaveMemory { .. } => Some("cmd-memory-save".into()),
            CommandsJob::Documents
            | CommandsJob::ReadMemory
            | CommandsJob::DocumentParams { .. }
            | CommandsJob::Send(_)
            | CommandsJob::SendAcross { .. }
            | CommandsJob::Output { .. }
            | CommandsJob::Stderr { .. }
            | CommandsJob::Cancel { .. }
            | CommandsJob::Export { .. } => None,
        }
    }

    fn writes_to(&self, base: &crate::job::JobBase) -> Vec<ContextId> {
        match self {
            CommandsJob::SendAcross { placements, .. } => {
                placements.iter().map(|p| p.ctx).collect()
            }
            CommandsJob::Cancel { command_ids, .. } => {
                command_ids.iter().map(|id| base.homes.of(id)).collect()
            }
            _ => vec![ContextId::default()],
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            CommandsJob::Documents
            | CommandsJob::DocumentParams { .. }
            | CommandsJob::Poll { .. }
            | CommandsJob::LiveOutput { .. }
            | CommandsJob::Output { .. }
            | CommandsJob::Stderr { .. }
            | CommandsJob::History
            | CommandsJob::ReadMemory
            | CommandsJob::SaveMemory { .. }
            | CommandsJob::Export { .. } => None,
            CommandsJob::SendAcross { req, placements } => Some(Mutation::new(
                "ssm:SendCommand",
                placements
                    .iter()
                    .flat_map(|p| p.nodes.iter().cloned())
                    .collect(),
                format!(
                    "document {}; comment {:?}; in {} contexts (parameters not recorded)",
                    req.document,
                    req.comment,
                    placements.len()
                ),
            )),
            CommandsJob::Send(req) => {
                let targets = match &req.targets {
                    Targets::Nodes(n) => n.clone(),
                    Targets::Tags(t) => t
                        .iter()
                        .map(|(k, v)| format!("tag:{k}={}", v.join(",")))
                        .collect(),
                };
                Some(Mutation::new(
                    "ssm:SendCommand",
                    targets,
                    format!(
                        "document {}; comment {:?} (parameters not recorded)",
                        req.document, req.comment
                    ),
                ))
            }
            CommandsJob::Cancel {
                command_ids,
                instance_ids,
            } => {
                let mut targets = command_ids.clone();
                targets.extend(instance_ids.iter().cloned());
                Some(Mutation::new(
                    "ssm:CancelCommand",
                    targets,
                    if instance_ids.is_empty() {
                        "every node"
                    } else {
                        "the chosen nodes"
                    },
                ))
            }
        }
    }

    async fn run(self, env: JobEnv<CommandsEvent>) -> Option<CommandsEvent> {
        let ctx = &env.ctx;
        Some(match self {
            CommandsJob::Documents => CommandsEvent::Documents(commands::documents(ctx).await),
            CommandsJob::DocumentParams { name } => {
                let r = commands::document_info(ctx, &name).await;
                CommandsEvent::DocumentParams(name, r)
            }
            CommandsJob::Send(req) => {
                let r = commands::send(ctx, &req).await;
                if let Ok(ids) = &r {
                    env.homes.record(ContextId(0), ids);
                }
                CommandsEvent::Sent(r, req)
            }
            CommandsJob::SendAcross { req, placements } => {
                let mut answers = Vec::with_capacity(placements.len());
                for p in placements {
                    let mut one = req.clone();
                    if !p.nodes.is_empty() {
                        one.targets = Targets::Nodes(p.nodes.clone());
                    }
                    let result = commands::send(env.contexts.get(p.ctx), &one).await;
                    if let Ok(ids) = &result {
                        env.homes.record(p.ctx, ids);
                    }
                    answers.push(ContextSend {
                        placement: p,
                        result,
                    });
                }
                CommandsEvent::SentAcross(answers, req)
            }
            CommandsJob::Poll {
                run,
                command_ids,
                delay_ms,
                home,
            } => {
                if let Some(ctx) = home {
                    env.homes.record(ctx, &command_ids);
                }
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                CommandsEvent::Polled(run, poll(&env, &command_ids).await)
            }
            CommandsJob::LiveOutput {
                run,
                group,
                command_id,
                cursor,
                delay_ms,
            } => {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let ctx = env.command_context(&command_id);
                let r = commands::live_output(ctx, &group, &command_id, cursor).await;
                CommandsEvent::Live(run, command_id, r)
            }
            CommandsJob::Output {
                run,
                command_id,
                instance_id,
            } => {
                let ctx = env.command_context(&command_id);
                let r = commands::full_output(ctx, &command_id, &instance_id).await;
                CommandsEvent::Output(run, instance_id, r)
            }
            CommandsJob::Stderr { run, invocations } => {
                CommandsEvent::Stderr(run, stderr_lines(&env, invocations).await)
            }
            CommandsJob::Cancel {
                command_ids,
                instance_ids,
            } => {
                let mut result = Ok(());
                for id in &command_ids {
                    let ctx = env.command_context(id);
                    if let Err(e) = commands::cancel(ctx, id, instance_ids.clone()).await {
                        result = Err(e);
                    }
                }
                CommandsEvent::Cancelled(result)
            }
            CommandsJob::History => CommandsEvent::History(history(&env).await),
            CommandsJob::ReadMemory => {
                let path = env
                    .data_dir
                    .as_ref()
                    .map(|d| d.join(super::memory::MEMORY_FILE));
                CommandsEvent::MemoryRead(match path {
                    None => Ok(None),
                    Some(p) => match tokio::fs::read_to_string(&p).await {
                        Ok(text) => Ok(Some(text)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                        Err(e) => Err(format!("cannot read {}: {e}", p.display())),
                    },
                })
            }
            // No await: a later save (latest wins) never cuts this one short.
            CommandsJob::SaveMemory { json } => CommandsEvent::MemorySaved(match &env.data_dir {
                None => Ok(()),
                Some(dir) => save_memory(dir, &json),
            }),
            CommandsJob::Export { command_ids, path } => {
                let home = command_ids
                    .first()
                    .map_or(ctx, |id| env.command_context(id));
                let result = match export_path(&path, env.data_dir.as_deref()) {
                    Err(e) => Err(e),
                    Ok(file) => match commands::export(home, &command_ids).await {
                        Ok(text) => crate::audit::write_private(&file, &text)
                            .map(|()| file.display().to_string())
                            .map_err(|e| format!("cannot write {}: {e}", file.display())),
                        Err(e) => Err(e),
                    },
                };
                CommandsEvent::Exported {
                    result,
                    asked: path,
                    command_ids,
                }
            }
        })
    }

    fn outcomes(msg: &CommandsEvent) -> Vec<Outcome> {
        match msg {
            CommandsEvent::Sent(r, _) => vec![Outcome::of(r).detail(format!(
                "command ids {}",
                r.as_ref().map(|ids| ids.join(",")).unwrap_or_default()
            ))],
            CommandsEvent::SentAcross(answers, _) => answers
                .iter()
                .map(|a| {
                    let o = Outcome::of(&a.result)
                        .in_context(a.placement.ctx)
                        .detail(format!(
                            "in {}; command ids {}",
                            a.placement.name,
                            a.result
                                .as_ref()
                                .map(|ids| ids.join(","))
                                .unwrap_or_default()
                        ));
                    if a.placement.nodes.is_empty() {
                        o
                    } else {
                        o.targets(a.placement.nodes.clone())
                    }
                })
                .collect(),
            CommandsEvent::Cancelled(r) => vec![Outcome::of(r)],
            CommandsEvent::Documents(_)
            | CommandsEvent::DocumentParams(..)
            | CommandsEvent::Polled(..)
            | CommandsEvent::Live(..)
            | CommandsEvent::Output(..)
            | CommandsEvent::Stderr(..)
            | CommandsEvent::MemoryRead(_)
            | CommandsEvent::MemorySaved(_)
            | CommandsEvent::History(_)
            | CommandsEvent::Exported { .. } => Vec::new(),
        }
    }
}

/// Every invocation of `command_ids` (each asked in its own context) and
/// the calls it took; when every one listed is final, each command's own
/// status and TargetCount as well.
async fn poll(env: &JobEnv<CommandsEvent>, command_ids: &[String]) -> Result<PollResult, AwsError> {
    let mut out = PollResult::default();
    for id in command_ids {
        let (invs, c) = commands::invocations(env.command_context(id), id).await?;
        out.invocations.extend(invs);
        out.calls += c;
    }
    if out.invocations.iter().all(|i| i.status.is_final()) {
        for id in command_ids {
            if let Some(c) = commands::command(env.command_context(id), id).await? {
                out.commands.push(c);
            }
        }
    }
    Ok(out)
}

/// Writes the pane's file in `dir`: 0600, through a temporary file and a
/// rename.
/// Where an export typed as `typed` goes: `~/…` is under `$HOME`, an
/// absolute path is itself, a relative one is in `data_dir`.
///
/// Errors (each names the path and what to do): an empty path, a relative
/// path without a data directory, `~` without `$HOME`, a directory, a
/// missing folder outside the data directory (folders in it are made), and
/// an existing file anywhere but the data directory's `exports` folder
/// (nothing of the user's is overwritten; the console's own exports are).
pub fn export_path(
    typed: &str,
    data_dir: Option<&std::path::Path>,
) -> Result<std::path::PathBuf, String> {
    use std::path::{Path, PathBuf};
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("give a path for the export (relative paths are in the data directory)".into());
    }
    let (file, ours): (PathBuf, bool) = if let Some(rest) = typed.strip_prefix("~/") {
        let home = std::env::var_os("HOME")
            .ok_or("`~` needs $HOME, which is not set: give an absolute path")?;
        (Path::new(&home).join(rest), false)
    } else if Path::new(typed).is_absolute() {
        (PathBuf::from(typed), false)
    } else {
        let dir = data_dir.ok_or(
            "no data directory for a relative path: give an absolute path or set SSMDECK_DATA_DIR",
        )?;
        (dir.join(typed), true)
    };
    let shown = file.display();
    if file.is_dir() {
        return Err(format!("{shown} is a folder: add a file name"));
    }
    let in_exports = data_dir.is_some_and(|d| file.parent() == Some(d.join("exports").as_path()));
    if file.exists() && !in_exports {
        return Err(format!(
            "{shown} exists: give another path (only the data directory's exports are overwritten)"
        ));
    }
    if !ours
        && let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(format!(
            "folder {} does not exist: make it or give another path",
            parent.display()
        ));
    }
    Ok(file)
}

fn save_memory(dir: &std::path::Path, json: &str) -> Result<(), String> {
    let path = dir.join(super::memory::MEMORY_FILE);
    let tmp = dir.join(format!("{}.tmp", super::memory::MEMORY_FILE));
    crate::audit::write_private(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Most characters of a stderr line kept for the grid.
const STDERR_LINE_MAX: usize = 500;

/// The first non-empty stderr line of each invocation (GetCommandInvocation
/// `StandardErrorContent`, each asked in its command's context, 8 at once).
async fn stderr_lines(
    env: &JobEnv<CommandsEvent>,
    invocations: Vec<(String, String)>,
) -> Vec<(String, Result<String, AwsError>)> {
    use futures::StreamExt;
    futures::stream::iter(invocations)
        .map(|(command_id, instance_id)| async move {
            let ctx = env.command_context(&command_id);
            let r = commands::output(ctx, &command_id, &instance_id)
                .await
                .map(|(_, err)| {
                    err.lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .trim_end()
                        .chars()
                        .take(STDERR_LINE_MAX)
                        .collect()
                });
            (instance_id, r)
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// Past commands of every context, newest first; each id recorded in its
/// context. A context that fails is skipped while another answers; all
/// failing gives the first error.
async fn history(env: &JobEnv<CommandsEvent>) -> Result<Vec<CommandSummary>, AwsError> {
    let mut all = Vec::new();
    let mut first_error = None;
    for (id, ctx) in env.contexts.iter() {
        match commands::history(ctx, usize::MAX).await {
            Ok(list) => {
                let ids: Vec<String> = list.iter().map(|c| c.command_id.clone()).collect();
                env.homes.record(id, &ids);
                all.extend(list);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if all.is_empty()
        && let Some(e) = first_error
    {
        return Err(e);
    }
    if env.contexts.len() > 1 {
        all.sort_by(|a, b| {
            b.requested_s
                .partial_cmp(&a.requested_s)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::export_path;

    #[test]
    fn an_export_path_is_read_as_typed_and_never_overwrites_the_users_files() {
        let dir = std::env::temp_dir().join(format!("ssmdeck-export-{}", std::process::id()));
        let data = dir.join("data");
        std::fs::create_dir_all(data.join("exports")).unwrap();
        let d = Some(data.as_path());
        // Relative: in the data directory, folders made when written.
        assert_eq!(
            export_path(" exports/run-1.json ", d).unwrap(),
            data.join("exports/run-1.json")
        );
        assert_eq!(
            export_path("new/x.json", d).unwrap(),
            data.join("new/x.json")
        );
        // The console's own export is written over; the user's file is not.
        std::fs::write(data.join("exports/run-1.json"), "old").unwrap();
        assert!(export_path("exports/run-1.json", d).is_ok());
        let mine = dir.join("mine.json");
        std::fs::write(&mine, "mine").unwrap();
        let e = export_path(mine.to_str().unwrap(), d).unwrap_err();
        assert!(e.contains("exists: give another path"), "{e}");
        // Absolute: its folder must exist; a folder is not a file.
        let e = export_path(dir.join("nope/x.json").to_str().unwrap(), d).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        let e = export_path(dir.to_str().unwrap(), d).unwrap_err();
        assert!(e.contains("is a folder"), "{e}");
        assert_eq!(
            export_path(dir.join("y.json").to_str().unwrap(), d).unwrap(),
            dir.join("y.json")
        );
        // Nothing to go on.
        assert!(export_path("  ", d).unwrap_err().contains("give a path"));
        assert!(
            export_path("x.json", None)
                .unwrap_err()
                .contains("SSMDECK_DATA_DIR")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
