//! What the other instances sharing the database watch: each announces the users it has a
//! live subscriber (a browser) of, and this table of their announcements answers, for every
//! reading, whether any other instance wants it (`fanout::watch` sends and receives them).

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long an announced set is believed without a refresh.
pub const EXPIRY: Duration = Duration::from_secs(35);
/// Instances remembered at most (anyone who can `NOTIFY` on the database can announce).
const MAX_INSTANCES: usize = 1024;

/// One announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The announcing instance.
    pub from: String,
    /// Every user watched (a subscriber to all events, or a set too large to list).
    #[serde(default)]
    pub all: bool,
    /// The users watched.
    #[serde(default)]
    pub users: Vec<i32>,
    /// Asks every other instance to announce its set now.
    #[serde(default)]
    pub hello: bool,
}

impl Announcement {
    /// `from`'s set: every user, or `users` (not a hello).
    pub fn of(from: &str, all: bool, users: Vec<i32>) -> Announcement {
        Announcement {
            from: from.to_string(),
            all,
            users,
            hello: false,
        }
    }
}

/// What the other instances watch, as announced.
#[derive(Debug, Default)]
pub struct Watchers {
    /// Announced sets by instance, with when each was last heard.
    table: Mutex<HashMap<String, (Announcement, Instant)>>,
    /// The union of the sets, read for every reading.
    union: RwLock<Union>,
    /// Another instance said hello: announce now.
    pub(crate) answer: Notify,
    /// This instance missed announcements (its listening connection was lost): say hello.
    pub(crate) resync: Notify,
}

#[derive(Debug, Default)]
struct Union {
    all: bool,
    users: HashSet<i32>,
}

impl Watchers {
    /// Whether another instance watches `user`.
    pub fn wants(&self, user: i32) -> bool {
        let u = self.union.read().unwrap_or_else(|e| e.into_inner());
        u.all || u.users.contains(&user)
    }

    /// Takes in another instance's announcement (this instance's own are skipped).
    pub fn learn(&self, a: Announcement, own: &str) {
        if a.from == own {
            return;
        }
        if a.hello {
            self.answer.notify_one();
        }
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if !a.all && a.users.is_empty() {
            table.remove(&a.from);
        } else if table.len() < MAX_INSTANCES || table.contains_key(&a.from) {
            table.insert(a.from.clone(), (a, Instant::now()));
        } else {
            tracing::warn!(from = %a.from, "too many instances announce live watchers; ignored");
        }
        self.rebuild(&table);
    }

    /// Asks the announcer to say hello (the others then announce their sets again).
    pub fn resync(&self) {
        self.resync.notify_one();
    }

    /// Forgets sets not refreshed within [`EXPIRY`].
    pub fn expire(&self) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let before = table.len();
        table.retain(|_, (_, heard)| heard.elapsed() < EXPIRY);
        if table.len() != before {
            self.rebuild(&table);
        }
    }

    fn rebuild(&self, table: &HashMap<String, (Announcement, Instant)>) {
        let mut union = Union::default();
        for (a, _) in table.values() {
            union.all |= a.all;
            union.users.extend(&a.users);
        }
        *self.union.write().unwrap_or_else(|e| e.into_inner()) = union;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(from: &str, all: bool, users: &[i32]) -> Announcement {
        Announcement::of(from, all, users.to_vec())
    }

    #[test]
    fn a_user_is_wanted_while_another_instance_watches_it() {
        let w = Watchers::default();
        assert!(!w.wants(1), "nobody announced");
        w.learn(ann("b", false, &[1, 2]), "a");
        w.learn(ann("c", false, &[3]), "a");
        assert!(w.wants(1) && w.wants(2) && w.wants(3) && !w.wants(4));
        w.learn(ann("b", false, &[2]), "a");
        assert!(
            !w.wants(1) && w.wants(2),
            "b's new set replaces its old one"
        );
        w.learn(ann("c", false, &[]), "a");
        assert!(!w.wants(3), "c said goodbye");
        w.learn(ann("a", true, &[]), "a");
        assert!(!w.wants(4), "this instance's own announcement is skipped");
        w.learn(ann("d", true, &[]), "a");
        assert!(w.wants(4), "d watches every user");
    }

    #[test]
    fn a_set_not_refreshed_is_forgotten() {
        let w = Watchers::default();
        w.learn(ann("b", false, &[1]), "a");
        w.expire();
        assert!(w.wants(1), "fresh");
        {
            let mut table = w.table.lock().unwrap();
            let heard = &mut table.get_mut("b").unwrap().1;
            *heard = Instant::now() - EXPIRY;
        }
        w.expire();
        assert!(!w.wants(1), "expired");
    }

    #[test]
    fn too_many_instances_are_not_remembered() {
        let w = Watchers::default();
        for i in 0..MAX_INSTANCES + 10 {
            w.learn(ann(&format!("i{i}"), false, &[i as i32]), "a");
        }
        assert_eq!(w.table.lock().unwrap().len(), MAX_INSTANCES);
        assert!(!w.wants((MAX_INSTANCES + 5) as i32));
    }
}
