//! CCU logins for an installation: `ID:SECRET` arguments or a JSON file
//! `[{"ccu_id":"02","password":"..."}]`.

use crate::SimError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One CCU's login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CcuAccount {
    /// The registered CCU id.
    pub ccu_id: String,
    /// Its MQTT secret.
    pub password: String,
}

impl CcuAccount {
    /// A login.
    pub fn new(ccu_id: impl Into<String>, password: impl Into<String>) -> CcuAccount {
        CcuAccount {
            ccu_id: ccu_id.into(),
            password: password.into(),
        }
    }

    /// Parses `ID:SECRET` (the secret may contain `:`).
    pub fn parse(arg: &str) -> Result<CcuAccount, SimError> {
        match arg.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                Ok(CcuAccount::new(id, secret))
            }
            _ => Err(SimError::Accounts(format!(
                "expected ID:SECRET, got {:?}",
                arg.split(':').next().unwrap_or_default()
            ))),
        }
    }
}

/// Parses a JSON array of accounts.
pub fn parse_accounts(json: &str) -> Result<Vec<CcuAccount>, SimError> {
    serde_json::from_str(json).map_err(|e| SimError::Accounts(e.to_string()))
}

/// Reads a JSON accounts file.
pub fn load_accounts(path: &Path) -> Result<Vec<CcuAccount>, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_accounts(&text)
}
