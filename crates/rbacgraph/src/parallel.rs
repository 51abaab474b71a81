//! Work split over the machine's cores, where it has more than one.
//!
//! The loader decodes documents this way and the audit computes the impact
//! of its fixes this way. Where threads cannot be had (one core, or
//! `wasm32-unknown-unknown`), everything runs on the calling thread.

/// Splits `items` into consecutive shares, one per core (at most 8), when
/// there are at least `min` of them, and runs `work` on each share with its
/// own state from `state` and the offset of its first item. Returns each
/// share's result in order, or for a share whose worker panicked (a bug,
/// for the caller to report) the range of items it had. A share whose
/// thread cannot be started runs on the calling thread.
pub(crate) fn shares<T, S, R>(
    items: &[T],
    min: usize,
    mut state: impl FnMut() -> S,
    work: impl Fn(S, usize, &[T]) -> R + Sync,
) -> Vec<Result<R, std::ops::Range<usize>>>
where
    T: Sync,
    S: Send,
    R: Send,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || items.len() < min.max(2) {
        return vec![Ok(work(state(), 0, items))];
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let started: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let s = state();
                let work = &work;
                let offset = n * chunk;
                // The state moves into the thread; if none can be started,
                // a fresh one does the share here.
                let handle = std::thread::Builder::new()
                    .spawn_scoped(scope, move || work(s, offset, part))
                    .ok();
                (offset, part, handle)
            })
            .collect();
        started
            .into_iter()
            .map(|(offset, part, handle)| match handle {
                Some(h) => h.join().map_err(|_| offset..offset + part.len()),
                None => Ok(work(state(), offset, part)),
            })
            .collect()
    })
}

/// Runs `a` on another thread while `b` runs on this one, and returns both
/// results. Where no thread can be had, both run here, one after the other
/// (`a` is cloned for that: a closure over references is). A panic in `a`
/// resumes on this thread.
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send + Clone,
    B: FnOnce() -> RB,
    RA: Send,
{
    let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    if !parallel {
        let ra = a();
        return (ra, b());
    }
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .spawn_scoped(scope, a.clone())
            .ok();
        let rb = b();
        let ra = match handle.map(std::thread::ScopedJoinHandle::join) {
            Some(Ok(ra)) => ra,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => a(),
        };
        (ra, rb)
    })
}

#[cfg(test)]
mod tests {
    use super::shares;

    fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    #[test]
    fn shares_cover_every_item_once_in_order_with_their_offsets() {
        let items: Vec<u32> = (0..1000).collect();
        let parts: Vec<(usize, Vec<u32>)> = shares(
            &items,
            10,
            || (),
            |(), offset, part| (offset, part.to_vec()),
        )
        .into_iter()
        .map(|p| p.expect("no share panics"))
        .collect();
        assert_eq!(parts.len(), cores().min(8));
        for (offset, part) in &parts {
            assert_eq!(part.first().map(|&x| x as usize), Some(*offset));
        }
        let flat: Vec<u32> = parts.into_iter().flat_map(|(_, p)| p).collect();
        assert_eq!(flat, items);
    }

    #[test]
    fn few_items_run_on_the_calling_thread() {
        let here = std::thread::current().id();
        let parts = shares(
            &[1, 2, 3],
            10,
            || (),
            |(), _, _| std::thread::current().id(),
        );
        assert_eq!(parts, vec![Ok(here)]);
    }

    #[test]
    fn join_returns_both_results() {
        let items = [1u64, 2, 3];
        let (a, b) = super::join(|| items.iter().sum::<u64>(), || items.len());
        assert_eq!((a, b), (6, 3));
    }

    #[test]
    fn a_panicking_share_is_none_and_the_others_stay() {
        if cores() < 2 {
            return; // one share, on this thread: nothing to isolate
        }
        let items: Vec<u32> = (0..64).collect();
        let parts = shares(
            &items,
            2,
            || (),
            |(), offset, part| {
                assert!(offset != 0, "the first share fails");
                part.len()
            },
        );
        let chunk = items.len().div_ceil(parts.len());
        assert_eq!(parts.first(), Some(&Err(0..chunk)));
        assert!(parts.iter().skip(1).all(Result::is_ok));
    }
}
