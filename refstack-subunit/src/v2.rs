//! Subunit v2 binary packets: the zero-copy [`Packet`], its parser
//! [`parse_packet`] and its encoder [`Packet::encode`].
//!
//! Wire layout (all integers big-endian):
//!
//! ```text
//! 0xB3 FLAGS:u16 LENGTH:varint [TIMESTAMP] [TESTID] [TAGS] [MIME] [FILE] [ROUTE] CRC32:u32
//! ```
//!
//! `LENGTH` counts the whole packet, signature and CRC included. The CRC-32
//! (zlib polynomial) covers every byte before it.

use std::fmt;

use nom::{IResult, Parser};

/// The first byte of every v2 packet.
pub const SIGNATURE: u8 = 0xB3;

/// The largest packet the protocol allows: a 3-byte varint length,
/// 2^22 − 1 bytes.
pub const MAX_PACKET_LEN: usize = (1 << 22) - 1;

/// The smallest legal packet: signature, flags, 1-byte length, CRC.
pub const MIN_PACKET_LEN: usize = 8;

/// The largest value a varint can carry (4-byte form, 2^30 − 1).
pub const MAX_VARINT: u32 = (1 << 30) - 1;

const FLAG_VERSION_MASK: u16 = 0xF000;
const FLAG_VERSION_2: u16 = 0x2000;
const FLAG_TEST_ID: u16 = 0x0800;
const FLAG_ROUTE_CODE: u16 = 0x0400;
const FLAG_TIMESTAMP: u16 = 0x0200;
const FLAG_RUNNABLE: u16 = 0x0100;
const FLAG_TAGS: u16 = 0x0080;
const FLAG_FILE_CONTENT: u16 = 0x0040;
const FLAG_MIME_TYPE: u16 = 0x0020;
const FLAG_EOF: u16 = 0x0010;
const FLAG_RESERVED: u16 = 0x0008;
const FLAG_STATUS_MASK: u16 = 0x0007;

/// The test status carried in the low three flag bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PacketStatus {
    /// No status (file-only packets); Python's `None`.
    #[default]
    Undefined,
    /// The test exists (enumeration).
    Exists,
    /// The test has started.
    InProgress,
    /// The test passed.
    Success,
    /// The test passed although it was expected to fail.
    UnexpectedSuccess,
    /// The test was skipped.
    Skip,
    /// The test failed.
    Fail,
    /// The test failed as expected.
    ExpectedFail,
}

impl PacketStatus {
    /// Decodes the three status bits.
    pub fn from_bits(bits: u16) -> Self {
        match bits & FLAG_STATUS_MASK {
            0 => Self::Undefined,
            1 => Self::Exists,
            2 => Self::InProgress,
            3 => Self::Success,
            4 => Self::UnexpectedSuccess,
            5 => Self::Skip,
            6 => Self::Fail,
            _ => Self::ExpectedFail,
        }
    }

    /// The three status bits.
    pub fn bits(self) -> u16 {
        match self {
            Self::Undefined => 0,
            Self::Exists => 1,
            Self::InProgress => 2,
            Self::Success => 3,
            Self::UnexpectedSuccess => 4,
            Self::Skip => 5,
            Self::Fail => 6,
            Self::ExpectedFail => 7,
        }
    }

    /// The name python-subunit uses (`None` is `"none"` here).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undefined => "none",
            Self::Exists => "exists",
            Self::InProgress => "inprogress",
            Self::Success => "success",
            Self::UnexpectedSuccess => "uxsuccess",
            Self::Skip => "skip",
            Self::Fail => "fail",
            Self::ExpectedFail => "xfail",
        }
    }

    /// True for `Undefined` and `InProgress`: statuses that do not end a
    /// test.
    pub fn is_interim(self) -> bool {
        matches!(self, Self::Undefined | Self::InProgress)
    }
}

/// A packet timestamp: seconds since the Unix epoch (UTC) and nanoseconds,
/// exactly as on the wire (nanoseconds are not range-checked, like every
/// other implementation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: u32,
    /// Nanoseconds (a varint on the wire; at most 2^30 − 1).
    pub nanos: u32,
}

impl Timestamp {
    /// A timestamp from seconds and nanoseconds.
    pub fn new(secs: u32, nanos: u32) -> Self {
        Self { secs, nanos }
    }

