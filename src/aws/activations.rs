//! Hybrid activations and the deregistration of `mi-` nodes (SSM API):
//! the activations of an account and region (`DescribeActivations`, every
//! page, with the SDK's paginator), a new activation (`CreateActivation`),
//! deleting one (`DeleteActivation`) and deregistering a managed node
//! (`DeregisterManagedInstance`).
//!
//! An activation code is a secret: it comes back once from
//! CreateActivation as an [`ActivationCode`], whose `Debug` never shows it
//! and which is zeroed when dropped. Nothing here logs it.

use serde::Serialize;

use super::posture::epoch_s;
use super::{AwsContext, AwsError};

/// At most this many activations are read per context.
pub const LIST_CAP: usize = 5_000;

/// An activation as DescribeActivations gives it (`Activation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Activation {
    /// The activation id (a UUID).
    pub id: String,
    /// Its description (may be empty).
    pub description: String,
    /// The name given to the nodes that register with it (may be empty).
    pub default_instance_name: String,
    /// The IAM service role the registered nodes get.
    pub iam_role: String,
    /// Nodes registered with it so far (`RegistrationsCount`, absent: 0).
    pub registrations: i32,
    /// How many nodes may register with it (`RegistrationLimit`).
    pub limit: i32,
    /// When it expires, epoch seconds.
    pub expires_s: Option<i64>,
    /// Whether AWS says it has expired (`Expired`).
    pub expired: bool,
    /// When it was created, epoch seconds.
    pub created_s: Option<i64>,
    /// Its tags, key and value.
    pub tags: Vec<(String, String)>,
}

impl Activation {
    /// Whether no more node can register with it: expired, or its limit
    /// reached.
    pub fn closed(&self) -> bool {
        self.expired || (self.limit > 0 && self.registrations >= self.limit)
    }
}

/// What CreateActivation is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewActivation {
    /// The IAM service role for the nodes (`IamRole`, required).
    pub iam_role: String,
    /// `RegistrationLimit`, 1 … 1000 (`None`: AWS's default, 1).
    pub limit: Option<i32>,
    /// `ExpirationDate`, epoch seconds (`None`: AWS's default, 24 hours).
    pub expires_s: Option<i64>,
    /// `Description` (empty: none).
    pub description: String,
    /// `DefaultInstanceName` (empty: none).
    pub default_instance_name: String,
    /// `Tags`, key and value.
    pub tags: Vec<(String, String)>,
}

/// The secret code of a new activation. `Debug` shows its length only;
/// the text is zeroed when it is dropped. Not `Serialize`, not `Display`:
/// [`ActivationCode::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ActivationCode(String);

impl ActivationCode {
    /// Wraps a code.
    pub fn new(code: String) -> Self {
        ActivationCode(code)
    }

    /// The code itself: to draw it in the panel that shows it once and to
    /// copy it to the clipboard; never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActivationCode(** {} characters **)", self.0.len())
    }
}

impl Drop for ActivationCode {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

/// What CreateActivation answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedActivation {
    /// The new activation's id.
    pub id: String,
    /// Its secret code (shown once).
    pub code: ActivationCode,
}

fn activation_of(a: &aws_sdk_ssm::types::Activation) -> Activation {
    Activation {
        id: a.activation_id().unwrap_or_default().to_owned(),
        description: a.description().unwrap_or_default().to_owned(),
        default_instance_name: a.default_instance_name().unwrap_or_default().to_owned(),
        iam_role: a.iam_role().unwrap_or_default().to_owned(),
        registrations: a.registrations_count().unwrap_or(0),
        limit: a.registration_limit().unwrap_or(0),
        expires_s: epoch_s(a.expiration_date()),
        expired: a.expired(),
        created_s: epoch_s(a.created_date()),
        tags: a
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
    }
}

/// Every activation of the account and region (DescribeActivations, every
/// page, at most [`LIST_CAP`]), live ones first, each group newest first.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeActivations` (`InvalidFilter`,
/// `InvalidNextToken`, access denied).
pub async fn list(ctx: &AwsContext) -> Result<Vec<Activation>, AwsError> {
    let op = "ssm:DescribeActivations";
    let mut pages = ctx
        .ssm
        .describe_activations()
        .max_results(50)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.activation_list().iter().map(activation_of));
        if out.len() >= LIST_CAP {
            out.truncate(LIST_CAP);
            break;
        }
    }
    out.sort_by(|a, b| {
        (a.expired, std::cmp::Reverse(a.created_s), &a.id).cmp(&(
            b.expired,
            std::cmp::Reverse(b.created_s),
            &b.id,
        ))
    });
    Ok(out)
}

/// Creates an activation (CreateActivation) with the fields of `new`;
/// its id and secret code.
///
/// # Errors
/// [`AwsError`] for `ssm:CreateActivation` (`InvalidParameters`,
/// validation, access denied: the caller also needs `iam:PassRole` on the
/// role, and `ssm:AddTagsToResource` for tags).
pub async fn create(ctx: &AwsContext, new: &NewActivation) -> Result<CreatedActivation, AwsError> {
    let op = "ssm:CreateActivation";
    let mut tags = Vec::with_capacity(new.tags.len());
    for (k, v) in &new.tags {
        let tag = aws_sdk_ssm::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| AwsError::local(op, e))?;
        tags.push(tag);
    }
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let out = ctx
        .ssm
        .create_activation()
        .iam_role(&new.iam_role)
        .set_registration_limit(new.limit)
        .set_expiration_date(new.expires_s.map(aws_smithy_types::DateTime::from_secs))
        .set_description(nonempty(&new.description))
        .set_default_instance_name(nonempty(&new.default_instance_name))
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map_err(|e| ctx.error(op, e))?;
    Ok(CreatedActivation {
        id: out.activation_id().unwrap_or_default().to_owned(),
        code: ActivationCode::new(out.activation_code().unwrap_or_default().to_owned()),
    })
}

/// Deletes activation `id` (DeleteActivation); the nodes registered with
/// it stay registered.
///
/// # Errors
/// [`AwsError`] for `ssm:DeleteActivation` (`InvalidActivationId`,
/// `InvalidActivation`: deleted already).
pub async fn delete(ctx: &AwsContext, id: &str) -> Result<(), AwsError> {
    ctx.ssm
        .delete_activation()
        .activation_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DeleteActivation", e))?;
    Ok(())
}

/// Deregisters managed node `id`, an `mi-` node (DeregisterManagedInstance):
/// it leaves Systems Manager; its agent must be registered again to come
/// back.
///
/// # Errors
/// [`AwsError`] for `ssm:DeregisterManagedInstance` (`InvalidInstanceId`).
pub async fn deregister(ctx: &AwsContext, id: &str) -> Result<(), AwsError> {
    ctx.ssm
        .deregister_managed_instance()
        .instance_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DeregisterManagedInstance", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_never_shows_in_debug() {
        let c = CreatedActivation {
            id: "a-1".into(),
            code: ActivationCode::new("Secr3tCodeXYZ+/abcde".into()),
        };
        let text = format!("{c:?}");
        assert!(!text.contains("Secr3t"), "{text}");
        assert!(text.contains("20 characters"), "{text}");
        assert_eq!(c.code.expose(), "Secr3tCodeXYZ+/abcde");
    }

    #[test]
    fn closed_is_expired_or_full() {
        let mut a = Activation {
            limit: 10,
            registrations: 3,
            ..Activation::default()
        };
        assert!(!a.closed());
        a.registrations = 10;
        assert!(a.closed());
        a.registrations = 0;
        a.expired = true;
        assert!(a.closed());
    }
}
