//! Terminal set-up and tear-down in one place. The terminal is restored on
//! normal exit, on panic (hook), and when the guard drops (SIGTERM/SIGHUP end
//! the event loop, which drops it).

use std::io::{Stdout, stdout};
use std::sync::Once;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The console's terminal type.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal: leaves raw mode and the alternate screen, shows the
/// cursor. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

static HOOK: Once = Once::new();

/// Installs (once) a panic hook that restores the terminal before the
/// default hook prints the panic.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Owns the terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: Tui,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen; with `mouse`, also
    /// captures the mouse (clicks and the wheel).
    ///
    /// # Errors
    /// I/O errors from the terminal (e.g. stdout is not a terminal).
    pub fn enter(mouse: bool) -> std::io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        if let Err(e) = execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        if mouse && let Err(e) = execute!(stdout(), EnableMouseCapture) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout())) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                let _ = terminal.clear();
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts `text` on the clipboard of the user's terminal with OSC 52, which
/// travels over SSH to the local terminal.
pub fn copy_osc52(text: &str) {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

/// Also puts `text` on the local desktop clipboard where one exists
/// (Wayland `wl-copy`, X11 `xclip`, macOS `pbcopy`); on a jump host
/// without a display this does nothing and OSC 52 carries the text.
pub fn copy_native(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let tool: Option<(&str, &[&str])> = if std::env::var_os("WAYLAND_DISPLAY").is_some() {
        Some(("wl-copy", &[]))
    } else if std::env::var_os("DISPLAY").is_some() {
        Some(("xclip", &["-selection", "clipboard"]))
    } else if cfg!(target_os = "macos") {
        Some(("pbcopy", &[]))
    } else {
        None
    };
    let Some((cmd, args)) = tool else {
        return;
    };
    if let Ok(mut child) = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        let _ = child.wait();
    }
}
