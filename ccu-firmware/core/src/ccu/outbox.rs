//! The CCU's server side: presence, live publishing, buffering while offline, flushing on reconnect.
//!
//! A reading goes out live only when connected *and* nothing older is buffered, so the server
//! always receives readings in measurement order; otherwise it is stamped with the wall clock
//! (`ts`) and buffered, and the buffer is flushed as JSON-array batches. Readings the full
//! buffer dropped are counted and reported once in a drop report (`ccu/<id>/status` with
//! `dropped`, not retained) before the buffered batches.

use super::{BREAKER_WINDOW, Ccu, MAX_PAYLOAD, TOPIC_LEN};
use crate::hal::{BreakerAdc, Clock, MqttSession, Radio};
use crate::protocol::{BreakerReading, SensorReading, Status, Topic, TopicKind, encode};
use serde::Serialize;

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF>
where
    R: Radio,
    C: Clock,
    A: BreakerAdc,
    M: MqttSession,
{
    /// Publishes `{"online":true,…}` (retained) once per connection.
    pub(super) fn presence(&mut self) {
        if !self.hal.mqtt.is_connected() {
            self.status_published = false;
            return;
        }
        if !self.status_published {
            let status = Status::online(self.settings.firmware.clone());
            self.status_published = self.publish_json(TopicKind::Status, &status, true);
        }
    }

    fn can_publish_live(&self) -> bool {
        self.status_published && self.hal.mqtt.is_connected()
    }

    /// Publishes `reading` live when it may go out now: connected, and nothing older waits in
    /// its buffer (`nothing_older`), so readings reach the server in measurement order.
    /// False when it must be buffered instead.
    fn published_live<T: Serialize>(
        &mut self,
        kind: TopicKind,
        reading: &T,
        nothing_older: bool,
    ) -> bool {
        self.can_publish_live() && nothing_older && self.publish_json(kind, reading, false)
    }

    /// Publishes a reading live, or stamps and buffers it.
    pub(super) fn emit_reading(&mut self, reading: SensorReading) {
        if !self.published_live(TopicKind::Sensor, &reading, self.readings.is_empty()) {
            let ts = self.hal.clock.unix_ms();
            self.readings.push(SensorReading { ts, ..reading });
        }
    }

    /// Measures the breaker when due and publishes or buffers the result.
    pub(super) fn sample_breaker(&mut self, now: u64) {
        let due = self.next_breaker_ms.is_some_and(|t| now >= t);
        if !due {
            return;
        }
        self.next_breaker_ms = Some(now + u64::from(self.settings.breaker_interval_ms));
        let mut samples = [0u16; BREAKER_WINDOW];
        let n = match self.hal.adc.read_samples(&mut samples) {
            Ok(n) => n.min(BREAKER_WINDOW),
            Err(_) => {
                self.stats.adc_errors += 1;
                return;
            }
        };
        let Some(current_ma) = self.meter.measure(&samples[..n]) else {
            return;
        };
        self.last_breaker_ma = Some(current_ma);
        let reading = BreakerReading {
            current_ma: i64::from(current_ma),
            ts: None,
        };
        if !self.published_live(TopicKind::Breaker, &reading, self.breaker.is_empty()) {
            let ts = self.hal.clock.unix_ms();
            self.breaker.push(BreakerReading { ts, ..reading });
        }
    }

    /// Sends queued acks, then the drop report, then buffered breaker readings, then
    /// reading batches.
    pub(super) fn flush(&mut self) {
        if !self.can_publish_live() {
            return;
        }
        while let Some(ack) = self.acks.front().cloned() {
            if !self.publish_json(TopicKind::Ack, &ack, false) {
                return;
            }
            self.acks.pop_front();
        }
        if !self.report_dropped() {
            return;
        }
        while let Some(reading) = self.breaker.front().cloned() {
            if !self.publish_json(TopicKind::Breaker, &reading, false) {
                return;
            }
            self.breaker.pop_front();
        }
        let mut payload = [0u8; MAX_PAYLOAD];
        while !self.readings.is_empty() {
            let Ok(batch) = self.readings.encode_batch(&mut payload) else {
                // Cannot happen with MAX_PAYLOAD; never let one reading block the rest.
                self.readings.pop_front();
                continue;
            };
            if !self.publish_raw(TopicKind::Sensor, &payload[..batch.len], false) {
                return;
            }
            self.readings.discard(batch.count);
        }
    }

    /// Publishes a drop report (not retained) when readings were dropped since the last one;
    /// the counts are taken only once it went out, so a failed publish keeps them for the
    /// next try and nothing is reported twice. False when the publish failed.
    fn report_dropped(&mut self) -> bool {
        let dropped = self.dropped_readings();
        if dropped == 0 {
            return true;
        }
        if !self.publish_json(TopicKind::Status, &Status::dropped(dropped), false) {
            return false;
        }
        self.readings.take_dropped();
        self.breaker.take_dropped();
        true
    }

    fn publish_json<T: Serialize>(&mut self, kind: TopicKind, value: &T, retain: bool) -> bool {
        let mut payload = [0u8; MAX_PAYLOAD];
        match encode(value, &mut payload) {
            Some(len) => self.publish_raw(kind, &payload[..len], retain),
            None => false,
        }
    }

    fn publish_raw(&mut self, kind: TopicKind, payload: &[u8], retain: bool) -> bool {
        let Some(topic) = Topic::write::<TOPIC_LEN>(&self.settings.ccu_id, kind) else {
            return false;
        };
        match self.hal.mqtt.publish(&topic, payload, retain) {
            Ok(()) => true,
            Err(_) => {
                self.stats.publish_errors += 1;
                false
            }
        }
    }
}
