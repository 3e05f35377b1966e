//! The event loop: terminal events → keymap → `update` → effects run as
//! cancellable tokio tasks → result actions (batched) → coalesced render.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use crate::action::{Action, InputKey};
use crate::app::{App, ContextInfo, Effect, Mode, ShellMsg};
use crate::audit::Audit;
use crate::aws::AwsContext;
use crate::aws::contexts::ContextSet;
use crate::config::Settings;
use crate::config::keymap::{KeySpec, Resolved};
use crate::job::{AuditScope, AuditWhen, Job, JobBase, JobEnv, Mutation};
use crate::model::ContextId;
use crate::panes::sessions::SessionsJob;
use crate::session::hub::SessionHub;
use crate::tui::TerminalGuard;
use crate::ui::{RenderContext, render};

/// When the process started (set first thing in `main`), for the
/// time-to-first-frame measurement.
pub static PROCESS_START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Minimum time between two draws after the user's input (about 60
/// frames a second at most).
pub const FRAME: Duration = Duration::from_millis(16);

/// Minimum time between two draws when only jobs reported (a load's pages,
/// joins and polls: 20 frames a second at most), so a load that streams a
/// thousand answers does not settle and redraw the whole table for each
/// (issue 13 item 11: CPU grew with the latency per call).
pub const BACKGROUND_FRAME: Duration = Duration::from_millis(50);

/// Sends actions from tasks to the loop.
pub type ActionTx = mpsc::UnboundedSender<Action>;

/// The one job runner: spawns each pane's typed jobs, one cancellation
/// token per slot (a new job in a slot cancels the old one; dropping the
/// runner cancels every slotted job, while writes, which have no slot, run
/// to completion), refuses a mutating job in read-only mode, writes the
/// audit line of every write from its declaration, and tags every report
/// with the context generation it was started under.
pub struct TaskManager {
    base: JobBase,
    tx: ActionTx,
    generation: u64,
    read_only: Option<String>,
    /// Why each context of the set is read-only (`None`: writable).
    context_read_only: Vec<Option<String>>,
    running: HashMap<String, CancellationToken>,
}

/// A notice sink on `tx`: SDK retry notices, audit write failures.
pub fn notice_sink(tx: ActionTx) -> crate::aws::NoticeSink {
    Arc::new(move |text| {
        let _ = tx.send(Action::Notice(text, Instant::now()));
    })
}

/// The action a shell job's report becomes.
fn shell_action(m: ShellMsg) -> Action {
    match m {
        ShellMsg::Identity(r) => Action::IdentityLoaded(r),
        ShellMsg::ContextIdentity(id, r) => Action::ContextIdentity(id, r),
        ShellMsg::AccountAlias(id, alias) => Action::AccountAlias(id, alias),
        ShellMsg::Notice(text) => Action::Notice(text, Instant::now()),
    }
}

impl TaskManager {
    /// A runner for context generation 0 on the one context `ctx` that
    /// sends results on `tx`, with a session hub of its own.
    pub fn new(ctx: AwsContext, tx: ActionTx) -> Self {
        Self::for_set(ContextSet::single(ctx), tx)
    }

    /// A runner for context generation 0 on every context of `set`.
    pub fn for_set(set: ContextSet, tx: ActionTx) -> Self {
        let audit = AuditScope::new(None, notice_sink(tx.clone()));
        TaskManager {
            base: JobBase {
                ctx: set.primary().clone(),
                contexts: set,
                homes: Default::default(),
                audit,
                sessions: SessionHub::new(),
                state_path: None,
                data_dir: None,
                session_plugin: None,
                fleet_listing: Default::default(),
            },
            tx,
            generation: 0,
            read_only: None,
            context_read_only: Vec::new(),
            running: HashMap::new(),
        }
    }

