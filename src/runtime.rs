//! The event loop: terminal events → keymap → `update` → effects run as
//! cancellable tokio tasks → result actions (batched) → coalesced render.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::action::{Action, CommandsEvent, InputKey, OpsCenterEvent, ParamsEvent};
use crate::app::{App, ContextInfo, Effect, Mode};
use crate::audit::{Audit, error_outcome};
use crate::aws::AwsContext;
use crate::aws::fleet::load_fleet;
use crate::aws::{commands, opscenter, params};
use crate::config::Settings;
use crate::config::keymap::{KeySpec, Resolved};
use crate::tui::TerminalGuard;
use crate::ui::{RenderContext, render};

/// When the process started (set first thing in `main`), for the
/// time-to-first-frame measurement.
pub static PROCESS_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Minimum time between two draws (about 60 frames a second at most).
pub const FRAME: Duration = Duration::from_millis(16);

/// Sends actions from tasks to the loop.
pub type ActionTx = mpsc::UnboundedSender<Action>;

/// Runs effects as tokio tasks, one cancellation token per kind of work:
/// starting a new load of the same kind cancels the old one, and dropping
/// the manager cancels everything.
pub struct TaskManager {
    ctx: AwsContext,
    tx: ActionTx,
    running: HashMap<String, CancellationToken>,
    audit: Option<Audit>,
    state_path: Option<std::path::PathBuf>,
    /// Input of each running session, by tab.
    sessions: HashMap<usize, mpsc::UnboundedSender<crate::session::client::SessionInput>>,
    /// Session tasks, to let them terminate their sessions on quit.
    session_tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Run shells through this session-manager-plugin instead of the native client.
    session_plugin: Option<std::path::PathBuf>,
}

/// Appends an audit line for a mutation; a failure to write becomes a notice.
fn audit(
    audit: &Option<Audit>,
    tx: &ActionTx,
    action: &str,
    targets: &[String],
    outcome: &str,
    detail: &str,
) {
    if let Some(a) = audit
        && let Err(e) = a.record(action, targets, outcome, detail)
    {
        let _ = tx.send(Action::Notice(
            format!("audit log {} not written: {e}", a.path().display()),
            Instant::now(),
        ));
    }
}

fn outcome_of<T>(r: &Result<T, crate::aws::AwsError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => error_outcome(e),
    }
}

impl TaskManager {
    /// A manager that sends results on `tx`.
    pub fn new(ctx: AwsContext, tx: ActionTx) -> Self {
        TaskManager {
            ctx,
            tx,
            running: HashMap::new(),
            audit: None,
            state_path: None,
            sessions: HashMap::new(),
            session_tasks: Vec::new(),
            session_plugin: None,
        }
    }

    /// Shells go through `plugin` (session-manager-plugin) from now on.
    pub fn set_session_plugin(&mut self, plugin: Option<std::path::PathBuf>) {
        self.session_plugin = plugin;
    }

    /// Ends every open session (TerminateSession), waiting at most
    /// `within` for the calls: no session is left open in the account.
    pub async fn terminate_sessions(&mut self, within: Duration) {
        for tx in self.sessions.values() {
            let _ = tx.send(crate::session::client::SessionInput::Terminate);
        }
        let tasks = std::mem::take(&mut self.session_tasks);
        let _ = tokio::time::timeout(within, futures::future::join_all(tasks)).await;
    }

    /// Where saved filters and recent targets are written (`None`: nowhere).
    pub fn set_state_path(&mut self, path: Option<std::path::PathBuf>) {
        self.state_path = path;
    }

    /// Records every mutation in `audit` from now on (`None`: no audit log).
    pub fn set_audit(&mut self, audit: Option<Audit>) {
        self.audit = audit;
    }

