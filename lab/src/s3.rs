//! A small Amazon S3 for Run Command's output (REST-XML, path-style
//! addressing `/<bucket>/<key>`, as the AWS SDKs and CLI use against an
//! IP-address endpoint), per tenant (account and region).
//!
//! Served: ListBuckets (`GET /`), CreateBucket (`PUT /b`), HeadBucket
//! (`HEAD /b`), ListObjectsV2 (`GET /b?list-type=2`, with `prefix`,
//! `delimiter`, `max-keys` 1–1000, `start-after`, `continuation-token`
//! and `encoding-type=url`), GetObject (`GET /b/k`, with a single
//! `Range: bytes=a-b`) and HeadObject (`HEAD /b/k`). Objects are written by
//! the lab itself, where SendCommand's `OutputS3BucketName` puts each
//! invocation's whole stdout and stderr once it ends
//! ([`output_key`]). Errors are S3's XML `<Error>` documents with the
//! codes of the S3 API reference (`NoSuchBucket`, `NoSuchKey`,
//! `InvalidBucketName`, `BucketAlreadyOwnedByYou`, `InvalidArgument`,
//! `InvalidRange`); a HEAD error has no body, as in S3.

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use std::collections::BTreeMap;

/// The S3 XML namespace.
const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The bucket every tenant starts with, for `ssmdeck demo` and tests.
pub const LAB_OUTPUT_BUCKET: &str = "ssmdeck-lab-output";

/// One object: its bytes and when it was written (epoch seconds).
struct Object {
    body: Vec<u8>,
    modified_s: i64,
}

/// One bucket.
struct Bucket {
    created_s: i64,
    objects: BTreeMap<String, Object>,
}

/// A tenant's buckets.
pub(crate) struct S3Store {
    buckets: BTreeMap<String, Bucket>,
}

impl Default for S3Store {
    /// The store with [`LAB_OUTPUT_BUCKET`] in it.
    fn default() -> Self {
        let mut buckets = BTreeMap::new();
        buckets.insert(
            LAB_OUTPUT_BUCKET.to_owned(),
            Bucket {
                created_s: now_s(),
                objects: BTreeMap::new(),
            },
        );
        S3Store { buckets }
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The key under which the agent puts one invocation's stream, AWS's
/// layout for a plugin step: `<prefix>/<CommandId>/<InstanceId>/<plugin
/// without ':'>/0.<plugin without ':'>/<stdout|stderr>` (no leading
/// prefix part when `prefix` is empty; a trailing `/` of it is not doubled).
pub(crate) fn output_key(
    prefix: &str,
    command_id: &str,
    node: &str,
    plugin: &str,
    stream: &str,
) -> String {
    let plugin = plugin.replace(':', "");
    let head = prefix.trim_end_matches('/');
    let tail = format!("{command_id}/{node}/{plugin}/0.{plugin}/{stream}");
    if head.is_empty() {
        tail
    } else {
        format!("{head}/{tail}")
    }
}

/// The URL GetCommandInvocation gives for an object (`StandardOutputUrl`):
/// path-style on the regional endpoint, as AWS writes it.
pub(crate) fn object_url(region: &str, bucket: &str, key: &str) -> String {
    format!("https://s3.{region}.amazonaws.com/{bucket}/{key}")
}

impl S3Store {
    /// Writes an object; `false` (nothing written) when the bucket does
    /// not exist, as the agent's upload then fails.
    pub(crate) fn put(&mut self, bucket: &str, key: &str, body: Vec<u8>) -> bool {
        let Some(b) = self.buckets.get_mut(bucket) else {
            return false;
        };
        b.objects.insert(
            key.to_owned(),
            Object {
                body,
                modified_s: now_s(),
            },
        );
        true
    }
}

/// The S3 operation a request is, for the call counters
/// (`s3:GetObject`…); `Unknown` for what the lab does not serve.
pub(crate) fn operation(method: &Method, uri: &Uri) -> &'static str {
    let (bucket, key) = split_path(uri.path());
    let query = uri.query().unwrap_or("");
    match (method.as_str(), bucket.is_empty(), key.is_empty()) {
        ("GET", true, _) => "ListBuckets",
        ("PUT", false, true) => "CreateBucket",
        ("HEAD", false, true) => "HeadBucket",
        ("GET", false, true) if query_value(query, "list-type").as_deref() == Some("2") => {
            "ListObjectsV2"
        }
        ("GET", false, false) => "GetObject",
        ("HEAD", false, false) => "HeadObject",
        _ => "Unknown",
    }
}

/// Answers one S3 request of a tenant in `region`.
pub(crate) fn serve(
    store: &mut S3Store,
    region: &str,
    account: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let (bucket, key) = split_path(uri.path());
    let head = method == Method::HEAD;
    match operation(method, uri) {
        "ListBuckets" => list_buckets(store, account),
        "CreateBucket" => create_bucket(store, region, &bucket),
        "HeadBucket" => match store.buckets.get(&bucket) {
            Some(_) => empty(StatusCode::OK, &[("x-amz-bucket-region", region)]),
            None => error(StatusCode::NOT_FOUND, "NoSuchBucket", "", &[], true),
        },
        "ListObjectsV2" => match store.buckets.get(&bucket) {
            Some(b) => list_objects(&bucket, b, uri.query().unwrap_or("")),
            None => no_such_bucket(&bucket, false),
        },
        "GetObject" | "HeadObject" => {
            let Some(b) = store.buckets.get(&bucket) else {
                return no_such_bucket(&bucket, head);
            };
            match b.objects.get(&key) {
                Some(o) => object(o, head, headers),
                None => error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    &[("Key", &key)],
                    head,
                ),
            }
        }
        _ if method == Method::GET => error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "The lab's S3 serves ListBuckets, CreateBucket, HeadBucket, ListObjectsV2 (list-type=2), GetObject and HeadObject only.",
            &[],
            head,
        ),
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            &[("Method", method.as_str())],
            head,
        ),
    }
}

