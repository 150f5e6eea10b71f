//! The async reader follows a live stream: each record is delivered as
//! soon as its final packet has arrived, before the writer closes.

use refstack_subunit::{AsyncReader, Fold, Packet, PacketStatus, TestRecord};
use tokio::io::AsyncWriteExt;

use crate::util::encode;

#[tokio::test]
async fn records_arrive_while_the_stream_is_open() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let task = tokio::spawn(async move {
        let mut fold = Fold::new(move |r: TestRecord| {
            let _ = tx.send(r.id);
        });
        let mut r = AsyncReader::new(reader);
        r.run(&mut fold).await.expect("reads");
        fold.finish().1
    });
    for (i, id) in ["t.one", "t.two", "t.three"].iter().enumerate() {
        let bytes = encode(&[
            Packet::new(PacketStatus::InProgress).with_test_id(id),
            Packet::new(PacketStatus::Success)
                .with_test_id(id)
                .with_file("log", &[b'x'; 100]),
        ]);
        writer.write_all(&bytes).await.expect("writes");
        writer.flush().await.expect("flushes");
        // The record shows up although the stream is still open.
        let got = rx.recv().await.expect("a record");
        assert_eq!(got, *id, "record {i}");
    }
    drop(writer);
    let summary = task.await.expect("joins");
    assert_eq!(summary.records, 3);
}