    fn spawn<F>(&mut self, kind: &str, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        if let Some(old) = self.running.remove(kind) {
            old.cancel();
        }
        let token = CancellationToken::new();
        self.running.insert(kind.to_owned(), token.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = fut => {}
            }
        });
    }

    /// Starts the work an effect asks for.
    pub fn run(&mut self, effect: Effect) {
        let ctx = self.ctx.clone();
        let tx = self.tx.clone();
        let au = self.audit.clone();
        match effect {
            Effect::LoadIdentity => self.spawn("identity", async move {
                let r = ctx.caller_identity().await;
                if let (Some(a), Ok(id)) = (&au, &r) {
                    a.set_identity(id.clone());
                }
                let _ = tx.send(Action::IdentityLoaded(r));
            }),
            Effect::LoadFleet { generation } => self.spawn("fleet", async move {
                load_fleet(ctx, move |event| {
                    let _ = tx.send(Action::Fleet { generation, event });
                })
                .await;
            }),
            Effect::ParamsLevel { path } => {
                let kind = format!("params-level:{path}");
                self.spawn(&kind, async move {
                    let r = params::list_level(&ctx, &path).await.map(|(m, _)| m);
                    let _ = tx.send(Action::Params(ParamsEvent::Level(path, r)));
                })
            }
            Effect::ParamsIndex => self.spawn("params-index", async move {
                let page_tx = tx.clone();
                let r = params::index_all(&ctx, move |metas| {
                    let _ = page_tx.send(Action::Params(ParamsEvent::IndexPage(Ok(metas), false)));
                })
                .await;
                let last = r.map(|_| Vec::new());
                let _ = tx.send(Action::Params(ParamsEvent::IndexPage(last, true)));
            }),
            Effect::ParamsValues { names } => {
                tokio::spawn(async move {
                    let r = params::get_values(&ctx, &names, false).await;
                    let _ = tx.send(Action::Params(ParamsEvent::Values(r)));
                });
            }
            Effect::ParamsReveal { name } => self.spawn("params-reveal", async move {
                let r = params::get_value(&ctx, &name, true).await;
                let _ = tx.send(Action::Params(ParamsEvent::Revealed(r)));
            }),
            Effect::ParamsSave(req) => {
                tokio::spawn(async move {
                    let r = params::put(&ctx, &req).await;
                    let (outcome, detail) = match &r {
                        Ok(v) => (
                            "ok".to_owned(),
                            format!("version {v}, {}", req.kind.as_str()),
                        ),
                        Err(params::PutError::Conflict(t)) => (
                            "refused".to_owned(),
                            format!("changed meanwhile to version {}", t.version),
                        ),
                        Err(params::PutError::Aws(e)) => (error_outcome(e), String::new()),
                    };
                    audit(
                        &au,
                        &tx,
                        "ssm:PutParameter",
                        std::slice::from_ref(&req.name),
                        &outcome,
                        &detail,
                    );
                    let _ = tx.send(Action::Params(ParamsEvent::Saved(req.name, r)));
                });
            }
            Effect::ParamsDelete { name } => {
                tokio::spawn(async move {
                    let r = params::delete(&ctx, &name).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:DeleteParameter",
                        std::slice::from_ref(&name),
                        &outcome_of(&r),
                        "",
                    );
                    let _ = tx.send(Action::Params(ParamsEvent::Deleted(name, r)));
                });
            }
            Effect::ParamsHistory { name } => self.spawn("params-history", async move {
                let r = params::history(&ctx, &name, true).await;
                let _ = tx.send(Action::Params(ParamsEvent::History(name, r)));
            }),
            Effect::ParamsLabel {
                name,
                version,
                labels,
            } => {
                tokio::spawn(async move {
                    let r = params::label(&ctx, &name, version, labels.clone()).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:LabelParameterVersion",
                        &[format!("{name}:{version}")],
                        &outcome_of(&r),
                        &format!("labels {}", labels.join(", ")),
                    );
                    let r = r
                        .map(|invalid| {
                            if invalid.is_empty() {
                                format!("labelled version {version} of {name}: {}", labels.join(", "))
                            } else {
                                format!(
                                    "AWS refused the label(s) {}: labels are letters, digits, _ . -, at most 100 characters, not only digits, not starting with aws or ssm",
                                    invalid.join(", ")
                                )
                            }
                        });
                    let _ = tx.send(Action::Params(ParamsEvent::Labeled(name, r)));
                });
            }
            Effect::ParamsUnlabel {
                name,
                version,
                labels,
            } => {
                tokio::spawn(async move {
                    let r = params::unlabel(&ctx, &name, version, labels.clone()).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:UnlabelParameterVersion",
                        &[format!("{name}:{version}")],
                        &outcome_of(&r),
                        &format!("labels {}", labels.join(", ")),
                    );
                    let r = r.map(|removed| {
                        if removed.is_empty() {
                            format!(
                                "version {version} of {name} has no label {}",
                                labels.join(", ")
                            )
                        } else {
                            format!(
                                "removed {} from version {version} of {name}",
                                removed.join(", ")
                            )
                        }
                    });
                    let _ = tx.send(Action::Params(ParamsEvent::Labeled(name, r)));
                });
            }
            Effect::ParamsPlanCopy {
                from,
                to,
                move_sources,
            } => self.spawn("params-copy", async move {
                let r = params::plan_copy(&ctx, &from, &to, move_sources).await;
                let _ = tx.send(Action::Params(ParamsEvent::CopyPlanned(r)));
            }),
            Effect::ParamsApplyCopy(plan) => {
                // Not cancellable: a half-applied copy must finish its steps.
                tokio::spawn(async move {
                    let out = params::apply_copy(&ctx, &plan).await;
                    let mut targets: Vec<String> =
                        plan.steps.iter().map(|s| s.to.clone()).collect();
                    targets.extend(out.deleted.iter().cloned());
                    audit(
                        &au,
                        &tx,
                        if plan.move_sources {
                            "ssm:PutParameter + ssm:DeleteParameter (move)"
                        } else {
                            "ssm:PutParameter (copy)"
                        },
                        &targets,
                        &if out.failures.is_empty() {
                            "ok".to_owned()
                        } else {
                            format!("error: {} failed", out.failures.len())
                        },
                        &format!(
                            "{} → {}: {} created, {} overwritten, {} deleted",
                            plan.from,
                            plan.to,
                            out.created,
                            out.overwritten,
                            out.deleted.len()
                        ),
                    );
                    let _ = tx.send(Action::Params(ParamsEvent::CopyApplied(out)));
                });
            }
            Effect::CommandDocuments => {
                tokio::spawn(async move {
                    let r = commands::documents(&ctx).await;
                    let _ = tx.send(Action::Commands(CommandsEvent::Documents(r)));
                });
            }
            Effect::DocumentParams { name } => {
                tokio::spawn(async move {
                    let r = commands::document_params(&ctx, &name).await;
                    let _ = tx.send(Action::Commands(CommandsEvent::DocumentParams(name, r)));
                });
            }
            Effect::SendCommand(req) => {
                // Not cancellable: a send that started must report its ids.
                tokio::spawn(async move {
                    let r = commands::send(&ctx, &req).await;
                    let targets: Vec<String> = match &req.targets {
                        commands::Targets::Nodes(n) => n.clone(),
                        commands::Targets::Tags(t) => t
                            .iter()
                            .map(|(k, v)| format!("tag:{k}={}", v.join(",")))
                            .collect(),
                    };
                    audit(
                        &au,
                        &tx,
                        "ssm:SendCommand",
                        &targets,
                        &outcome_of(&r),
                        &format!(
                            "document {}; command ids {}; comment {:?} (parameters not recorded)",
                            req.document,
                            r.as_ref().map(|ids| ids.join(",")).unwrap_or_default(),
                            req.comment
                        ),
                    );
                    let _ = tx.send(Action::Commands(CommandsEvent::Sent(r, req)));
                });
            }
            Effect::PollRun {
                run,
                command_ids,
                delay_ms,
            } => self.spawn(&format!("cmd-poll:{run}"), async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let mut all = Vec::new();
                let mut calls = 0;
                for id in &command_ids {
                    match commands::invocations(&ctx, id).await {
                        Ok((invs, c)) => {
                            all.extend(invs);
                            calls += c;
                        }
                        Err(e) => {
                            let _ = tx.send(Action::Commands(CommandsEvent::Polled(run, Err(e))));
                            return;
                        }
                    }
                }
                let _ = tx.send(Action::Commands(CommandsEvent::Polled(
                    run,
                    Ok((all, calls)),
                )));
            }),
            Effect::LiveOutput {
                run,
                group,
                command_id,
                cursor,
                delay_ms,
            } => self.spawn(&format!("cmd-live:{run}:{command_id}"), async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let r = commands::live_output(&ctx, &group, &command_id, cursor).await;
                let _ = tx.send(Action::Commands(CommandsEvent::Live(run, command_id, r)));
            }),
            Effect::FetchOutput {
                run,
                command_id,
                instance_id,
            } => {
                tokio::spawn(async move {
                    let r = commands::output(&ctx, &command_id, &instance_id).await;
                    let _ = tx.send(Action::Commands(CommandsEvent::Output(run, instance_id, r)));
                });
            }
            Effect::CancelCommand {
                command_ids,
                instance_ids,
            } => {
                tokio::spawn(async move {
                    let mut result = Ok(());
                    for id in &command_ids {
                        if let Err(e) = commands::cancel(&ctx, id, instance_ids.clone()).await {
                            result = Err(e);
                        }
                    }
                    let mut targets = command_ids.clone();
                    targets.extend(instance_ids.iter().cloned());
                    audit(
                        &au,
                        &tx,
                        "ssm:CancelCommand",
                        &targets,
                        &outcome_of(&result),
                        if instance_ids.is_empty() {
                            "every node"
                        } else {
                            "the chosen nodes"
                        },
                    );
                    let _ = tx.send(Action::Commands(CommandsEvent::Cancelled(result)));
                });
            }
            Effect::CommandHistory => self.spawn("cmd-history", async move {
                let r = commands::history(&ctx, usize::MAX).await;
                let _ = tx.send(Action::Commands(CommandsEvent::History(r)));
            }),
            Effect::ExportRun { command_ids, path } => {
                tokio::spawn(async move {
                    let r = commands::export(&ctx, &command_ids, &path).await;
                    let _ = tx.send(Action::Commands(CommandsEvent::Exported(r.map(|_| path))));
                });
            }
            Effect::LoadOps {
                generation,
                filters,
            } => self.spawn("ops-list", async move {
                let page_tx = tx.clone();
                let r = opscenter::list_all(&ctx, &filters, move |items, done| {
                    let _ = page_tx.send(Action::Ops(OpsCenterEvent::Page(
                        generation,
                        Ok(items),
                        done,
                    )));
                })
                .await;
                if let Err(e) = r {
                    let _ = tx.send(Action::Ops(OpsCenterEvent::Page(generation, Err(e), true)));
                }
            }),
            Effect::OpsDetail { id } => {
                let (c2, c3, t2, t3, i2, i3) = (
                    ctx.clone(),
                    ctx.clone(),
                    tx.clone(),
                    tx.clone(),
                    id.clone(),
                    id.clone(),
                );
                self.spawn("ops-item", async move {
                    let r = opscenter::get(&ctx, &id).await;
                    let _ = tx.send(Action::Ops(OpsCenterEvent::Item(id, r)));
                });
                self.spawn("ops-events", async move {
                    let r = opscenter::events(&c2, &i2).await;
                    let _ = t2.send(Action::Ops(OpsCenterEvent::Events(i2, r)));
                });
                self.spawn("ops-related", async move {
                    let r = opscenter::related(&c3, &i3).await;
                    let _ = t3.send(Action::Ops(OpsCenterEvent::Related(i3, r)));
                });
            }
            Effect::OpsUpdate { targets, change } => {
                // Not cancellable: every item must report what happened to it.
                tokio::spawn(async move {
                    let mut results = Vec::with_capacity(targets.len());
                    for (id, expected) in targets {
                        let r = opscenter::update_guarded(&ctx, &id, expected, &change).await;
                        let outcome = match &r {
                            Ok(_) => "ok".to_owned(),
                            Err(opscenter::UpdateError::Conflict(_)) => {
                                "refused: changed since read".to_owned()
                            }
                            Err(opscenter::UpdateError::Aws(e)) => error_outcome(e),
                        };
                        audit(
                            &au,
                            &tx,
                            "ssm:UpdateOpsItem",
                            std::slice::from_ref(&id),
                            &outcome,
                            &change.describe(),
                        );
                        results.push((id, r));
                    }
                    let _ = tx.send(Action::Ops(OpsCenterEvent::Updated(change, results)));
                });
            }
            Effect::OpsCreate(req) => {
                tokio::spawn(async move {
                    let r = opscenter::create(&ctx, &req).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:CreateOpsItem",
                        r.as_ref()
                            .map(|id| vec![id.clone()])
                            .as_deref()
                            .unwrap_or(&[]),
                        &outcome_of(&r),
                        &format!(
                            "priority {}, severity {}, source {}",
                            req.priority, req.severity, req.source
                        ),
                    );
                    let _ = tx.send(Action::Ops(OpsCenterEvent::Created(r)));
                });
            }
            Effect::SaveUserState(json) => {
                let Some(path) = self.state_path.clone() else {
                    return;
                };
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = write_private(&path, &json) {
                        let _ = tx.send(Action::Notice(
                            format!("saved filters not written to {}: {e}", path.display()),
                            Instant::now(),
                        ));
                    }
                });
            }
            Effect::StartSession {
                tab,
                target,
                cols,
                rows,
            } => {
                use crate::session::client::{self, SessionEvent};
                let (in_tx, in_rx) = mpsc::unbounded_channel();
                self.sessions.insert(tab, in_tx);
                let plugin = self.session_plugin.clone();
                let task = tokio::spawn(async move {
                    let started = client::start(&ctx, &target).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:StartSession",
                        std::slice::from_ref(&target),
                        &outcome_of(&started),
                        started
                            .as_ref()
                            .map(|s| s.session_id.as_str())
                            .unwrap_or(""),
                    );
                    let started = match started {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = tx.send(Action::Session(
                                tab,
                                SessionEvent::Closed {
                                    reason: format!("not started: {e}"),
                                    exit_code: None,
                                },
                            ));
                            return;
                        }
                    };
                    let session_id = started.session_id.clone();
                    let _ = tx.send(Action::SessionStarted(tab, session_id.clone()));
                    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
                    let forward = {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            // Output in batches: what arrived together is one action.
                            while let Some(first) = ev_rx.recv().await {
                                let mut pending = vec![first];
                                while pending.len() < 1_024 {
                                    match ev_rx.try_recv() {
                                        Ok(e) => pending.push(e),
                                        Err(_) => break,
                                    }
                                }
                                let mut buf = Vec::new();
                                for e in pending {
                                    match e {
                                        SessionEvent::Output(b) => buf.extend(b),
                                        other => {
                                            if !buf.is_empty() {
                                                let out =
                                                    SessionEvent::Output(std::mem::take(&mut buf));
                                                let _ = tx.send(Action::Session(tab, out));
                                            }
                                            if matches!(&other, SessionEvent::Closed { reason, .. } if reason == "terminated")
                                            {
                                                audit(
                                                    &au,
                                                    &tx,
                                                    "ssm:TerminateSession",
                                                    std::slice::from_ref(&session_id),
                                                    "ok",
                                                    "",
                                                );
                                            }
                                            let _ = tx.send(Action::Session(tab, other));
                                        }
                                    }
                                }
                                if !buf.is_empty() {
                                    let _ =
                                        tx.send(Action::Session(tab, SessionEvent::Output(buf)));
                                }
                            }
                        })
                    };
                    let size = crate::session::protocol::TermSize { cols, rows };
                    match plugin {
                        Some(p) => {
                            crate::session::plugin::run(ctx, started, target, p, size, in_rx, ev_tx)
                                .await
                        }
                        None => client::run(ctx, started, size, in_rx, ev_tx).await,
                    }
                    let _ = forward.await;
                });
                self.session_tasks.retain(|t| !t.is_finished());
                self.session_tasks.push(task);
            }
            Effect::StartForward { tab, target, spec } => {
                use crate::session::client::{self, SessionEvent};
                use crate::session::forward;
                let (in_tx, in_rx) = mpsc::unbounded_channel();
                self.sessions.insert(tab, in_tx.clone());
                let task = tokio::spawn(async move {
                    let closed = |reason: String| {
                        Action::Session(
                            tab,
                            SessionEvent::Closed {
                                reason,
                                exit_code: None,
                            },
                        )
                    };
                    let listener = match tokio::net::TcpListener::bind((
                        "127.0.0.1",
                        spec.local_port,
                    ))
                    .await
                    {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = tx.send(closed(format!(
                                "cannot listen on 127.0.0.1:{}: {e}; choose another local port (0 picks a free one)",
                                spec.local_port
                            )));
                            return;
                        }
                    };
                    let local = listener.local_addr().map_or(spec.local_port, |a| a.port());
                    let _ = tx.send(Action::ForwardListening(tab, local));
                    let started = forward::start(&ctx, &target, &spec, local).await;
                    audit(
                        &au,
                        &tx,
                        "ssm:StartSession",
                        std::slice::from_ref(&target),
                        &outcome_of(&started),
                        &format!(
                            "port forward {}; {}",
                            spec.describe(local),
                            started
                                .as_ref()
                                .map(|s| s.session_id.as_str())
                                .unwrap_or("")
                        ),
                    );
                    let started = match started {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = tx.send(closed(format!("not started: {e}")));
                            return;
                        }
                    };
                    let _ = tx.send(Action::SessionStarted(tab, started.session_id.clone()));
                    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
                    let (out_tx, mut out_rx) = mpsc::unbounded_channel();
                    let (stats_tx, mut stats_rx) = mpsc::unbounded_channel();
                    let relay = {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            // Counters at most five times a second; events as they come.
                            let mut tick = tokio::time::interval(Duration::from_millis(200));
                            let mut latest = None;
                            loop {
                                tokio::select! {
                                    ev = out_rx.recv() => match ev {
                                        Some(ev) => { let _ = tx.send(Action::Session(tab, ev)); }
                                        None => break,
                                    },
                                    Some(s) = stats_rx.recv() => latest = Some(s),
                                    _ = tick.tick() => {
                                        if let Some(s) = latest.take() {
                                            let _ = tx.send(Action::ForwardStats(tab, s));
                                        }
                                    }
                                }
                            }
                            if let Some(s) = latest.take() {
                                let _ = tx.send(Action::ForwardStats(tab, s));
                            }
                        })
                    };
                    let credit = forward::credit();
                    let bridge = tokio::spawn(forward::bridge(
                        listener,
                        in_tx,
                        ev_rx,
                        out_tx,
                        stats_tx,
                        credit.clone(),
                    ));
                    client::run_port(ctx, started, in_rx, ev_tx, credit).await;
                    let _ = bridge.await;
                    let _ = relay.await;
                });
                self.session_tasks.retain(|t| !t.is_finished());
                self.session_tasks.push(task);
            }
            Effect::SessionInput { tab, input } => {
                if let Some(s) = self.sessions.get(&tab) {
                    let _ = s.send(input);
                }
            }
            Effect::SwitchContext { .. } => {
                // The event loop handles it: it replaces this manager.
            }
            Effect::Clipboard(text) => {
                copy_osc52(&text.0);
                tokio::task::spawn_blocking(move || copy_native(&text.0));
            }
        }
    }
}

