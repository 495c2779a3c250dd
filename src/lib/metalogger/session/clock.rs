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

/// One periodic timer. Each tick fires once even when the wall clock steps back or the
/// loop was late; a tick missed by more than a period is skipped, not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticker {
    /// Seconds between ticks; 0 = never.
    period: u64,
    /// Seconds after each multiple of `period`.
    offset: u64,
    /// Unix second of the last tick fired.
    last: Option<u64>,
}

impl Ticker {
    /// A ticker firing at `k·period + offset` (`period` 0: never).
    pub(crate) fn new(period: u64, offset: u64) -> Ticker {
        Ticker {
            period,
            offset,
            last: None,
        }
    }

    /// The same ticker with a new period and offset (reload); a tick already fired is not
    /// fired again.
    pub(crate) fn change(&mut self, period: u64, offset: u64) {
        self.period = period;
        self.offset = offset;
    }

    /// The next tick: its Unix second and the tokio instant to sleep until, or `None` for
    /// a ticker that never fires.
    pub(crate) fn next(&self, clock: &Clock) -> Option<(u64, Instant)> {
        let period = self.period;
        if period == 0 {
            return None;
        }
        let now = clock.unix_now();
        let offset = self.offset % period;
        // The first k·period + offset at or after `now`.
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
        let wait = Duration::from_secs(tick).saturating_sub(now);
        Some((tick, Instant::now() + wait))
    }

    /// Records that the tick at Unix second `tick` fired.
    pub(crate) fn fired(&mut self, tick: u64) {
        self.last = Some(tick);
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
        let t = Ticker::new(5, 0);
        assert_eq!(t.next(&at(1_000_002, 500)).map(|x| x.0), Some(1_000_005));
        assert_eq!(t.next(&at(1_000_005, 1)).map(|x| x.0), Some(1_000_010));
        assert_eq!(t.next(&at(1_000_005, 0)).map(|x| x.0), Some(1_000_005));
        // Daily download at 00:10:30 UTC.
        let d = Ticker::new(24 * 3600, 630);
        let day = 20_000 * 86_400;
        assert_eq!(d.next(&at(day + 1, 0)).map(|x| x.0), Some(day + 630));
        assert_eq!(
            d.next(&at(day + 631, 0)).map(|x| x.0),
            Some(day + 86_400 + 630)
        );
        assert_eq!(d.next(&at(day - 1, 0)).map(|x| x.0), Some(day + 630));
        assert_eq!(Ticker::new(0, 630).next(&at(day, 0)), None);
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
}
