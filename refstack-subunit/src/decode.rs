//! The sans-I/O stream decoder: format detection, the v2 scanner with
//! noise runs, UTF-8 boundary tracking and one-byte resynchronisation.
//!
//! [`Decoder::feed`] takes the unconsumed bytes of a stream and pushes
//! what it can decide to a [`Sink`]; the drivers in [`crate::read`] (and
//! [`crate::tokio`]) own the buffer and the I/O.

use crate::sink::{Corruption, Format, Sink};
use crate::v1::V1Parser;
use crate::v2::{self, Packet, PacketError, SIGNATURE};

/// Pending noise longer than this is reported even before its end is seen,
/// so memory stays bounded on streams that are mostly noise.
pub(crate) const NOISE_FLUSH: usize = 64 * 1024;

/// The longest packet a signature byte inside a UTF-8 character of the
/// noise may start (longer ones there are text).
pub(crate) const IN_TEXT_PACKET_MAX: usize = NOISE_FLUSH;

/// How much input format detection looks at before it defaults to v2.
pub(crate) const DETECT_LIMIT: usize = 64 * 1024;

/// Incremental UTF-8 state over noise bytes: how many continuation bytes
/// the current character still needs and the range the next one must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Utf8 {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8 {
    /// At a character boundary.
    pub(crate) const BOUNDARY: Utf8 = Utf8 {
        need: 0,
        lo: 0x80,
        hi: 0xBF,
    };

    #[inline]
    fn fresh(b: u8) -> Utf8 {
        let (need, lo, hi) = match b {
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            // ASCII, stray continuation bytes and invalid lead bytes leave
            // the decoder at a boundary.
            _ => return Utf8::BOUNDARY,
        };
        Utf8 { need, lo, hi }
    }

    #[inline]
    fn step(self, b: u8) -> Utf8 {
        if self.need > 0 && (self.lo..=self.hi).contains(&b) {
            Utf8 {
                need: self.need - 1,
                lo: 0x80,
                hi: 0xBF,
            }
        } else {
            // A byte that does not continue the character starts afresh.
            Utf8::fresh(b)
        }
    }

    /// The state after `noise[..i]` given the state before `noise[0]`.
    /// Only the last three bytes matter: any character is at most four
    /// bytes long, so three bytes back the decoder is resynchronised.
    #[inline]
    pub(crate) fn at(noise: &[u8], i: usize, carry: Utf8) -> Utf8 {
        let (mut s, from) = if i >= 3 {
            (Utf8::BOUNDARY, i - 3)
        } else {
            (carry, 0)
        };
        for &b in &noise[from..i] {
            s = s.step(b);
        }
        s
    }

    /// True if `b` continues the current character (so a signature byte
    /// here is text, not a packet start).
    #[inline]
    pub(crate) fn continues_with(self, b: u8) -> bool {
        self.need > 0 && (self.lo..=self.hi).contains(&b)
    }
}

/// One decision of the v2 scanner.
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// A packet at relative offset `at` of length `len`.
    Packet {
        at: usize,
        len: usize,
        packet: Packet<'a>,
    },
    /// A noise run `buf[..len]` (always at relative offset 0).
    Noise { len: usize },
    /// A rejected candidate at relative offset `at`, bytes `at..end`.
    Corrupt {
        at: usize,
        end: usize,
        error: PacketError,
    },
    /// Nothing more can be decided without more input (or at all, at EOF).
    NeedMore,
}

/// The v2 scanner. Positions are relative to the start of the buffer the
/// caller passes, which must begin at the first unconsumed byte; the
/// scanner reports consumption through [`Step`] and [`V2Scanner::consume`].
#[derive(Debug, Clone)]
pub(crate) struct V2Scanner {
    /// Bytes of the buffer already known to be noise (pending noise run).
    scanned: usize,
    /// UTF-8 state at the start of the buffer.
    carry: Utf8,
    /// A packet found right after pending noise, already CRC-checked:
    /// `(relative offset, length)`.
    verified: Option<(usize, usize)>,
    /// UTF-8 tracking is off before this offset: after a rejected candidate
    /// with a plausible header (a damaged packet) up to the next good
    /// packet, so a damaged packet's bytes never hide the next packet's
    /// signature as a "continuation byte"; after it, tracking restarts at a
    /// character boundary.
    binary_until: usize,
    /// Bytes needed in the buffer for the next decision.
    wants: usize,
}

