//! `Store::finish_command` on either database (`TEST_DATABASE_URL` selects PostgreSQL): the
//! write is conditional on the stored status, so of two finishers (an ack and a time-out on
//! two instances) the second loses and the first one's outcome stays.

use super::test_database::TestDatabase;
use super::*;
use crate::domain::{CommandKind, CommandRecord, CommandStatus, Socket, Transport};

async fn store_with_command(dir: &std::path::Path) -> (TestDatabase, Store, CommandRecord) {
    let db = TestDatabase::create(&dir.join("t.db")).await.unwrap();
    let store = Store::open(db.url(), 2).await.unwrap();
    let user = store.insert_user("owner", "h").await.unwrap();
    store
        .insert_ccu("B1", user.id, "ccu", Transport::Mqtt, "h", 16_000)
        .await
        .unwrap();
    let outlet = store.insert_outlet("B1", "01", "one", "").await.unwrap();
    let c = CommandRecord {
        id: uuid::Uuid::new_v4().to_string(),
        ccu_id: "B1".into(),
        outlet_id: outlet.id,
        device_id: "01".into(),
        user_id: Some(user.id),
        command: CommandKind::RelayOn,
        socket: Some(Socket::A),
        value: None,
        status: CommandStatus::Sent,
        detail: None,
        created_at: 1_000,
        sent_at: Some(1_000),
        completed_at: None,
        expires_at: 100_000,
    };
    store.insert_command(&c).await.unwrap();
    (db, store, c)
}

fn finished(c: &CommandRecord, status: CommandStatus, detail: &str, at: i64) -> CommandRecord {
    CommandRecord {
        status,
        detail: Some(detail.into()),
        completed_at: Some(at),
        ..c.clone()
    }
}

#[tokio::test]
async fn of_an_ack_and_a_time_out_the_second_finisher_loses() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s, sent) = store_with_command(dir.path()).await;
    // Both read the command as `sent`; the ack is written first.
    let ok = finished(&sent, CommandStatus::Ok, "acked", 2_000);
    let timed_out = finished(&sent, CommandStatus::TimedOut, "no ack", 2_001);
    let in_flight = [CommandStatus::Queued, CommandStatus::Sent];
    assert!(s.finish_command(&ok, &in_flight).await.unwrap());
    assert!(
        !s.finish_command(&timed_out, &[CommandStatus::Sent])
            .await
            .unwrap(),
        "the time-out comes second: it must not be recorded"
    );
    let stored = s.get_command(&sent.id).await.unwrap().unwrap();
    assert_eq!(stored.status, CommandStatus::Ok);
    assert_eq!(stored.detail.as_deref(), Some("acked"));
    assert_eq!(stored.completed_at, Some(2_000));
}

#[tokio::test]
async fn a_time_out_first_then_a_second_time_out_loses_and_a_late_ack_may_follow() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, s, sent) = store_with_command(dir.path()).await;
    let t1 = finished(&sent, CommandStatus::TimedOut, "no ack (1)", 2_000);
    let t2 = finished(&sent, CommandStatus::TimedOut, "no ack (2)", 2_001);
    assert!(s.finish_command(&t1, &[CommandStatus::Sent]).await.unwrap());
    assert!(
        !s.finish_command(&t2, &[CommandStatus::Sent]).await.unwrap(),
        "two instances' timers time a command out once"
    );
    let stored = s.get_command(&sent.id).await.unwrap().unwrap();
    assert_eq!(stored.detail.as_deref(), Some("no ack (1)"));
    // A late ack still turns the server's time-out into the device's answer.
    let ok = finished(&sent, CommandStatus::Ok, "late", 3_000);
    let from = [CommandStatus::Sent, CommandStatus::TimedOut];
    assert!(s.finish_command(&ok, &from).await.unwrap());
    // Expiry only takes a command still queued.
    let expired = finished(&sent, CommandStatus::Expired, "gone", 4_000);
    assert!(
        !s.finish_command(&expired, &[CommandStatus::Queued])
            .await
            .unwrap()
    );
    let stored = s.get_command(&sent.id).await.unwrap().unwrap();
    assert_eq!(stored.status, CommandStatus::Ok);
}
