//! Schedules: a socket switched on or off at a local time of day on chosen weekdays, in the
//! owner's IANA time zone (daylight saving followed). The holder of the `timers` lease runs
//! the due ones every `automation.schedule_check`: each is first advanced to its next run
//! with one conditional UPDATE (so it fires once, whichever instances run), then its relay
//! command is sent as the server's (recorded like any command). A run missed by more than
//! [`GRACE_MS`] (the server was down) is skipped, not replayed late.

use crate::actor::Actor;
use crate::app::Backend;
use crate::commands::NewCommand;
use crate::domain::{Socket, Source};
use crate::store::ScheduleRecord;
use crate::{Error, Result, clock};
use chrono::{Datelike, Duration as Days, LocalResult, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// A run later than this after its time is skipped.
pub const GRACE_MS: i64 = 5 * 60_000;
/// Most schedules one outlet may have.
pub const MAX_PER_OUTLET: usize = 20;
/// Every weekday (bit 0 Monday … bit 6 Sunday).
pub const EVERY_DAY: i32 = 0x7f;

/// A schedule as people write it.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    /// `a` or `b`.
    pub socket: String,
    /// On or off.
    pub turn_on: bool,
    /// `HH:MM`, local.
    pub time: String,
    /// Weekdays (bit 0 Monday … bit 6 Sunday; 0 = every day).
    pub weekdays: i32,
    /// IANA zone (`Europe/Berlin`); empty = UTC.
    pub timezone: String,
}

/// The first run of (`minute_of_day`, `weekdays`) in `tz` strictly after `after` (unix ms).
/// A local time that a daylight-saving change skips runs an hour later; one it repeats, at
/// its first occurrence.
pub fn next_run(minute_of_day: i32, weekdays: i32, tz: Tz, after: i64) -> Option<i64> {
    let at = NaiveTime::from_hms_opt(
        u32::try_from(minute_of_day / 60).ok()?,
        u32::try_from(minute_of_day % 60).ok()?,
        0,
    )?;
    let today = tz.timestamp_millis_opt(after).single()?.date_naive();
    for offset in 0..=8 {
        let day = today.checked_add_signed(Days::days(offset))?;
        let bit = 1 << day.weekday().num_days_from_monday();
        if weekdays & bit == 0 {
            continue;
        }
        let local = day.and_time(at);
        let t = match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
            LocalResult::None => tz
                .from_local_datetime(&(local + Days::hours(1)))
                .earliest()?,
        };
        if t.timestamp_millis() > after {
            return Some(t.timestamp_millis());
        }
    }
    None
}

/// `HH:MM` as minutes after midnight.
fn minute_of_day(time: &str) -> Option<i32> {
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    i32::try_from(chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t)).ok()
}

/// The time zone named `name` (empty: UTC).
fn zone(name: &str) -> Result<Tz> {
    let name = if name.trim().is_empty() {
        "UTC"
    } else {
        name.trim()
    };
    name.parse::<Tz>()
        .map_err(|_| Error::invalid("timezone must be an IANA zone such as Europe/Berlin"))
}

impl Backend {
    /// Adds a schedule to an outlet of the actor's.
    pub async fn add_schedule(
        &self,
        actor: Actor,
        outlet_id: i32,
        s: NewSchedule,
    ) -> Result<ScheduleRecord> {
        let outlet = self.owned_outlet(actor, outlet_id)?;
        if !matches!(s.socket.as_str(), "a" | "b") {
            return Err(Error::invalid("socket must be a or b"));
        }
        let minute = minute_of_day(&s.time)
            .ok_or_else(|| Error::invalid("time must be HH:MM (00:00 to 23:59)"))?;
        if !(0..=EVERY_DAY).contains(&s.weekdays) {
            return Err(Error::invalid("weekdays out of range"));
        }
        let weekdays = if s.weekdays == 0 {
            EVERY_DAY
        } else {
            s.weekdays
        };
        let tz = zone(&s.timezone)?;
        let store = &self.inner.store;
        if store.outlet_schedules(outlet.id).await?.len() >= MAX_PER_OUTLET {
            return Err(Error::invalid(format!(
                "at most {MAX_PER_OUTLET} schedules per outlet"
            )));
        }
        let now = clock::now_ms();
        let next = next_run(minute, weekdays, tz, now)
            .ok_or_else(|| Error::invalid("the schedule never runs"))?;
        store
            .insert_schedule(&ScheduleRecord {
                id: 0,
                outlet_id: outlet.id,
                socket: s.socket,
                turn_on: s.turn_on,
                minute_of_day: minute,
                weekdays,
                timezone: tz.name().to_string(),
                next_run_at: next,
                created_at: now,
            })
            .await
    }

