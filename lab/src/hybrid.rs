//! Hybrid activations and the registration of `mi-` nodes: SSM
//! `CreateActivation`, `DescribeActivations`, `DeleteActivation` and
//! `DeregisterManagedInstance`.
//!
//! Every tenant starts with activations its hybrid nodes registered
//! through: one (or, beyond 1,000 nodes, more) expired activation of
//! about three months ago, 30 days long, and one live activation of 12
//! days ago that expires in 18 days. A node's `RegistrationDate` lies in
//! its activation's window and before its last ping (the fleet's
//! registration times are moved there when the tenant is built), and each
//! activation's `RegistrationsCount` is the number of nodes registered
//! through it. Deleting an activation leaves its nodes registered, as AWS
//! does; deregistering a node removes it from the fleet (it no longer
//! appears in DescribeInstanceInformation, and Run Command, Session
//! Manager and the inventory no longer know it).
//!
//! An `ActivationCode` is a secret: it is drawn from the operating
//! system's generator, returned once by CreateActivation, never stored,
//! never logged.
//!
//! Departures, on purpose: `RegistrationsCount` is left out while it is
//! 0 (the model's `RegistrationsCount` has a minimum of 1); a request
//! naming an `i-` node in DeregisterManagedInstance fails the model's
//! `ManagedInstanceId` pattern (`ValidationException`), a well-formed
//! `mi-` id the tenant does not have is `InvalidInstanceId`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand::Rng;
use serde_json::{Value, json};

use crate::LabState;
use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};
use crate::patch::mix;
use crate::validate;

const DAY: i64 = 86_400;
/// The longest an activation may run (CreateActivation's ExpirationDate).
const MAX_LIFETIME_S: f64 = 30.0 * 86_400.0;

/// One activation.
#[derive(Debug, Clone)]
pub(crate) struct Activation {
    pub id: String,
    pub description: String,
    pub default_instance_name: String,
    pub iam_role: String,
    pub limit: u32,
    pub registrations: u32,
    /// Epoch seconds.
    pub expiration: f64,
    /// Epoch seconds.
    pub created: f64,
    pub tags: Vec<(String, String)>,
}

/// A tenant's activations and which activation each hybrid node came by.
#[derive(Debug, Default)]
pub(crate) struct ActivationStore {
    activations: Vec<Activation>,
    /// Ids deleted (DeleteActivation of one again is `InvalidActivation`).
    deleted: BTreeSet<String>,
    /// Node id → the activation it registered with.
    registered: BTreeMap<String, String>,
}

/// A UUID made from `parts` (the model's ActivationId pattern).
fn stable_uuid(parts: &[&str]) -> String {
    let a = crate::paging::fingerprint(parts.iter().map(|p| p.as_bytes()));
    let b = mix(&format!("{a:x}"), 0x00ac_7a7e);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

impl ActivationStore {
    /// Seeds the activations of a tenant (`salt`: its account and region)
    /// whose hybrid nodes are in `nodes`, as of `now` (epoch seconds), and
    /// moves each hybrid node's registration time (`launch_epoch_s`) into
    /// its activation's window (see the module documentation).
    pub(crate) fn seed(nodes: &mut [LabNode], now: i64, salt: &str) -> ActivationStore {
        let live_created = now - 12 * DAY;
        let mut live: Vec<usize> = Vec::new();
        let mut old: Vec<usize> = Vec::new();
        for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.is_hybrid()) {
            let fits_live = n.last_ping_epoch_s as i64 > live_created + DAY;
            if fits_live && mix(&n.id, 0xac71).is_multiple_of(3) && live.len() < 1_000 {
                live.push(i);
            } else {
                old.push(i);
            }
        }
        let mut store = ActivationStore::default();
        let mut make =
            |k: usize, created: i64, members: &[usize], expired: bool, nodes: &mut [LabNode]| {
                let id = stable_uuid(&[salt, "activation", &k.to_string()]);
                let expiration = created + 30 * DAY;
                for &i in members {
                    let n = &mut nodes[i];
                    let end = (n.last_ping_epoch_s as i64).min(expiration).min(now);
                    let span = (end - created - 7_200).max(1) as u64;
                    n.launch_epoch_s = created + 3_600 + (mix(&n.id, 0x4e6) % span) as i64;
                    store.registered.insert(n.id.clone(), id.clone());
                }
                let count = members.len() as u32;
                store.activations.push(Activation {
                    id,
                    description: if expired {
                        format!("On-premises servers, wave {} (closed)", k + 1)
                    } else {
                        "On-premises servers, current wave".to_owned()
                    },
                    default_instance_name: String::new(),
                    iam_role: "SSMServiceRole".to_owned(),
                    limit: if expired {
                        count.max(1).div_ceil(10) * 10
                    } else {
                        (count + 50).min(1_000)
                    }
                    .min(1_000),
                    registrations: count,
                    expiration: expiration as f64,
                    created: created as f64,
                    tags: vec![("Site".to_owned(), "dc-east".to_owned())],
                });
            };
        let chunks: Vec<&[usize]> = if old.is_empty() {
            vec![&[]]
        } else {
            old.chunks(1_000).collect()
        };
        for (k, chunk) in chunks.iter().enumerate() {
            make(k, now - 95 * DAY - 31 * DAY * k as i64, chunk, true, nodes);
        }
        make(chunks.len(), live_created, &live, false, nodes);
        store
    }

    /// The activation node `id` registered with.
    pub(crate) fn activation_of(&self, node: &str) -> Option<&str> {
        self.registered.get(node).map(String::as_str)
    }

    /// Forgets node `id` (deregistered).
    fn forget(&mut self, node: &str) {
        self.registered.remove(node);
    }

    /// The activations, oldest first (a snapshot for tests).
    #[cfg(test)]
    pub(crate) fn activations(&self) -> &[Activation] {
        &self.activations
    }
}

