//! SigV4 verification of incoming requests with the lab's own key pair.
//!
//! Follows the AWS Signature Version 4 header form
//! (`Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
//! SignedHeaders=a;b, Signature=hex`). The expected signature is recomputed with
//! the `aws-sigv4` crate over exactly the headers the client says it signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use http::HeaderMap;

/// The parts of a SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id.
    pub access_key: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    /// Region of the credential scope.
    pub region: String,
    /// Service of the credential scope (`ssm`, `ec2`, `sts`, `logs`).
    pub service: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Why a request was refused; each maps to the AWS error code AWS gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header: AWS answers `MissingAuthenticationToken`.
    #[error("Request is missing Authentication Token")]
    Missing,
    /// Malformed header (AWS: `IncompleteSignature`).
    #[error("Authorization header is malformed: {0}")]
    Malformed(String),
    /// Unknown access key: `UnrecognizedClientException`.
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// Signature mismatch: `SignatureDoesNotMatch`.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
    )]
    Mismatch,
    /// X-Amz-Date more than 5 minutes before the lab's clock (AWS: "Signature expired").
    #[error("Signature expired: {signed} is now earlier than {earliest} ({now} - 5 min.)")]
    Expired {
        /// The request's X-Amz-Date.
        signed: String,
        /// The oldest date accepted now.
        earliest: String,
        /// The lab's clock.
        now: String,
    },
    /// X-Amz-Date more than 5 minutes after the lab's clock.
    #[error("Signature not yet current: {signed} is still later than {latest} ({now} + 5 min.)")]
    NotYetCurrent {
        /// The request's X-Amz-Date.
        signed: String,
        /// The latest date accepted now.
        latest: String,
        /// The lab's clock.
        now: String,
    },
}

/// How far a request's X-Amz-Date may be from the lab's clock (AWS: 5 minutes).
pub const MAX_CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(300);

impl AuthError {
    /// The AWS error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationToken",
            AuthError::Malformed(_) => "IncompleteSignature",
            AuthError::UnknownKey => "UnrecognizedClientException",
            AuthError::Mismatch => "SignatureDoesNotMatch",
            AuthError::Expired { .. } | AuthError::NotYetCurrent { .. } => {
                "InvalidSignatureException"
            }
        }
    }

    /// Whether the refusal is a signature too far from the lab's clock.
    pub fn is_clock_skew(&self) -> bool {
        matches!(
            self,
            AuthError::Expired { .. } | AuthError::NotYetCurrent { .. }
        )
    }
}

/// Formats a time as X-Amz-Date (`YYYYMMDDTHHMMSSZ`).
fn fmt_amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
        .replace(['-', ':'], "")
}

/// Refuses `signed` when it is more than [`MAX_CLOCK_SKEW`] off `now`.
fn check_clock(amz_date: &str, signed: SystemTime, now: SystemTime) -> Result<(), AuthError> {
    if signed + MAX_CLOCK_SKEW < now {
        return Err(AuthError::Expired {
            signed: amz_date.to_owned(),
            earliest: fmt_amz_date(now - MAX_CLOCK_SKEW),
            now: fmt_amz_date(now),
        });
    }
    if signed > now + MAX_CLOCK_SKEW {
        return Err(AuthError::NotYetCurrent {
            signed: amz_date.to_owned(),
            latest: fmt_amz_date(now + MAX_CLOCK_SKEW),
            now: fmt_amz_date(now),
        });
    }
    Ok(())
}

/// Parses an `Authorization` header value.
///
/// # Errors
/// [`AuthError::Malformed`] when a part is missing or the algorithm is not
/// `AWS4-HMAC-SHA256`.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| AuthError::Malformed("algorithm must be AWS4-HMAC-SHA256".into()))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential.ok_or_else(|| AuthError::Malformed("no Credential".into()))?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(AuthError::Malformed(format!(
            "credential scope '{credential}' is not KEY/DATE/REGION/SERVICE/aws4_request"
        )));
    }
    Ok(Authorization {
        access_key: scope[0].into(),
        date: scope[1].into(),
        region: scope[2].into(),
        service: scope[3].into(),
        signed_headers: signed
            .ok_or_else(|| AuthError::Malformed("no SignedHeaders".into()))?
            .split(';')
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        signature: signature
            .ok_or_else(|| AuthError::Malformed("no Signature".into()))?
            .into(),
    })
}

