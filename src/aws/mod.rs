//! AWS access: the client context and one module per service the console
//! calls. Typed domain structs (`crate::model`) come out; SDK types stay here.

pub mod activations;
pub mod associations;
pub mod automation;
pub mod commands;
pub mod compliance;
pub mod contexts;
pub mod documents;
pub mod error;
pub mod explorer;
pub mod fleet;
pub mod gate;
pub mod maintenance;
pub mod node_query;
pub mod once;
pub mod opscenter;
pub mod org;
pub mod params;
pub mod posture;
pub mod resume;
mod retry_notice;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{Credentials, Region, SharedCredentialsProvider};

pub use error::{AwsError, ErrorKind};

use crate::model::CallerIdentity;

/// A callback that receives passing notices (throttling, retries) as one line
/// of text. Called from SDK tasks; must not block.
pub type NoticeSink = Arc<dyn Fn(String) + Send + Sync>;

/// How to reach AWS: the standard chain unless the fields say otherwise.
#[derive(Clone, Default)]
pub struct ConnectOptions {
    /// `--profile`; `None` leaves it to `AWS_PROFILE` and the chain.
    pub profile: Option<String>,
    /// `--region`; `None` leaves it to `AWS_REGION` and the profile.
    pub region: Option<String>,
    /// `--endpoint-url`; forces every service to this endpoint. `None` keeps
    /// the SDK's own handling of `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`.
    pub endpoint_url: Option<String>,
    /// Static credentials (the embedded lab); `None` uses the chain.
    pub static_credentials: Option<(String, String)>,
    /// Maximum attempts per call, including the first (SDK standard retry mode).
    pub max_attempts: u32,
    /// A role to assume (STS `AssumeRole`) with the profile's credentials;
    /// the SDK refreshes the temporary keys before they expire.
    pub role_arn: Option<String>,
    /// How long to wait for a connection, an attempt and a whole call.
    pub timeouts: Timeouts,
}

/// How long a call may take before it fails as timed out (the SDK's
/// `TimeoutConfig`): the TCP/TLS connect, one attempt (one HTTP request
/// and its answer), and the whole operation, retries and backoff
/// included. A hung endpoint (accepts, never answers) fails after
/// `operation`. Defaults: 3 s, 30 s, 60 s (stated in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connect timeout.
    pub connect: Duration,
    /// One attempt.
    pub attempt: Duration,
    /// The whole operation, every attempt included.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(30),
            operation: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("role_arn", &self.role_arn)
            .field("timeouts", &self.timeouts)
            .field(
                "static_credentials",
                &self.static_credentials.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Errors found before any call is made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    /// `--endpoint-url` is not an absolute http(s) URL.
    #[error(
        "invalid endpoint URL '{0}': expected an absolute http:// or https:// URL such as http://127.0.0.1:4566"
    )]
    BadEndpoint(String),
    /// The region is not of the AWS form.
    #[error(
        "invalid region '{0}': expected a region code such as us-east-1 or eu-west-2 (see `aws ec2 describe-regions`)"
    )]
    BadRegion(String),
    /// No region anywhere in the chain.
    #[error(
        "no AWS region configured{0}: pass --region, set AWS_REGION, or add `region = …` to the profile in ~/.aws/config"
    )]
    NoRegion(String),
    /// A context set with no context, or more than the console takes.
    #[error(
        "{0} contexts: name between 1 and 512 (profiles × regions, a [contexts.NAME] set, or --org accounts × regions)"
    )]
    NoContexts(usize),
}

/// Checks an endpoint URL: absolute, `http` or `https`, with a host.
///
/// # Errors
/// [`ConnectError::BadEndpoint`].
pub fn validate_endpoint(url: &str) -> Result<(), ConnectError> {
    let bad = || ConnectError::BadEndpoint(url.to_owned());
    let uri: http::Uri = url.parse().map_err(|_| bad())?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(bad()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(())
}

/// Checks a region code: lower-case words joined by `-`, ending in a number
/// (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
///
/// # Errors
/// [`ConnectError::BadRegion`].
pub fn validate_region(region: &str) -> Result<(), ConnectError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(ConnectError::BadRegion(region.to_owned()))
    }
}

