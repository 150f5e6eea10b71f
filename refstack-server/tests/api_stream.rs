//! `PUT /v1/results/{id}/stream` (issue 13 item 2) and the per-test statuses
//! it adds to `GET /v1/results/{id}/compliance` (item 3), on every backend:
//! encodings, v1 and v2, once per run, who may send it, and bad input
//! (truncated, bit-flipped and noisy streams, over the limit, a gzip bomb,
//! corrupt compression, names that do not match the run's passed tests).
//! Streams are made with our own encoder.

mod common;

use std::io::Write;

use common::{TestApp, Who, base_config, v2_stream};
use refstack_subunit::PacketStatus::{Fail, Skip, Success};
use refstack_subunit::{Outcome, V1Writer};
use serde_json::Value;

const LIST: &str = "tempest.api.compute.test_list.ListTest.test_list";
const FLAGGED: &str = "tempest.api.compute.test_list.ListTest.test_flagged";
const OBJ: &str = "tempest.api.object_storage.test_list.ObjTest.test_list";
const ADV: &str = "tempest.api.compute.test_adv.AdvTest.test_adv";

const TRACEBACK: &str =
    "Traceback (most recent call last):\n  File \"x.py\", line 1\nAssertionError: 1 != 2\n";
const REASON: &str = "Feature not enabled";

/// The stream of a run that passed LIST and OBJ, failed ADV and skipped
/// FLAGGED; ids carry tempest's attribute brackets.
fn full_stream() -> Vec<u8> {
    let list = format!("{LIST}[id-11111111-1111-1111-1111-111111111111,smoke]");
    let obj = format!("{OBJ}[id-3]");
    let adv = format!("{ADV}[id-4]");
    let flagged = format!("{FLAGGED}[id-2]");
    v2_stream(&[
        (&list, Success, None),
        (&obj, Success, None),
        (&adv, Fail, Some(("traceback", TRACEBACK))),
        (&flagged, Skip, Some(("reason", REASON))),
    ])
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out)
        .expect("gunzip");
    out
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A run of alice (signed upload) whose passed tests are `names`.
async fn run(t: &TestApp, names: &[&str]) -> String {
    t.upload(Who::Alice, "cpid-s", names).await
}

async fn put_stream(t: &TestApp, id: &str, body: Vec<u8>, encoding: Option<&str>) -> common::Resp {
    let mut r = t
        .put(&format!("/v1/results/{id}/stream"))
        .as_(Who::Alice)
        .raw(body);
    if let Some(e) = encoding {
        r = r.header("content-encoding", e);
    }
    r.send().await
}

fn test_of<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["statuses"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["capabilities"].as_array().into_iter().flatten())
        .flat_map(|c| c["tests"].as_array().into_iter().flatten())
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test {name} in {report}"))
}

