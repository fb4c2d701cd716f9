//! The CSV export: a year of readings streams out, every row, in bounded memory.

use super::*;

#[tokio::test]
async fn a_year_of_readings_exports_as_a_streamed_csv_in_bounded_memory() {
    const ROWS: i64 = 200_000;
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, _secret, outlet) = app.seed().await;
    let now = backend::clock::now_ms();
    let t0 = now - 365 * DAY_MS;
    let step = 365 * DAY_MS / ROWS;
    // Seeded straight through the store, in transactions of 5000 rows.
    let started = std::time::Instant::now();
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(5000) {
        let batch = Batch {
            sensor: chunk
                .iter()
                .map(|i| SensorRow {
                    outlet_id: outlet.id,
                    ts: t0 + i * step,
                    current_a: 1000 + i % 1000,
                    current_b: i % 7,
                    relay_a: None,
                    relay_b: None,
                    is_overload: i % 100 == 0,
                    slot: None,
                })
                .collect(),
            ..Default::default()
        };
        app.store().write_batch(&batch).await.expect("seed");
    }
    eprintln!("seeded {ROWS} rows in {:?}", started.elapsed());
    let s = ApiClient::login(&app, "alice", PASSWORD).await;

    let (before, before_anon) = (rss(), rss_anon());
    let peak = Arc::new(AtomicU64::new(before));
    let peak_anon = Arc::new(AtomicU64::new(before_anon));
    let sampler = {
        let (peak, peak_anon) = (peak.clone(), peak_anon.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss(), Ordering::Relaxed);
                peak_anon.fetch_max(rss_anon(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let started = std::time::Instant::now();
    let mut r = s
        .http
        .get(format!(
            "{}/outlets/{}/history.csv?from={}",
            s.base,
            outlet.id,
            now - 366 * DAY_MS
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("transfer-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("chunked"),
        "{:?}",
        r.headers()
    );
    assert!(r.headers().get("content-length").is_none());
    let (mut lines, mut bytes, mut chunks) = (0u64, 0u64, 0u64);
    let mut tail = Vec::new();
    let mut first_row = String::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        chunks += 1;
        bytes += chunk.len() as u64;
        for &b in chunk.iter() {
            if b == b'\n' {
                lines += 1;
                if lines == 2 {
                    first_row = String::from_utf8_lossy(&tail).to_string();
                }
                tail.clear();
            } else {
                tail.push(b);
            }
        }
    }
    let elapsed = started.elapsed();
    sampler.abort();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(before);
    let growth_anon = peak_anon
        .load(Ordering::Relaxed)
        .saturating_sub(before_anon);
    eprintln!(
        "CSV: {lines} lines, {} KiB in {chunks} chunks, {elapsed:?}; VmRSS before {} MiB, peak growth {} KiB (RssAnon {} KiB)",
        bytes / 1024,
        before / MIB,
        growth / 1024,
        growth_anon / 1024
    );
    assert_eq!(lines, ROWS as u64 + 1, "header + every row");
    assert!(first_row.starts_with(&format!("{t0},")), "{first_row}");
    assert!(
        first_row.ends_with(",1000,0,true"),
        "first row, in order: {first_row}"
    );
    assert!(chunks > 1, "sent in pieces");
    assert!(
        growth < 64 * MIB,
        "peak memory grew by {growth} bytes for a {bytes}-byte export"
    );
}
