//! Blobs are moved on a few threads at once: transfers mostly wait on the network.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `work` on every item with up to `jobs` threads, largest first (so the long transfers
/// start early). With `stop_on_error`, the first error stops the items not yet started.
/// Results come back in the items' order; items never started are missing.
pub(crate) fn run<T: Sync, R: Send, E: Send>(
    items: &[T],
    jobs: usize,
    size: impl Fn(&T) -> u64,
    stop_on_error: bool,
    work: impl Fn(&T) -> Result<R, E> + Sync,
) -> Vec<Result<R, E>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(&items[i])));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, Result<R, E>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    let r = work(&items[i]);
                    if stop_on_error && r.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// [`run`], stopping at the first error and returning it.
pub(crate) fn try_run<T: Sync, R: Send, E: Send>(
    items: &[T],
    jobs: usize,
    size: impl Fn(&T) -> u64,
    work: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    run(items, jobs, size, true, work).into_iter().collect()
}