/// `(bucket, key)` of a path-style path, percent-decoded.
fn split_path(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    (decode(bucket), decode(key))
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// S3's bucket naming rules: 3–63 characters of lowercase letters,
/// digits, `.` and `-`, starting and ending with a letter or digit, no
/// `..`, not an IP address.
fn valid_bucket_name(name: &str) -> bool {
    let n = name.len();
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&n)
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

fn create_bucket(store: &mut S3Store, region: &str, bucket: &str) -> Response {
    if !valid_bucket_name(bucket) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
            &[("BucketName", bucket)],
            false,
        );
    }
    if store.buckets.contains_key(bucket) {
        // us-east-1 answers a repeated create of one's own bucket with 200.
        if region == "us-east-1" {
            return empty(StatusCode::OK, &[("Location", &format!("/{bucket}"))]);
        }
        return error(
            StatusCode::CONFLICT,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            &[("BucketName", bucket)],
            false,
        );
    }
    store.buckets.insert(
        bucket.to_owned(),
        Bucket {
            created_s: now_s(),
            objects: BTreeMap::new(),
        },
    );
    empty(StatusCode::OK, &[("Location", &format!("/{bucket}"))])
}

fn list_buckets(store: &S3Store, account: &str) -> Response {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"{NS}\"><Owner><ID>{account}</ID><DisplayName>lab</DisplayName></Owner><Buckets>"
    );
    for (name, b) in &store.buckets {
        xml.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
            esc(name),
            crate::protocol::iso8601(b.created_s)
        ));
    }
    xml.push_str("</Buckets></ListAllMyBucketsResult>");
    xml_ok(xml)
}

/// One entry of a listing: a key or a common prefix.
enum Entry<'a> {
    Key(&'a str, &'a Object),
    Prefix(String),
}

/// Where a continuation token resumes: after this key, or past every key
/// under this common prefix.
fn token_of(entry: &Entry) -> String {
    let raw = match entry {
        Entry::Key(k, _) => format!("k:{k}"),
        Entry::Prefix(p) => format!("p:{p}"),
    };
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn parse_token(token: &str) -> Option<(bool, String)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let raw = String::from_utf8(bytes?).ok()?;
    if let Some(k) = raw.strip_prefix("k:") {
        Some((false, k.to_owned()))
    } else {
        raw.strip_prefix("p:").map(|p| (true, p.to_owned()))
    }
}

