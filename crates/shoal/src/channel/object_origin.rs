//! `--origin s3://BUCKET/PREFIX`: the channel's HTTP origin is object storage (behind a CDN at
//! scale). Every published segment and its torrent are uploaded under
//! `PREFIX/NAME/`, then the playlist (so a listed segment is always already there); expired
//! ones are deleted. The segment torrents' web seed URLs and the playlist URL the companion
//! lists point there. Endpoint and credentials come from the usual AWS environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
//! `AWS_ALLOW_HTTP`), read by the `object_store` crate. The companion keeps serving its own
//! copy too.

use std::sync::Arc;

use super::{
    routes::{PLAYLIST_CACHE, PLAYLIST_FILE, SEGMENT_CACHE},
    runner::Uploads,
};
use object_store::{
    aws::AmazonS3Builder, path::Path, Attribute, Attributes, ObjectStore, ObjectStoreExt,
    PutOptions,
};

/// Why `--origin` cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OriginError {
    #[error("--origin {0:?}: expected s3://BUCKET/PREFIX")]
    NotS3(String),
    #[error("--origin {url:?}: {source}")]
    Store {
        url: String,
        source: object_store::Error,
    },
}

/// An object store the channels publish to.
#[derive(Debug)]
pub(crate) struct ObjectOrigin {
    store: Arc<dyn ObjectStore>,
    /// The key prefix, without slashes at either end (may be empty).
    prefix: String,
    /// Where the prefix is reached over HTTP, without a trailing slash.
    public_base: String,
}

impl ObjectOrigin {
    /// Opens `s3://BUCKET/PREFIX` with the AWS environment; `public_url` is where clients
    /// reach the prefix (a CDN), by default the endpoint's path-style URL
    /// (`$AWS_ENDPOINT_URL/BUCKET/PREFIX`) or AWS's virtual-hosted one.
    pub(crate) fn open(url: &str, public_url: Option<&str>) -> Result<Self, OriginError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| OriginError::NotS3(url.to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(OriginError::NotS3(url.to_owned()));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|source| OriginError::Store {
                url: url.to_owned(),
                source,
            })?;
        let public_base = match public_url {
            Some(public) => public.trim_end_matches('/').to_owned(),
            None => default_public_base(bucket, &prefix),
        };
        Ok(Self {
            store: Arc::new(store),
            prefix,
            public_base,
        })
    }

    /// The public URL of channel `name`'s file `file`.
    pub(crate) fn url(&self, name: &str, file: &str) -> String {
        format!("{}/{name}/{file}", self.public_base)
    }

    fn key(&self, name: &str, file: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(format!("{name}/{file}"))
        } else {
            Path::from(format!("{}/{name}/{file}", self.prefix))
        }
    }

    /// Uploads `bytes` as channel `name`'s `file`, with its content type and caching.
    pub(crate) async fn put(
        &self,
        name: &str,
        file: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        cache_control: &'static str,
    ) -> Result<(), object_store::Error> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.into());
        attributes.insert(Attribute::CacheControl, cache_control.into());
        let opts = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&self.key(name, file), bytes.into(), opts)
            .await
            .map(|_| ())
    }

    /// Deletes channel `name`'s `file`.
    pub(crate) async fn delete(&self, name: &str, file: &str) -> Result<(), object_store::Error> {
        self.store.delete(&self.key(name, file)).await
    }
}

impl ObjectOrigin {
    /// Uploads channel `name`'s new segment (`bytes`) and its torrent, then `playlist`, then
    /// deletes the expired segments; `uploads` `None` uploads the playlist alone (the end).
    pub(crate) async fn publish(
        &self,
        name: &str,
        bytes: Vec<u8>,
        uploads: Option<Uploads>,
        playlist: String,
    ) -> Result<(), object_store::Error> {
        if let Some(up) = &uploads {
            self.put(name, &up.file, bytes, "video/mp2t", SEGMENT_CACHE)
                .await?;
            let torrent = format!("{}.torrent", up.file);
            self.put(
                name,
                &torrent,
                up.torrent.clone(),
                "application/x-bittorrent",
                SEGMENT_CACHE,
            )
            .await?;
        }
        self.put(
            name,
            PLAYLIST_FILE,
            playlist.into_bytes(),
            "application/vnd.apple.mpegurl",
            PLAYLIST_CACHE,
        )
        .await?;
        for gone in uploads.iter().flat_map(|u| &u.expired) {
            self.delete(name, gone).await?;
            self.delete(name, &format!("{gone}.torrent")).await?;
        }
        Ok(())
    }
}

fn default_public_base(bucket: &str, prefix: &str) -> String {
    let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    let base = match endpoint {
        Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
        None => {
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".to_owned());
            format!("https://{bucket}.s3.{region}.amazonaws.com")
        }
    };
    if prefix.is_empty() {
        base
    } else {
        format!("{base}/{prefix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_s3_urls_with_a_bucket_are_taken() {
        assert!(matches!(
            ObjectOrigin::open("https://x/y", None),
            Err(OriginError::NotS3(_))
        ));
        assert!(matches!(
            ObjectOrigin::open("s3:///prefix", None),
            Err(OriginError::NotS3(_))
        ));
        let origin = ObjectOrigin::open("s3://bucket/live/", Some("https://cdn.example/live/"))
            .expect("open");
        assert_eq!(
            origin.url("demo", "seg-000001.ts"),
            "https://cdn.example/live/demo/seg-000001.ts"
        );
        assert_eq!(
            origin.key("demo", "index.m3u8").as_ref(),
            "live/demo/index.m3u8"
        );
    }
}
