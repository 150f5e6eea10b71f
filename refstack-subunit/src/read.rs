//! Drivers: whole slices, [`std::io::Read`] with one reusable bounded
//! buffer, and an owned-event iterator on top.

use std::collections::VecDeque;
use std::io::{self, Read};

use crate::decode::{Decoder, DecoderOptions};
use crate::sink::{Corruption, Format, Progress, Sink};
use crate::v2::{FileContent, Packet, PacketStatus, Tags, Timestamp};

/// Default size of a read (and the initial buffer).
pub const DEFAULT_READ_SIZE: usize = 256 * 1024;

/// Parses a complete stream held in memory (v1 or v2, auto-detected).
pub fn parse_slice<S: Sink>(input: &[u8], sink: &mut S) -> Result<(), S::Error> {
    Decoder::new().feed(input, true, sink).map(|_| ())
}

/// Why a [`Reader`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    /// Reading the input failed.
    #[error("reading the subunit stream failed")]
    Io(#[from] io::Error),
    /// The sink returned an error.
    #[error("the sink stopped parsing")]
    Sink(E),
}

/// The reusable input buffer: unconsumed bytes are `buf[start..end]`.
#[derive(Debug)]
pub(crate) struct Buffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    read_size: usize,
}

impl Buffer {
    pub(crate) fn new(read_size: usize) -> Self {
        let read_size = read_size.max(1);
        Self {
            buf: vec![0; read_size],
            start: 0,
            end: 0,
            read_size,
        }
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes room for a read so that the unconsumed part can grow to at
    /// least `wants` bytes; returns the free space to read into.
    pub(crate) fn space(&mut self, wants: usize) -> &mut [u8] {
        let need = wants.max(self.len() + 1);
        if self.start + need > self.buf.len() || self.buf.len() - self.end < self.read_size / 4 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        let stop = self
            .buf
            .len()
            .min(self.end + self.read_size.max(need - self.len()));
        &mut self.buf[self.end..stop]
    }

    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// Allocated size (for tests of the memory bound).
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }
}

/// Parses a stream from any [`Read`], through one reusable buffer whose
/// size is bounded by the largest legal packet (4 MiB) plus one read, never
/// by a corrupt length.
///
/// ```
/// use refstack_subunit::{Counts, Packet, PacketStatus, Reader};
///
/// let mut stream = Vec::new();
/// Packet::new(PacketStatus::Success).with_test_id("t").encode(&mut stream)?;
/// let mut counts = Counts::default();
/// Reader::new(&stream[..]).run(&mut counts)?;
/// assert_eq!(counts.packets, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    buf: Buffer,
    decoder: Decoder,
    eof: bool,
    done: bool,
}

impl<R: Read> Reader<R> {
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

    /// Current buffer size in bytes.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Parses the whole stream into `sink`.
    pub fn run<S: Sink>(&mut self, sink: &mut S) -> Result<(), ReadError<S::Error>> {
        while self.step(sink)? {}
        Ok(())
    }

    /// Feeds what is buffered, then reads once. Returns false when the
    /// stream is finished.
    pub fn step<S: Sink>(&mut self, sink: &mut S) -> Result<bool, ReadError<S::Error>> {
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
        let n = loop {
            match self.inner.read(space) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.buf.filled(n);
        Ok(true)
    }

    /// An iterator of owned events (one allocation per event; the
    /// [`Sink`] API is the zero-copy one).
    pub fn events(self) -> Events<R> {
        Events {
            reader: self,
            queue: VecDeque::new(),
            failed: false,
        }
    }
}

/// An owned copy of a [`Packet`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedPacket {
    /// See [`Packet::status`].
    pub status: PacketStatus,
    /// See [`Packet::runnable`].
    pub runnable: bool,
    /// See [`Packet::eof`].
    pub eof: bool,
    /// See [`Packet::timestamp`].
    pub timestamp: Option<Timestamp>,
    /// See [`Packet::test_id`].
    pub test_id: Option<String>,
    /// See [`Packet::tags`].
    pub tags: Option<Vec<String>>,
    /// See [`Packet::mime_type`].
    pub mime_type: Option<String>,
    /// File name and content, see [`Packet::file`].
    pub file: Option<(String, Vec<u8>)>,
    /// See [`Packet::route_code`].
    pub route_code: Option<String>,
}

