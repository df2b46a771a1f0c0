//! What can go wrong with a request, each variant with the sentence a person reads.

use addon::AddonError;

use crate::format::{self, sentence};

/// Why a request gave no usable answer. `Display` is a complete sentence for the page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ApiError {
    /// No `window` (the app runs outside a page).
    #[error("There is no browser window to make the request from.")]
    NoWindow,
    /// The browser could not make the request. It hides why: an offline host, a refused
    /// connection and missing CORS headers all look alike from a page.
    #[error("Shoal could not reach the server: it is offline, or it does not allow requests from other sites (CORS).")]
    Network,
    /// No complete answer within the request's time limit.
    #[error("The server did not answer within {seconds} s.")]
    Timeout {
        /// The limit.
        seconds: u32,
    },
    /// The page that asked was left, so the request was cancelled (never shown to anyone).
    #[error("The request was cancelled because its page was closed.")]
    Aborted,
    /// A status other than 2xx.
    #[error("The server answered with an error (HTTP {}).", status_line(*code, text))]
    Status {
        /// The HTTP status code.
        code: u16,
        /// The reason phrase (empty over HTTP/2).
        text: String,
    },
    /// The body is larger than this request accepts (said by Content-Length, or seen while
    /// reading).
    #[error("The answer is larger than the {} Shoal accepts here.", format::bytes(*limit as u64))]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body broke off before its end.
    #[error("The answer was cut off before it was complete.")]
    Cut,
    /// A stored add-on address that no longer parses.
    #[error("The add-on's address is not valid.")]
    BadAddress,
    /// An add-on's address or answer cannot be used; the add-on crate says why.
    #[error("{}", sentence(&.0.to_string()))]
    Addon(#[from] AddonError),
    /// The body is not the JSON the request expects; the text says what was wrong with it.
    #[error("The answer is not what Shoal expected: {0}.")]
    BadBody(String),
}

impl ApiError {
    /// The sentence the UI shows (the same as `Display`).
    pub(crate) fn sentence(&self) -> String {
        self.to_string()
    }
}

fn status_line(code: u16, text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        code.to_string()
    } else {
        format!("{code} {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_error_is_one_sentence() {
        let all = [
            ApiError::NoWindow,
            ApiError::Network,
            ApiError::Timeout { seconds: 30 },
            ApiError::Aborted,
            ApiError::Status {
                code: 500,
                text: "Internal Server Error".into(),
            },
            ApiError::TooLarge { limit: 16 << 20 },
            ApiError::Cut,
            ApiError::BadAddress,
            ApiError::Addon(AddonError::NotFound),
            ApiError::BadBody("expected value at line 1 column 1".into()),
        ];
        for error in all {
            let s = error.sentence();
            assert!(s.chars().next().is_some_and(char::is_uppercase), "{s}");
            assert!(s.ends_with('.'), "{s}");
            assert!(!s.ends_with(".."), "{s}");
        }
    }

    #[test]
    fn sentences_carry_the_figures() {
        let status = ApiError::Status {
            code: 404,
            text: "Not Found".into(),
        };
        assert_eq!(
            status.sentence(),
            "The server answered with an error (HTTP 404 Not Found)."
        );
        // HTTP/2 has no reason phrase.
        let bare = ApiError::Status {
            code: 503,
            text: String::new(),
        };
        assert_eq!(
            bare.sentence(),
            "The server answered with an error (HTTP 503)."
        );
        assert_eq!(
            ApiError::TooLarge { limit: 16 << 20 }.sentence(),
            "The answer is larger than the 16.0 MiB Shoal accepts here."
        );
        assert_eq!(
            ApiError::Timeout { seconds: 30 }.sentence(),
            "The server did not answer within 30 s."
        );
        assert_eq!(
            ApiError::Addon(AddonError::NotJson("expected value".into())).sentence(),
            "The add-on did not send JSON (expected value)."
        );
    }
}
