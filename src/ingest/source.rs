//! Opening an input: a file (mapped when it is an uncompressed Chrome trace, streamed
//! otherwise), standard input (`-`), a pipe given by path (`<(zcat app.log.gz)`), gunzipped when
//! its first bytes are the gzip magic; and reporting how far reading a file has got.
//!
//! Nothing here writes to the terminal: progress goes to a callback the caller hands in.

use super::Format;
use super::sniff::sniff_bytes;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Buffer size for streamed inputs.
const STREAM_BUFFER: usize = 1 << 18;

/// How far reading one input has got, for a progress display. Inputs read as a stream report
/// progress (files, pipes and stdin; a mapped Chrome trace does not); `total` is the size on
/// disk (compressed, for gzip) of a regular file, stdin redirected from one included, and 0
/// when it is unknown (a pipe, a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Reading `name`, `total` bytes long, starts.
    Started { name: &'a str, total: u64 },
    /// `done` of the `total` bytes of `name` have been read (sent after every read).
    Read {
        name: &'a str,
        done: u64,
        total: u64,
    },
    /// Reading `name` is over, whether it succeeded or not.
    Finished { name: &'a str, total: u64 },
}

/// An opened input, before its format is known (or, for a mapped file, once it is known to be
/// a Chrome trace).
pub(super) enum Source {
    /// A file, a pipe or standard input read from its first byte on, `len` bytes long (0 when
    /// that is not known: a pipe).
    File {
        file: Box<dyn Read + Send>,
        len: u64,
        /// A regular file, not gzip: reading it is a copy from the page cache, not worth a
        /// thread of its own.
        plain: bool,
    },
    /// An uncompressed Chrome trace in a regular file, mapped so the reader can borrow
    /// strings from it.
    Mapped(memmap2::Mmap),
}

impl Source {
    /// Opens `path` (`-` = stdin) and decides how to read it.
    pub(super) fn open(path: &Path, name: &str) -> Result<Source> {
        let io_err = |source| Error::Io {
            path: name.to_string(),
            source,
        };
        if name == "-" {
            return Ok(Source::File {
                file: Box::new(io::stdin()),
                len: stdin_len(),
                plain: false,
            });
        }
        let file = File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        if meta.is_dir() {
            return Err(Error::input(name, "is a directory, expected a trace file"));
        }
        let mut head = [0u8; 4096];
        let n = {
            let mut f = &file;
            read_up_to(&mut f, &mut head).map_err(io_err)?
        };
        let gzip = n >= 2 && head[..2] == GZIP_MAGIC;
        let chrome = !gzip && sniff_bytes(&head[..n]).is_ok_and(|f| f == Format::ChromeTrace);
        if !chrome || !meta.is_file() {
            // Line formats stream (memory stays flat whatever the file size); so do gzip and
            // pipes. A pipe (`<(zcat app.log.gz)`) cannot be opened again from its start: its
            // first bytes go in front of the rest.
            let file: Box<dyn Read + Send> = if meta.is_file() {
                Box::new(File::open(path).map_err(io_err)?)
            } else {
                Box::new(io::Cursor::new(head[..n].to_vec()).chain(file))
            };
            return Ok(Source::File {
                file,
                len: meta.len(),
                plain: meta.is_file() && !gzip,
            });
        }
        // SAFETY: the map is read-only; a file truncated by another process while we read it is
        // the only hazard (SIGBUS), the same trade-off ripgrep makes for regular files.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
        Ok(Source::Mapped(map))
    }
}

/// The size of the blocks [`read_ahead`] hands over.
const AHEAD_BLOCK: usize = 1 << 20;

/// Reads `raw` on a thread of its own, gunzipped when its first bytes are the gzip magic, a
/// few blocks ahead of the reader, so that reading and inflating overlap with parsing. Says
/// whether it gunzips. `progress` hears of the raw bytes read (`total`: 0 when unknown) as
/// the reader takes each block; `Started` is sent here, `Finished` is the caller's.
pub(super) fn read_ahead<'p>(
    name: &'p str,
    mut raw: Box<dyn Read + Send>,
    total: u64,
    progress: &'p mut dyn FnMut(Progress<'_>),
) -> Result<(Ahead<'p>, bool)> {
    let mut head = [0u8; 2];
    let n = read_up_to(&mut raw, &mut head).map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    let gzip = head[..n] == GZIP_MAGIC;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(n as u64));
    let counted = Counted {
        inner: raw,
        done: done.clone(),
    };
    let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(head[..n].to_vec()).chain(counted));
    let mut source: Box<dyn Read + Send> = if gzip {
        Box::new(Gunzipped {
            inner: flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(
                STREAM_BUFFER,
                whole,
            )),
            out: 0,
        })
    } else {
        whole
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("stallscope-read".into())
        .spawn(move || {
            loop {
                let mut block = back_rx.try_recv().unwrap_or_default();
                block.resize(AHEAD_BLOCK, 0);
                // Whatever was read before an error is handed over before the error (a gzip
                // cut short: the lines before the cut are read).
                let mut n = 0;
                let mut failed = None;
                while n < block.len() {
                    match source.read(&mut block[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                block.truncate(n);
                if n > 0 && tx.send(Ok(block)).is_err() {
                    break;
                }
                if let Some(e) = failed {
                    let _ = tx.send(Err(e));
                    break;
                }
                if n == 0 {
                    break;
                }
            }
        })
        .map_err(|source| Error::Io {
            path: name.to_string(),
            source,
        })?;
    progress(Progress::Started { name, total });
    Ok((
        Ahead {
            blocks: Some(Blocks {
                rx,
                back: back_tx,
                block: Vec::new(),
                pos: 0,
                failed: false,
                taken: 0,
            }),
            name,
            total,
            done,
            progress,
        },
        gzip,
    ))
}

/// Counts the bytes read through it, for progress seen from another thread.
struct Counted {
    inner: Box<dyn Read + Send>,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// The blocks [`read_ahead`]'s thread hands over, in order, then the end or the error. It may
/// be read on another thread than the one that opened the input (see [`Ahead::take_blocks`]).
pub(super) struct Blocks {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Blocks read, handed back to be filled again.
    back: std::sync::mpsc::Sender<Vec<u8>>,
    block: Vec<u8>,
    pos: usize,
    /// An error was handed out: the input ends there.
    failed: bool,
    /// Blocks taken so far.
    taken: u64,
}

impl Read for Blocks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Blocks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.block.len() && !self.failed {
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    let old = std::mem::replace(&mut self.block, block);
                    self.pos = 0;
                    self.taken += 1;
                    let _ = self.back.send(old);
                }
                Ok(Err(e)) => {
                    self.failed = true;
                    return Err(e);
                }
                // The end of the input.
                Err(_) => {}
            }
        }
        Ok(self.block.get(self.pos..).unwrap_or(&[]))
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.block.len());
    }
}