#[tokio::test]
async fn stream_is_stored_once_and_the_report_shows_every_outcome() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = run(&t, &[LIST, OBJ]).await;
        // Before a stream: statuses from the passed names alone.
        let before = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(test_of(&before, LIST)["status"], "passed", "{l}");
        assert_eq!(test_of(&before, ADV)["status"], "not_run", "{l}");
        assert!(before.get("stream").is_none(), "{l}");

        let stream = full_stream();
        let r = put_stream(&t, &id, stream.clone(), None)
            .await
            .expect(201, &l)
            .json();
        assert_eq!(r["test_id"], id.as_str(), "{l}");
        assert_eq!(r["format"], "v2", "{l}");
        assert_eq!(r["encoding"], "identity", "{l}");
        assert_eq!(r["bytes"], stream.len(), "{l}");
        assert_eq!(r["packets"], 8, "{l}");
        assert_eq!(r["rejected_packets"], 0, "{l}");
        assert_eq!(
            (
                &r["tests"],
                &r["passed"],
                &r["failed"],
                &r["skipped"],
                &r["other"]
            ),
            (&4.into(), &2.into(), &1.into(), &1.into(), &0.into()),
            "{l}"
        );
        assert_eq!(r["mismatches"], 0, "{l}");
        // The raw stream is kept gzipped under its SHA-256.
        let sha = r["sha256"].as_str().unwrap_or_default();
        let blob = common::blob_dir().join(format!("subunit/{}/{sha}.gz", &sha[..2]));
        let kept = std::fs::read(&blob).unwrap_or_else(|e| panic!("{l}: {}: {e}", blob.display()));
        assert_eq!(
            kept.len() as u64,
            r["stored_bytes"].as_u64().unwrap_or(0),
            "{l}"
        );
        assert_eq!(gunzip(&kept), stream, "{l}");

        // Once per run.
        put_stream(&t, &id, stream.clone(), None).await.exc_error(
            409,
            &format!("A subunit stream was already uploaded for test run {id}"),
            &l,
        );

        let report = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        let list = test_of(&report, LIST);
        assert_eq!(list["status"], "passed", "{l}");
        assert_eq!(list["duration_ms"], 1250, "{l}");
        assert!(list.get("mismatch").is_none(), "{l}");
        let adv = test_of(&report, ADV);
        assert_eq!(adv["status"], "failed", "{l}");
        assert_eq!(adv["traceback"], TRACEBACK, "{l}");
        assert_eq!(adv["passed"], false, "{l}");
        let flagged = test_of(&report, FLAGGED);
        assert_eq!(flagged["status"], "skipped", "{l}");
        assert_eq!(flagged["skip_reason"], REASON, "{l}");
        assert_eq!(
            report["stream"],
            serde_json::json!({"tests": 4, "rejected_packets": 0, "mismatches": 0}),
            "{l}"
        );
        // The upstream numbers do not move.
        assert_eq!(report["required"], before["required"], "{l}");
        assert_eq!(report["compliant"], before["compliant"], "{l}");
        // v1 bodies of the run do not change.
        let detail = t
            .get(&format!("/v1/results/{id}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(detail["results"], serde_json::json!([LIST, OBJ]), "{l}");
        // The stream and its outcomes go with the run.
        t.delete(&format!("/v1/results/{id}"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(204, &l);
        let left = refstack_server::db::testing::scalar_i64(
            t.dbh(),
            &format!(
                "SELECT (SELECT COUNT(*) FROM test_streams WHERE test_id = '{id}') + \
                 (SELECT COUNT(*) FROM outcome_parts WHERE test_id = '{id}')"
            ),
        )
        .await;
        assert_eq!(left, 0, "{l}");
    }
}

#[tokio::test]
async fn stream_encodings_and_v1() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let stream = full_stream();
        for (name, body, header) in [
            ("gzip sniffed", gzip(&stream), None),
            ("gzip declared", gzip(&stream), Some("gzip")),
            ("zstd sniffed", zstd(&stream), None),
            ("zstd declared", zstd(&stream), Some("zstd")),
            ("identity declared", stream.clone(), Some("identity")),
        ] {
            let id = run(&t, &[LIST, OBJ]).await;
            let r = put_stream(&t, &id, body.clone(), header)
                .await
                .expect(201, &format!("{l} {name}"))
                .json();
            let want = if name.starts_with("identity") {
                "identity"
            } else {
                &name[..4]
            };
            assert_eq!(r["encoding"], want, "{l} {name}");
            assert_eq!(r["bytes"], stream.len(), "{l} {name}");
            assert_eq!(r["tests"], 4, "{l} {name}");
            // A compressed body is kept as sent.
            if want != "identity" {
                assert_eq!(r["stored_bytes"], body.len(), "{l} {name}");
            }
        }
        // Subunit v1 text, as stestr repositories hold it.
        let mut w = V1Writer::new(Vec::new());
        w.test(LIST).expect("v1");
        w.outcome(Outcome::Success, LIST, None).expect("v1");
        w.test(ADV).expect("v1");
        w.outcome_simple(Outcome::Failure, ADV, TRACEBACK)
            .expect("v1");
        w.test(FLAGGED).expect("v1");
        w.outcome_simple(Outcome::Skip, FLAGGED, REASON)
            .expect("v1");
        let v1 = w.into_inner();
        let id = run(&t, &[LIST]).await;
        let r = put_stream(&t, &id, v1, None).await.expect(201, &l).json();
        assert_eq!(r["format"], "v1", "{l}");
        assert_eq!(
            (&r["passed"], &r["failed"], &r["skipped"]),
            (&1.into(), &1.into(), &1.into()),
            "{l}"
        );
        let report = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(test_of(&report, ADV)["status"], "failed", "{l}");
        assert_eq!(test_of(&report, ADV)["traceback"], TRACEBACK, "{l}");
        // v1 bracketed details keep their line ends.
        assert_eq!(
            test_of(&report, FLAGGED)["skip_reason"],
            format!("{REASON}\n"),
            "{l}"
        );
        assert_eq!(test_of(&report, OBJ)["status"], "not_run", "{l}");
    }
}