    /// The current time (saturating outside 1970..2106).
    pub fn now() -> Self {
        Self::from_system_time(std::time::SystemTime::now())
    }

    /// Converts a [`std::time::SystemTime`], saturating outside the u32
    /// seconds range.
    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => match u32::try_from(d.as_secs()) {
                Ok(secs) => Self::new(secs, d.subsec_nanos()),
                Err(_) => Self::new(u32::MAX, 999_999_999),
            },
            Err(_) => Self::new(0, 0),
        }
    }

    /// Seconds since the epoch as a float.
    pub fn as_secs_f64(self) -> f64 {
        f64::from(self.secs) + f64::from(self.nanos) / 1e9
    }

    /// Nanoseconds since the epoch.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// `later − self`, or `None` when `later` is earlier.
    pub fn duration_until(self, later: Timestamp) -> Option<std::time::Duration> {
        let d = later.as_nanos() - self.as_nanos();
        u64::try_from(d).ok().map(std::time::Duration::from_nanos)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with microseconds, like python-subunit prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = i64::from(self.secs / 86_400);
        let rem = self.secs % 86_400;
        let (y, m, d) = crate::time::civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            rem / 3600,
            rem / 60 % 60,
            rem % 60,
            self.nanos / 1000
        )
    }
}

/// The tag set of a packet: either still in wire form (decoded lazily, no
/// allocation) or a list of strings (when encoding, or from v1 streams).
#[derive(Clone, Copy)]
pub struct Tags<'a>(TagsRepr<'a>);

#[derive(Clone, Copy)]
enum TagsRepr<'a> {
    /// `count` validated strings, varint-length-prefixed.
    Wire {
        count: u32,
        bytes: &'a [u8],
    },
    Strs(&'a [&'a str]),
    Strings(&'a [String]),
}

impl<'a> Tags<'a> {
    /// Tags from a list of string slices.
    pub fn from_strs(tags: &'a [&'a str]) -> Self {
        Self(TagsRepr::Strs(tags))
    }

    /// Tags from a list of owned strings.
    pub fn from_strings(tags: &'a [String]) -> Self {
        Self(TagsRepr::Strings(tags))
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        match self.0 {
            TagsRepr::Wire { count, .. } => count as usize,
            TagsRepr::Strs(s) => s.len(),
            TagsRepr::Strings(s) => s.len(),
        }
    }

    /// True when there is no tag.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the tags in wire order.
    pub fn iter(&self) -> TagsIter<'a> {
        TagsIter {
            repr: self.0,
            index: 0,
        }
    }
}

impl<'a> IntoIterator for Tags<'a> {
    type Item = &'a str;
    type IntoIter = TagsIter<'a>;
    fn into_iter(self) -> TagsIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for Tags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Tags<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Tags<'_> {}

/// Iterator over [`Tags`].
#[derive(Clone)]
pub struct TagsIter<'a> {
    repr: TagsRepr<'a>,
    index: usize,
}

impl<'a> Iterator for TagsIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.repr {
            TagsRepr::Wire { count, bytes } => {
                if *count == 0 {
                    return None;
                }
                // The parser validated every string already; a failure here
                // cannot happen, and ends the iteration if it did.
                let (len, n) = read_varint(bytes)?;
                let s = bytes.get(n..n + len as usize)?;
                *bytes = &bytes[n + len as usize..];
                *count -= 1;
                std::str::from_utf8(s).ok()
            }
            TagsRepr::Strs(s) => {
                let t = s.get(self.index)?;
                self.index += 1;
                Some(t)
            }
            TagsRepr::Strings(s) => {
                let t = s.get(self.index)?;
                self.index += 1;
                Some(t.as_str())
            }
        }
    }
}

/// File content carried by a packet: one chunk of the named file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileContent<'a> {
    /// The file name (`traceback`, `reason`, `stdout`, ...).
    pub name: &'a str,
    /// This chunk's bytes.
    pub content: &'a [u8],
}