    /// The runner for the context after a profile or region switch to
    /// `ctx`: the next context generation (reports of this runner's jobs
    /// become stale), the same session hub (open sessions keep running on
    /// the context they were started in), read-only, state path and
    /// plugin; no audit log until [`TaskManager::set_audit`]. Dropping
    /// `self` afterwards cancels its slotted jobs; writes still finish.
    pub fn next_context(&self, ctx: AwsContext) -> TaskManager {
        self.next_set(ContextSet::single(ctx))
    }

    /// [`TaskManager::next_context`] onto every context of `set` (the
    /// `:contexts` picker's switch).
    pub fn next_set(&self, set: ContextSet) -> TaskManager {
        let mut next = TaskManager::for_set(set, self.tx.clone());
        next.generation = self.generation + 1;
        next.base.sessions = self.base.sessions.clone();
        next.base.state_path = self.base.state_path.clone();
        next.base.data_dir = self.base.data_dir.clone();
        next.base.session_plugin = self.base.session_plugin.clone();
        next.base.fleet_listing = self.base.fleet_listing;
        next.read_only = self.read_only.clone();
        next
    }

    /// The context generation this runner tags its reports with.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The live sessions.
    pub fn sessions(&self) -> SessionHub {
        self.base.sessions.clone()
    }

    /// The labels of every context of its set, in order.
    pub fn context_labels(&self) -> &[crate::model::ContextLabel] {
        self.base.contexts.labels()
    }

    /// The AWS context its jobs run in.
    pub fn context(&self) -> &AwsContext {
        &self.base.ctx
    }

    /// Shells go through `plugin` (session-manager-plugin) from now on.
    pub fn set_session_plugin(&mut self, plugin: Option<std::path::PathBuf>) {
        self.base.session_plugin = plugin;
    }

    /// The Fleet load lists managed nodes by `listing` from now on.
    pub fn set_fleet_listing(&mut self, listing: crate::aws::fleet::Listing) {
        self.base.fleet_listing = listing;
    }

    /// Refuses every mutating job, saying `why` (`None`: writes allowed).
    pub fn set_read_only(&mut self, why: Option<String>) {
        self.read_only = why;
    }

    /// Refuses a mutating job that writes to a read-only context of the
    /// set ([`Job::writes_to`]): `why` by [`ContextId`], `None` where
    /// writes are allowed (a context past the end is writable).
    pub fn set_context_read_only(&mut self, why: Vec<Option<String>>) {
        self.context_read_only = why;
    }

    /// Ends every open session (TerminateSession), waiting at most
    /// `within` for the calls: no session is left open in the account.
    pub async fn terminate_sessions(&mut self, within: Duration) {
        self.base.sessions.terminate_all(within).await;
    }

    /// Where saved filters and recent targets are written (`None`: nowhere).
    pub fn set_state_path(&mut self, path: Option<std::path::PathBuf>) {
        self.base.state_path = path;
    }

    /// Where exports (Run Command results) are written (`None`: nowhere).
    pub fn set_data_dir(&mut self, dir: Option<std::path::PathBuf>) {
        self.base.data_dir = dir;
    }

    /// Records every mutation in `audit` from now on (`None`: no audit log).
    pub fn set_audit(&mut self, audit: Option<Audit>) {
        self.base.audit = AuditScope::new(audit, notice_sink(self.tx.clone()))
            .with_labels(self.base.contexts.labels().to_vec());
    }

