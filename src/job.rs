//! Typed jobs: the asynchronous work a pane asks for, declared where the
//! pane defines it.
//!
//! A job says three things about itself before it runs: its cancellation
//! slot (a new job in the same slot cancels the old one: latest wins), the
//! AWS write it performs ([`Mutation`], `None` for reads) and, once it has
//! finished, what the audit log records of its result ([`Job::outcomes`]).
//! One runner (`runtime::TaskManager`) reads those declarations: it refuses
//! a mutating job in read-only mode and writes the audit line, so a write
//! cannot ship unguarded or unaudited by forgetting a list somewhere else.
//! `mutation` has no default: every job states whether it writes.

use std::future::Future;
use std::sync::Arc;

use crate::audit::{Audit, error_outcome};
use crate::aws::contexts::ContextSet;
use crate::aws::{AwsContext, AwsError};
use crate::model::ContextId;

/// An AWS write a job performs (IAM action names as in CloudTrail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    /// The IAM action, e.g. `ssm:PutParameter`.
    pub action: &'static str,
    /// What it writes to: names, ids (never a value).
    pub targets: Vec<String>,
    /// What changes, known before the call (never a value); may be empty.
    pub detail: String,
    /// Who writes the audit line.
    pub audit: AuditWhen,
}

/// When the audit line of a mutating job is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditWhen {
    /// The runner writes one line per [`Outcome`] of the job's result.
    OnResult,
    /// The job records through [`JobEnv::audit`] while it runs: sessions,
    /// whose start is recorded when it happens, long before the job ends.
    ByTheJob,
}

impl Mutation {
    /// A write audited from its result (the usual case).
    pub fn new(action: &'static str, targets: Vec<String>, detail: impl Into<String>) -> Self {
        Mutation {
            action,
            targets,
            detail: detail.into(),
            audit: AuditWhen::OnResult,
        }
    }

    /// A write that records its own audit lines while it runs.
    pub fn recorded_by_the_job(action: &'static str, targets: Vec<String>) -> Self {
        Mutation {
            action,
            targets,
            detail: String::new(),
            audit: AuditWhen::ByTheJob,
        }
    }
}

/// What one audit line says of a finished write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Targets of this line (`None`: the declared ones).
    pub targets: Option<Vec<String>>,
    /// `ok`, `refused…` (the lost-update guard) or `error: <AWS code>`.
    pub outcome: String,
    /// What happened, appended to the declared detail (never a value).
    pub detail: String,
    /// The context of the set the write went to (`None`: the first).
    pub context: Option<ContextId>,
}

impl Outcome {
    /// `ok` or `error: CODE` for an AWS result.
    pub fn of<T>(r: &Result<T, AwsError>) -> Outcome {
        Outcome {
            targets: None,
            outcome: match r {
                Ok(_) => "ok".into(),
                Err(e) => error_outcome(e),
            },
            detail: String::new(),
            context: None,
        }
    }

    /// This outcome about a write in context `id` of the set.
    pub fn in_context(mut self, id: ContextId) -> Outcome {
        self.context = Some(id);
        self
    }

    /// This outcome with `detail`.
    pub fn detail(mut self, detail: impl Into<String>) -> Outcome {
        self.detail = detail.into();
        self
    }

    /// This outcome about `targets` instead of the declared ones.
    pub fn targets(mut self, targets: Vec<String>) -> Outcome {
        self.targets = Some(targets);
        self
    }

    /// An outcome with a given text (`refused: …`, `error: 2 failed`).
    pub fn text(outcome: impl Into<String>) -> Outcome {
        Outcome {
            targets: None,
            outcome: outcome.into(),
            detail: String::new(),
            context: None,
        }
    }
}

/// Asynchronous work of a pane: see the module documentation.
pub trait Job: Send + Sized + 'static {
    /// What the job reports (the pane's message type).
    type Msg: Send + 'static;

    /// The cancellation slot: a new job in the same slot cancels the one
    /// running there (latest wins). `None`: runs to completion (every write).
    fn slot(&self) -> Option<String>;

    /// The AWS write this job performs, `None` for reads.
    fn mutation(&self) -> Option<Mutation>;

    /// Does the work; messages may be sent while it runs
    /// ([`JobEnv::send`]), the returned one (if any) is sent last, after
    /// its audit line is written.
    fn run(self, env: JobEnv<Self::Msg>) -> impl Future<Output = Option<Self::Msg>> + Send;

    /// The audit lines of a write's result: one per item written. Called
    /// only for a job whose mutation is audited [`AuditWhen::OnResult`].
    fn outcomes(msg: &Self::Msg) -> Vec<Outcome>;

    /// The contexts of the set a mutating job writes to, by
    /// [`ContextId`]: the read-only gate refuses the job when one of them
    /// is read-only (one read-only profile makes its rows read-only). The
    /// first context unless the job says otherwise.
    fn writes_to(&self, _base: &JobBase) -> Vec<ContextId> {
        vec![ContextId::default()]
    }
}