fn activation_json(a: &Activation, now: f64) -> Value {
    let mut v = json!({
        "ActivationId": a.id,
        "Description": a.description,
        "IamRole": a.iam_role,
        "RegistrationLimit": a.limit,
        "ExpirationDate": a.expiration,
        "Expired": a.expiration <= now,
        "CreatedDate": a.created,
        "Tags": a.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
    });
    if !a.default_instance_name.is_empty() {
        v["DefaultInstanceName"] = json!(a.default_instance_name);
    }
    if a.registrations > 0 {
        v["RegistrationsCount"] = json!(a.registrations);
    }
    v
}

/// A code like AWS's: 20 characters of letters, digits, `+` and `/`,
/// from the operating system's generator.
fn activation_code() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn random_uuid() -> String {
    let b: [u8; 16] = rand::rng().random();
    let a = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let c = u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (c >> 48) & 0x3fff,
        c & 0xffff_ffff_ffff
    )
}

fn null(member: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// Checks the optional members of CreateActivation (lengths, patterns,
/// tags, RegistrationMetadata).
fn check_create(body: &Value) -> Result<(), ApiError> {
    let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    validate::length("description", s("Description"), 0, 256)?;
    validate::length("defaultInstanceName", s("DefaultInstanceName"), 0, 256)?;
    validate::pattern(
        "defaultInstanceName",
        s("DefaultInstanceName"),
        validate::TAG,
    )?;
    if let Some(tags) = body.get("Tags").and_then(Value::as_array)
        && tags.len() > 1_000
    {
        return Err(validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 1000",
        ));
    }
    validate::tags("tags", body.get("Tags"))?;
    for (i, m) in body
        .get("RegistrationMetadata")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (member, max) in [("Key", 128), ("Value", 2_048)] {
            let at = format!(
                "registrationMetadata.{}.member.{}",
                i + 1,
                member.to_lowercase()
            );
            let v = m
                .get(member)
                .and_then(Value::as_str)
                .ok_or_else(|| null(&at))?;
            validate::length(&at, v, 1, max)?;
            if v.trim().is_empty() {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at '{at}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?!\\s*$).+"
                )));
            }
        }
    }
    Ok(())
}

