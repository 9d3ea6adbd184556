//! Giving up a computation whose result newer input has made moot: the
//! language server's analysis of a document, once the next keystroke is
//! waiting behind it.
//!
//! A computation runs under [`run`], watching a counter of the input that
//! has arrived ([`Watch`]); the loops of the expensive work (tree matching,
//! units, judging) call [`check`], which unwinds out of the computation as
//! soon as the counter has moved. Unwinding, rather than a `Result`
//! through every layer, keeps the syntax and judging code free of a concern
//! only the server has, and costs nothing where no watch is set (the
//! command line). The places that call [`check`] hold no half-made state:
//! what they compute is dropped whole.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How much input has arrived, counted by whoever receives it.
#[derive(Debug, Clone, Default)]
pub struct Arrivals(Arc<AtomicU64>);

/// The count [`Arrivals::close`] sets: past any count of real input.
const CLOSED: u64 = 1 << 62;

impl Arrivals {
    /// One more piece of input arrived.
    pub fn arrived(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// No more input will come (the client is gone): every watch fires,
    /// those of [`Arrivals::until_closed`] too.
    pub fn close(&self) {
        self.0.fetch_max(CLOSED, Ordering::Relaxed);
    }

    /// Whether [`Arrivals::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.count() >= CLOSED
    }

    /// A watch that fires once more than `taken` pieces have arrived.
    pub fn watch(&self, taken: u64) -> Watch {
        Watch { arrivals: self.clone(), taken }
    }

    /// A watch that fires only once no more input will come: for a
    /// computation that runs to its end whatever arrives.
    pub fn until_closed(&self) -> Watch {
        Watch { arrivals: self.clone(), taken: CLOSED - 1 }
    }

    fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a computation under [`run`] watches.
#[derive(Debug)]
pub struct Watch {
    arrivals: Arrivals,
    /// How many pieces of input had been taken up when it started.
    taken: u64,
}

/// A computation given up by [`check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

thread_local! {
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Run `f`, giving it up when input arrives past `watch` while it runs.
/// A panic in `f` goes on unwinding, as it would without the watch.
pub fn run<T>(watch: Watch, f: impl FnOnce() -> T) -> Result<T, Cancelled> {
    let outer = WATCH.replace(Some(watch));
    let result = catch_unwind(AssertUnwindSafe(f));
    WATCH.set(outer);
    match result {
        Ok(value) => Ok(value),
        Err(payload) if payload.is::<Cancelled>() => Err(Cancelled),
        Err(payload) => resume_unwind(payload),
    }
}

/// Give up the computation [`run`] runs, if input arrived since it began;
/// nothing outside one.
pub fn check() {
    let moved = WATCH.with_borrow(|w| w.as_ref().is_some_and(|w| w.arrivals.count() > w.taken));
    if moved {
        // Not `panic!`: no panic hook, no message; `run` catches it.
        resume_unwind(Box::new(Cancelled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_to(n: u32, arrivals: &Arrivals, arrive_at: Option<u32>) -> u32 {
        for i in 0..n {
            if Some(i) == arrive_at {
                arrivals.arrived();
            }
            check();
        }
        n
    }

    #[test]
    fn runs_to_the_end_without_new_input() {
        let arrivals = Arrivals::default();
        arrivals.arrived();
        assert_eq!(run(arrivals.watch(1), || count_to(10, &arrivals, None)), Ok(10));
    }

    #[test]
    fn gives_up_at_the_first_check_after_input_arrives() {
        let arrivals = Arrivals::default();
        let mut reached = 0;
        let result = run(arrivals.watch(0), || {
            for i in 0..10 {
                if i == 3 {
                    arrivals.arrived();
                }
                check();
                reached = i;
            }
        });
        assert_eq!(result, Err(Cancelled));
        assert_eq!(reached, 2, "stopped at the check after the arrival");
        // Outside `run`, nothing is watched.
        check();
    }

    #[test]
    fn input_taken_up_before_it_started_does_not_count() {
        let arrivals = Arrivals::default();
        for _ in 0..5 {
            arrivals.arrived();
        }
        assert_eq!(run(arrivals.watch(5), || count_to(3, &arrivals, None)), Ok(3));
        assert_eq!(run(arrivals.watch(4), || count_to(3, &arrivals, None)), Err(Cancelled));
    }

    #[test]
    fn a_panic_goes_on_unwinding_and_the_watch_is_lifted() {
        let arrivals = Arrivals::default();
        let caught = catch_unwind(AssertUnwindSafe(|| run(arrivals.watch(0), || panic!("a bug"))));
        let payload = caught.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"a bug"));
        arrivals.arrived();
        check();
    }

    #[test]
    fn an_inner_run_restores_the_outer_watch() {
        let outer = Arrivals::default();
        let inner = Arrivals::default();
        let result = run(outer.watch(0), || {
            assert_eq!(run(inner.watch(0), || 1), Ok(1));
            outer.arrived();
            check();
        });
        assert_eq!(result, Err(Cancelled));
    }
}
