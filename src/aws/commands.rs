//! Run Command calls: SendCommand in chunks of 50 node ids (the API's limit)
//! or by tag targets, status for many nodes from ListCommandInvocations pages
//! (50 a call), output from GetCommandInvocation once a node finishes, live
//! output from CloudWatch Logs (FilterLogEvents with the command id as
//! stream prefix), CancelCommand, ListCommands, ListDocuments and
//! DescribeDocument.

use aws_sdk_ssm::types::{CloudWatchOutputConfig, DocumentFilter, DocumentFilterKey, Target};

use super::{AwsContext, AwsError, ErrorKind};
use crate::model::{
    CommandInvocation, CommandStatus, CommandSummary, DocumentInfo, DocumentParam, InvocationStatus,
};

/// SendCommand takes at most this many InstanceIds.
pub const IDS_PER_CALL: usize = 50;

/// What to run where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Document, e.g. `AWS-RunShellScript`.
    pub document: String,
    /// The `commands` parameter, one entry per line; empty for a
    /// document without a script (then neither `commands` nor
    /// `executionTimeout` is sent).
    pub commands: Vec<String>,
    /// Targets.
    pub targets: Targets,
    /// Delivery timeout, seconds (30 … 2,592,000).
    pub timeout_s: i32,
    /// `executionTimeout` parameter, seconds.
    pub execution_timeout_s: u32,
    /// `N` or `N%`.
    pub max_concurrency: String,
    /// `N` or `N%`.
    pub max_errors: String,
    /// Comment (at most 100 characters).
    pub comment: String,
    /// CloudWatch output: `None` off, `Some("")` default group, else the group.
    pub cloudwatch_group: Option<String>,
    /// S3 output (`OutputS3BucketName`, `OutputS3KeyPrefix`): `None` off.
    pub output_s3: Option<OutputS3>,
    /// Other document parameters (name, value), from DescribeDocument's schema.
    pub extra: Vec<(String, String)>,
}

/// Where Run Command writes each invocation's whole output in S3: the
/// agent puts `<prefix>/<CommandId>/<InstanceId>/<plugin>/…/stdout|stderr`
/// in `bucket` once the invocation ends (SendCommand `OutputS3BucketName`,
/// 3–63 characters; `OutputS3KeyPrefix`, at most 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputS3 {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix (may be empty).
    pub prefix: String,
}

/// Where a command goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Node ids (sent in chunks of [`IDS_PER_CALL`]).
    Nodes(Vec<String>),
    /// Up to 5 `tag:Key` targets, each with up to 50 values.
    Tags(Vec<(String, Vec<String>)>),
}