impl Default for V2Scanner {
    fn default() -> Self {
        Self {
            scanned: 0,
            carry: Utf8::BOUNDARY,
            verified: None,
            binary_until: 0,
            wants: 0,
        }
    }
}

impl V2Scanner {
    /// Bytes the buffer should hold for the next decision.
    pub(crate) fn wants(&self) -> usize {
        self.wants
    }

    /// Records that the caller dropped `n` bytes from the buffer's front
    /// after a `Packet` or `Noise` step ending at `n`.
    #[inline]
    fn consumed_packet(&mut self) {
        self.scanned = 0;
        self.carry = Utf8::BOUNDARY;
        self.verified = None;
        self.binary_until = 0;
    }

    /// True when the buffer starts right after a packet: a signature at
    /// offset 0 is a candidate without any scanning (the hot path).
    #[inline]
    pub(crate) fn at_packet_boundary(&self) -> bool {
        self.scanned == 0 && self.verified.is_none() && self.carry == Utf8::BOUNDARY
    }

    /// True in the state a new scanner starts in.
    pub(crate) fn is_fresh(&self) -> bool {
        self.at_packet_boundary() && self.binary_until == 0
    }

    /// Records that a packet at offset 0 was consumed via the hot path.
    #[inline]
    pub(crate) fn consumed_fast_packet(&mut self) {
        self.consumed_packet();
    }

    /// Is the signature byte at `i` a packet candidate (not inside a UTF-8
    /// character of the noise before it)?
    #[inline]
    fn is_candidate(&self, buf: &[u8], i: usize) -> bool {
        if i < self.binary_until {
            return true;
        }
        !self.utf8_at(buf, i).continues_with(SIGNATURE)
    }

    /// UTF-8 state before `buf[i]`, for `i >= binary_until`.
    #[inline]
    fn utf8_at(&self, buf: &[u8], i: usize) -> Utf8 {
        let from = self.binary_until;
        let carry = if from > 0 { Utf8::BOUNDARY } else { self.carry };
        Utf8::at(&buf[from..], i - from, carry)
    }

    fn consumed_noise(&mut self, buf: &[u8], n: usize) {
        self.carry = if n < self.binary_until {
            Utf8::BOUNDARY
        } else {
            self.utf8_at(buf, n)
        };
        self.binary_until = self.binary_until.saturating_sub(n);
        self.scanned -= n;
        if let Some((at, len)) = self.verified {
            self.verified = Some((at - n, len));
        }
    }

