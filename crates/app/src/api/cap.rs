//! The size cap of a response body, applied while the body arrives: a declared
//! `Content-Length` over the cap is refused before anything is read, and every chunk is
//! admitted only while the total stays within the cap.

use super::ApiError;

/// Bytes reserved up front at most, whatever a `Content-Length` claims.
const MAX_PREALLOCATION: usize = 1 << 20;

/// A body being read under a cap.
#[derive(Debug)]
pub(crate) struct CappedBody {
    limit: usize,
    bytes: Vec<u8>,
}

impl CappedBody {
    /// Starts a body of at most `limit` bytes. `content_length` is the header's value, when the
    /// answer has one: a length over the cap is [`ApiError::TooLarge`] at once; a value that
    /// is not a number is ignored (the cap still holds while reading).
    pub(crate) fn new(limit: usize, content_length: Option<&str>) -> Result<Self, ApiError> {
        let declared = content_length.and_then(declared_length);
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(ApiError::TooLarge { limit });
        }
        let reserve = declared.map_or(0, |len| len.min(MAX_PREALLOCATION as u64) as usize);
        Ok(Self {
            limit,
            bytes: Vec::with_capacity(reserve),
        })
    }

    /// Admits the next chunk of `len` bytes: the space to copy it into, or
    /// [`ApiError::TooLarge`] when it would take the body past the cap (nothing is added then,
    /// and the caller stops reading).
    pub(crate) fn admit(&mut self, len: usize) -> Result<&mut [u8], ApiError> {
        let start = self.bytes.len();
        let end = start
            .checked_add(len)
            .filter(|end| *end <= self.limit)
            .ok_or(ApiError::TooLarge { limit: self.limit })?;
        self.bytes.resize(end, 0);
        Ok(&mut self.bytes[start..])
    }

    /// The whole body.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A `Content-Length` value; digits too many for a `u64` are more than any cap.
fn declared_length(value: &str) -> Option<u64> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Feeds `chunks` the way the reader does; returns the body or the error and how many
    /// chunks were taken before it stopped.
    fn read(
        limit: usize,
        declared: Option<&str>,
        chunks: &[&[u8]],
    ) -> (Result<Vec<u8>, ApiError>, usize) {
        let mut body = match CappedBody::new(limit, declared) {
            Ok(b) => b,
            Err(e) => return (Err(e), 0),
        };
        for (taken, chunk) in chunks.iter().enumerate() {
            match body.admit(chunk.len()) {
                Ok(space) => space.copy_from_slice(chunk),
                Err(e) => return (Err(e), taken),
            }
        }
        (Ok(body.into_bytes()), chunks.len())
    }

    #[test]
    fn a_body_within_the_cap_is_kept_whole() {
        let (body, taken) = read(10, None, &[b"abc", b"", b"defg", b"hij"]);
        assert_eq!(body.as_deref(), Ok(&b"abcdefghij"[..]));
        assert_eq!(taken, 4);
    }

    #[test]
    fn reading_stops_at_the_chunk_that_passes_the_cap() {
        let chunk = [7u8; 4];
        let chunks = vec![&chunk[..]; 1000];
        let (body, taken) = read(10, None, &chunks);
        assert_eq!(body, Err(ApiError::TooLarge { limit: 10 }));
        // Two chunks fit (8 bytes); the third would make 12.
        assert_eq!(taken, 2);
    }

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_reading() {
        let (body, taken) = read(10, Some("11"), &[b"x"]);
        assert_eq!(body, Err(ApiError::TooLarge { limit: 10 }));
        assert_eq!(taken, 0);
        // Exactly the cap is fine; a header that lies low is still capped while reading.
        assert_eq!(
            read(10, Some(" 10 "), &[b"0123456789"]).0.map(|b| b.len()),
            Ok(10)
        );
        assert_eq!(
            read(4, Some("2"), &[b"abc", b"de"]).0,
            Err(ApiError::TooLarge { limit: 4 })
        );
        // A header that is not a number is ignored.
        assert_eq!(read(4, Some("lots"), &[b"ab"]).0.as_deref(), Ok(&b"ab"[..]));
        assert_eq!(
            read(1 << 30, Some("99999999999999999999999"), &[]).0,
            Err(ApiError::TooLarge { limit: 1 << 30 })
        );
    }

    #[test]
    fn a_huge_declared_length_within_a_huge_cap_does_not_preallocate_it() {
        let body = CappedBody::new(usize::MAX, Some("1000000000")).expect("within the cap");
        assert!(body.bytes.capacity() <= MAX_PREALLOCATION);
    }

    #[test]
    fn lengths_that_overflow_are_too_large() {
        let mut body = CappedBody::new(usize::MAX, None).expect("no header");
        assert!(body.admit(3).is_ok());
        assert_eq!(
            body.admit(usize::MAX).err(),
            Some(ApiError::TooLarge { limit: usize::MAX })
        );
    }
}
