//! Schedules: stored, listed, deleted, found when due, and claimed (advanced to their next
//! run) by one conditional UPDATE, so that of several instances one runs each.

use super::Store;
use crate::Error;
use sea_orm::{QueryResult, Value};

/// A stored schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    /// Id.
    pub id: i32,
    /// The outlet.
    pub outlet_id: i32,
    /// `a` or `b`.
    pub socket: String,
    /// On (true) or off.
    pub turn_on: bool,
    /// Local time of day, minutes after midnight (0–1439).
    pub minute_of_day: i32,
    /// Weekdays it runs on: bit 0 Monday … bit 6 Sunday.
    pub weekdays: i32,
    /// IANA time zone of `minute_of_day`.
    pub timezone: String,
    /// Next run (unix ms).
    pub next_run_at: i64,
    /// Created (unix ms).
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, outlet_id, socket, turn_on, minute_of_day, weekdays, timezone, next_run_at, created_at";

fn record(r: &QueryResult) -> Result<ScheduleRecord, Error> {
    Ok(ScheduleRecord {
        id: r.try_get("", "id")?,
        outlet_id: r.try_get("", "outlet_id")?,
        socket: r.try_get("", "socket")?,
        turn_on: r.try_get("", "turn_on")?,
        minute_of_day: r.try_get("", "minute_of_day")?,
        weekdays: r.try_get("", "weekdays")?,
        timezone: r.try_get("", "timezone")?,
        next_run_at: r.try_get("", "next_run_at")?,
        created_at: r.try_get("", "created_at")?,
    })
}

impl Store {
    /// Stores a schedule (`id` ignored); returns it with its id.
    pub async fn insert_schedule(&self, s: &ScheduleRecord) -> Result<ScheduleRecord, Error> {
        let sql = format!(
            "INSERT INTO schedules (outlet_id, socket, turn_on, minute_of_day, weekdays, timezone, \
             next_run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        );
        let v = [
            Value::from(s.outlet_id),
            Value::from(s.socket.clone()),
            Value::from(s.turn_on),
            Value::from(s.minute_of_day),
            Value::from(s.weekdays),
            Value::from(s.timezone.clone()),
            Value::from(s.next_run_at),
            Value::from(s.created_at),
        ];
        let rows = self.raw_rows(&sql, v).await?;
        record(rows.first().ok_or(Error::NotFound("schedule"))?)
    }

    /// The schedules of `outlet_id`, by id.
    pub async fn outlet_schedules(&self, outlet_id: i32) -> Result<Vec<ScheduleRecord>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM schedules WHERE outlet_id = ? ORDER BY id");
        self.raw_rows(&sql, [Value::from(outlet_id)])
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// One schedule.
    pub async fn get_schedule(&self, id: i32) -> Result<Option<ScheduleRecord>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM schedules WHERE id = ?");
        let rows = self.raw_rows(&sql, [Value::from(id)]).await?;
        rows.first().map(record).transpose()
    }

    /// Schedules whose next run is at or before `now`, at most `limit`, earliest first.
    pub async fn due_schedules(&self, now: i64, limit: u64) -> Result<Vec<ScheduleRecord>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM schedules WHERE next_run_at <= ? ORDER BY next_run_at LIMIT ?"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.raw_rows(&sql, [Value::from(now), Value::from(limit)])
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// Moves schedule `id` from run `due` to `next`; false when another instance (or an
    /// earlier round) did first, or it is gone.
    pub async fn claim_schedule(&self, id: i32, due: i64, next: i64) -> Result<bool, Error> {
        let sql = "UPDATE schedules SET next_run_at = ? WHERE id = ? AND next_run_at = ?";
        let values = [Value::from(next), Value::from(id), Value::from(due)];
        Ok(self.execute_raw_sql(sql, values).await? == 1)
    }

    /// Deletes schedule `id`; false when there is none.
    pub async fn delete_schedule(&self, id: i32) -> Result<bool, Error> {
        let sql = "DELETE FROM schedules WHERE id = ?";
        Ok(self.execute_raw_sql(sql, [Value::from(id)]).await? == 1)
    }
}
