//! Wall-clock ticks aligned to the Unix epoch, as mfsmetalogger's
//! `main_time_register(period, offset)` fires them: at every `k·period + offset` seconds
//! after 1970-01-01 00:00 UTC (spec metalogger-protocol.md §5.5, §6).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Where "now" in Unix time comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Clock {
    /// The system's wall clock (the daemon).
    Wall,
    /// Unix time that moves with tokio's clock from a fixed start, so paused-time tests see
    /// ticks at the instants the real daemon would.
    #[cfg_attr(not(test), allow(dead_code))]
    Virtual {
        unix_at_start: Duration,
        start: Instant,
    },
}

impl Clock {
    /// A clock that reads `unix` now and follows tokio's clock from here.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn virtual_from(unix: Duration) -> Clock {
        Clock::Virtual {
            unix_at_start: unix,
            start: Instant::now(),
        }
    }

    /// The time since the Unix epoch.
    pub(crate) fn unix_now(&self) -> Duration {
        match self {
            Clock::Wall => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            Clock::Virtual {
                unix_at_start,
                start,
            } => *unix_at_start + start.elapsed(),
        }
    }

    /// Whole seconds since the Unix epoch.
    pub(crate) fn unix_secs(&self) -> u64 {
        self.unix_now().as_secs()
    }
}

/// One periodic timer. Each tick fires once, even when the loop is late (the tick then
/// fires late) or the wall clock steps; ticks missed while the loop was busy are not
/// queued.
///
/// Calling order: [`Ticker::next`] gives the pending tick (and keeps it until it fires, so
/// two tickers due at the same second both fire); [`Ticker::fired`] after it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticker {
    /// Seconds between ticks; 0 = never.
    period: u64,
    /// Seconds after each multiple of `period`.
    offset: u64,
    /// Unix second of the last tick fired.
    last: Option<u64>,
    /// Unix second of the tick waited for.
    pending: Option<u64>,
}

impl Ticker {
    /// A ticker firing at `k·period + offset` (`period` 0: never).
    pub(crate) fn new(period: u64, offset: u64) -> Ticker {
        Ticker {
            period,
            offset,
            last: None,
            pending: None,
        }
    }

    /// The same ticker with a new period and offset (reload); a tick already fired is not
    /// fired again.
    pub(crate) fn change(&mut self, period: u64, offset: u64) {
        if (period, offset) != (self.period, self.offset) {
            self.period = period;
            self.offset = offset;
            self.pending = None;
        }
    }

    /// The pending tick: its Unix second and the tokio instant to sleep until, or `None`
    /// for a ticker that never fires.
    pub(crate) fn next(&mut self, clock: &Clock) -> Option<(u64, Instant)> {
        let period = self.period;
        if period == 0 {
            return None;
        }
        let now = clock.unix_now();
        // A wall clock stepped back by more than a period: schedule anew.
        let pending = self
            .pending
            .filter(|&t| Duration::from_secs(t) <= now + Duration::from_secs(period));
        let tick = match pending {
            Some(t) => t,
            None => {
                let t = self.first_at_or_after(now);
                self.pending = Some(t);
                t
            }
        };
        let wait = Duration::from_secs(tick).saturating_sub(now);
        Some((tick, Instant::now() + wait))
    }

    /// The first `k·period + offset` at or after `now`, and after the last tick fired.
    fn first_at_or_after(&self, now: Duration) -> u64 {
        let period = self.period.max(1);
        let offset = self.offset % period;
        let mut tick = match now.checked_sub(Duration::from_secs(offset)) {
            None => offset,
            Some(rel) => {
                let period_ns = u128::from(period) * 1_000_000_000;
                let k = rel.as_nanos().div_ceil(period_ns);
                u64::try_from(k)
                    .unwrap_or(u64::MAX)
                    .saturating_mul(period)
                    .saturating_add(offset)
            }
        };
        if let Some(last) = self.last {
            if tick <= last {
                tick = last.saturating_add(period);
            }
        }
        tick
    }

    /// Records that the tick at Unix second `tick` fired.
    pub(crate) fn fired(&mut self, tick: u64) {
        self.last = Some(tick);
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> Clock {
        Clock::virtual_from(Duration::new(secs, nanos))
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_are_aligned_to_the_epoch() {
        let first =
            |period, offset, clock: Clock| Ticker::new(period, offset).next(&clock).map(|x| x.0);
        assert_eq!(first(5, 0, at(1_000_002, 500)), Some(1_000_005));
        assert_eq!(first(5, 0, at(1_000_005, 1)), Some(1_000_010));
        assert_eq!(first(5, 0, at(1_000_005, 0)), Some(1_000_005));
        // Daily download at 00:10:30 UTC.
        let day = 20_000 * 86_400;
        assert_eq!(first(86_400, 630, at(day + 1, 0)), Some(day + 630));
        assert_eq!(
            first(86_400, 630, at(day + 631, 0)),
            Some(day + 86_400 + 630)
        );
        assert_eq!(first(86_400, 630, at(day - 1, 0)), Some(day + 630));
        assert_eq!(first(0, 630, at(day, 0)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fired_tick_does_not_fire_again() {
        let mut t = Ticker::new(1, 0);
        let clock = at(100, 999_999_999);
        let (tick, _) = t.next(&clock).unwrap();
        assert_eq!(tick, 101);
        t.fired(tick);
        // The sleep ended a little early by the wall clock.
        assert_eq!(t.next(&clock).map(|x| x.0), Some(102));
    }

    #[tokio::test(start_paused = true)]
    async fn a_tick_that_became_due_while_the_loop_was_busy_still_fires() {
        let mut t = Ticker::new(5, 0);
        assert_eq!(t.next(&at(99, 0)).map(|x| x.0), Some(100));
        // Another timer due at 100 ran first; the loop looks again at 100.2 s.
        let (tick, when) = t.next(&at(100, 200_000_000)).unwrap();
        assert_eq!(tick, 100);
        assert!(when <= Instant::now());
        // A wall clock stepped back an hour schedules anew.
        let mut t = Ticker::new(5, 0);
        t.next(&at(7200, 1));
        assert_eq!(t.next(&at(3600, 1)).map(|x| x.0), Some(3605));
    }
}
