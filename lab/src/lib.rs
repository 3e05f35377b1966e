//! `ssmdeck-lab`: an SSM-compatible endpoint on loopback with a simulated fleet.
//!
//! One HTTP endpoint serves SSM (JSON 1.1, `X-Amz-Target: AmazonSSM.<Action>`),
//! EC2 (query protocol, XML) and STS (query protocol, XML). The service is chosen
//! from the SigV4 credential scope, as AWS and moto do. Every request must be
//! signed with the key pair the lab generated at start ([`LabHandle::credentials`]).
//!
//! The lab binds to 127.0.0.1 only.

mod associations;
pub mod auth;
mod automation;
mod calendar;
mod commands;
mod compliance;
mod cron;
mod distributor;
mod ec2;
pub mod explorer;
pub mod fleet;
mod hybrid;
mod iam;
mod inventory;
mod logs;
mod maintenance;
pub mod opscenter;
mod organizations;
mod paging;
pub mod params;
pub mod patch;
mod properties;
mod protocol;
mod s3;
pub mod serve;
mod sessions;
#[cfg(test)]
mod shapes;
mod ssm;
mod sts;
pub mod tenancy;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use tokio::sync::oneshot;

pub use associations::InstanceStatus as AssociationStatus;
pub use automation::AutomationSummary;
pub use fleet::{FleetSpec, LabNode, PingStatus};
use protocol::{Service, error_response};

/// Fault knobs applied to every call before it is handled (and, for
/// [`Faults::fail_after_share`], after).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Added latency per call, milliseconds.
    pub latency_ms: u64,
    /// Share of calls answered with the service's throttling error
    /// (SSM `ThrottlingException`, EC2 `RequestLimitExceeded`, STS `Throttling`,
    /// Organizations `TooManyRequestsException`), 0.0 … 1.0.
    pub throttle_share: f64,
    /// Share of calls answered with HTTP 500 `InternalServerError`, 0.0 … 1.0.
    pub server_error_share: f64,
    /// Calls refused as access denied, as `service:Action` (`ec2:DescribeInstances`)
    /// or `service:*` (`ec2:*`).
    pub deny: Vec<String>,
    /// Calls answered like a partial emulator does (moto, LocalStack): HTTP 500
    /// with a non-AWS body, same pattern syntax as `deny`.
    pub unsupported: Vec<String>,
    /// Session Manager data channel: every frame to the client waits this
    /// long, milliseconds.
    pub session_delay_ms: u64,
    /// Session Manager data channel: frames to the client go out in swapped
    /// pairs (the second before the first), as a network may reorder them.
    pub session_reorder: bool,
    /// Port sessions behave as agents before 3.0.196.0: no smux, one raw
    /// connection at a time, closed by the client's DisconnectToPort flag;
    /// the handshake names agent version 3.0.161.0 and the document's
    /// properties as they are (`type: LocalPortForwarding` included).
    pub session_legacy_port: bool,
    /// Session Manager data channel: each websocket is closed after it has
    /// been open this long, milliseconds (0: never), as a flaky network
    /// drops it; the session lives on and the client resumes it.
    pub session_drop_every_ms: u64,
    /// Share of list pages cut short, 0.0 … 1.0: fewer items than
    /// MaxResults (half of them none) with a NextToken, and at the end
    /// possibly a NextToken whose page is empty, as AWS documents it may.
    pub short_pages: f64,
    /// Share of calls handled in full (a command sent, an OpsItem
    /// created, a session started) and then answered HTTP 500
    /// `InternalServerError`, as a request that reached AWS can still fail
    /// on its way back; 0.0 … 1.0. Clients that retry such a call do the
    /// work twice.
    pub fail_after_share: f64,
    /// The shares above (throttle, server error, fail after handling)
    /// apply only to calls matching these patterns (`ssm:SendCommand`,
    /// `ssm:*`, as `deny`); empty: to every call.
    pub shares_only: Vec<String>,
}

impl Faults {
    fn matches(list: &[String], service: &str, action: &str) -> bool {
        list.iter().any(|p| {
            p.split_once(':')
                .is_some_and(|(s, a)| s.eq_ignore_ascii_case(service) && (a == "*" || a == action))
        })
    }
}

/// Lab start-up options.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The fleet to simulate.
    pub fleet: FleetSpec,
    /// Region reported in the printed environment and in ARNs.
    pub region: String,
    /// Accounts the lab serves (12-digit ids); the first is the
    /// management account. Empty: [`LAB_ACCOUNT`] alone.
    /// [`tenancy::synthetic_accounts`] makes a list of any length.
    pub accounts: Vec<String>,
    /// Regions the lab serves; every (account, region) pair is a tenant
    /// with its own fleet and stores, and a call signed for another region
    /// is refused as AWS refuses a Region not enabled for the account
    /// (see `protocol::region_not_enabled`). Empty: `region` alone, and
    /// calls signed for any region are served by it (the single-region lab
    /// of before, which answers in any region).
    pub regions: Vec<String>,
    /// Fault knobs at start; change them later with [`LabHandle::set_faults`].
    pub faults: Faults,
    /// An HTTP connection idle this long (no byte either way) is closed;
    /// default [`serve::HTTP_IDLE_TIMEOUT_S`].
    pub http_idle_timeout: Duration,
    /// A session's websocket idle this long is closed; default
    /// [`serve::WEBSOCKET_IDLE_TIMEOUT_S`].
    pub websocket_idle_timeout: Duration,
    /// The seeded maintenance window `canary-check` (`rate(1 day)`) first
    /// opens this many seconds after the lab starts, in every tenant;
    /// `None`: 1,800 (30 minutes). Its RUN_COMMAND task then really runs
    /// on the tenant's nodes tagged `Env=dev`, `Role=web`.
    pub start_before_window_s: Option<u64>,
    /// Seed the two change calendars (`prod-change-freeze`, CLOSED for
    /// the first hours, and `weekend-change-window`, DEFAULT_CLOSED). Off
    /// by default: with a calendar CLOSED every send asks a second time,
    /// and a test that sends should not depend on whether the console read
    /// the calendars yet. `ssmdeck demo` and `lab serve` turn it on.
    pub change_calendars: bool,
    /// Record the seeded maintenance window history's commands in the
    /// command store (ListCommands lists them; an invocation opened in
    /// Run Command shows each node's result). Off by default, so a test's
    /// command store holds only what it sent; `ssmdeck demo` and `lab
    /// serve` turn it on. Off, those invocations name commands that do not
    /// exist (`InvalidCommandId`, as AWS answers past its 30 days).
    pub history_commands: bool,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            port: 0,
            fleet: FleetSpec::demo(),
            region: "us-east-1".into(),
            accounts: Vec::new(),
            regions: Vec::new(),
            faults: Faults::default(),
            http_idle_timeout: Duration::from_secs(serve::HTTP_IDLE_TIMEOUT_S),
            websocket_idle_timeout: Duration::from_secs(serve::WEBSOCKET_IDLE_TIMEOUT_S),
            start_before_window_s: None,
            change_calendars: false,
            history_commands: false,
        }
    }
}

