//! Chrome trace-event JSON (array and object forms). Not implemented yet: see issue 3.

use super::InputReport;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::TraceBuilder;

pub fn read(
    name: &str,
    _bytes: &[u8],
    _b: &mut TraceBuilder,
    _report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    Err(Error::input(
        name,
        "Chrome trace files are not supported yet",
    ))
}
