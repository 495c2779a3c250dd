//! What `metalogger status` prints from the status file the daemon keeps in DATA_PATH, and
//! the one line SIGUSR1 logs.

use crate::metalogger::status::Status;

/// The status as lines for an operator; `now` is the current Unix time.
pub fn status_lines(s: &Status, now: u64) -> Vec<String> {
    let mut lines = vec![
        format!("daemon pid: {}", s.pid),
        format!(
            "master: {}",
            if s.master.is_empty() { "-" } else { &s.master }
        ),
        format!("connected: {}", if s.connected { "yes" } else { "no" }),
    ];
    let change = s.last_change_time.map_or_else(
        || "-".to_string(),
        |t| format!("{} ({})", utc(t), ago(now, t)),
    );
    lines.push(format!(
        "last version: {} (change made {change})",
        s.last_version
    ));
    if let Some(t) = s.last_received_at {
        lines.push(format!(
            "last change received: {} ({})",
            utc(t),
            ago(now, t)
        ));
    }
    if let (Some(made), Some(got)) = (s.last_change_time, s.last_received_at) {
        lines.push(format!("lag: {} s", got.saturating_sub(made)));
    }
    match &s.last_download {
        Some(d) => lines.push(format!(
            "last download: {} at {} ({}): {}",
            d.file,
            utc(d.at),
            ago(now, d.at),
            d.result
        )),
        None => lines.push("last download: -".to_string()),
    }
    lines.push(format!("bytes in DATA_PATH: {}", s.data_bytes));
    lines.push(format!(
        "status written: {} ({})",
        utc(s.updated_at),
        ago(now, s.updated_at)
    ));
    lines
}

/// One line for the SIGUSR1 log.
pub fn status_line(s: &Status) -> String {
    format!(
        "master: {}, {}, last version: {}, bytes in DATA_PATH: {}",
        if s.master.is_empty() { "-" } else { &s.master },
        if s.connected {
            "connected"
        } else {
            "not connected"
        },
        s.last_version,
        s.data_bytes
    )
}

fn ago(now: u64, t: u64) -> String {
    match now.checked_sub(t) {
        Some(d) => format!("{d} s ago"),
        None => "in the future".to_string(),
    }
}

/// `YYYY-MM-DD hh:mm:ss UTC` for a Unix time.
pub fn utc(t: u64) -> String {
    let days = t / 86400;
    let secs = t % 86400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metalogger::status::DownloadRecord;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_000_000), "2026-11-18 11:06:40 UTC");
    }

    #[test]
    fn lines_name_every_field() {
        let s = Status {
            pid: 1,
            master: "127.0.0.1:9419".into(),
            connected: true,
            last_version: 77,
            last_change_time: Some(100),
            last_received_at: Some(103),
            last_download: Some(DownloadRecord {
                at: 90,
                file: "metadata".into(),
                result: "ok".into(),
            }),
            data_bytes: 4096,
            updated_at: 104,
        };
        let text = status_lines(&s, 110).join("\n");
        for want in [
            "daemon pid: 1\nmaster: 127.0.0.1:9419",
            "connected: yes",
            "last version: 77",
            "lag: 3 s",
            "last download: metadata at 1970-01-01 00:01:30 UTC (20 s ago): ok",
            "bytes in DATA_PATH: 4096",
        ] {
            assert!(text.contains(want), "{want:?} not in\n{text}");
        }
        assert!(status_line(&s).contains("connected, last version: 77"));
    }
}
