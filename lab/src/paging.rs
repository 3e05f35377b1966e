//! List tokens and page cuts, as AWS pages its list operations.
//!
//! A token is opaque to the client and bound to what it was issued for: the
//! operation (`ssm:DescribeParameters`), a fingerprint of the request's
//! other members (its filters; `NextToken` and `MaxResults` excluded, as
//! AWS lets a client change the page size between pages) and this lab (a
//! keyed checksum). It carries a *position*: the sort key of the last item
//! returned, not an offset, so an item created or deleted between two pages
//! makes the listing neither skip nor repeat an item. A token that fails any
//! check is [`BadToken`]; each operation answers it with the code its model
//! lists (`InvalidNextToken` for most SSM lists).
//!
//! AWS documents that a page may hold fewer items than `MaxResults`, even
//! none, and still carry a `NextToken`. The `short_pages` fault knob makes
//! the lab do so: with that probability a page is cut short (half of those
//! are empty), and a page that reaches the end may still carry a token whose
//! next page is empty.
//!
//! The knob, the operation and the fingerprint are request-scoped: the
//! handler sets them with [`scoped`] around the synchronous dispatch, so the
//! stores' list functions need only the items and the token.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a list call is paged under (see the module documentation).
pub(crate) struct Scope {
    /// `service:Action`.
    pub op: String,
    /// Fingerprint of the request members that select the items.
    pub binding: u64,
    /// Key of the lab's token checksum.
    pub key: u64,
    /// Share of pages cut short, 0.0 … 1.0.
    pub short_pages: f64,
    /// Seeds the page cuts of this request.
    pub seed: u64,
}

thread_local! {
    static SCOPE: RefCell<Option<(Scope, ChaCha8Rng)>> = const { RefCell::new(None) };
}

/// Runs `f` (synchronous: no `.await` may happen inside) with `scope` as the
/// paging scope of the list calls it makes.
pub(crate) fn scoped<R>(scope: Scope, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(Scope, ChaCha8Rng)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            SCOPE.with(|s| *s.borrow_mut() = prev);
        }
    }
    let rng = ChaCha8Rng::seed_from_u64(scope.seed);
    let _restore = Restore(SCOPE.with(|s| s.borrow_mut().replace((scope, rng))));
    f()
}

/// A token that this lab did not issue for this operation and these filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadToken;

/// FNV-1a over `parts`, each followed by a separator byte.
pub(crate) fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(std::iter::once(&0x1f)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The fingerprint of a JSON request body without its paging members.
pub(crate) fn json_binding(body: &serde_json::Value) -> u64 {
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        for k in ["NextToken", "nextToken", "MaxResults", "limit"] {
            m.remove(k);
        }
    }
    fingerprint([b.to_string().as_bytes()])
}

/// The fingerprint of query-protocol parameters without their paging members.
pub(crate) fn form_binding(form: &[(String, String)]) -> u64 {
    let mut kept: Vec<&(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "NextToken" && k != "MaxResults")
        .collect();
    kept.sort();
    fingerprint(kept.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]))
}