#[tokio::test]
async fn corrupt_streams_store_what_parses() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let stream = full_stream();

        // Truncated inside the last packet: the first three tests and the
        // skipped test's start are kept.
        let id = run(&t, &[LIST, OBJ]).await;
        let cut = stream[..stream.len() - 10].to_vec();
        let r = put_stream(&t, &id, cut, None).await.expect(201, &l).json();
        assert_eq!(r["passed"], 2, "{l} truncated");
        assert_eq!(r["failed"], 1, "{l} truncated");
        assert_eq!(r["other"], 1, "{l} truncated: the skipped test never ended");
        let report = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        assert_eq!(test_of(&report, FLAGGED)["status"], "incomplete", "{l}");

        // A bit flipped inside the failed test's final packet: that packet
        // is rejected and counted, the others are stored.
        let id = run(&t, &[LIST, OBJ]).await;
        let mut flipped = stream.clone();
        let pos = memchr_all(&flipped, TRACEBACK.as_bytes()).unwrap_or(0) + 5;
        flipped[pos] ^= 0x04;
        let r = put_stream(&t, &id, flipped, None)
            .await
            .expect(201, &l)
            .json();
        assert!(
            r["rejected_packets"].as_u64() >= Some(1),
            "{l} flipped: {r}"
        );
        assert_eq!(r["passed"], 2, "{l} flipped");
        assert_eq!(r["skipped"], 1, "{l} flipped");

        // Noise around and between packets (a worker's stray output).
        let id = run(&t, &[LIST, OBJ]).await;
        let mut noisy = b"starting tempest...\n".to_vec();
        let half = stream.len() / 2;
        let cut_at = packet_boundary(&stream, half);
        noisy.extend_from_slice(&stream[..cut_at]);
        noisy.extend_from_slice(b"\x00\xffWARNING: something odd\n");
        noisy.extend_from_slice(&stream[cut_at..]);
        noisy.extend_from_slice(b"done\n");
        let r = put_stream(&t, &id, noisy, None)
            .await
            .expect(201, &l)
            .json();
        assert_eq!(r["tests"], 4, "{l} noisy: {r}");
        assert_eq!(r["passed"], 2, "{l} noisy");

        // Nothing but noise: no test, nothing stored.
        let id = run(&t, &[LIST]).await;
        put_stream(&t, &id, b"just some text\n".to_vec(), None)
            .await
            .exc_error(400, "No subunit test events found in the stream.", &l);
        put_stream(&t, &id, Vec::new(), None).await.exc_error(
            400,
            "No subunit test events found in the stream.",
            &l,
        );
        // Corrupt compression is refused (its blob could not be read back).
        let mut bad = gzip(&stream);
        let n = bad.len();
        bad[n / 2] ^= 0xff;
        bad.truncate(n - 4);
        let r = put_stream(&t, &id, bad, None).await.expect(400, &l).json();
        assert!(
            r["title"]
                .as_str()
                .is_some_and(|s| s.starts_with("The gzip body is corrupt")),
            "{l}: {r}"
        );
        put_stream(&t, &id, b"\x28\xb5\x2f\xfd\x00\x00garbage".to_vec(), None)
            .await
            .expect(400, &l);
        // An unsupported encoding.
        put_stream(&t, &id, stream.clone(), Some("br"))
            .await
            .expect(415, &l);
        // After all those refusals the run takes its stream.
        put_stream(&t, &id, stream.clone(), None)
            .await
            .expect(201, &l);
    }
}

/// Where `needle` starts in `hay`.
fn memchr_all(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The first packet start (signature byte 0xB3 followed by a version byte)
/// at or after `from`, so the noise goes between two packets.
fn packet_boundary(stream: &[u8], from: usize) -> usize {
    let mut at = 0;
    let mut offsets = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        match refstack_subunit::parse_packet(rest) {
            Ok((_, len)) => {
                offsets.push(at);
                at += len;
                rest = &rest[len..];
            }
            Err(_) => break,
        }
    }
    offsets
        .into_iter()
        .find(|&o| o >= from)
        .unwrap_or(stream.len())
}

