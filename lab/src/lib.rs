//! `ssmdeck-lab`: an SSM-compatible endpoint on loopback with a simulated fleet.
//!
//! One HTTP endpoint serves SSM (JSON 1.1, `X-Amz-Target: AmazonSSM.<Action>`),
//! EC2 (query protocol, XML) and STS (query protocol, XML). The service is chosen
//! from the SigV4 credential scope, as AWS and moto do. Every request must be
//! signed with the key pair the lab generated at start ([`LabHandle::credentials`]).
//!
//! The lab binds to 127.0.0.1 only.

pub mod auth;
mod commands;
mod ec2;
pub mod fleet;
mod logs;
pub mod opscenter;
mod paging;
pub mod params;
mod protocol;
mod sessions;
mod ssm;
mod sts;
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

pub use fleet::{FleetSpec, LabNode, PingStatus};
use protocol::{Service, error_response};

/// Fault knobs applied to every call before it is handled.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Added latency per call, milliseconds.
    pub latency_ms: u64,
    /// Share of calls answered with the service's throttling error
    /// (SSM `ThrottlingException`, EC2 `RequestLimitExceeded`, STS `Throttling`), 0.0 … 1.0.
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
    /// connection at a time, closed by the client's DisconnectToPort flag.
    pub session_legacy_port: bool,
    /// Session Manager data channel: each websocket is closed after it has
    /// been open this long, milliseconds (0: never), as a flaky network
    /// drops it; the session lives on and the client resumes it.
    pub session_drop_every_ms: u64,
    /// Share of list pages cut short, 0.0 … 1.0: fewer items than
    /// MaxResults (half of them none) with a NextToken, and at the end
    /// possibly a NextToken whose page is empty, as AWS documents it may.
    pub short_pages: f64,
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
    /// Fault knobs at start; change them later with [`LabHandle::set_faults`].
    pub faults: Faults,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            port: 0,
            fleet: FleetSpec::demo(),
            region: "us-east-1".into(),
            faults: Faults::default(),
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

pub(crate) struct LabState {
    pub(crate) nodes: RwLock<Vec<LabNode>>,
    pub(crate) params: Mutex<params::ParamStore>,
    pub(crate) ops: Mutex<opscenter::OpsStore>,
    pub(crate) sessions: Mutex<sessions::SessionStore>,
    /// Where the lab listens (StreamUrl of sessions points here).
    pub(crate) addr: SocketAddr,
    pub(crate) faults: RwLock<Faults>,
    pub(crate) calls: Mutex<BTreeMap<String, u64>>,
    pub(crate) rng: Mutex<ChaCha8Rng>,
    pub(crate) credentials: LabCredentials,
    /// Key of the list tokens' checksum (drawn at start).
    pub(crate) token_key: u64,
    pub(crate) region: String,
    pub(crate) commands: Mutex<commands::CommandStore>,
    pub(crate) logs: Mutex<logs::LogStore>,
    /// Command runners; aborted (their processes killed) on shutdown.
    pub(crate) tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Per-node working directories live under here (removed on shutdown).
    pub(crate) work_dir: std::path::PathBuf,
    /// Process groups of running commands (killed on shutdown).
    pub(crate) process_groups: Mutex<std::collections::HashSet<i32>>,
}

impl LabState {
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

/// A running lab. Dropping it (or [`LabHandle::shutdown`]) stops the server.
pub struct LabHandle {
    addr: SocketAddr,
    state: Arc<LabState>,
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

    /// The key pair clients must sign with.
    pub fn credentials(&self) -> &LabCredentials {
        &self.state.credentials
    }

    /// The lab's region.
    pub fn region(&self) -> &str {
        &self.state.region
    }

    /// Shell lines that point an AWS client at this lab.
    pub fn env_lines(&self) -> [String; 4] {
        [
            format!("export AWS_ENDPOINT_URL={}", self.endpoint_url()),
            format!(
                "export AWS_ACCESS_KEY_ID={}",
                self.state.credentials.access_key_id
            ),
            format!(
                "export AWS_SECRET_ACCESS_KEY={}",
                self.state.credentials.secret_access_key
            ),
            format!("export AWS_REGION={}", self.state.region),
        ]
    }

    /// Replaces the fault knobs for the calls that follow.
    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.write().expect("faults lock") = faults;
    }

