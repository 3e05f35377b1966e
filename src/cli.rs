//! Command line: `ssmdeck`, `ssmdeck demo`, `ssmdeck lab serve`,
//! `ssmdeck completions SHELL`, `ssmdeck man`, `--check-config`.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig};

use crate::aws::ConnectOptions;
use crate::aws::contexts::{ContextSet, ContextSpec, pairs, role_arn, split_list};
use crate::config::{Settings, config_dir};

/// A terminal operations console for AWS Systems Manager.
#[derive(Debug, Parser)]
#[command(name = "ssmdeck", version, about)]
pub struct Cli {
    /// AWS profile from the shared config files (default: AWS_PROFILE, then
    /// `default`); several, comma-separated (`a,b`), work across every
    /// profile × region pair.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region, e.g. eu-west-1 (default: AWS_REGION, then the profile's
    /// region); several, comma-separated (`eu-west-1,us-east-1`).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// A named context set from config.toml (`[contexts.NAME]`).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "profile")]
    pub contexts: Option<String>,
    /// Every ACTIVE account of the organization (Organizations ListAccounts,
    /// from the management or a delegated administrator account) × every
    /// `--region`, assuming ROLE (a role name or an ARN template with
    /// `{account}`) in each account but the caller's own.
    #[arg(long, global = true, value_name = "ROLE", conflicts_with = "contexts")]
    pub org: Option<String>,
    /// Send every call to this endpoint (an SSM-compatible lab, LocalStack, moto).
    /// Without it the SDK honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Configuration directory (default: $SSMDECK_CONFIG_DIR, else $XDG_CONFIG_HOME/ssmdeck).
    #[arg(long, global = true)]
    pub config_dir: Option<std::path::PathBuf>,
    /// Validate config.toml, keymap.toml and the theme, print every problem, and exit.
    #[arg(long)]
    pub check_config: bool,
    /// Disable every action that changes something in AWS (send command,
    /// put/delete parameter, update/create OpsItem); each says why.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Turn mouse support off (it is on unless `mouse = false` in config.toml).
    #[arg(long, global = true)]
    pub no_mouse: bool,
    /// Run Session Manager sessions through the official session-manager-plugin
    /// (on PATH) in a terminal inside the tab, instead of the native client.
    #[arg(long, global = true)]
    pub session_plugin: bool,
    /// Measurement aid: draw the first frame, restore the terminal, print the
    /// milliseconds since process start to stderr, and exit.
    #[arg(long, hide = true, global = true)]
    pub first_frame_exit: bool,
    /// What to run (default: the console).
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start the lab in-process and open the console on it.
    Demo(DemoArgs),
    /// The SSM-compatible lab endpoint.
    Lab {
        /// Lab subcommand.
        #[command(subcommand)]
        command: LabCmd,
    },
    /// Print a shell completion script: `ssmdeck completions bash > /etc/bash_completion.d/ssmdeck`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `ssmdeck man > ssmdeck.1`.
    Man,
}

/// `ssmdeck demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Fleet preset (demo, large, small) or a TOML fleet spec file.
    #[arg(long, default_value = "demo")]
    pub fleet: String,
    /// Added latency per lab call, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Accounts in the lab (1–50): the console works across all of them,
    /// assuming the role `ssmdeck-demo` in every account but the first.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub accounts: u16,
    /// Regions in the lab (1–8): us-east-1, eu-west-1, ap-southeast-2, …
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub regions: u16,
    /// The seeded maintenance window `canary-check` first opens this many
    /// seconds after start (default 120: watch it fire in the
    /// Maintenance pane).
    #[arg(long, default_value_t = 120, value_name = "S")]
    pub window_opens_in_secs: u64,
}

/// The regions `ssmdeck demo --regions N` uses, the first `N` of these.
pub const DEMO_REGIONS: [&str; 8] = [
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];

/// `ssmdeck lab …`.
#[derive(Debug, Subcommand)]
pub enum LabCmd {
    /// Serve the lab on 127.0.0.1 until interrupted; prints the environment to use it.
    Serve(Box<ServeArgs>),
}