fn list_objects(name: &str, bucket: &Bucket, query: &str) -> Response {
    let q = |k: &str| query_value(query, k);
    let prefix = q("prefix").unwrap_or_default();
    let delimiter = q("delimiter").filter(|d| !d.is_empty());
    let start_after = q("start-after").unwrap_or_default();
    let max_keys = match q("max-keys").map(|m| m.parse::<i64>()) {
        None => 1000,
        Some(Ok(m)) if m >= 0 => m.min(1000) as usize,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
                &[("ArgumentName", "max-keys")],
                false,
            );
        }
    };
    let token = q("continuation-token");
    let resume = match token.as_deref().map(parse_token) {
        None => None,
        Some(Some(r)) => Some(r),
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "The continuation token provided is incorrect",
                &[("ArgumentName", "continuation-token")],
                false,
            );
        }
    };
    let url = q("encoding-type").as_deref() == Some("url");
    let enc = |s: &str| {
        if url {
            form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
        } else {
            esc(s)
        }
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut truncated = false;
    for (k, o) in bucket.objects.range(start_after.clone()..) {
        if !k.starts_with(&prefix) || *k == start_after {
            continue;
        }
        match &resume {
            Some((false, after)) if k <= after => continue,
            Some((true, p)) if k.starts_with(p.as_str()) || k < p => continue,
            _ => {}
        }
        let entry = match &delimiter {
            Some(d) => match k[prefix.len()..].find(d.as_str()) {
                Some(i) => Entry::Prefix(k[..prefix.len() + i + d.len()].to_owned()),
                None => Entry::Key(k, o),
            },
            None => Entry::Key(k, o),
        };
        if let (Entry::Prefix(p), Some(Entry::Prefix(last))) = (&entry, entries.last())
            && p == last
        {
            continue;
        }
        if entries.len() == max_keys {
            truncated = true;
            break;
        }
        entries.push(entry);
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        esc(name),
        enc(&prefix),
        entries.len()
    );
    if let Some(d) = &delimiter {
        xml.push_str(&format!("<Delimiter>{}</Delimiter>", enc(d)));
    }
    if url {
        xml.push_str("<EncodingType>url</EncodingType>");
    }
    if !start_after.is_empty() {
        xml.push_str(&format!("<StartAfter>{}</StartAfter>", enc(&start_after)));
    }
    if let Some(t) = &token {
        xml.push_str(&format!(
            "<ContinuationToken>{}</ContinuationToken>",
            esc(t)
        ));
    }
    if truncated && let Some(last) = entries.last() {
        xml.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            token_of(last)
        ));
    }
    for e in &entries {
        match e {
            Entry::Key(k, o) => xml.push_str(&format!(
                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                enc(k),
                crate::protocol::iso8601(o.modified_s),
                esc(&etag(&o.body)),
                o.body.len()
            )),
            Entry::Prefix(p) => {
                xml.push_str(&format!("<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>", enc(p)))
            }
        }
    }
    xml.push_str("</ListBucketResult>");
    xml_ok(xml)
}

