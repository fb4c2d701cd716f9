//! [`ApiClient`]: the REST API at `/api/v1` called the way a browser does (cookie jar and
//! CSRF token) or an integration does (bearer API token), answering status and JSON.

use crate::TestApp;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// The password of every person the tests register or create.
pub const PASSWORD: &str = "correct horse battery";

/// One client of the REST API: a cookie jar, the CSRF token of its session (empty until it
/// logs in) and, for an integration, a bearer token.
pub struct ApiClient {
    /// The HTTP client (with a cookie jar).
    pub http: Client,
    /// `http://<addr>/api/v1`.
    pub base: String,
    /// The session's CSRF token, sent as `X-CSRF-Token` on every request once logged in.
    pub csrf: String,
    /// The session cookie as a `Cookie` header value (`so_session=…`), for clients outside
    /// the jar (WebSockets, raw sockets); empty until it logs in.
    pub cookie: String,
    /// The whole `Set-Cookie` header of the login, to check its attributes.
    pub set_cookie: String,
    token: Option<String>,
}

impl ApiClient {
    /// A client without a session or token.
    pub fn new(app: &TestApp) -> ApiClient {
        ApiClient::at(app.http_addr)
    }

    /// A client without a session or token, for the server listening at `http_addr` (a
    /// server the test started as a process).
    pub fn at(http_addr: SocketAddr) -> ApiClient {
        ApiClient {
            http: Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            base: format!("http://{http_addr}/api/v1"),
            csrf: String::new(),
            cookie: String::new(),
            set_cookie: String::new(),
            token: None,
        }
    }

    /// An integration: every request carries `Authorization: Bearer <token>`.
    pub fn with_token(app: &TestApp, token: &str) -> ApiClient {
        ApiClient {
            token: Some(token.to_string()),
            ..ApiClient::new(app)
        }
    }

    /// Logs in as `name`; panics unless 200.
    pub async fn login(app: &TestApp, name: &str, password: &str) -> ApiClient {
        ApiClient::login_at(app.http_addr, name, password).await
    }

    /// [`ApiClient::login`] on the server at `http_addr`.
    pub async fn login_at(http_addr: SocketAddr, name: &str, password: &str) -> ApiClient {
        let mut c = ApiClient::at(http_addr);
        let r = c
            .request(Method::POST, "/auth/login")
            .json(&json!({"username": name, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), StatusCode::OK, "login as {name}");
        c.set_cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        c.cookie = c
            .set_cookie
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let v: Value = r.json().await.expect("login JSON");
        c.csrf = v["csrf_token"].as_str().expect("csrf_token").to_string();
        c
    }

    /// Registers `name` with [`PASSWORD`] (panics unless 201) and logs in.
    pub async fn signup(app: &TestApp, name: &str) -> ApiClient {
        let creds = json!({"username": name, "password": PASSWORD});
        let (s, v) = ApiClient::new(app).post("/auth/register", creds).await;
        assert_eq!(s, StatusCode::CREATED, "register {name}: {v}");
        ApiClient::login(app, name, PASSWORD).await
    }

    /// The URL of an API path (`/ccus` → `http://…/api/v1/ccus`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the CSRF token and the bearer token, when there are, to send as it is
    /// or after adding headers.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if !self.csrf.is_empty() {
            req = req.header("X-CSRF-Token", &self.csrf);
        }
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends `req`; the status and the body as JSON (a string when it is not JSON).
    pub async fn send(req: RequestBuilder) -> (StatusCode, Value) {
        let r = req.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `method path` with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = self.request(method, path);
        ApiClient::send(match body {
            Some(b) => req.json(&b),
            None => req,
        })
        .await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// `POST path` with each body of `cases`; each must be refused with its status and error
    /// code.
    pub async fn post_refused(&self, path: &str, cases: &[(Value, StatusCode, &str)]) {
        for (body, status, code) in cases {
            let (s, v) = self.post(path, body.clone()).await;
            let got = (s, v["code"].as_str());
            assert_eq!(got, (*status, Some(*code)), "POST {path} {body}: {v}");
        }
    }

    /// `POST /commands`: switch `socket` (`"a"` or `"b"`) of an outlet on or off.
    pub async fn relay(&self, outlet_id: i64, socket: &str, on: bool) -> (StatusCode, Value) {
        let command = if on { "relay_on" } else { "relay_off" };
        let body = json!({"outlet_id": outlet_id, "command": command, "socket": socket});
        self.post("/commands", body).await
    }
}
