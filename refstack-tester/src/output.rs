//! What `--json` prints: one JSON document on standard output per command.
//!
//! These types are the machine-readable contract of the command line. Field
//! names are stable: a field may be added, none is renamed or removed
//! without a major version. `output::tests` pins every name;
//! refstack-tester/README.md ("JSON output") documents them.

use std::path::PathBuf;

use serde::Serialize;

use crate::run::Verdict;

/// `upload`, `upload-subunit`, and the `upload` part of `test --upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uploaded {
    /// The id the server gave the run.
    pub id: String,
    /// The run's page, as the server answered it.
    pub url: String,
    /// The API the results went to.
    pub api_url: String,
    /// Whether the upload was signed with `-i`.
    pub signed: bool,
    /// Number of passed tests sent.
    pub passed_tests: usize,
}

/// `upload` or `upload-subunit` when the prompt was answered "no".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadCancelled {
    /// Always `true`.
    pub cancelled: bool,
    /// The API the results would have gone to.
    pub api_url: String,
}

/// `sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signed {
    /// The OpenSSH public key line to register on the server.
    pub public_key: String,
    /// Hex RSA-SHA256 signature of the key line, made with the private key.
    pub self_signature: String,
    /// True when no `<key>.pub` file was found and the public key was derived from the private one.
    pub derived_public_key: bool,
}

/// `testlist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestList {
    /// The guideline: a version or the file given.
    pub guideline: String,
    /// The target program.
    pub target: String,
    /// The test ids, in the order of the text list (one per line there).
    pub tests: Vec<String>,
}

/// `subunit stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamStats {
    /// Tests with a final status.
    pub tests: u64,
    /// Of those, passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
    /// Expected failures.
    pub xfail: u64,
    /// Unexpected successes.
    pub uxsuccess: u64,
    /// Started and never finished.
    pub inprogress: u64,
    /// Only announced (`exists`, as in a listing).
    pub exists: u64,
    /// Packets (v2) or lines with an event (v1) read.
    pub packets: u64,
    /// Packets refused (bad CRC, length, version).
    pub corrupt: u64,
    /// Bytes between packets that are not subunit.
    pub noise_bytes: u64,
    /// From the first to the last timestamp, when the stream has two.
    pub wall_time_seconds: Option<f64>,
    /// The sum of the tests' durations.
    pub test_time_seconds: f64,
}

/// One element of `subunit ls`'s array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedTest<'a> {
    /// The test id.
    pub id: &'a str,
    /// Its final status (`success`, `fail`, `skip`, `xfail`, `uxsuccess`, …).
    pub status: &'a str,
}

/// The outcome counts of `test`, in the report's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// Tests counted: the listed ones with a test list, else those that ran.
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed, a failed class fixture included.
    pub failed: u64,
    /// Of `failed`, by a failed `setUpClass`/`tearDownClass`.
    pub failed_by_fixture: u64,
    /// Skipped.
    pub skipped: u64,
    /// Expected failures (not a pass).
    pub xfail: u64,
    /// Unexpected successes.
    pub uxsuccess: u64,
    /// Started, never finished.
    pub incomplete: u64,
    /// Listed but not in the run.
    pub not_run: u64,
    /// True when counted over a test list.
    pub listed: bool,
}

impl From<Verdict> for Outcomes {
    fn from(v: Verdict) -> Self {
        Outcomes {
            total: v.total,
            passed: v.passed,
            failed: v.failed,
            failed_by_fixture: v.failed_by_fixture,
            skipped: v.skipped,
            xfail: v.xfail,
            uxsuccess: v.uxsuccess,
            incomplete: v.incomplete,
            not_run: v.not_run,
            listed: v.listed,
        }
    }
}

/// `test`.
#[derive(Debug, Clone, Serialize)]
pub struct TestRun {
    /// The process exit status `test` ends with: 0 passed / complies,
    /// 1 tests failed / does not comply, 2 the tool or Tempest failed.
    pub exit_code: u8,
    /// Tempest's own exit code (`null` when killed by a signal).
    pub tempest_exit_code: Option<i32>,
    /// The cloud provider id.
    pub cpid: String,
    /// The outcome counts.
    pub outcomes: Outcomes,
    /// The results JSON written (the upload format), if any test passed or failed.
    pub results_file: Option<PathBuf>,
    /// The raw subunit stream written.
    pub subunit_file: PathBuf,
    /// The compliance report (as `report --json` prints it), when scored
    /// against a guideline.
    pub compliance: Option<serde_json::Value>,
    /// With `--upload`: where the results went.
    pub upload: Option<Uploaded>,
    /// With `--upload -i KEY` to a server that takes full results: its
    /// answer to the stream (`PUT /v1/results/{id}/stream`), else `null`.
    pub stream_upload: Option<refstack_api_types::stream::StreamUploadResponse>,
    /// The run record written (`<N>.run.json`).
    pub record_file: PathBuf,
}

