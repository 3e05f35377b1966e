//! One-line errors for the user: the operation, the AWS error code and what to do.

use aws_smithy_types::error::display::DisplayErrorContext;

use super::{AwsContext, ProvideErrorMetadata, SdkError};

/// What kind of failure a call met; drives the hint and how a pane reacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No, invalid or expired credentials.
    Credentials,
    /// The identity lacks the IAM permission.
    AccessDenied,
    /// Throttled even after the SDK's retries.
    Throttled,
    /// The endpoint does not implement the operation (HTTP 500 with a
    /// non-AWS body, `UnknownOperationException`, `InvalidAction`).
    Unsupported,
    /// The endpoint could not be reached or timed out.
    Unreachable,
    /// Any other service error.
    Service,
    /// Anything else (request construction, parsing).
    Other,
    /// A call that must not run twice (SendCommand, StartSession,
    /// CreateOpsItem) failed after its request went out (an HTTP 5xx, a
    /// timeout, a dropped connection): AWS may or may not have acted on
    /// it. See [`once`](super::once).
    MaybeSent,
}

/// A failed AWS call as the console reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// IAM action form, e.g. `ssm:DescribeInstanceInformation`.
    pub operation: String,
    /// Classification.
    pub kind: ErrorKind,
    /// AWS error code, when the service gave one.
    pub code: Option<String>,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The service's message or the transport's cause.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match (&self.code, self.status) {
            (Some(code), _) => code.clone(),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => match self.kind {
                ErrorKind::Unreachable if self.message.starts_with(NO_ANSWER) => "timed out".into(),
                ErrorKind::Unreachable => "unreachable".into(),
                ErrorKind::Credentials => "no credentials".into(),
                ErrorKind::MaybeSent => "may or may not have been sent".into(),
                _ => "error".into(),
            },
        };
        write!(f, "{}: {what} — {}", self.operation_name(), self.hint)
    }
}

impl std::error::Error for AwsError {}

const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
];
const DENIED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
];
const THROTTLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottledException",
];
const UNSUPPORTED_CODES: &[&str] = &[
    "UnknownOperationException",
    "InvalidAction",
    "NotImplemented",
];

impl AwsError {
    /// The operation without the service prefix (`DescribeInstanceInformation`).
    pub fn operation_name(&self) -> &str {
        self.operation
            .split_once(':')
            .map_or(self.operation.as_str(), |(_, op)| op)
    }

    /// An error raised before any call (a request the SDK could not build).
    pub fn local(operation: &str, e: impl std::fmt::Display) -> Self {
        AwsError {
            operation: operation.into(),
            kind: ErrorKind::Other,
            code: None,
            status: None,
            message: e.to_string(),
            hint: e.to_string(),
        }
    }

    /// Builds the error from an SDK error, with hints that name the profile,
    /// the endpoint and the IAM action.
    pub fn from_sdk<E>(operation: &str, err: SdkError<E>, ctx: &AwsContext) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let profile = ctx.profile.as_deref().unwrap_or("default");
        let endpoint = ctx
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("AWS ({})", ctx.region));
        let full = DisplayErrorContext(&err).to_string();
        let (code, message, status) = match &err {
            SdkError::ServiceError(se) => (
                se.err().code().map(str::to_owned),
                se.err()
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| full.clone()),
                Some(se.raw().status().as_u16()),
            ),
            SdkError::ResponseError(re) => (None, full.clone(), Some(re.raw().status().as_u16())),
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                (None, transport_text(&err, &full, &endpoint, ctx), None)
            }
            _ => (None, full.clone(), None),
        };
        let kind = classify(&err, code.as_deref(), status, &full);
        let hint = match kind {
            ErrorKind::Credentials => credentials_hint(profile, ctx.sso_profile, &message),
            ErrorKind::AccessDenied => {
                format!("the identity lacks {operation}: grant it in the role's IAM policy")
            }
            ErrorKind::Throttled => {
                "still throttled after every retry: wait a moment, then retry".into()
            }
            ErrorKind::Unsupported => format!(
                "the endpoint {endpoint} does not implement this operation; panes that need it are unavailable, the others keep working"
            ),
            ErrorKind::Unreachable if message.starts_with(NO_ANSWER) => {
                let t = &ctx.options.timeouts;
                format!(
                    "{message}; the endpoint accepted the connection but did not answer (timeouts: connect {} s, attempt {} s, operation {} s): check the endpoint, the network or --endpoint-url",
                    t.connect.as_secs(),
                    t.attempt.as_secs(),
                    t.operation.as_secs()
                )
            }
            ErrorKind::Unreachable => {
                format!("{message}; check the network or --endpoint-url")
            }
            ErrorKind::Service | ErrorKind::Other | ErrorKind::MaybeSent => message.clone(),
        };
        AwsError {
            operation: operation.to_owned(),
            kind,
            code,
            status,
            message,
            hint,
        }
    }
}