/// `Read::read` of a reader whose blocks are its buffer: from `fill_buf`.
fn read_buffered(r: &mut impl BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let avail = r.fill_buf()?;
    let n = avail.len().min(buf.len());
    buf[..n].copy_from_slice(&avail[..n]);
    r.consume(n);
    Ok(n)
}

/// The reader's end of [`read_ahead`]: its [`Blocks`], telling `progress` of each one taken.
pub(super) struct Ahead<'p> {
    /// `None` once taken by [`Ahead::take_blocks`].
    blocks: Option<Blocks>,
    name: &'p str,
    total: u64,
    done: std::sync::Arc<std::sync::atomic::AtomicU64>,
    progress: &'p mut dyn FnMut(Progress<'_>),
}

impl Ahead<'_> {
    /// The blocks not read yet (the rest of the one being read first), for a reader that reads
    /// them on a thread of its own; it then calls [`Ahead::report`] for the progress. This
    /// reader is at its end after.
    pub(super) fn take_blocks(&mut self) -> Option<Blocks> {
        self.blocks.take()
    }

    /// Tells `progress` how many bytes of the input have been read so far.
    pub(super) fn report(&mut self) {
        (self.progress)(Progress::Read {
            name: self.name,
            done: self.done.load(std::sync::atomic::Ordering::Relaxed),
            total: self.total,
        });
    }
}

impl Read for Ahead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl BufRead for Ahead<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let Some(blocks) = self.blocks.as_mut() else {
            return Ok(&[]);
        };
        let before = blocks.taken;
        blocks.fill_buf()?;
        if blocks.taken != before {
            self.report();
        }
        Ok(match &self.blocks {
            Some(b) => b.block.get(b.pos..).unwrap_or(&[]),
            None => &[],
        })
    }

    fn consume(&mut self, n: usize) {
        if let Some(b) = self.blocks.as_mut() {
            b.consume(n);
        }
    }
}

/// The size of standard input when it is a regular file (`< trace.json`), else 0.
fn stdin_len() -> u64 {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let meta = io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| File::from(fd).metadata().ok());
        if let Some(meta) = meta.filter(std::fs::Metadata::is_file) {
            return meta.len();
        }
    }
    0
}

