//! Seeding bytes from this device: build a .torrent for them and start an engine that holds
//! every piece, verified.
//!
//! The work is a [`SeedJob`] done in slices ([`SeedJob::step`]), so the browser driver can give
//! the event loop back between slices and the page never freezes for long, whatever the file
//! size. Each byte is hashed twice: once by [`metainfo::TorrentBuilder`] to write the piece
//! hashes, and once more as [`swarm::Engine::import_piece`] checks every piece against them —
//! the engine serves nothing it has not verified itself, not even our own bytes.

use swarm::{Engine, MemoryStorage, Sha1Smol};

use crate::client::STORAGE_BYTES;

/// How to build the torrent of a seeded file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeedOptions {
    /// Tracker URLs written into the torrent (`announce-list`, one tier each, like
    /// `create-torrent`) and into its magnet link. The client's own trackers are announced to
    /// as well.
    pub trackers: Vec<String>,
    /// Webseed base URLs (`url-list`); usually none for a file from this device.
    pub webseeds: Vec<String>,
    /// Bytes per piece; `None` picks `create-torrent`'s default for the size
    /// ([`metainfo::default_piece_length`]).
    pub piece_length: Option<u64>,
}

/// How far the hashing is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedProgress {
    /// Bytes hashed so far (each byte counts twice, see the module docs).
    pub done: u64,
    /// Bytes to hash in all.
    pub total: u64,
}

impl SeedProgress {
    /// `done / total`, between 0 and 1.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }
}

/// Why bytes cannot be seeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// Nothing to share.
    #[error("the file is empty, so there is nothing to share")]
    Empty,
    /// Larger than the in-memory store holds.
    #[error(
        "the file is {len} bytes; Shoal shares files of up to {max} bytes (512 MiB) from a web page, since it keeps them in memory"
    )]
    TooLarge {
        /// The file's size.
        len: u64,
        /// The in-memory store's cap, 512 MiB.
        max: u64,
    },
    /// The torrent could not be built (a bad name, for instance).
    #[error("the torrent could not be made: {0}")]
    Build(#[from] metainfo::BuildError),
    /// The built torrent did not verify (a bug, never expected).
    #[error("the torrent Shoal made does not check out: {0}")]
    Verify(String),
    /// The same torrent is already open in this client.
    #[error("this file is already being shared")]
    Duplicate,
    /// Not in a browser.
    #[error("Shoal's runtime needs a web browser: this environment has no WebRTC or WebSocket")]
    NotInBrowser,
}

/// What one [`SeedJob::step`] produced.
pub(crate) enum SeedStep {
    /// More to do.
    Working(SeedProgress),
    /// The torrent file, its parsed form and an engine holding every piece.
    Done(Box<Seeded>),
}

/// A finished job.
pub(crate) struct Seeded {
    pub(crate) torrent_file: Vec<u8>,
    pub(crate) meta: metainfo::Metainfo,
    pub(crate) engine: Engine<MemoryStorage, Sha1Smol>,
}

enum Stage {
    Hashing(Box<metainfo::TorrentBuilder>),
    Importing {
        torrent_file: Vec<u8>,
        meta: Box<metainfo::Metainfo>,
        engine: Box<Engine<MemoryStorage, Sha1Smol>>,
        next_piece: u32,
    },
    Finished,
}

/// Hashes and imports bytes in slices.
pub(crate) struct SeedJob {
    bytes: Vec<u8>,
    cfg: swarm::Config,
    stage: Stage,
    /// Bytes fed to the builder.
    fed: usize,
    /// Bytes imported into the engine.
    imported: u64,
}

impl SeedJob {
    /// Checks the size and sets up the builder. `cfg` configures the engine that will seed.
    pub(crate) fn new(
        name: &str,
        bytes: Vec<u8>,
        opts: &SeedOptions,
        cfg: swarm::Config,
    ) -> Result<Self, SeedError> {
        let len = bytes.len() as u64;
        if len == 0 {
            return Err(SeedError::Empty);
        }
        if len > STORAGE_BYTES {
            return Err(SeedError::TooLarge {
                len,
                max: STORAGE_BYTES,
            });
        }
        let piece_length = opts
            .piece_length
            .unwrap_or_else(|| metainfo::default_piece_length(len));
        let builder =
            metainfo::TorrentBuilder::new(name, vec![(vec![name.to_owned()], len)], piece_length)
                .announce(opts.trackers.iter().map(|t| vec![t.clone()]).collect())
                .url_list(opts.webseeds.clone())
                .created_by(concat!("Shoal/", env!("CARGO_PKG_VERSION")));
        Ok(Self {
            bytes,
            cfg,
            stage: Stage::Hashing(Box::new(builder)),
            fed: 0,
            imported: 0,
        })
    }

    fn progress(&self) -> SeedProgress {
        SeedProgress {
            done: self.fed as u64 + self.imported,
            total: 2 * self.bytes.len() as u64,
        }
    }