/// Sends the command; one command id per chunk of 50 nodes (one for tag
/// targets). Each SendCommand goes out at most once
/// ([`once`](super::once)): asked again only when throttled or never
/// connected. When the answer is lost after the request went out (an
/// HTTP 5xx, a timeout), ListCommands tells whether the command exists
/// (same document, comment and targets, requested since a minute
/// before): if so its id is used, else the error says it was most likely
/// not sent.
///
/// # Errors
/// The first [`AwsError`] of `ssm:SendCommand`; ids sent before it are
/// returned in the error's message so nothing is lost track of.
pub async fn send(ctx: &AwsContext, req: &SendRequest) -> Result<Vec<String>, AwsError> {
    let mut params = std::collections::HashMap::new();
    // A document without a script (AWS-ConfigureAWSPackage,
    // AWS-RunPatchBaseline) declares neither: AWS refuses both there.
    if !req.commands.is_empty() {
        params.insert("commands".to_owned(), req.commands.clone());
        params.insert(
            "executionTimeout".to_owned(),
            vec![req.execution_timeout_s.to_string()],
        );
    }
    for (k, v) in &req.extra {
        if !v.is_empty() {
            params.insert(k.clone(), vec![v.clone()]);
        }
    }
    let cw = req.cloudwatch_group.as_ref().map(|g| {
        let b = CloudWatchOutputConfig::builder().cloud_watch_output_enabled(true);
        if g.is_empty() {
            b.build()
        } else {
            b.cloud_watch_log_group_name(g).build()
        }
    });
    let base = || {
        ctx.ssm
            .send_command()
            .document_name(&req.document)
            .set_parameters(Some(params.clone()))
            .timeout_seconds(req.timeout_s)
            .max_concurrency(&req.max_concurrency)
            .max_errors(&req.max_errors)
            .comment(&req.comment)
            .set_cloud_watch_output_config(cw.clone())
            .set_output_s3_bucket_name(req.output_s3.as_ref().map(|o| o.bucket.clone()))
            .set_output_s3_key_prefix(
                req.output_s3
                    .as_ref()
                    .map(|o| o.prefix.clone())
                    .filter(|p| !p.is_empty()),
            )
    };
    let calls: Vec<Sent> = match &req.targets {
        Targets::Nodes(nodes) => nodes
            .chunks(IDS_PER_CALL)
            .map(|c| Sent::Nodes(c.to_vec()))
            .collect(),
        Targets::Tags(tags) => vec![Sent::Tags(tags.clone())],
    };
    let mut ids = Vec::new();
    for sent in calls {
        let started = aws_sdk_ssm::primitives::DateTime::from(std::time::SystemTime::now());
        let r = super::once::once(|| {
            let call = match &sent {
                Sent::Nodes(chunk) => base().set_instance_ids(Some(chunk.clone())),
                Sent::Tags(tags) => tags.iter().fold(base(), |call, (k, v)| {
                    call.targets(
                        Target::builder()
                            .key(format!("tag:{k}"))
                            .set_values(Some(v.clone()))
                            .build(),
                    )
                }),
            };
            let call = call
                .customize()
                .config_override(super::once::no_retry_ssm());
            async move {
                call.send()
                    .await
                    .map_err(|e| ctx.error("ssm:SendCommand", e))
            }
        })
        .await;
        let id = match r {
            Ok(out) => out.command.and_then(|c| c.command_id),
            Err(e) if e.kind == ErrorKind::MaybeSent => {
                Some(settle_maybe_sent(ctx, req, &sent, started, e, &ids).await?)
            }
            Err(mut e) => {
                if !ids.is_empty() {
                    e.hint = format!("{} (already sent: {})", e.hint, ids.join(", "));
                }
                return Err(e);
            }
        };
        ids.extend(id);
    }
    Ok(ids)
}

/// What one SendCommand call targets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    /// Node ids (at most [`IDS_PER_CALL`]).
    Nodes(Vec<String>),
    /// Tag targets.
    Tags(Vec<(String, Vec<String>)>),
}

/// After a SendCommand that may or may not have been sent: the command
/// id if ListCommands shows it was (the run goes on with it, sent once),
/// else the error, its hint saying what the check found.
async fn settle_maybe_sent(
    ctx: &AwsContext,
    req: &SendRequest,
    sent: &Sent,
    started: aws_sdk_ssm::primitives::DateTime,
    e: AwsError,
    ids: &[String],
) -> Result<String, AwsError> {
    let found = find_sent(ctx, req, sent, started).await;
    let not_found = matches!(found, Ok(None));
    let none = format!(
        "ListCommands shows no such command since {} UTC, so it was most likely not sent: send again from the composer (the draft is kept)",
        crate::model::format_epoch(started.secs())
    );
    super::once::settle(
        e,
        found,
        "ListCommands",
        &none,
        "look in the command history (h) before sending again",
    )
    .map_err(|mut e| {
        if not_found && !ids.is_empty() {
            e.hint = format!("{} (already sent: {})", e.hint, ids.join(", "));
        }
        e
    })
}

