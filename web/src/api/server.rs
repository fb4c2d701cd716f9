//! What a client needs to know about this server: version and where CCUs connect over MQTT.

use super::models::ServerInfo;
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};
use settings::MqttMode;

#[derive(Tags)]
enum Tag {
    /// The server.
    Server,
}

/// Server information.
pub struct ServerApi;

#[OpenApi(tag = "Tag::Server")]
impl ServerApi {
    /// The server's version and the MQTT broker CCUs connect to (the dashboard shows it on
    /// each CCU).
    #[oai(path = "/server", method = "get")]
    async fn info(&self, backend: Data<&Backend>, _auth: Auth) -> ApiResult<Json<ServerInfo>> {
        let s = backend.settings();
        let (mqtt_host, mqtt_port, mqtt_v5_port) = match s.mqtt.mode {
            MqttMode::Embedded => (None, s.mqtt.addr.port(), s.mqtt.v5_addr.map(|a| a.port())),
            MqttMode::External => (
                Some(s.mqtt.external.host.clone()),
                s.mqtt.external.port,
                None,
            ),
        };
        Ok(Json(ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            mqtt_host,
            mqtt_port,
            mqtt_v5_port,
            legacy_http: s.legacy.enabled,
        }))
    }
}