/// The key pair the lab accepts (generated at start, never persisted).
#[derive(Clone)]
pub struct LabCredentials {
    /// Access key id (`AKIALAB…`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for LabCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

/// The account the lab pretends to be (also the one in ARNs).
pub const LAB_ACCOUNT: &str = "123456789012";

/// One tenant of the lab: an (account, region) with its own stores.
pub(crate) struct LabState {
    /// The tenant's account id.
    pub(crate) account: String,
    pub(crate) nodes: RwLock<Vec<LabNode>>,
    pub(crate) params: Mutex<params::ParamStore>,
    pub(crate) ops: Mutex<opscenter::OpsStore>,
    pub(crate) sessions: Mutex<sessions::SessionStore>,
    /// Where the lab listens (StreamUrl of sessions points here).
    pub(crate) addr: SocketAddr,
    pub(crate) faults: RwLock<Faults>,
    pub(crate) calls: Mutex<BTreeMap<String, u64>>,
    pub(crate) rng: Mutex<ChaCha8Rng>,
    /// Key of the list tokens' checksum (drawn at start).
    pub(crate) token_key: u64,
    pub(crate) region: String,
    pub(crate) commands: Mutex<commands::CommandStore>,
    /// Maintenance windows and their executions.
    pub(crate) maintenance: Mutex<maintenance::MaintenanceStore>,
    /// ChangeCalendar documents.
    pub(crate) calendars: Mutex<calendar::CalendarStore>,
    /// Runbooks and Automation executions.
    pub(crate) automation: Mutex<automation::AutomationStore>,
    /// State Manager associations, their executions and node statuses.
    pub(crate) associations: Mutex<associations::AssociationStore>,
    pub(crate) logs: Mutex<logs::LogStore>,
    /// Buckets Run Command writes output to (lock after `commands` when
    /// both are needed).
    pub(crate) s3: Mutex<s3::S3Store>,
    /// Every node's patch state and patches (seeded lazily).
    pub(crate) patches: Mutex<patch::PatchStore>,
    /// Custom compliance items (PutComplianceItems).
    pub(crate) compliance: Mutex<compliance::ComplianceStore>,
    /// Hybrid activations and which one each `mi-` node registered with
    /// (lock after `nodes` when both are needed).
    pub(crate) activations: Mutex<hybrid::ActivationStore>,
    /// Each node's collected inventory (lock after `nodes`).
    pub(crate) inventory: Mutex<inventory::InventoryCache>,
    /// Command runners; aborted (their processes killed) on shutdown.
    pub(crate) tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Per-node working directories live under here (removed on shutdown).
    pub(crate) work_dir: std::path::PathBuf,
    /// Process groups of running commands (killed on shutdown).
    pub(crate) process_groups: Mutex<std::collections::HashSet<i32>>,
}

impl LabState {
    /// The ARN of the lab's caller in this tenant's account.
    pub(crate) fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{}:user/ssmdeck-lab", self.account)
    }