    /// Does about `budget` bytes of hashing (at least one piece) and says how far it is.
    pub(crate) fn step(&mut self, budget: usize) -> Result<SeedStep, SeedError> {
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::Hashing(mut builder) => {
                let end = self.fed.saturating_add(budget.max(1)).min(self.bytes.len());
                builder.update(&self.bytes[self.fed..end]);
                self.fed = end;
                if self.fed < self.bytes.len() {
                    self.stage = Stage::Hashing(builder);
                    return Ok(SeedStep::Working(self.progress()));
                }
                let torrent_file = builder.finish()?;
                let meta = metainfo::Metainfo::from_bytes(&torrent_file)
                    .map_err(|e| SeedError::Verify(e.to_string()))?;
                let engine = Engine::new(
                    self.cfg.clone(),
                    &meta,
                    MemoryStorage::new(STORAGE_BYTES),
                    Sha1Smol,
                );
                self.stage = Stage::Importing {
                    torrent_file,
                    meta: Box::new(meta),
                    engine: Box::new(engine),
                    next_piece: 0,
                };
                Ok(SeedStep::Working(self.progress()))
            }
            Stage::Importing {
                torrent_file,
                meta,
                mut engine,
                mut next_piece,
            } => {
                let count = meta.info.piece_count();
                let mut spent = 0usize;
                while next_piece < count && (spent == 0 || spent < budget) {
                    let off = meta.info.piece_offset(next_piece) as usize;
                    let len = meta.info.piece_size(next_piece) as usize;
                    let piece = self.bytes.get(off..off + len).ok_or_else(|| {
                        SeedError::Verify(format!("piece {next_piece} is past the end"))
                    })?;
                    if !engine.import_piece(next_piece, piece.to_vec()) {
                        return Err(SeedError::Verify(format!(
                            "piece {next_piece} does not match its hash"
                        )));
                    }
                    spent += len;
                    self.imported += len as u64;
                    next_piece += 1;
                }
                if next_piece < count {
                    self.stage = Stage::Importing {
                        torrent_file,
                        meta,
                        engine,
                        next_piece,
                    };
                    return Ok(SeedStep::Working(self.progress()));
                }
                // The imports queued "verified" and "complete" outputs: a seed that starts
                // complete has nothing to announce about finishing.
                while engine.poll_output().is_some() {}
                self.bytes = Vec::new();
                Ok(SeedStep::Done(Box::new(Seeded {
                    torrent_file,
                    meta: *meta,
                    engine: *engine,
                })))
            }
            Stage::Finished => Err(SeedError::Verify("the job already finished".to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn cfg() -> swarm::Config {
        swarm::Config::new(metainfo::PeerId::from([3; 20]), 3)
    }

    fn run(job: &mut SeedJob, budget: usize) -> (Box<Seeded>, Vec<SeedProgress>) {
        let mut seen = Vec::new();
        loop {
            match job.step(budget).expect("no error") {
                SeedStep::Working(p) => seen.push(p),
                SeedStep::Done(s) => return (s, seen),
            }
        }
    }

    #[test]
    fn seeds_every_piece_with_the_builders_info_hash() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i * 31 % 253) as u8).collect();
        let opts = SeedOptions {
            trackers: vec!["ws://127.0.0.1:1/announce".into()],
            ..SeedOptions::default()
        };
        let mut job = SeedJob::new("clip.bin", data.clone(), &opts, cfg()).expect("fits");
        let (seeded, progress) = run(&mut job, 100_000);

        // The same bytes through the builder directly give the same torrent identity.
        let mut b = metainfo::TorrentBuilder::new(
            "clip.bin",
            vec![(vec!["clip.bin".into()], data.len() as u64)],
            metainfo::default_piece_length(data.len() as u64),
        );
        b.update(&data);
        let direct = metainfo::Metainfo::from_bytes(&b.finish().expect("built")).expect("parses");
        assert_eq!(seeded.meta.info_hash, direct.info_hash);
        assert_eq!(seeded.meta.info.piece_length, 16 * 1024);
        assert_eq!(
            seeded.meta.announce,
            vec![vec!["ws://127.0.0.1:1/announce".to_owned()]]
        );

        let mut engine = seeded.engine;
        assert!(engine.is_complete());
        assert_eq!(engine.stats().left, Some(0));
        assert!(engine.poll_output().is_none(), "import outputs are drained");

        // Progress rises in slices towards the whole (the last slice ends the job).
        assert!(progress.len() > 10);
        assert!(progress.windows(2).all(|w| w[0].done <= w[1].done));
        let last = progress.last().expect("some progress");
        assert_eq!(last.total, 2 * data.len() as u64);
        assert!(last.done < last.total && last.done + 100_000 + 16_384 >= last.total);

        let sources = crate::client::Sources {
            trackers: seeded.meta.announce.iter().flatten().cloned().collect(),
            webseeds: seeded.meta.url_list.clone(),
        };
        let name = Some(seeded.meta.info.name.as_str());
        let magnet = crate::client::magnet_link(seeded.meta.info_hash, name, &sources);
        assert_eq!(magnet.display_name.as_deref(), Some("clip.bin"));
        assert_eq!(magnet.trackers, ["ws://127.0.0.1:1/announce"]);
        assert!(magnet
            .to_uri()
            .contains("&dn=clip.bin&tr=ws%3A%2F%2F127.0.0.1%3A1%2Fannounce"));
    }

    #[test]
    fn refuses_empty_and_oversized_files_with_sentences() {
        let opts = SeedOptions::default();
        let e = SeedJob::new("a", Vec::new(), &opts, cfg()).err();
        assert_eq!(e, Some(SeedError::Empty));
        let e = SeedJob::new("a/b", vec![1; 10], &opts, cfg())
            .and_then(|mut j| j.step(1 << 20).map(|_| ()))
            .err();
        assert!(matches!(e, Some(SeedError::Build(_))), "{e:?}");
        let too_large = SeedError::TooLarge {
            len: STORAGE_BYTES + 1,
            max: STORAGE_BYTES,
        };
        assert!(too_large
            .to_string()
            .contains("up to 536870912 bytes (512 MiB)"));
    }
}