    /// Decides the next item in `buf` (which starts at the first unconsumed
    /// byte). After a `Packet { at: 0, len }` or `Noise { len }` step the
    /// caller must drop exactly `len` bytes from the front of its buffer and
    /// call [`V2Scanner::consume`].
    #[inline]
    pub(crate) fn step<'a>(&mut self, buf: &'a [u8], eof: bool) -> Step<'a> {
        let mut pos = self.scanned;
        loop {
            let Some(k) = memchr::memchr(SIGNATURE, &buf[pos..]) else {
                self.scanned = buf.len();
                return self.noise_or_wait(buf, buf.len(), eof);
            };
            let i = pos + k;
            // A signature byte that continues a UTF-8 character of the
            // noise is text unless a valid packet of at most
            // `IN_TEXT_PACKET_MAX` bytes starts there (a misjudged boundary
            // must not hide a packet); such a packet is waited for (so the
            // decision never depends on how the input was split into
            // reads, and the wait is bounded), and an in-text candidate is
            // never reported as corruption.
            let in_text = !self.is_candidate(buf, i);
            if let Some((at, len)) = self.verified
                && at == i
            {
                if i > 0 {
                    self.scanned = i;
                    return Step::Noise { len: i };
                }
                if let Ok(packet) = v2::parse_verified(&buf[..len]) {
                    return Step::Packet { at: 0, len, packet };
                }
            }
            match v2::parse_packet(&buf[i..]) {
                Ok((_, len)) if in_text && len > IN_TEXT_PACKET_MAX => {
                    pos = i + 1;
                    continue;
                }
                Ok((packet, len)) => {
                    if i == 0 {
                        return Step::Packet { at: 0, len, packet };
                    }
                    self.scanned = i;
                    self.verified = Some((i, len));
                    return Step::Noise { len: i };
                }
                Err(PacketError::Incomplete { .. })
                    if in_text
                        && (eof
                            || v2::parse_header(&buf[i..])
                                .is_ok_and(|(_, len)| len > IN_TEXT_PACKET_MAX)) =>
                {
                    pos = i + 1;
                    continue;
                }
                Err(PacketError::Incomplete { needed }) => {
                    if eof {
                        self.scanned = i + 1;
                        return Step::Corrupt {
                            at: i,
                            end: buf.len(),
                            error: PacketError::Truncated { needed },
                        };
                    }
                    self.scanned = i;
                    // Report long pending noise now; keep the candidate.
                    if i >= NOISE_FLUSH {
                        return Step::Noise { len: i };
                    }
                    self.wants = buf.len() + needed;
                    return Step::NeedMore;
                }
                Err(_) if in_text => {
                    pos = i + 1;
                    continue;
                }
                Err(error) => {
                    let end = match v2::parse_header(&buf[i..]) {
                        Ok((_, len)) => {
                            // From here to the next good packet the bytes
                            // are damaged binary, not text: UTF-8 tracking
                            // must not hide the next packet's signature.
                            self.binary_until = usize::MAX;
                            (i + len).min(buf.len())
                        }
                        Err(_) => i + 1,
                    };
                    self.scanned = i + 1;
                    return Step::Corrupt { at: i, end, error };
                }
            }
        }
    }

    fn noise_or_wait(&mut self, buf: &[u8], end: usize, eof: bool) -> Step<'static> {
        if end > 0 && (eof || end >= NOISE_FLUSH) {
            return Step::Noise { len: end };
        }
        // A run is reported when it ends (like python-subunit on files);
        // `NOISE_FLUSH` bounds the wait.
        self.wants = buf.len() + 1;
        Step::NeedMore
    }

    /// Must be called after the caller dropped the bytes of a `Packet` or
    /// `Noise` step (`len` bytes, `buf` as passed to `step`).
    #[inline]
    pub(crate) fn consume(&mut self, buf: &[u8], step_was_packet: bool, len: usize) {
        if step_was_packet {
            self.consumed_packet();
        } else {
            self.consumed_noise(buf, len);
        }
    }
}

/// Options for a [`Decoder`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DecoderOptions {
    /// Parse as this format instead of detecting it.
    pub format: Option<Format>,
}

