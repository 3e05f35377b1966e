//! The audit log: one JSON object per line for every change the console
//! makes (or tries to make) in AWS, in the data directory
//! (`$SSMDECK_DATA_DIR/audit.jsonl`, else `~/.local/share/ssmdeck/audit.jsonl`).
//!
//! A line: `{"time","identity","account","profile","region","endpoint",
//! "action","targets","outcome","detail"}`; `time` is ISO-8601 UTC with
//! milliseconds, `action` the IAM action (`ssm:PutParameter`; a session or
//! port forward that the node or the connection ended, with no call of
//! ours, is `session:Ended`), `outcome`
//! `ok`, `refused` (the lost-update guard) or `error: <AWS code>`.
//!
//! Never a value: parameter values (SecureString or not), command text
//! (CloudTrail hides SendCommand parameters too), note text and AWS error
//! messages (which can echo input) are left out; names, ids, versions,
//! documents and what changed are kept.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::aws::AwsContext;
use crate::model::CallerIdentity;

/// Where audit lines are appended, with the context they are about.
#[derive(Clone, Debug)]
pub struct Audit {
    path: PathBuf,
    profile: Option<String>,
    region: String,
    endpoint: Option<String>,
    identity: Arc<Mutex<Option<CallerIdentity>>>,
}

/// The data directory: `$SSMDECK_DATA_DIR` if set, else the platform's
/// (`$XDG_DATA_HOME/ssmdeck` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SSMDECK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "ssmdeck").map(|p| p.data_local_dir().to_path_buf())
}

impl Audit {
    /// An audit log at `path` for the context `ctx`.
    pub fn new(path: PathBuf, ctx: &AwsContext) -> Audit {
        Audit {
            path,
            profile: ctx.profile.clone(),
            region: ctx.region.clone(),
            endpoint: ctx.endpoint.clone(),
            identity: Arc::default(),
        }
    }

    /// The file lines go to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the caller identity (STS) for the lines that follow.
    pub fn set_identity(&self, id: CallerIdentity) {
        if let Ok(mut slot) = self.identity.lock() {
            *slot = Some(id);
        }
    }

    /// Appends one line. `targets` are names or ids; `detail` says what
    /// changed, never a value.
    ///
    /// # Errors
    /// The file cannot be created or written (the caller shows it as a notice).
    pub fn record(
        &self,
        action: &str,
        targets: &[String],
        outcome: &str,
        detail: &str,
    ) -> std::io::Result<()> {
        self.record_in(None, action, targets, outcome, detail)
    }

    /// [`Audit::record`] about a write in context `place` of a set (its
    /// account, region, profile, and the role assumed there as the
    /// identity); `None`: the log's own context.
    ///
    /// # Errors
    /// As [`Audit::record`].
    pub fn record_in(
        &self,
        place: Option<&crate::model::ContextLabel>,
        action: &str,
        targets: &[String],
        outcome: &str,
        detail: &str,
    ) -> std::io::Result<()> {
        let time = crate::model::iso8601_ms_now();
        let identity = self.identity.lock().ok().and_then(|i| i.clone());
        let (mut arn, mut account) = (
            identity.as_ref().map(|i| i.arn.clone()),
            identity.as_ref().map(|i| i.account.clone()),
        );
        let (mut profile, mut region) = (self.profile.clone(), self.region.clone());
        // A place with the log's own profile and region and no role is the
        // log's own context: its identity stays.
        if let Some(p) = place
            .filter(|p| p.role.is_some() || p.profile != self.profile || p.region != self.region)
        {
            arn = p.role.clone();
            account = p.account.clone();
            profile = p.profile.clone();
            region = p.region.clone();
        }
        let line = serde_json::json!({
            "time": time,
            "identity": arn,
            "account": account,
            "profile": profile,
            "region": region,
            "endpoint": self.endpoint,
            "action": action,
            "targets": targets,
            "outcome": outcome,
            "detail": detail,
        });
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path)?;
        // One write per line: concurrent writers (tasks, two consoles) never interleave.
        let mut text = line.to_string();
        text.push('\n');
        f.write_all(text.as_bytes())
    }
}

/// `error: <code>` for an AWS error (the message is left out: it can echo input).
pub fn error_outcome(e: &crate::aws::AwsError) -> String {
    format!(
        "error: {}",
        e.code
            .clone()
            .or_else(|| e.status.map(|s| format!("HTTP {s}")))
            .unwrap_or_else(|| format!("{:?}", e.kind))
    )
}

/// Writes `text` to `path` readable by the user only (0600, also when the
/// file existed with a wider mode), creating the directory.
///
/// # Errors
/// The directory or file cannot be created or written.
pub fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn a_private_file_is_0600_even_over_a_wider_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("ssmdeck-private-{}", std::process::id()));
        let path = dir.join("x.json");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write_private(&path, "new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