impl Drop for TaskManager {
    fn drop(&mut self) {
        for t in self.running.values() {
            t.cancel();
        }
    }
}

/// Writes `text` to `path` readable by the user only (0600), creating the directory.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

/// Builds the context for a profile/region switch from `base` and checks its
/// credentials (GetCallerIdentity) before the console moves to it.
pub async fn switch_context(
    base: &crate::aws::ConnectOptions,
    profile: Option<String>,
    region: Option<String>,
    tx: ActionTx,
) -> Result<AwsContext, String> {
    let mut opts = base.clone();
    if let Some(p) = &profile {
        let known = crate::aws::profile_names().await;
        if !known.contains(p) {
            return Err(format!(
                "profile '{p}' is not in the shared AWS config files (~/.aws/config, ~/.aws/credentials){}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!("; known: {}", known.join(", "))
                }
            ));
        }
    }
    if let Some(p) = profile {
        opts.profile = Some(p);
        // Another profile brings its own credentials and region.
        opts.static_credentials = None;
        if region.is_none() {
            opts.region = None;
        }
    }
    if let Some(r) = region {
        opts.region = Some(r);
    }
    let ctx = AwsContext::connect(&opts, Some(crate::cli::notice_sink(tx)))
        .await
        .map_err(|e| e.to_string())?;
    ctx.caller_identity().await.map_err(|e| e.to_string())?;
    Ok(ctx)
}