    /// Calls served so far by `service:Action` (`ssm:DescribeInstanceInformation`),
    /// including those answered with an injected fault.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state.calls.lock().expect("calls lock").clone()
    }

    /// Resets the call counters.
    pub fn reset_calls(&self) {
        self.state.calls.lock().expect("calls lock").clear();
    }

    /// Closes every open Session Manager data channel websocket; the shells
    /// keep running and their output waits for ResumeSession (fault knob).
    pub fn drop_session_connections(&self) {
        self.state
            .sessions
            .lock()
            .expect("sessions lock")
            .drop_connections();
    }

    /// A copy of the simulated nodes, ordered by id.
    pub fn nodes(&self) -> Vec<LabNode> {
        self.state.nodes.read().expect("nodes lock").clone()
    }

    /// Stops the server and every running command, and waits for it to finish.
    pub async fn shutdown(mut self) {
        self.state.stop_commands();
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
        self.state.stop_commands();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
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
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let access_key_id = format!(
        "AKIALAB{}",
        (0..13)
            .map(|_| alphabet[key_rng.random_range(0..alphabet.len())] as char)
            .collect::<String>()
    );
    let secret_access_key: String = (0..40)
        .map(|_| {
            let c = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            c[key_rng.random_range(0..c.len())] as char
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Times relative to the real clock: Online nodes pinged minutes ago.
    let nodes = config.fleet.generate_at(now);
    let ops = {
        let mut store = opscenter::OpsStore::new(&config.region);
        store.seed(
            config.fleet.seed,
            config.fleet.ops_items,
            &nodes,
            now as f64,
        );
        store
    };
    let state = Arc::new(LabState {
        nodes: RwLock::new(nodes),
        ops: Mutex::new(ops),
        sessions: Mutex::new(sessions::SessionStore::default()),
        addr,
        params: Mutex::new({
            let mut store = params::ParamStore::new(&config.region);
            store.seed(config.fleet.parameters());
            store
        }),
        faults: RwLock::new(config.faults),
        calls: Mutex::new(BTreeMap::new()),
        rng: Mutex::new(ChaCha8Rng::seed_from_u64(config.fleet.seed ^ 0x5eed)),
        credentials: LabCredentials {
            access_key_id,
            secret_access_key,
        },
        token_key: key_rng.random(),
        region: config.region,
        commands: Mutex::new(commands::CommandStore::default()),
        logs: Mutex::new(logs::LogStore::default()),
        tasks: Mutex::new(Vec::new()),
        process_groups: Mutex::new(std::collections::HashSet::new()),
        work_dir: std::env::temp_dir().join(format!(
            "ssmdeck-lab-{}-{}",
            std::process::id(),
            addr.port()
        )),
    });
    let app = Router::new()
        .route(
            "/v1/data-channel/{id}",
            axum::routing::get(sessions::data_channel),
        )
        .fallback(handle)
        .with_state(state.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        use axum::serve::ListenerExt;
        // Small frames (keystrokes, acknowledgements) must not wait for Nagle.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    Ok(LabHandle {
        addr,
        state,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

async fn handle(
    State(state): State<Arc<LabState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Route by credential scope; an unsigned request is answered in the
    // protocol its shape suggests (JSON when it carries X-Amz-Target).
    let uri_text = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let verified = auth::verify(
        method.as_str(),
        &uri_text,
        &headers,
        &body,
        &state.credentials.access_key_id,
        &state.credentials.secret_access_key,
    );
    let service = match &verified {
        Ok(a) => Service::from_scope(&a.service),
        Err(_) => headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| auth::parse_authorization(v).ok())
            .map(|a| Service::from_scope(&a.service))
            .unwrap_or(if target.is_some() {
                Service::Ssm
            } else {
                Service::Sts
            }),
    };
    let auth = match verified {
        Ok(a) => a,
        Err(e) => return refusal(service, &e),
    };
    if service == Service::Other {
        return protocol::unknown_service(&auth.service, target.is_some());
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
    let faults = state.faults.read().expect("faults lock").clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if Faults::matches(&faults.unsupported, service.scope_name(), &request.action) {
        return protocol::unsupported_response(&request.action);
    }
    if Faults::matches(&faults.deny, service.scope_name(), &request.action) {
        return protocol::access_denied(service, &request.action);
    }
    let (throttle, server_error, page_seed) = {
        let mut rng = state.rng.lock().expect("rng lock");
        (
            faults.throttle_share > 0.0 && rng.random_bool(faults.throttle_share.min(1.0)),
            faults.server_error_share > 0.0 && rng.random_bool(faults.server_error_share.min(1.0)),
            rng.random::<u64>(),
        )
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
    paging::scoped(scope, || dispatch(&state, service, &request))
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
            Service::Sts => error_response(service, 403, "SignatureDoesNotMatch", &e.to_string()),
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
fn dispatch(state: &Arc<LabState>, service: Service, request: &protocol::LabRequest) -> Response {
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
        Service::Sts => sts::dispatch(state, request),
        Service::Other => protocol::unknown_service("other", true),
    }
}
