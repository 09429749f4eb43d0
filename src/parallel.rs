//! Order-preserving parallel map over the machine's cores, for reading and parsing many
//! small files. Plain scoped threads: the work is one flat batch, so a pool buys nothing.

/// Applies `f` to every item on all available cores and returns the results in input order.
/// A panic in `f` is a bug in our parsers; it is propagated rather than silently losing the
/// files of that chunk.
pub fn parallel_map<T, U, F>(items: Vec<T>, f: F) -> Vec<U>
where
    T: Send,
    U: Send,
    F: Fn(T) -> U + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads == 1 || items.len() < 2 {
        return items.into_iter().map(f).collect();
    }
    let chunk_size = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(chunk_size).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order() {
        let items: Vec<u32> = (0..10_001).collect();
        let doubled = parallel_map(items, |n| n * 2);
        assert_eq!(doubled.len(), 10_001);
        assert!(doubled.iter().enumerate().all(|(i, &n)| n == 2 * i as u32));
    }
}