/// One v2 packet, borrowing every string and byte from the input.
///
/// Build one with [`Packet::new`] and the `with_*` methods to encode it;
/// parse one with [`parse_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Packet<'a> {
    /// The test status.
    pub status: PacketStatus,
    /// The runnable flag (python-subunit sets it on every packet it writes).
    pub runnable: bool,
    /// The end-of-file flag for `file`.
    pub eof: bool,
    /// When the event happened.
    pub timestamp: Option<Timestamp>,
    /// The test id.
    pub test_id: Option<&'a str>,
    /// Tags (a set: order has no meaning).
    pub tags: Option<Tags<'a>>,
    /// MIME type of `file`.
    pub mime_type: Option<&'a str>,
    /// A chunk of an attachment or of stdout.
    pub file: Option<FileContent<'a>>,
    /// The route code (`0`, `0/3`, ...).
    pub route_code: Option<&'a str>,
}

impl<'a> Packet<'a> {
    /// A packet with `status`, runnable set (as python-subunit writes), and
    /// nothing else.
    pub fn new(status: PacketStatus) -> Self {
        Self {
            status,
            runnable: true,
            ..Self::default()
        }
    }

    /// Sets the test id.
    pub fn with_test_id(mut self, id: &'a str) -> Self {
        self.test_id = Some(id);
        self
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, ts: Timestamp) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// Sets the tags.
    pub fn with_tags(mut self, tags: &'a [&'a str]) -> Self {
        self.tags = Some(Tags::from_strs(tags));
        self
    }

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime: &'a str) -> Self {
        self.mime_type = Some(mime);
        self
    }

    /// Sets a file chunk.
    pub fn with_file(mut self, name: &'a str, content: &'a [u8]) -> Self {
        self.file = Some(FileContent { name, content });
        self
    }

    /// Sets the EOF flag.
    pub fn with_eof(mut self, eof: bool) -> Self {
        self.eof = eof;
        self
    }

    /// Sets the route code.
    pub fn with_route_code(mut self, route: &'a str) -> Self {
        self.route_code = Some(route);
        self
    }

    /// Sets the runnable flag.
    pub fn with_runnable(mut self, runnable: bool) -> Self {
        self.runnable = runnable;
        self
    }

    /// The 16-bit flags word this packet encodes to.
    pub fn flags(&self) -> u16 {
        let mut f = FLAG_VERSION_2 | self.status.bits();
        let set = |f: &mut u16, on: bool, bit: u16| {
            if on {
                *f |= bit;
            }
        };
        set(&mut f, self.test_id.is_some(), FLAG_TEST_ID);
        set(&mut f, self.route_code.is_some(), FLAG_ROUTE_CODE);
        set(&mut f, self.timestamp.is_some(), FLAG_TIMESTAMP);
        set(&mut f, self.runnable, FLAG_RUNNABLE);
        set(&mut f, self.tags.is_some(), FLAG_TAGS);
        set(&mut f, self.file.is_some(), FLAG_FILE_CONTENT);
        set(&mut f, self.mime_type.is_some(), FLAG_MIME_TYPE);
        set(&mut f, self.eof, FLAG_EOF);
        f
    }

    /// Appends the encoded packet (shortest varints, CRC-32) to `out` and
    /// returns its length. On error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        // Body size, without signature, flags, length field and CRC.
        let mut body = 0usize;
        if let Some(ts) = self.timestamp {
            body += 4 + varint_len(ts.nanos, Field::Timestamp)?;
        }
        let str_len = |s: &str, field: Field| -> Result<usize, EncodeError> {
            let n = u32::try_from(s.len()).map_err(|_| EncodeError::TooLong { field })?;
            if s.as_bytes().contains(&0) {
                return Err(EncodeError::Nul { field });
            }
            Ok(varint_len(n, field)? + s.len())
        };
        if let Some(id) = self.test_id {
            body += str_len(id, Field::TestId)?;
        }
        if let Some(tags) = &self.tags {
            let n = u32::try_from(tags.len())
                .map_err(|_| EncodeError::TooLong { field: Field::Tags })?;
            body += varint_len(n, Field::Tags)?;
            for t in tags.iter() {
                body += str_len(t, Field::Tags)?;
            }
        }
        if let Some(m) = self.mime_type {
            body += str_len(m, Field::MimeType)?;
        }
        if let Some(file) = &self.file {
            body += str_len(file.name, Field::FileName)?;
            let n = u32::try_from(file.content.len()).map_err(|_| EncodeError::TooLong {
                field: Field::FileContent,
            })?;
            body += varint_len(n, Field::FileContent)? + file.content.len();
        }
        if let Some(r) = self.route_code {
            body += str_len(r, Field::RouteCode)?;
        }
        // signature + flags + body + CRC, then the length field itself.
        let base = 1 + 2 + body + 4;
        let total = if base < 0x3F {
            base + 1
        } else if base + 2 <= 0x3FFF {
            base + 2
        } else if base + 3 <= MAX_PACKET_LEN {
            base + 3
        } else {
            return Err(EncodeError::PacketTooLong { length: base + 3 });
        };
        let start = out.len();
        out.reserve(total);
        out.push(SIGNATURE);
        out.extend_from_slice(&self.flags().to_be_bytes());
        // total <= MAX_PACKET_LEN < 2^22: the cast cannot truncate.
        write_varint(out, total as u32);
        if let Some(ts) = self.timestamp {
            out.extend_from_slice(&ts.secs.to_be_bytes());
            write_varint(out, ts.nanos);
        }
        let put_str = |out: &mut Vec<u8>, s: &str| {
            write_varint(out, s.len() as u32);
            out.extend_from_slice(s.as_bytes());
        };
        if let Some(id) = self.test_id {
            put_str(out, id);
        }
        if let Some(tags) = &self.tags {
            write_varint(out, tags.len() as u32);
            for t in tags.iter() {
                put_str(out, t);
            }
        }
        if let Some(m) = self.mime_type {
            put_str(out, m);
        }
        if let Some(file) = &self.file {
            put_str(out, file.name);
            write_varint(out, file.content.len() as u32);
            out.extend_from_slice(file.content);
        }
        if let Some(r) = self.route_code {
            put_str(out, r);
        }
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
        debug_assert_eq!(out.len() - start, total);
        Ok(total)
    }

    /// Encodes and writes the packet to `w`.
    pub fn write_to<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<usize> {
        let mut buf = Vec::new();
        let n = self
            .encode(&mut buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        w.write_all(&buf)?;
        Ok(n)
    }
}

