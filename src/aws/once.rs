//! Calls that must not run twice: `SendCommand`, `StartSession`,
//! `CreateOpsItem` (later `StartAutomationExecution`).
//!
//! The SDK's standard retry mode asks again after an HTTP 500 or a timeout;
//! for these calls that can run a command twice, since AWS may have acted
//! before the answer was lost. So each attempt goes out with the SDK's
//! retries off ([`no_retry_ssm`]), and [`once`] asks again only when AWS
//! certainly did not act ([`AwsError::certainly_not_sent`]: throttled, or
//! no connection made). Any other failure after the request went out
//! becomes [`ErrorKind::MaybeSent`]: the caller checks (ListCommands for a
//! command, say) before offering to send again.

use std::time::Duration;

use super::{AwsError, ErrorKind};

/// Attempts of one call, the first included.
pub const ATTEMPTS: u32 = 5;
/// The pause before the second attempt; doubled for each after it.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// An SSM config override that turns the SDK's retries off for one call
/// (`.customize().config_override(no_retry_ssm())`).
pub fn no_retry_ssm() -> aws_sdk_ssm::config::Builder {
    aws_sdk_ssm::config::Builder::default()
        .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled())
}

/// StartSession `call`, sent at most once ([`once`]).
///
/// # Errors
/// [`AwsError`] for `ssm:StartSession`; `MaybeSent` when the answer was
/// lost after the request went out (a session may have started: it ends
/// by its idle timeout).
pub async fn start_session(
    ctx: &super::AwsContext,
    call: aws_sdk_ssm::operation::start_session::builders::StartSessionFluentBuilder,
) -> Result<aws_sdk_ssm::operation::start_session::StartSessionOutput, AwsError> {
    once(|| {
        let call = call.clone().customize().config_override(no_retry_ssm());
        async move {
            call.send()
                .await
                .map_err(|e| ctx.error("ssm:StartSession", e))
        }
    })
    .await
}

/// Settles a [`ErrorKind::MaybeSent`] error `e` by what a check (`op`,
/// such as ListCommands) `found`: the id when it found the write; else
/// `e` with its hint extended by `none` (not found) or by why the check
/// failed and `instead` (what to do then).
///
/// # Errors
/// `e`, its hint extended, when the check found nothing or failed.
pub fn settle(
    mut e: AwsError,
    found: Result<Option<String>, AwsError>,
    op: &str,
    none: &str,
    instead: &str,
) -> Result<String, AwsError> {
    match found {
        Ok(Some(id)) => return Ok(id),
        Ok(None) => e.hint = format!("{}; {none}", e.hint),
        Err(check) => {
            e.hint = format!(
                "{}; checking {op} failed too ({}): {instead}",
                e.hint, check.hint
            );
        }
    }
    Err(e)
}

/// Runs `call` (one attempt, SDK retries off) until it succeeds, fails for
/// certain, or may have acted. A throttled or never-connected attempt is
/// asked again after [`FIRST_BACKOFF`], doubling, at most [`ATTEMPTS`]
/// in all; the last such error is returned as it is. Any other error
/// after the request went out (HTTP 5xx, a timeout, a dropped
/// connection) comes back as [`ErrorKind::MaybeSent`], its message saying
/// so and naming the cause; a 4xx answer (validation, access denied) is
/// returned as it is: AWS refused it.
///
/// # Errors
/// The attempt's [`AwsError`], re-kinded as above.
pub async fn once<T, Fut>(mut call: impl FnMut() -> Fut) -> Result<T, AwsError>
where
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut pause = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.certainly_not_sent() && attempt < ATTEMPTS => {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(e) if e.certainly_not_sent() || refused(&e) => return Err(e),
            Err(e) => return Err(maybe_sent(e)),
        }
    }
    unreachable!("the last attempt returns")
}

/// Whether AWS answered and refused the request (a 4xx, or an error code
/// that is no server fault): it did not act.
fn refused(e: &AwsError) -> bool {
    match e.kind {
        ErrorKind::AccessDenied | ErrorKind::Credentials | ErrorKind::Unsupported => true,
        ErrorKind::Service | ErrorKind::Other => e.status.is_some_and(|s| (400..500).contains(&s)),
        _ => false,
    }
}

/// `e` as [`ErrorKind::MaybeSent`]: the message names the cause, the hint
/// what to do.
fn maybe_sent(e: AwsError) -> AwsError {
    let cause = match (&e.code, e.status) {
        (Some(c), Some(s)) => format!("HTTP {s} {c}"),
        (None, Some(s)) => format!("HTTP {s}"),
        _ => e.message.clone(),
    };
    AwsError {
        kind: ErrorKind::MaybeSent,
        message: format!("the request went out, then failed ({cause}): AWS may have acted on it"),
        hint: format!(
            "it may or may not have been sent ({cause}); not sent again, so it cannot run twice"
        ),
        ..e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(kind: ErrorKind, status: Option<u16>, code: Option<&str>, message: &str) -> AwsError {
        AwsError {
            operation: "ssm:SendCommand".into(),
            kind,
            code: code.map(str::to_owned),
            status,
            message: message.into(),
            hint: String::new(),
        }
    }

    async fn run(answers: Vec<AwsError>) -> (Result<u8, AwsError>, u32) {
        let calls = AtomicU32::new(0);
        let r = once(|| {
            let i = calls.fetch_add(1, Ordering::SeqCst) as usize;
            let a = answers.get(i).cloned();
            async move { a.map_or(Ok(7), Err) }
        })
        .await;
        (r, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn throttled_and_refused_connections_are_asked_again() {
        let throttled = err(
            ErrorKind::Throttled,
            Some(400),
            Some("ThrottlingException"),
            "",
        );
        let refused = err(
            ErrorKind::Unreachable,
            None,
            None,
            "connection refused by http://x",
        );
        let (r, calls) = run(vec![throttled, refused]).await;
        assert_eq!((r.unwrap(), calls), (7, 3));
    }

    #[tokio::test]
    async fn a_server_error_or_timeout_after_sending_is_never_retried() {
        let e500 = err(
            ErrorKind::Service,
            Some(500),
            Some("InternalServerError"),
            "x",
        );
        let (r, calls) = run(vec![e500]).await;
        let e = r.unwrap_err();
        assert_eq!((e.kind, calls), (ErrorKind::MaybeSent, 1));
        assert!(
            e.to_string().contains("may or may not have been sent"),
            "{e}"
        );
        assert!(
            e.hint.contains("HTTP 500 InternalServerError"),
            "{}",
            e.hint
        );
        let timeout = err(
            ErrorKind::Unreachable,
            None,
            None,
            "no answer from http://x within 30 s",
        );
        let (r, calls) = run(vec![timeout]).await;
        assert_eq!((r.unwrap_err().kind, calls), (ErrorKind::MaybeSent, 1));
    }

    #[tokio::test]
    async fn a_refusal_stays_what_it_is() {
        let invalid = err(
            ErrorKind::Service,
            Some(400),
            Some("InvalidInstanceId"),
            "x",
        );
        let (r, calls) = run(vec![invalid]).await;
        assert_eq!((r.unwrap_err().kind, calls), (ErrorKind::Service, 1));
        let throttled = err(
            ErrorKind::Throttled,
            Some(400),
            Some("ThrottlingException"),
            "",
        );
        let (r, calls) = run(vec![throttled; ATTEMPTS as usize]).await;
        assert_eq!(
            (r.unwrap_err().kind, calls),
            (ErrorKind::Throttled, ATTEMPTS)
        );
    }
}