/// Looks for the command one SendCommand call would have made: the same
/// document, comment and targets, requested at or after `since` (less a
/// minute of clock skew); ListCommands newest first (InvokedAfter and
/// DocumentName filters), at most 5 pages. Returns its command id.
///
/// # Errors
/// [`AwsError`] for `ssm:ListCommands`.
async fn find_sent(
    ctx: &AwsContext,
    req: &SendRequest,
    sent: &Sent,
    since: aws_sdk_ssm::primitives::DateTime,
) -> Result<Option<String>, AwsError> {
    use aws_sdk_ssm::types::{CommandFilter, CommandFilterKey};
    let after = since.secs() - 60;
    let iso = aws_sdk_ssm::primitives::DateTime::from_secs(after)
        .fmt(aws_sdk_ssm::primitives::DateTimeFormat::DateTime)
        .map_err(|e| AwsError::local("ssm:ListCommands", e))?;
    let filter = |k: CommandFilterKey, v: &str| {
        CommandFilter::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| AwsError::local("ssm:ListCommands", e))
    };
    let filters = vec![
        filter(CommandFilterKey::InvokedAfter, &iso)?,
        filter(CommandFilterKey::DocumentName, &req.document)?,
    ];
    let mut pages = ctx
        .ssm
        .list_commands()
        .set_filters(Some(filters))
        .max_results(50)
        .into_paginator()
        .send();
    // At most 5 pages, and none past the first page reaching older sends.
    for _ in 0..5 {
        let Some(page) = pages.next().await else {
            break;
        };
        let page = page.map_err(|e| ctx.error("ssm:ListCommands", e))?;
        let mut older = false;
        for c in page.commands.unwrap_or_default() {
            let at = c.requested_date_time.map_or(i64::MAX, |d| d.secs());
            older |= at < after;
            if at >= after && is_sent(&c, req, sent) {
                return Ok(c.command_id);
            }
        }
        if older {
            break;
        }
    }
    Ok(None)
}

/// Whether ListCommands' `c` is the command `sent` of `req` would make.
fn is_sent(c: &aws_sdk_ssm::types::Command, req: &SendRequest, sent: &Sent) -> bool {
    if c.document_name.as_deref() != Some(req.document.as_str())
        || c.comment.as_deref().unwrap_or("") != req.comment
    {
        return false;
    }
    match sent {
        Sent::Nodes(chunk) => {
            let mut have: Vec<&str> = c.instance_ids().iter().map(String::as_str).collect();
            let mut want: Vec<&str> = chunk.iter().map(String::as_str).collect();
            have.sort_unstable();
            want.sort_unstable();
            have == want
        }
        Sent::Tags(tags) => {
            let mut have: Vec<(String, Vec<String>)> = c
                .targets()
                .iter()
                .filter_map(|t| {
                    let k = t.key.as_deref()?.strip_prefix("tag:")?;
                    Some((k.to_owned(), t.values().to_vec()))
                })
                .collect();
            let mut want = tags.clone();
            have.sort();
            want.sort();
            have == want
        }
    }
}

fn secs(d: Option<aws_sdk_ssm::primitives::DateTime>) -> Option<f64> {
    d.map(|d| d.secs() as f64 + f64::from(d.subsec_nanos()) / 1e9)
}

/// Every invocation of `command_id` (ListCommandInvocations with Details,
/// 50 a page, every page). Returns the invocations and the calls made.
///
/// # Errors
/// [`AwsError`] for `ssm:ListCommandInvocations`.
pub async fn invocations(
    ctx: &AwsContext,
    command_id: &str,
) -> Result<(Vec<CommandInvocation>, u32), AwsError> {
    let mut out = Vec::new();
    let mut calls = 0;
    let mut pages = ctx
        .ssm
        .list_command_invocations()
        .command_id(command_id)
        .details(true)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        calls += 1;
        let resp = page.map_err(|e| ctx.error("ssm:ListCommandInvocations", e))?;
        for i in resp.command_invocations.unwrap_or_default() {
            let plugin = i.command_plugins.as_ref().and_then(|p| p.first());
            out.push(CommandInvocation {
                command_id: i.command_id.clone().unwrap_or_default(),
                instance_id: i.instance_id.clone().unwrap_or_default(),
                instance_name: i.instance_name.clone().unwrap_or_default(),
                status: InvocationStatus::parse(i.status.as_ref().map_or("", |s| s.as_str())),
                details: i.status_details.clone().unwrap_or_default(),
                response_code: plugin.map_or(-1, |p| p.response_code),
                output: plugin.and_then(|p| p.output.clone()).unwrap_or_default(),
                start_s: plugin.and_then(|p| secs(p.response_start_date_time)),
                end_s: plugin.and_then(|p| secs(p.response_finish_date_time)),
            });
        }
    }
    Ok((out, calls))
}

