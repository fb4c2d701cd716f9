//! Outlet state and table: relay states only from ACKs, the read cycle, overload reporting.

mod common;

use ccu_core::Error;
use ccu_core::outlet::{Outlet, OutletTable, ReadCycle, RelayState};
use ccu_core::protocol::{DeviceId, MAX_OUTLETS_PER_CCU, SensorReading, Socket, encode};
use ccu_core::rf::{CommandCode, Frame};
use common::device_list;

const MASTER: u8 = 0x02;
const FE: DeviceId = DeviceId(0xFE);

#[test]
fn acks_set_relay_states() {
    use RelayState::{Off, On, Unknown};
    // (DATA_H, acknowledged code) applied in order → (relay A, relay B), last one applied?
    type Acks = &'static [(u8, CommandCode)];
    let cases: &[(Acks, (RelayState, RelayState), bool)] = &[
        (&[], (Unknown, Unknown), false),
        (&[(0x01, CommandCode::RelayOn)], (On, Unknown), true),
        (&[(0x02, CommandCode::RelayOff)], (Unknown, Off), true),
        (
            &[(0x01, CommandCode::RelayOn), (0x01, CommandCode::RelayOff)],
            (Off, Unknown),
            true,
        ),
        (
            &[(0x01, CommandCode::RelayOn), (0x02, CommandCode::RelayOn)],
            (On, On),
            true,
        ),
        // A relay ACK without a valid socket, or a ping ACK, changes nothing.
        (&[(0x00, CommandCode::RelayOn)], (Unknown, Unknown), false),
        (&[(0x03, CommandCode::RelayOff)], (Unknown, Unknown), false),
        (&[(0x00, CommandCode::Ping)], (Unknown, Unknown), false),
    ];
    for (acks, (a, b), applied) in cases {
        let mut outlet = Outlet::new(FE);
        let mut last = false;
        for (i, &(data_h, code)) in acks.iter().enumerate() {
            last = outlet.apply_ack(data_h, code, 100 + i as u64);
        }
        assert_eq!(
            (outlet.relay(Socket::A), outlet.relay(Socket::B)),
            (*a, *b),
            "{acks:?}"
        );
        assert_eq!(last, *applied, "{acks:?}");
        let seen = (!acks.is_empty()).then(|| 100 + acks.len() as u64 - 1);
        assert_eq!(outlet.last_seen_ms(), seen);
    }
}

#[test]
fn reports_never_touch_relays_and_thresholds_commit_on_ack() {
    let mut outlet = Outlet::new(FE);
    outlet.record_report(Socket::A, 49, 10);
    assert_eq!(outlet.relay(Socket::A), RelayState::Unknown);
    assert_eq!(outlet.current_ma(Socket::A), Some(49));
    assert_eq!(outlet.current_ma(Socket::B), None);

    assert!(
        !outlet.apply_ack(0, CommandCode::SetThreshold, 20),
        "nothing staged"
    );
    outlet.stage_threshold(2500);
    assert_eq!(
        (outlet.threshold_ma(), outlet.pending_threshold_ma()),
        (None, Some(2500))
    );
    assert!(outlet.apply_ack(0, CommandCode::SetThreshold, 30));
    assert_eq!(
        (outlet.threshold_ma(), outlet.pending_threshold_ma()),
        (Some(2500), None)
    );
}

#[test]
fn read_cycle_files_reports_under_the_selected_outlet() {
    let mut cycle = ReadCycle::new(FE, MASTER);
    assert_eq!(cycle.request(), Frame::read_current(0xFE, MASTER));
    let rejected = [
        Frame::report(0x01, Socket::A, 10), // another master
        Frame::new(MASTER, 0x03, CommandCode::ReportData, 10), // no such socket
        Frame::ack(MASTER, 0xFE, CommandCode::RelayOn, 1), // not a report
        Frame::new(MASTER, 0x01, CommandCode::ReadCurrent, 10), // not a report
    ];
    for frame in rejected {
        assert_eq!(cycle.accept(&frame), None, "{frame:?}");
    }
    assert_eq!(cycle.n_reports(), 0);
    let a = cycle
        .accept(&Frame::report(MASTER, Socket::A, 1250))
        .unwrap();
    assert_eq!(
        (a.device, a.socket, a.current_ma, a.is_overload()),
        (FE, Socket::A, 1250, false)
    );
    assert!(!cycle.is_complete());
    // The same socket twice counts once.
    cycle
        .accept(&Frame::report(MASTER, Socket::A, 1260))
        .unwrap();
    assert_eq!(cycle.n_reports(), 1);
    let b = cycle
        .accept(&Frame::report(MASTER, Socket::B, 0xFFFF))
        .unwrap();
    assert!(b.is_overload());
    assert!(cycle.is_complete());
}

