//! Helpers: encoding fixtures and collecting events.

use refstack_subunit::{Collect, DecoderOptions, Event, Packet, PacketStatus, Reader, Timestamp};

/// Encodes packets into one stream.
pub(crate) fn encode(packets: &[Packet<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        p.encode(&mut out).expect("fixture packet encodes");
    }
    out
}

/// A tempest-like test: inprogress, optional traceback, final status.
pub(crate) fn test_packets<'a>(
    id: &'a str,
    status: PacketStatus,
    t: u32,
    tags: &'a [&'a str],
    traceback: Option<&'a [u8]>,
) -> Vec<Packet<'a>> {
    let mut v = vec![
        Packet::new(PacketStatus::InProgress)
            .with_test_id(id)
            .with_timestamp(Timestamp::new(t, 0)),
    ];
    if let Some(tb) = traceback {
        v.push(
            Packet::new(PacketStatus::Undefined)
                .with_test_id(id)
                .with_timestamp(Timestamp::new(t, 500))
                .with_mime_type("text/x-traceback; charset=\"utf8\"")
                .with_file("traceback", tb)
                .with_eof(true),
        );
    }
    v.push(
        Packet::new(status)
            .with_test_id(id)
            .with_timestamp(Timestamp::new(t + 1, 250_000_000))
            .with_tags(tags),
    );
    v
}

/// All events of `bytes`, read through a `Reader` with `read_size`.
pub(crate) fn events(bytes: &[u8], read_size: usize) -> Vec<Event> {
    let mut sink = Collect::default();
    Reader::with_options(bytes, DecoderOptions::default(), read_size)
        .run(&mut sink)
        .expect("reading a slice does not fail");
    sink.events.into_iter().collect()
}

/// Only the packets.
pub(crate) fn packets(events: &[Event]) -> Vec<refstack_subunit::OwnedPacket> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Packet(_, p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}