/// Full output of one finished invocation (GetCommandInvocation: the first
/// 24,000 characters of stdout, 8,000 of stderr; empty while running).
///
/// # Errors
/// [`AwsError`] for `ssm:GetCommandInvocation`.
pub async fn output(
    ctx: &AwsContext,
    command_id: &str,
    instance_id: &str,
) -> Result<(String, String), AwsError> {
    let out = ctx
        .ssm
        .get_command_invocation()
        .command_id(command_id)
        .instance_id(instance_id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetCommandInvocation", e))?;
    Ok((
        out.standard_output_content.unwrap_or_default(),
        out.standard_error_content.unwrap_or_default(),
    ))
}

/// GetCommandInvocation returns at most this many characters of
/// `StandardOutputContent` (the rest is only in CloudWatch Logs or S3).
pub const STDOUT_CAP: usize = 24_000;
/// … and of `StandardErrorContent`.
pub const STDERR_CAP: usize = 8_000;
/// Most the console reads of one output stream from CloudWatch Logs, bytes
/// (a runaway command's output must not fill the console's memory).
pub const LOGS_READ_MAX_BYTES: usize = 16 * 1024 * 1024;

/// One finished node's whole output: GetCommandInvocation's, or, where
/// that was cut at its cap, the streams read back from the command's S3
/// output or from CloudWatch Logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FullOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// `stdout` is not the whole output (cut by GetCommandInvocation at
    /// [`STDOUT_CAP`] characters, or by the console at [`LOGS_READ_MAX_BYTES`]).
    pub stdout_cut: bool,
    /// `stderr` is not the whole error output (cap [`STDERR_CAP`]).
    pub stderr_cut: bool,
    /// At least one stream was read from CloudWatch Logs.
    pub from_logs: bool,
    /// At least one stream was read from the command's S3 output.
    pub from_s3: bool,
    /// Why S3 or CloudWatch Logs could not supply the rest, when they were
    /// tried ("S3: …", "CloudWatch Logs: …", `; ` between them).
    pub logs_error: Option<String>,
}

impl FullOutput {
    /// Whether any part is cut.
    pub fn truncated(&self) -> bool {
        self.stdout_cut || self.stderr_cut
    }

    /// The line that says what is missing, when something is.
    pub fn marker(&self) -> Option<String> {
        let what = match (self.stdout_cut, self.stderr_cut) {
            (false, false) => return None,
            (true, false) => "output truncated at 24,000 characters".to_owned(),
            (false, true) => "error output truncated at 8,000 characters".to_owned(),
            (true, true) => {
                "output truncated at 24,000 characters (error output at 8,000)".to_owned()
            }
        };
        let why = self
            .logs_error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        Some(format!(
            "… {what} by GetCommandInvocation; the rest is in CloudWatch Logs / S3 when configured{why}"
        ))
    }

    /// Where the text came from, for a title.
    pub fn source(&self) -> &'static str {
        match (self.from_s3, self.from_logs) {
            (true, _) => "full output (S3)",
            (false, true) => "full output (CloudWatch Logs)",
            (false, false) => "full output (GetCommandInvocation)",
        }
    }

    /// Notes why a source could not give the rest.
    fn failed(&mut self, why: String) {
        match &mut self.logs_error {
            Some(e) => {
                e.push_str("; ");
                e.push_str(&why);
            }
            None => self.logs_error = Some(why),
        }
    }
}