/// The sans-I/O decoder of a whole stream, v1 or v2 (auto-detected).
///
/// Feed it the unconsumed bytes of a stream; it pushes events to a
/// [`Sink`] and says how many bytes it consumed. Drop those bytes, append
/// more input, and feed again; pass `eof = true` with the final bytes.
///
/// ```
/// use refstack_subunit::{Counts, Decoder, Packet, PacketStatus};
///
/// let mut stream = Vec::new();
/// Packet::new(PacketStatus::Success).with_test_id("t").encode(&mut stream)?;
/// let mut counts = Counts::default();
/// let mut decoder = Decoder::new();
/// let used = decoder.feed(&stream, true, &mut counts).unwrap_or_else(|e| match e {});
/// assert_eq!(used, stream.len());
/// assert_eq!(counts.packets, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    format: Option<Format>,
    announced: bool,
    offset: u64,
    v2: V2Scanner,
    v1: V1Parser,
    wants: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder that detects the format.
    pub fn new() -> Self {
        Self::with_options(DecoderOptions::default())
    }

    /// A decoder with options.
    pub fn with_options(options: DecoderOptions) -> Self {
        Self {
            format: options.format,
            announced: false,
            offset: 0,
            v2: V2Scanner::default(),
            v1: V1Parser::default(),
            wants: 1,
        }
    }

    /// A decoder whose first byte is at stream offset `offset` (a decoder
    /// started inside a stream, at a cut): the offsets it reports, and
    /// [`Decoder::offset`], count from there.
    pub fn starting_at(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// The format, once detected (or forced).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Total bytes consumed so far (the stream offset of the next byte
    /// `feed` expects).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How many unconsumed bytes the next `feed` needs to make progress
    /// (a lower bound; exact while a packet is incomplete).
    pub fn wants(&self) -> usize {
        self.wants
    }

    /// True when the decoder rests at a boundary where a new decoder, with
    /// the format forced to [`Decoder::format`] and fed the rest of the
    /// stream, would emit the same packets (status, test id, file content)
    /// as this one: v2 between two packets (nothing scanned or pending);
    /// v1 at the top level (no test open, not inside a details block, no
    /// noise pending). A v1 decoder's `time:` and `tags:` context is the
    /// exception: a new decoder starts without it, so its packets may lack
    /// the timestamp and tags this one would give them.
    ///
    /// With it, a large stream can be cut at a guessed boundary, the parts
    /// parsed in parallel, and the cut checked afterwards: it was a true
    /// boundary if the decoder of the part before it, fed exactly up to the
    /// cut without `eof`, consumed all of it ([`Decoder::offset`]) and is
    /// at a boundary.
    pub fn at_boundary(&self) -> bool {
        match self.format {
            Some(Format::V2) => self.v2.is_fresh(),
            Some(Format::V1) => self.v1.at_rest(),
            None => false,
        }
    }

    /// Parses what it can of `buf` (the unconsumed input: it must start
    /// where the previous call's consumption ended), pushing events to
    /// `sink`. Returns the number of bytes consumed. With `eof`, everything
    /// is consumed and open state (a v1 test in progress) is flushed.
    pub fn feed<S: Sink>(
        &mut self,
        buf: &[u8],
        eof: bool,
        sink: &mut S,
    ) -> Result<usize, S::Error> {
        let format = match self.format {
            Some(f) => f,
            None => match detect(buf, eof) {
                Some(f) => {
                    self.format = Some(f);
                    f
                }
                None => {
                    self.wants = buf.len() + 1;
                    return Ok(0);
                }
            },
        };
        if !self.announced {
            self.announced = true;
            sink.format(format)?;
        }
        let used = match format {
            Format::V2 => self.feed_v2(buf, eof, sink)?,
            Format::V1 => {
                let used = self.v1.feed(buf, self.offset, eof, sink)?;
                self.wants = self.v1.wants(buf.len() - used);
                used
            }
        };
        self.offset += used as u64;
        Ok(used)
    }

    fn feed_v2<S: Sink>(&mut self, buf: &[u8], eof: bool, sink: &mut S) -> Result<usize, S::Error> {
        let mut used = 0usize;
        let base = self.offset;
        loop {
            let rest = &buf[used..];
            // Hot path: packets back to back.
            if rest.first() == Some(&SIGNATURE)
                && self.v2.at_packet_boundary()
                && let Ok((packet, len)) = v2::parse_packet(rest)
            {
                sink.packet(base + used as u64, &packet)?;
                used += len;
                self.v2.consumed_fast_packet();
                continue;
            }
            match self.v2.step(rest, eof) {
                Step::Packet { at, len, packet } => {
                    debug_assert_eq!(at, 0);
                    sink.packet(base + used as u64, &packet)?;
                    used += len;
                    self.v2.consume(rest, true, len);
                }
                Step::Noise { len } => {
                    sink.noise(base + used as u64, &rest[..len])?;
                    self.v2.consume(rest, false, len);
                    used += len;
                }
                Step::Corrupt { at, end, error } => {
                    sink.corrupt(
                        base + (used + at) as u64,
                        &rest[at..end],
                        &Corruption::Packet(error),
                    )?;
                }
                Step::NeedMore => {
                    self.wants = self.v2.wants().max(1);
                    return Ok(used);
                }
            }
        }
    }
}

