//! The push-style consumer trait and the events it receives.

use crate::v2::{Packet, PacketError};

/// The two wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The line-oriented text protocol (stestr repository files).
    V1,
    /// The binary packet protocol (`tempest run --subunit`).
    V2,
}

impl Format {
    /// `"v1"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

/// Why some bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// A v2 packet candidate was rejected; the scanner resynchronises one
    /// byte after its signature.
    #[error(transparent)]
    Packet(#[from] PacketError),
    /// A v1 `time:` value that is not an ISO 8601 UTC time the clock can
    /// hold (1970..2106).
    #[error("v1: unparseable time")]
    V1Time,
    /// A v1 `progress:` value that is not a number, `push` or `pop`.
    #[error("v1: unparseable progress")]
    V1Progress,
    /// A v1 multipart detail with a bad part header or chunk length line;
    /// the parser skips to the next part header or `]`.
    #[error("v1: malformed multipart details")]
    V1Multipart,
}

/// A v1 `progress:` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `progress: N` — N tests follow.
    Set(i64),
    /// `progress: +N` / `-N` — adjust the count.
    Cur(i64),
    /// `progress: push`.
    Push,
    /// `progress: pop`.
    Pop,
}

/// Receives what a stream contains, in stream order, as it is parsed.
///
/// Only [`Sink::packet`] is required. Every byte of the input is either in
/// a packet or in a noise run; corrupt candidates are reported in addition
/// (their bytes stay part of the surrounding noise, since the parser
/// resynchronises one byte after a rejected signature), and are reported
/// before the noise run that contains them. Offsets are absolute byte
/// offsets in the stream. A noise run may reach the sink in several
/// adjacent pieces (the reader does not hold noise across its buffer
/// refills); which bytes are noise, and their order, never depend on the
/// read size.
///
/// For v1 input the parser synthesises the v2 packets python-subunit's
/// v1→v2 conversion produces (`test:` → `inprogress`, outcomes → final
/// statuses with the current tags, details → file packets, one per line or
/// chunk); their offset is that of the line they come from.
///
/// Returning an error stops parsing and hands the error back to the caller.
pub trait Sink {
    /// The error that stops parsing.
    type Error;

    /// A packet (v2) or a synthesised event (v1).
    fn packet(&mut self, offset: u64, packet: &Packet<'_>) -> Result<(), Self::Error>;

    /// Bytes that are not subunit (python-subunit reports them as file
    /// `stdout` without a test id; see [`crate::noise_packet`]).
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        let _ = (offset, bytes);
        Ok(())
    }

    /// A rejected packet candidate or malformed v1 construct. `bytes` is the
    /// candidate as far as it was available (the claimed length for v2).
    fn corrupt(
        &mut self,
        offset: u64,
        bytes: &[u8],
        error: &Corruption,
    ) -> Result<(), Self::Error> {
        let _ = (offset, bytes, error);
        Ok(())
    }

    /// The detected (or forced) format, once, before any other event.
    fn format(&mut self, format: Format) -> Result<(), Self::Error> {
        let _ = format;
        Ok(())
    }

    /// A v1 `progress:` directive.
    fn progress(&mut self, offset: u64, progress: Progress) -> Result<(), Self::Error> {
        let _ = (offset, progress);
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;
    fn packet(&mut self, offset: u64, packet: &Packet<'_>) -> Result<(), Self::Error> {
        (**self).packet(offset, packet)
    }
    fn noise(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        (**self).noise(offset, bytes)
    }
    fn corrupt(
        &mut self,
        offset: u64,
        bytes: &[u8],
        error: &Corruption,
    ) -> Result<(), Self::Error> {
        (**self).corrupt(offset, bytes, error)
    }
    fn format(&mut self, format: Format) -> Result<(), Self::Error> {
        (**self).format(format)
    }
    fn progress(&mut self, offset: u64, progress: Progress) -> Result<(), Self::Error> {
        (**self).progress(offset, progress)
    }
}

/// The packet python-subunit makes of a noise run
/// (`ByteStreamToStreamResult(non_subunit_name="stdout")`): file `stdout`,
/// no test id, no MIME type, no EOF, runnable.
pub fn noise_packet(bytes: &[u8]) -> Packet<'_> {
    Packet::new(crate::v2::PacketStatus::Undefined).with_file("stdout", bytes)
}

/// A sink that counts everything; what the `stats` example reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Packets (v2) or synthesised events (v1).
    pub packets: u64,
    /// Noise runs.
    pub noise_runs: u64,
    /// Bytes in noise runs.
    pub noise_bytes: u64,
    /// Rejected candidates.
    pub corrupt: u64,
}

impl Sink for Counts {
    type Error = std::convert::Infallible;
    fn packet(&mut self, _: u64, _: &Packet<'_>) -> Result<(), Self::Error> {
        self.packets += 1;
        Ok(())
    }
    fn noise(&mut self, _: u64, bytes: &[u8]) -> Result<(), Self::Error> {
        self.noise_runs += 1;
        self.noise_bytes += bytes.len() as u64;
        Ok(())
    }
    fn corrupt(&mut self, _: u64, _: &[u8], _: &Corruption) -> Result<(), Self::Error> {
        self.corrupt += 1;
        Ok(())
    }
}