    fn stop_commands(&self) {
        if let Ok(mut s) = self.sessions.lock() {
            s.terminate_all();
        }
        for t in self.tasks.lock().expect("tasks lock").drain(..) {
            t.abort();
        }
        for pg in self.process_groups.lock().expect("pgids lock").drain() {
            // SAFETY: each id is a process group the lab created for a
            // command (process_group(0)); signalling it affects nothing else.
            unsafe {
                libc::killpg(pg, libc::SIGKILL);
            }
        }
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

/// The whole lab: its tenants (account-major: every region of the first
/// account, then of the next), the accounts' keys and the fault knobs.
pub(crate) struct Lab {
    pub(crate) tenants: Vec<Arc<LabState>>,
    pub(crate) accounts: Vec<String>,
    pub(crate) regions: Vec<String>,
    /// Long-term keys, one pair per account (same order as `accounts`).
    pub(crate) keys: Vec<LabCredentials>,
    /// No region grid was given: every region is served by the first.
    any_region: bool,
    /// Temporary keys issued by STS AssumeRole.
    pub(crate) roles: sts::RoleSessions,
    /// The idle timeout of a session's websocket.
    websocket_idle: Duration,
    global_faults: RwLock<Faults>,
    context_faults: RwLock<BTreeMap<(String, String), Faults>>,
}

impl Lab {
    /// The tenant of `account` in `region`, if the grid has it.
    pub(crate) fn tenant(&self, account: &str, region: &str) -> Option<&Arc<LabState>> {
        let a = self.accounts.iter().position(|x| x == account)?;
        let r = self.regions.iter().position(|x| x == region)?;
        self.tenants.get(a * self.regions.len() + r)
    }

    /// The first tenant (today's single lab).
    pub(crate) fn first(&self) -> &Arc<LabState> {
        &self.tenants[0]
    }

    /// The account whose long-term access key id is `key`.
    pub(crate) fn account_of_key(&self, key: &str) -> Option<(&str, &LabCredentials)> {
        self.keys
            .iter()
            .position(|k| k.access_key_id == key)
            .map(|i| (self.accounts[i].as_str(), &self.keys[i]))
    }

    /// The keys a request signed with access key `key` must verify with,
    /// its account and caller: an account's long-term keys, or temporary
    /// keys from AssumeRole when the request carries their
    /// `X-Amz-Security-Token` (without it, or with another token, the keys
    /// are unknown). Unknown keys: the first account's, which then refuse.
    fn signer(&self, key: &str, headers: &HeaderMap) -> Signer {
        if let Some((account, keys)) = self.account_of_key(key) {
            return Signer {
                keys: keys.clone(),
                account: account.to_owned(),
                caller: sts::Caller {
                    arn: format!("arn:aws:iam::{account}:user/ssmdeck-lab"),
                    user_id: "AIDALABUSER0000000001".into(),
                },
                expired: false,
            };
        }
        let token = headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok());
        let roles = self.roles.sessions.lock().expect("roles lock");
        let found = roles
            .iter()
            .find(|r| r.access_key_id == key && Some(r.session_token.as_str()) == token);
        match found {
            Some(r) => Signer {
                keys: LabCredentials {
                    access_key_id: r.access_key_id.clone(),
                    secret_access_key: r.secret_access_key.clone(),
                },
                account: r.account.clone(),
                caller: sts::Caller {
                    arn: r.arn.clone(),
                    user_id: r.role_id.clone(),
                },
                expired: r.expires <= epoch_now(),
            },
            None => Signer {
                keys: self.keys[0].clone(),
                account: self.accounts[0].clone(),
                caller: sts::Caller {
                    arn: String::new(),
                    user_id: String::new(),
                },
                expired: false,
            },
        }
    }

    /// Sets every tenant's effective faults from the global and per-tenant knobs.
    fn apply_faults(&self) {
        let global = self.global_faults.read().expect("faults lock");
        let own = self.context_faults.read().expect("faults lock");
        for t in &self.tenants {
            let key = (t.account.clone(), t.region.clone());
            *t.faults.write().expect("faults lock") = tenancy::merge(&global, own.get(&key));
        }
    }
}

/// Who signed a request (see [`Lab::signer`]).
struct Signer {
    keys: LabCredentials,
    account: String,
    caller: sts::Caller,
    /// Temporary keys past their expiration.
    expired: bool,
}

fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A running lab. Dropping it (or [`LabHandle::shutdown`]) stops the server.
pub struct LabHandle {
    addr: SocketAddr,
    lab: Arc<Lab>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Errors starting the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The port could not be bound on 127.0.0.1.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source} (choose another --port, or 0 for a free one)"
    )]
    Bind {
        /// Requested port.
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
}