/// The clients and the context the header shows.
#[derive(Clone, Debug)]
pub struct AwsContext {
    /// Profile in use, as named by flag or `AWS_PROFILE` (`None`: default chain).
    pub profile: Option<String>,
    /// Region in use.
    pub region: String,
    /// Endpoint when not AWS (flag, `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_SSM`).
    pub endpoint: Option<String>,
    /// Whether the profile is an SSO profile (for the login hint).
    pub sso_profile: bool,
    /// SSM client.
    pub ssm: aws_sdk_ssm::Client,
    /// EC2 client.
    pub ec2: aws_sdk_ec2::Client,
    /// STS client.
    pub sts: aws_sdk_sts::Client,
    /// CloudWatch Logs client (live Run Command output).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Organizations client (`--org`: the accounts of the organization).
    pub org: aws_sdk_organizations::Client,
    /// IAM client (the account's alias), in IAM's global region of the
    /// context's partition ([`iam_region`]).
    pub iam: aws_sdk_iam::Client,
    /// S3 client (the rest of a Run Command output that GetCommandInvocation
    /// cut, from the command's output bucket); path-style addressing
    /// against an endpoint override, as a compatible endpoint serves it.
    pub s3: aws_sdk_s3::Client,
    /// The options it was built from (a profile or region switch starts from them).
    pub options: ConnectOptions,
}

/// Profile names in the shared AWS config and credentials files (SSO
/// profiles included), sorted; empty when the files cannot be read.
pub async fn profile_names() -> Vec<String> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    match aws_config::profile::load(&fs, &env, &files, None).await {
        Ok(set) => {
            let mut names: Vec<String> = set.profiles().map(str::to_owned).collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}

impl AwsContext {
    /// Loads the SDK configuration and builds the clients. Makes no call.
    ///
    /// # Errors
    /// [`ConnectError`] for a bad endpoint or region, or no region at all.
    pub async fn connect(
        opts: &ConnectOptions,
        notices: Option<NoticeSink>,
    ) -> Result<Self, ConnectError> {
        if let Some(url) = &opts.endpoint_url {
            validate_endpoint(url)?;
        }
        if let Some(region) = &opts.region {
            validate_region(region)?;
        }
        let mut loader = retries_and_timeouts(opts);
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((ak, sk)) = &opts.static_credentials {
            loader = loader.credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                ak.clone(),
                sk.clone(),
                None,
                None,
                "ssmdeck-static",
            )));
        }
        let mut sdk = loader.load().await;
        if let Some(arn) = &opts.role_arn {
            let role = aws_config::sts::AssumeRoleProvider::builder(arn.clone())
                .session_name("ssmdeck")
                .configure(&sdk)
                .build()
                .await;
            sdk = sdk
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(role))
                .build();
        }
        let profile = opts
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
        let region = match sdk.region() {
            Some(r) => r.to_string(),
            None => {
                return Err(ConnectError::NoRegion(
                    profile
                        .as_ref()
                        .map(|p| format!(" for profile '{p}'"))
                        .unwrap_or_default(),
                ));
            }
        };
        if opts.region.is_none() {
            validate_region(&region)?;
        }
        let endpoint = opts
            .endpoint_url
            .clone()
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .or_else(|| {
                std::env::var("AWS_ENDPOINT_URL_SSM")
                    .ok()
                    .filter(|s| !s.is_empty())
            });
        let sso_profile = if opts.static_credentials.is_some() {
            false
        } else {
            is_sso_profile(profile.as_deref().unwrap_or("default")).await
        };
        let interceptor = retry_notice::RetryNotice::new(notices);
        // The retry quota (the standard mode's token bucket) is shared by
        // clients of one partition: one per context (and endpoint), so a
        // throttled account does not use up the others' retries.
        let partition = |service: &str| {
            format!(
                "{service}/{}/{}/{region}/{}",
                profile.as_deref().unwrap_or("default"),
                opts.role_arn.as_deref().unwrap_or(""),
                opts.endpoint_url.as_deref().unwrap_or("")
            )
        };
        let ssm = aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .retry_partition(aws_sdk_ssm::config::retry::RetryPartition::new(partition(
                    "ssm",
                )))
                .build(),
        );
        let ec2 = aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .retry_partition(aws_sdk_ec2::config::retry::RetryPartition::new(partition(
                    "ec2",
                )))
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .build(),
        );
        let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .build(),
        );
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .force_path_style(endpoint.is_some())
                .build(),
        );
        let org = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&sdk)
                .interceptor(interceptor.clone())
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk)
                .interceptor(interceptor)
                .region(aws_sdk_iam::config::Region::new(iam_region(&region)))
                .build(),
        );
        Ok(AwsContext {
            profile,
            region,
            endpoint,
            sso_profile,
            ssm,
            ec2,
            sts,
            logs,
            org,
            iam,
            s3,
            options: opts.clone(),
        })
    }

    /// STS `GetCallerIdentity`.
    ///
    /// # Errors
    /// [`AwsError`] with kind `Credentials` when no or expired credentials,
    /// naming the profile and the fix.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.error("GetCallerIdentity", e))?;
        Ok(CallerIdentity {
            account: out.account.unwrap_or_default(),
            arn: out.arn.unwrap_or_default(),
        })
    }

    /// The account's alias (IAM `ListAccountAliases`: an account has at
    /// most one), `None` when it has none.
    ///
    /// # Errors
    /// [`AwsError`] for `iam:ListAccountAliases`: typically
    /// `AccessDenied` where the identity may not call it (the console then
    /// names the account by its id).
    pub async fn account_alias(&self) -> Result<Option<String>, AwsError> {
        let out = self
            .iam
            .list_account_aliases()
            .send()
            .await
            .map_err(|e| self.error("iam:ListAccountAliases", e))?;
        Ok(out.account_aliases.into_iter().next())
    }

    /// Converts an SDK error into the one-line error the console shows,
    /// with the profile and endpoint of this context.
    pub fn error<E>(&self, operation: &str, err: SdkError<E>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        AwsError::from_sdk(operation, err, self)
    }
}

