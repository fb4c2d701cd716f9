//! MQTT packets written by hand, byte by byte: what a hostile client sends, built without
//! the broker's own encoder so that a decoder bug cannot hide in both. Shared by the broker's
//! test files; each uses a part of it.
#![allow(dead_code)]

pub fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            return;
        }
    }
}

pub fn frame(byte1: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![byte1];
    remaining_length(body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

pub fn string(s: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// CONNECT, MQTT 3.1.1 (`level` 4) or 5 (`level` 5), keep-alive 60 s.
pub fn connect(level: u8, client_id: &str, clean: bool) -> Vec<u8> {
    let mut body = Vec::new();
    string(b"MQTT", &mut body);
    body.push(level);
    body.push(if clean { 0x02 } else { 0x00 });
    body.extend_from_slice(&60u16.to_be_bytes());
    if level == 5 {
        body.push(0); // no properties
    }
    string(client_id.as_bytes(), &mut body);
    frame(0x10, &body)
}

/// CONNECT with a will (QoS 0, not retained) on `will_topic`.
pub fn connect_with_will(level: u8, client_id: &str, will_topic: &str) -> Vec<u8> {
    let mut body = Vec::new();
    string(b"MQTT", &mut body);
    body.push(level);
    body.push(0x02 | 0x04);
    body.extend_from_slice(&60u16.to_be_bytes());
    if level == 5 {
        body.push(0); // no properties
    }
    string(client_id.as_bytes(), &mut body);
    if level == 5 {
        body.push(0); // no will properties
    }
    string(will_topic.as_bytes(), &mut body);
    string(b"gone", &mut body);
    frame(0x10, &body)
}

/// PUBLISH; `props` are MQTT 5 properties (`None` for 3.1.1).
pub fn publish(topic: &[u8], qos: u8, pkid: u16, props: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    string(topic, &mut body);
    if qos > 0 {
        body.extend_from_slice(&pkid.to_be_bytes());
    }
    if let Some(p) = props {
        remaining_length(p.len(), &mut body);
        body.extend_from_slice(p);
    }
    body.extend_from_slice(payload);
    frame(0x30 | (qos << 1), &body)
}

/// SUBSCRIBE to one filter; MQTT 5 (`level` 5) adds an empty property list.
pub fn subscribe(level: u8, pkid: u16, filter: &str, qos: u8) -> Vec<u8> {
    let mut body = pkid.to_be_bytes().to_vec();
    if level == 5 {
        body.push(0);
    }
    string(filter.as_bytes(), &mut body);
    body.push(qos);
    frame(0x82, &body)
}
