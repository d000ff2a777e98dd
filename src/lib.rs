//! stallscope: finds long server-processing spans and event-loop stalls in saved traces and
//! judges, per endpoint, whether async helps or hurts.
//!
//! Data flows one way: `cli -> config -> ingest -> model -> analyze -> report`.

pub mod config;
pub mod error;
pub mod ingest;
pub mod model;

pub use config::Config;
pub use error::{Error, Result};