/// The region IAM (a global service) signs in for a context in `region`:
/// `cn-north-1` in the China partition, `us-gov-west-1` in GovCloud, else
/// `us-east-1` (AWS General Reference, IAM endpoints).
pub fn iam_region(region: &str) -> String {
    if region.starts_with("cn-") {
        "cn-north-1".into()
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1".into()
    } else {
        "us-east-1".into()
    }
}

/// The SDK config loader with the console's retries and timeouts:
/// `opts.max_attempts` attempts (0: 6) in the standard mode, backoff from
/// 100 ms to 5 s, and [`Timeouts`].
fn retries_and_timeouts(opts: &ConnectOptions) -> aws_config::ConfigLoader {
    let attempts = if opts.max_attempts == 0 {
        6
    } else {
        opts.max_attempts
    };
    aws_config::defaults(BehaviorVersion::latest())
        // Standard, not adaptive: the adaptive mode's client-side
        // rate limiter falls to about 3 calls a second once throttled
        // and stays there while the throttling does not follow the
        // rate (measured on the lab at throttle 0.2: 1,000 nodes in
        // 52 s against 2 s). The loaders give way themselves instead:
        // the joins' AIMD gates and resuming a page from its NextToken
        // (issue 18 item 1).
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_secs(5)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(opts.timeouts.connect)
                .operation_attempt_timeout(opts.timeouts.attempt)
                .operation_timeout(opts.timeouts.operation)
                .build(),
        )
}

/// The SDK's error type, shared by every service crate.
pub type SdkError<E> =
    aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>;
pub use aws_sdk_ssm::error::ProvideErrorMetadata;

/// Whether the profile in the shared config files uses IAM Identity Center
/// (`sso_session` or `sso_start_url`), read with aws-config's own parser.
async fn is_sso_profile(name: &str) -> bool {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    match aws_config::profile::load(&fs, &env, &files, None).await {
        Ok(set) => set
            .get_profile(name)
            .is_some_and(|p| p.get("sso_session").is_some() || p.get("sso_start_url").is_some()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(validate_endpoint("http://127.0.0.1:4566").is_ok());
        assert!(validate_endpoint("https://ssm.us-east-1.amazonaws.com").is_ok());
        for bad in ["127.0.0.1:4566", "ftp://x", "http://", "not a url", ""] {
            assert_eq!(
                validate_endpoint(bad),
                Err(ConnectError::BadEndpoint(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn regions() {
        for good in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-4"] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-x", "us--1", ""] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }
}
