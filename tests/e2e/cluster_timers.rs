//! Two instances on one database (SQLite file or `TEST_DATABASE_URL`): exactly one holds the
//! timers lease and times out a command that is never acknowledged, once; when it stops,
//! gracefully or as if killed, the other takes the lease over within `cluster.lease_ttl` and
//! goes on timing commands out.

use backend::domain::{CommandStatus, Socket};
use backend::live::LiveEvent;
use backend::store::EventFilter;
use settings::Settings;
use std::time::{Duration, Instant};
use system_tests::relays::{send_relay, wait_command};
use system_tests::{TestApp, spawn_app_sharing, spawn_app_with, wait_until};
use tokio::sync::broadcast;

const TTL: Duration = Duration::from_millis(1000);

fn cluster(s: &mut Settings) {
    s.cluster.lease_ttl = TTL;
    s.commands.ack_timeout = Duration::from_millis(300);
}

/// A cluster of two; the first, started first, holds the lease.
async fn two_instances() -> (TestApp, TestApp) {
    let first = spawn_app_with(cluster).await;
    let second = spawn_app_sharing(&first, cluster).await;
    assert!(
        first.backend().runs_timers(),
        "the first instance took the lease at start"
    );
    assert!(
        !second.backend().runs_timers(),
        "only one instance holds it"
    );
    (first, second)
}

/// Time-outs of command `id` on a live stream so far.
fn timed_out_on(live: &mut broadcast::Receiver<LiveEvent>, id: &str) -> usize {
    let mut n = 0;
    loop {
        match live.try_recv() {
            Ok(LiveEvent::Command { command, .. })
                if command.id == id && command.status == CommandStatus::TimedOut =>
            {
                n += 1
            }
            Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => return n,
        }
    }
}

/// Stored `timed_out` events of command `id`.
async fn timed_out_events(app: &TestApp, user: i32, id: &str) -> usize {
    let filter = EventFilter {
        user_id: Some(user),
        kind: Some("command".into()),
        ..EventFilter::default()
    };
    let (events, _) = app.store().list_events(&filter, 0, 1000).await.unwrap();
    events
        .iter()
        .filter(|e| {
            let data = e.data.clone().unwrap_or_default();
            data["command_id"] == id && data["status"] == "timed_out"
        })
        .count()
}

/// Waits until `app` has CCU `02` and its outlet in its registry (another instance added
/// them).
async fn knows_outlet(app: &TestApp, outlet: i32) {
    let b = app.backend().clone();
    wait_until("the CCU and outlet known to the second instance", || {
        let b = b.clone();
        async move { b.registry().ccu("02").is_some() && b.registry().outlet(outlet).is_some() }
    })
    .await;
}

#[tokio::test]
async fn one_instance_holds_the_lease_and_a_command_without_ack_times_out_once() {
    let (first, second) = two_instances().await;
    let (user, secret, outlet) = first.seed().await;
    let mut live1 = first.backend().subscribe();
    let mut live2 = second.backend().subscribe();
    let mut dev = first.device("02", &secret).await;
    first.wait_online("02").await;

    let c = send_relay(&first, user.id, outlet.id, Socket::A, true).await;
    assert_eq!(c.status, CommandStatus::Sent);
    assert_eq!(dev.next_command().await.id.as_str(), c.id);
    // The CCU never answers.
    wait_command(&first, user.id, &c.id, CommandStatus::TimedOut).await;
    // A later command's time-out is the barrier: both instances' timers have run rounds
    // over the first command's row since it timed out.
    let later = send_relay(&first, user.id, outlet.id, Socket::B, true).await;
    assert_eq!(dev.next_command().await.id.as_str(), later.id);
    wait_command(&first, user.id, &later.id, CommandStatus::TimedOut).await;
    assert!(first.backend().runs_timers() && !second.backend().runs_timers());

    assert_eq!(
        timed_out_on(&mut live1, &c.id),
        1,
        "the holder timed it out"
    );
    // The other did not time it out; on PostgreSQL its browsers still see the holder's
    // update, once, through the live fan-out.
    let relayed = usize::from(first.db.is_postgres());
    assert_eq!(
        timed_out_on(&mut live2, &c.id),
        relayed,
        "the other did not (it only relays the holder's)"
    );
    assert_eq!(timed_out_events(&first, user.id, &c.id).await, 1);
    assert_eq!(timed_out_events(&second, user.id, &c.id).await, 1);
}

#[tokio::test]
async fn after_the_holder_stops_the_other_takes_the_lease_at_once_and_times_commands_out() {
    let (first, second) = two_instances().await;
    let (user, secret, outlet) = first.seed().await;
    let TestApp { app, dir, db, .. } = first;
    let stopped = Instant::now();
    app.stop().await;
    // The lease was given up: the next attempt (every ttl / 3) takes it.
    let b = second.backend().clone();
    wait_until("the second instance holds the lease", || {
        let b = b.clone();
        async move { b.runs_timers() }
    })
    .await;
    assert!(
        stopped.elapsed() < TTL,
        "taken over in {:?}",
        stopped.elapsed()
    );
    carries_on_timing_out(&second, user.id, &secret, outlet.id).await;
    drop((dir, db));
}

#[tokio::test]
async fn after_the_holder_dies_without_giving_the_lease_up_the_other_takes_it_within_the_ttl() {
    let (first, second) = two_instances().await;
    let (user, secret, outlet) = first.seed().await;
    let killed = Instant::now();
    first.backend().halt_timers_as_if_killed().await;
    assert!(
        !second.backend().runs_timers(),
        "not before the lease expired"
    );
    let b = second.backend().clone();
    wait_until("the second instance holds the lease", || {
        let b = b.clone();
        async move { b.runs_timers() }
    })
    .await;
    // The lease expires `ttl` after the last renewal, at most ttl / 3 before the halt; the
    // second instance tries every ttl / 3.
    let took = killed.elapsed();
    assert!(
        took < TTL + TTL / 3 + Duration::from_millis(500),
        "took {took:?}"
    );
    let holder = second
        .store()
        .lease_holder("timers")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.0, second.backend().lease().holder());
    carries_on_timing_out(&second, user.id, &secret, outlet.id).await;
}

/// The CCU moves to `app`'s broker; a command it never answers times out there.
async fn carries_on_timing_out(app: &TestApp, user: i32, secret: &str, outlet: i32) {
    knows_outlet(app, outlet).await;
    let mut dev = app.device("02", secret).await;
    app.wait_online("02").await;
    let c = send_relay(app, user, outlet, Socket::A, false).await;
    assert_eq!(c.status, CommandStatus::Sent);
    assert_eq!(dev.next_command().await.id.as_str(), c.id);
    let t = wait_command(app, user, &c.id, CommandStatus::TimedOut).await;
    assert!(t.detail.unwrap().contains("no ack"));
    // Its event is written just after the row.
    wait_until("the time-out's event", || async {
        timed_out_events(app, user, &c.id).await == 1
    })
    .await;
}