/// A finished node's whole output. GetCommandInvocation first; a stream it
/// cut at its cap ([`STDOUT_CAP`], [`STDERR_CAP`]) is read again
/// - from S3 when the command had an output bucket: the object at the
///   invocation's `StandardOutputUrl` / `StandardErrorUrl` (GetObject,
///   at most [`LOGS_READ_MAX_BYTES`]), see [`s3_location`];
/// - else, or when that fails, from CloudWatch Logs when the command had
///   CloudWatch output on (group `CloudWatchLogGroupName`, default
///   `/aws/ssm/<DocumentName>`; stream `<CommandId>/<InstanceId>/<PluginName
///   with : as ->/stdout|stderr`, read from the head with GetLogEvents's
///   paginator).
///
/// When neither is on, both fail (access denied, no such object) or hold
/// less than GetCommandInvocation gave (not uploaded yet), the cut text
/// stays and [`FullOutput::marker`] says so and why.
///
/// # Errors
/// [`AwsError`] for `ssm:GetCommandInvocation` only; an S3 or Logs failure
/// is reported in [`FullOutput::logs_error`].
pub async fn full_output(
    ctx: &AwsContext,
    command_id: &str,
    instance_id: &str,
) -> Result<FullOutput, AwsError> {
    let out = ctx
        .ssm
        .get_command_invocation()
        .command_id(command_id)
        .instance_id(instance_id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetCommandInvocation", e))?;
    let mut full = FullOutput {
        stdout: out.standard_output_content.clone().unwrap_or_default(),
        stderr: out.standard_error_content.clone().unwrap_or_default(),
        ..Default::default()
    };
    full.stdout_cut = full.stdout.chars().count() >= STDOUT_CAP;
    full.stderr_cut = full.stderr.chars().count() >= STDERR_CAP;
    if !full.truncated() {
        return Ok(full);
    }
    let group = out
        .cloud_watch_output_config
        .as_ref()
        .filter(|c| c.cloud_watch_output_enabled)
        .map(|c| match c.cloud_watch_log_group_name.as_deref() {
            Some(g) if !g.is_empty() => g.to_owned(),
            _ => format!(
                "/aws/ssm/{}",
                out.document_name.as_deref().unwrap_or_default()
            ),
        });
    let plugin = out
        .plugin_name
        .as_deref()
        .unwrap_or("aws:runShellScript")
        .replace(':', "-");
    let prefix = format!("{command_id}/{instance_id}/{plugin}");
    for stderr in [false, true] {
        let cut = if stderr {
            full.stderr_cut
        } else {
            full.stdout_cut
        };
        if !cut {
            continue;
        }
        let url = if stderr {
            out.standard_error_url.as_deref()
        } else {
            out.standard_output_url.as_deref()
        };
        let kind = if stderr { "stderr" } else { "stdout" };
        let mut done = false;
        if let Some(url) = url.filter(|u| !u.is_empty()) {
            let read = match s3_location(url) {
                Some((bucket, key)) => read_object(ctx, &bucket, &key)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!("{url} is not an S3 object URL")),
            };
            done = take_rest(&mut full, stderr, read, "S3", url, true);
        }
        if !done && let Some(group) = &group {
            let stream = format!("{prefix}/{kind}");
            let read = read_stream(ctx, group, &stream)
                .await
                .map_err(|e| e.to_string());
            take_rest(&mut full, stderr, read, "CloudWatch Logs", &stream, false);
        }
    }
    Ok(full)
}

/// Takes the text a source read for one stream when it holds more than
/// GetCommandInvocation gave; else notes why not. Returns whether it did.
fn take_rest(
    full: &mut FullOutput,
    stderr: bool,
    read: Result<(String, bool), String>,
    source: &str,
    what: &str,
    s3: bool,
) -> bool {
    let text = if stderr { &full.stderr } else { &full.stdout };
    match read {
        Ok((rest, capped)) if rest.chars().count() > text.chars().count() => {
            if stderr {
                (full.stderr, full.stderr_cut) = (rest, capped);
            } else {
                (full.stdout, full.stdout_cut) = (rest, capped);
            }
            if s3 {
                full.from_s3 = true;
            } else {
                full.from_logs = true;
            }
            true
        }
        Ok(_) => {
            full.failed(format!(
                "{source}: {what} holds no more than GetCommandInvocation gave"
            ));
            false
        }
        Err(e) => {
            full.failed(format!("{source}: {e}"));
            false
        }
    }
}

/// The bucket and key of an S3 object URL as Run Command gives it
/// (`StandardOutputUrl`): path-style `https://s3[.<region>].amazonaws.com/<bucket>/<key>`
/// (also `s3-<region>`, and any host when the path holds both, as a
/// compatible endpoint writes it) or virtual-hosted
/// `https://<bucket>.s3[.<region>].amazonaws.com/<key>`; the key
/// percent-decoded. `None` when the URL names no bucket and key.
pub fn s3_location(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/')?;
    let host = host.split(':').next().unwrap_or(host);
    let decode = |s: &str| percent_decode(s);
    let virtual_bucket = host
        .find(".s3.")
        .or_else(|| host.find(".s3-"))
        .filter(|_| host.ends_with(".amazonaws.com"))
        .map(|i| &host[..i]);
    match virtual_bucket {
        Some(b) if !b.is_empty() && !path.is_empty() => Some((b.to_owned(), decode(path))),
        _ => {
            let (bucket, key) = path.split_once('/')?;
            (!bucket.is_empty() && !key.is_empty()).then(|| (decode(bucket), decode(key)))
        }
    }
}

