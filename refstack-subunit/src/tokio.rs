//! The async driver over [`tokio::io::AsyncRead`] (feature `tokio`), for
//! following a live stream such as `tempest run --subunit`.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::decode::{Decoder, DecoderOptions};
use crate::read::{Buffer, DEFAULT_READ_SIZE, ReadError};
use crate::sink::{Format, Sink};

/// Parses a stream from an [`AsyncRead`] into a [`Sink`], with the same
/// bounded reusable buffer as [`crate::Reader`]. Events are pushed as soon
/// as the bytes that decide them have arrived (a packet as soon as its last
/// byte is read), so a [`crate::Fold`] sink sees each test complete live.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use refstack_subunit::{AsyncReader, Fold, Packet, PacketStatus, TestRecord};
///
/// let mut stream = Vec::new();
/// Packet::new(PacketStatus::Success).with_test_id("t").encode(&mut stream)?;
/// let mut done = Vec::new();
/// let mut fold = Fold::new(|r: TestRecord| done.push(r.id));
/// AsyncReader::new(&stream[..]).run(&mut fold).await?;
/// let _ = fold.finish();
/// assert_eq!(done, ["t"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncReader<R> {
    inner: R,
    buf: Buffer,
    decoder: Decoder,
    eof: bool,
    done: bool,
}

impl<R: AsyncRead + Unpin> AsyncReader<R> {
    /// A reader with the default read size and format detection.
    pub fn new(inner: R) -> Self {
        Self::with_options(inner, DecoderOptions::default(), DEFAULT_READ_SIZE)
    }

    /// A reader with decoder options and a read size.
    pub fn with_options(inner: R, options: DecoderOptions, read_size: usize) -> Self {
        Self {
            inner,
            buf: Buffer::new(read_size),
            decoder: Decoder::with_options(options),
            eof: false,
            done: false,
        }
    }

    /// The format, once detected.
    pub fn format(&self) -> Option<Format> {
        self.decoder.format()
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.decoder.offset()
    }

    /// Parses the whole stream into `sink`.
    pub async fn run<S: Sink>(&mut self, sink: &mut S) -> Result<(), ReadError<S::Error>> {
        while self.step(sink).await? {}
        Ok(())
    }

    /// Feeds what is buffered, then reads once (waiting for input). Returns
    /// false when the stream is finished.
    pub async fn step<S: Sink>(&mut self, sink: &mut S) -> Result<bool, ReadError<S::Error>> {
        if self.done {
            return Ok(false);
        }
        if self.eof || self.buf.len() >= self.decoder.wants() {
            let used = self
                .decoder
                .feed(self.buf.data(), self.eof, sink)
                .map_err(ReadError::Sink)?;
            self.buf.consume(used);
            if self.eof {
                self.done = true;
                return Ok(false);
            }
        }
        let space = self.buf.space(self.decoder.wants());
        let n = self.inner.read(space).await?;
        if n == 0 {
            self.eof = true;
        }
        self.buf.filled(n);
        Ok(true)
    }
}