impl LabHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (always on 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The key pair clients must sign with: the long-term keys of the
    /// first (management) account.
    pub fn credentials(&self) -> &LabCredentials {
        &self.lab.keys[0]
    }

    /// The long-term keys of `account` (as if each account had its own
    /// profile), `None` for an account the lab does not serve.
    pub fn account_credentials(&self, account: &str) -> Option<LabCredentials> {
        self.lab
            .accounts
            .iter()
            .position(|a| a == account)
            .map(|i| self.lab.keys[i].clone())
    }

    /// The accounts the lab serves (12-digit ids), the management account first.
    pub fn accounts(&self) -> Vec<String> {
        self.lab.accounts.clone()
    }

    /// The regions the lab serves, the first region first.
    pub fn regions(&self) -> Vec<String> {
        self.lab.regions.clone()
    }

    /// The lab's first region.
    pub fn region(&self) -> &str {
        &self.lab.regions[0]
    }

    /// Shell lines that point an AWS client at this lab.
    pub fn env_lines(&self) -> [String; 4] {
        [
            format!("export AWS_ENDPOINT_URL={}", self.endpoint_url()),
            format!(
                "export AWS_ACCESS_KEY_ID={}",
                self.credentials().access_key_id
            ),
            format!(
                "export AWS_SECRET_ACCESS_KEY={}",
                self.credentials().secret_access_key
            ),
            format!("export AWS_REGION={}", self.region()),
        ]
    }

    /// The AWS shared config and credentials files (`~/.aws/config`,
    /// `~/.aws/credentials` formats) that name every account of the lab as
    /// a profile: `lab-<n>` for the `n`-th account of
    /// [`LabHandle::accounts`] (0-based; `lab-0` is the management account).
    /// Returns `(config, credentials)`:
    ///
    /// - config: `[profile lab-<n>]` with `region = <first region>` and
    ///   `endpoint_url = <this lab>` (honoured by SDKs and CLIs that read
    ///   endpoint settings from profiles; `--endpoint-url` overrides it);
    /// - credentials: `[lab-<n>]` with the account's long-term
    ///   `aws_access_key_id` and `aws_secret_access_key`.
    ///
    /// The credentials text holds secret keys: write it owner-only (0600)
    /// and never log it.
    pub fn aws_config_files(&self) -> (String, String) {
        let mut config = String::from(
            "# ssmdeck lab: one profile per account (lab-0 is the management account).\n",
        );
        let mut credentials = String::from("# ssmdeck lab: long-term keys of each account.\n");
        for (n, account) in self.lab.accounts.iter().enumerate() {
            let name = tenancy::profile_name(n);
            config.push_str(&format!(
                "\n# account {account}\n[profile {name}]\nregion = {}\nendpoint_url = {}\n",
                self.region(),
                self.endpoint_url()
            ));
            let keys = &self.lab.keys[n];
            credentials.push_str(&format!(
                "\n# account {account}\n[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                keys.access_key_id, keys.secret_access_key
            ));
        }
        (config, credentials)
    }

    /// Replaces the lab-wide fault knobs for the calls that follow (every
    /// tenant; a tenant's own knobs from [`LabHandle::set_context_faults`]
    /// apply on top).
    pub fn set_faults(&self, faults: Faults) {
        *self.lab.global_faults.write().expect("faults lock") = faults;
        self.lab.apply_faults();
    }

    /// Replaces the fault knobs of one tenant (`account` in `region`) only,
    /// on top of the lab-wide ones: one account denies (`deny: ["ssm:*"]`),
    /// one region throttles. Knobs for a pair outside the grid are ignored.
    pub fn set_context_faults(&self, account: &str, region: &str, faults: Faults) {
        self.lab
            .context_faults
            .write()
            .expect("faults lock")
            .insert((account.to_owned(), region.to_owned()), faults);
        self.lab.apply_faults();
    }

    /// Calls served so far by `service:Action` (`ssm:DescribeInstanceInformation`),
    /// including those answered with an injected fault, summed over every tenant.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        let mut total = BTreeMap::new();
        for t in &self.lab.tenants {
            for (k, v) in t.calls.lock().expect("calls lock").iter() {
                *total.entry(k.clone()).or_default() += v;
            }
        }
        total
    }

    /// Calls served so far in one tenant, by `service:Action`; empty for a
    /// pair outside the grid.
    pub fn calls_in(&self, account: &str, region: &str) -> BTreeMap<String, u64> {
        self.lab
            .tenant(account, region)
            .map(|t| t.calls.lock().expect("calls lock").clone())
            .unwrap_or_default()
    }

    /// Test knob: every temporary key pair issued by STS AssumeRole so far
    /// expires now; calls signed with them get the service's expired-token
    /// error (SSM `ExpiredTokenException`, STS `ExpiredToken`, EC2
    /// `RequestExpired`) until the caller assumes the role again.
    pub fn expire_role_sessions(&self) {
        let now = epoch_now();
        for r in self
            .lab
            .roles
            .sessions
            .lock()
            .expect("roles lock")
            .iter_mut()
        {
            r.expires = r.expires.min(now);
        }
    }

    /// Resets the call counters of every tenant.
    pub fn reset_calls(&self) {
        for t in &self.lab.tenants {
            t.calls.lock().expect("calls lock").clear();
        }
    }

    /// Closes every open Session Manager data channel websocket; the shells
    /// keep running and their output waits for ResumeSession (fault knob).
    pub fn drop_session_connections(&self) {
        for t in &self.lab.tenants {
            t.sessions.lock().expect("sessions lock").drop_connections();
        }
    }

    /// Opens the first tenant's maintenance window named `name` at once,
    /// whatever its schedule, as if its time had come (a demo and test
    /// knob; its NextExecutionTime moves on as on a scheduled opening):
    /// an execution IN_PROGRESS whose RUN_COMMAND tasks run on the nodes.
    /// Returns the WindowExecutionId; `None` for an unknown name or when
    /// its previous execution still runs (the new one is then recorded
    /// SKIPPED_OVERLAPPING). Seeded names: `prod-patching`,
    /// `staging-restart`, `dev-cleanup`, `canary-check`.
    pub fn open_maintenance_window(&self, name: &str) -> Option<String> {
        maintenance::open_now(self.lab.first(), name)
    }

    /// [`LabHandle::open_maintenance_window`] in the tenant of `account`
    /// in `region`; `None` also for a pair outside the grid.
    pub fn open_maintenance_window_in(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<String> {
        maintenance::open_now(self.lab.tenant(account, region)?, name)
    }

    /// A snapshot of the first tenant's Automation executions, oldest
    /// first (children of a rate-controlled run after their parent).
    pub fn automation_executions(&self) -> Vec<AutomationSummary> {
        automation::summaries(self.lab.first())
    }

    /// Failure knob: from now on, every step named `step_name` (of any
    /// runbook, e.g. `stopInstances`, `collectBasic`) fails in every
    /// tenant, with FailureMessage "Step fails when it is Execution. Step
    /// <name> was made to fail by the lab's failure knob. …" and
    /// FailureDetails {FailureStage Execution, FailureType Unknown}.
    pub fn fail_automation_step(&self, step_name: &str) {
        self.fail_automation_step_on(step_name, &[]);
    }

    /// Failure knob: the step named `step_name` fails on the executions
    /// whose target (a rate-controlled child's) or `InstanceId` parameter
    /// is one of `node_ids` (empty: on every execution), in every tenant.
    pub fn fail_automation_step_on(&self, step_name: &str, node_ids: &[&str]) {
        for t in &self.lab.tenants {
            t.automation
                .lock()
                .expect("automation lock")
                .fail
                .push(automation::FailRule {
                    step: step_name.to_owned(),
                    nodes: node_ids.iter().map(|n| (*n).to_owned()).collect(),
                });
        }
    }

    /// Timing knob: how long one simulated Automation step takes from now
    /// on (`aws:sleep`, `aws:changeInstanceState`'s stop or start,
    /// `aws:executeAwsApi`, a quarter of it for `aws:branch`), in
    /// milliseconds, in every tenant. The lab starts at 50 (tests stay
    /// quick); `ssmdeck demo` and `lab serve` want about 2,000.
    pub fn set_automation_step_ms(&self, ms: u64) {
        for t in &self.lab.tenants {
            t.automation.lock().expect("automation lock").step_ms = ms;
        }
    }

    /// Quota knob: top-level Automation executions that may run (or wait)
    /// at once in a tenant; one more is refused with
    /// `AutomationExecutionLimitExceededException`. The lab starts at 100
    /// (the Systems Manager quota "concurrently running automations").
    pub fn set_automation_running_limit(&self, limit: usize) {
        for t in &self.lab.tenants {
            t.automation.lock().expect("automation lock").running_limit = limit;
        }
    }

    /// Seeds every tenant's Automation history of the last days, relative
    /// to now (for `ssmdeck demo` and `lab serve`; a test's lab has only
    /// the executions it starts): AWS-RestartEC2Instance Success 3 days
    /// ago, Lab-CollectDiagnostics Success 2 days ago, AWS-StopEC2Instance
    /// Failed on a hybrid node 30 hours ago, a rate-controlled
    /// AWS-RestartEC2Instance over tag Env=staging (parent Failed, its
    /// hybrid children Failed) 20 hours ago, Lab-CollectDiagnostics
    /// Cancelled 6 hours ago, and one Lab-CollectDiagnostics (Depth full)
    /// that really runs now and waits for approval; up to three finished
    /// children of the rate-controlled run are recorded in the
    /// `/aws/automations` of an OpsItem about their node, where one names
    /// it. Returns the ids of those waiting executions (one per tenant
    /// with a fitting node).
    pub fn seed_automation_history(&self) -> Vec<String> {
        let now = epoch_now() as f64;
        let mut live = Vec::new();
        for t in &self.lab.tenants {
            let nodes = t.nodes.read().expect("nodes lock").clone();
            let id = {
                let mut store = t.automation.lock().expect("automation lock");
                automation::seed_history(&mut store, &nodes, &t.account, now)
            };
            if let Some(id) = id {
                automation::spawn_execution(t, &id);
                live.push(id);
            }
            // Some finished runs are recorded on the OpsItems about their
            // nodes, as runs started from an OpsItem are.
            let mut ops = t.ops.lock().expect("ops lock");
            let mut linked = 0;
            for e in automation::summaries(t) {
                if linked == 3 {
                    break;
                }
                if let Some(node) = e.target.as_deref()
                    && automation::terminal(&e.status)
                    && ops.link_automation(node, &e.id).is_some()
                {
                    linked += 1;
                }
            }
        }
        live
    }

    /// Clears the failure knobs of [`LabHandle::fail_automation_step`].
    pub fn clear_automation_failures(&self) {
        for t in &self.lab.tenants {
            t.automation.lock().expect("automation lock").fail.clear();
        }
    }

    /// Timing knob: how long a node reboots after an AWS-RunPatchBaseline
    /// Install with RebootOption RebootIfNeeded (it is `ConnectionLost`
    /// meanwhile, its invocation InProgress), in milliseconds, in every
    /// tenant. The lab starts at 2,000.
    pub fn set_patch_reboot_ms(&self, ms: u64) {
        for t in &self.lab.tenants {
            t.patches.lock().expect("patches lock").reboot_ms = ms;
        }
    }

    /// The first tenant's patch record of node `node_id` as
    /// DescribeInstancePatchStates reads it (seeding it if no call read it
    /// yet); `None` for a node never scanned or not in the fleet.
    pub fn patch_state(&self, node_id: &str) -> Option<patch::NodePatches> {
        let t = self.lab.first();
        let node = t
            .nodes
            .read()
            .expect("nodes lock")
            .iter()
            .find(|n| n.id == node_id)
            .cloned()?;
        t.patches
            .lock()
            .expect("patches lock")
            .record(&node, &t.region, params::now_s())
            .cloned()
    }

    /// A node's State Manager association counts in the first tenant, as
    /// DescribeInstanceInformation sums them up
    /// (`AssociationOverview.InstanceAssociationStatusAggregatedCount`):
    /// (success, failed, pending), `None` for a node with no association
    /// status (about one in five of the demo fleet; about one in nine has
    /// a failed one).
    pub fn association_counts(&self, node_id: &str) -> Option<(u32, u32, u32)> {
        let store = self
            .lab
            .first()
            .associations
            .lock()
            .expect("associations lock");
        associations::counts_of(&store, node_id)
    }

    /// Every association status of `node_id` in the first tenant (what
    /// DescribeInstanceAssociationsStatus answers), ordered by
    /// association id.
    pub fn association_statuses(&self, node_id: &str) -> Vec<AssociationStatus> {
        let store = self
            .lab
            .first()
            .associations
            .lock()
            .expect("associations lock");
        associations::instance_statuses(&store, node_id)
    }

    /// The first tenant's nodes on which installing a package fails (the
    /// seeded `CloudWatchAgent-install` association's failing nodes,
    /// whatever sends AWS-ConfigureAWSPackage to them), ordered by id;
    /// empty after [`LabHandle::fix_association_failures`].
    pub fn association_failing_nodes(&self) -> Vec<String> {
        self.lab
            .first()
            .commands
            .lock()
            .expect("commands lock")
            .package_failures()
    }

    /// Failure knob: the package installs that fail (see
    /// [`LabHandle::association_failing_nodes`]) succeed from now on, in
    /// every tenant; a new run of the association (StartAssociationsOnce,
    /// the clock) then succeeds. Returns how many nodes were fixed.
    pub fn fix_association_failures(&self) -> usize {
        self.lab
            .tenants
            .iter()
            .map(|t| {
                t.commands
                    .lock()
                    .expect("commands lock")
                    .clear_package_failures()
            })
            .sum()
    }

    /// Timing knob: the State Manager clock's period in milliseconds, in
    /// every tenant: every period, each association with a
    /// ScheduleExpression runs once (as if its next time had come) unless
    /// its previous execution still runs. 0 (the lab's start): no
    /// scheduled run at all, only CreateAssociation's, UpdateAssociation's
    /// and StartAssociationsOnce's.
    pub fn set_association_tick_ms(&self, ms: u64) {
        for t in &self.lab.tenants {
            t.associations.lock().expect("associations lock").tick_ms = ms;
        }
    }

    /// A copy of the first tenant's simulated nodes, ordered by id.
    pub fn nodes(&self) -> Vec<LabNode> {
        self.lab.first().nodes.read().expect("nodes lock").clone()
    }

    /// A copy of the simulated nodes of `account` in `region`, ordered by
    /// id; empty for a pair outside the grid.
    pub fn nodes_in(&self, account: &str, region: &str) -> Vec<LabNode> {
        self.lab
            .tenant(account, region)
            .map(|t| t.nodes.read().expect("nodes lock").clone())
            .unwrap_or_default()
    }

    /// Stops the server and every running command, and waits for it to finish.
    pub async fn shutdown(mut self) {
        for t in &self.lab.tenants {
            t.stop_commands();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LabHandle {
    fn drop(&mut self) {
        for t in &self.lab.tenants {
            t.stop_commands();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A fresh long-term key pair (`AKIALAB…`, 40-character secret).
fn new_keys(rng: &mut ChaCha8Rng) -> LabCredentials {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let access_key_id = format!(
        "AKIALAB{}",
        (0..13)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
            .collect::<String>()
    );
    let secret_access_key: String = (0..40)
        .map(|_| {
            let c = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            c[rng.random_range(0..c.len())] as char
        })
        .collect();
    LabCredentials {
        access_key_id,
        secret_access_key,
    }
}

/// What a tenant is built from besides its fleet spec.
struct Tenant<'a> {
    account: &'a str,
    region: &'a str,
    /// Place in the grid (0: the first tenant, today's lab).
    k: usize,
    addr: SocketAddr,
    faults: &'a Faults,
    token_key: u64,
    /// See [`LabConfig::start_before_window_s`].
    first_window_in_s: Option<u64>,
    /// See [`LabConfig::change_calendars`].
    change_calendars: bool,
    /// See [`LabConfig::history_commands`].
    history_commands: bool,
}

/// Builds one tenant's state: its fleet (node ids made unique against
/// `seen`), OpsItems, parameters and empty command, log and session stores.
fn new_tenant(
    t: &Tenant<'_>,
    spec: &FleetSpec,
    now: i64,
    seen: &mut std::collections::HashSet<String>,
) -> LabState {
    // Times relative to the real clock: Online nodes pinged minutes ago.
    let mut nodes = spec.generate_at(now);
    tenancy::unique_ids(&mut nodes, seen, spec.seed);
    let activations =
        hybrid::ActivationStore::seed(&mut nodes, now, &format!("{}/{}", t.account, t.region));
    let salt = if t.k == 0 { 0 } else { spec.seed };
    let mut ops = opscenter::OpsStore::for_tenant(t.account, t.region, salt);
    ops.seed(spec.seed, spec.ops_items, &nodes, now as f64);
    let mut params = params::ParamStore::for_tenant(t.account, t.region);
    params.seed(spec.parameters());
    let mut maintenance = maintenance::MaintenanceStore::for_tenant(t.account, t.region);
    maintenance.seed(now as f64, t.first_window_in_s);
    let mut history = commands::CommandStore::tagged(if t.k == 0 {
        String::new()
    } else {
        format!("l{:03x}", t.k)
    });
    if t.history_commands {
        maintenance.link_history(&nodes, &mut history, t.account);
    }
    let mut associations = associations::AssociationStore::for_tenant(t.account, t.region);
    associations::seed::seed(
        &mut associations,
        &mut history,
        &nodes,
        now as f64,
        t.history_commands,
    );
    let mut calendars = calendar::CalendarStore::default();
    if t.change_calendars {
        calendars.seed(now as f64);
    }
    let automation = automation::AutomationStore::for_tenant(
        t.account,
        t.region,
        now as f64,
        automation::DEFAULT_STEP_MS,
        automation::DEFAULT_RUNNING_LIMIT,
    );
    let dir = if t.k == 0 {
        format!("ssmdeck-lab-{}-{}", std::process::id(), t.addr.port())
    } else {
        format!(
            "ssmdeck-lab-{}-{}-{}-{}",
            std::process::id(),
            t.addr.port(),
            t.account,
            t.region
        )
    };
    LabState {
        account: t.account.to_owned(),
        nodes: RwLock::new(nodes),
        ops: Mutex::new(ops),
        sessions: Mutex::new(sessions::SessionStore::default()),
        addr: t.addr,
        params: Mutex::new(params),
        faults: RwLock::new(t.faults.clone()),
        calls: Mutex::new(BTreeMap::new()),
        rng: Mutex::new(ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5eed)),
        token_key: t.token_key,
        region: t.region.to_owned(),
        commands: Mutex::new(history),
        logs: Mutex::new(logs::LogStore::default()),
        s3: Mutex::new(s3::S3Store::default()),
        patches: Mutex::new(patch::PatchStore::default()),
        compliance: Mutex::new(compliance::ComplianceStore::default()),
        activations: Mutex::new(activations),
        inventory: Mutex::new(inventory::InventoryCache::default()),
        maintenance: Mutex::new(maintenance),
        calendars: Mutex::new(calendars),
        automation: Mutex::new(automation),
        associations: Mutex::new(associations),
        tasks: Mutex::new(Vec::new()),
        process_groups: Mutex::new(std::collections::HashSet::new()),
        work_dir: std::env::temp_dir().join(dir),
    }
}

/// `GET /v1/data-channel/{id}`: the websocket of a session, served by the
/// tenant that started it.
async fn data_channel(
    ws: axum::extract::WebSocketUpgrade,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::ConnectInfo(knob): axum::extract::ConnectInfo<serve::IdleKnob>,
    State(lab): State<Arc<Lab>>,
) -> Response {
    knob.set(lab.websocket_idle);
    let tenant = lab
        .tenants
        .iter()
        .find(|t| t.sessions.lock().expect("sessions lock").contains(&id))
        .unwrap_or_else(|| lab.first())
        .clone();
    ws.on_upgrade(move |socket| sessions::serve(tenant, id, socket))
}

/// Starts the lab on 127.0.0.1 and returns once it accepts connections.
///
/// # Errors
/// [`LabError::Bind`] when the port is taken.
pub async fn start(config: LabConfig) -> Result<LabHandle, LabError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|source| LabError::Bind {
            port: config.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| LabError::Bind {
        port: config.port,
        source,
    })?;
    let mut key_rng = ChaCha8Rng::from_os_rng();
    let accounts = if config.accounts.is_empty() {
        vec![LAB_ACCOUNT.to_owned()]
    } else {
        config.accounts.clone()
    };
    let any_region = config.regions.is_empty();
    let regions = if any_region {
        vec![config.region.clone()]
    } else {
        config.regions.clone()
    };
    let keys: Vec<LabCredentials> = accounts.iter().map(|_| new_keys(&mut key_rng)).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut seen = std::collections::HashSet::new();
    let mut tenants = Vec::with_capacity(accounts.len() * regions.len());
    for account in &accounts {
        for region in &regions {
            let k = tenants.len();
            let mut spec = tenancy::tenant_spec(&config.fleet, k);
            spec.availability_zones = tenancy::zones_in(&spec.availability_zones, region);
            let t = Tenant {
                account,
                region,
                k,
                addr,
                faults: &config.faults,
                token_key: key_rng.random(),
                first_window_in_s: config.start_before_window_s,
                change_calendars: config.change_calendars,
                history_commands: config.history_commands,
            };
            let tenant = Arc::new(new_tenant(&t, &spec, now, &mut seen));
            maintenance::spawn_scheduler(&tenant);
            associations::spawn_scheduler(&tenant);
            tenants.push(tenant);
        }
    }
    let lab = Arc::new(Lab {
        tenants,
        accounts,
        regions,
        keys,
        any_region,
        roles: sts::RoleSessions::default(),
        websocket_idle: config.websocket_idle_timeout,
        global_faults: RwLock::new(config.faults),
        context_faults: RwLock::new(BTreeMap::new()),
    });
    let app = Router::new()
        .route("/v1/data-channel/{id}", axum::routing::get(data_channel))
        .fallback(handle)
        .with_state(lab.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let listener = serve::IdleListener::new(listener, config.http_idle_timeout);
        let app = app.into_make_service_with_connect_info::<serve::IdleKnob>();
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    Ok(LabHandle {
        addr,
        lab,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// Checks a request's signature against the keys of the account its access
/// key belongs to, and picks its tenant: that account in the credential
/// scope's region. STS is also answered for `us-east-1` (its global
/// endpoint) in the account's first region, and a lab without a region grid
/// answers every region in its one region. Errors are the responses AWS gives.
fn authenticate(
    lab: &Lab,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    json: bool,
) -> Result<(Arc<LabState>, Service, sts::Caller), Box<Response>> {
    // Route by credential scope; an unsigned request is answered in the
    // protocol its shape suggests (JSON when it carries X-Amz-Target).
    let uri_text = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let parsed = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| auth::parse_authorization(v).ok());
    let key = parsed.as_ref().map_or("", |a| a.access_key.as_str());
    let signer = lab.signer(key, headers);
    let verified = auth::verify(
        method.as_str(),
        &uri_text,
        headers,
        body,
        &signer.keys.access_key_id,
        &signer.keys.secret_access_key,
    );
    let account = signer.account.as_str();
    let service = match (&verified, &parsed) {
        (Ok(a), _) | (Err(_), Some(a)) => Service::from_scope(&a.service),
        (Err(_), None) if json => Service::Ssm,
        (Err(_), None) => Service::Sts,
    };
    let auth = verified.map_err(|e| Box::new(refusal(service, &e)))?;
    if service == Service::Other {
        return Err(Box::new(protocol::unknown_service(&auth.service, json)));
    }
    if signer.expired {
        return Err(Box::new(protocol::expired_token(service)));
    }
    let tenant = lab.tenant(account, &auth.region).or_else(|| {
        let global = matches!(
            service,
            Service::Sts | Service::Organizations | Service::Iam
        );
        (lab.any_region || (global && auth.region == "us-east-1"))
            .then(|| lab.tenant(account, &lab.regions[0]))
            .flatten()
    });
    match tenant {
        Some(t) => Ok((t.clone(), service, signer.caller)),
        None => Err(Box::new(protocol::region_not_enabled(service))),
    }
}

async fn handle(
    State(lab): State<Arc<Lab>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (state, service, caller) =
        match authenticate(&lab, &method, &uri, &headers, &body, target.is_some()) {
            Ok(x) => x,
            Err(resp) => return *resp,
        };
    if service == Service::S3 {
        return serve_s3(&state, &method, &uri, &headers).await;
    }
    let request = match protocol::LabRequest::parse(service, target.as_deref(), uri.query(), &body)
    {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    let key = format!("{}:{}", service.scope_name(), request.action);
    *state
        .calls
        .lock()
        .expect("calls lock")
        .entry(key.clone())
        .or_default() += 1;
    let latency = state.faults.read().expect("faults lock").latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    // The other knobs as they are once the latency has passed: a call in
    // flight when a test turns throttling on is throttled, as a call
    // reaching a busy service would be.
    let faults = state.faults.read().expect("faults lock").clone();
    if Faults::matches(&faults.unsupported, service.scope_name(), &request.action) {
        return protocol::unsupported_response(&request.action);
    }
    if Faults::matches(&faults.deny, service.scope_name(), &request.action) {
        return protocol::access_denied(service, &request.action, &state.caller_arn());
    }
    let shares = faults.shares_only.is_empty()
        || Faults::matches(&faults.shares_only, service.scope_name(), &request.action);
    let (throttle, server_error, page_seed, fail_after) = {
        let mut rng = state.rng.lock().expect("rng lock");
        let mut roll = |share: f64| shares && share > 0.0 && rng.random_bool(share.min(1.0));
        let throttle = roll(faults.throttle_share);
        let server_error = roll(faults.server_error_share);
        let fail_after = roll(faults.fail_after_share);
        (throttle, server_error, rng.random::<u64>(), fail_after)
    };
    if throttle {
        return protocol::throttled(service);
    }
    if server_error {
        return protocol::server_error(service);
    }
    let scope = paging::Scope {
        binding: if request.form.is_empty() {
            paging::json_binding(&request.json)
        } else {
            paging::form_binding(&request.form)
        },
        op: key,
        key: state.token_key,
        short_pages: faults.short_pages,
        seed: page_seed,
    };
    if service == Service::Sts && request.action == "AssumeRole" {
        return sts::assume_role(&lab.roles, &lab.accounts, &caller, &request);
    }
    if service == Service::Organizations {
        return paging::scoped(scope, || {
            organizations::dispatch(&lab.accounts, &state.account, &request)
        });
    }
    if service == Service::Iam {
        return iam::dispatch(&lab.accounts, &state.account, &request);
    }
    if service == Service::Ssm && explorer::handles(&request.action) {
        return paging::scoped(scope, || explorer::dispatch(&lab, &state, &request));
    }
    let handled = paging::scoped(scope, || dispatch(&state, service, &request, &caller));
    if fail_after && handled.status().is_success() {
        // Done, then lost on the way back.
        return protocol::server_error(service);
    }
    handled
}

/// An S3 request of a tenant: counted (`s3:<Operation>`), delayed by the
/// latency knob, refused by the deny knob, then answered from the
/// tenant's buckets (see [`s3`]).
async fn serve_s3(state: &LabState, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let op = s3::operation(method, uri);
    *state
        .calls
        .lock()
        .expect("calls lock")
        .entry(format!("s3:{op}"))
        .or_default() += 1;
    let latency = state.faults.read().expect("faults lock").latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let faults = state.faults.read().expect("faults lock").clone();
    if Faults::matches(&faults.deny, "s3", op) {
        return protocol::access_denied(Service::S3, op, &state.caller_arn());
    }
    s3::serve(
        &mut state.s3.lock().expect("s3 lock"),
        &state.region,
        &state.account,
        method,
        uri,
        headers,
    )
}

/// The answer to a request whose signature is refused, in the service's
/// protocol. A signature whose X-Amz-Date is more than 5 minutes off the
/// lab's clock is refused as each service refuses it: JSON services
/// `InvalidSignatureException` (HTTP 400, "Signature expired: …"), EC2
/// `RequestExpired` (400, "Request has expired."), STS
/// `SignatureDoesNotMatch` (403, "Signature expired: …").
fn refusal(service: Service, e: &auth::AuthError) -> Response {
    if e.is_clock_skew() {
        return match service {
            Service::Ec2 => error_response(service, 400, "RequestExpired", "Request has expired."),
            Service::Sts | Service::Iam => {
                error_response(service, 403, "SignatureDoesNotMatch", &e.to_string())
            }
            _ => error_response(service, 400, "InvalidSignatureException", &e.to_string()),
        };
    }
    let status = if matches!(e, auth::AuthError::Missing) && service == Service::Ssm {
        400
    } else {
        403
    };
    error_response(service, status, e.code(), &e.to_string())
}

/// Answers a parsed, authorised request (synchronously: list calls read
/// their paging scope from [`paging::scoped`]).
fn dispatch(
    state: &Arc<LabState>,
    service: Service,
    request: &protocol::LabRequest,
    caller: &sts::Caller,
) -> Response {
    match service {
        Service::Ssm => ssm::dispatch(state, request),
        Service::Logs => {
            let r = state
                .logs
                .lock()
                .expect("logs lock")
                .handle(&request.action, &request.json);
            match r {
                Some(Ok(v)) => protocol::json_response(&v),
                Some(Err(e)) => error_response(service, 400, e.code, &e.message),
                None => protocol::unknown_action(service, &request.action),
            }
        }
        Service::Ec2 => ec2::dispatch(state, request),
        Service::Sts => sts::dispatch(&state.account, caller, request),
        Service::Organizations | Service::S3 | Service::Iam => {
            protocol::unknown_action(service, &request.action)
        }
        Service::Other => protocol::unknown_service("other", true),
    }
}
