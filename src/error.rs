//! Errors. Every message names the input, where in it, and what was expected.

use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: line {line}: {msg}")]
    Line {
        path: String,
        line: u64,
        msg: String,
    },
    #[error("{path}: byte {offset}: {msg}")]
    Byte {
        path: String,
        offset: u64,
        msg: String,
    },
    #[error("{path}: {msg}")]
    Input { path: String, msg: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
}

impl Error {
    /// The process exit code for this error (see README "Exit codes").
    pub fn exit_code(&self) -> i32 {
        2
    }

    pub fn line(path: &str, line: u64, msg: impl Into<String>) -> Self {
        Error::Line {
            path: path.to_string(),
            line,
            msg: msg.into(),
        }
    }

    pub fn input(path: &str, msg: impl Into<String>) -> Self {
        Error::Input {
            path: path.to_string(),
            msg: msg.into(),
        }
    }
}