    /// Starts the work an effect asks for.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Shell(j) => self.spawn(j, shell_action),
            Effect::Sessions(j @ SessionsJob::Input { .. }) => {
                // Input is a send on the session's channel, not work to
                // spawn: it goes now, so keys keep their order.
                if !self.refused(&j.mutation(), &[])
                    && let SessionsJob::Input { tab, input } = j
                {
                    self.base.sessions.send(tab, input);
                }
            }
            Effect::SwitchContext { .. } | Effect::SwitchSet(_) => {
                // The event loop handles it: it replaces this runner.
            }
            Effect::Quit => {
                // The shell acts on it when the user says yes.
            }
            // Every pane's job: spawned, its messages carried back in its
            // pane's Action (the registry's table says which).
            pane => crate::app::registry::with_pane_job!(pane, |j, report| self.spawn(j, report)),
        }
    }

    /// The read-only gate: whether `mutation`, writing to contexts
    /// `places`, is refused (with a notice naming why and where).
    fn refused(&self, mutation: &Option<Mutation>, places: &[ContextId]) -> bool {
        let Some(m) = mutation else {
            return false;
        };
        let text = if let Some(why) = &self.read_only {
            format!("read-only ({why}): {} not sent", m.action)
        } else {
            let labels = self.base.contexts.labels();
            let mut shut: Vec<(String, &str)> = Vec::new();
            for p in places {
                if let Some(Some(why)) = self.context_read_only.get(p.index()) {
                    let name = labels
                        .get(p.index())
                        .map_or_else(String::new, |l| l.short());
                    if !shut.iter().any(|(n, _)| *n == name) {
                        shut.push((name, why));
                    }
                }
            }
            let Some((name, why)) = shut.first() else {
                return false;
            };
            let more = match shut.len() {
                1 => String::new(),
                n => format!(" and {} more read-only contexts", n - 1),
            };
            format!(
                "read-only in {name}{more} ({why}): {} not sent; its rows are read-only",
                m.action
            )
        };
        tracing::warn!(action = m.action, "read-only: job refused");
        let _ = self.tx.send(Action::Notice(text, Instant::now()));
        true
    }

    /// Runs `job`: the read-only gate, its slot, its audit line, its
    /// reports tagged with this runner's context generation.
    fn spawn<J: Job>(&mut self, job: J, wrap: fn(J::Msg) -> Action) {
        let mutation = job.mutation();
        let slot = job.slot();
        let places = if mutation.is_some() {
            job.writes_to(&self.base)
        } else {
            Vec::new()
        };
        if self.refused(&mutation, &places) {
            return;
        }
        let (context, tx) = (self.generation, self.tx.clone());
        let send: Arc<dyn Fn(J::Msg) + Send + Sync> = Arc::new(move |m| {
            let action = Box::new(wrap(m));
            let _ = tx.send(Action::Reported { context, action });
        });
        let env = JobEnv::new(self.base.clone(), send.clone());
        let audit = self.base.audit.clone();
        let failed = self.tx.clone();
        let fut = async move {
            let msg = job.run(env).await;
            if let Some(m) = mutation.as_ref().filter(|m| m.audit == AuditWhen::OnResult) {
                let outcomes = msg.as_ref().map(J::outcomes).unwrap_or_default();
                for o in outcomes.iter().filter(|o| o.outcome != "ok") {
                    tracing::warn!(action = m.action, outcome = %o.outcome, "write did not succeed");
                    let targets = o.targets.as_ref().unwrap_or(&m.targets).join(", ");
                    let _ = failed.send(Action::WriteFailed(format!(
                        "{} {targets}: {} (Esc acknowledges; :messages keeps it)",
                        m.action, o.outcome
                    )));
                }
                audit.record_outcomes(m, &outcomes);
            }
            if let Some(msg) = msg {
                send(msg);
            }
        };
        let Some(slot) = slot else {
            tokio::spawn(fut);
            return;
        };
        if let Some(old) = self.running.remove(&slot) {
            old.cancel();
        }
        let token = CancellationToken::new();
        self.running.insert(slot, token.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = fut => {}
            }
        });
    }
}

impl Drop for TaskManager {
    fn drop(&mut self) {
        for t in self.running.values() {
            t.cancel();
        }
    }
}