/// `%XX` escapes decoded (invalid ones kept as written).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One S3 object as text (GetObject, streamed), at most
/// [`LOGS_READ_MAX_BYTES`]; returns the text and whether that cap stopped
/// the read. Invalid UTF-8 is replaced (U+FFFD), as the output view shows it.
async fn read_object(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
) -> Result<(String, bool), AwsError> {
    let out = ctx
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| ctx.error("s3:GetObject", e))?;
    let mut body = out.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| AwsError::local("s3:GetObject", format!("s3://{bucket}/{key}: {e}")))?
    {
        if bytes.len() + chunk.len() > LOGS_READ_MAX_BYTES {
            let room = LOGS_READ_MAX_BYTES - bytes.len();
            bytes.extend_from_slice(&chunk[..room]);
            return Ok((String::from_utf8_lossy(&bytes).into_owned(), true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), false))
}

/// One log stream from its head (GetLogEvents, `startFromHead`, every page
/// through the SDK's paginator, which stops when `nextForwardToken` comes
/// back unchanged), each event a line. Returns the text and whether
/// [`LOGS_READ_MAX_BYTES`] stopped the read.
async fn read_stream(
    ctx: &AwsContext,
    group: &str,
    stream: &str,
) -> Result<(String, bool), AwsError> {
    let mut text = String::new();
    let mut pages = ctx
        .logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error("logs:GetLogEvents", e))?;
        for ev in page.events.unwrap_or_default() {
            let m = ev.message.unwrap_or_default();
            if text.len() + m.len() > LOGS_READ_MAX_BYTES {
                return Ok((text, true));
            }
            text.push_str(&m);
            if !m.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    Ok((text, false))
}

/// One line of live output from CloudWatch Logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveLine {
    /// Node id (from the stream name).
    pub instance_id: String,
    /// Whether it came from stderr.
    pub stderr: bool,
    /// The line.
    pub text: String,
}

/// How far back each live read looks again, milliseconds: CloudWatch can
/// store an event with an earlier timestamp after later ones were read (the
/// agent stamps lines when it reads them and sends in batches).
pub const LIVE_OVERLAP_MS: i64 = 10_000;

/// Where a live-output reader stopped: the newest event time read, the
/// events read within [`LIVE_OVERLAP_MS`] of it (skipped when the overlap
/// brings them again), and, in the middle of a query, its next page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCursor {
    /// Epoch milliseconds of the newest event read.
    pub start_ms: i64,
    /// Hash of each event id read in the overlap window → its timestamp
    /// (8 bytes a key instead of the id's text).
    pub seen: std::collections::BTreeMap<u64, i64>,
    /// `startTime` of the query being paged.
    pub since: Option<i64>,
    /// Next page of that query; `Some` means read again at once.
    pub token: Option<String>,
}

impl LiveCursor {
    /// Whether the last read stopped in the middle of a query.
    pub fn more(&self) -> bool {
        self.token.is_some()
    }
}

/// The next page of live output after `cursor` (FilterLogEvents with
/// `logStreamNamePrefix` = the command id and `startTime` = the cursor less
/// [`LIVE_OVERLAP_MS`]; one page, so a burst of output never sits in memory
/// all at once). Streams are named `<CommandId>/<InstanceId>/<plugin>/stdout|stderr`.
/// Returns the lines not read before and the cursor to continue from
/// ([`LiveCursor::more`] when another page is waiting). A missing log group
/// (nothing written yet) is no lines, not an error.
///
/// # Errors
/// [`AwsError`] for `logs:FilterLogEvents`.
pub async fn live_output(
    ctx: &AwsContext,
    group: &str,
    command_id: &str,
    cursor: LiveCursor,
) -> Result<(Vec<LiveLine>, LiveCursor), AwsError> {
    let mut lines = Vec::new();
    let mut next = cursor.clone();
    let since = if cursor.token.is_some() {
        cursor.since
    } else {
        (cursor.start_ms > 0).then(|| (cursor.start_ms - LIVE_OVERLAP_MS).max(0))
    };
    let resp = ctx
        .logs
        .filter_log_events()
        .log_group_name(group)
        .log_stream_name_prefix(command_id)
        .set_start_time(since)
        .set_next_token(cursor.token.clone())
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            let e = ctx.error("logs:FilterLogEvents", e);
            if e.code.as_deref() == Some("ResourceNotFoundException") {
                return Ok((lines, cursor));
            }
            return Err(e);
        }
    };
    for ev in resp.events.unwrap_or_default() {
        let ts = ev.timestamp.unwrap_or(0);
        let id = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            ev.event_id.as_deref().unwrap_or_default().hash(&mut h);
            h.finish()
        };
        if next.seen.contains_key(&id) {
            continue;
        }
        next.start_ms = next.start_ms.max(ts);
        next.seen.insert(id, ts);
        let stream = ev.log_stream_name.unwrap_or_default();
        let mut parts = stream.split('/');
        let _command = parts.next();
        let instance_id = parts.next().unwrap_or("").to_owned();
        let stderr = stream.ends_with("/stderr");
        lines.push(LiveLine {
            instance_id,
            stderr,
            text: ev.message.unwrap_or_default(),
        });
    }
    next.token = resp.next_token.filter(|t| !t.is_empty());
    next.since = since;
    if next.token.is_none() {
        let horizon = next.start_ms - LIVE_OVERLAP_MS;
        next.seen.retain(|_, ts| *ts >= horizon);
    }
    Ok((lines, next))
}

