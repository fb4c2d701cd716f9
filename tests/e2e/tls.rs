//! MQTT over TLS on the embedded broker: a CCU trusting the certificate from
//! `smart-outlet tls self-signed` connects with its credentials and its reading is stored;
//! the auth hook refuses a wrong secret as over TCP; plain MQTT on the TLS port fails;
//! TCP_NODELAY is set on the accepted TLS socket.

use rumqttc::tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use rumqttc::{TlsConfiguration, Transport};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use system_tests::device::{connack, options};
use system_tests::sockets::tcp_sockets;
use system_tests::{Device, spawn_app_with, wait_until};

/// A rustls client that trusts only `cert_file` (the CA-less self-signed certificate).
fn trusting(cert_file: &Path) -> Arc<ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert_file).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

async fn refused(opts: rumqttc::MqttOptions) -> bool {
    let (_c, mut ev) = rumqttc::AsyncClient::new(opts, 10);
    matches!(
        tokio::time::timeout(Duration::from_secs(10), connack(&mut ev)).await,
        Ok(Err(_))
    )
}

#[tokio::test]
async fn a_ccu_over_tls_is_authenticated_and_its_reading_stored() {
    let certs = tempfile::tempdir().unwrap();
    let pair = smart_outlet::tls::self_signed(certs.path(), &[], false).unwrap();
    let tls_addr = broker::free_local_addr().unwrap();
    let app = spawn_app_with(|s| {
        s.history.interval = Duration::ZERO;
        s.mqtt.tls_addr = tls_addr;
        s.mqtt.tls.cert_file = pair.cert_file.clone();
        s.mqtt.tls.key_file = pair.key_file.clone();
    })
    .await;
    let stats = app.app.broker_stats().expect("embedded broker");
    let (_u, secret, outlet) = app.seed().await;
    let tls = Transport::tls_with_config(TlsConfiguration::Rustls(trusting(&pair.cert_file)));

    // the right credentials over TLS: connected, and the reading is stored
    let mut opts = options(tls_addr, "02", &secret);
    opts.set_transport(tls.clone());
    let dev = Device::connect_with(opts, "02")
        .await
        .expect("CCU connects over TLS");
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1250,"current_b":0,"relay_a":true,"relay_b":false}),
    )
    .await;
    app.wait_readings(outlet.id, 1).await;

    // Nagle is off on the accepted TLS socket too
    wait_until("TCP_NODELAY on the accepted TLS socket", || {
        std::future::ready(
            tcp_sockets()
                .iter()
                .any(|s| s.local.port() == tls_addr.port() && s.nodelay),
        )
    })
    .await;

    // a wrong secret over TLS is refused by the same hook
    let failures = app.backend().metrics().snapshot().auth_failures;
    let mut wrong = options(tls_addr, "02", "not-the-secret");
    wrong.set_transport(tls.clone());
    assert!(refused(wrong).await, "wrong secret over TLS");
    assert_eq!(
        app.backend().metrics().snapshot().auth_failures,
        failures + 1,
        "refused by the auth hook"
    );

    // plain MQTT on the TLS port fails, and is counted as a failed handshake
    let before = stats.tls_handshake_failures.load(Relaxed);
    assert!(
        refused(options(tls_addr, "02", &secret)).await,
        "plain TCP on the TLS port"
    );
    wait_until("the failed handshake counted", || {
        std::future::ready(stats.tls_handshake_failures.load(Relaxed) > before)
    })
    .await;

    // a client that does not trust the certificate is refused too
    let mut untrusting = options(tls_addr, "02", &secret);
    let empty = Arc::new(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(RootCertStore::empty())
            .with_no_client_auth(),
    );
    untrusting.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(empty)));
    assert!(refused(untrusting).await, "unknown CA");
    drop(dev);
}