/// `init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workspace {
    /// The Tempest workspace directory.
    pub workspace: PathBuf,
    /// The `tempest.conf` inside it, when one was copied in with `-c`.
    pub tempest_conf: Option<PathBuf>,
    /// False when the directory already was a workspace (nothing was done).
    pub created: bool,
}

/// `config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// The `tempest.conf` written.
    pub tempest_conf: PathBuf,
}

/// `publish`, and the `published` part of `certify` and `runner run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// `registry/repo:tag`.
    pub reference: String,
    /// The manifest digest: the run's identity.
    pub digest: String,
    /// The runner image's digest, when the manifest refers to it.
    pub subject: Option<String>,
    /// Blobs sent.
    pub blobs_pushed: u64,
    /// Blobs the registry had already.
    pub blobs_skipped: u64,
    /// Bytes sent.
    pub bytes_pushed: u64,
}

impl From<crate::oci::Published> for Published {
    fn from(p: crate::oci::Published) -> Self {
        Self {
            reference: p.reference,
            digest: p.digest,
            subject: p.subject,
            blobs_pushed: p.blobs_pushed,
            blobs_skipped: p.blobs_skipped,
            bytes_pushed: p.bytes_pushed,
        }
    }
}

/// `pull`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pulled {
    /// The reference given.
    pub reference: String,
    /// The manifest digest.
    pub digest: String,
    /// The run's record in the directory written.
    pub record_file: PathBuf,
    /// The cloud provider id of the run.
    pub cpid: String,
}

/// One element of `runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRef {
    /// The run's manifest digest.
    pub digest: String,
    /// Its annotations (guideline, target, cpid, compliant, created, …).
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// `certify`.
#[derive(Debug, Clone, Serialize)]
pub struct Certified {
    /// The `test` document of the run (its `upload` is the report URL).
    pub test: TestRun,
    /// With `--publish`: the artifact.
    pub published: Option<Published>,
}

/// `runner init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerFiles {
    /// The files written (Containerfile, runner.toml, suites.json, the tester).
    pub files: Vec<PathBuf>,
}

/// `runner build`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerImage {
    /// The local image name.
    pub tag: String,
    /// The engine's image id.
    pub image_id: String,
    /// With `--push`: the image pinned by digest (`registry/repo@sha256:…`).
    pub image: Option<String>,
}