impl OwnedPacket {
    /// Borrows it back as a [`Packet`] (to encode it, for instance).
    pub fn as_packet(&self) -> Packet<'_> {
        Packet {
            status: self.status,
            runnable: self.runnable,
            eof: self.eof,
            timestamp: self.timestamp,
            test_id: self.test_id.as_deref(),
            tags: self.tags.as_deref().map(Tags::from_strings),
            mime_type: self.mime_type.as_deref(),
            file: self
                .file
                .as_ref()
                .map(|(name, content)| FileContent { name, content }),
            route_code: self.route_code.as_deref(),
        }
    }
}

impl From<&Packet<'_>> for OwnedPacket {
    fn from(p: &Packet<'_>) -> Self {
        Self {
            status: p.status,
            runnable: p.runnable,
            eof: p.eof,
            timestamp: p.timestamp,
            test_id: p.test_id.map(str::to_string),
            tags: p.tags.map(|t| t.iter().map(str::to_string).collect()),
            mime_type: p.mime_type.map(str::to_string),
            file: p.file.map(|f| (f.name.to_string(), f.content.to_vec())),
            route_code: p.route_code.map(str::to_string),
        }
    }
}

/// An owned stream event, from [`Reader::events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A packet at a stream offset.
    Packet(u64, OwnedPacket),
    /// A noise run.
    Noise(u64, Vec<u8>),
    /// A rejected candidate.
    Corrupt(u64, Vec<u8>, Corruption),
    /// A v1 `progress:` directive.
    Progress(u64, Progress),
}

/// A sink collecting owned [`Event`]s.
#[derive(Debug, Default)]
pub struct Collect {
    /// The events so far.
    pub events: VecDeque<Event>,
}

impl Sink for Collect {
    type Error = std::convert::Infallible;
    fn packet(&mut self, offset: u64, packet: &Packet<'_>) -> Result<(), Self::Error> {
        self.events.push_back(Event::Packet(offset, packet.into()));
        Ok(())
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        self.events.push_back(Event::Noise(offset, bytes.to_vec()));
        Ok(())
    }
    fn corrupt(
        &mut self,
        offset: u64,
        bytes: &[u8],
        error: &Corruption,
    ) -> Result<(), Self::Error> {
        self.events
            .push_back(Event::Corrupt(offset, bytes.to_vec(), error.clone()));
        Ok(())
    }
    fn progress(&mut self, offset: u64, progress: Progress) -> Result<(), Self::Error> {
        self.events.push_back(Event::Progress(offset, progress));
        Ok(())
    }
}

/// Iterator of owned events over a [`Read`]; see [`Reader::events`].
#[derive(Debug)]
pub struct Events<R> {
    reader: Reader<R>,
    queue: VecDeque<Event>,
    failed: bool,
}

impl<R: Read> Iterator for Events<R> {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Some(Ok(e));
            }
            if self.failed {
                return None;
            }
            let mut sink = Collect {
                events: std::mem::take(&mut self.queue),
            };
            let more = self.reader.step(&mut sink);
            self.queue = sink.events;
            match more {
                Ok(true) => {}
                Ok(false) if self.queue.is_empty() => return None,
                Ok(false) => {}
                Err(ReadError::Io(e)) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Err(ReadError::Sink(never)) => match never {},
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_compacts_and_grows() {
        let mut b = Buffer::new(8);
        let s = b.space(1);
        assert_eq!(s.len(), 8);
        s[..8].copy_from_slice(b"abcdefgh");
        b.filled(8);
        b.consume(6);
        assert_eq!(b.data(), b"gh");
        let s = b.space(20);
        assert!(s.len() >= 18);
        assert_eq!(b.data(), b"gh");
        assert!(b.capacity() >= 20);
    }
}
