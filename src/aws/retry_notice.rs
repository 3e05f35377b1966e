//! An SDK interceptor that turns retried attempts into passing notices.
//!
//! The SDK's standard retry mode does the retrying and the backoff; this only
//! watches each finished attempt (`read_after_attempt`) and, when the response
//! was a throttle or a 5xx that the SDK will retry, tells the user.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::NoticeSink;

/// Reports throttled and failed attempts to a [`NoticeSink`].
#[derive(Clone)]
pub struct RetryNotice {
    sink: Option<NoticeSink>,
}

impl std::fmt::Debug for RetryNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryNotice")
    }
}

impl RetryNotice {
    pub fn new(sink: Option<NoticeSink>) -> Self {
        RetryNotice { sink }
    }
}

/// Reads a response into "throttled" / "server error" / nothing. A 5xx
/// with an HTML page is a partial emulator saying it lacks the operation
/// (moto, LocalStack): no notice, the final error says so once.
fn describe(status: u16, body: Option<&[u8]>) -> Option<&'static str> {
    let text = body.map(String::from_utf8_lossy).unwrap_or_default();
    let head = text
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return None;
    }
    if status == 429
        || ((status == 400 || status == 503)
            && (text.contains("Throttl")
                || text.contains("RequestLimitExceeded")
                || text.contains("TooManyRequests")))
    {
        Some("throttled")
    } else if (500..600).contains(&status) {
        Some("server error")
    } else {
        None
    }
}

impl Intercept for RetryNotice {
    fn name(&self) -> &'static str {
        "ssmdeck-retry-notice"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(sink) = &self.sink else {
            return Ok(());
        };
        let Some(response) = context.response() else {
            return Ok(());
        };
        let status = response.status().as_u16();
        if let Some(what) = describe(status, response.body().bytes()) {
            let op = cfg
                .load::<Metadata>()
                .map(|m| m.name().to_owned())
                .unwrap_or_else(|| "a call".into());
            sink(format!(
                "{op}: {what} (HTTP {status}), retrying with backoff"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn classifies_attempts() {
        assert_eq!(
            describe(400, Some(br#"{"__type":"ThrottlingException"}"#)),
            Some("throttled")
        );
        assert_eq!(
            describe(503, Some(b"<Code>RequestLimitExceeded</Code>")),
            Some("throttled")
        );
        assert_eq!(describe(500, None), Some("server error"));
        assert_eq!(describe(400, Some(b"ValidationException")), None);
        assert_eq!(describe(200, None), None);
        assert_eq!(
            describe(500, Some(b"<!doctype html><title>500</title>")),
            None,
            "an emulator lacking the operation is no passing fault"
        );
    }
}