/// SSM `CreateActivation`: `IamRole` (required, at most 64 characters),
/// `RegistrationLimit` 1 … 1000 (default 1), `ExpirationDate` (epoch
/// seconds, in the future and at most 30 days ahead; default 24 hours),
/// `Description`, `DefaultInstanceName`, `Tags`, `RegistrationMetadata`.
/// Returns `ActivationId` and the secret `ActivationCode`.
///
/// # Errors
/// `ValidationException`, `InvalidParameters` (empty role, expiration
/// out of range).
fn create(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let role = body
        .get("IamRole")
        .and_then(Value::as_str)
        .ok_or_else(|| null("iamRole"))?;
    validate::length("iamRole", role, 0, 64)?;
    if role.trim().is_empty() {
        return Err(err(
            "InvalidParameters",
            "IamRole must name the IAM service role for the managed nodes.",
        ));
    }
    let limit = match body.get("RegistrationLimit") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=1_000) => n as u32,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'registrationLimit' failed to satisfy constraint: Member must have value between 1 and 1000"
                )));
            }
        },
    };
    check_create(body)?;
    let now = crate::params::now_s();
    let expiration = match body.get("ExpirationDate").and_then(Value::as_f64) {
        None => now + 86_400.0,
        Some(t) if t > now && t <= now + MAX_LIFETIME_S + 60.0 => t,
        Some(_) => {
            return Err(err(
                "InvalidParameters",
                "ExpirationDate must be in the future and no more than 30 days from now.",
            ));
        }
    };
    let tags = body
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (s("Key"), s("Value"))
        })
        .collect();
    let a = Activation {
        id: random_uuid(),
        description: body
            .get("Description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        default_instance_name: body
            .get("DefaultInstanceName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        iam_role: role.to_owned(),
        limit,
        registrations: 0,
        expiration,
        created: now,
        tags,
    };
    let id = a.id.clone();
    state
        .activations
        .lock()
        .expect("activations lock")
        .activations
        .push(a);
    Ok(json!({"ActivationId": id, "ActivationCode": activation_code()}))
}

/// SSM `DescribeActivations`: `Filters` (`FilterKey` ActivationIds,
/// DefaultInstanceName or IamRole; `FilterValues` any of which must
/// equal), `MaxResults` 1 … 50 (default 50), `NextToken`; newest first.
///
/// # Errors
/// `ValidationException`, `InvalidFilter`, `InvalidNextToken`.
fn describe(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    const KEYS: [&str; 3] = ["ActivationIds", "DefaultInstanceName", "IamRole"];
    let mut filters: Vec<(&str, Vec<&str>)> = Vec::new();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(key) = f.get("FilterKey").and_then(Value::as_str) else {
            return Err(err(
                "InvalidFilter",
                "The filter name isn't valid: FilterKey is missing.",
            ));
        };
        if !KEYS.contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at 'filters.{}.member.filterKey' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                i + 1,
                KEYS.join(", ")
            )));
        }
        let values: Vec<&str> = f
            .get("FilterValues")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if values.is_empty() {
            return Err(err(
                "InvalidFilter",
                format!("The filter {key} has no values."),
            ));
        }
        filters.push((key, values));
    }
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 50,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=50) => n as usize,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50"
                )));
            }
        },
    };
    let now = crate::params::now_s();
    let store = state.activations.lock().expect("activations lock");
    let matching: Vec<&Activation> = store
        .activations
        .iter()
        .filter(|a| {
            filters.iter().all(|(k, vs)| {
                let field = match *k {
                    "ActivationIds" => &a.id,
                    "DefaultInstanceName" => &a.default_instance_name,
                    _ => &a.iam_role,
                };
                vs.contains(&field.as_str())
            })
        })
        .collect();
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(
        matching,
        |a| format!("{}{}", crate::paging::desc(a.created), a.id),
        token,
        max,
    )
    .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))?;
    let mut out =
        json!({"ActivationList": page.iter().map(|a| activation_json(a, now)).collect::<Vec<_>>()});
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// SSM `DeleteActivation`: `ActivationId` (required, a UUID). The nodes
/// registered with it stay registered.
///
/// # Errors
/// `ValidationException`, `InvalidActivationId` (never existed),
/// `InvalidActivation` (deleted already).
fn delete(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let id = body
        .get("ActivationId")
        .and_then(Value::as_str)
        .ok_or_else(|| null("activationId"))?;
    validate::pattern("activationId", id, validate::UUID)?;
    let mut store = state.activations.lock().expect("activations lock");
    if let Some(i) = store.activations.iter().position(|a| a.id == id) {
        store.activations.remove(i);
        store.deleted.insert(id.to_owned());
        return Ok(json!({}));
    }
    if store.deleted.contains(id) {
        return Err(err(
            "InvalidActivation",
            format!("Activation {id} isn't valid: it was deleted."),
        ));
    }
    Err(err(
        "InvalidActivationId",
        format!("Activation ID {id} isn't valid. Verify the activation ID and try again."),
    ))
}

