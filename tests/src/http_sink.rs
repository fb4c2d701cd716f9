//! A real HTTP server that records what it is sent: the sink of notification tests. It
//! answers each request with the next status of its script (then 200), and hands every
//! request it read to the test.

use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST /path?query`.
    pub request_line: String,
    /// Header lines, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A running sink.
pub struct HttpSink {
    /// Where it listens (127.0.0.1, an ephemeral port).
    pub addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl HttpSink {
    /// Starts a sink answering with `statuses` in turn, then 200.
    pub async fn start(statuses: Vec<u16>) -> HttpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut statuses = statuses.into_iter();
            while let Ok((stream, _)) = listener.accept().await {
                let status = statuses.next().unwrap_or(200);
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, status, tx).await;
                });
            }
        });
        HttpSink { addr, rx }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next request, within the harness deadline.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(crate::wait::DEADLINE, self.rx.recv())
            .await
            .expect("timed out waiting for a request at the sink")
            .expect("sink stopped")
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    status: u16,
    tx: mpsc::UnboundedSender<Received>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(1 << 20)];
    reader.read_exact(&mut body).await?;
    let _ = tx.send(Received {
        request_line: request_line.trim_end().to_string(),
        headers,
        body,
    });
    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    reader.get_mut().write_all(answer.as_bytes()).await?;
    reader.get_mut().shutdown().await
}
