//! AWS Organizations (JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.<Action>`,
//! signing name `organizations`, region us-east-1): the lab's accounts as
//! one organization whose management account is the lab's first.

use axum::response::Response;
use serde_json::{Value, json};

use crate::protocol::{LabRequest, Service, error_response, json_response, unknown_action};

const ORG: &str = "o-lab0000001";
/// When every account joined (epoch seconds, 2024-01-01).
const JOINED: f64 = 1_704_067_200.0;

/// The account name of the `k`-th account (`management`, `prod-a`, …).
pub(crate) fn name(k: usize) -> String {
    const NAMES: [&str; 6] = [
        "management",
        "prod-a",
        "prod-b",
        "staging",
        "dev",
        "sandbox",
    ];
    NAMES
        .get(k)
        .map_or_else(|| format!("team-{k:02}"), |n| (*n).to_owned())
}

/// One `Account` shape of the model (Id, Arn, Email, Name, Status, State,
/// JoinedMethod, JoinedTimestamp).
fn account_json(accounts: &[String], k: usize) -> Value {
    let mgmt = &accounts[0];
    let id = &accounts[k];
    json!({
        "Id": id,
        "Arn": format!("arn:aws:organizations::{mgmt}:account/{ORG}/{id}"),
        "Email": format!("aws+{}@lab.example.com", name(k)),
        "Name": name(k),
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": if k == 0 { "CREATED" } else { "INVITED" },
        "JoinedTimestamp": JOINED + k as f64 * 86_400.0,
    })
}

fn invalid_input(message: &str) -> Response {
    error_response(
        Service::Organizations,
        400,
        "InvalidInputException",
        message,
    )
}

/// Answers an Organizations call from `caller` (an account of the lab).
/// Only the management account (the first) may call: the others get
/// `AccessDeniedException`, as for a member account without delegation.
/// ListAccounts pages with MaxResults 1 … 20 (else `InvalidInputException`)
/// and NextToken; ListDelegatedAdministrators names the second account (if
/// any) as delegated administrator of `ssm.amazonaws.com`.
pub(crate) fn dispatch(accounts: &[String], caller: &str, req: &LabRequest) -> Response {
    let known = matches!(
        req.action.as_str(),
        "ListAccounts" | "DescribeOrganization" | "ListDelegatedAdministrators"
    );
    if !known {
        return unknown_action(Service::Organizations, &req.action);
    }
    if caller != accounts[0] {
        return error_response(
            Service::Organizations,
            400,
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        );
    }
    let mgmt = &accounts[0];
    match req.action.as_str() {
        "DescribeOrganization" => json_response(&json!({"Organization": {
            "Id": ORG,
            "Arn": format!("arn:aws:organizations::{mgmt}:organization/{ORG}"),
            "FeatureSet": "ALL",
            "MasterAccountArn": format!("arn:aws:organizations::{mgmt}:account/{ORG}/{mgmt}"),
            "MasterAccountId": mgmt,
            "MasterAccountEmail": format!("aws+{}@lab.example.com", name(0)),
            "AvailablePolicyTypes": [],
        }})),
        "ListAccounts" => list_accounts(accounts, &req.json),
        _ => {
            let principal = req.json.get("ServicePrincipal").and_then(Value::as_str);
            let list: Vec<Value> =
                if accounts.len() > 1 && principal.is_none_or(|p| p == "ssm.amazonaws.com") {
                    let mut a = account_json(accounts, 1);
                    a["DelegationEnabledDate"] = json!(JOINED + 2.0 * 86_400.0);
                    vec![a]
                } else {
                    Vec::new()
                };
            json_response(&json!({"DelegatedAdministrators": list}))
        }
    }
}

fn list_accounts(accounts: &[String], body: &Value) -> Response {
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 20,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=20) => n as usize,
            _ => {
                return invalid_input(&format!(
                    "You provided a value that does not match the required pattern: MaxResults {v} must be between 1 and 20."
                ));
            }
        },
    };
    let mut all: Vec<usize> = (0..accounts.len()).collect();
    all.sort_by(|a, b| accounts[*a].cmp(&accounts[*b]));
    let token = body.get("NextToken").and_then(Value::as_str);
    let Ok((page, next)) = crate::paging::page_by(all, |k| accounts[*k].clone(), token, max) else {
        return invalid_input("The provided NextToken is not valid.");
    };
    let list: Vec<Value> = page
        .into_iter()
        .map(|k| account_json(accounts, k))
        .collect();
    let mut out = json!({"Accounts": list});
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    json_response(&out)
}