/// Puts `text` on the clipboard of the user's terminal with OSC 52, which
/// travels over SSH to the local terminal.
fn copy_osc52(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

/// Also puts `text` on the local desktop clipboard where one exists
/// (Wayland `wl-copy`, X11 `xclip`, macOS `pbcopy`); on a jump host
/// without a display this does nothing and OSC 52 carries the text.
fn copy_native(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let tool: Option<(&str, &[&str])> = if std::env::var_os("WAYLAND_DISPLAY").is_some() {
        Some(("wl-copy", &[]))
    } else if std::env::var_os("DISPLAY").is_some() {
        Some(("xclip", &["-selection", "clipboard"]))
    } else if cfg!(target_os = "macos") {
        Some(("pbcopy", &[]))
    } else {
        None
    };
    let Some((cmd, args)) = tool else {
        return;
    };
    if let Ok(mut child) = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        let _ = child.wait();
    }
}

/// Maps a key to a text-input key while an input has focus.
fn input_key(ev: KeyEvent) -> Option<InputKey> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    Some(match ev.code {
        KeyCode::Char('u') if ctrl => InputKey::Clear,
        KeyCode::Char('w') if ctrl => InputKey::DeleteWord,
        KeyCode::Char('c') if ctrl => InputKey::Cancel,
        KeyCode::Char(c) if !ctrl => InputKey::Char(c),
        KeyCode::Backspace => InputKey::Backspace,
        KeyCode::Tab => InputKey::Complete,
        KeyCode::Enter => InputKey::Submit,
        KeyCode::Esc => InputKey::Cancel,
        KeyCode::Up => InputKey::Up,
        KeyCode::Down => InputKey::Down,
        _ => return None,
    })
}

