//! A progress bar on stderr while hashing gigabytes, shown only on a terminal and never in CI
//! logs (`CI` set), so piped and logged output stays clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Progress {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

/// Whether a progress bar may be drawn at all.
pub(crate) fn wanted() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

impl Progress {
    /// Starts drawing `counter` against `total` bytes (a spinner when the total is unknown).
    pub(crate) fn start(label: &str, total: Option<u64>, counter: Arc<AtomicU64>) -> Progress {
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                // `wide_msg` takes the width the rest leaves and cuts a long label, so the line fits
                // the terminal (an 80-column one wrapped the bar with a long path before).
                ProgressStyle::with_template("{wide_msg} [{bar:20}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                    .expect("static template")
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {wide_msg} {bytes} {bytes_per_sec}").expect("static template"),
            ),
        };
        bar.set_message(label.to_string());
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, stop) = (bar.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(counter.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Progress { bar, stop, ticker: Some(ticker) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::{InMemoryTerm, ProgressDrawTarget, TermLike};

    #[test]
    fn a_long_label_fits_an_80_column_terminal() {
        let term = InMemoryTerm::new(4, 80);
        let counter = Arc::new(AtomicU64::new(1 << 29));
        let label = format!("docker-archive:/very/long/path/{}/image.tar", "x".repeat(150));
        let p = Progress::start(&label, Some(1 << 30), counter);
        p.bar.set_draw_target(ProgressDrawTarget::term_like(Box::new(term.clone())));
        p.bar.set_position(1 << 29);
        p.bar.tick();
        let screen = term.contents();
        let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one line, not wrapped: {screen:?}");
        assert!(lines[0].contains("512.00 MiB/1.00 GiB"), "{screen:?}");
        assert!(term.width() == 80);
    }
}