#[tokio::test]
async fn limits_count_decompressed_bytes() {
    let cfg = || {
        let mut c = base_config();
        // Streams have their own limit, above the other bodies' one.
        c.body_limit = 1024;
        c.streams.limit = 64 << 10;
        c.streams.traceback_limit = 32;
        c
    };
    for t in TestApp::all_with(cfg).await {
        let l = t.label().to_owned();
        let id = run(&t, &[LIST]).await;
        let big_tb = "x".repeat(100 << 10);
        let big = v2_stream(&[
            (LIST, Success, None),
            (ADV, Fail, Some(("traceback", &big_tb))),
        ]);
        let title = "The subunit stream is larger than the server accepts (65536 bytes).";
        // Plain, over the limit: 413 whether or not the length is declared.
        put_stream(&t, &id, big.clone(), None)
            .await
            .http_error(413, Some(title), &l);
        // A gzip bomb: a small body that inflates past the limit.
        let zeros = vec![0u8; 8 << 20];
        let mut bomb = v2_stream(&[(LIST, Success, None)]);
        bomb.extend_from_slice(&zeros);
        let bomb = gzip(&bomb);
        assert!(bomb.len() < 64 << 10, "the bomb is small: {}", bomb.len());
        put_stream(&t, &id, bomb, None)
            .await
            .http_error(413, Some(title), &l);
        put_stream(&t, &id, zstd(&big), Some("zstd"))
            .await
            .http_error(413, Some(title), &l);
        // A declared length over the limit is refused before the body.
        t.put(&format!("/v1/results/{id}/stream"))
            .as_(Who::Alice)
            .header("content-length", "65537")
            .raw(vec![b'x'; 65537])
            .send()
            .await
            .http_error(
                413,
                Some("Request body is larger than the server accepts."),
                &l,
            );
        // Nothing was stored: the run still takes a stream, and tracebacks
        // are cut to their end.
        let tb = format!("{}THE END", "y".repeat(100));
        let ok = v2_stream(&[(LIST, Success, None), (ADV, Fail, Some(("traceback", &tb)))]);
        put_stream(&t, &id, ok, None).await.expect(201, &l);
        let report = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        let kept = test_of(&report, ADV)["traceback"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            kept,
            format!("[75 bytes cut]\n{}THE END", "y".repeat(25)),
            "{l}"
        );
        // A stream over `body_limit` (declared) but within the stream limit.
        let id = run(&t, &[LIST]).await;
        let tb = "z".repeat(4096);
        let body = v2_stream(&[(LIST, Success, None), (ADV, Fail, Some(("traceback", &tb)))]);
        t.put(&format!("/v1/results/{id}/stream"))
            .as_(Who::Alice)
            .header("content-length", &body.len().to_string())
            .raw(body)
            .send()
            .await
            .expect(201, &l);
    }
}

#[tokio::test]
async fn only_the_owner_sends_the_stream() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        let id = run(&t, &[LIST, OBJ]).await;
        let stream = full_stream();
        let url = format!("/v1/results/{id}/stream");
        t.put(&url)
            .raw(stream.clone())
            .send()
            .await
            .http_error(401, Some(""), &l);
        for who in [Who::Bob, Who::Carol, Who::Dave] {
            t.put(&url)
                .as_(who)
                .raw(stream.clone())
                .send()
                .await
                .http_error(403, Some(""), &format!("{l} {who:?}"));
        }
        // Signed by someone else's key: 403; a bad signature: 400.
        t.put(&url)
            .raw(stream.clone())
            .signed(Who::Bob, &stream)
            .send()
            .await
            .http_error(403, Some(""), &l);
        t.put(&url)
            .raw(stream.clone())
            .signed(Who::Alice, b"other bytes")
            .send()
            .await
            .exc_error(400, "Signature verification failed", &l);
        // An anonymous run has no owner.
        let anon = t.upload(Who::Anon, "c", &[LIST]).await;
        t.put(&format!("/v1/results/{anon}/stream"))
            .as_(Who::Alice)
            .raw(stream.clone())
            .send()
            .await
            .http_error(403, Some(""), &l);
        t.put("/v1/results/no-such-run/stream")
            .as_(Who::Alice)
            .raw(stream.clone())
            .send()
            .await
            .exc_error(404, "Test result no-such-run not found", &l);
        // Signed with the owner's key over the exact (gzipped) bytes sent.
        let body = gzip(&stream);
        let r = t
            .put(&url)
            .raw(body.clone())
            .signed(Who::Alice, &body)
            .send()
            .await
            .expect(201, &l)
            .json();
        assert_eq!(r["encoding"], "gzip", "{l}");
    }
}

#[tokio::test]
async fn stream_names_that_do_not_match_the_upload_are_marked() {
    for t in TestApp::all().await {
        let l = t.label().to_owned();
        // The upload says LIST and ADV passed; the stream says ADV failed and
        // OBJ passed.
        let id = run(&t, &[LIST, ADV]).await;
        let r = put_stream(&t, &id, full_stream(), None)
            .await
            .expect(201, &l)
            .json();
        assert_eq!(r["mismatches"], 2, "{l}");
        let report = t
            .get(&format!("/v1/results/{id}/compliance"))
            .as_(Who::Alice)
            .send()
            .await
            .expect(200, &l)
            .json();
        let adv = test_of(&report, ADV);
        assert_eq!(
            (&adv["passed"], &adv["status"], &adv["mismatch"]),
            (&true.into(), &"failed".into(), &true.into()),
            "{l}"
        );
        let obj = test_of(&report, OBJ);
        assert_eq!(
            (&obj["passed"], &obj["status"], &obj["mismatch"]),
            (&false.into(), &"passed".into(), &true.into()),
            "{l}"
        );
        assert_eq!(report["stream"]["mismatches"], 2, "{l}");
        // The verdict follows the uploaded passed tests.
        assert_eq!(report["required"]["passed"], 1, "{l}");
    }
}
