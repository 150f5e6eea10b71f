//! The library's error type. Every variant renders as one line that says
//! what went wrong and where.

use std::path::PathBuf;

/// Errors of the tester library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was attempted ("read the test list", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A configuration file (tempest.conf, accounts.yaml) is invalid.
    #[error("invalid configuration in {}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An HTTP request could not be sent or its answer not read.
    #[error("request to {url} failed: {message}")]
    Http {
        /// The URL.
        url: String,
        /// The transport error, flattened to one line.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Server {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message (`title`/`detail` of a RefStack error body, or the body).
        message: String,
    },
    /// A URL given by the user is not usable.
    #[error("invalid URL '{url}': {message}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why.
        message: String,
    },
    /// Tempest could not be found or started, or misbehaved.
    #[error("tempest: {0}")]
    Tempest(String),
    /// A private key could not be used.
    #[error("key {}: {message}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// No RefStack server is configured and the command needs one.
    #[error(
        "no RefStack server configured: pass --url URL (e.g. --url http://127.0.0.1:8000), \
         set REFSTACK_URL, or put url = \"URL\" in {config}"
    )]
    NoServer {
        /// The configuration file that was looked at.
        config: String,
    },
    /// A registry refused or failed a request.
    #[error("registry: cannot {action} {reference}: {message}")]
    Registry {
        /// What was attempted (`push the manifest`, …).
        action: String,
        /// The reference.
        reference: String,
        /// Why, with what to do about it.
        message: String,
    },
    /// Bad input data (a results file, a stream, a test list, a guideline).
    #[error("{}: {message}", origin)]
    Input {
        /// The file or URL.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// Flatten an error and its sources into one line.
pub(crate) fn one_line(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
