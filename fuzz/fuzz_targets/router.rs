//! Fuzz target: the real rumqttd router driven by a sequence of client packets.
//!
//! Each input is a small program: connect (arbitrary client id, clean flag, will, topic
//! alias maximum), publish (arbitrary topic, QoS, retain, MQTT 5 properties), subscribe and
//! unsubscribe (arbitrary filters, subscription identifier), PUBACK/PUBREC/PUBREL/PUBCOMP
//! with arbitrary packet ids, ping, DISCONNECT, the link vanishing, reading what the router
//! sent, on two links. Publish/subscribe/unsubscribe are built as MQTT 5 bytes and decoded
//! with rumqttd's own codec, so they carry exactly what a listener would hand the router.
//! Afterwards a fresh client must still connect and get a publish routed back; a panic in
//! the router thread aborts (libfuzzer-sys installs an aborting panic hook).
#![no_main]

use bytes::{BufMut, BytesMut};
use libfuzzer_sys::fuzz_target;
use rumqttd::local::{LinkBuilder, LinkRx, LinkTx};
use rumqttd::protocol::{v4, v5::V5};
use rumqttd::protocol::{
    Disconnect, DisconnectReasonCode, LastWill, LastWillProperties, Packet, PingReq, Protocol,
    PubAck, PubAckReason, PubComp, PubCompReason, PubRec, PubRecReason, PubRel, PubRelReason, QoS,
};
use rumqttd::{Notification, Router, RouterConfig};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Pieces client-controlled strings are made of: separators, wildcards, `$` prefixes,
/// NUL, multi-byte characters, the shared-subscription prefix, our own topics.
const TOKENS: &[&str] = &[
    "a",
    "b",
    "/",
    "+",
    "#",
    "$",
    "$share/",
    "$SYS",
    "\0",
    "é",
    "€x",
    "",
    "g",
    "ccu/02/sensor",
    "ccu/+/sensor",
    "$share/g/",
    " ",
    "a/b",
    "x",
];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8().unwrap_or(0), self.u8().unwrap_or(0)])
    }

    fn bool(&mut self) -> bool {
        self.u8().unwrap_or(0) & 1 == 1
    }

    /// A string of up to 4 tokens, sometimes long.
    fn string(&mut self) -> String {
        let n = self.u8().unwrap_or(0);
        let mut s = String::new();
        for _ in 0..(n & 3) + 1 {
            s.push_str(TOKENS[self.u8().unwrap_or(0) as usize % TOKENS.len()]);
        }
        if n & 0x80 != 0 {
            s = s.repeat(300);
        }
        s
    }
}

/// A variable byte integer (remaining length, subscription identifier): the same encoding
/// in MQTT 3.1.1 and 5.
fn varint(n: usize, out: &mut BytesMut) {
    v4::write_remaining_length(out, n).expect("under 256 MiB");
}

fn mqtt_str(s: &str, out: &mut BytesMut) {
    out.put_u16(s.len() as u16);
    out.put_slice(s.as_bytes());
}

/// Frames `body` under `byte1` and decodes it as an MQTT 5 listener would.
fn decode(byte1: u8, body: BytesMut) -> Option<Packet> {
    let mut frame = BytesMut::new();
    frame.put_u8(byte1);
    varint(body.len(), &mut frame);
    frame.put_slice(&body);
    V5.read_mut(&mut frame, 1 << 20).ok()
}

/// MQTT 5 properties of a PUBLISH, chosen by the input.
fn publish_properties(inp: &mut Input) -> BytesMut {
    let mut p = BytesMut::new();
    let which = inp.u8().unwrap_or(0);
    if which & 1 != 0 {
        p.put_u8(0x23); // topic alias
        p.put_u16(inp.u16() % 8);
    }
    if which & 2 != 0 {
        p.put_u8(0x0B); // subscription identifier (not allowed from a client)
        varint(inp.u8().unwrap_or(0) as usize, &mut p);
    }
    if which & 4 != 0 {
        p.put_u8(0x02); // message expiry interval
        p.put_u32(inp.u8().unwrap_or(0) as u32 % 3);
    }
    if which & 8 != 0 {
        p.put_u8(0x26); // user property
        mqtt_str(&inp.string(), &mut p);
        mqtt_str("v", &mut p);
    }
    if which & 16 != 0 {
        p.put_u8(0x08); // response topic
        mqtt_str(&inp.string(), &mut p);
    }
    p
}

fn publish(inp: &mut Input) -> Option<Packet> {
    let flags = inp.u8().unwrap_or(0);
    let qos = (flags >> 1) & 3;
    let topic = inp.string();
    let mut body = BytesMut::new();
    mqtt_str(&topic, &mut body);
    if qos > 0 {
        body.put_u16(inp.u16() % 4);
    }
    let props = publish_properties(inp);
    varint(props.len(), &mut body);
    body.put_slice(&props);
    if flags & 0x10 == 0 {
        body.put_slice(b"payload");
    }
    decode(0x30 | (flags & 0x0F), body)
}

fn subscribe(inp: &mut Input) -> Option<Packet> {
    let mut body = BytesMut::new();
    body.put_u16(inp.u16() % 4);
    let mut props = BytesMut::new();
    if inp.bool() {
        props.put_u8(0x0B);
        varint(inp.u8().unwrap_or(0) as usize % 3, &mut props);
    }
    varint(props.len(), &mut body);
    body.put_slice(&props);
    for _ in 0..(inp.u8().unwrap_or(0) % 3) + 1 {
        mqtt_str(&inp.string(), &mut body);
        body.put_u8(inp.u8().unwrap_or(0) % 3);
    }
    decode(0x82, body)
}

