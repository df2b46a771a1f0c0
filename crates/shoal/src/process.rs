//! What every command shares as a process: how a failure becomes an exit code, the log
//! subscriber, the async runtime, the shutdown signals, this run's peer id, and where made
//! torrents are cached. Commands call these instead of setting any of it up themselves.
//!
//! The companion runs on Unix (Linux, macOS): shutdown listens for SIGINT and SIGTERM.

use std::{ffi::OsString, future::Future, path::PathBuf, process::ExitCode};

use anyhow::Context;

/// A failure the user caused (bad input): reported in one line with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Prints a command's failure on stderr as `shoal: …` and gives the exit code: 0 on success,
/// 2 for [`BadInput`], 1 for anything else (with the error's whole chain of causes).
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(bad) = error.downcast_ref::<BadInput>() {
                eprintln!("shoal: {bad}");
                ExitCode::from(2)
            } else {
                eprintln!("shoal: {error:#}");
                ExitCode::from(1)
            }
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// The multi-threaded Tokio runtime a long-running command runs on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("starting the async runtime")
}

/// Resolves at the first SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled (as an `async fn` would), so a signal that arrives while the
/// command is still starting up is kept and stops it gracefully once it runs. Call it inside the
/// runtime.
pub(crate) fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

/// An Azureus-style peer id, `-SH0001-` and 12 random characters. The randomness is std's
/// per-process hash keys (from the OS), which is plenty for an id that only has to be unique.
pub(crate) fn new_peer_id() -> [u8; 20] {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = *b"-SH0001-000000000000";
    let state = std::collections::hash_map::RandomState::new();
    for (i, b) in id[8..].iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let pick = usize::try_from(h.finish() % ALPHABET.len() as u64).unwrap_or(0);
        *b = ALPHABET.get(pick).copied().unwrap_or(b'0');
    }
    id
}

/// Where made torrents are cached when no `--cache-dir` is given:
/// `$XDG_CACHE_HOME/shoal/torrents`, else `~/.cache/shoal/torrents`; `None` without either.
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    cache_dir_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

fn cache_dir_from(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    // The XDG spec says a relative value is invalid and must be ignored.
    let xdg = xdg_cache_home
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute());
    let base = xdg.or_else(|| home.map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("shoal").join("torrents"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_are_azureus_style_and_differ() {
        let id = new_peer_id();
        assert_eq!(&id[..8], b"-SH0001-");
        assert!(id[8..].iter().all(u8::is_ascii_alphanumeric));
        // 62^12 possibilities: two equal ids in a row mean the randomness is gone.
        assert_ne!(new_peer_id(), new_peer_id());
    }

    #[test]
    fn cache_dir_follows_xdg_then_home() {
        let xdg = Some(OsString::from("/x/cache"));
        let home = Some(OsString::from("/home/u"));
        assert_eq!(
            cache_dir_from(xdg, home.clone()),
            Some(PathBuf::from("/x/cache/shoal/torrents"))
        );
        assert_eq!(
            cache_dir_from(None, home.clone()),
            Some(PathBuf::from("/home/u/.cache/shoal/torrents"))
        );
        assert_eq!(
            cache_dir_from(Some(OsString::from("relative")), home),
            Some(PathBuf::from("/home/u/.cache/shoal/torrents"))
        );
        assert_eq!(cache_dir_from(None, None), None);
    }

    #[test]
    fn bad_input_exits_2_and_other_failures_1() {
        assert_eq!(exit_code(Ok(())), ExitCode::SUCCESS);
        assert_eq!(
            exit_code(Err(BadInput("no such file".into()).into())),
            ExitCode::from(2)
        );
        assert_eq!(
            exit_code(Err(anyhow::anyhow!("disk on fire"))),
            ExitCode::from(1)
        );
    }
}