/// `ssmdeck lab serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Fleet preset (demo, large, small) or a TOML fleet spec file.
    #[arg(long, default_value = "demo")]
    pub fleet: String,
    /// Added latency per call, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of calls answered with a throttling error (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    pub throttle_share: f64,
    /// Share of calls answered with HTTP 500 (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    pub server_error_share: f64,
    /// Refuse calls as access denied: `ec2:DescribeInstances`, `ec2:*` (repeatable).
    #[arg(long)]
    pub deny: Vec<String>,
    /// Answer calls as a partial emulator does, HTTP 500 (repeatable, same syntax as --deny).
    #[arg(long)]
    pub unsupported: Vec<String>,
    /// Session data channel: delay every frame to the client, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub session_delay_ms: u64,
    /// Session data channel: send frames to the client in swapped pairs.
    #[arg(long)]
    pub session_reorder: bool,
    /// Session data channel: close each websocket after it has been open
    /// this long, milliseconds (0: never); clients must ResumeSession.
    #[arg(long, default_value_t = 0)]
    pub session_drop_every_ms: u64,
    /// Port sessions behave as an agent before 3.0.196.0 (no smux, one
    /// connection at a time, agent version 3.0.161.0 in the handshake).
    #[arg(long)]
    pub session_old_agent: bool,
    /// Share of list pages cut short or empty, still with a NextToken,
    /// as AWS may (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    pub short_pages: f64,
    /// Share of calls handled in full and then answered HTTP 500
    /// InternalServerError (0.0–1.0): a retried SendCommand runs twice.
    #[arg(long, default_value_t = 0.0)]
    pub fail_after_share: f64,
    /// Apply the shares (throttle, server error, fail after) only to these
    /// calls: `ssm:SendCommand`, `ssm:*` (repeatable; default every call).
    #[arg(long, value_name = "SERVICE:ACTION")]
    pub shares_only: Vec<String>,
    /// Write the four `export` lines to this file (created 0600, replaced
    /// whole once the lab listens) instead of standard output: they hold
    /// the lab's secret key.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<std::path::PathBuf>,
    /// Number of accounts the lab serves (1 … 1000): the management account
    /// 123456789012, then synthetic 12-digit ids, each with its own keys.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub accounts: usize,
    /// Regions the lab serves, comma-separated (`us-east-1,eu-west-1`):
    /// every (account, region) is a tenant with its own fleet; calls signed
    /// for another region are refused. Default: us-east-1 alone, which
    /// answers calls signed for any region (the single-tenant lab).
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub regions: Vec<String>,
    /// Write DIR/config and DIR/credentials (0600, replaced whole): one AWS
    /// profile per account, `lab-0` (management) … `lab-<N-1>`, with the
    /// account's keys and the first region; use them with
    /// AWS_CONFIG_FILE=DIR/config AWS_SHARED_CREDENTIALS_FILE=DIR/credentials.
    #[arg(long, value_name = "DIR")]
    pub aws_config_dir: Option<std::path::PathBuf>,
    /// Close an HTTP connection idle (no byte either way) this long, seconds.
    #[arg(long, default_value_t = ssmdeck_lab::serve::HTTP_IDLE_TIMEOUT_S, value_name = "S",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub http_idle_timeout_secs: u64,
    /// Close a session's websocket idle this long, seconds (Session
    /// Manager's default idle session timeout is 20 minutes).
    #[arg(long, default_value_t = ssmdeck_lab::serve::WEBSOCKET_IDLE_TIMEOUT_S, value_name = "S",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub websocket_idle_timeout_secs: u64,
    /// The seeded maintenance window `canary-check` first opens this many
    /// seconds after start (default 1,800), then runs its RUN_COMMAND task
    /// on the dev web nodes: a window to watch fire.
    #[arg(long, value_name = "S")]
    pub window_opens_in_secs: Option<u64>,
}

