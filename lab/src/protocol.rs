//! Request parsing and response shapes for the JSON 1.1 and query protocols.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// A service the lab recognises from the SigV4 credential scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ssm,
    Ec2,
    Sts,
    Logs,
    /// AWS Organizations (JSON 1.1, `AWSOrganizationsV20161128.<Action>`).
    Organizations,
    /// Amazon S3 (REST-XML, path-style; see [`crate::s3`]).
    S3,
    /// IAM (query protocol; `ListAccountAliases`, see [`crate::iam`]).
    Iam,
    Other,
}

impl Service {
    pub fn from_scope(name: &str) -> Self {
        match name {
            "ssm" => Service::Ssm,
            "ec2" => Service::Ec2,
            "sts" => Service::Sts,
            "logs" => Service::Logs,
            "organizations" => Service::Organizations,
            "s3" => Service::S3,
            "iam" => Service::Iam,
            _ => Service::Other,
        }
    }

    pub fn scope_name(self) -> &'static str {
        match self {
            Service::Ssm => "ssm",
            Service::Ec2 => "ec2",
            Service::Sts => "sts",
            Service::Logs => "logs",
            Service::Organizations => "organizations",
            Service::S3 => "s3",
            Service::Iam => "iam",
            Service::Other => "other",
        }
    }

    fn is_json(self) -> bool {
        matches!(
            self,
            Service::Ssm | Service::Logs | Service::Organizations | Service::Other
        )
    }

    fn target_prefix(self) -> &'static str {
        match self {
            Service::Logs => "Logs_20140328.",
            Service::Organizations => "AWSOrganizationsV20161128.",
            _ => "AmazonSSM.",
        }
    }
}

/// A parsed request: the action and its parameters.
pub struct LabRequest {
    pub action: String,
    /// JSON body for JSON-protocol services.
    pub json: Value,
    /// Form parameters for query-protocol services, in order.
    pub form: Vec<(String, String)>,
}

impl LabRequest {
    /// Parses a request of `service`. Query-protocol parameters (EC2, STS)
    /// may come in the URL `query` string, in a form body, or both (GET, or
    /// POST with an empty body, as AWS accepts them); the query string's
    /// come first.
    pub fn parse(
        service: Service,
        target: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Self, Box<Response>> {
        if service.is_json() {
            let action = target
                .and_then(|t| t.strip_prefix(service.target_prefix()))
                .ok_or_else(|| {
                    Box::new(error_response(
                        service,
                        400,
                        "UnknownOperationException",
                        &format!("X-Amz-Target must be {}<Action>", service.target_prefix()),
                    ))
                })?
                .to_owned();
            let json = if body.is_empty() {
                Value::Object(Default::default())
            } else {
                serde_json::from_slice(body).map_err(|e| {
                    Box::new(error_response(
                        service,
                        400,
                        "SerializationException",
                        &format!("request body is not JSON: {e}"),
                    ))
                })?
            };
            Ok(LabRequest {
                action,
                json,
                form: Vec::new(),
            })
        } else {
            let form: Vec<(String, String)> =
                form_urlencoded::parse(query.unwrap_or("").as_bytes())
                    .into_owned()
                    .chain(form_urlencoded::parse(body).into_owned())
                    .collect();
            let action = form
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    Box::new(error_response(
                        service,
                        400,
                        "MissingAction",
                        "the Action parameter is missing",
                    ))
                })?;
            Ok(LabRequest {
                action,
                json: Value::Null,
                form,
            })
        }
    }

    /// The first form value of `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Escapes text for XML element content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

pub fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("0000lab0-0000-4000-8000-{n:012x}")
}

pub fn json_response(value: &Value) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id())
        .body(Body::from(value.to_string()))
        .expect("static response parts")
}

pub fn xml_response(xml: String) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/xml;charset=UTF-8")
        .body(Body::from(xml))
        .expect("static response parts")
}