/// A packet field, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The length varint.
    Length,
    /// The timestamp.
    Timestamp,
    /// The test id.
    TestId,
    /// The tag list.
    Tags,
    /// The MIME type.
    MimeType,
    /// The file name.
    FileName,
    /// The file content.
    FileContent,
    /// The route code.
    RouteCode,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "length",
            Self::Timestamp => "timestamp",
            Self::TestId => "test id",
            Self::Tags => "tags",
            Self::MimeType => "MIME type",
            Self::FileName => "file name",
            Self::FileContent => "file content",
            Self::RouteCode => "route code",
        })
    }
}

/// Why bytes at a packet signature are not a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// More input is needed to decide; `needed` bytes at least.
    #[error("incomplete packet: {needed} more bytes needed")]
    Incomplete {
        /// How many more bytes are needed.
        needed: usize,
    },
    /// The stream ended inside the packet.
    #[error("stream ends inside the packet: {needed} more bytes needed")]
    Truncated {
        /// How many bytes are missing.
        needed: usize,
    },
    /// The first byte is not 0xB3.
    #[error("no packet signature (0xB3)")]
    Signature,
    /// The version nibble is not 2.
    #[error("unsupported version {version}")]
    Version {
        /// The version nibble found.
        version: u8,
    },
    /// Flag bit 3, reserved in version 2, is set.
    #[error("reserved flag bit 0x0008 set")]
    Reserved,
    /// The length uses the 4-byte varint form (beyond the 4 MiB limit).
    #[error("packet length {length} uses the 4-byte form (limit {MAX_PACKET_LEN})")]
    LengthTooLong {
        /// The length claimed.
        length: u32,
    },
    /// The length is smaller than the header plus CRC.
    #[error("packet length {length} is shorter than its header and CRC")]
    LengthTooShort {
        /// The length claimed.
        length: u32,
    },
    /// The CRC does not match.
    #[error("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Crc {
        /// The CRC stored in the packet.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// A field runs past the CRC.
    #[error("{field} overruns the packet")]
    Overrun {
        /// The field.
        field: Field,
    },
    /// A string field is not UTF-8.
    #[error("{field} is not valid UTF-8")]
    Utf8 {
        /// The field.
        field: Field,
    },
    /// A string field contains a NUL byte.
    #[error("{field} contains a NUL byte")]
    Nul {
        /// The field.
        field: Field,
    },
    /// Bytes remain between the last field and the CRC.
    #[error("{extra} unused bytes before the CRC")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

