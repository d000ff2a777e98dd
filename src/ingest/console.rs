//! console-subscriber recordings. Not implemented yet: see issue 4.

use super::InputReport;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::TraceBuilder;
use std::io::BufRead;

pub fn read(
    name: &str,
    _reader: &mut dyn BufRead,
    _b: &mut TraceBuilder,
    _report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    Err(Error::input(
        name,
        "console-subscriber recordings are not supported yet",
    ))
}