/// Parses `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) into a time.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3_600 + mm * 60 + ss;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Verifies a request's SigV4 signature against the lab's key pair.
///
/// `uri` is the path and query as received; `body` the full request body.
///
/// # Errors
/// The [`AuthError`] that AWS would report.
pub fn verify(
    method: &str,
    uri: &str,
    headers: &HeaderMap,
    body: &[u8],
    access_key: &str,
    secret_key: &str,
) -> Result<Authorization, AuthError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Malformed("not ASCII".into()))?;
    let auth = parse_authorization(header)?;
    if auth.access_key != access_key {
        return Err(AuthError::UnknownKey);
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AuthError::Malformed("no X-Amz-Date header".into()))?;
    let time = parse_amz_date(amz_date)
        .ok_or_else(|| AuthError::Malformed(format!("bad X-Amz-Date '{amz_date}'")))?;
    // The signer adds x-amz-date itself; pass every other signed header as sent.
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        if name == "x-amz-date" {
            continue;
        }
        for value in headers.get_all(name.as_str()) {
            let value = value
                .to_str()
                .map_err(|_| AuthError::Malformed(format!("header {name} is not ASCII")))?;
            signed.push((name.as_str(), value));
        }
    }
    let identity = Credentials::new(access_key, secret_key, None, None, "ssmdeck-lab").into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    // S3 signs its path as sent (one encoding, no normalisation) and names
    // the payload's hash in x-amz-content-sha256 (a signed header).
    let mut signable = SignableBody::Bytes(body);
    if auth.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if headers
            .get("x-amz-content-sha256")
            .is_some_and(|v| v == "UNSIGNED-PAYLOAD")
        {
            signable = SignableBody::UnsignedPayload;
        }
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AuthError::Malformed(e.to_string()))?
        .into();
    let request = SignableRequest::new(method, uri, signed.into_iter(), signable)
        .map_err(|e| AuthError::Malformed(e.to_string()))?;
    let output = sign(request, &params).map_err(|e| AuthError::Malformed(e.to_string()))?;
    if output.signature() != auth.signature {
        return Err(AuthError::Mismatch);
    }
    // A genuine signature too old (or too new) is refused: a captured
    // request cannot be replayed later.
    check_clock(amz_date, time, SystemTime::now())?;
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header() {
        let a = parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc").unwrap();
        assert_eq!(a.service, "ssm");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.signed_headers, vec!["content-type", "host", "x-amz-date"]);
        assert_eq!(
            parse_authorization("Bearer x").unwrap_err().code(),
            "IncompleteSignature"
        );
    }

    #[test]
    fn clock_skew_of_more_than_five_minutes_is_refused() {
        let now = parse_amz_date("20261121T233610Z").unwrap();
        let at = |s: &str| check_clock(s, parse_amz_date(s).unwrap(), now);
        assert!(at("20261121T233110Z").is_ok(), "exactly 5 minutes");
        assert!(at("20261121T234110Z").is_ok());
        let e = at("20261121T231610Z").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Signature expired: 20261121T231610Z is now earlier than 20261121T233110Z (20261121T233610Z - 5 min.)"
        );
        assert!(e.is_clock_skew());
        let e = at("20261121T234111Z").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "Signature not yet current: 20261121T234111Z is still later than 20261121T234110Z"
            ),
            "{e}"
        );
    }

    #[test]
    fn amz_date() {
        let t = parse_amz_date("20261121T233610Z").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_795_304_170);
        assert!(parse_amz_date("2026-11-21").is_none());
    }
}
