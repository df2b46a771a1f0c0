//! Tracker GETs against local servers: plain HTTP and HTTPS (a certificate made here, trusted
//! by the test's client only), the status rule and the size bound.

use std::sync::Arc;

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpListener,
    sync::mpsc::unbounded_channel,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    },
    TlsAcceptor,
};

use super::*;

/// Answers one request on `stream` with `response` once the request's head is read.
async fn answer(mut stream: impl AsyncRead + AsyncWrite + Unpin, response: Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// A plain HTTP server answering every request with `response`; its base URL.
async fn http_server(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, response.clone()));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn ok(body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

async fn get(client: &reqwest::Client, url: String) -> Result<Vec<u8>, String> {
    let (tx, mut rx) = unbounded_channel();
    tracker_get(client.clone(), ClassicTrackerIdx(0), url, tx).await;
    match rx.recv().await {
        Some(Event::ClassicTrackerReply { reply, .. }) => reply,
        _ => Err("no reply event".to_owned()),
    }
}

const PEERS: &[u8] = b"d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e";

#[tokio::test]
async fn http_bodies_come_back_and_bad_statuses_and_huge_bodies_are_errors() {
    let client = tracker_client().expect("client");
    let url = http_server(ok(PEERS)).await;
    assert_eq!(
        get(&client, format!("{url}/announce?x=1")).await,
        Ok(PEERS.to_vec())
    );

    let url = http_server(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let err = get(&client, format!("{url}/announce"))
        .await
        .expect_err("404");
    assert!(err.ends_with("HTTP status 404"), "{err}");

    let url = http_server(ok(&vec![b'x'; MAX_HTTP_RESPONSE + 1])).await;
    let err = get(&client, format!("{url}/announce"))
        .await
        .expect_err("too big");
    assert!(err.contains("more than we accept"), "{err}");

    // Chunked, with no length up front: bounded while it streams in.
    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..=MAX_HTTP_RESPONSE / 4096 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[b'y'; 4096]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let url = http_server(chunked).await;
    let err = get(&client, format!("{url}/announce"))
        .await
        .expect_err("too big, chunked");
    assert!(err.contains("more than we accept"), "{err}");
}

#[tokio::test]
async fn https_trackers_are_reached_and_their_certificates_checked() {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_der = CertificateDer::from(made.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    answer(tls, ok(PEERS)).await;
                }
            });
        }
    });
    let url = format!("https://localhost:{port}/announce?info_hash=x");

    // The system's roots do not know this certificate: a clear error, not a body.
    let err = get(&tracker_client().expect("client"), url.clone())
        .await
        .expect_err("an unknown certificate");
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    let trusting = client_builder()
        .tls_certs_merge([reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).expect("pem")])
        .build()
        .expect("client");
    assert_eq!(get(&trusting, url).await, Ok(PEERS.to_vec()));
}
