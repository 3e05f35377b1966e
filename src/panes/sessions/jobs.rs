//! Sessions jobs: a Session Manager shell or a port forward per tab, and
//! the input sent to them. StartSession is recorded when it answers (the
//! job lives as long as the session); TerminateSession when the session
//! ends terminated.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::aws::AwsContext;
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;
use crate::session::client::{self, SessionEvent, SessionInput};
use crate::session::forward::{self, ForwardSpec, ForwardStats};

/// Reports of session jobs, by tab number.
#[derive(Debug, Clone)]
pub enum SessionsMsg {
    /// Tab `.0`'s session reported.
    Event(usize, SessionEvent),
    /// StartSession answered for tab `.0` with session id `.1`.
    Started(usize, String),
    /// A port forward's connections and bytes changed.
    Stats(usize, ForwardStats),
    /// A port forward listens on local port `.1`.
    Listening(usize, u16),
}

/// Work of the Sessions pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionsJob {
    /// StartSession on `target` and run its data channel as tab `tab`.
    Shell {
        /// Tab number.
        tab: usize,
        /// Managed node id.
        target: String,
        /// The node's context (StartSession goes there).
        ctx: ContextId,
        /// Terminal columns.
        cols: u16,
        /// Terminal rows.
        rows: u16,
    },
    /// Listen on 127.0.0.1 and forward to the node as tab `tab`.
    Forward {
        /// Tab number.
        tab: usize,
        /// Managed node id.
        target: String,
        /// The node's context (StartSession goes there).
        ctx: ContextId,
        /// Ports and host.
        spec: ForwardSpec,
    },
    /// Keys, a size or terminate for tab `tab`'s session.
    Input {
        /// Tab number.
        tab: usize,
        /// What to send.
        input: SessionInput,
    },
}

impl Job for SessionsJob {
    type Msg = SessionsMsg;

    fn slot(&self) -> Option<String> {
        None
    }

    fn writes_to(&self, _base: &crate::job::JobBase) -> Vec<ContextId> {
        match self {
            SessionsJob::Shell { ctx, .. } | SessionsJob::Forward { ctx, .. } => vec![*ctx],
            _ => vec![ContextId::default()],
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            SessionsJob::Shell { target, .. } | SessionsJob::Forward { target, .. } => Some(
                Mutation::recorded_by_the_job("ssm:StartSession", vec![target.clone()]),
            ),
            SessionsJob::Input {
                input: SessionInput::Terminate,
                ..
            } => Some(Mutation::recorded_by_the_job(
                "ssm:TerminateSession",
                Vec::new(),
            )),
            SessionsJob::Input {
                input: SessionInput::Keys(_) | SessionInput::Resize(..) | SessionInput::Flag(_),
                ..
            } => None,
        }
    }

    async fn run(self, env: JobEnv<SessionsMsg>) -> Option<SessionsMsg> {
        match self {
            SessionsJob::Shell {
                tab,
                target,
                ctx,
                cols,
                rows,
            } => {
                let hub = env.sessions.clone();
                let aws = (ctx, env.contexts.get(ctx).clone());
                hub.track(shell(&env, aws, tab, target, cols, rows)).await;
                hub.unregister(tab);
            }
            SessionsJob::Forward {
                tab,
                target,
                ctx,
                spec,
            } => {
                let hub = env.sessions.clone();
                let aws = (ctx, env.contexts.get(ctx).clone());
                hub.track(port_forward(&env, aws, tab, target, spec)).await;
                hub.unregister(tab);
            }
            SessionsJob::Input { tab, input } => {
                env.sessions.send(tab, input);
            }
        }
        None
    }

    fn outcomes(_: &SessionsMsg) -> Vec<Outcome> {
        Vec::new()
    }
}

fn closed(tab: usize, reason: String) -> SessionsMsg {
    SessionsMsg::Event(
        tab,
        SessionEvent::Closed {
            reason,
            exit_code: None,
        },
    )
}

/// A shell: StartSession, then the data channel (native client or the
/// session-manager-plugin) until the session ends.
async fn shell(
    env: &JobEnv<SessionsMsg>,
    (ctx_id, ctx): (ContextId, AwsContext),
    tab: usize,
    target: String,
    cols: u16,
    rows: u16,
) {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    env.sessions.register(tab, in_tx);
    let audit = env.audit.at(ctx_id);
    let started = client::start(&ctx, &target).await;
    audit.record(
        "ssm:StartSession",
        std::slice::from_ref(&target),
        &Outcome::of(&started).outcome,
        started.as_ref().map_or("", |s| s.session_id.as_str()),
    );
    let started = match started {
        Ok(s) => s,
        Err(e) => return env.send(closed(tab, format!("not started: {e}"))),
    };
    let session_id = started.session_id.clone();
    env.send(SessionsMsg::Started(tab, session_id.clone()));
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let relay = tokio::spawn(relay_output(
        env.sender(),
        audit.clone(),
        tab,
        session_id,
        ev_rx,
    ));
    let size = crate::session::protocol::TermSize { cols, rows };
    match env.session_plugin.clone() {
        Some(p) => crate::session::plugin::run(ctx, started, target, p, size, in_rx, ev_tx).await,
        None => client::run(ctx, started, size, in_rx, ev_tx).await,
    }
    let _ = relay.await;
}