/// Why a packet cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet would exceed [`MAX_PACKET_LEN`]; split the file content.
    #[error("packet of {length} bytes exceeds the {MAX_PACKET_LEN}-byte limit")]
    PacketTooLong {
        /// The length it would have.
        length: usize,
    },
    /// A number does not fit a varint.
    #[error("{field} is too long for a varint")]
    TooLong {
        /// The field.
        field: Field,
    },
    /// A string contains NUL, which the protocol forbids.
    #[error("{field} contains a NUL byte")]
    Nul {
        /// The field.
        field: Field,
    },
}

fn varint_len(v: u32, field: Field) -> Result<usize, EncodeError> {
    match v {
        0..=0x3F => Ok(1),
        0x40..=0x3FFF => Ok(2),
        0x4000..=0x3F_FFFF => Ok(3),
        0x40_0000..=MAX_VARINT => Ok(4),
        _ => Err(EncodeError::TooLong { field }),
    }
}

/// Writes `v` (≤ [`MAX_VARINT`]) in the shortest form.
fn write_varint(out: &mut Vec<u8>, v: u32) {
    match v {
        0..=0x3F => out.push(v as u8),
        0x40..=0x3FFF => out.extend_from_slice(&((v as u16) | 0x4000).to_be_bytes()),
        0x4000..=0x3F_FFFF => {
            let b = (v | 0x80_0000).to_be_bytes();
            out.extend_from_slice(&b[1..]);
        }
        _ => out.extend_from_slice(&((v & MAX_VARINT) | 0xC000_0000).to_be_bytes()),
    }
}

/// Reads a varint from a complete slice: `(value, bytes used)`.
#[inline]
fn read_varint(b: &[u8]) -> Option<(u32, usize)> {
    let b0 = *b.first()?;
    let n = usize::from(b0 >> 6) + 1;
    let bytes = b.get(..n)?;
    let mut v = u32::from(b0 & 0x3F);
    for &x in &bytes[1..] {
        v = (v << 8) | u32::from(x);
    }
    Some((v, n))
}

/// nom streaming parser of a varint: `(value, bytes used)`.
fn varint_streaming(input: &[u8]) -> IResult<&[u8], (u32, usize)> {
    let (_, b0) = nom::number::streaming::be_u8(input)?;
    let n = usize::from(b0 >> 6) + 1;
    let (rest, bytes) = nom::bytes::streaming::take(n).parse(input)?;
    let mut v = u32::from(b0 & 0x3F);
    for &x in &bytes[1..] {
        v = (v << 8) | u32::from(x);
    }
    Ok((rest, (v, n)))
}

/// nom streaming parser of the packet header: `(flags, length, header
/// size)`. An incomplete header reports exactly how many bytes are missing.
fn header_streaming(input: &[u8]) -> IResult<&[u8], (u16, u32, usize)> {
    let (rest, _) = nom::bytes::streaming::tag(&[SIGNATURE][..]).parse(input)?;
    let (rest, flags) = nom::number::streaming::be_u16(rest)?;
    let (rest, (length, n)) = varint_streaming(rest)?;
    Ok((rest, (flags, length, 3 + n)))
}

/// Parses the header only: `(flags, length)`; validates version, reserved
/// bit and the length bounds.
#[inline]
pub fn parse_header(input: &[u8]) -> Result<(u16, usize), PacketError> {
    // Complete headers (the hot path) are read directly; nom's streaming
    // parser handles partial ones and says how many bytes are missing.
    let (flags, length, header) = if let [SIGNATURE, f0, f1, l0, rest @ ..] = input
        && rest.len() >= usize::from(l0 >> 6)
    {
        let mut length = u32::from(l0 & 0x3F);
        let n = usize::from(l0 >> 6);
        for &b in &rest[..n] {
            length = (length << 8) | u32::from(b);
        }
        (u16::from_be_bytes([*f0, *f1]), length, 4 + n)
    } else {
        header_nom(input)?
    };
    validate_header(flags, length, header)
}

