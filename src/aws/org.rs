//! AWS Organizations, for `--org ROLE`: the accounts of the organization
//! (`ListAccounts`, every page), read from the management account or a
//! delegated administrator.

use super::{AwsContext, AwsError};

/// One account of the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    /// The 12-digit account id.
    pub id: String,
    /// The account's name.
    pub name: String,
}

/// The ACTIVE accounts of the organization `ctx`'s caller belongs to
/// (Organizations `ListAccounts`, every page; suspended accounts and those
/// pending closure are left out), in the order AWS lists them.
///
/// # Errors
/// [`AwsError`] for `organizations:ListAccounts`: typically
/// `AccessDeniedException` when the caller is neither the management
/// account nor a delegated administrator, or
/// `AWSOrganizationsNotInUseException`.
pub async fn active_accounts(ctx: &AwsContext) -> Result<Vec<OrgAccount>, AwsError> {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    let mut pages = ctx.org.list_accounts().into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error("organizations:ListAccounts", e))?;
        for a in page.accounts.unwrap_or_default() {
            // `State` replaces `Status` (AWS, 2025); read whichever is set.
            let active = match (&a.state, &a.status) {
                (Some(s), _) => *s == AccountState::Active,
                (None, Some(s)) => *s == AccountStatus::Active,
                (None, None) => true,
            };
            if active && let Some(id) = a.id {
                out.push(OrgAccount {
                    name: a.name.unwrap_or_default(),
                    id,
                });
            }
        }
    }
    Ok(out)
}
