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
    /// The IAM alias of a context's account (ListAccountAliases), where it
    /// has one and the identity may read it.
    AccountAlias(ContextId, String),
    /// Something to tell the user (a file that could not be written).
    Notice(String),
}

/// Work of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellJob {
    /// STS GetCallerIdentity of every context, at most
    /// `contexts::CONTEXTS_AT_ONCE` at a time (the first context's also
    /// names the identity in the audit log), each followed by its
    /// account's IAM alias (ListAccountAliases; a refusal is logged, not
    /// shown: the account is then named by its id).
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
                use futures::StreamExt;
                let first = env.ctx.caller_identity().await;
                if let (Some(a), Ok(id)) = (env.audit.log(), &first) {
                    a.set_identity(id.clone());
                }
                // The first account's alias before its identity, so the
                // header names it as soon as it shows the account.
                if first.is_ok() {
                    send_alias(&env, ContextId(0), env.ctx.account_alias().await);
                }
                env.send(ShellMsg::Identity(first.clone()));
                if env.contexts.len() < 2 {
                    return None;
                }
                env.send(ShellMsg::ContextIdentity(ContextId(0), first));
                let others: Vec<_> = env
                    .contexts
                    .iter()
                    .skip(1)
                    .map(|(id, ctx)| (id, ctx.clone()))
                    .collect();
                let calls = others.into_iter().map(|(id, ctx)| async move {
                    let who = ctx.caller_identity().await;
                    let alias = match &who {
                        Ok(_) => ctx.account_alias().await,
                        Err(e) => Err(e.clone()),
                    };
                    (id, who, alias)
                });
                let mut answers = futures::stream::iter(calls)
                    .buffer_unordered(crate::aws::contexts::CONTEXTS_AT_ONCE);
                while let Some((id, who, alias)) = answers.next().await {
                    env.send(ShellMsg::ContextIdentity(id, who));
                    send_alias(&env, id, alias);
                }
                None
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

/// Sends a context's account alias where it has one; a refusal (no
/// `iam:ListAccountAliases`) is logged, not shown: the account is then
/// named by its id.
fn send_alias(env: &JobEnv<ShellMsg>, id: ContextId, alias: Result<Option<String>, AwsError>) {
    match alias {
        Ok(Some(a)) => env.send(ShellMsg::AccountAlias(id, a)),
        Ok(None) => {}
        Err(e) => tracing::debug!(context = id.index(), error = %e, "no account alias"),
    }
}