fn header_nom(input: &[u8]) -> Result<(u16, u32, usize), PacketError> {
    match header_streaming(input) {
        Err(nom::Err::Incomplete(needed)) => {
            let needed = match needed {
                nom::Needed::Size(n) => n.get(),
                nom::Needed::Unknown => 1,
            };
            Err(PacketError::Incomplete { needed })
        }
        Err(_) => Err(PacketError::Signature),
        Ok((_, h)) => Ok(h),
    }
}

#[inline]
fn validate_header(flags: u16, length: u32, header: usize) -> Result<(u16, usize), PacketError> {
    if flags & FLAG_VERSION_MASK != FLAG_VERSION_2 {
        return Err(PacketError::Version {
            version: (flags >> 12) as u8,
        });
    }
    if flags & FLAG_RESERVED != 0 {
        return Err(PacketError::Reserved);
    }
    if header == 7 {
        return Err(PacketError::LengthTooLong { length });
    }
    let len = length as usize;
    if len < header + 4 {
        return Err(PacketError::LengthTooShort { length });
    }
    Ok((flags, len))
}

/// Parses one packet at the start of `input`.
///
/// Returns the packet and its length in bytes. `Err(Incomplete)` says how
/// many more bytes are needed (exactly, once the header is complete); every
/// other error rejects the candidate.
pub fn parse_packet(input: &[u8]) -> Result<(Packet<'_>, usize), PacketError> {
    let (flags, len) = parse_header(input)?;
    let header = 3 + usize::from(input[3] >> 6) + 1;
    if input.len() < len {
        // Reject junk early when the fields already present are
        // inconsistent; only a field running past the available bytes
        // means "wait".
        let body_end = input.len().min(len - 4);
        if header <= body_end {
            match parse_body(flags, &input[header..body_end]) {
                Err(PacketError::Overrun { .. }) => {}
                Err(e) => return Err(e),
                Ok(_) if body_end < len - 4 => {
                    return Err(PacketError::TrailingBytes {
                        extra: len - 4 - body_end,
                    });
                }
                Ok(_) => {}
            }
        }
        return Err(PacketError::Incomplete {
            needed: len - input.len(),
        });
    }
    let pkt = &input[..len];
    let (data, crc_bytes) = pkt.split_at(len - 4);
    // Structure first: it is cheap on junk (a corrupt candidate claiming
    // 4 MiB rarely has consistent fields), so rejected candidates rarely
    // cost a CRC over their claimed length.
    let packet = parse_body(flags, &data[header..])?;
    let stored = u32::from_be_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    let computed = crc32fast::hash(data);
    if stored != computed {
        return Err(PacketError::Crc { stored, computed });
    }
    Ok((packet, len))
}

/// Parses a packet already checked by [`parse_packet`] (`input` is exactly
/// the packet), without checking the CRC again.
pub(crate) fn parse_verified(input: &[u8]) -> Result<Packet<'_>, PacketError> {
    let (flags, len) = parse_header(input)?;
    if input.len() != len {
        return Err(PacketError::Incomplete { needed: 1 });
    }
    let header = 3 + usize::from(input[3] >> 6) + 1;
    parse_body(flags, &input[header..len - 4])
}

/// Cursor over the exact body slice (complete mode).
struct Body<'a> {
    rest: &'a [u8],
}

impl<'a> Body<'a> {
    #[inline]
    fn varint(&mut self, field: Field) -> Result<u32, PacketError> {
        let (v, n) = read_varint(self.rest).ok_or(PacketError::Overrun { field })?;
        self.rest = &self.rest[n..];
        Ok(v)
    }

    #[inline]
    fn bytes(&mut self, n: usize, field: Field) -> Result<&'a [u8], PacketError> {
        if self.rest.len() < n {
            return Err(PacketError::Overrun { field });
        }
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }

    #[inline]
    fn string(&mut self, field: Field) -> Result<&'a str, PacketError> {
        let n = self.varint(field)? as usize;
        let b = self.bytes(n, field)?;
        let s = std::str::from_utf8(b).map_err(|_| PacketError::Utf8 { field })?;
        if memchr::memchr(0, b).is_some() {
            return Err(PacketError::Nul { field });
        }
        Ok(s)
    }
}

