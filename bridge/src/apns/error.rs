//! What can go wrong in the APNs destination outside of APNs' own answers (those are `client::PushResult`).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ApnsError {
    #[error("apns.{field}: {reason}")]
    Config { field: &'static str, reason: String },
    #[error("apns.key_file {path}: cannot read: {source}")]
    KeyRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("apns.key_file {path}: {reason}")]
    KeyInvalid { path: PathBuf, reason: String },
    #[error("apns.ca_file {path}: {reason}")]
    CaInvalid { path: PathBuf, reason: String },
    #[error("apns: cannot sign the provider token (JWT)")]
    Sign,
    #[error("apns: cannot build the HTTP/2 client: {0}")]
    Client(String),
    #[error("apns: database: {0}")]
    Db(#[from] sqlx::Error),
}