/// The model's `ManagedInstanceId`: `mi-` and 17 hex digits (EKS
/// hybrid nodes' `eks_c:` ids are not in the lab).
fn managed_instance_id(id: &str) -> Result<(), ApiError> {
    validate::length("instanceId", id, 20, 124)?;
    let ok = id.strip_prefix("mi-").is_some_and(|h| {
        h.len() == 17 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    if ok {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{id}' at 'instanceId' failed to satisfy constraint: Member must satisfy regular expression pattern: (^mi-[0-9a-f]{{17}}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\\-_]{{0,99}}_\\w{{17}}$)"
        )))
    }
}

/// SSM `DeregisterManagedInstance`: `InstanceId` (required, an `mi-`
/// id); the node leaves the fleet.
///
/// # Errors
/// `ValidationException` (not an `mi-` id), `InvalidInstanceId` (no such node).
fn deregister(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let id = body
        .get("InstanceId")
        .and_then(Value::as_str)
        .ok_or_else(|| null("instanceId"))?;
    managed_instance_id(id)?;
    let mut nodes = state.nodes.write().expect("nodes lock");
    let Some(i) = nodes.iter().position(|n| n.id == id) else {
        return Err(err(
            "InvalidInstanceId",
            format!("Instance Id {id} is not valid or is not registered with Systems Manager."),
        ));
    };
    nodes.remove(i);
    state
        .activations
        .lock()
        .expect("activations lock")
        .forget(id);
    Ok(json!({}))
}

/// The hybrid operations: `Some` answer for the actions of this module.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "CreateActivation" => create(state, body),
        "DescribeActivations" => describe(state, body),
        "DeleteActivation" => delete(state, body),
        "DeregisterManagedInstance" => deregister(state, body),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::FleetSpec;

    #[test]
    fn seeded_activations_hold_their_nodes_in_their_windows() {
        let now = 1_800_000_000;
        for spec in [FleetSpec::demo(), FleetSpec::large()] {
            let mut nodes = spec.generate_at(now);
            let store = ActivationStore::seed(&mut nodes, now, "123456789012/us-east-1");
            let hybrid: Vec<&LabNode> = nodes.iter().filter(|n| n.is_hybrid()).collect();
            assert!(!hybrid.is_empty());
            let acts = store.activations();
            assert!(acts.len() >= 2);
            assert!(
                acts.iter().any(|a| a.expiration < now as f64),
                "one expired"
            );
            assert!(acts.iter().any(|a| a.expiration > now as f64), "one live");
            let total: u32 = acts.iter().map(|a| a.registrations).sum();
            assert_eq!(total as usize, hybrid.len());
            for a in acts {
                assert!(a.registrations <= a.limit && a.limit <= 1_000, "{a:?}");
                assert!(a.expiration - a.created <= MAX_LIFETIME_S);
                let members: Vec<&&LabNode> = hybrid
                    .iter()
                    .filter(|n| store.activation_of(&n.id) == Some(a.id.as_str()))
                    .collect();
                assert_eq!(members.len() as u32, a.registrations);
                for n in members {
                    let r = n.launch_epoch_s as f64;
                    assert!(r > a.created && r < a.expiration, "{} in {a:?}", n.id);
                    assert!(
                        r < n.last_ping_epoch_s,
                        "{} registered before it pinged",
                        n.id
                    );
                }
            }
            let again =
                ActivationStore::seed(&mut spec.generate_at(now), now, "123456789012/us-east-1");
            assert_eq!(
                again
                    .activations()
                    .iter()
                    .map(|a| &a.id)
                    .collect::<Vec<_>>(),
                acts.iter().map(|a| &a.id).collect::<Vec<_>>(),
                "deterministic"
            );
        }
    }

    #[test]
    fn codes_and_ids_have_the_model_shapes() {
        let code = activation_code();
        assert_eq!(code.len(), 20);
        assert_ne!(code, activation_code());
        let re = regex::Regex::new(validate::UUID).unwrap();
        assert!(re.is_match(&random_uuid()));
        assert!(re.is_match(&stable_uuid(&["a", "b"])));
        assert!(managed_instance_id("mi-0123456789abcdef0").is_ok());
        for bad in ["i-0123456789abcdef0", "mi-0123456789ABCDEF0", "mi-123"] {
            assert_eq!(
                managed_instance_id(bad).unwrap_err().code,
                "ValidationException",
                "{bad}"
            );
        }
    }
}