/// A quoted 32-hex-digit entity tag of the bytes (two FNV-1a hashes; not
/// MD5, which S3 uses: clients compare ETags, they do not recompute them).
fn etag(body: &[u8]) -> String {
    let fnv = |seed: u64| {
        body.iter().fold(seed, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "\"{:016x}{:016x}\"",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

/// GetObject / HeadObject of `o`, honouring one `Range: bytes=a-b`
/// (`a-`, `-n` too) with 206; a range past the end is 416 `InvalidRange`.
fn object(o: &Object, head: bool, headers: &HeaderMap) -> Response {
    let len = o.body.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap_or((r, ""));
            match (
                a.trim().parse::<usize>().ok(),
                b.trim().parse::<usize>().ok(),
            ) {
                (Some(a), Some(b)) => (a, b.min(len.saturating_sub(1))),
                (Some(a), None) => (a, len.saturating_sub(1)),
                (None, Some(n)) => (len.saturating_sub(n), len.saturating_sub(1)),
                (None, None) => (0, len.saturating_sub(1)),
            }
        });
    let modified = aws_smithy_types::DateTime::from_secs(o.modified_s)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap_or_default();
    let (status, bytes, content_range) = match range {
        Some((a, b)) if a >= len || a > b => {
            return error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
                &[
                    ("RangeRequested", &format!("bytes={a}-{b}")),
                    ("ActualObjectSize", &len.to_string()),
                ],
                head,
            );
        }
        Some((a, b)) => (
            StatusCode::PARTIAL_CONTENT,
            &o.body[a..=b],
            Some(format!("bytes {a}-{b}/{len}")),
        ),
        None => (StatusCode::OK, &o.body[..], None),
    };
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CONTENT_LENGTH, bytes.len())
        .header(header::ETAG, etag(&o.body))
        .header(header::LAST_MODIFIED, modified)
        .header(header::ACCEPT_RANGES, "bytes")
        .header("x-amz-request-id", crate::protocol::request_id());
    if let Some(cr) = content_range {
        r = r.header(header::CONTENT_RANGE, cr);
    }
    let body = if head {
        Body::empty()
    } else {
        Body::from(bytes.to_vec())
    };
    r.body(body).expect("static response parts")
}

fn no_such_bucket(bucket: &str, head: bool) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NoSuchBucket",
        "The specified bucket does not exist",
        &[("BucketName", bucket)],
        head,
    )
}

fn esc(s: &str) -> String {
    crate::protocol::xml_escape(s)
}

fn xml_ok(xml: String) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/xml")
        .header("x-amz-request-id", crate::protocol::request_id())
        .body(Body::from(xml))
        .expect("static response parts")
}

fn empty(status: StatusCode, headers: &[(&str, &str)]) -> Response {
    let mut r = Response::builder()
        .status(status)
        .header("x-amz-request-id", crate::protocol::request_id());
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Body::empty()).expect("static response parts")
}

/// S3's XML error (`<Error><Code>…`), or the bare status for a HEAD.
fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: &[(&str, &str)],
    head: bool,
) -> Response {
    let rid = crate::protocol::request_id();
    let r = Response::builder()
        .status(status)
        .header("x-amz-request-id", rid.as_str());
    if head {
        return r.body(Body::empty()).expect("static response parts");
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
        esc(code),
        esc(message)
    );
    for (k, v) in extra {
        xml.push_str(&format!("<{k}>{}</{k}>", esc(v)));
    }
    xml.push_str(&format!(
        "<RequestId>{rid}</RequestId><HostId>lab</HostId></Error>"
    ));
    r.header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
        .expect("static response parts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keys_follow_the_agents_layout() {
        assert_eq!(
            output_key("runs/", "c1", "i-1", "aws:runShellScript", "stdout"),
            "runs/c1/i-1/awsrunShellScript/0.awsrunShellScript/stdout"
        );
        assert_eq!(
            output_key("", "c1", "i-1", "aws:runPowerShellScript", "stderr"),
            "c1/i-1/awsrunPowerShellScript/0.awsrunPowerShellScript/stderr"
        );
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for ok in ["abc", "my.bucket-1", &"a".repeat(63)] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            &"a".repeat(64),
            "a_b",
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        let o = Object {
            body: vec![],
            modified_s: 0,
        };
        let t = token_of(&Entry::Key("a/b c", &o));
        assert_eq!(parse_token(&t), Some((false, "a/b c".into())));
        assert_eq!(parse_token("zz"), None);
        assert_eq!(parse_token("abc"), None);
    }

    #[test]
    fn paths_are_percent_decoded() {
        assert_eq!(split_path("/b/a%20b/c"), ("b".into(), "a b/c".into()));
        assert_eq!(split_path("/b"), ("b".into(), String::new()));
        assert_eq!(split_path("/"), (String::new(), String::new()));
    }
}
