//! One connection's rights as the vendored rumqttd asks for them: the [`ClientAcl`] of its
//! principal, refusals counted and logged, repeated refused publishes disconnect.

use crate::acl::{ClientAcl, Denial, Principal};
use crate::stats::Stats;
use rumqttd::authz::{Authorizer, Verdict};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Longest topic or filter quoted in a log line.
const LOG_TOPIC_MAX: usize = 128;

pub(crate) struct ClientRights {
    acl: ClientAcl,
    principal: Principal,
    stats: Arc<Stats>,
    refused_publishes: AtomicU32,
    max_refused_publishes: u32,
}

impl ClientRights {
    pub(crate) fn new(
        acl: ClientAcl,
        principal: Principal,
        stats: Arc<Stats>,
        max_refused_publishes: u32,
    ) -> ClientRights {
        ClientRights {
            acl,
            principal,
            stats,
            refused_publishes: AtomicU32::new(0),
            max_refused_publishes,
        }
    }

    fn refused(&self, why: Denial, topic: &str) {
        let total = self.stats.denied(why);
        let shown: String = topic.chars().take(LOG_TOPIC_MAX).collect();
        tracing::warn!(
            role = self.principal.role.as_str(),
            id = %self.principal.id,
            topic = %shown.escape_debug(),
            reason = why.as_str(),
            total,
            "MQTT request refused by the topic ACL"
        );
    }
}

impl Authorizer for ClientRights {
    fn publish(&self, topic: &str, retain: bool) -> Verdict {
        match self.acl.check_publish(topic, retain) {
            Ok(()) => Verdict::Allow,
            Err(why) => {
                self.refused(why, topic);
                let n = self.refused_publishes.fetch_add(1, Relaxed) + 1;
                if n >= self.max_refused_publishes {
                    self.stats.acl_disconnects.fetch_add(1, Relaxed);
                    tracing::warn!(
                        id = %self.principal.id,
                        refused = n,
                        "disconnecting a client after repeated refused publishes"
                    );
                    Verdict::Disconnect
                } else {
                    Verdict::Drop
                }
            }
        }
    }

    fn subscribe(&self, filter: &str) -> bool {
        match self.acl.check_subscribe(filter) {
            Ok(()) => true,
            Err(why) => {
                self.refused(why, filter);
                false
            }
        }
    }

    fn will(&self, topic: &str, retain: bool) -> bool {
        match self.acl.check_will(topic, retain) {
            Ok(()) => true,
            Err(why) => {
                self.refused(why, topic);
                false
            }
        }
    }
}