/// An AWS-shaped error in the service's protocol.
pub fn error_response(service: Service, status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let rid = request_id();
    let (content_type, body) = match service {
        Service::Ssm | Service::Logs | Service::Organizations | Service::Other => (
            "application/x-amz-json-1.1",
            serde_json::json!({"__type": code, "message": message}).to_string(),
        ),
        Service::Ec2 => (
            "text/xml;charset=UTF-8",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>",
                xml_escape(code),
                xml_escape(message)
            ),
        ),
        Service::S3 => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{rid}</RequestId><HostId>lab</HostId></Error>",
                xml_escape(code),
                xml_escape(message)
            ),
        ),
        Service::Sts | Service::Iam => (
            "text/xml;charset=UTF-8",
            format!(
                "<ErrorResponse xmlns=\"{}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>",
                if service == Service::Iam {
                    "https://iam.amazonaws.com/doc/2010-05-08/"
                } else {
                    "https://sts.amazonaws.com/doc/2011-06-15/"
                },
                if status.is_server_error() {
                    "Receiver"
                } else {
                    "Sender"
                },
                xml_escape(code),
                xml_escape(message)
            ),
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header("x-amzn-requestid", rid)
        .body(Body::from(body))
        .expect("static response parts")
}

/// The answer to a request signed for a service the lab does not serve
/// (credential scope `scope`): HTTP 400 `UnknownOperationException`, the
/// code AWS endpoints give an operation they do not know, with a message
/// that names the service. JSON when the request is a JSON-protocol call
/// (it carries `X-Amz-Target`), else the query protocol's XML
/// `ErrorResponse`; the SDKs of either protocol read the code and message.
pub fn unknown_service(scope: &str, json: bool) -> Response {
    let message = format!(
        "The service {scope} is not available at this endpoint; the lab serves ssm, ec2, sts, logs, organizations, iam (account aliases) and s3 (Run Command output)."
    );
    if json {
        return error_response(Service::Other, 400, "UnknownOperationException", &message);
    }
    let rid = request_id();
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header(header::CONTENT_TYPE, "text/xml;charset=UTF-8")
        .header("x-amzn-requestid", rid.clone())
        .body(Body::from(format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>UnknownOperationException</Code><Message>{}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>",
            xml_escape(&message)
        )))
        .expect("static response parts")
}

pub fn validation(service: Service, message: &str) -> Response {
    let code = match service {
        Service::Ssm | Service::Logs | Service::Organizations | Service::Other => {
            "ValidationException"
        }
        Service::Ec2 | Service::Sts | Service::Iam => "InvalidParameterValue",
        Service::S3 => "InvalidArgument",
    };
    error_response(service, 400, code, message)
}

pub fn unknown_action(service: Service, action: &str) -> Response {
    match service {
        Service::Ssm | Service::Logs | Service::Organizations | Service::Other => error_response(
            service,
            400,
            "UnknownOperationException",
            &format!("the lab does not implement {action}"),
        ),
        Service::S3 => error_response(
            service,
            501,
            "NotImplemented",
            &format!("the lab's S3 does not implement {action}"),
        ),
        Service::Ec2 | Service::Sts | Service::Iam => error_response(
            service,
            400,
            "InvalidAction",
            &format!("The action {action} is not valid for this web service."),
        ),
    }
}

pub fn throttled(service: Service) -> Response {
    match service {
        Service::Ssm | Service::Logs | Service::Other => {
            error_response(service, 400, "ThrottlingException", "Rate exceeded")
        }
        // The code the Organizations model lists for every operation.
        Service::Organizations => error_response(
            service,
            400,
            "TooManyRequestsException",
            "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.",
        ),
        Service::Ec2 => error_response(
            service,
            503,
            "RequestLimitExceeded",
            "Request limit exceeded.",
        ),
        Service::Sts | Service::Iam => error_response(service, 400, "Throttling", "Rate exceeded"),
        Service::S3 => error_response(service, 503, "SlowDown", "Please reduce your request rate."),
    }
}