impl ServeArgs {
    /// The fault knobs these options ask for.
    ///
    /// # Errors
    /// A share outside 0.0–1.0, named by its option.
    pub fn faults(&self) -> Result<Faults, String> {
        Ok(Faults {
            latency_ms: self.latency_ms,
            throttle_share: share("throttle-share", self.throttle_share)?,
            server_error_share: share("server-error-share", self.server_error_share)?,
            deny: self.deny.clone(),
            unsupported: self.unsupported.clone(),
            session_delay_ms: self.session_delay_ms,
            session_reorder: self.session_reorder,
            session_drop_every_ms: self.session_drop_every_ms,
            session_legacy_port: self.session_old_agent,
            short_pages: share("short-pages", self.short_pages)?,
            fail_after_share: share("fail-after-share", self.fail_after_share)?,
            shares_only: self.shares_only.clone(),
        })
    }
}

impl ServeArgs {
    /// The lab's accounts and regions from `--accounts` and `--regions`, as
    /// [`LabConfig::accounts`] and [`LabConfig::regions`] take them: empty
    /// lists for the defaults (today's single tenant).
    ///
    /// # Errors
    /// `--accounts` outside 1 … 1000, or a region that is not a region name
    /// (`xx-name-N`, lower case) or is given twice.
    pub fn tenancy(&self) -> Result<(Vec<String>, Vec<String>), String> {
        if !(1..=1000).contains(&self.accounts) {
            return Err(format!(
                "--accounts {} must be between 1 and 1000",
                self.accounts
            ));
        }
        let accounts = if self.accounts == 1 {
            Vec::new()
        } else {
            ssmdeck_lab::tenancy::synthetic_accounts(self.accounts)
        };
        let name = regex::Regex::new("^[a-z]{2}(-[a-z]+)+-[0-9]+$").expect("region pattern");
        let mut regions: Vec<String> = Vec::new();
        for r in &self.regions {
            let r = r.trim();
            if !name.is_match(r) {
                return Err(format!(
                    "--regions: '{r}' is not a region name (like us-east-1)"
                ));
            }
            if regions.iter().any(|x| x == r) {
                return Err(format!("--regions: {r} is given twice"));
            }
            regions.push(r.to_owned());
        }
        Ok((accounts, regions))
    }
}