/// Builds the context for a profile/region switch from `base` and checks its
/// credentials (GetCallerIdentity) before the console moves to it.
pub async fn switch_context(
    base: &crate::aws::ConnectOptions,
    profile: Option<String>,
    region: Option<String>,
    tx: ActionTx,
) -> Result<AwsContext, String> {
    let mut opts = base.clone();
    if let Some(p) = &profile {
        let known = crate::aws::profile_names().await;
        if !known.contains(p) {
            return Err(format!(
                "profile '{p}' is not in the shared AWS config files (~/.aws/config, ~/.aws/credentials){}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!("; known: {}", known.join(", "))
                }
            ));
        }
    }
    if let Some(p) = profile {
        opts.profile = Some(p);
        // Another profile brings its own credentials and region.
        opts.static_credentials = None;
        if region.is_none() {
            opts.region = None;
        }
    }
    if let Some(r) = region {
        opts.region = Some(r);
    }
    let ctx = AwsContext::connect(&opts, Some(notice_sink(tx)))
        .await
        .map_err(|e| e.to_string())?;
    ctx.caller_identity().await.map_err(|e| e.to_string())?;
    Ok(ctx)
}

/// Connects what a switch effect asks for: one context (`:profile`,
/// `:region`) or a set (the `:contexts` picker).
///
/// # Errors
/// Why the switch failed, in the console's words (the old set stays).
pub async fn switch(
    base: &crate::aws::ConnectOptions,
    e: Effect,
    tx: ActionTx,
) -> Result<ContextSet, String> {
    match e {
        Effect::SwitchSet(specs) => ContextSet::connect(base, &specs, Some(notice_sink(tx)))
            .await
            .map_err(|e| e.to_string()),
        Effect::SwitchContext { profile, region } => switch_context(base, profile, region, tx)
            .await
            .map(ContextSet::single),
        _ => Err("not a context switch".into()),
    }
}

/// What the shell learns of the runner after a switch: the first
/// context, the generation and, for a set, every label with why each is
/// read-only.
fn switched_info(tasks: &TaskManager, settings: &Settings) -> ContextInfo {
    let ctx = tasks.context();
    let labels = tasks.context_labels();
    ContextInfo {
        profile: ctx.profile.clone(),
        region: ctx.region.clone(),
        endpoint: ctx.endpoint.clone(),
        identity: None,
        identity_error: None,
        generation: tasks.generation(),
        labels: if labels.len() > 1 {
            with_read_only(labels, settings)
        } else {
            Vec::new()
        },
    }
}

/// Maps a key to a text-input key while an input has focus.
fn input_key(ev: KeyEvent) -> Option<InputKey> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    Some(match ev.code {
        KeyCode::Char('u') if ctrl => InputKey::Clear,
        KeyCode::Char('w') if ctrl => InputKey::DeleteWord,
        KeyCode::Char('c') if ctrl => InputKey::Cancel,
        KeyCode::Char('a') if ctrl => InputKey::Home,
        KeyCode::Char('e') if ctrl => InputKey::End,
        KeyCode::Char(c) if !ctrl => InputKey::Char(c),
        KeyCode::Backspace => InputKey::Backspace,
        KeyCode::Tab => InputKey::Complete,
        KeyCode::Enter => InputKey::Submit,
        KeyCode::Esc => InputKey::Cancel,
        KeyCode::Up => InputKey::Up,
        KeyCode::Down => InputKey::Down,
        KeyCode::Left => InputKey::Left,
        KeyCode::Right => InputKey::Right,
        KeyCode::Home => InputKey::Home,
        KeyCode::End => InputKey::End,
        KeyCode::Delete => InputKey::Delete,
        _ => return None,
    })
}

