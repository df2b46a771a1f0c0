//! The host's happy path against a real browser: Chromium (headless, driven by
//! `tests/support/rtc-peer.mjs` through Playwright) offers a data channel with no ICE servers,
//! the host answers, the channel opens, and bytes cross it both ways and are checked. Run for
//! [`Str0mHost`], and with the `libdatachannel` feature for `LibDataChannelHost` too (the same
//! exchange: what a switch of the companion's stack needs first).
//!
//! Needs node, the repository's `node_modules` (playwright-core) and Debian's Chromium, which
//! `scripts/setup.sh` installs; so it is ignored by a plain `cargo test` and run by
//! `scripts/test.sh` with `--ignored`.

use std::{path::Path, process::Stdio, time::Duration};

use shoal_rtc::{DataChannelHost, HostConfig, RtcEvent, Str0mHost};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

/// What the page sends first (see rtc-peer.mjs): 256 KiB of pattern k = 5.
const PAGE_BYTES: usize = 256 * 1024;
/// What the host sends; the page echoes it back.
const HOST_BYTES: usize = 3 * 1024 * 1024 + 4321;

fn pattern(len: usize, k: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * k + (i >> 9)) & 255) as u8).collect()
}

#[tokio::test]
#[ignore = "needs node, node_modules and Chromium (scripts/setup.sh); scripts/test.sh runs it"]
async fn chromium_and_the_host_carry_bytes_both_ways() {
    let addr = "127.0.0.1:0".parse().expect("address");
    exchange(
        Str0mHost::bind(addr, HostConfig::default())
            .await
            .expect("bind"),
    )
    .await;
}

#[cfg(feature = "libdatachannel")]
#[tokio::test]
#[ignore = "needs node, node_modules and Chromium (scripts/setup.sh)"]
async fn chromium_and_the_libdatachannel_host_carry_bytes_both_ways() {
    let addr = "127.0.0.1:0".parse().expect("address");
    exchange(shoal_rtc::LibDataChannelHost::bind(addr, HostConfig::default()).expect("bind")).await;
}

async fn exchange<H: DataChannelHost>(mut host: H) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/rtc-peer.mjs");
    let mut node = Command::new("node")
        .arg(&script)
        .arg(HOST_BYTES.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (scripts/setup.sh installs it)");
    let mut stdin = node.stdin.take().expect("piped");
    let mut lines = BufReader::new(node.stdout.take().expect("piped")).lines();
    let mut next_json = async || -> serde_json::Value {
        let line = lines
            .next_line()
            .await
            .expect("read")
            .expect("rtc-peer.mjs printed a line");
        serde_json::from_str(&line).expect("a JSON line")
    };

    let run = async {
        let offer = next_json().await;
        let offer = offer["offer"].as_str().expect("an offer");
        assert!(
            offer.contains("m=application"),
            "a data channel offer: {offer}"
        );

        let (conn, answer) = host
            .accept_offer(offer)
            .expect("the host accepts Chromium's offer");
        let line = serde_json::json!({ "answer": answer }).to_string() + "\n";
        stdin
            .write_all(line.as_bytes())
            .await
            .expect("write the answer");

        let sent = pattern(HOST_BYTES, 11);
        let mut got = Vec::new();
        let mut opened = false;
        while got.len() < PAGE_BYTES + HOST_BYTES {
            match host.next_event().await {
                RtcEvent::Open(c) => {
                    assert_eq!(c, conn);
                    opened = true;
                    host.send(conn, &sent).expect("send");
                }
                RtcEvent::Data(c, bytes) => {
                    assert_eq!(c, conn);
                    got.extend_from_slice(&bytes);
                }
                RtcEvent::Closed(c) => panic!("{c:?} closed after {} bytes", got.len()),
            }
        }
        assert!(opened);
        assert_eq!(got.len(), PAGE_BYTES + HOST_BYTES, "nothing more than sent");
        // The page's own bytes first (it sends them on open), then the echo of ours: every
        // byte arrived intact and in order, in both directions.
        assert!(
            got[..PAGE_BYTES] == pattern(PAGE_BYTES, 5)[..],
            "the page's bytes"
        );
        assert!(got[PAGE_BYTES..] == sent[..], "our bytes, echoed");
        let done = next_json().await;
        assert_eq!(done["received"].as_u64(), Some(HOST_BYTES as u64));
        // Only now may the page close: its last echoed bytes were in SCTP's flight until they
        // arrived here (a page that closed once its send buffer was empty cut them off once).
        stdin
            .write_all(b"{\"done\":true}\n")
            .await
            .expect("tell the page it may close");
        // Keep the host running while the page finishes and closes.
        let status = tokio::select! {
            status = node.wait() => status.expect("wait"),
            _ = async { loop { let _ = host.next_event().await; } } => unreachable!(),
        };
        assert!(status.success(), "rtc-peer.mjs: {status}");
    };
    tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the exchange finished within 90 s");
}
