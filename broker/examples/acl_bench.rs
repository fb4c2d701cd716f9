//! What the topic ACL costs per message: a CCU's publish and subscribe checks, allowed and
//! refused, timed over many iterations (the number goes to `docs/BENCHMARKS.md`).
//!
//! `cargo run --release -p broker --example acl_bench -- [N]` (N checks each, default 10 000 000).

use broker::acl::{Acl, Principal};
use std::hint::black_box;
use std::time::Instant;

fn time(label: &str, n: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut allowed = 0u64;
    for _ in 0..n {
        allowed += u64::from(black_box(f()));
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{label:<44} {ns:>7.1} ns/check  (allowed {allowed} of {n})");
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let acl = Acl::default().for_principal(&Principal::ccu("02"));
    let backend = Acl::default().for_principal(&Principal::backend("smart-outlet-backend"));
    time("ccu publish ccu/02/sensor (allowed)", n, || {
        acl.check_publish(black_box("ccu/02/sensor"), false).is_ok()
    });
    time("ccu publish ccu/02/status retained (allowed)", n, || {
        acl.check_publish(black_box("ccu/02/status"), true).is_ok()
    });
    time("ccu publish ccu/03/cmd (refused)", n, || {
        acl.check_publish(black_box("ccu/03/cmd"), false).is_ok()
    });
    time("ccu subscribe ccu/02/cmd (allowed)", n, || {
        acl.check_subscribe(black_box("ccu/02/cmd")).is_ok()
    });
    time("ccu subscribe ccu/+/cmd (refused)", n, || {
        acl.check_subscribe(black_box("ccu/+/cmd")).is_ok()
    });
    time("backend publish ccu/02/cmd (allowed)", n, || {
        backend
            .check_publish(black_box("ccu/02/cmd"), false)
            .is_ok()
    });
}