/// Turns terminal events into actions through the keymap, holding a pending
/// key sequence (`g g`).
pub struct KeyRouter {
    pending: Vec<KeySpec>,
}

impl Default for KeyRouter {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyRouter {
    /// An empty router.
    pub fn new() -> Self {
        KeyRouter {
            pending: Vec::new(),
        }
    }

    /// The action for a key event in the app's current mode, if any.
    pub fn route(&mut self, app: &App, settings: &Settings, ev: KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        if matches!(
            app.mode,
            Mode::Filter | Mode::CommandLine | Mode::Confirm | Mode::Prompt | Mode::Choose
        ) {
            self.pending.clear();
            return input_key(ev).map(Action::Input);
        }
        if matches!(app.mode, Mode::Editor | Mode::Compose | Mode::OpsForm) {
            self.pending.clear();
            return Some(Action::Key(ev));
        }
        if app.pane == crate::app::Pane::Sessions
            && app.sessions.focused
            && app.mode == Mode::Normal
        {
            // Every key goes to the shell except the escape chord.
            self.pending.clear();
            let key = KeySpec::from_event(ev);
            if settings
                .keymap
                .resolve(crate::config::Layer::Sessions, &[key])
                == Resolved::Command(crate::action::Command::TerminalUnfocus)
            {
                return Some(Action::Command(crate::action::Command::TerminalUnfocus));
            }
            return Some(Action::Key(ev));
        }
        let key = KeySpec::from_event(ev);
        self.pending.push(key);
        match settings.keymap.resolve(app.pane.layer(), &self.pending) {
            Resolved::Command(c) => {
                self.pending.clear();
                Some(Action::Command(c))
            }
            Resolved::Pending => None,
            Resolved::Nothing => {
                // A dead sequence: retry the last key on its own.
                let retry = self.pending.len() > 1;
                self.pending.clear();
                if retry {
                    self.pending.push(key);
                    match settings.keymap.resolve(app.pane.layer(), &self.pending) {
                        Resolved::Command(c) => {
                            self.pending.clear();
                            return Some(Action::Command(c));
                        }
                        Resolved::Pending => return None,
                        Resolved::Nothing => self.pending.clear(),
                    }
                }
                None
            }
        }
    }
}

/// Runs the console until the user quits or the process gets SIGTERM/SIGHUP.
///
/// # Errors
/// Terminal I/O errors.
pub async fn run_console(
    ctx: AwsContext,
    settings: Settings,
    tx: ActionTx,
    mut rx: mpsc::UnboundedReceiver<Action>,
    first_frame_exit: bool,
) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter(settings.mouse)?;
    let size = guard.terminal.size()?;
    let now = Instant::now();
    let info = ContextInfo {
        profile: ctx.profile.clone(),
        region: ctx.region.clone(),
        endpoint: ctx.endpoint.clone(),
        identity: None,
        identity_error: None,
    };
    let (mut app, effects) = App::new(info, (size.width, size.height), now);
    app.read_only = settings.read_only.clone();
    app.keyhelp = keyhelp(&settings);
    if let Some(text) =
        crate::audit::data_dir().and_then(|d| std::fs::read_to_string(d.join("state.json")).ok())
    {
        app.load_user_state(&text);
    }
    let mut settings = settings;
    if !settings.problems.is_empty() {
        app.update(
            Action::ConfigProblems(settings.problems.iter().map(ToString::to_string).collect()),
            now,
        );
    }
    // First frame before any network answer.
    let first = app.settle();
    draw(&mut guard, &app, &settings)?;
    if first_frame_exit {
        drop(guard);
        let since = PROCESS_START.get().map_or(Duration::ZERO, Instant::elapsed);
        eprintln!("first frame after {:.1} ms", since.as_secs_f64() * 1e3);
        return Ok(());
    }
    let audit = crate::audit::data_dir().map(|d| Audit::new(d.join("audit.jsonl"), &ctx));
    let base_options = ctx.options.clone();
    let state_path = crate::audit::data_dir().map(|d| d.join("state.json"));
    let mut tasks = TaskManager::new(ctx, tx.clone());
    tasks.set_audit(audit);
    tasks.set_state_path(state_path.clone());
    tasks.set_session_plugin(settings.session_plugin.clone());
    let (switch_tx, mut switch_rx) = mpsc::unbounded_channel::<Result<AwsContext, String>>();
    let mut pending_switch: Vec<(Option<String>, Option<String>)> = Vec::new();
    for e in effects.into_iter().chain(first) {
        tasks.run(e);
    }
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Action::ProfilesLoaded(crate::aws::profile_names().await));
        });
    }
    let mut events = EventStream::new();
    let mut router = KeyRouter::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let refresh_every = settings.refresh_interval;
    let mut next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = false;
    let mut last_draw = Instant::now();
    loop {
        let frame_due = tokio::time::sleep(FRAME.saturating_sub(last_draw.elapsed()));
        let refresh_due = async {
            match next_refresh {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let mut batch: Vec<Action> = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    if let Some(a) = router.route(&app, &settings, k) {
                        batch.push(a);
                    }
                }
                Some(Ok(Event::Resize(w, h))) => batch.push(Action::Resize(w, h)),
                Some(Ok(Event::Paste(text))) => batch.push(Action::Paste(text)),
                Some(Ok(Event::Mouse(m))) => {
                    use crossterm::event::{MouseButton, MouseEventKind};
                    let input = match m.kind {
                        MouseEventKind::Down(MouseButton::Left) => {
                            Some(crate::app::MouseInput::Click(m.column, m.row))
                        }
                        MouseEventKind::ScrollUp => Some(crate::app::MouseInput::ScrollUp),
                        MouseEventKind::ScrollDown => Some(crate::app::MouseInput::ScrollDown),
                        _ => None,
                    };
                    if let Some(i) = input {
                        batch.push(Action::Mouse(i));
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(a) = rx.recv() => {
                batch.push(a);
                // Drain what else arrived: one render per batch, not per chunk.
                while batch.len() < 512 {
                    match rx.try_recv() {
                        Ok(a) => batch.push(a),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => batch.push(Action::Tick(Instant::now())),
            () = refresh_due => {
                next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
                if app.fleet.loading.is_none() {
                    batch.push(Action::Command(crate::action::Command::Refresh));
                }
            }
            () = frame_due, if dirty => {}
            Some(switched) = switch_rx.recv() => match switched {
                Ok(ctx) => {
                    // A new manager: every task of the old context is cancelled.
                    let audit = crate::audit::data_dir()
                        .map(|d| Audit::new(d.join("audit.jsonl"), &ctx));
                    let forced = settings.read_only.as_deref() == Some("--read-only");
                    let mouse = settings.mouse;
                    let plugin = settings.session_plugin.clone();
                    settings = Settings::load_for(
                        settings.dir.as_deref(),
                        Some(ctx.profile.as_deref().unwrap_or("default")),
                    );
                    if forced {
                        settings.read_only = Some("--read-only".into());
                    }
                    settings.mouse = mouse;
                    if settings.session_plugin.is_none() {
                        settings.session_plugin = plugin;
                    }
                    app.read_only = settings.read_only.clone();
                    app.keyhelp = keyhelp(&settings);
                    let info = ContextInfo {
                        profile: ctx.profile.clone(),
                        region: ctx.region.clone(),
                        endpoint: ctx.endpoint.clone(),
                        identity: None,
                        identity_error: None,
                    };
                    tasks = TaskManager::new(ctx, tx.clone());
                    tasks.set_audit(audit);
                    tasks.set_state_path(state_path.clone());
                    tasks.set_session_plugin(settings.session_plugin.clone());
                    batch.push(Action::ContextSwitched(Ok(info)));
                }
                Err(e) => batch.push(Action::ContextSwitched(Err(e))),
            },
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
        let now = Instant::now();
        for a in batch {
            if matches!(a, Action::Command(crate::action::Command::Refresh)) {
                next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
            }
            for e in app.update(a, now) {
                if let Effect::SwitchContext { profile, region } = e {
                    pending_switch.push((profile, region));
                } else {
                    tasks.run(e);
                }
            }
            dirty = true;
        }
        for (profile, region) in pending_switch.drain(..) {
            let (base, tx, done) = (base_options.clone(), tx.clone(), switch_tx.clone());
            tokio::spawn(async move {
                let _ = done.send(switch_context(&base, profile, region, tx).await);
            });
        }
        if app.quit {
            break;
        }
        if dirty && last_draw.elapsed() >= FRAME {
            for e in app.settle() {
                tasks.run(e);
            }
            draw(&mut guard, &app, &settings)?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    // Restore the terminal first, then end the open sessions (bounded).
    drop(guard);
    tasks.terminate_sessions(Duration::from_secs(3)).await;
    drop(tasks);
    Ok(())
}

/// The bound actions the palette offers, by pane (`None`: every pane).
fn keyhelp(
    settings: &Settings,
) -> Vec<(
    Option<crate::app::Pane>,
    String,
    crate::action::Command,
    String,
)> {
    let mut out = Vec::new();
    for (keys, c, desc) in settings.keymap.bindings(crate::config::Layer::Global) {
        out.push((None, keys, c, desc));
    }
    for p in crate::app::Pane::ALL {
        for (keys, c, desc) in settings.keymap.bindings(p.layer()) {
            out.push((Some(*p), keys, c, desc));
        }
    }
    out
}

fn draw(guard: &mut TerminalGuard, app: &App, settings: &Settings) -> std::io::Result<()> {
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now: Instant::now(),
    };
    guard.terminal.draw(|f| render(f, app, &cx))?;
    Ok(())
}
