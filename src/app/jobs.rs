//! The shell's own jobs: the caller identity, the user state file and the
//! clipboard. None of them writes to AWS.

use crate::aws::AwsError;
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::{CallerIdentity, ContextId};

use super::SecretText;

/// Reports of the shell's jobs.
#[derive(Debug, Clone)]
pub enum ShellMsg {
    /// STS GetCallerIdentity answered (the first context's).
    Identity(Result<CallerIdentity, AwsError>),
    /// STS GetCallerIdentity of one context of a set of several answered.
    ContextIdentity(ContextId, Result<CallerIdentity, AwsError>),
    /// Something to tell the user (a file that could not be written).
    Notice(String),
}

/// Work of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellJob {
    /// STS GetCallerIdentity of every context, at most
    /// `contexts::CONTEXTS_AT_ONCE` at a time (the first context's also
    /// names the identity in the audit log).
    Identity,
    /// Write the user state (saved filters, recent targets) as this JSON,
    /// 0600, where the runtime says (nowhere in tests).
    SaveUserState(String),
    /// Put text on the user's clipboard: OSC 52 through the terminal, and
    /// the desktop clipboard where there is one.
    Clipboard(SecretText),
}

impl Job for ShellJob {
    type Msg = ShellMsg;

    fn slot(&self) -> Option<String> {
        match self {
            ShellJob::Identity => Some("identity".into()),
            ShellJob::SaveUserState(_) | ShellJob::Clipboard(_) => None,
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            ShellJob::Identity | ShellJob::SaveUserState(_) | ShellJob::Clipboard(_) => None,
        }
    }

    async fn run(self, env: JobEnv<ShellMsg>) -> Option<ShellMsg> {
        match self {
            ShellJob::Identity => {
                let r = env.ctx.caller_identity().await;
                if let (Some(a), Ok(id)) = (env.audit.log(), &r) {
                    a.set_identity(id.clone());
                }
                if env.contexts.len() > 1 {
                    use futures::StreamExt;
                    env.send(ShellMsg::Identity(r.clone()));
                    env.send(ShellMsg::ContextIdentity(ContextId(0), r.clone()));
                    let others: Vec<_> = env
                        .contexts
                        .iter()
                        .skip(1)
                        .map(|(id, ctx)| (id, ctx.clone()))
                        .collect();
                    let calls = others
                        .into_iter()
                        .map(|(id, ctx)| async move { (id, ctx.caller_identity().await) });
                    let mut answers = futures::stream::iter(calls)
                        .buffer_unordered(crate::aws::contexts::CONTEXTS_AT_ONCE);
                    while let Some((id, r)) = answers.next().await {
                        env.send(ShellMsg::ContextIdentity(id, r));
                    }
                    return None;
                }
                Some(ShellMsg::Identity(r))
            }
            ShellJob::SaveUserState(json) => {
                let path = env.state_path.clone()?;
                let written = tokio::task::spawn_blocking({
                    let path = path.clone();
                    move || crate::audit::write_private(&path, &json)
                })
                .await;
                match written {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(ShellMsg::Notice(format!(
                        "saved filters not written to {}: {e}",
                        path.display()
                    ))),
                    Err(e) => Some(ShellMsg::Notice(format!(
                        "saved filters not written to {}: {e}",
                        path.display()
                    ))),
                }
            }
            ShellJob::Clipboard(text) => {
                crate::tui::copy_osc52(&text.0);
                let _ = tokio::task::spawn_blocking(move || crate::tui::copy_native(&text.0)).await;
                None
            }
        }
    }

    fn outcomes(_: &ShellMsg) -> Vec<Outcome> {
        Vec::new()
    }
}