/// Cancels a command, or only `instance_ids` of it.
///
/// # Errors
/// [`AwsError`] for `ssm:CancelCommand`.
pub async fn cancel(
    ctx: &AwsContext,
    command_id: &str,
    instance_ids: Vec<String>,
) -> Result<(), AwsError> {
    ctx.ssm
        .cancel_command()
        .command_id(command_id)
        .set_instance_ids((!instance_ids.is_empty()).then_some(instance_ids))
        .send()
        .await
        .map_err(|e| ctx.error("ssm:CancelCommand", e))?;
    Ok(())
}

/// The console's summary of a command from ListCommands.
fn summary(c: aws_sdk_ssm::types::Command) -> CommandSummary {
    let status = c.status.as_ref().map_or("", |s| s.as_str()).to_owned();
    let details = c.status_details.clone().unwrap_or_default();
    CommandSummary {
        command_id: c.command_id.unwrap_or_default(),
        document: c.document_name.unwrap_or_default(),
        comment: c.comment.unwrap_or_default(),
        requested_s: secs(c.requested_date_time),
        status: CommandStatus::parse(&status, &details),
        details,
        target_count: c.target_count,
        completed: c.completed_count,
        errors: c.error_count,
        delivery_timed_out: c.delivery_timed_out_count,
        commands: c
            .parameters
            .and_then(|mut p| p.remove("commands"))
            .unwrap_or_default(),
        log_group: c
            .cloud_watch_output_config
            .filter(|w| w.cloud_watch_output_enabled)
            .map(|w| w.cloud_watch_log_group_name.unwrap_or_default()),
    }
}

/// One command's own status, counts and TargetCount (ListCommands with
/// CommandId); `None` when ListCommands does not list it.
///
/// # Errors
/// [`AwsError`] for `ssm:ListCommands`.
pub async fn command(
    ctx: &AwsContext,
    command_id: &str,
) -> Result<Option<CommandSummary>, AwsError> {
    let resp = ctx
        .ssm
        .list_commands()
        .command_id(command_id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:ListCommands", e))?;
    Ok(resp
        .commands
        .unwrap_or_default()
        .into_iter()
        .next()
        .map(summary))
}

/// Past commands, newest first (ListCommands, every page, at most `limit`).
///
/// # Errors
/// [`AwsError`] for `ssm:ListCommands`.
pub async fn history(ctx: &AwsContext, limit: usize) -> Result<Vec<CommandSummary>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .list_commands()
        .max_results(50)
        .into_paginator()
        .send();
    while out.len() < limit
        && let Some(page) = pages.next().await
    {
        let page = page.map_err(|e| ctx.error("ssm:ListCommands", e))?;
        out.extend(page.commands.unwrap_or_default().into_iter().map(summary));
    }
    out.truncate(limit);
    Ok(out)
}

/// Names of Command documents (ListDocuments, DocumentType Command, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:ListDocuments`.
pub async fn documents(ctx: &AwsContext) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut pages = ctx
        .ssm
        .list_documents()
        .document_filter_list(
            DocumentFilter::builder()
                .key(DocumentFilterKey::DocumentType)
                .value("Command")
                .build()
                .map_err(|e| AwsError::local("ssm:ListDocuments", e))?,
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let resp = page.map_err(|e| ctx.error("ssm:ListDocuments", e))?;
        out.extend(
            resp.document_identifiers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|d| d.name),
        );
    }
    Ok(out)
}