/// What every job of one context shares: the AWS context, the audit log,
/// the session hub and the settings jobs read.
#[derive(Clone)]
pub struct JobBase {
    /// The AWS context the job was started under (the set's first).
    pub ctx: AwsContext,
    /// Every context of the set (fan-out loads; a write goes to its
    /// item's [`ContextSet::get`]).
    pub contexts: ContextSet,
    /// Which context each Run Command command id was sent in (or listed
    /// in), so polls, output, cancel and export of a command go there.
    pub homes: ItemHomes,
    /// Audit lines for jobs that record their own ([`AuditWhen::ByTheJob`]).
    pub audit: AuditScope,
    /// Live sessions (their input), shared across context switches.
    pub sessions: crate::session::hub::SessionHub,
    /// Where the user state (saved filters, recent targets) is written.
    pub state_path: Option<std::path::PathBuf>,
    /// The data directory exports are written to (`None`: no export).
    pub data_dir: Option<std::path::PathBuf>,
    /// Shells go through this session-manager-plugin instead of the native client.
    pub session_plugin: Option<std::path::PathBuf>,
    /// How the Fleet load lists managed nodes (config.toml `[fleet] listing`).
    pub fleet_listing: crate::aws::fleet::Listing,
}

/// Which context each command id belongs to: filled by the jobs that learn
/// a command id (SendCommand, ListCommands), read by the ones that use one.
/// Command ids are UUIDs, unique across accounts and regions.
#[derive(Clone, Default, Debug)]
pub struct ItemHomes(Arc<std::sync::Mutex<std::collections::HashMap<String, ContextId>>>);

impl ItemHomes {
    /// Records that `ids` live in context `ctx`.
    pub fn record(&self, ctx: ContextId, ids: &[String]) {
        if let Ok(mut m) = self.0.lock() {
            for id in ids {
                m.insert(id.clone(), ctx);
            }
        }
    }

    /// The context of command `id` (the first context when unknown).
    pub fn of(&self, id: &str) -> ContextId {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(id).copied())
            .unwrap_or_default()
    }
}

impl JobBase {
    /// The AWS context of command `id` ([`ItemHomes`]).
    pub fn command_context(&self, id: &str) -> &AwsContext {
        self.contexts.get(self.homes.of(id))
    }
}

/// What a running job has ([`JobBase`]) and a way to report.
pub struct JobEnv<M> {
    base: JobBase,
    send: Arc<dyn Fn(M) + Send + Sync>,
}

impl<M> std::ops::Deref for JobEnv<M> {
    type Target = JobBase;
    fn deref(&self) -> &JobBase {
        &self.base
    }
}

impl<M: Send + 'static> JobEnv<M> {
    /// An environment that reports through `send`.
    pub fn new(base: JobBase, send: Arc<dyn Fn(M) + Send + Sync>) -> Self {
        JobEnv { base, send }
    }

    /// Reports a message now (a page of a load, a chunk of a stream).
    pub fn send(&self, m: M) {
        (self.send)(m);
    }

    /// A cloneable sender of this job's messages, for tasks it starts.
    pub fn sender(&self) -> Arc<dyn Fn(M) + Send + Sync> {
        self.send.clone()
    }
}

/// The audit log as a job sees it; a failure to write becomes a notice.
#[derive(Clone)]
pub struct AuditScope {
    audit: Option<Audit>,
    notice: Arc<dyn Fn(String) + Send + Sync>,
    /// The context set's labels (a line about context `n` names its account
    /// and region); empty: one context.
    labels: Arc<Vec<crate::model::ContextLabel>>,
    /// The context [`AuditScope::record`] writes about.
    home: ContextId,
}

impl AuditScope {
    /// Lines go to `audit` (`None`: nowhere); write failures to `notice`.
    pub fn new(audit: Option<Audit>, notice: Arc<dyn Fn(String) + Send + Sync>) -> Self {
        AuditScope {
            audit,
            notice,
            labels: Arc::default(),
            home: ContextId::default(),
        }
    }

    /// This scope writing about context `ctx` (a session's own context).
    pub fn at(&self, ctx: ContextId) -> AuditScope {
        AuditScope {
            home: ctx,
            ..self.clone()
        }
    }

    /// This scope naming the contexts of a set (`labels`, in set order).
    pub fn with_labels(mut self, labels: Vec<crate::model::ContextLabel>) -> Self {
        self.labels = Arc::new(labels);
        self
    }

    /// Appends one line about a write in context `ctx` of the set (the
    /// first context: the log's own).
    pub fn record_in(
        &self,
        ctx: ContextId,
        action: &str,
        targets: &[String],
        outcome: &str,
        detail: &str,
    ) {
        let place = self
            .labels
            .get(ctx.index())
            .filter(|_| self.labels.len() > 1);
        if let Some(a) = &self.audit
            && let Err(e) = a.record_in(place, action, targets, outcome, detail)
        {
            (self.notice)(format!("audit log {} not written: {e}", a.path().display()));
        }
    }

    /// The audit log, if any (to record the identity once known).
    pub fn log(&self) -> Option<&Audit> {
        self.audit.as_ref()
    }

    /// Appends one line (action, targets, outcome, detail: never a value)
    /// about this scope's context.
    pub fn record(&self, action: &str, targets: &[String], outcome: &str, detail: &str) {
        self.record_in(self.home, action, targets, outcome, detail);
    }

    /// Appends the lines of `outcomes` of the declared write `m`.
    pub fn record_outcomes(&self, m: &Mutation, outcomes: &[Outcome]) {
        if outcomes.is_empty() {
            self.record(m.action, &m.targets, "unknown: no result", &m.detail);
        }
        for o in outcomes {
            let detail = match (m.detail.is_empty(), o.detail.is_empty()) {
                (_, true) => m.detail.clone(),
                (true, false) => o.detail.clone(),
                (false, false) => format!("{}; {}", m.detail, o.detail),
            };
            let targets = o.targets.as_ref().unwrap_or(&m.targets);
            self.record_in(
                o.context.unwrap_or(self.home),
                m.action,
                targets,
                &o.outcome,
                &detail,
            );
        }
    }
}
