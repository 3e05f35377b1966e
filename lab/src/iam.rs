//! IAM (query protocol, XML responses, API version 2010-05-08, signing
//! name `iam`, region us-east-1): `ListAccountAliases`, each lab account's
//! one alias (`acme-<its Organizations name>`: `acme-management`,
//! `acme-prod-a`, …), so a console can name an account that is not read
//! through Organizations.

use axum::response::Response;

use crate::protocol::{
    LabRequest, Service, error_response, request_id, unknown_action, xml_escape, xml_response,
};

/// The alias of `account` among the lab's `accounts` (AWS allows one per
/// account; pattern `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`), or none
/// for an account the lab does not know.
pub(crate) fn alias_of(accounts: &[String], account: &str) -> Option<String> {
    let k = accounts.iter().position(|a| a == account)?;
    Some(format!("acme-{}", crate::organizations::name(k)))
}

/// IAM actions for a caller in `account`: `ListAccountAliases` (`MaxItems`
/// 1 … 1,000, else `ValidationError`; the one alias fits any page, so
/// `IsTruncated` is false and a `Marker` is never needed); any other action
/// `InvalidAction`.
pub(crate) fn dispatch(accounts: &[String], account: &str, req: &LabRequest) -> Response {
    match req.action.as_str() {
        "ListAccountAliases" => {
            if let Some(max) = req.param("MaxItems")
                && !max.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n))
            {
                return error_response(
                    Service::Iam,
                    400,
                    "ValidationError",
                    &format!(
                        "1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
                    ),
                );
            }
            let members: String = alias_of(accounts, account)
                .map(|a| format!("<member>{}</member>", xml_escape(&a)))
                .unwrap_or_default();
            xml_response(format!(
                "<ListAccountAliasesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
<ListAccountAliasesResult><IsTruncated>false</IsTruncated>\
<AccountAliases>{members}</AccountAliases></ListAccountAliasesResult>\
<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></ListAccountAliasesResponse>",
                request_id()
            ))
        }
        other => unknown_action(Service::Iam, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_has_one_alias_in_the_pattern_aws_allows() {
        let accounts: Vec<String> = crate::tenancy::synthetic_accounts(8);
        let mut seen = std::collections::HashSet::new();
        for a in &accounts {
            let alias = alias_of(&accounts, a).unwrap();
            assert!(alias.len() >= 3 && alias.len() <= 63, "{alias}");
            assert!(
                alias
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{alias}"
            );
            assert!(!alias.contains("--") && !alias.ends_with('-'), "{alias}");
            assert!(seen.insert(alias));
        }
        assert_eq!(alias_of(&accounts, "999999999999"), None);
    }
}