pub fn server_error(service: Service) -> Response {
    match service {
        Service::Ssm | Service::Logs | Service::Other => error_response(
            service,
            500,
            "InternalServerError",
            "An internal error occurred (injected by the lab)",
        ),
        // The code the Organizations model lists for every operation.
        Service::Organizations => error_response(
            service,
            500,
            "ServiceException",
            "AWS Organizations can't complete your request because of an internal service error (injected by the lab).",
        ),
        Service::Ec2 => error_response(
            service,
            500,
            "InternalError",
            "An internal error has occurred (injected by the lab)",
        ),
        Service::Sts => error_response(
            service,
            500,
            "InternalFailure",
            "An internal error occurred (injected by the lab)",
        ),
        Service::S3 => error_response(
            service,
            500,
            "InternalError",
            "We encountered an internal error. Please try again. (injected by the lab)",
        ),
        // The code IAM's model lists (ServiceFailureException).
        Service::Iam => error_response(
            service,
            500,
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure (injected by the lab).",
        ),
    }
}

/// Access denied by the fault knob, for the caller `who` (an IAM ARN).
pub fn access_denied(service: Service, action: &str, who: &str) -> Response {
    match service {
        Service::Ssm | Service::Logs | Service::Organizations | Service::Other => error_response(
            service,
            400,
            "AccessDeniedException",
            &format!(
                "User: {who} is not authorized to perform: {0}:{action} because no identity-based policy allows the {0}:{action} action",
                service.scope_name()
            ),
        ),
        Service::Ec2 => error_response(
            service,
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        Service::Sts | Service::Iam | Service::S3 => error_response(
            service,
            403,
            "AccessDenied",
            &format!(
                "User: {who} is not authorized to perform: {}:{action}",
                service.scope_name()
            ),
        ),
    }
}

/// The answer to a call signed for a region the lab's grid does not have:
/// what AWS answers in a Region that is not enabled for the account (an
/// opt-in Region: the account's credentials are not valid there). JSON
/// services (SSM, Logs) `UnrecognizedClientException` (HTTP 403, "The
/// security token included in the request is invalid."), EC2 `AuthFailure`
/// (401), STS `InvalidClientTokenId` (403); source: AWS Account Management
/// guide, "Enable or disable AWS Regions", and the services' common errors.
pub fn region_not_enabled(service: Service) -> Response {
    const INVALID: &str = "The security token included in the request is invalid.";
    match service {
        Service::Ec2 => error_response(
            service,
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        ),
        Service::Sts | Service::Iam => {
            error_response(service, 403, "InvalidClientTokenId", INVALID)
        }
        Service::S3 => error_response(
            service,
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        _ => error_response(service, 403, "UnrecognizedClientException", INVALID),
    }
}

/// The answer to a call signed with temporary keys past their expiration:
/// SSM and Logs `ExpiredTokenException` (HTTP 403, a common error), STS `ExpiredToken`
/// (400), EC2 `RequestExpired` (400), each "The security token included in
/// the request is expired" as AWS words it.
pub fn expired_token(service: Service) -> Response {
    const EXPIRED: &str = "The security token included in the request is expired";
    match service {
        Service::Ec2 => error_response(service, 400, "RequestExpired", "Request has expired."),
        Service::Sts | Service::Iam | Service::S3 => {
            error_response(service, 400, "ExpiredToken", EXPIRED)
        }
        _ => error_response(service, 403, "ExpiredTokenException", EXPIRED),
    }
}

/// What a partial emulator answers for an operation it lacks: HTTP 500 with
/// an HTML body (moto's and LocalStack's behaviour for DescribeInstanceInformation).
pub fn unsupported_response(action: &str) -> Response {
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(format!(
            "<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1><p>The method {action} has not been implemented</p>"
        )))
        .expect("static response parts")
}

/// Formats epoch seconds as ISO-8601 UTC with milliseconds
/// (`2026-01-02T03:04:05.000Z`), as EC2 writes dates.
pub fn iso8601(epoch_s: i64) -> String {
    iso8601_ms(epoch_s as f64)
}

/// Like [`iso8601`], for fractional seconds.
pub fn iso8601_ms(epoch_s: f64) -> String {
    let whole = epoch_s.floor();
    let ms = ((epoch_s - whole) * 1_000.0).round().min(999.0) as u32;
    let base = aws_smithy_types::DateTime::from_secs(whole as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    format!("{}.{ms:03}Z", base.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_793_491_200), "2026-11-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601_ms(1_793_491_200.25), "2026-11-01T00:00:00.250Z");
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(xml_escape("a<b&'c\""), "a&lt;b&amp;&apos;c&quot;");
    }
}
