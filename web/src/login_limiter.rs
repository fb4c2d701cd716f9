//! The password-check limiter: a slot per username and per client address is taken BEFORE
//! the argon2 check, so parallel guesses cannot slip past it and a refused attempt costs no
//! hash. Memory is bounded.
//!
//! - Each key holds the times of its checked attempts in the last `window` (at most the
//!   limit, so a key is small). A successful check gives its slot back: people who log in
//!   often never lock themselves out, while every wrong guess keeps counting.
//! - Keys: the lower-cased username, and the client address (`ClientIp`, resolved from
//!   trusted proxies), IPv6 by /64, since one host holds a whole /64.
//! - At most `max_keys` usernames and `max_keys` addresses. A new key in a full table first
//!   drops every expired key; if all are live, the key with the fewest attempts (oldest
//!   first among equals) goes. To evict a victim's counter of n guesses an attacker must
//!   fill the table with `max_keys` keys of at least n checked attempts within one window,
//!   each attempt passing its address limit and costing an argon2 check in the people's
//!   budget: out of reach. Refused attempts never add keys.
//!
//! Why not the `governor` crate: its GCRA cannot give a slot back after a successful login,
//! and its keyed store has no cap on keys (`retain_recent` only drops idle ones), which is
//! the memory bound this limiter exists for.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limits of a [`LoginLimiter`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Checked attempts per username per window.
    pub per_user: u32,
    /// Checked attempts per address per window.
    pub per_address: u32,
    /// The window.
    pub window: Duration,
    /// Most keys per table.
    pub max_keys: usize,
}

impl Limits {
    /// The `[accounts]` settings.
    pub fn from_settings(s: &settings::AccountsSettings) -> Limits {
        Limits {
            per_user: s.attempts_per_user,
            per_address: s.attempts_per_address,
            window: s.attempt_window,
            max_keys: s.limiter_max_keys,
        }
    }
}

/// Checked attempts per key in a sliding window, with a bounded number of keys.
#[derive(Debug, Default)]
struct Table {
    keys: HashMap<String, VecDeque<Instant>>,
}

impl Table {
    /// Attempts of `key` still in the window (dropping older ones).
    fn live(&mut self, key: &str, now: Instant, window: Duration) -> usize {
        match self.keys.get_mut(key) {
            Some(times) => {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    times.pop_front();
                }
                times.len()
            }
            None => 0,
        }
    }

    fn record(&mut self, key: &str, now: Instant, window: Duration, max_keys: usize) {
        if !self.keys.contains_key(key) {
            self.make_room(now, window, max_keys);
        }
        self.keys.entry(key.to_string()).or_default().push_back(now);
    }

    /// Room for one more key: expired keys first, then the one with the fewest attempts.
    fn make_room(&mut self, now: Instant, window: Duration, max_keys: usize) {
        if self.keys.len() < max_keys {
            return;
        }
        self.keys
            .retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
        while self.keys.len() >= max_keys {
            let lightest = self
                .keys
                .iter()
                .min_by_key(|(_, t)| (t.len(), t.back().copied()))
                .map(|(k, _)| k.clone());
            match lightest {
                Some(k) => self.keys.remove(&k),
                None => break,
            };
        }
    }

    fn give_back(&mut self, key: &str, at: Instant) {
        if let Some(times) = self.keys.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.keys.remove(key);
            }
        }
    }
}

/// A taken slot: give it back with [`LoginLimiter::succeeded`] when the check passed.
#[derive(Debug)]
pub struct Slot {
    user: String,
    address: String,
    at: Instant,
}

/// Why an attempt was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many attempts for this username.
    User,
    /// Too many attempts from this address.
    Address,
}

#[derive(Debug, Default)]
struct Tables {
    users: Table,
    addresses: Table,
}

/// The limiter (one per server).
#[derive(Debug)]
pub struct LoginLimiter {
    limits: Limits,
    tables: Mutex<Tables>,
}

/// The limiter key of a username: trimmed, lower-cased, at most 64 characters (longer
/// names are invalid anyway).
fn user_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

/// The limiter key of an address: IPv4 as is, IPv6 by its /64.
fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(v4) => v4.to_string(),
        None => "?".to_string(),
    }
}