/// Decides the format from the start of a stream: v2 if a valid packet
/// comes before any v1 directive line, v1 if a directive line (`test:`,
/// `testing:`, `time:`, `tags:`, `progress:`) comes first, v2 (all noise)
/// if neither shows within 64 KiB or before EOF. `None`:
/// undecided, feed more.
pub fn detect(buf: &[u8], eof: bool) -> Option<Format> {
    let limit = buf.len().min(DETECT_LIMIT);
    let window = &buf[..limit];
    let decisive = eof || buf.len() >= DETECT_LIMIT;
    // First CRC-valid packet, or the first candidate we cannot judge yet.
    let mut v2_at = None;
    let mut unknown_from = usize::MAX;
    let mut pos = 0;
    while let Some(k) = memchr::memchr(SIGNATURE, &window[pos..]) {
        let i = pos + k;
        match v2::parse_packet(&buf[i..]) {
            Ok(_) => {
                v2_at = Some(i);
                break;
            }
            Err(PacketError::Incomplete { .. }) if !eof => {
                unknown_from = i;
                break;
            }
            Err(_) => pos = i + 1,
        }
    }
    match (first_v1_line(window, eof), v2_at) {
        (Some(v1), Some(v2)) => Some(if v1 < v2 { Format::V1 } else { Format::V2 }),
        (None, Some(_)) => Some(Format::V2),
        (Some(v1), None) if v1 < unknown_from || decisive => Some(Format::V1),
        (None, None) if decisive => Some(Format::V2),
        _ => None,
    }
}

fn first_v1_line(buf: &[u8], eof: bool) -> Option<usize> {
    let mut start = 0;
    while start < buf.len() {
        let end = match memchr::memchr(b'\n', &buf[start..]) {
            Some(k) => start + k + 1,
            None if eof => buf.len(),
            None => return None,
        };
        if is_v1_directive(&buf[start..end]) {
            return Some(start);
        }
        start = end;
    }
    None
}

fn is_v1_directive(line: &[u8]) -> bool {
    const STARTS: [&[u8]; 5] = [b"test: ", b"testing: ", b"time: ", b"tags: ", b"progress: "];
    STARTS.iter().any(|s| line.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_window_matches_full_decode() {
        let samples: [&[u8]; 6] = [
            "a³-b".as_bytes(),
            "ó".as_bytes(),
            &[0xE0, 0xB3, 0x80, 0xB3],
            &[0xED, 0xB3, 0xB3],
            &[0xF0, 0x90, 0xB3, 0xB3, 0xB3],
            &[0xC0, 0xB3, 0xF4, 0xB3],
        ];
        for s in samples {
            let mut full = Utf8::BOUNDARY;
            for i in 0..=s.len() {
                assert_eq!(Utf8::at(s, i, Utf8::BOUNDARY), full, "{s:x?} at {i}");
                if i < s.len() {
                    full = full.step(s[i]);
                }
            }
        }
        // "³" is C2 B3: the B3 is inside the character.
        assert!(Utf8::at("³".as_bytes(), 1, Utf8::BOUNDARY).continues_with(SIGNATURE));
        assert!(Utf8::at("ó".as_bytes(), 1, Utf8::BOUNDARY).continues_with(SIGNATURE));
        assert!(!Utf8::at("ó".as_bytes(), 2, Utf8::BOUNDARY).continues_with(SIGNATURE));
        // ED only allows 80..9F next: a B3 there starts a packet candidate.
        assert!(!Utf8::at(&[0xED], 1, Utf8::BOUNDARY).continues_with(SIGNATURE));
    }

    #[test]
    fn detection() {
        let mut v2 = b"noise\n".to_vec();
        Packet::new(v2::PacketStatus::Success)
            .with_test_id("x")
            .encode(&mut v2)
            .expect("encodes");
        assert_eq!(detect(&v2, false), Some(Format::V2));
        assert_eq!(
            detect(b"time: 2024-01-01 00:00:00Z\n", false),
            Some(Format::V1)
        );
        assert_eq!(detect(b"time: 2024-01-01", false), None);
        assert_eq!(detect(b"time: 2024-01-01", true), Some(Format::V1));
        assert_eq!(detect(b"hello\n", true), Some(Format::V2));
        assert_eq!(detect(b"", true), Some(Format::V2));
        assert_eq!(detect(&v2[..8], false), None);
    }
}