fn current<R>(f: impl FnOnce(Option<&mut (Scope, ChaCha8Rng)>) -> R) -> R {
    SCOPE.with(|s| f(s.borrow_mut().as_mut()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Issues a token for the position after `last` (`None`: before the first item).
fn issue(last: Option<&str>) -> String {
    static SERIAL: AtomicU64 = AtomicU64::new(1);
    // A serial makes every token distinct: the SDK paginators stop when a
    // token repeats, and an empty page keeps the position it was given.
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    let (op, binding, key) = current(|s| {
        s.map_or((String::new(), 0, 0), |(s, _)| {
            (s.op.clone(), s.binding, s.key)
        })
    });
    let position = match last {
        None => "^".to_owned(),
        Some(k) => format!(">{k}"),
    };
    let payload = format!("{op}\x1f{binding:016x}\x1f{serial:x}\x1f{position}");
    let mac = fingerprint([&key.to_le_bytes()[..], payload.as_bytes()]);
    format!("{mac:016x}{}", hex(payload.as_bytes()))
}

/// Reads a token: the position it carries (`None`: before the first item).
fn read(token: &str) -> Result<Option<String>, BadToken> {
    let (mac, body) = (
        token.get(..16).ok_or(BadToken)?,
        token.get(16..).ok_or(BadToken)?,
    );
    let payload = String::from_utf8(unhex(body).ok_or(BadToken)?).map_err(|_| BadToken)?;
    let (op, binding, key) = current(|s| {
        s.map_or((String::new(), 0, 0), |(s, _)| {
            (s.op.clone(), s.binding, s.key)
        })
    });
    let want = fingerprint([&key.to_le_bytes()[..], payload.as_bytes()]);
    if u64::from_str_radix(mac, 16).ok() != Some(want) {
        return Err(BadToken);
    }
    let mut parts = payload.splitn(4, '\x1f');
    let (t_op, t_binding, _serial, position) = (
        parts.next().ok_or(BadToken)?,
        parts.next().ok_or(BadToken)?,
        parts.next().ok_or(BadToken)?,
        parts.next().ok_or(BadToken)?,
    );
    if t_op != op || u64::from_str_radix(t_binding, 16).ok() != Some(binding) {
        return Err(BadToken);
    }
    match position.split_at_checked(1) {
        Some(("^", "")) => Ok(None),
        Some((">", k)) => Ok(Some(k.to_owned())),
        _ => Err(BadToken),
    }
}

/// One page of `items` in the order of `key` (an order-preserving, unique
/// sort key per item; see [`desc`] and [`asc`]), after the position of
/// `token`, at most `limit` items. Returns the page and the token of the
/// next one (`None` at the end).
///
/// # Errors
/// [`BadToken`] for a token not issued for this operation and these filters.
pub(crate) fn page_by<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    token: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), BadToken> {
    let after = match token {
        None => None,
        Some(t) => read(t)?,
    };
    let mut keyed: Vec<(String, T)> = items.into_iter().map(|i| (key(&i), i)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let rest: Vec<(String, T)> = keyed
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .collect();
    let cap = limit.min(rest.len());
    // (page length, whether a page that reaches the end still gets a token)
    let (n, trailing) = current(|s| {
        let Some((scope, rng)) = s else {
            return (cap, false);
        };
        if scope.short_pages <= 0.0 || !rng.random_bool(scope.short_pages.min(1.0)) {
            (cap, false)
        } else if cap == 0 || rng.random_bool(0.5) {
            (0, true)
        } else {
            (rng.random_range(1..=cap), true)
        }
    });
    let more = n < rest.len() || (trailing && !rest.is_empty());
    let mut page: Vec<(String, T)> = rest;
    page.truncate(n);
    let next = more.then(|| issue(page.last().map(|(k, _)| k.as_str()).or(after.as_deref())));
    Ok((page.into_iter().map(|(_, i)| i).collect(), next))
}

/// A sort key that orders non-negative `x` ascending (millisecond precision).
pub(crate) fn asc(x: f64) -> String {
    format!("{:020}", (x.max(0.0) * 1_000.0) as u64)
}

/// A sort key that orders non-negative `x` descending (millisecond precision).
pub(crate) fn desc(x: f64) -> String {
    format!("{:020}", u64::MAX - (x.max(0.0) * 1_000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(op: &str, binding: u64, short: f64) -> Scope {
        Scope {
            op: op.into(),
            binding,
            key: 7,
            short_pages: short,
            seed: 1,
        }
    }

    fn all_pages(items: &[u32], short: f64, limit: usize) -> (Vec<u32>, usize, usize) {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let (mut calls, mut empty) = (0, 0);
        for seed in 0..10_000u64 {
            let mut s = scope("ssm:X", 1, short);
            s.seed = seed;
            let (page, next) = scoped(s, || {
                page_by(
                    items.to_vec(),
                    |i| format!("{i:08}"),
                    token.as_deref(),
                    limit,
                )
            })
            .expect("own token");
            calls += 1;
            empty += usize::from(page.is_empty());
            out.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => return (out, calls, empty),
            }
        }
        panic!("paging did not end in 10,000 calls");
    }

    #[test]
    fn pages_cover_every_item_once_even_when_short() {
        let items: Vec<u32> = (0..237).collect();
        let (got, calls, empty) = all_pages(&items, 0.0, 50);
        assert_eq!(got, items);
        assert_eq!((calls, empty), (5, 0));
        let (got, calls, empty) = all_pages(&items, 1.0, 50);
        assert_eq!(got, items);
        assert!(calls > 5 && empty > 0, "{calls} calls, {empty} empty");
        let (got, _, _) = all_pages(&items, 1.0, 1);
        assert_eq!(got, items);
    }

    #[test]
    fn tokens_are_bound_to_operation_filters_and_lab() {
        let items: Vec<u32> = (0..20).collect();
        let key = |i: &u32| format!("{i:08}");
        let (_, next) = scoped(scope("ssm:A", 1, 0.0), || {
            page_by(items.clone(), key, None, 5)
        })
        .unwrap();
        let t = next.unwrap();
        assert!(
            scoped(scope("ssm:A", 1, 0.0), || page_by(
                items.clone(),
                key,
                Some(&t),
                5
            ))
            .is_ok()
        );
        assert_eq!(
            scoped(scope("ssm:B", 1, 0.0), || page_by(
                items.clone(),
                key,
                Some(&t),
                5
            ))
            .unwrap_err(),
            BadToken
        );
        assert_eq!(
            scoped(scope("ssm:A", 2, 0.0), || page_by(
                items.clone(),
                key,
                Some(&t),
                5
            ))
            .unwrap_err(),
            BadToken
        );
        let mut other_lab = scope("ssm:A", 1, 0.0);
        other_lab.key = 8;
        assert_eq!(
            scoped(other_lab, || page_by(items.clone(), key, Some(&t), 5)).unwrap_err(),
            BadToken
        );
        for bad in ["lab:5", "", "zz", &t[..t.len() - 2]] {
            assert_eq!(
                scoped(scope("ssm:A", 1, 0.0), || page_by(
                    items.clone(),
                    key,
                    Some(bad),
                    5
                ))
                .unwrap_err(),
                BadToken,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_position_survives_inserts_and_deletes() {
        let key = |i: &u32| format!("{i:08}");
        let s = || scope("ssm:A", 1, 0.0);
        let items: Vec<u32> = (0..10).map(|i| i * 10).collect();
        let (first, next) = scoped(s(), || page_by(items.clone(), key, None, 4)).unwrap();
        assert_eq!(first, [0, 10, 20, 30]);
        // 10 deleted, 5 and 35 created between the pages.
        let changed: Vec<u32> = [0, 5, 20, 30, 35, 40, 50, 60, 70, 80, 90].into();
        let (second, _) = scoped(s(), || page_by(changed, key, next.as_deref(), 4)).unwrap();
        assert_eq!(second, [35, 40, 50, 60]);
        assert!(desc(2.0) < desc(1.0) && asc(1.0) < asc(2.0));
    }
}
