//! `smart-outlet tls self-signed`: a CA-less self-signed certificate for the broker's TLS
//! listener on a LAN, and raising the open-files limit at start.

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File names written into `data_dir`.
pub const CERT_FILE: &str = "mqtt-tls-cert.pem";
/// See [`CERT_FILE`].
pub const KEY_FILE: &str = "mqtt-tls-key.pem";

/// What [`self_signed`] wrote.
#[derive(Debug)]
pub struct SelfSigned {
    /// The certificate (PEM): what a CCU trusts as its CA certificate.
    pub cert_file: PathBuf,
    /// The private key (PEM, PKCS#8, mode 0600).
    pub key_file: PathBuf,
    /// SHA-256 of the certificate's DER, upper-case hex pairs joined by `:`.
    pub fingerprint: String,
    /// Subject alternative names.
    pub hosts: Vec<String>,
}

/// The names every certificate carries besides `extra`.
const DEFAULT_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Writes a self-signed certificate for `extra` host names / IP addresses (plus localhost)
/// and its key into `dir`. Refuses to overwrite existing files unless `force`.
pub fn self_signed(dir: &Path, extra: &[String], force: bool) -> anyhow::Result<SelfSigned> {
    let mut hosts: Vec<String> = extra.iter().map(|h| h.trim().to_string()).collect();
    if hosts.iter().any(String::is_empty) {
        bail!("--host must not be empty");
    }
    for h in DEFAULT_HOSTS {
        if !hosts.iter().any(|x| x == h) {
            hosts.push(h.to_string());
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let cert_file = dir.join(CERT_FILE);
    let key_file = dir.join(KEY_FILE);
    if !force && (cert_file.exists() || key_file.exists()) {
        bail!(
            "{} or {} exists; pass --force to replace them (CCUs trusting the old certificate must then be given the new one)",
            cert_file.display(),
            key_file.display()
        );
    }

    let mut params = rcgen::CertificateParams::new(hosts.clone())
        .context("invalid --host (a DNS name or an IP address)")?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, hosts[0].clone());
    dn.push(rcgen::DnType::OrganizationName, "smart-outlet");
    params.distinguished_name = dn;
    // Valid from the start of this year for ten years: a CCU's clock must be right (SNTP)
    // before it can validate the certificate, a little slack covers small errors.
    let year = current_year();
    params.not_before = rcgen::date_time_ymd(year, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
    let key = rcgen::KeyPair::generate().context("generating the key")?;
    let cert = params
        .self_signed(&key)
        .context("signing the certificate")?;

    let fingerprint = fingerprint(cert.der());
    write_file(&cert_file, cert.pem().as_bytes(), 0o644)?;
    write_file(&key_file, key.serialize_pem().as_bytes(), 0o600)?;
    Ok(SelfSigned {
        cert_file,
        key_file,
        fingerprint,
        hosts,
    })
}

/// SHA-256 of a DER certificate as `AB:CD:…`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Average Gregorian year; off by at most a day around New Year, which not_before absorbs.
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(mode);
        let mut f = opts
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        // `mode` applies only when the file is created; an existing file is narrowed too.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        let mut f = opts
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        f.write_all(bytes)?;
    }
    Ok(())
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (every MQTT connection is a file
/// descriptor; the soft limit is often 1024) and returns the limit now in force.
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_usable_pair_with_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let s = self_signed(
            dir.path(),
            &["ccu-gw.lan".into(), "192.168.1.10".into()],
            false,
        )
        .unwrap();
        assert!(s.hosts.contains(&"ccu-gw.lan".to_string()));
        assert!(s.hosts.contains(&"localhost".to_string()));
        assert_eq!(s.fingerprint.len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&s.key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        broker::tls::acceptor(&s.cert_file, &s.key_file).expect("the broker accepts the pair");
        let again = self_signed(dir.path(), &[], false).unwrap_err();
        assert!(again.to_string().contains("--force"), "{again}");
        self_signed(dir.path(), &[], true).unwrap();
    }
}