/// A key in a confirmation or a choice list, through the `[confirm]` or
/// `[choice]` keymap layer, as the input the dialog acts on; digits 1–9
/// pick the option they number in a choice list. Unbound keys do nothing.
fn dialog_key(mode: Mode, settings: &Settings, ev: KeyEvent) -> Option<InputKey> {
    use crate::action::Command as C;
    if mode == Mode::Choose
        && let KeyCode::Char(d @ '1'..='9') = ev.code
    {
        return Some(InputKey::Char(d));
    }
    // The `:contexts` picker: the `[choice]` keys, and Space toggles,
    // Tab, h/l or Left/Right go to the other list.
    if mode == Mode::Contexts {
        match ev.code {
            KeyCode::Char(' ') => return Some(InputKey::Char(' ')),
            KeyCode::Tab | KeyCode::BackTab => return Some(InputKey::Complete),
            KeyCode::Left | KeyCode::Char('h') => return Some(InputKey::Left),
            KeyCode::Right | KeyCode::Char('l') => return Some(InputKey::Right),
            _ => {}
        }
    }
    let layer = if mode == Mode::Confirm {
        crate::config::Layer::Confirm
    } else {
        crate::config::Layer::Choice
    };
    match settings.keymap.resolve(layer, &[KeySpec::from_event(ev)]) {
        Resolved::Command(C::Yes | C::Pick) => Some(InputKey::Submit),
        Resolved::Command(C::No | C::Back) => Some(InputKey::Cancel),
        Resolved::Command(C::SelectNext) => Some(InputKey::Down),
        Resolved::Command(C::SelectPrev) => Some(InputKey::Up),
        _ => None,
    }
}

/// Turns terminal events into actions through the keymap, holding a pending
/// key sequence (`g g`).
pub struct KeyRouter {
    pending: Vec<KeySpec>,
}

impl Default for KeyRouter {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyRouter {
    /// An empty router.
    pub fn new() -> Self {
        KeyRouter {
            pending: Vec::new(),
        }
    }