/// The original firmware dropped 0xFFFF (its §1.5 bug); here it is reported as overload.
#[test]
fn overload_is_reported() {
    // (report A, report B) → (current_a, current_b), is_overload
    type Reports = (Option<u16>, Option<u16>);
    type Currents = (Option<i64>, Option<i64>);
    let cases: &[(Reports, Currents, bool)] = &[
        ((None, None), (None, None), false),
        ((Some(49), Some(0)), (Some(49), Some(0)), false),
        ((Some(0xFFFF), Some(98)), (Some(65535), Some(98)), true),
        ((Some(3000), Some(0xFFFF)), (Some(3000), Some(65535)), true),
        ((Some(0xFFFE), None), (Some(65534), None), false),
    ];
    for &((a, b), (want_a, want_b), overload) in cases {
        let mut outlet = Outlet::new(FE);
        for (socket, value) in [(Socket::A, a), (Socket::B, b)] {
            if let Some(v) = value {
                outlet.record_report(socket, v, 1);
            }
        }
        let reading = outlet.reading();
        let want = SensorReading {
            device_id: FE,
            current_a: want_a,
            current_b: want_b,
            relay_a: None,
            relay_b: None,
            is_overload: overload,
            ts: None,
        };
        assert_eq!(reading, want, "{a:?} {b:?}");
        assert_eq!(outlet.is_overload(), overload);
    }
    let mut outlet = Outlet::new(FE);
    outlet.record_report(Socket::B, 0xFFFF, 1);
    outlet.apply_ack(0x01, CommandCode::RelayOn, 1);
    let mut buf = [0u8; 256];
    let n = encode(&outlet.reading(), &mut buf).unwrap();
    assert_eq!(
        std::str::from_utf8(&buf[..n]).unwrap(),
        r#"{"device_id":"FE","current_a":null,"current_b":65535,"relay_a":true,"is_overload":true}"#
    );
    // A later normal report clears the overload.
    outlet.record_report(Socket::B, 120, 2);
    assert!(!outlet.reading().is_overload);
}

#[test]
fn table_is_bounded_and_syncs_with_the_device_list() {
    let mut table = OutletTable::new();
    for id in 0..MAX_OUTLETS_PER_CCU as u8 {
        table.insert(DeviceId(id)).unwrap();
    }
    assert_eq!(
        table.insert(DeviceId(0xF0)).map(|o| o.id()),
        Err(Error::Full)
    );
    assert!(
        table.insert(DeviceId(3)).is_ok(),
        "existing ids are fine when full"
    );
    assert_eq!(table.remove(DeviceId(3)).map(|o| o.id()), Some(DeviceId(3)));
    assert_eq!(table.remove(DeviceId(3)), None);

    let mut table = OutletTable::new();
    table.sync(&device_list(&[0xFE, 0xFD]));
    table
        .get_mut(FE)
        .unwrap()
        .apply_ack(0x01, CommandCode::RelayOn, 5);
    table.sync(&device_list(&[0x03, 0xFE]));
    let ids: Vec<u8> = table.iter().map(|o| o.id().0).collect();
    assert_eq!(
        ids,
        [0xFE, 0x03],
        "kept ones first, in their order, then new ones"
    );
    assert_eq!(
        table.get(FE).unwrap().relay(Socket::A),
        RelayState::On,
        "state kept"
    );
    assert!(table.get(DeviceId(0xFD)).is_none(), "unlisted dropped");
    assert_eq!(table.at(1).map(|o| o.id()), Some(DeviceId(0x03)));
    table.sync(&device_list(&[]));
    assert!(table.is_empty());
}