#[inline]
fn parse_body(flags: u16, body: &[u8]) -> Result<Packet<'_>, PacketError> {
    let mut c = Body { rest: body };
    let mut p = Packet {
        status: PacketStatus::from_bits(flags),
        runnable: flags & FLAG_RUNNABLE != 0,
        eof: flags & FLAG_EOF != 0,
        ..Packet::default()
    };
    if flags & FLAG_TIMESTAMP != 0 {
        let s = c.bytes(4, Field::Timestamp)?;
        let secs = u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
        let nanos = c.varint(Field::Timestamp)?;
        p.timestamp = Some(Timestamp { secs, nanos });
    }
    if flags & FLAG_TEST_ID != 0 {
        p.test_id = Some(c.string(Field::TestId)?);
    }
    if flags & FLAG_TAGS != 0 {
        let count = c.varint(Field::Tags)?;
        let start = c.rest;
        for _ in 0..count {
            c.string(Field::Tags)?;
        }
        let used = start.len() - c.rest.len();
        p.tags = Some(Tags(TagsRepr::Wire {
            count,
            bytes: &start[..used],
        }));
    }
    if flags & FLAG_MIME_TYPE != 0 {
        p.mime_type = Some(c.string(Field::MimeType)?);
    }
    if flags & FLAG_FILE_CONTENT != 0 {
        let name = c.string(Field::FileName)?;
        let n = c.varint(Field::FileContent)? as usize;
        let content = c.bytes(n, Field::FileContent)?;
        p.file = Some(FileContent { name, content });
    }
    if flags & FLAG_ROUTE_CODE != 0 {
        p.route_code = Some(c.string(Field::RouteCode)?);
    }
    if !c.rest.is_empty() {
        return Err(PacketError::TrailingBytes {
            extra: c.rest.len(),
        });
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_enumeration() {
        let bytes = [
            0xb3, 0x29, 0x01, 0x0c, 0x03, b'f', b'o', b'o', 0x08, 0x55, 0x5f, 0x1b,
        ];
        let (p, n) = parse_packet(&bytes).expect("spec packet parses");
        assert_eq!(n, 12);
        assert_eq!(p.status, PacketStatus::Exists);
        assert_eq!(p.test_id, Some("foo"));
        assert!(p.runnable);
        let mut out = Vec::new();
        assert_eq!(p.encode(&mut out), Ok(12));
        assert_eq!(out, bytes);
    }

    #[test]
    fn spec_example_timestamp() {
        let bytes = [
            0xb3, 0x2b, 0x03, 0x12, 0x65, 0x92, 0x00, 0x80, 0xc7, 0x5b, 0xca, 0x00, 0x01, b't',
            0x1f, 0xda, 0xb9, 0x48,
        ];
        let (p, _) = parse_packet(&bytes).expect("parses");
        assert_eq!(p.status, PacketStatus::Success);
        assert_eq!(p.timestamp, Some(Timestamp::new(0x6592_0080, 123_456_000)));
        assert_eq!(
            p.timestamp.map(|t| t.to_string()),
            Some("2024-01-01T00:00:00.123456Z".to_string())
        );
        let mut out = Vec::new();
        p.encode(&mut out).expect("encodes");
        assert_eq!(out, bytes);
    }

    #[test]
    fn incomplete_header_says_how_much() {
        let bytes = [
            0xb3, 0x29, 0x01, 0x0c, 0x03, b'f', b'o', b'o', 0x08, 0x55, 0x5f, 0x1b,
        ];
        assert_eq!(
            parse_packet(&bytes[..1]),
            Err(PacketError::Incomplete { needed: 2 })
        );
        assert_eq!(
            parse_packet(&bytes[..3]),
            Err(PacketError::Incomplete { needed: 1 })
        );
        assert_eq!(
            parse_packet(&bytes[..5]),
            Err(PacketError::Incomplete { needed: 7 })
        );
        // 3-byte length form with only its first byte present.
        assert_eq!(
            parse_packet(&[0xb3, 0x20, 0x00, 0x80]),
            Err(PacketError::Incomplete { needed: 2 })
        );
    }

    #[test]
    fn rejections() {
        let good = [
            0xb3, 0x29, 0x01, 0x0c, 0x03, b'f', b'o', b'o', 0x08, 0x55, 0x5f, 0x1b,
        ];
        let mut bad = good;
        bad[6] ^= 1;
        assert!(matches!(parse_packet(&bad), Err(PacketError::Crc { .. })));
        let mut bad = good;
        bad[9] ^= 1;
        assert!(matches!(parse_packet(&bad), Err(PacketError::Crc { .. })));
        let mut v3 = good;
        v3[1] = 0x39;
        assert_eq!(parse_packet(&v3), Err(PacketError::Version { version: 3 }));
        let mut r = good;
        r[2] |= 0x08;
        assert_eq!(parse_packet(&r), Err(PacketError::Reserved));
        assert_eq!(
            parse_packet(&[0xb3, 0x20, 0x00, 0x05, 0, 0, 0, 0]),
            Err(PacketError::LengthTooShort { length: 5 })
        );
        assert_eq!(
            parse_packet(&[0xb3, 0x20, 0x00, 0xc0, 0, 0, 0x10]),
            Err(PacketError::LengthTooLong { length: 16 })
        );
        assert_eq!(parse_packet(&[0x00]), Err(PacketError::Signature));
    }

    #[test]
    fn nul_and_utf8_and_trailing_are_rejected() {
        let enc = |id: &str| {
            let mut out = Vec::new();
            Packet::new(PacketStatus::Success)
                .with_test_id(id)
                .encode(&mut out)
                .expect("encodes");
            out
        };
        // Patch the test id bytes and fix the CRC so only the field check fails.
        let fix_crc = |b: &mut Vec<u8>| {
            let n = b.len();
            let crc = crc32fast::hash(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_be_bytes());
        };
        let mut b = enc("ab");
        b[5] = 0;
        fix_crc(&mut b);
        assert_eq!(
            parse_packet(&b),
            Err(PacketError::Nul {
                field: Field::TestId
            })
        );
        let mut b = enc("ab");
        b[5] = 0xff;
        fix_crc(&mut b);
        assert_eq!(
            parse_packet(&b),
            Err(PacketError::Utf8 {
                field: Field::TestId
            })
        );
        let mut b = enc("ab");
        b[4] = 1; // id length 1, one byte left over
        fix_crc(&mut b);
        assert_eq!(
            parse_packet(&b),
            Err(PacketError::TrailingBytes { extra: 1 })
        );
    }

    #[test]
    fn varint_forms() {
        for v in [0, 63, 64, 16383, 16384, 0x3F_FFFF, 0x40_0000, MAX_VARINT] {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            assert_eq!(read_varint(&out), Some((v, out.len())));
            assert_eq!(varint_len(v, Field::Length), Ok(out.len()));
        }
        // Non-canonical forms are accepted by readers.
        assert_eq!(read_varint(&[0x40, 13]), Some((13, 2)));
    }

    #[test]
    fn length_boundaries_encode_shortest() {
        for content_len in 0..200usize {
            let content = vec![b'x'; content_len];
            let mut out = Vec::new();
            let n = Packet::new(PacketStatus::Undefined)
                .with_file("f", &content)
                .encode(&mut out)
                .expect("encodes");
            let (p, m) = parse_packet(&out).expect("parses");
            assert_eq!(n, m);
            assert_eq!(p.file.map(|f| f.content.len()), Some(content_len));
            let len_field = usize::from(out[3] >> 6) + 1;
            let shortest = if n < 64 { 1 } else { 2 };
            assert_eq!(len_field, shortest, "content {content_len}");
        }
    }

    #[test]
    fn too_long_is_an_error() {
        let content = vec![0u8; MAX_PACKET_LEN];
        let mut out = Vec::new();
        let r = Packet::new(PacketStatus::Undefined)
            .with_file("f", &content)
            .encode(&mut out);
        assert!(matches!(r, Err(EncodeError::PacketTooLong { .. })));
        assert!(out.is_empty());
        // The largest possible packet encodes and parses.
        let room = MAX_PACKET_LEN - (1 + 2 + 3 + 2 + 3 + 4);
        let content = vec![7u8; room];
        let n = Packet::new(PacketStatus::Undefined)
            .with_file("f", &content)
            .encode(&mut out)
            .expect("fits");
        assert_eq!(n, MAX_PACKET_LEN);
        assert!(parse_packet(&out).is_ok());
    }
}
