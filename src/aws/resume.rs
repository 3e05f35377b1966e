//! Asking a list page again after a passing fault (issue 18 item 1): a
//! bulk load that runs out of the SDK's retries on one page keeps its
//! NextToken and asks for that same page again after a longer pause,
//! instead of stopping (and showing what it had as complete) or starting
//! over from page one.

use std::future::Future;
use std::time::Duration;

use super::{AwsError, ErrorKind};

/// Rounds of asking a failed page again, each after a longer pause
/// ([`pause`]); then the load stops, keeping what it has.
pub const ROUNDS: u32 = 5;

/// The pause before round `round` (1-based): 1, 2, 4, 8, 16 seconds.
pub fn pause(round: u32) -> Duration {
    Duration::from_secs(1u64 << round.saturating_sub(1).min(4))
}

/// Whether a failed list call is worth asking again from the same page:
/// throttling, a server error (HTTP 5xx) or an unreachable endpoint.
pub fn is_passing(e: &AwsError) -> bool {
    matches!(e.kind, ErrorKind::Throttled | ErrorKind::Unreachable)
        || (e.kind == ErrorKind::Service && e.status.is_some_and(|s| s >= 500))
}

/// A page that failed with a passing fault and will be asked for again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    /// The last error.
    pub error: AwsError,
    /// Seconds until the page is asked for again.
    pub retry_in_s: u64,
    /// The round, 1-based, of [`ROUNDS`].
    pub round: u32,
}

impl Stall {
    /// Why, in a few words: `throttled`, `endpoint unreachable`, `HTTP 503`.
    pub fn reason(&self) -> String {
        reason(&self.error)
    }
}

/// Why a load stopped or stalls, in a few words (`throttled`,
/// `endpoint unreachable`, `access denied`, else the AWS error code).
pub fn reason(e: &AwsError) -> String {
    match e.kind {
        ErrorKind::Throttled => "throttled".into(),
        ErrorKind::Unreachable => "endpoint unreachable".into(),
        ErrorKind::AccessDenied => "access denied".into(),
        ErrorKind::Credentials => "credentials".into(),
        _ => match (&e.code, e.status) {
            (Some(c), _) => c.clone(),
            (None, Some(s)) => format!("HTTP {s}"),
            (None, None) => "error".into(),
        },
    }
}

/// Runs `call` (one page request) until it succeeds, fails for good, or
/// has been asked again [`ROUNDS`] times; `on_stall` hears of each pause
/// before it starts. `midway`: pages of this load already arrived (an
/// endpoint unreachable from the very start is reported at once, not
/// asked again for half a minute).
///
/// # Errors
/// The last [`AwsError`] of `call`.
pub async fn again<T, Fut>(
    mut call: impl FnMut() -> Fut,
    midway: bool,
    on_stall: impl Fn(Stall),
) -> Result<T, AwsError>
where
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut round = 0;
    loop {
        let error = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let passing = is_passing(&error) && (error.kind != ErrorKind::Unreachable || midway);
        if !passing || round == ROUNDS {
            return Err(error);
        }
        round += 1;
        let wait = pause(round);
        on_stall(Stall {
            error,
            retry_in_s: wait.as_secs(),
            round,
        });
        tokio::time::sleep(wait).await;
    }
}

/// A throttling error as the SDK reports one after its retries (tests).
#[cfg(test)]
pub(crate) fn throttled(operation: &str) -> AwsError {
    AwsError {
        operation: operation.into(),
        kind: ErrorKind::Throttled,
        code: Some("ThrottlingException".into()),
        status: Some(400),
        message: "Rate exceeded".into(),
        hint: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_and_only_passing_faults_are_asked_again() {
        let secs: Vec<u64> = (1..=ROUNDS).map(|r| pause(r).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16]);
        assert!(is_passing(&throttled("ssm:X")));
        let mut denied = throttled("ssm:X");
        denied.kind = ErrorKind::AccessDenied;
        assert!(!is_passing(&denied));
        let mut five = throttled("ssm:X");
        (five.kind, five.status, five.code) = (ErrorKind::Service, Some(503), None);
        assert!(is_passing(&five));
        assert_eq!(reason(&five), "HTTP 503");
    }
}