/// A file being read as a stream, buffered and reporting its progress.
pub(super) fn buffered_with_progress<'p>(
    file: Box<dyn Read>,
    name: &'p str,
    total: u64,
    progress: &'p mut dyn FnMut(Progress<'_>),
) -> Box<dyn BufRead + 'p> {
    progress(Progress::Started { name, total });
    let reader = ProgressReader {
        inner: file,
        name,
        total,
        done: 0,
        progress,
    };
    Box::new(BufReader::with_capacity(STREAM_BUFFER, reader))
}

/// Counts the bytes read through it and tells the callback after every read.
struct ProgressReader<'p> {
    inner: Box<dyn Read>,
    name: &'p str,
    total: u64,
    done: u64,
    progress: &'p mut dyn FnMut(Progress<'_>),
}

impl Read for ProgressReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.progress)(Progress::Read {
            name: self.name,
            done: self.done,
            total: self.total,
        });
        Ok(n)
    }
}

/// Gunzips `reader` when its first bytes are the gzip magic; says whether it did.
pub(super) fn gunzip<'r>(
    name: &str,
    mut reader: Box<dyn BufRead + 'r>,
) -> Result<(Box<dyn BufRead + 'r>, bool)> {
    let head = reader.fill_buf().map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    if !head.starts_with(&GZIP_MAGIC) {
        return Ok((reader, false));
    }
    let decoder = Gunzipped {
        inner: flate2::bufread::MultiGzDecoder::new(reader),
        out: 0,
    };
    Ok((
        Box::new(BufReader::with_capacity(STREAM_BUFFER, decoder)),
        true,
    ))
}

/// A gzip decoder whose errors say what they mean for the input: where the data broke and
/// what to do. A gzip cut short (`UnexpectedEof`) is left as it is: readers keep what came
/// before, as for a cut-off file.
struct Gunzipped<R> {
    inner: R,
    /// Decompressed bytes handed out so far.
    out: u64,
}

impl<R: Read> Read for Gunzipped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.out += n as u64;
                Ok(n)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
                ) =>
            {
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the gzip data is corrupt ({e}) after {} decompressed bytes: expected a gzip-compressed trace; the file is damaged or has only a gzip header (`gzip -t` checks it)",
                        self.out
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub(super) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Appends what `input` has next to `buf` (the scanners' refill); false at the end of the
/// input. A gzip stream cut short ends like a file cut off: what was decompressed is kept.
pub(crate) fn append_more(input: &mut dyn BufRead, buf: &mut Vec<u8>, name: &str) -> Result<bool> {
    let chunk = match input.fill_buf() {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(source) => {
            return Err(Error::Io {
                path: name.to_string(),
                source,
            });
        }
    };
    if chunk.is_empty() {
        return Ok(false);
    }
    let n = chunk.len();
    buf.extend_from_slice(chunk);
    input.consume(n);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_path;
    use std::io::Write;

    /// Everything `ingest_path` tells the progress callback about `text` written to a file, as
    /// (event, done, total).
    fn progress_of(text: &str) -> Vec<(&'static str, u64, u64)> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(text.as_bytes()).expect("write");
        let mut seen = Vec::new();
        ingest_path(file.path(), None, &mut |p| {
            seen.push(match p {
                Progress::Started { total, .. } => ("started", 0, total),
                Progress::Read { done, total, .. } => ("read", done, total),
                Progress::Finished { total, .. } => ("finished", total, total),
            })
        })
        .expect("reads");
        seen
    }

    #[test]
    fn a_streamed_file_reports_start_reads_and_finish() {
        let log = "{\"timestamp\":\"2026-11-24T00:00:01Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"close\",\"time.busy\":\"1.00ms\",\"time.idle\":\"1.00ms\"},\"span\":{\"name\":\"x\"}}\n";
        let len = log.len() as u64;
        let seen = progress_of(log);
        assert_eq!(seen.first(), Some(&("started", 0, len)));
        assert_eq!(seen.last(), Some(&("finished", len, len)));
        let reads: Vec<_> = seen.iter().filter(|e| e.0 == "read").collect();
        assert_eq!(reads.last().map(|e| e.1), Some(len), "{seen:?}");
    }

    #[test]
    fn a_mapped_chrome_trace_reports_nothing() {
        let trace = r#"[{"name":"x","ph":"X","ts":0,"dur":10,"pid":1,"tid":1}]"#;
        assert_eq!(progress_of(trace), Vec::new());
    }
}