fn share(name: &str, v: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("--{name} {v} must be between 0.0 and 1.0"))
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let _ = crate::runtime::PROCESS_START.set(std::time::Instant::now());
    let cli = Cli::parse();
    init_logging();
    let dir = cli.config_dir.clone().or_else(config_dir);
    if cli.check_config {
        return check_config(dir.as_deref());
    }
    match &cli.command {
        Some(Cmd::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "ssmdeck",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Some(Cmd::Man) => {
            use clap::CommandFactory;
            let page = clap_mangen::Man::new(Cli::command());
            return match page.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ssmdeck: cannot write the man page: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ssmdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Cmd::Lab {
                command: LabCmd::Serve(args),
            }) => serve(*args).await,
            Some(Cmd::Demo(ref args)) => demo(&cli, args, dir.as_deref()).await,
            Some(Cmd::Completions { .. } | Cmd::Man) => Ok(()),
            None => console(&cli, dir.as_deref()).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssmdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check_config(dir: Option<&std::path::Path>) -> ExitCode {
    let s = Settings::load(dir);
    let where_ = dir.map_or("(no config directory)".into(), |d| d.display().to_string());
    if let Some(why) = &s.read_only {
        println!("read-only: {why}");
        eprintln!("read-only: {why}");
    }
    if s.problems.is_empty() {
        println!("config OK: {where_} (theme {})", s.theme.name);
        ExitCode::SUCCESS
    } else {
        for p in &s.problems {
            eprintln!("{p}");
        }
        eprintln!(
            "{} problem(s) in {where_}; the console skips the invalid entries and uses the rest",
            s.problems.len()
        );
        ExitCode::from(1)
    }
}

/// Crates whose trace and debug output carries request and response
/// bodies, headers or websocket frames (session tokens, session input
/// bytes, command text and output, SecureString values): capped at `info`
/// whatever `SSMDECK_LOG` asks for.
pub const WIRE_TARGETS: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_smithy_json",
    "aws_smithy_query",
    "aws_sigv4",
    "aws_config",
    "aws_runtime",
    "aws_sdk_ssm",
    "aws_sdk_ec2",
    "aws_sdk_sts",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tungstenite",
    "tokio_tungstenite",
];

/// The log filter for `SSMDECK_LOG=spec`: the user's directives, with
/// every crate of [`WIRE_TARGETS`] capped at `info` (their lower levels
/// log bodies and frames that hold secrets).
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::new(spec);
    for target in WIRE_TARGETS {
        if let Ok(d) = format!("{target}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// The log file: `ssmdeck.log` in the data directory (`SSMDECK_DATA_DIR`
/// or the platform's), created with mode 0600 (and set to 0600 if it was
/// there with a wider mode).
///
/// # Errors
/// No data directory, or it cannot be created or the file opened.
pub fn open_log_file() -> std::io::Result<std::fs::File> {
    let dir = crate::audit::data_dir().ok_or_else(|| std::io::Error::other("no data directory"))?;
    std::fs::create_dir_all(&dir)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(dir.join("ssmdeck.log"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn init_logging() {
    // Logs go to a file only when asked for (SSMDECK_LOG=debug): the console
    // owns the terminal. Wire-level crates stay at info (see log_filter).
    let Ok(spec) = std::env::var("SSMDECK_LOG") else {
        return;
    };
    let Ok(file) = open_log_file() else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter(&spec))
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

async fn console(cli: &Cli, dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let opts = ConnectOptions {
        endpoint_url: cli.endpoint_url.clone(),
        ..Default::default()
    };
    let settings = Settings::load_for(dir, None);
    let specs = match &cli.org {
        Some(role) => {
            let profiles = cli.profile.as_deref().map(split_list).unwrap_or_default();
            let regions = cli.region.as_deref().map(split_list).unwrap_or_default();
            org_specs(&opts, &profiles, &regions, role).await?
        }
        None => context_specs(cli, &settings)?,
    };
    run(opts, specs, dir, cli).await
}

/// `--org ROLE`: the organization's ACTIVE accounts, listed with the first
/// profile in the first region, × every region (the first profile's own
/// region when none is named); ROLE is assumed in every account but the
/// caller's own, which keeps the profile's credentials.
///
/// # Errors
/// No credentials, or the accounts cannot be listed (not the management
/// account nor a delegated administrator): the message says which account
/// asked and what to do.
pub async fn org_specs(
    base: &ConnectOptions,
    profiles: &[String],
    regions: &[String],
    role: &str,
) -> anyhow::Result<Vec<ContextSpec>> {
    let first = pairs(
        &profiles[..profiles.len().min(1)],
        &regions[..regions.len().min(1)],
    );
    let home = ContextSet::connect(base, &first, None).await?;
    let ctx = home.primary();
    let me = ctx
        .caller_identity()
        .await
        .map_err(|e| anyhow::anyhow!("--org {role}: who am I (STS GetCallerIdentity): {e}"))?;
    let accounts = crate::aws::org::active_accounts(ctx).await.map_err(|e| {
        anyhow::anyhow!(
            "--org {role}: the organization's accounts cannot be listed from account {}: {e} (run from the management account or a delegated administrator for Organizations)",
            me.account
        )
    })?;
    let regions = if regions.is_empty() {
        vec![ctx.region.clone()]
    } else {
        regions.to_vec()
    };
    let mut specs = Vec::new();
    for a in &accounts {
        for region in &regions {
            specs.push(ContextSpec {
                profile: profiles.first().cloned(),
                region: Some(region.clone()),
                role_arn: (a.id != me.account).then(|| role_arn(role, &a.id)),
                account: Some(a.id.clone()),
                // AWS's text: never raw control characters.
                account_name: (!a.name.is_empty())
                    .then(|| crate::widgets::raw_json::sanitize(&a.name)),
            });
        }
    }
    Ok(specs)
}

/// The contexts the command line names: a `--contexts NAME` set from
/// config.toml, else every `--profile` × `--region` pair (one context
/// when neither lists several).
///
/// # Errors
/// An unknown set name (the known ones are listed), or a set that names
/// no account for its role.
pub fn context_specs(cli: &Cli, settings: &Settings) -> anyhow::Result<Vec<ContextSpec>> {
    let regions = cli.region.as_deref().map(split_list).unwrap_or_default();
    let Some(name) = &cli.contexts else {
        let profiles = cli.profile.as_deref().map(split_list).unwrap_or_default();
        return Ok(pairs(&profiles, &regions));
    };
    let Some(set) = settings.config.contexts.get(name) else {
        let known: Vec<&str> = settings
            .config
            .contexts
            .keys()
            .map(String::as_str)
            .collect();
        anyhow::bail!(
            "no context set '{name}' in config.toml: {} (add [contexts.{name}] with profiles and regions)",
            if known.is_empty() {
                "there is none".to_owned()
            } else {
                format!("known sets are {}", known.join(", "))
            }
        );
    };
    let regions = if regions.is_empty() {
        set.regions.clone()
    } else {
        regions
    };
    let Some(role) = &set.role else {
        return Ok(pairs(&set.profiles, &regions));
    };
    if set.accounts.is_empty() {
        anyhow::bail!(
            "[contexts.{name}] has a role but no accounts: add accounts = [\"123456789012\", …]"
        );
    }
    let base = set.profiles.first().cloned();
    let mut specs = Vec::new();
    for account in &set.accounts {
        for region in pairs(&[], &regions) {
            specs.push(ContextSpec {
                profile: base.clone(),
                region: region.region,
                role_arn: Some(role_arn(role, account)),
                account: Some(account.clone()),
                account_name: None,
            });
        }
    }
    Ok(specs)
}

/// Settings across the set ([`Settings::for_set`]: each context as its
/// profile says, the theme of the strictest), with the command line's
/// `--read-only` (the whole console), `--no-mouse` and `--session-plugin`
/// on top.
fn settings_for(set: &ContextSet, dir: Option<&std::path::Path>, cli: &Cli) -> Settings {
    let profiles: Vec<Option<String>> = set.labels().iter().map(|l| l.profile.clone()).collect();
    let mut settings = Settings::for_set(dir, &profiles);
    if cli.read_only {
        settings.read_only = Some("--read-only".into());
    }
    if cli.no_mouse {
        settings.mouse = false;
    }
    if cli.session_plugin {
        settings.session_plugin = Some("session-manager-plugin".into());
    }
    settings
}

async fn run(
    base: ConnectOptions,
    specs: Vec<ContextSpec>,
    dir: Option<&std::path::Path>,
    cli: &Cli,
) -> anyhow::Result<()> {
    let first_frame_exit = cli.first_frame_exit;
    // Notices from SDK retries flow into the same action channel as results.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let set =
        ContextSet::connect(&base, &specs, Some(crate::runtime::notice_sink(tx.clone()))).await?;
    // No profile named: the SDK uses `default`, and so do the per-profile settings.
    let settings = settings_for(&set, dir, cli);
    crate::runtime::run_console(set, settings, tx, rx, first_frame_exit).await
}

async fn demo(cli: &Cli, args: &DemoArgs, dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let fleet = FleetSpec::preset_or_file(&args.fleet)?;
    let several = args.accounts > 1 || args.regions > 1;
    let regions: Vec<String> = if several {
        DEMO_REGIONS[..usize::from(args.regions)]
            .iter()
            .map(|r| (*r).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let lab = ssmdeck_lab::start(LabConfig {
        fleet,
        faults: Faults {
            latency_ms: args.latency_ms,
            ..Faults::default()
        },
        accounts: if several {
            ssmdeck_lab::tenancy::synthetic_accounts(usize::from(args.accounts))
        } else {
            Vec::new()
        },
        regions: regions.clone(),
        start_before_window_s: Some(args.window_opens_in_secs),
        change_calendars: true,
        history_commands: true,
        ..LabConfig::default()
    })
    .await?;
    // Runbook steps at a pace a person can follow, and the last days'
    // executions (one waiting for approval).
    lab.set_automation_step_ms(2_000);
    lab.seed_automation_history();
    let opts = ConnectOptions {
        profile: None,
        region: Some(
            cli.region
                .clone()
                .unwrap_or_else(|| lab.region().to_owned()),
        ),
        endpoint_url: Some(lab.endpoint_url()),
        static_credentials: Some((
            lab.credentials().access_key_id.clone(),
            lab.credentials().secret_access_key.clone(),
        )),
        max_attempts: 0,
        timeouts: Default::default(),
        role_arn: None,
    };
    let specs = if several {
        demo_specs(&lab.accounts(), &regions)
    } else {
        vec![ContextSpec::default()]
    };
    let r = run(opts, specs, dir, cli).await;
    lab.shutdown().await;
    r
}

/// The demo's contexts: every account × region, the first account with
/// the lab's own keys, every other through STS AssumeRole of
/// `ssmdeck-demo` in it (as `[contexts.NAME] role = …` works on AWS).
pub fn demo_specs(accounts: &[String], regions: &[String]) -> Vec<ContextSpec> {
    let mut specs = Vec::new();
    for (k, account) in accounts.iter().enumerate() {
        for region in regions {
            specs.push(ContextSpec {
                region: Some(region.clone()),
                role_arn: (k > 0).then(|| role_arn("ssmdeck-demo", account)),
                account: Some(account.clone()),
                ..ContextSpec::default()
            });
        }
    }
    specs
}

/// Writes `text` to `path` readable by the owner only (0600): into
/// `PATH.tmp` created 0600, then renamed over `path`, so a reader never
/// sees a partial file nor a wider mode.
///
/// # Errors
/// The file cannot be created, written or renamed.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes `dir/config` and `dir/credentials` (0600, see [`write_private`])
/// from [`ssmdeck_lab::LabHandle::aws_config_files`], creating `dir` if
/// needed, and tells on stderr how to use them.
///
/// # Errors
/// The directory or a file cannot be written.
fn write_aws_config_dir(dir: &std::path::Path, lab: &ssmdeck_lab::LabHandle) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (config, credentials) = lab.aws_config_files();
    let (config_path, credentials_path) = (dir.join("config"), dir.join("credentials"));
    write_private(&config_path, &config)?;
    write_private(&credentials_path, &credentials)?;
    let last = lab.accounts().len() - 1;
    eprintln!(
        "ssmdeck lab: AWS profiles lab-0 (management) … lab-{last} in {} and {} (mode 0600); use them with\n  \
         AWS_CONFIG_FILE={} AWS_SHARED_CREDENTIALS_FILE={} aws --profile lab-{} --endpoint-url {} ssm describe-instance-information",
        config_path.display(),
        credentials_path.display(),
        config_path.display(),
        credentials_path.display(),
        last.min(1),
        lab.endpoint_url()
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let fleet = FleetSpec::preset_or_file(&args.fleet)?;
    let faults = args.faults().map_err(anyhow::Error::msg)?;
    let (accounts, regions) = args.tenancy().map_err(anyhow::Error::msg)?;
    let nodes = fleet.nodes;
    let lab = ssmdeck_lab::start(LabConfig {
        port: args.port,
        fleet,
        faults,
        region: regions
            .first()
            .cloned()
            .unwrap_or_else(|| LabConfig::default().region),
        accounts,
        regions,
        http_idle_timeout: std::time::Duration::from_secs(args.http_idle_timeout_secs),
        websocket_idle_timeout: std::time::Duration::from_secs(args.websocket_idle_timeout_secs),
        start_before_window_s: args.window_opens_in_secs,
        change_calendars: true,
        history_commands: true,
    })
    .await?;
    lab.set_automation_step_ms(2_000);
    lab.seed_automation_history();
    if let Some(dir) = &args.aws_config_dir {
        write_aws_config_dir(dir, &lab)?;
    }
    if let Some(path) = &args.env_file {
        write_private(path, &(lab.env_lines().join("\n") + "\n"))?;
        eprintln!("ssmdeck lab: environment in {} (mode 0600)", path.display());
    } else {
        let mut out = std::io::stdout().lock();
        for line in lab.env_lines() {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }
    let (n_accounts, n_regions) = (lab.accounts().len(), lab.regions().len());
    eprintln!(
        "ssmdeck lab: {nodes} managed nodes in the first of {} tenant(s) ({n_accounts} account(s) x {n_regions} region(s)) on {} (127.0.0.1 only); Ctrl-C stops",
        n_accounts * n_regions,
        lab.endpoint_url()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    lab.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_serve_takes_the_session_fault_knobs() {
        let cli = Cli::try_parse_from([
            "ssmdeck",
            "lab",
            "serve",
            "--session-delay-ms",
            "30",
            "--session-reorder",
            "--session-drop-every-ms",
            "1500",
            "--session-old-agent",
        ])
        .unwrap();
        let Some(Cmd::Lab {
            command: LabCmd::Serve(args),
        }) = cli.command
        else {
            panic!("not lab serve");
        };
        let f = args.faults().unwrap();
        assert_eq!(
            (
                f.session_delay_ms,
                f.session_reorder,
                f.session_drop_every_ms,
                f.session_legacy_port
            ),
            (30, true, 1500, true)
        );
        let plain = Cli::try_parse_from(["ssmdeck", "lab", "serve"]).unwrap();
        let Some(Cmd::Lab {
            command: LabCmd::Serve(args),
        }) = plain.command
        else {
            panic!("not lab serve");
        };
        assert_eq!(args.faults().unwrap(), Faults::default());
    }

    fn serve_args(extra: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = ["ssmdeck", "lab", "serve"].iter().chain(extra).copied();
        match Cli::try_parse_from(argv)?.command {
            Some(Cmd::Lab {
                command: LabCmd::Serve(args),
            }) => Ok(*args),
            _ => panic!("not lab serve"),
        }
    }

    #[test]
    fn lab_serve_takes_accounts_regions_and_an_aws_config_dir() {
        let plain = serve_args(&[]).unwrap();
        assert_eq!(plain.tenancy().unwrap(), (Vec::new(), Vec::new()));
        assert!(plain.aws_config_dir.is_none());
        let args = serve_args(&[
            "--accounts",
            "3",
            "--regions",
            "us-east-1,eu-west-1",
            "--aws-config-dir",
            "/tmp/x",
        ])
        .unwrap();
        let (accounts, regions) = args.tenancy().unwrap();
        assert_eq!(accounts, ssmdeck_lab::tenancy::synthetic_accounts(3));
        assert_eq!(regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(
            args.aws_config_dir.as_deref(),
            Some(std::path::Path::new("/tmp/x"))
        );
        // Repeated --regions add up, like the comma list.
        let twice = serve_args(&["--regions", "us-east-1", "--regions", "ap-south-1"]).unwrap();
        assert_eq!(twice.tenancy().unwrap().1, ["us-east-1", "ap-south-1"]);
        for bad in [
            &["--accounts", "0"][..],
            &["--accounts", "1001"],
            &["--regions", "us-east-1,us-east-1"],
            &["--regions", "US-EAST-1"],
            &["--regions", "us-east-1,"],
        ] {
            assert!(serve_args(bad).unwrap().tenancy().is_err(), "{bad:?}");
        }
        assert!(serve_args(&["--accounts", "two"]).is_err());
    }

    #[test]
    fn aws_config_dir_has_a_private_profile_per_account() {
        use std::os::unix::fs::PermissionsExt;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = std::env::temp_dir().join(format!("ssmdeck-awsdir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        rt.block_on(async {
            let lab = ssmdeck_lab::start(LabConfig {
                fleet: FleetSpec::small(),
                accounts: ssmdeck_lab::tenancy::synthetic_accounts(2),
                regions: vec!["eu-west-1".into()],
                region: "eu-west-1".into(),
                ..LabConfig::default()
            })
            .await
            .unwrap();
            write_aws_config_dir(&dir, &lab).unwrap();
            let config = std::fs::read_to_string(dir.join("config")).unwrap();
            let credentials = std::fs::read_to_string(dir.join("credentials")).unwrap();
            for f in ["config", "credentials"] {
                let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
            assert!(
                config.contains("[profile lab-0]\nregion = eu-west-1\n"),
                "{config}"
            );
            assert!(config.contains("[profile lab-1]"), "{config}");
            assert!(!config.contains("[profile lab-2]"), "{config}");
            let keys = lab.account_credentials(&lab.accounts()[1]).unwrap();
            assert!(credentials.contains(&format!(
                "[lab-1]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                keys.access_key_id, keys.secret_access_key
            )));
            assert!(!config.contains(&keys.secret_access_key));
            lab.shutdown().await;
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