/// Passes a shell's events on in batches (what arrived together is one
/// message), and records TerminateSession when the session ends terminated.
async fn relay_output(
    send: std::sync::Arc<dyn Fn(SessionsMsg) + Send + Sync>,
    audit: crate::job::AuditScope,
    tab: usize,
    session_id: String,
    mut ev_rx: mpsc::UnboundedReceiver<SessionEvent>,
) {
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
                        send(SessionsMsg::Event(
                            tab,
                            SessionEvent::Output(std::mem::take(&mut buf)),
                        ));
                    }
                    if matches!(&other, SessionEvent::Closed { reason, .. } if reason == "terminated")
                    {
                        audit.record(
                            "ssm:TerminateSession",
                            std::slice::from_ref(&session_id),
                            "ok",
                            "",
                        );
                    }
                    send(SessionsMsg::Event(tab, other));
                }
            }
        }
        if !buf.is_empty() {
            send(SessionsMsg::Event(tab, SessionEvent::Output(buf)));
        }
    }
}

/// A port forward: listen on 127.0.0.1, StartSession with the port
/// forwarding document, then carry every local connection until it ends.
async fn port_forward(
    env: &JobEnv<SessionsMsg>,
    (ctx_id, ctx): (ContextId, AwsContext),
    tab: usize,
    target: String,
    spec: ForwardSpec,
) {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    env.sessions.register(tab, in_tx.clone());
    let audit = env.audit.at(ctx_id);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", spec.local_port)).await {
        Ok(l) => l,
        Err(e) => {
            return env.send(closed(
                tab,
                format!(
                    "cannot listen on 127.0.0.1:{}: {e}; choose another local port (0 picks a free one)",
                    spec.local_port
                ),
            ));
        }
    };
    let local = listener.local_addr().map_or(spec.local_port, |a| a.port());
    env.send(SessionsMsg::Listening(tab, local));
    let started = forward::start(&ctx, &target, &spec, local).await;
    audit.record(
        "ssm:StartSession",
        std::slice::from_ref(&target),
        &Outcome::of(&started).outcome,
        &format!(
            "port forward {}; {}",
            spec.describe(local),
            started.as_ref().map_or("", |s| s.session_id.as_str())
        ),
    );
    let started = match started {
        Ok(s) => s,
        Err(e) => return env.send(closed(tab, format!("not started: {e}"))),
    };
    env.send(SessionsMsg::Started(tab, started.session_id.clone()));
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (stats_tx, stats_rx) = mpsc::unbounded_channel();
    let ended = ForwardEnd {
        audit: audit.clone(),
        session_id: started.session_id.clone(),
        what: spec.describe(local),
    };
    let relay = tokio::spawn(relay_forward(env.sender(), tab, ended, out_rx, stats_rx));
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
}

/// What the audit line of a forward's end names.
struct ForwardEnd {
    audit: crate::job::AuditScope,
    session_id: String,
    what: String,
}

impl ForwardEnd {
    /// One audit line for the end of the forward: `ssm:TerminateSession`
    /// when the console ended it (the user's `x`, quit, context switch),
    /// `session:Ended` (no AWS call of ours) when the node or the
    /// connection did; the detail names the forward and the reason.
    fn record(&self, reason: &str) {
        let action = if reason == "terminated" {
            "ssm:TerminateSession"
        } else {
            "session:Ended"
        };
        self.audit.record(
            action,
            std::slice::from_ref(&self.session_id),
            "ok",
            &format!("port forward {} ended: {reason}", self.what),
        );
    }
}

/// Passes a forward's events on as they come, its counters at most five
/// times a second; records the forward's end in the audit log.
async fn relay_forward(
    send: std::sync::Arc<dyn Fn(SessionsMsg) + Send + Sync>,
    tab: usize,
    ended: ForwardEnd,
    mut out_rx: mpsc::UnboundedReceiver<SessionEvent>,
    mut stats_rx: mpsc::UnboundedReceiver<ForwardStats>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut latest = None;
    loop {
        tokio::select! {
            ev = out_rx.recv() => match ev {
                Some(ev) => {
                    if let SessionEvent::Closed { reason, .. } = &ev {
                        ended.record(reason);
                    }
                    send(SessionsMsg::Event(tab, ev));
                }
                None => break,
            },
            Some(s) = stats_rx.recv() => latest = Some(s),
            _ = tick.tick() => {
                if let Some(s) = latest.take() {
                    send(SessionsMsg::Stats(tab, s));
                }
            }
        }
    }
    if let Some(s) = latest.take() {
        send(SessionsMsg::Stats(tab, s));
    }
}