    /// The action for a key event in the app's current mode, if any.
    pub fn route(&mut self, app: &App, settings: &Settings, ev: KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        if matches!(app.mode(), Mode::Confirm | Mode::Choose | Mode::Contexts) {
            self.pending.clear();
            // A change freeze's second question takes a capital Y only,
            // as typed, not through the keymap's yes keys.
            if app.confirm().is_some_and(|c| c.second) {
                return match ev.code {
                    KeyCode::Char('Y') => Some(Action::Input(InputKey::Char('Y'))),
                    _ => dialog_key(app.mode(), settings, ev)
                        .filter(|k| *k == InputKey::Cancel)
                        .map(Action::Input),
                };
            }
            return dialog_key(app.mode(), settings, ev).map(Action::Input);
        }
        if matches!(app.mode(), Mode::Filter | Mode::CommandLine | Mode::Prompt) {
            self.pending.clear();
            return input_key(ev).map(Action::Input);
        }
        if app.mode() == Mode::Help
            && !app.help().is_some_and(|h| h.typing)
            && settings
                .keymap
                .resolve(crate::config::Layer::Global, &[KeySpec::from_event(ev)])
                == Resolved::Command(crate::action::Command::Help)
        {
            // The user's help key closes help too (not only `?`).
            self.pending.clear();
            return Some(Action::Command(crate::action::Command::Help));
        }
        if matches!(app.mode(), Mode::Editor | Mode::Help) {
            self.pending.clear();
            return Some(Action::Key(ev));
        }
        if app.pane == crate::app::Pane::Sessions
            && app.sessions.focused
            && app.mode() == Mode::Normal
        {
            // Every key goes to the shell except the escape chord.
            self.pending.clear();
            let key = KeySpec::from_event(ev);
            if settings
                .keymap
                .resolve(crate::config::Layer::Sessions, &[key])
                == Resolved::Command(crate::action::Command::TerminalUnfocus)
            {
                return Some(Action::Command(crate::action::Command::TerminalUnfocus));
            }
            return Some(Action::Key(ev));
        }
        let key = KeySpec::from_event(ev);
        self.pending.push(key);
        match settings.keymap.resolve(app.pane.layer(), &self.pending) {
            Resolved::Command(c) => {
                self.pending.clear();
                Some(Action::Command(c))
            }
            Resolved::Pending => None,
            Resolved::Nothing => {
                // A dead sequence: retry the last key on its own.
                let retry = self.pending.len() > 1;
                self.pending.clear();
                if retry {
                    self.pending.push(key);
                    match settings.keymap.resolve(app.pane.layer(), &self.pending) {
                        Resolved::Command(c) => {
                            self.pending.clear();
                            return Some(Action::Command(c));
                        }
                        Resolved::Pending => return None,
                        Resolved::Nothing => self.pending.clear(),
                    }
                }
                None
            }
        }
    }
}

/// Runs the console until the user quits or the process gets SIGTERM/SIGHUP.
///
/// # Errors
/// Terminal I/O errors.
pub async fn run_console(
    set: ContextSet,
    settings: Settings,
    tx: ActionTx,
    mut rx: mpsc::UnboundedReceiver<Action>,
    first_frame_exit: bool,
) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter(settings.mouse)?;
    let size = guard.terminal.size()?;
    let now = Instant::now();
    let ctx = set.primary().clone();
    let (mut app, effects) = start_app(&ctx, &settings, (size.width, size.height), now);
    app.set_contexts(with_read_only(set.labels(), &settings));
    let mut settings = settings;
    // First frame before any network answer.
    let first = app.settle();
    draw(&mut guard, &app, &settings)?;
    if first_frame_exit {
        drop(guard);
        let since = PROCESS_START.get().map_or(Duration::ZERO, Instant::elapsed);
        eprintln!("first frame after {:.1} ms", since.as_secs_f64() * 1e3);
        return Ok(());
    }
    let base_options = ctx.options.clone();
    let mut tasks = first_runner(set, tx.clone(), &settings);
    let (switch_tx, mut switch_rx) = mpsc::unbounded_channel::<Result<ContextSet, String>>();
    let mut pending_switch: Vec<Effect> = Vec::new();
    for e in effects.into_iter().chain(first) {
        tasks.run(e);
    }
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Action::ProfilesLoaded(crate::aws::profile_names().await));
        });
    }
    let mut events = EventStream::new();
    let mut router = KeyRouter::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let refresh_every = settings.refresh_interval;
    let mut next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    // SIGINT, SIGQUIT and SIGUSR1 end the console as SIGTERM does (their
    // default actions left the terminal raw and sessions open).
    use tokio::signal::unix::SignalKind;
    let mut sigint = tokio::signal::unix::signal(SignalKind::interrupt())?;
    let mut sigquit = tokio::signal::unix::signal(SignalKind::quit())?;
    let mut sigusr1 = tokio::signal::unix::signal(SignalKind::user_defined1())?;
    let mut dirty = false;
    // The user typed, clicked or resized since the last draw: draw sooner.
    let mut input = false;
    let mut last_draw = Instant::now();
    loop {
        let frame = if input { FRAME } else { BACKGROUND_FRAME };
        let frame_due = tokio::time::sleep(frame.saturating_sub(last_draw.elapsed()));
        let refresh_due = async {
            match next_refresh {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let mut batch: Vec<Action> = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    input = true;
                    batch.extend(terminal_action(ev, &mut router, &app, &settings));
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(a) = rx.recv() => {
                batch.push(a);
                // Drain what else arrived: one render per batch, not per chunk.
                while batch.len() < 512 {
                    match rx.try_recv() {
                        Ok(a) => batch.push(a),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => batch.push(Action::Tick(Instant::now())),
            () = refresh_due => {
                next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
                // Not over a failed load: its error stays on screen (with
                // how to retry) instead of flashing past as the next load
                // starts.
                if app.fleet.loading.is_none() && app.fleet.error.is_none() {
                    batch.push(Action::Command(crate::action::Command::Refresh));
                }
            }
            () = frame_due, if dirty => {}
            Some(switched) = switch_rx.recv() => match switched {
                Ok(set) => {
                    tasks = next_runner(&tasks, set, &mut settings, &mut app);
                    batch.push(Action::ContextSwitched(Ok(switched_info(&tasks, &settings))));
                }
                Err(e) => batch.push(Action::ContextSwitched(Err(e))),
            },
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
            _ = sigquit.recv() => break,
            _ = sigusr1.recv() => break,
        }
        let now = Instant::now();
        for a in batch {
            if matches!(a, Action::Command(crate::action::Command::Refresh)) {
                next_refresh = refresh_every.map(|d| tokio::time::Instant::now() + d);
            }
            for e in app.update(a, now) {
                if matches!(e, Effect::SwitchContext { .. } | Effect::SwitchSet(_)) {
                    pending_switch.push(e);
                } else {
                    tasks.run(e);
                }
            }
            dirty = true;
        }
        for e in pending_switch.drain(..) {
            let (base, tx, done) = (base_options.clone(), tx.clone(), switch_tx.clone());
            tokio::spawn(async move {
                let _ = done.send(switch(&base, e, tx).await);
            });
        }
        if app.quit {
            break;
        }
        let due = if input { FRAME } else { BACKGROUND_FRAME };
        if dirty && last_draw.elapsed() >= due {
            for e in app.settle() {
                tasks.run(e);
            }
            draw(&mut guard, &app, &settings)?;
            last_draw = Instant::now();
            dirty = false;
            input = false;
        }
    }
    // Restore the terminal first, then end the open sessions (bounded).
    drop(guard);
    tasks.terminate_sessions(Duration::from_secs(3)).await;
    drop(tasks);
    Ok(())
}

/// The set's labels, each with why it is read-only
/// ([`Settings::context_read_only`]).
fn with_read_only(
    labels: &[crate::model::ContextLabel],
    settings: &Settings,
) -> Vec<crate::model::ContextLabel> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| crate::model::ContextLabel {
            read_only: settings.context_read_only.get(i).cloned().flatten(),
            ..l.clone()
        })
        .collect()
}

/// The console's first state on `ctx`: the settings' read-only and key
/// help, the saved user state, the configuration problems; and the
/// effects of the first loads.
fn start_app(
    ctx: &AwsContext,
    settings: &Settings,
    size: (u16, u16),
    now: Instant,
) -> (App, Vec<Effect>) {
    let info = ContextInfo {
        profile: ctx.profile.clone(),
        region: ctx.region.clone(),
        endpoint: ctx.endpoint.clone(),
        identity: None,
        identity_error: None,
        generation: 0,
        labels: Vec::new(),
    };
    let (mut app, effects) = App::new(info, size, now);
    app.read_only = settings.read_only.clone();
    app.fleet.tag_columns = settings.config.fleet.tag_columns.clone();
    app.commands.remember_command_text = settings.config.run_command.remember_command_text;
    app.maintenance.calendars_that_matter = settings
        .config
        .profiles
        .iter()
        .filter_map(|(name, p)| Some((name.clone(), p.change_calendars.clone()?)))
        .collect();
    app.keyhelp = keyhelp(settings);
    app.keymap = settings.keymap.clone();
    if let Some(text) =
        crate::audit::data_dir().and_then(|d| std::fs::read_to_string(d.join("state.json")).ok())
    {
        app.load_user_state(&text);
    }
    if !settings.problems.is_empty() {
        app.update(
            Action::ConfigProblems(settings.problems.iter().map(ToString::to_string).collect()),
            now,
        );
    }
    (app, effects)
}

/// The runner of the first context: read-only, the audit log and the
/// user state in the data directory, the session plugin.
fn first_runner(set: ContextSet, tx: ActionTx, settings: &Settings) -> TaskManager {
    let audit = crate::audit::data_dir().map(|d| Audit::new(d.join("audit.jsonl"), set.primary()));
    let mut tasks = TaskManager::for_set(set, tx);
    tasks.set_read_only(settings.read_only.clone());
    tasks.set_context_read_only(settings.context_read_only.clone());
    tasks.set_audit(audit);
    tasks.set_state_path(crate::audit::data_dir().map(|d| d.join("state.json")));
    tasks.set_data_dir(crate::audit::data_dir());
    tasks.set_session_plugin(settings.session_plugin.clone());
    tasks.set_fleet_listing(settings.config.fleet.listing);
    tasks
}

/// Maps a terminal event to the console's action: keys through the
/// keymap (`router`), resizes, pastes, mouse clicks and wheel.
fn terminal_action(
    ev: Event,
    router: &mut KeyRouter,
    app: &App,
    settings: &Settings,
) -> Option<Action> {
    use crossterm::event::{MouseButton, MouseEventKind};
    match ev {
        Event::Key(k) => router.route(app, settings, k),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                Some(crate::app::MouseInput::Click(m.column, m.row))
            }
            MouseEventKind::ScrollUp => Some(crate::app::MouseInput::ScrollUp),
            MouseEventKind::ScrollDown => Some(crate::app::MouseInput::ScrollDown),
            _ => None,
        }
        .map(Action::Mouse),
        _ => None,
    }
}