impl LoginLimiter {
    /// A limiter with these limits.
    pub fn new(limits: Limits) -> LoginLimiter {
        LoginLimiter {
            limits,
            tables: Mutex::new(Tables::default()),
        }
    }

    /// Takes a slot for a password check of `username` from `ip`, or says which limit
    /// refuses it. Atomic: of parallel attempts at most the limit get a slot.
    pub fn acquire(&self, username: &str, ip: Option<IpAddr>) -> Result<Slot, Limited> {
        let l = self.limits;
        let (user, address) = (user_key(username), address_key(ip));
        let mut t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if t.addresses.live(&address, now, l.window) >= l.per_address as usize {
            return Err(Limited::Address);
        }
        if t.users.live(&user, now, l.window) >= l.per_user as usize {
            return Err(Limited::User);
        }
        t.addresses.record(&address, now, l.window, l.max_keys);
        t.users.record(&user, now, l.window, l.max_keys);
        Ok(Slot {
            user,
            address,
            at: now,
        })
    }

    /// The check passed: the slot no longer counts.
    pub fn succeeded(&self, slot: Slot) {
        let mut t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        t.users.give_back(&slot.user, slot.at);
        t.addresses.give_back(&slot.address, slot.at);
    }

    /// Keys tracked now (usernames, addresses).
    pub fn tracked(&self) -> (usize, usize) {
        let t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        (t.users.keys.len(), t.addresses.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_user: u32, per_address: u32, max_keys: usize) -> LoginLimiter {
        LoginLimiter::new(Limits {
            per_user,
            per_address,
            window: Duration::from_secs(300),
            max_keys,
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn slots_are_taken_before_the_check_and_given_back_on_success() {
        let l = limiter(3, 100, 100);
        let slots: Vec<_> = (0..3)
            .map(|_| l.acquire("Alice", ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(
            l.acquire(" alice", ip("10.0.0.2")).err(),
            Some(Limited::User)
        );
        // Bob is not affected.
        l.succeeded(l.acquire("bob", ip("10.0.0.1")).unwrap());
        // One success gives one slot back; the failures keep counting.
        let mut slots = slots.into_iter();
        l.succeeded(slots.next().unwrap());
        let s = l.acquire("alice", ip("10.0.0.1")).unwrap();
        assert_eq!(
            l.acquire("alice", ip("10.0.0.1")).err(),
            Some(Limited::User)
        );
        drop(s);
    }

    #[test]
    fn an_address_is_limited_across_usernames_and_ipv6_by_64() {
        let l = limiter(100, 4, 1000);
        for i in 0..4 {
            l.acquire(&format!("user{i}"), ip("2001:db8:1:2::1"))
                .unwrap();
        }
        assert_eq!(
            l.acquire("other", ip("2001:db8:1:2:ffff::9")).err(),
            Some(Limited::Address)
        );
        l.acquire("other", ip("2001:db8:1:3::1")).unwrap();
        // A refused attempt adds no username key.
        assert_eq!(l.tracked(), (5, 2));
    }

    #[test]
    fn a_spray_of_names_stays_bounded_and_cannot_evict_a_victims_counter() {
        let l = limiter(5, 5, 500);
        for _ in 0..4 {
            let _ = l.acquire("victim", ip("10.9.9.9")).unwrap();
        }
        // 20 000 one-attempt names from 4 000 addresses.
        for i in 0..20_000u32 {
            let a = std::net::Ipv4Addr::from(0x0b00_0000 + i / 5);
            let _ = l.acquire(&format!("n{i}"), Some(IpAddr::V4(a)));
        }
        let (users, addresses) = l.tracked();
        assert!(users <= 500 && addresses <= 500, "{users} {addresses}");
        l.acquire("victim", ip("10.9.9.8")).unwrap();
        assert_eq!(
            l.acquire("victim", ip("10.9.9.7")).err(),
            Some(Limited::User),
            "the victim's counter survived the spray"
        );
    }

    #[test]
    fn parallel_attempts_get_at_most_the_limit() {
        let l = std::sync::Arc::new(limiter(5, 1000, 1000));
        let granted: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..16)
                .map(|_| {
                    let l = l.clone();
                    s.spawn(move || {
                        (0..50)
                            .filter(|_| l.acquire("alice", ip("10.0.0.1")).is_ok())
                            .count()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 5);
    }
}
