//! The shared harness of pure pane tests: state and a [`Shared`] in, the
//! pane's jobs and requests out ([`run`]); the pane alone drawn into an
//! area of its own ([`screen`]), so a pane's tests never draw the shell
//! (tabs, header, footer) and a new tab rewrites none of them.
//!
//! Each pane's tests wrap these two with the [`Shared`] they need (the
//! nodes it reads, the terminal size, the clock in epoch seconds).

use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use crate::config::Settings;
use crate::pane::{Cx, Pane, RenderContext, Request, Shared};

/// What one pane update collected: `f`'s result, the jobs (passed through
/// [`Pane::wrap_job`], as the shell does) and the requests to the shell.
pub type Ran<R, P> = (
    R,
    Vec<<P as Pane>::Job>,
    Vec<Request<<P as Pane>::Job, <P as Pane>::Ask>>,
);

/// Runs `f` on pane `p` with a fresh [`Cx`] at `now` over `shared`, as the
/// shell's `with_pane` does, and returns what it collected.
pub fn run<P: Pane, R>(
    p: &mut P,
    shared: Shared<'_>,
    now: Instant,
    f: impl FnOnce(&mut P, &mut Cx<P::Job, P::Ask>) -> R,
) -> Ran<R, P> {
    let mut cx = Cx::new(now, shared);
    let r = f(p, &mut cx);
    let (jobs, requests) = cx.finish();
    let jobs = jobs.into_iter().map(|j| p.wrap_job(j)).collect();
    (r, jobs, requests)
}

/// Pane `p` drawn alone ([`Pane::view`]) into a `width`×`height` area
/// (character cells) with the default theme and keymap and the render's
/// clock at `now`: one string per row, each of exactly `width` cells,
/// every row ended by a newline.
pub fn screen<P: Pane>(p: &P, width: u16, height: u16, now: Instant) -> String {
    let settings = Settings::load(None);
    let rcx = RenderContext {
        theme: &settings.theme,
        keymap: &settings.keymap,
        now,
    };
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("a test backend");
    term.draw(|f| p.view(f, Rect::new(0, 0, width, height), &rcx))
        .expect("a test backend draws");
    let b = term.backend().buffer().clone();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panes::documents::DocumentsState;

    /// The harness collects what the pane asked for and draws only the
    /// pane: the Documents pane's refresh asks for its list, and its
    /// drawing has its own title, not the shell's tabs.
    #[test]
    fn the_harness_collects_jobs_and_draws_only_the_pane() {
        let mut p = DocumentsState::default();
        let ((), jobs, requests) = run(&mut p, Shared::default(), Instant::now(), |p, cx| {
            p.refresh(cx)
        });
        assert!(!jobs.is_empty(), "a refresh reads the documents");
        assert!(requests.is_empty(), "{requests:?}");
        let s = screen(&p, 60, 8, Instant::now());
        assert_eq!(s.lines().count(), 8);
        assert!(s.lines().all(|l| l.chars().count() == 60), "{s}");
        assert!(!s.contains("Fleet") && !s.contains("Activ"), "no tabs: {s}");
    }
}