/// The runner for `set` after a profile, region or set switch: the new
/// set's settings ([`Settings::for_set`]; a `--read-only` from the command
/// line, the mouse setting and the session plugin stay), applied to the
/// app, and its audit log; open sessions move over (see
/// [`TaskManager::next_set`]).
fn next_runner(
    tasks: &TaskManager,
    set: ContextSet,
    settings: &mut Settings,
    app: &mut App,
) -> TaskManager {
    // A new manager: every task of the old context is cancelled.
    let audit = crate::audit::data_dir().map(|d| Audit::new(d.join("audit.jsonl"), set.primary()));
    let forced = settings.read_only.as_deref() == Some("--read-only");
    let mouse = settings.mouse;
    let plugin = settings.session_plugin.clone();
    let profiles: Vec<Option<String>> = set.labels().iter().map(|l| l.profile.clone()).collect();
    *settings = Settings::for_set(settings.dir.as_deref(), &profiles);
    if forced {
        settings.read_only = Some("--read-only".into());
    }
    settings.mouse = mouse;
    if settings.session_plugin.is_none() {
        settings.session_plugin = plugin;
    }
    app.read_only = settings.read_only.clone();
    app.keyhelp = keyhelp(settings);
    app.keymap = settings.keymap.clone();
    // Sessions stay open on their own context: the hub moves over.
    let mut next = tasks.next_set(set);
    next.set_read_only(settings.read_only.clone());
    next.set_context_read_only(settings.context_read_only.clone());
    next.set_audit(audit);
    next.set_session_plugin(settings.session_plugin.clone());
    next.set_fleet_listing(settings.config.fleet.listing);
    next
}

/// The bound actions the palette offers, by pane (`None`: every pane).
fn keyhelp(
    settings: &Settings,
) -> Vec<(
    Option<crate::app::Pane>,
    String,
    crate::action::Command,
    String,
)> {
    let mut out = Vec::new();
    for (keys, c, desc) in settings.keymap.bindings(crate::config::Layer::Global) {
        out.push((None, keys, c, desc));
    }
    for p in crate::app::Pane::all() {
        for layer in crate::config::Keymap::chain(p.layer()) {
            if layer == crate::config::Layer::Global {
                continue;
            }
            for (keys, c, desc) in settings.keymap.bindings(layer) {
                out.push((Some(p), keys, c, desc));
            }
        }
    }
    out
}

fn draw(guard: &mut TerminalGuard, app: &App, settings: &Settings) -> std::io::Result<()> {
    let cx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now: Instant::now(),
    };
    guard.terminal.draw(|f| render(f, app, &cx))?;
    Ok(())
}
