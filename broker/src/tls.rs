//! The TLS listener's server configuration: a PEM certificate chain and key, loaded once at
//! start (rustls with ring; no client certificates).

use crate::{Error, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// Builds the acceptor from `cert_file` (chain, server certificate first) and `key_file`.
pub fn acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor> {
    let bad = |key: &'static str, path: &Path, reason: String| Error::Tls {
        key,
        path: path.display().to_string(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|it| it.collect::<std::result::Result<_, _>>())
        .map_err(|e| bad("mqtt.tls.cert_file", cert_file, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(
            "mqtt.tls.cert_file",
            cert_file,
            "no CERTIFICATE in the file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| bad("mqtt.tls.key_file", key_file, e.to_string()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("mqtt.tls.cert_file", cert_file, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("mqtt.tls.key_file", key_file, e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
