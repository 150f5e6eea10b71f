//! A zero-copy iterator over a v2 stream held in memory.

use crate::decode::{Step, V2Scanner};
use crate::v2::{Packet, PacketError};

/// One item of a v2 stream, borrowing the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A packet at a byte offset.
    Packet(u64, Packet<'a>),
    /// A noise run at a byte offset.
    Noise(u64, &'a [u8]),
    /// A rejected candidate (its bytes are also part of a later noise run).
    Corrupt(u64, &'a [u8], PacketError),
}

/// Iterates over the packets, noise runs and rejected candidates of a
/// complete v2 stream in memory, without copying.
///
/// ```
/// use refstack_subunit::{Item, Packet, PacketStatus, Packets};
///
/// let mut stream = b"hello ".to_vec();
/// Packet::new(PacketStatus::Success).with_test_id("t").encode(&mut stream)?;
/// let items: Vec<Item<'_>> = Packets::new(&stream).collect();
/// assert!(matches!(items[0], Item::Noise(0, b"hello ")));
/// assert!(matches!(&items[1], Item::Packet(6, p) if p.test_id == Some("t")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    input: &'a [u8],
    pos: usize,
    scanner: V2Scanner,
}

impl<'a> Packets<'a> {
    /// An iterator over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            scanner: V2Scanner::default(),
        }
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        let rest: &'a [u8] = &self.input[self.pos..];
        let at = self.pos as u64;
        // Hot path: packets back to back.
        if rest.first() == Some(&crate::v2::SIGNATURE)
            && self.scanner.at_packet_boundary()
            && let Ok((packet, len)) = crate::v2::parse_packet(rest)
        {
            self.scanner.consumed_fast_packet();
            self.pos += len;
            return Some(Item::Packet(at, packet));
        }
        match self.scanner.step(rest, true) {
            Step::Packet { len, packet, .. } => {
                self.scanner.consume(rest, true, len);
                self.pos += len;
                Some(Item::Packet(at, packet))
            }
            Step::Noise { len } => {
                self.scanner.consume(rest, false, len);
                self.pos += len;
                Some(Item::Noise(at, &rest[..len]))
            }
            Step::Corrupt { at: c, end, error } => {
                Some(Item::Corrupt(at + c as u64, &rest[c..end], error))
            }
            Step::NeedMore => None,
        }
    }
}
