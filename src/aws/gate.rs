//! A concurrency cap that gives way under throttling: at most `limit`
//! calls at once, `limit` halved (down to 1) when a call is throttled and
//! grown back by one after `limit` calls in a row succeed, up to the
//! starting cap (additive increase, multiplicative decrease). The Fleet
//! pane's EC2 and tag joins run through one each, so a throttled account
//! is asked more slowly instead of losing rows (issue 18 item 1).

use std::sync::Arc;
use std::sync::Mutex;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// See the module documentation.
#[derive(Debug)]
pub struct Gate {
    permits: Arc<Semaphore>,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    /// The cap now.
    limit: usize,
    /// The starting cap (never exceeded).
    max: usize,
    /// Permits to take out of circulation as they come back.
    debt: usize,
    /// Successes since the cap last moved.
    streak: usize,
}

/// A turn through a [`Gate`]; dropping it gives the turn back (or retires
/// it when the cap came down meanwhile).
#[derive(Debug)]
pub struct Turn {
    permit: Option<OwnedSemaphorePermit>,
    gate: Arc<Gate>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(p) = self.permit.take() else { return };
        let mut s = self.gate.state.lock().expect("gate lock");
        if s.debt > 0 {
            s.debt -= 1;
            p.forget();
        }
    }
}

impl Gate {
    /// A gate of `max` calls at once (at least 1).
    pub fn new(max: usize) -> Arc<Gate> {
        let max = max.max(1);
        Arc::new(Gate {
            permits: Arc::new(Semaphore::new(max)),
            state: Mutex::new(GateState {
                limit: max,
                max,
                debt: 0,
                streak: 0,
            }),
        })
    }

    /// Waits for a turn (`None` only if the gate was closed, which it
    /// never is).
    pub async fn enter(self: &Arc<Gate>) -> Option<Turn> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        Some(Turn {
            permit: Some(permit),
            gate: self.clone(),
        })
    }

    /// The cap now.
    pub fn limit(&self) -> usize {
        self.state.lock().expect("gate lock").limit
    }

    /// A call was throttled: halve the cap (at least 1).
    pub fn throttled(&self) {
        let mut s = self.state.lock().expect("gate lock");
        let to = (s.limit / 2).max(1);
        let cut = s.limit - to;
        s.limit = to;
        s.streak = 0;
        // Free permits go now; the rest as turns come back.
        let gone = self.permits.forget_permits(cut);
        s.debt += cut - gone;
    }

    /// A call succeeded: after `limit` in a row, one more at once (up to
    /// the starting cap).
    pub fn succeeded(&self) {
        let mut s = self.state.lock().expect("gate lock");
        if s.limit >= s.max {
            return;
        }
        s.streak += 1;
        if s.streak < s.limit {
            return;
        }
        s.streak = 0;
        s.limit += 1;
        if s.debt > 0 {
            s.debt -= 1;
        } else {
            self.permits.add_permits(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttling_halves_the_cap_and_successes_grow_it_back() {
        let g = Gate::new(8);
        let held: Vec<Turn> = futures::future::join_all((0..8).map(|_| g.enter()))
            .await
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(g.permits.available_permits(), 0);
        g.throttled();
        assert_eq!(g.limit(), 4);
        drop(held);
        assert_eq!(
            g.permits.available_permits(),
            4,
            "the turns out when the cap came down were retired"
        );
        g.throttled();
        g.throttled();
        g.throttled();
        assert_eq!(g.limit(), 1, "never below one");
        assert_eq!(g.permits.available_permits(), 1);
        // One success at a cap of 1 grows it to 2, two more to 3, …
        g.succeeded();
        assert_eq!(g.limit(), 2);
        g.succeeded();
        g.succeeded();
        assert_eq!(g.limit(), 3);
        for _ in 0..100 {
            g.succeeded();
        }
        assert_eq!(g.limit(), 8, "never above the start");
        assert_eq!(g.permits.available_permits(), 8);
    }
}
