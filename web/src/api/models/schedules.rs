//! Schedule bodies.

use super::*;

/// Weekday names in bit order (bit 0 Monday).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A socket switched on or off at a local time of day.
#[derive(Debug, Object)]
pub struct Schedule {
    /// Id.
    pub id: i32,
    /// The outlet.
    pub outlet_id: i32,
    /// `a` or `b`.
    pub socket: String,
    /// `on` or `off`.
    pub action: String,
    /// `HH:MM`, local to `timezone`.
    pub time: String,
    /// The days it runs on (`mon` … `sun`).
    pub weekdays: Vec<String>,
    /// IANA time zone (daylight saving followed).
    pub timezone: String,
    /// Next run (unix ms).
    pub next_run_at: i64,
}

impl From<backend::store::ScheduleRecord> for Schedule {
    fn from(s: backend::store::ScheduleRecord) -> Schedule {
        Schedule {
            id: s.id,
            outlet_id: s.outlet_id,
            socket: s.socket,
            action: if s.turn_on { "on" } else { "off" }.into(),
            time: format!("{:02}:{:02}", s.minute_of_day / 60, s.minute_of_day % 60),
            weekdays: WEEKDAYS
                .iter()
                .enumerate()
                .filter(|(i, _)| s.weekdays & (1 << i) != 0)
                .map(|(_, d)| d.to_string())
                .collect(),
            timezone: s.timezone,
            next_run_at: s.next_run_at,
        }
    }
}

/// A new schedule.
#[derive(Debug, Object)]
pub struct NewSchedule {
    /// `a` or `b`.
    pub socket: String,
    /// `on` or `off`.
    pub action: String,
    /// `HH:MM` (00:00 to 23:59), local to `timezone`.
    pub time: String,
    /// Days (`mon` … `sun`); absent, null or empty: every day.
    #[oai(nullable)]
    pub weekdays: Option<Vec<String>>,
    /// IANA time zone such as `Europe/Berlin`; absent or null: UTC.
    #[oai(nullable)]
    pub timezone: Option<String>,
}