fn unsubscribe(inp: &mut Input) -> Option<Packet> {
    let mut body = BytesMut::new();
    body.put_u16(inp.u16() % 4);
    body.put_u8(0); // no properties
    for _ in 0..(inp.u8().unwrap_or(0) % 3) + 1 {
        mqtt_str(&inp.string(), &mut body);
    }
    decode(0xA2, body)
}

/// A successful PUBACK, PUBREC, PUBREL or PUBCOMP for `pkid`: four types, built alike (a
/// macro, since they share no constructor).
macro_rules! ack {
    ($packet:ident, $reason:ident, $pkid:expr) => {
        Packet::$packet(
            $packet {
                pkid: $pkid,
                reason: $reason::Success,
            },
            None,
        )
    };
}

/// Runs a future that never waits (`LinkTx::send` only blocks on the router channel).
fn now<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("LinkTx::send never waits"),
    }
}

type Link = (LinkTx, LinkRx);

/// Reads what the router sent this link so far; answers `Unschedule` like a remote link.
fn drain(link: &mut Link, deadline: Instant) -> Vec<Notification> {
    let mut got = Vec::new();
    while let Ok(Some(n)) = link.1.recv_deadline(deadline) {
        if let Notification::Unschedule = n {
            let _ = link.1.ready();
        }
        got.push(n);
    }
    got
}

fn config() -> RouterConfig {
    RouterConfig {
        max_connections: 10,
        max_outgoing_packet_count: 200,
        max_segment_size: 1024,
        max_segment_count: 2,
        // the rest (no custom segments, no intake, the default shared-subscription
        // strategy) from Default, so a field added to the vendored router keeps this building
        ..Default::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let (router_tx, router) = Router::new(0, config()).spawn_stoppable();
    let mut links: [Option<Link>; 2] = [None, None];
    let mut inp = Input(data);

    for _ in 0..48 {
        let Some(op) = inp.u8() else { break };
        let slot = (op >> 7) as usize;
        let packet = match op & 0x0F {
            0 => {
                // (re)connect this slot, ending its previous link as a remote link would
                if let Some(old) = links[slot].take() {
                    let _ = old.1.disconnect();
                }
                let client_id = inp.string();
                let flags = inp.u8().unwrap_or(0);
                let will = (flags & 1 != 0).then(|| LastWill {
                    topic: inp.string().into(),
                    message: if flags & 2 != 0 { "" } else { "will" }.into(),
                    qos: match (flags >> 2) & 3 {
                        0 => QoS::AtMostOnce,
                        1 => QoS::AtLeastOnce,
                        _ => QoS::ExactlyOnce,
                    },
                    retain: flags & 16 != 0,
                });
                let will_props = (flags & 32 != 0).then(|| LastWillProperties {
                    delay_interval: None,
                    payload_format_indicator: None,
                    message_expiry_interval: Some(1),
                    content_type: None,
                    response_topic: Some(inp.string()),
                    correlation_data: None,
                    user_properties: vec![],
                });
                let built = LinkBuilder::new(&client_id, router_tx.clone())
                    .clean_session(flags & 64 == 0)
                    .dynamic_filters(true)
                    .last_will(will)
                    .last_will_properties(will_props)
                    .topic_alias_max(if flags & 128 != 0 { 2 } else { 0 })
                    .build();
                // a refused client id gets no link, like the listener drops the socket
                links[slot] = built.ok().map(|(tx, rx, _ack)| (tx, rx));
                continue;
            }
            1..=3 => publish(&mut inp),
            4 => subscribe(&mut inp),
            5 => unsubscribe(&mut inp),
            6 => Some(ack!(PubAck, PubAckReason, inp.u16() % 4)),
            7 => Some(ack!(PubRec, PubRecReason, inp.u16() % 4)),
            8 => Some(ack!(PubRel, PubRelReason, inp.u16() % 4)),
            9 => Some(ack!(PubComp, PubCompReason, inp.u16() % 4)),
            10 => Some(Packet::PingReq(PingReq)),
            11 => Some(Packet::Disconnect(
                Disconnect {
                    reason_code: DisconnectReasonCode::NormalDisconnection,
                },
                None,
            )),
            12 => {
                // the network went away
                if let Some(old) = links[slot].take() {
                    let _ = old.1.disconnect();
                }
                continue;
            }
            _ => {
                if let Some(link) = links[slot].as_mut() {
                    drain(link, Instant::now() + Duration::from_millis(1));
                }
                continue;
            }
        };
        if let (Some(packet), Some(link)) = (packet, links[slot].as_mut()) {
            // an error means the router dropped this connection (or died: checked below)
            let _ = now(link.0.send(packet));
        }
    }

    // The router must still admit a new client and route its publish back to it.
    for link in links.iter_mut().flatten() {
        let _ = link.1.disconnect();
    }
    drop(links);
    let (tx, rx, _) = LinkBuilder::new("fuzz-probe", router_tx.clone())
        .build()
        .expect("router no longer admits a client");
    let mut probe = (tx, rx);
    probe.0.subscribe("probe/alive").expect("subscribe");
    probe
        .0
        .publish("probe/alive", "still-routing")
        .expect("publish");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match probe.1.recv_deadline(deadline) {
            Ok(Some(Notification::Forward(f)))
                if f.publish.payload.as_ref() == b"still-routing" =>
            {
                break;
            }
            Ok(Some(Notification::Unschedule)) => {
                let _ = probe.1.ready();
            }
            Ok(_) => {}
            Err(e) => panic!("router no longer routes a publish: {e}"),
        }
    }
    drop(probe);
    drop(router_tx);
    router.join().expect("router thread panicked");
});
