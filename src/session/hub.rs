//! Live sessions by tab: where their input goes. The hub outlives a
//! context switch (a session keeps running on the context it was started
//! in, until it ends or the user terminates it), and on quit it ends every
//! session that is still open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::client::SessionInput;

/// Input senders of the live sessions, and their tasks.
#[derive(Clone, Default)]
pub struct SessionHub {
    inputs: Arc<Mutex<HashMap<usize, Input>>>,
    tasks: TaskTracker,
}

/// Where a tab's input goes: its session, or a queue until it starts.
enum Input {
    /// Held until the session's job registers (input jobs may run first).
    Held(Vec<SessionInput>),
    /// The session's input.
    Live(mpsc::UnboundedSender<SessionInput>),
}

/// Inputs held for a tab whose session has not registered yet, at most.
const HELD_MAX: usize = 1_024;

impl SessionHub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Input for tab `tab` goes to `tx` from now on.
    /// Input sent before (held) is passed on first, in order.
    pub fn register(&self, tab: usize, tx: mpsc::UnboundedSender<SessionInput>) {
        if let Ok(mut m) = self.inputs.lock() {
            if let Some(Input::Held(held)) = m.remove(&tab) {
                for i in held {
                    let _ = tx.send(i);
                }
            }
            m.insert(tab, Input::Live(tx));
        }
    }

    /// The session of tab `tab` ended: its input goes nowhere.
    pub fn unregister(&self, tab: usize) {
        if let Ok(mut m) = self.inputs.lock() {
            m.remove(&tab);
        }
    }

    /// Sends `input` to tab `tab`'s session, holding it (at most
    /// [`HELD_MAX`] inputs) while the session has not registered yet;
    /// `false` if it was dropped.
    pub fn send(&self, tab: usize, input: SessionInput) -> bool {
        let Ok(mut m) = self.inputs.lock() else {
            return false;
        };
        match m.entry(tab).or_insert_with(|| Input::Held(Vec::new())) {
            Input::Live(tx) => tx.send(input).is_ok(),
            Input::Held(held) if held.len() < HELD_MAX => {
                held.push(input);
                true
            }
            Input::Held(_) => false,
        }
    }

    /// Runs a session's work as a tracked task (awaited on quit).
    pub fn track<F>(&self, fut: F) -> impl std::future::Future<Output = F::Output> + Send
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        self.tasks.track_future(fut)
    }

    /// How many sessions have a task that has not ended.
    pub fn live(&self) -> usize {
        self.tasks.len()
    }

    /// Ends every open session (Terminate: the TerminateSession flag, then
    /// the API call) and waits at most `within` for them to finish.
    pub async fn terminate_all(&self, within: Duration) {
        if let Ok(mut m) = self.inputs.lock() {
            for i in m.values_mut() {
                match i {
                    Input::Live(tx) => {
                        let _ = tx.send(SessionInput::Terminate);
                    }
                    // A session still starting ends as soon as it registers.
                    Input::Held(held) => held.push(SessionInput::Terminate),
                }
            }
        }
        self.tasks.close();
        let _ = tokio::time::timeout(within, self.tasks.wait()).await;
    }
}