/// A document's parameter schema and platform types (DescribeDocument).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeDocument`.
pub async fn document_info(ctx: &AwsContext, name: &str) -> Result<DocumentInfo, AwsError> {
    let out = ctx
        .ssm
        .describe_document()
        .name(name)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:DescribeDocument", e))?;
    let doc = out
        .document
        .unwrap_or_else(|| aws_sdk_ssm::types::DocumentDescription::builder().build());
    let platform_types = doc
        .platform_types()
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    let params = doc
        .parameters
        .unwrap_or_default()
        .into_iter()
        .map(|p| DocumentParam {
            name: p.name.unwrap_or_default(),
            kind: p.r#type.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            description: p.description.unwrap_or_default(),
            default: p.default_value.unwrap_or_default(),
        })
        .collect();
    Ok(DocumentInfo {
        params,
        platform_types,
    })
}

/// Every node's result (status, details, exit code, stdout, stderr,
/// `output_source`) of `command_ids` as pretty JSON text (an array), reading whole output
/// with [`full_output`] (8 nodes at once). Output still cut carries
/// `stdout_truncated` / `stderr_truncated` and the `truncated` note of
/// [`FullOutput::marker`].
///
/// # Errors
/// The AWS error, as one line.
pub async fn export(ctx: &AwsContext, command_ids: &[String]) -> Result<String, String> {
    use futures::StreamExt;
    let mut invs = Vec::new();
    for id in command_ids {
        let (mut v, _) = invocations(ctx, id).await.map_err(|e| e.to_string())?;
        invs.append(&mut v);
    }
    let results: Vec<serde_json::Value> = futures::stream::iter(invs)
        .map(|i| async move {
            let full = if i.status.is_final() {
                full_output(ctx, &i.command_id, &i.instance_id)
                    .await
                    .unwrap_or_default()
            } else {
                FullOutput::default()
            };
            let mut v = serde_json::json!({
                "command_id": i.command_id,
                "instance_id": i.instance_id,
                "instance_name": i.instance_name,
                "status": i.status.as_str(),
                "status_details": i.details,
                "exit_code": i.response_code,
                "stdout": full.stdout,
                "stderr": full.stderr,
                "output_source": full.source().trim_start_matches("full output (").trim_end_matches(')'),
            });
            if let Some(m) = full.marker() {
                v["stdout_truncated"] = full.stdout_cut.into();
                v["stderr_truncated"] = full.stderr_cut.into();
                v["truncated"] = m.into();
            }
            v
        })
        .buffer_unordered(8)
        .collect()
        .await;
    serde_json::to_string_pretty(&results).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_object_urls_name_their_bucket_and_key() {
        let key = "runs/c1/i-1/awsrunShellScript/0.awsrunShellScript/stdout";
        for url in [
            format!("https://s3.eu-west-1.amazonaws.com/my-bucket/{key}"),
            format!("https://s3.amazonaws.com/my-bucket/{key}"),
            format!("https://my-bucket.s3.eu-west-1.amazonaws.com/{key}"),
            format!("https://my-bucket.s3-eu-west-1.amazonaws.com/{key}"),
            format!("http://127.0.0.1:4566/my-bucket/{key}"),
        ] {
            assert_eq!(
                s3_location(&url),
                Some(("my-bucket".into(), key.into())),
                "{url}"
            );
        }
        assert_eq!(
            s3_location("https://s3.amazonaws.com/b/a%20b/stdout"),
            Some(("b".into(), "a b/stdout".into()))
        );
        assert_eq!(s3_location("https://s3.amazonaws.com/bucket-only"), None);
        assert_eq!(s3_location("not a url"), None);
    }

    #[test]
    fn the_marker_names_each_source_that_could_not_give_the_rest() {
        let mut f = FullOutput {
            stdout_cut: true,
            ..Default::default()
        };
        f.failed("S3: NoSuchBucket".into());
        f.failed("CloudWatch Logs: AccessDenied".into());
        let m = f.marker().unwrap();
        assert!(
            m.ends_with("(S3: NoSuchBucket; CloudWatch Logs: AccessDenied)"),
            "{m}"
        );
        assert_eq!(f.source(), "full output (GetCommandInvocation)");
    }
}
