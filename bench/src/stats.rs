//! Repeated timings: median and p99, and ratios against a baseline.

use std::time::{Duration, Instant};

/// Timings of one method.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<Duration>);

impl Timings {
    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort_unstable();
        v
    }

    /// The median.
    pub fn median(&self) -> Duration {
        let v = self.sorted();
        v.get(v.len() / 2).copied().unwrap_or_default()
    }

    /// The 99th percentile (nearest rank).
    pub fn p99(&self) -> Duration {
        let v = self.sorted();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((v.len() as f64) * 0.99).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `baseline / ours`: above 1 when ours is faster.
pub fn speedup(ours: Duration, baseline: Duration) -> String {
    if ours.is_zero() {
        return "n/a".to_owned();
    }
    format!("{:.2}x", baseline.as_secs_f64() / ours.as_secs_f64())
}

/// Runs `f` `reps` times (after one warm-up), returning its last answer and the timings.
pub async fn repeat<T, F, Fut>(reps: usize, mut f: F) -> Result<(T, Timings), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let mut answer = f().await?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let started = Instant::now();
        answer = f().await?;
        times.push(started.elapsed());
    }
    Ok((answer, Timings(times)))
}
