//! Spreading per-profile work over threads in chunks, with progress reports.
//!
//! Every audit here (the gradient search, the grid, the item-wise grid) is independent per
//! profile, so the sample is cut into chunks of `Work::chunk` profiles that worker threads take
//! in turn. Results are put back in profile order, so they never depend on the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Result;

/// How to spread the work: profiles per chunk, worker threads, and a progress callback that
/// receives the number of profiles finished so far.
#[derive(Clone, Copy)]
pub struct Work<'a> {
    /// Profiles per chunk (bounds memory: each audit documents what one chunk holds).
    pub chunk: usize,
    /// Worker threads (each runs whole chunks; results do not depend on the count).
    pub threads: usize,
    /// Called after each chunk with the number of profiles done.
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
}

impl Work<'_> {
    /// `threads` workers on chunks of `chunk` profiles, no progress reports.
    pub fn new(chunk: usize, threads: usize) -> Work<'static> {
        Work {
            chunk,
            threads,
            progress: None,
        }
    }
}

impl std::fmt::Debug for Work<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("chunk", &self.chunk)
            .field("threads", &self.threads)
            .finish()
    }
}

/// Run `job(lo, hi)` on every chunk `[lo, hi)` of `samples` profiles and return the results in
/// profile order. The first error stops the other workers at their next chunk.
pub fn for_each_chunk<T, F>(samples: usize, work: Work<'_>, job: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize, usize) -> Result<T> + Sync,
{
    let chunk = work.chunk.max(1);
    let chunks = samples.div_ceil(chunk);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(chunks));
    let worker = || -> Result<()> {
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks {
                return Ok(());
            }
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(samples));
            let part = match job(lo, hi) {
                Ok(part) => part,
                Err(e) => {
                    // Let the other workers stop at their next chunk.
                    next.store(chunks, Ordering::Relaxed);
                    return Err(e);
                }
            };
            results.lock().expect("no worker panics").push((c, part));
            let total = done.fetch_add(hi - lo, Ordering::Relaxed) + (hi - lo);
            if let Some(p) = work.progress {
                p(total);
            }
        }
    };
    let threads = work.threads.clamp(1, chunks.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(worker)).collect();
        let mut first = worker();
        for h in handles {
            let r = h.join().expect("a regret worker panicked");
            if first.is_ok() {
                first = r;
            }
        }
        first
    })?;
    let mut parts = results.into_inner().expect("no worker panics");
    parts.sort_by_key(|(c, _)| *c);
    Ok(parts.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegretError;

    #[test]
    fn chunks_come_back_in_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            let seen = AtomicUsize::new(0);
            let progress = |d: usize| {
                seen.fetch_max(d, Ordering::Relaxed);
            };
            let work = Work {
                chunk: 3,
                threads,
                progress: Some(&progress),
            };
            let parts = for_each_chunk(10, work, |lo, hi| Ok((lo, hi))).unwrap();
            assert_eq!(parts, vec![(0, 3), (3, 6), (6, 9), (9, 10)]);
            assert_eq!(seen.load(Ordering::Relaxed), 10);
        }
    }

    #[test]
    fn an_error_in_any_chunk_is_returned() {
        let r = for_each_chunk(10, Work::new(2, 2), |lo, _| {
            if lo == 6 {
                Err(RegretError::Shape("chunk 3".into()))
            } else {
                Ok(lo)
            }
        });
        assert!(matches!(r, Err(RegretError::Shape(s)) if s == "chunk 3"));
    }

    #[test]
    fn an_empty_sample_runs_nothing() {
        let parts: Vec<()> = for_each_chunk(0, Work::new(4, 2), |_, _| unreachable!()).unwrap();
        assert!(parts.is_empty());
    }
}
