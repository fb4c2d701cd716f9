//! Fuzz target: rumqttd's MQTT 5 decoder on arbitrary bytes, as a listener reads them.
#![no_main]

#[path = "shared/decode.rs"]
mod decode;

use libfuzzer_sys::fuzz_target;
use rumqttd::protocol::{v4::V4, v5::V5};

fuzz_target!(|data: &[u8]| decode::decode_and_reencode(V5, V4, data));
