//! The request each kind of target expects for one notification.

use super::Notification;
use serde_json::json;

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// `POST` of the notification as JSON (`{"kind","title","message","ccu_id","device_id","data"}`).
    Webhook,
    /// ntfy: `POST <server>/<topic>`, the message as the body, `Title` and `Tags` headers.
    Ntfy,
    /// Gotify: `POST <server>/message?token=…`, JSON `{"title","message","priority"}`.
    Gotify,
    /// Slack-compatible incoming webhook: JSON `{"text"}`.
    Slack,
    /// Discord webhook: JSON `{"content"}`.
    Discord,
}

impl TargetKind {
    /// Every kind.
    pub const ALL: [TargetKind; 5] = [
        TargetKind::Webhook,
        TargetKind::Ntfy,
        TargetKind::Gotify,
        TargetKind::Slack,
        TargetKind::Discord,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Ntfy => "ntfy",
            TargetKind::Gotify => "gotify",
            TargetKind::Slack => "slack",
            TargetKind::Discord => "discord",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The body and extra headers of `n` for a target of `kind`.
pub fn request(kind: TargetKind, n: &Notification) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let text = format!("{}: {}", n.title, n.message);
    let json_body = |v: serde_json::Value| {
        (
            v.to_string().into_bytes(),
            vec![("content-type", "application/json".to_string())],
        )
    };
    match kind {
        TargetKind::Webhook => json_body(json!({
            "kind": n.kind,
            "title": n.title,
            "message": n.message,
            "ccu_id": n.ccu_id,
            "device_id": n.device_id,
            "data": n.data,
        })),
        TargetKind::Ntfy => (
            n.message.clone().into_bytes(),
            vec![
                // Header values must be visible ASCII: the title is ours, but a CCU's name
                // is in it.
                ("title", ascii(&n.title)),
                (
                    "tags",
                    if n.urgent {
                        "warning"
                    } else {
                        "white_check_mark"
                    }
                    .to_string(),
                ),
                (
                    "priority",
                    if n.urgent { "high" } else { "default" }.to_string(),
                ),
            ],
        ),
        TargetKind::Gotify => json_body(json!({
            "title": n.title,
            "message": n.message,
            "priority": if n.urgent { 8 } else { 4 },
        })),
        TargetKind::Slack => json_body(json!({ "text": text })),
        TargetKind::Discord => json_body(json!({ "content": text })),
    }
}

/// `s` with every character outside printable ASCII replaced by `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Notification {
        Notification {
            user_id: 1,
            kind: "alert_raised",
            title: "Alert raised: Kühlschrank".into(),
            message: "Main breaker of Home (02) at 16100 mA".into(),
            ccu_id: Some("02".into()),
            device_id: None,
            data: json!({"alert_id": 7}),
            urgent: true,
        }
    }

    #[test]
    fn each_kind_gets_the_shape_it_expects() {
        let n = alert();
        let (body, headers) = request(TargetKind::Webhook, &n);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["kind"], "alert_raised");
        assert_eq!(v["data"]["alert_id"], 7);
        assert_eq!(headers, [("content-type", "application/json".to_string())]);
        let (body, headers) = request(TargetKind::Ntfy, &n);
        assert_eq!(body, n.message.as_bytes());
        assert!(headers.contains(&("title", "Alert raised: K?hlschrank".to_string())));
        assert!(headers.contains(&("priority", "high".to_string())));
        let (body, _) = request(TargetKind::Slack, &n);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["text"],
            "Alert raised: Kühlschrank: Main breaker of Home (02) at 16100 mA"
        );
        let (body, _) = request(TargetKind::Discord, &n);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(v["content"].as_str().unwrap().starts_with("Alert raised"));
        let (body, _) = request(TargetKind::Gotify, &n);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["priority"], 8);
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(TargetKind::parse("smtp"), None);
    }
}
