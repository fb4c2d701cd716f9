//! History as CSV, streamed: rows are read from the database in keyset pages of
//! [`PAGE_ROWS`] and written as chunks of a chunked response, so a year of every reading never
//! sits in memory (one page at a time, whatever the range). Fields are written by the `csv`
//! crate (quoting and escaping per RFC 4180).
//!
//! A database failure mid-stream is logged and ends the body with an error, so the client
//! sees a truncated transfer rather than a short file that looks complete.

use backend::history::{HistoryPages, Page, Series};
use backend::store::HistoryCursor;
use bytes::Bytes;
use futures_util::Stream;
use poem::Body;

/// Rows per database page (and per chunk of the body).
pub const PAGE_ROWS: u64 = 1000;

/// The CSV header of a series.
fn header(series: &Series) -> &'static [&'static str] {
    match series {
        Series::Outlet(_) => &[
            "timestamp_ms",
            "timestamp",
            "current_a_ma",
            "current_b_ma",
            "is_overload",
        ],
        Series::Breaker(_) => &["timestamp_ms", "timestamp", "current_ma"],
    }
}

fn iso(ts: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

struct Export {
    pages: HistoryPages,
    from: i64,
    to: i64,
    cursor: Option<HistoryCursor>,
    started: bool,
    done: bool,
}

impl Export {
    /// The next chunk: the header, then one page of rows; `None` at the end.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        let mut w = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
        if !self.started {
            self.started = true;
            if let Err(e) = w.write_record(header(self.pages.series())) {
                return Some(Err(self.fail(e.to_string())));
            }
        }
        let page = self
            .pages
            .page(self.from, self.to, self.cursor, PAGE_ROWS)
            .await
            .map(|(page, cursor)| match page {
                Page::Outlet(rows) => {
                    let n = rows.len();
                    let written: Result<(), csv::Error> = rows.into_iter().try_for_each(|r| {
                        w.write_record([
                            r.ts.to_string(),
                            iso(r.ts),
                            r.current_a.to_string(),
                            r.current_b.to_string(),
                            r.is_overload.to_string(),
                        ])
                    });
                    (n, cursor, written)
                }
                Page::Breaker(rows) => {
                    let n = rows.len();
                    let written: Result<(), csv::Error> = rows.into_iter().try_for_each(|r| {
                        w.write_record([r.ts.to_string(), iso(r.ts), r.current_ma.to_string()])
                    });
                    (n, cursor, written)
                }
            });
        let (n, cursor, written) = match page {
            Ok(p) => p,
            Err(e) => return Some(Err(self.fail(e.to_string()))),
        };
        if let Err(e) = written {
            return Some(Err(self.fail(e.to_string())));
        }
        self.cursor = cursor.or(self.cursor);
        if (n as u64) < PAGE_ROWS {
            self.done = true;
        }
        match w.into_inner() {
            Ok(buf) if buf.is_empty() => None,
            Ok(buf) => Some(Ok(Bytes::from(buf))),
            Err(e) => Some(Err(self.fail(e.to_string()))),
        }
    }

    fn fail(&mut self, cause: String) -> std::io::Error {
        self.done = true;
        tracing::error!(%cause, series = ?self.pages.series(), "CSV export failed mid-stream");
        std::io::Error::other("CSV export failed")
    }
}

fn chunks(export: Export) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(export, |mut e| async move {
        e.next_chunk().await.map(|chunk| (chunk, e))
    })
}

/// The CSV of a series in `[from, to)` as a streaming body (no length: sent chunked).
pub fn body(pages: HistoryPages, from: i64, to: i64) -> Body {
    Body::from_bytes_stream(chunks(Export {
        pages,
        from,
        to,
        cursor: None,
        started: false,
        done: false,
    }))
}
