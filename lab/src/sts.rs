//! STS actions (query protocol, XML responses, API version 2011-06-15):
//! GetCallerIdentity per account and AssumeRole issuing temporary keys.

use std::sync::Mutex;

use axum::response::Response;
use rand::Rng;

use crate::protocol::{
    LabRequest, Service, error_response, iso8601, request_id, unknown_action, xml_escape,
    xml_response,
};

/// Temporary keys issued by AssumeRole (`ASIA…` with a session token).
pub(crate) struct RoleSession {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    /// Secret: never logged.
    pub(crate) session_token: String,
    pub(crate) account: String,
    /// `arn:aws:sts::ACCT:assumed-role/NAME/SESSION`.
    pub(crate) arn: String,
    /// `AROA…:SESSION`.
    pub(crate) role_id: String,
    /// Epoch seconds.
    pub(crate) expires: i64,
}

/// Every role session the lab issued.
#[derive(Default)]
pub(crate) struct RoleSessions {
    pub(crate) sessions: Mutex<Vec<RoleSession>>,
}

/// Who signed a request: the ARN and user id GetCallerIdentity reports.
pub(crate) struct Caller {
    pub(crate) arn: String,
    pub(crate) user_id: String,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn random_text(alphabet: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

fn validation_error(message: &str) -> Response {
    error_response(Service::Sts, 400, "ValidationError", message)
}

/// STS `AssumeRole`: `RoleArn` of a role in one of `accounts` (else
/// `AccessDenied`, 403, as STS words it), `RoleSessionName` (2 … 64 of
/// `[\w+=,.@-]`), `DurationSeconds` 900 … 43,200 (default 3,600; else
/// `ValidationError`). Answers `Credentials` (AccessKeyId `ASIA…`,
/// SecretAccessKey, SessionToken, Expiration) and `AssumedRoleUser`.
pub(crate) fn assume_role(
    roles: &RoleSessions,
    accounts: &[String],
    caller: &Caller,
    req: &LabRequest,
) -> Response {
    let role_arn = req.param("RoleArn").unwrap_or("");
    let session = req.param("RoleSessionName").unwrap_or("");
    if session.len() < 2
        || session.len() > 64
        || !session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return validation_error(&format!(
            "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        ));
    }
    let duration = match req.param("DurationSeconds").map(str::parse::<i64>) {
        None => 3_600,
        Some(Ok(d @ 900..=43_200)) => d,
        Some(_) => {
            return validation_error(&format!(
                "1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
                req.param("DurationSeconds").unwrap_or("")
            ));
        }
    };
    let parsed = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":role/"))
        .filter(|(acct, name)| acct.len() == 12 && !name.is_empty());
    let Some((account, name)) = parsed.filter(|(a, _)| accounts.iter().any(|x| x == a)) else {
        return error_response(
            Service::Sts,
            403,
            "AccessDenied",
            &format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            ),
        );
    };
    let name = name.rsplit('/').next().unwrap_or(name);
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let s = RoleSession {
        access_key_id: format!("ASIALAB{}", random_text(UPPER, 13)),
        secret_access_key: random_text(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        ),
        session_token: format!(
            "IQoJb3JpZ2luX2VjE{}",
            random_text(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                300
            )
        ),
        account: account.to_owned(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
        role_id: format!("AROALAB{}:{session}", random_text(UPPER, 14)),
        expires: now() + duration,
    };
    let xml = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>\
<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
<SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
</AssumeRoleResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></AssumeRoleResponse>",
        xml_escape(&s.role_id),
        xml_escape(&s.arn),
        s.access_key_id,
        s.secret_access_key,
        s.session_token,
        iso8601(s.expires),
        request_id()
    );
    roles.sessions.lock().expect("roles lock").push(s);
    xml_response(xml)
}

/// STS actions other than AssumeRole, for `caller` in `account`.
pub fn dispatch(account: &str, caller: &Caller, req: &LabRequest) -> Response {
    match req.action.as_str() {
        "GetCallerIdentity" => xml_response(format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetCallerIdentityResult><Arn>{}</Arn>\
<UserId>{}</UserId><Account>{account}</Account></GetCallerIdentityResult>\
<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            xml_escape(&caller.arn),
            xml_escape(&caller.user_id),
            request_id()
        )),
        other => unknown_action(Service::Sts, other),
    }
}
