//! `wss://`: a rustls acceptor (ring provider) from PEM files.

use std::{path::Path, sync::Arc};

use tokio_rustls::{rustls, TlsAcceptor};

use super::TrackerError;

/// Loads the certificate chain and private key and builds the acceptor.
pub(super) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TrackerError> {
    let fail = |what: &str, path: &Path, err: &dyn std::fmt::Display| {
        TrackerError::Tls(format!("{what} {}: {err}", path.display()))
    };
    let cert_pem = std::fs::read(cert).map_err(|e| fail("reading", cert, &e))?;
    let key_pem = std::fs::read(key).map_err(|e| fail("reading", key, &e))?;
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail("parsing", cert, &e))?;
    if chain.is_empty() {
        return Err(fail("parsing", cert, &"no certificate found"));
    }
    let private_key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| fail("parsing", key, &e))?
        .ok_or_else(|| fail("parsing", key, &"no private key found"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrackerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| TrackerError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