fn classify<E, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    code: Option<&str>,
    status: Option<u16>,
    full: &str,
) -> ErrorKind {
    if let Some(code) = code {
        if CREDENTIAL_CODES.contains(&code) {
            return ErrorKind::Credentials;
        }
        if DENIED_CODES.contains(&code) {
            return ErrorKind::AccessDenied;
        }
        if THROTTLE_CODES.contains(&code) {
            return ErrorKind::Throttled;
        }
        if UNSUPPORTED_CODES.contains(&code) {
            return ErrorKind::Unsupported;
        }
        return ErrorKind::Service;
    }
    if let Some(s) = status {
        // A 5xx whose body carries no AWS error code is a partial emulator
        // saying it lacks the operation (moto, LocalStack); 501 always is.
        if s == 501 || (500..600).contains(&s) {
            return ErrorKind::Unsupported;
        }
        return ErrorKind::Other;
    }
    let lower = full.to_ascii_lowercase();
    if lower.contains("credential") || lower.contains("sso") || lower.contains("token") {
        return ErrorKind::Credentials;
    }
    match err {
        aws_smithy_runtime_api::client::result::SdkError::DispatchFailure(_)
        | aws_smithy_runtime_api::client::result::SdkError::TimeoutError(_) => {
            ErrorKind::Unreachable
        }
        _ => ErrorKind::Other,
    }
}

impl AwsError {
    /// Whether AWS certainly did not act on the request: it was throttled
    /// (refused before it was handled) or no connection was made (refused,
    /// or the connect timeout passed). Only then may a call that must not
    /// run twice be sent again ([`once`](super::once)).
    pub fn certainly_not_sent(&self) -> bool {
        self.kind == ErrorKind::Throttled
            || (self.kind == ErrorKind::Unreachable
                && (self.message.starts_with(REFUSED) || self.message.starts_with(NO_CONNECT)))
    }
}

/// How a refused connection's message starts.
const REFUSED: &str = "connection refused by ";
/// How a connect timeout's message starts.
const NO_CONNECT: &str = "could not connect to ";

/// How a timed-out call's message starts.
const NO_ANSWER: &str = "no answer from ";

/// A transport failure in words: `no answer from ENDPOINT within 60 s`
/// (the operation or attempt timeout), `could not connect to ENDPOINT
/// within 3 s`, `connection refused by ENDPOINT`, else `cannot reach
/// ENDPOINT: CAUSE` with the innermost cause.
fn transport_text<E, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    full: &str,
    endpoint: &str,
    ctx: &AwsContext,
) -> String {
    use aws_smithy_runtime_api::client::result::SdkError;
    let t = &ctx.options.timeouts;
    let lower = full.to_ascii_lowercase();
    match err {
        SdkError::TimeoutError(_) if lower.contains("all attempts") => format!(
            "{NO_ANSWER}{endpoint} within {} s, retries included",
            t.operation.as_secs()
        ),
        SdkError::TimeoutError(_) => {
            format!("{NO_ANSWER}{endpoint} within {} s", t.attempt.as_secs())
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            format!("{NO_CONNECT}{endpoint} within {} s", t.connect.as_secs())
        }
        _ if lower.contains("connection refused") => format!("{REFUSED}{endpoint}"),
        _ => format!("cannot reach {endpoint}: {}", short_cause(full)),
    }
}

fn credentials_hint(profile: &str, sso: bool, message: &str) -> String {
    if sso {
        format!(
            "the SSO session for profile '{profile}' is missing or expired: run `aws sso login --profile {profile}`"
        )
    } else {
        let detail = short_cause(message);
        format!(
            "no valid credentials for profile '{profile}' ({detail}): run `aws configure --profile {profile}`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use an instance role"
        )
    }
}

/// The innermost cause of an error chain rendered by `DisplayErrorContext`
/// (`a: b: c` → `c`), trimmed to one short line.
fn short_cause(full: &str) -> String {
    let last = full.rsplit(": ").next().unwrap_or(full).trim();
    let mut s: String = last.chars().take(120).collect();
    if s.is_empty() {
        s = "no detail".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_causes() {
        assert_eq!(
            short_cause(
                "dispatch failure: io error: error trying to connect: tcp connect error: Connection refused (os error 111)"
            ),
            "Connection refused (os error 111)"
        );
        assert_eq!(short_cause(""), "no detail");
    }
}