/// `runner run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerRun {
    /// The tester's exit status in the container.
    pub exit_code: u8,
    /// The directory holding the results and the run record.
    pub output_dir: PathBuf,
    /// With `--publish`: the artifact.
    pub published: Option<Published>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The field names are the contract: this test changes only with a
    /// documented, versioned change of the command line.
    #[test]
    fn field_names_are_stable() {
        let up = Uploaded {
            id: "u".into(),
            url: "http://s/#/results/u".into(),
            api_url: "http://s/api".into(),
            signed: true,
            passed_tests: 3,
        };
        assert_eq!(
            serde_json::to_value(&up).unwrap(),
            json!({"id": "u", "url": "http://s/#/results/u", "api_url": "http://s/api",
                   "signed": true, "passed_tests": 3})
        );
        assert_eq!(
            serde_json::to_value(UploadCancelled {
                cancelled: true,
                api_url: "a".into()
            })
            .unwrap(),
            json!({"cancelled": true, "api_url": "a"})
        );
        assert_eq!(
            serde_json::to_value(Signed {
                public_key: "ssh-rsa A".into(),
                self_signature: "ab".into(),
                derived_public_key: false
            })
            .unwrap(),
            json!({"public_key": "ssh-rsa A", "self_signature": "ab", "derived_public_key": false})
        );
        assert_eq!(
            serde_json::to_value(TestList {
                guideline: "2020.06".into(),
                target: "platform".into(),
                tests: vec!["t".into()]
            })
            .unwrap(),
            json!({"guideline": "2020.06", "target": "platform", "tests": ["t"]})
        );
        let stats = StreamStats {
            tests: 1,
            passed: 2,
            failed: 3,
            skipped: 4,
            xfail: 5,
            uxsuccess: 6,
            inprogress: 7,
            exists: 8,
            packets: 9,
            corrupt: 10,
            noise_bytes: 11,
            wall_time_seconds: None,
            test_time_seconds: 1.5,
        };
        assert_eq!(
            serde_json::to_value(&stats).unwrap(),
            json!({"tests": 1, "passed": 2, "failed": 3, "skipped": 4, "xfail": 5,
                   "uxsuccess": 6, "inprogress": 7, "exists": 8, "packets": 9, "corrupt": 10,
                   "noise_bytes": 11, "wall_time_seconds": null, "test_time_seconds": 1.5})
        );
        assert_eq!(
            serde_json::to_value(ListedTest {
                id: "a.b",
                status: "fail"
            })
            .unwrap(),
            json!({"id": "a.b", "status": "fail"})
        );
        let run = TestRun {
            exit_code: 1,
            tempest_exit_code: Some(0),
            cpid: "c".into(),
            outcomes: Verdict {
                total: 9,
                passed: 1,
                failed: 2,
                failed_by_fixture: 1,
                skipped: 3,
                xfail: 1,
                uxsuccess: 0,
                incomplete: 1,
                not_run: 1,
                listed: true,
            }
            .into(),
            results_file: Some("r.json".into()),
            subunit_file: "r.subunit".into(),
            compliance: None,
            upload: None,
            stream_upload: None,
            record_file: "r.run.json".into(),
        };
        assert_eq!(
            serde_json::to_value(&run).unwrap(),
            json!({"exit_code": 1, "tempest_exit_code": 0, "cpid": "c",
                   "outcomes": {"total": 9, "passed": 1, "failed": 2, "failed_by_fixture": 1,
                                "skipped": 3, "xfail": 1, "uxsuccess": 0, "incomplete": 1,
                                "not_run": 1, "listed": true},
                   "results_file": "r.json", "subunit_file": "r.subunit",
                   "compliance": null, "upload": null, "stream_upload": null,
                   "record_file": "r.run.json"})
        );
        let published = Published {
            reference: "r/x:t".into(),
            digest: "sha256:d".into(),
            subject: None,
            blobs_pushed: 5,
            blobs_skipped: 1,
            bytes_pushed: 9,
        };
        assert_eq!(
            serde_json::to_value(&published).unwrap(),
            json!({"reference": "r/x:t", "digest": "sha256:d", "subject": null,
                   "blobs_pushed": 5, "blobs_skipped": 1, "bytes_pushed": 9})
        );
        assert_eq!(
            serde_json::to_value(Pulled {
                reference: "r/x:t".into(),
                digest: "sha256:d".into(),
                record_file: "d/0.run.json".into(),
                cpid: "c".into()
            })
            .unwrap(),
            json!({"reference": "r/x:t", "digest": "sha256:d", "record_file": "d/0.run.json",
                   "cpid": "c"})
        );
        assert_eq!(
            serde_json::to_value(RunRef {
                digest: "sha256:d".into(),
                annotations: [("k".to_string(), "v".to_string())].into()
            })
            .unwrap(),
            json!({"digest": "sha256:d", "annotations": {"k": "v"}})
        );
        let certified = serde_json::to_value(Certified {
            test: run.clone(),
            published: Some(published.clone()),
        })
        .unwrap();
        assert_eq!(certified["published"]["digest"], "sha256:d");
        assert_eq!(certified["test"]["record_file"], "r.run.json");
        assert_eq!(
            serde_json::to_value(RunnerFiles {
                files: vec!["d/Containerfile".into()]
            })
            .unwrap(),
            json!({"files": ["d/Containerfile"]})
        );
        assert_eq!(
            serde_json::to_value(RunnerImage {
                tag: "localhost/r:1".into(),
                image_id: "abc".into(),
                image: None
            })
            .unwrap(),
            json!({"tag": "localhost/r:1", "image_id": "abc", "image": null})
        );
        assert_eq!(
            serde_json::to_value(RunnerRun {
                exit_code: 1,
                output_dir: "out".into(),
                published: None
            })
            .unwrap(),
            json!({"exit_code": 1, "output_dir": "out", "published": null})
        );
        assert_eq!(
            serde_json::to_value(Workspace {
                workspace: "w".into(),
                tempest_conf: None,
                created: true
            })
            .unwrap(),
            json!({"workspace": "w", "tempest_conf": null, "created": true})
        );
        assert_eq!(
            serde_json::to_value(Config {
                tempest_conf: "etc/tempest.conf".into()
            })
            .unwrap(),
            json!({"tempest_conf": "etc/tempest.conf"})
        );
    }
}