    /// The schedules of an outlet of the actor's.
    pub async fn outlet_schedules(
        &self,
        actor: Actor,
        outlet_id: i32,
    ) -> Result<Vec<ScheduleRecord>> {
        let outlet = self.owned_outlet(actor, outlet_id)?;
        self.inner.store.outlet_schedules(outlet.id).await
    }

    /// Deletes a schedule of an outlet of the actor's.
    pub async fn delete_schedule(&self, actor: Actor, id: i32) -> Result<()> {
        let s = self
            .inner
            .store
            .get_schedule(id)
            .await?
            .ok_or(Error::NotFound("schedule"))?;
        // Another user's schedule is "not found", like their outlet.
        self.owned_outlet(actor, s.outlet_id)
            .map_err(|_| Error::NotFound("schedule"))?;
        self.inner.store.delete_schedule(id).await?;
        Ok(())
    }

    /// Runs the due schedules (on the `timers` lease holder).
    pub(crate) async fn run_due_schedules(&self) -> Result<()> {
        if !self.runs_timers() {
            return Ok(());
        }
        let now = clock::now_ms();
        for s in self.inner.store.due_schedules(now, 500).await? {
            let next = zone(&s.timezone)
                .ok()
                .and_then(|tz| next_run(s.minute_of_day, s.weekdays, tz, now))
                .unwrap_or(i64::MAX);
            if !self
                .inner
                .store
                .claim_schedule(s.id, s.next_run_at, next)
                .await?
            {
                continue; // another instance ran it
            }
            if now - s.next_run_at > GRACE_MS {
                tracing::warn!(
                    schedule = s.id,
                    missed_by_ms = now - s.next_run_at,
                    "schedule run skipped: too late"
                );
                continue;
            }
            let socket = if s.socket == "b" {
                Socket::B
            } else {
                Socket::A
            };
            let command = NewCommand::relay(s.outlet_id, socket, s.turn_on);
            match self
                .send_command(Actor::System(Source::Server), command)
                .await
            {
                Ok(_) => tracing::info!(schedule = s.id, outlet = s.outlet_id, "schedule ran"),
                Err(e) => tracing::warn!(schedule = s.id, cause = %e, "schedule's command failed"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ms(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        let local = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap();
        tz.from_local_datetime(&local)
            .earliest()
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn next_run_follows_weekdays_and_daylight_saving() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Thursday 2026-12-03 22:00 Berlin: 23:00 today.
        let after = ms(berlin, 2026, 12, 3, 22, 0);
        assert_eq!(
            next_run(23 * 60, EVERY_DAY, berlin, after),
            Some(ms(berlin, 2026, 12, 3, 23, 0))
        );
        // At 23:00 exactly: tomorrow.
        let at = ms(berlin, 2026, 12, 3, 23, 0);
        assert_eq!(
            next_run(23 * 60, EVERY_DAY, berlin, at),
            Some(ms(berlin, 2026, 12, 4, 23, 0))
        );
        // Mondays only (bit 0): Monday 2026-12-07.
        assert_eq!(
            next_run(7 * 60, 1, berlin, after),
            Some(ms(berlin, 2026, 12, 7, 7, 0))
        );
        // 02:30 does not exist on 2027-03-28 (clocks go 02:00 → 03:00): 03:30.
        let before = ms(berlin, 2027, 3, 28, 1, 0);
        let run = next_run(150, EVERY_DAY, berlin, before).unwrap();
        assert_eq!(run, ms(berlin, 2027, 3, 28, 3, 30));
        // 02:30 happens twice on 2027-10-31: the first.
        let before = ms(berlin, 2027, 10, 31, 1, 0);
        let run = next_run(150, EVERY_DAY, berlin, before).unwrap();
        assert_eq!(run - before, 90 * 60_000);
        // Same wall time, one hour less of UTC offset in winter.
        let summer = next_run(12 * 60, EVERY_DAY, berlin, ms(berlin, 2027, 7, 1, 0, 0)).unwrap();
        assert_eq!(summer % 86_400_000, 10 * 3_600_000);
        let winter = next_run(12 * 60, EVERY_DAY, berlin, ms(berlin, 2027, 1, 1, 0, 0)).unwrap();
        assert_eq!(winter % 86_400_000, 11 * 3_600_000);
        assert_eq!(next_run(60, 0, berlin, after), None, "no weekday: never");
    }

    #[test]
    fn times_and_zones_are_checked() {
        assert_eq!(minute_of_day("23:59"), Some(1439));
        assert_eq!(minute_of_day("00:00"), Some(0));
        for bad in ["24:00", "7", "12:60", "", "ab:cd"] {
            assert_eq!(minute_of_day(bad), None, "{bad}");
        }
        assert!(zone("").is_ok());
        assert!(zone("America/New_York").is_ok());
        assert!(zone("Mars/Olympus").is_err());
    }
}
