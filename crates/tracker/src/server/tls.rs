//! `wss://`: a rustls acceptor (ring provider) from PEM files, parsed by rustls' own
//! `pki-types` (no separate PEM crate).

use std::{path::Path, sync::Arc};

use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    },
    TlsAcceptor,
};

use super::TrackerError;

/// Loads the certificate chain and private key and builds the acceptor.
pub(super) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TrackerError> {
    let fail = |what: &str, path: &Path, err: &dyn std::fmt::Display| {
        TrackerError::Tls(format!("{what} {}: {err}", path.display()))
    };
    let cert_pem = std::fs::read(cert).map_err(|e| fail("reading", cert, &e))?;
    let key_pem = std::fs::read(key).map_err(|e| fail("reading", key, &e))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail("parsing", cert, &e))?;
    if chain.is_empty() {
        return Err(fail("parsing", cert, &"no certificate found"));
    }
    // The first PKCS#8, PKCS#1 or SEC1 key in the file.
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            fail("parsing", key, &"no private key found")
        }
        other => fail("parsing", key, &other),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrackerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| TrackerError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;

    use tokio_rustls::{rustls::pki_types::ServerName, TlsConnector};

    use super::*;

    /// A directory of its own under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("shoal-tls-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn client(root: CertificateDer<'static>) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(root).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }

    #[tokio::test]
    async fn a_pem_chain_and_key_complete_a_handshake() {
        let dir = TempDir::new("ok");
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert_path, key_path) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
        std::fs::write(&cert_path, generated.cert.pem()).unwrap();
        std::fs::write(&key_path, generated.signing_key.serialize_pem()).unwrap();

        let acceptor = acceptor(&cert_path, &key_path).unwrap();
        let (server_end, client_end) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move { acceptor.accept(server_end).await.map(drop) });
        let name = ServerName::try_from("localhost").unwrap();
        let connected = client(generated.cert.der().clone())
            .connect(name, client_end)
            .await;
        assert!(connected.is_ok(), "{:?}", connected.err());
        assert!(server.await.unwrap().is_ok());
    }

    #[test]
    fn missing_or_mismatched_pem_items_are_reported() {
        let dir = TempDir::new("bad");
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert_path, key_path) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
        std::fs::write(&cert_path, generated.cert.pem()).unwrap();
        // The certificate where the key should be: no key in that file.
        let reason = |result: Result<TlsAcceptor, TrackerError>| match result {
            Err(TrackerError::Tls(reason)) => reason,
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("accepted a bad pair"),
        };
        let no_key = reason(acceptor(&cert_path, &cert_path));
        assert!(no_key.ends_with("no private key found"), "{no_key}");
        std::fs::write(&key_path, generated.signing_key.serialize_pem()).unwrap();
        let no_cert = reason(acceptor(&key_path, &key_path));
        assert!(no_cert.ends_with("no certificate found"), "{no_cert}");
        // A key that is not the certificate's.
        let other = rcgen::KeyPair::generate().unwrap();
        std::fs::write(&key_path, other.serialize_pem()).unwrap();
        assert!(acceptor(&cert_path, &key_path).is_err());
    }
}
