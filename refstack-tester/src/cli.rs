//! The command line, defined with clap derive. Flags and subcommands of
//! refstack-client are kept with their spellings; the rest is beyond upstream.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Run the Tempest tests of an OpenStack interop guideline against a cloud,
/// report compliance, and sign and upload the results to RefStack.
#[derive(Debug, Parser)]
#[command(name = "refstack-tester", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Options every subcommand accepts.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// refstack-client's "shared arguments".
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Suppress output except warnings and errors.
    #[arg(short, long, global = true)]
    pub(crate) silent: bool,
    /// Show verbose output (repeat for more).
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "silent")]
    pub(crate) verbose: u8,
    /// Assume Yes to all prompt queries.
    #[arg(short = 'y', global = true)]
    pub(crate) assume_yes: bool,
    /// Print the command's data as one JSON document on standard output
    /// (field names: README "JSON output"); messages stay on standard error.
    /// Commands whose output is a stream, XML or a script refuse it.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// refstack-client's "network arguments".
#[derive(Debug, Args, Clone)]
pub(crate) struct NetworkArgs {
    /// RefStack API URL to upload results to (--url http://localhost:8000).
    /// No default: else REFSTACK_URL, else `url` in
    /// ~/.config/refstack-tester/config.toml (REFSTACK_TESTER_CONFIG).
    #[arg(long, env = "REFSTACK_URL")]
    pub(crate) url: Option<String>,
    /// Skip SSL checks while interacting with RefStack API and Keystone endpoint.
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,
    /// Path to the private RSA key to sign uploads with (PEM PKCS#1/PKCS#8 or OpenSSH format).
    /// A passphrase-protected key (encrypted OpenSSH or PKCS#8) takes its passphrase from
    /// REFSTACK_KEY_PASSPHRASE, or asks for it on the terminal.
    #[arg(short = 'i', long = "sign", value_name = "PRIV_KEY")]
    pub(crate) priv_key: Option<PathBuf>,
    /// Extra PEM CA bundle to trust for the RefStack API.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_bundle: Option<PathBuf>,
}

impl NetworkArgs {
    /// The RefStack API: `--url` / `REFSTACK_URL`, else the configuration
    /// file, else an error saying how to set one.
    pub(crate) fn api_url(&self) -> Result<String, refstack_tester::Error> {
        refstack_tester::server::refstack_url(self.url.as_deref())
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Upload an existing result JSON file.
    Upload(UploadArgs),
    /// Upload results from a subunit file (v1 or v2, auto-detected).
    UploadSubunit(UploadSubunitArgs),
    /// Make a Tempest workspace (`tempest init`), optionally with a tempest.conf in it.
    Init(InitArgs),
    /// Generate tempest.conf for a cloud (through python-tempestconf).
    Config(ConfigArgs),
    /// Run Tempest against a cloud.
    Test(TestArgs),
    /// List last results from RefStack.
    List(ListArgs),
    /// Generate signature for public key.
    Sign(SignArgs),
    /// Print a guideline's test list as the server's test-list endpoint would.
    Testlist(TestlistArgs),
    /// Compute the compliance report of a result offline (or ask a server for a run's).
    Report(ReportArgs),
    /// Compare two runs on a RefStack server: capabilities and tests that changed.
    Compare(CompareArgs),
    /// Work with subunit streams.
    #[command(subcommand)]
    Subunit(SubunitCommand),
    /// Push a run (results, stream, record, sanitised tempest.conf, test list) to an OCI
    /// registry as one artifact.
    Publish(PublishArgs),
    /// Fetch a published run into a directory, verifying every digest.
    Pull(PullArgs),
    /// List the published runs made with a runner image.
    Runs(RunsArgs),
    /// The whole certification in one command: the guideline's test list from the server,
    /// run, upload, publish; prints the report URL and the artifact digest.
    Certify(CertifyArgs),
    /// Runner images: Tempest pinned by commit, infrastructure only at run time.
    #[command(subcommand)]
    Runner(RunnerCommand),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man(ManArgs),
}

/// `test`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status (from the test outcomes in the stream, not Tempest's exit code alone):
  0  with --guideline: the cloud complies with the guideline and target;
     otherwise, with --test-list: every listed test passed;
     otherwise: at least one test ran, and none failed, passed unexpectedly
     or did not finish (skips and expected failures allowed)
  1  tests failed (a failed setUpClass/tearDownClass fails the tests of its
     class), or with --guideline: the cloud does not comply
  2  the tool or Tempest failed: bad arguments or configuration, no test
     result, Tempest exited non-zero while every outcome was fine, the
     guideline of --guideline could not be loaded, the upload failed

An expected failure (xfail) is not a pass, as in the report and the upload."
)]
pub(crate) struct TestArgs {
    /// Path of the Tempest configuration file to use.
    #[arg(short = 'c', long = "conf-file")]
    pub(crate) conf_file: PathBuf,
    /// Specify a string to prefix the result file with to easier distinguish them.
    #[arg(short = 'r', long = "result-file-tag", value_name = "RESULT_TAG")]
    pub(crate) result_tag: Option<String>,
    /// Specify the file path or URL of a test list text file. This test list
    /// will contain specific test cases that should be tested.
    #[arg(long)]
    pub(crate) test_list: Option<String>,
    /// After running Tempest, upload the test results to the RefStack API
    /// server given by --url.
    #[arg(short = 'u', long)]
    pub(crate) upload: bool,
    /// Run the tests in parallel. Note this requires multiple users/projects in accounts.yaml.
    #[arg(short = 'p', long)]
    pub(crate) parallel: bool,
    /// The Tempest checkout or workspace to run in.
    #[arg(long, env = "REFSTACK_TEMPEST_DIR", value_name = "DIR")]
    pub(crate) tempest_dir: Option<PathBuf>,
    /// The tempest executable (default: tools/with_venv.sh in --tempest-dir, or `tempest` on PATH).
    #[arg(long, env = "REFSTACK_TEMPEST_BIN", value_name = "PATH")]
    pub(crate) tempest_bin: Option<PathBuf>,
    /// Where to write the results JSON and the raw subunit stream
    /// (default: the .stestr directory Tempest runs in).
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// Print the compliance report against this guideline (file or version) at the end.
    #[arg(long, value_name = "FILE|VERSION")]
    pub(crate) guideline: Option<String>,
    /// Target program of --guideline.
    #[arg(long, default_value = "platform")]
    pub(crate) target: String,
    /// Network options.
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
    /// What the run record says about the run.
    #[command(flatten)]
    pub(crate) record: RecordArgs,
    /// After the first "--", arguments passed to `tempest run`, e.g.
    /// `-- --regex tempest.api.compute.images` (a bare first word is taken as a --regex).
    #[arg(last = true, allow_hyphen_values = true, value_name = "TEMPEST_ARGS")]
    pub(crate) tempest_args: Vec<String>,
}

/// `upload`.
#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    /// Path of JSON results file.
    pub(crate) file: PathBuf,
    /// Network options.
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
}

/// `upload-subunit`.
#[derive(Debug, Args)]
pub(crate) struct UploadSubunitArgs {
    /// Path of subunit file.
    pub(crate) file: PathBuf,
    /// The Keystone URL of the cloud the subunit results belong to. This is
    /// used to generate a Cloud Provider ID (not needed for a run directory
    /// or an oci:// reference, whose record has the CPID).
    #[arg(long)]
    pub(crate) keystone_endpoint: Option<String>,
    /// Network options.
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Specify a date for start listing of test results (e.g. --start-date "2015-04-24 01:23:56").
    #[arg(long)]
    pub(crate) start_date: Option<String>,
    /// Specify a date for end listing of test results (e.g. --end-date "2015-04-24 01:23:56").
    #[arg(long)]
    pub(crate) end_date: Option<String>,
    /// Only results of this cloud provider id.
    #[arg(long)]
    pub(crate) cpid: Option<String>,
    /// A personal API token (`rst_...`, made on the server's profile page): list as that
    /// user, who sees their private runs.
    #[arg(long, env = "REFSTACK_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Only the token user's own runs, private ones included (needs --token).
    #[arg(long, requires = "token")]
    pub(crate) signed: bool,
    /// Network options.
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
}

/// `sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// Path to private RSA key (PEM PKCS#1/PKCS#8 or OpenSSH format). A passphrase-protected
    /// key (encrypted OpenSSH or PKCS#8) takes its passphrase from REFSTACK_KEY_PASSPHRASE, or
    /// asks for it on the terminal.
    pub(crate) priv_key_to_sign: PathBuf,
}

/// `init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Tempest runs tests from a workspace: a directory with .stestr.conf \
(made by `tempest init`), etc/tempest.conf and the logs. `init` makes one, or does nothing \
when DIR already is one.

Examples:
  refstack-tester init cloud -c ~/my-cloud/tempest.conf
  refstack-tester testlist --guideline 2020.06 > list.txt
  refstack-tester test -c cloud/etc/tempest.conf --tempest-dir cloud --test-list list.txt"
)]
pub(crate) struct InitArgs {
    /// The workspace directory (created if missing).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// A tempest.conf to copy into DIR/etc/tempest.conf.
    #[arg(short = 'c', long = "conf-file", value_name = "TEMPEST_CONF")]
    pub(crate) conf_file: Option<PathBuf>,
    /// The tempest executable (default: `tempest` on PATH).
    #[arg(long, env = "REFSTACK_TEMPEST_BIN", value_name = "PATH")]
    pub(crate) tempest_bin: Option<PathBuf>,
}

/// `config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Path of the accounts.yaml file.
    #[arg(long = "use-test-accounts", value_name = "TEST_ACCOUNTS")]
    pub(crate) test_accounts: Option<PathBuf>,
    /// The ID of an existing network in our openstack instance with external connectivity.
    #[arg(long)]
    pub(crate) network_id: Option<String>,
    /// An image name or a filepath/URL of an image to be uploaded to glance
    /// (default: python-tempestconf's default image).
    #[arg(long)]
    pub(crate) image: Option<String>,
    /// File path to write tempest.conf (default: ./etc/tempest.conf).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Named cloud to connect to.
    #[arg(long)]
    pub(crate) os_cloud: Option<String>,
    /// Comma separated values which need to be overridden in tempest.conf,
    /// e.g. --overrides compute.image_ref=<value>,compute.flavor_ref=<value>
    #[arg(long)]
    pub(crate) overrides: Option<String>,
    /// The discover-tempest-config executable.
    #[arg(long, default_value = "discover-tempest-config", value_name = "PATH")]
    pub(crate) discover_bin: PathBuf,
    /// Network options (accepted for compatibility; unused).
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
}

/// Where a guideline comes from: a local file, or a version fetched from a server.
#[derive(Debug, Args, Clone)]
pub(crate) struct GuidelineArgs {
    /// A guideline JSON file, or a version (`2020.06`, `dns.2020.06`, `next`): the
    /// published ones are built in (no network), others are fetched from --url.
    #[arg(long, value_name = "FILE|VERSION")]
    pub(crate) guideline: String,
    /// The target program (platform, compute, object, dns, orchestration, …).
    #[arg(long, default_value = "platform")]
    pub(crate) target: String,
    /// The RefStack API to fetch a guideline version that is not built in from
    /// (else REFSTACK_URL, else `url` in ~/.config/refstack-tester/config.toml).
    #[arg(long, env = "REFSTACK_URL")]
    pub(crate) url: Option<String>,
    /// Skip SSL checks when fetching from --url.
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,
}

/// `testlist`.
#[derive(Debug, Args)]
pub(crate) struct TestlistArgs {
    /// The guideline and target.
    #[command(flatten)]
    pub(crate) guideline: GuidelineArgs,
    /// Capability statuses, comma separated: required, advisory, deprecated, removed (default: all).
    #[arg(long = "type", value_name = "TYPES")]
    pub(crate) types: Option<String>,
    /// Include test aliases.
    #[arg(long, default_value = "true", value_name = "BOOL")]
    pub(crate) alias: String,
    /// Include flagged tests.
    #[arg(long, default_value = "true", value_name = "BOOL")]
    pub(crate) flag: String,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// JUnit XML.
    Junit,
    /// A standalone HTML page.
    Html,
}

/// `report`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  refstack-tester report .stestr/0.subunit --guideline 2020.06
  refstack-tester report --server https://refstack.example.org/api 8fb89ee2-22e4-49f4-80c1-4832e6e5391f")]
pub(crate) struct ReportArgs {
    /// A results JSON file, a subunit stream (v1 or v2), a run directory or
    /// `oci://` reference; with --server, a test run id on that server.
    pub(crate) result: PathBuf,
    /// A guideline JSON file, or a version (`2020.06`, `dns.2020.06`, `next`):
    /// required for a local result (the published ones are built in, others
    /// fetched from --url); with --server, default: the run's guideline.
    #[arg(long, value_name = "FILE|VERSION")]
    pub(crate) guideline: Option<String>,
    /// The target program (platform, compute, object, dns, orchestration, …);
    /// default platform, or with --server the run's target.
    #[arg(long)]
    pub(crate) target: Option<String>,
    /// The RefStack API to fetch a guideline version that is not built in from
    /// (else REFSTACK_URL, else `url` in ~/.config/refstack-tester/config.toml).
    #[arg(long, env = "REFSTACK_URL")]
    pub(crate) url: Option<String>,
    /// Skip SSL checks when talking to --url or --server.
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,
    /// Print the report the RefStack server at URL (its API, as --url) computes
    /// for the run RESULT: with each test's status, skip reason and traceback
    /// when the run's full stream was uploaded.
    #[arg(long, value_name = "URL")]
    pub(crate) server: Option<String>,
    /// A personal API token, for --server runs that are private.
    #[arg(
        long,
        env = "REFSTACK_TOKEN",
        hide_env_values = true,
        requires = "server"
    )]
    pub(crate) token: Option<String>,
    /// Output format (default: text, or json with --json).
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormat>,
    /// Exit with 1 when the cloud does not comply.
    #[arg(long)]
    pub(crate) check: bool,
}

/// `compare`.
#[derive(Debug, Args)]
#[command(
    after_help = "Both runs are scored by the server against the same guideline and \
target (default: run A's). Lists the capabilities whose verdict changed and the tests whose \
outcome changed. Exit status: 0, or with --check 1 when B does not comply.

Example:
  refstack-tester compare --url https://refstack.example.org/api RUN_A RUN_B"
)]
pub(crate) struct CompareArgs {
    /// The earlier run (a test run id).
    pub(crate) a: String,
    /// The later run.
    pub(crate) b: String,
    /// Guideline file or version (default: run A's, else the newest).
    #[arg(long, value_name = "FILE|VERSION")]
    pub(crate) guideline: Option<String>,
    /// Target program (default: run A's, else platform).
    #[arg(long)]
    pub(crate) target: Option<String>,
    /// A personal API token, for private runs.
    #[arg(long, env = "REFSTACK_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Exit with 1 when run B does not comply.
    #[arg(long)]
    pub(crate) check: bool,
    /// Network options.
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
}

/// Stream formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StreamVersion {
    /// Subunit v1 (text).
    V1,
    /// Subunit v2 (binary).
    V2,
}

/// `subunit …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SubunitCommand {
    /// Count tests by status.
    Stats(StreamArgs),
    /// List test ids with their status.
    Ls(LsArgs),
    /// Convert to a results JSON (the upload format).
    ToJson(ToJsonArgs),
    /// Convert to JUnit XML.
    ToJunit(StreamArgs),
    /// Keep only the tests whose id matches a regular expression / status.
    Filter(FilterArgs),
    /// Convert between v1 and v2.
    Convert(ConvertArgs),
}

/// A stream input.
#[derive(Debug, Args)]
pub(crate) struct StreamArgs {
    /// The stream (`-` for stdin); v1 or v2 is detected.
    #[arg(default_value = "-")]
    pub(crate) input: PathBuf,
}

/// `subunit ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// The stream.
    #[command(flatten)]
    pub(crate) stream: StreamArgs,
    /// Print only tests with this final status (success, fail, skip, xfail, uxsuccess, …).
    #[arg(long)]
    pub(crate) status: Option<String>,
}

/// `subunit to-json`.
#[derive(Debug, Args)]
pub(crate) struct ToJsonArgs {
    /// The stream.
    #[command(flatten)]
    pub(crate) stream: StreamArgs,
    /// The cpid to put in the JSON.
    #[arg(long, default_value = "")]
    pub(crate) cpid: String,
    /// duration_seconds to put in the JSON.
    #[arg(long, default_value_t = 0)]
    pub(crate) duration: u64,
}

/// `subunit filter`.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// The stream.
    #[command(flatten)]
    pub(crate) stream: StreamArgs,
    /// Keep tests whose id this regular expression matches, anywhere in the id
    /// (`^`/`$` anchor it; repeatable: any of them).
    #[arg(long = "match", value_name = "REGEX")]
    pub(crate) matches: Vec<String>,
    /// Keep tests with this final status (repeatable).
    #[arg(long)]
    pub(crate) status: Vec<String>,
    /// Output version.
    #[arg(long, value_enum, default_value = "v2")]
    pub(crate) to: StreamVersion,
}

/// `subunit convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The stream.
    #[command(flatten)]
    pub(crate) stream: StreamArgs,
    /// Output version.
    #[arg(long, value_enum)]
    pub(crate) to: StreamVersion,
}

/// Inputs of the run record `test` writes (`<N>.run.json`) that the run
/// cannot find out itself.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RecordArgs {
    /// The capability statuses the test list was made of (comma separated), for the record
    /// (read from a RefStack test-list URL's `type=` when not given).
    #[arg(long, value_name = "TYPES")]
    pub(crate) list_type: Option<String>,
    /// Whether the test list includes aliases, for the record.
    #[arg(long, value_name = "BOOL")]
    pub(crate) list_alias: Option<bool>,
    /// Whether the test list includes flagged tests, for the record.
    #[arg(long, value_name = "BOOL")]
    pub(crate) list_flag: Option<bool>,
    /// The runner image this run happens in, pinned by digest (REGISTRY/REPO@sha256:…):
    /// `publish` makes it the artifact's subject.
    #[arg(long, env = "REFSTACK_RUNNER_IMAGE", value_name = "IMAGE@DIGEST")]
    pub(crate) runner_image: Option<String>,
}

/// How to log in to an OCI registry. Without options: the login of `podman login` /
/// `docker login` (auth.json), else anonymous.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RegistryArgs {
    /// User name for HTTP basic authentication; the password comes from
    /// REFSTACK_REGISTRY_PASSWORD or, with --password-stdin, standard input.
    #[arg(long, env = "REFSTACK_REGISTRY_USERNAME", value_name = "USER")]
    pub(crate) username: Option<String>,
    /// Read the password of --username from standard input (one line).
    #[arg(long, requires = "username")]
    pub(crate) password_stdin: bool,
    /// A bearer token for the registry.
    #[arg(
        long,
        env = "REFSTACK_REGISTRY_TOKEN",
        hide_env_values = true,
        conflicts_with = "username",
        value_name = "TOKEN"
    )]
    pub(crate) token: Option<String>,
    /// Plain HTTP even for a registry that is not on this machine (localhost and loopback
    /// addresses always use plain HTTP).
    #[arg(long)]
    pub(crate) plain_http: bool,
    /// Accept any TLS certificate of the registry.
    #[arg(long)]
    pub(crate) registry_insecure: bool,
}

/// `publish`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  refstack-tester publish .stestr 127.0.0.1:5000/refstack/runs
      pushes the run of .stestr (one *.run.json in it) with a derived tag,
      <guideline>-<target>-<cpid>-<time>, and prints the digest
  refstack-tester publish out/0.run.json registry.example/interop/mycloud:2020.06 \\
      --username ci   (password from REFSTACK_REGISTRY_PASSWORD)

The artifact (OCI 1.1, artifactType application/vnd.refstack.result.v1+json) has one
layer per file: results JSON, subunit stream, run record, sanitised tempest.conf,
test list. Its digest is the run's identity; the tag is for people. A publish that
failed half-way resumes: blobs the registry has already are not sent again.")]
pub(crate) struct PublishArgs {
    /// The run: a directory with one run record (*.run.json), or a record file.
    pub(crate) run_dir: PathBuf,
    /// REGISTRY/REPO[:TAG] (a tag is derived when none is given).
    pub(crate) reference: String,
    /// The runner image to refer to as the subject (REGISTRY/REPO@sha256:…), instead of
    /// the record's.
    #[arg(long, value_name = "IMAGE@DIGEST")]
    pub(crate) subject: Option<String>,
    /// Registry login.
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `pull`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  refstack-tester pull 127.0.0.1:5000/refstack/runs@sha256:3b0c… run/
  refstack-tester report run/ --guideline 2020.06
  refstack-tester upload run/ --url https://refstack.example

Every layer is checked against its digest and size before it is kept, and the
files against the SHA-256s of the run record. report, upload and upload-subunit
also take oci://REGISTRY/REPO@DIGEST directly.")]
pub(crate) struct PullArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:… (oci:// allowed).
    pub(crate) reference: String,
    /// The directory to write the run to (created if missing).
    pub(crate) dir: PathBuf,
    /// Registry login.
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `runs`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  refstack-tester runs 127.0.0.1:5000/refstack/runs --subject sha256:9f2e…

Asks the registry's referrers API, and for registries without it (distribution
2.8) the referrers tag schema, which publish keeps up to date.")]
pub(crate) struct RunsArgs {
    /// REGISTRY/REPO the runs were published to.
    pub(crate) repository: String,
    /// The runner image's manifest digest (sha256:…).
    #[arg(long, value_name = "DIGEST")]
    pub(crate) subject: String,
    /// Registry login.
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `certify`.
#[derive(Debug, Args)]
#[command(after_help = "Example (seed 003's steps, one command):
  refstack-tester certify --guideline 2020.06 -c etc/tempest.conf \\
      --url https://refstack.example -i ~/.ssh/id_rsa \\
      --publish registry.example/interop/mycloud

1. the test list: <url>/v1/guidelines/<guideline>/tests?target=&type=&alias=&flag=
2. `test` with that list into a new directory (results, stream, run record),
   scored against the guideline;
3. the results uploaded (signed with -i) to --url: prints the report URL;
4. with --publish, the run pushed as an OCI artifact: prints its digest.

Exit status as `test --guideline`: 0 the cloud complies, 1 it does not,
2 the tool, Tempest, the upload or the publish failed.")]
pub(crate) struct CertifyArgs {
    /// Path of the Tempest configuration file to use.
    #[arg(short = 'c', long = "conf-file")]
    pub(crate) conf_file: PathBuf,
    /// The guideline version (the server's test list for it is run).
    #[arg(long, value_name = "VERSION")]
    pub(crate) guideline: String,
    /// Target program.
    #[arg(long, default_value = "platform")]
    pub(crate) target: String,
    /// Capability statuses of the list, comma separated.
    #[arg(long = "type", default_value = "required", value_name = "TYPES")]
    pub(crate) types: String,
    /// Include test aliases.
    #[arg(long, default_value = "true", value_name = "BOOL")]
    pub(crate) alias: String,
    /// Include flagged tests.
    #[arg(long, default_value = "false", value_name = "BOOL")]
    pub(crate) flag: String,
    /// The run's directory (default: refstack-run-<UTC time> here); must not hold a run yet.
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// Push the run to REGISTRY/REPO[:TAG] after the upload.
    #[arg(long, value_name = "REGISTRY/REPO[:TAG]")]
    pub(crate) publish: Option<String>,
    /// Run the tests in parallel.
    #[arg(short = 'p', long)]
    pub(crate) parallel: bool,
    /// The Tempest checkout or workspace to run in.
    #[arg(long, env = "REFSTACK_TEMPEST_DIR", value_name = "DIR")]
    pub(crate) tempest_dir: Option<PathBuf>,
    /// The tempest executable.
    #[arg(long, env = "REFSTACK_TEMPEST_BIN", value_name = "PATH")]
    pub(crate) tempest_bin: Option<PathBuf>,
    /// The runner image this run happens in, pinned by digest.
    #[arg(long, env = "REFSTACK_RUNNER_IMAGE", value_name = "IMAGE@DIGEST")]
    pub(crate) runner_image: Option<String>,
    /// Network options (the RefStack server: --url, required).
    #[command(flatten)]
    pub(crate) net: NetworkArgs,
    /// Registry login (for --publish).
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// After "--", arguments passed to `tempest run`.
    #[arg(last = true, allow_hyphen_values = true, value_name = "TEMPEST_ARGS")]
    pub(crate) tempest_args: Vec<String>,
}

/// `runner …`.
#[derive(Debug, Subcommand)]
pub(crate) enum RunnerCommand {
    /// Write a Containerfile and a run spec (runner.toml) with Tempest and plugins pinned.
    Init(RunnerInitArgs),
    /// Build a runner directory's Containerfile with podman or buildah (and push it).
    Build(RunnerBuildArgs),
    /// Run `refstack-tester test` in a runner image with the cloud's files mounted.
    Run(RunnerRunArgs),
}

/// The container engine.
#[derive(Debug, Args, Clone)]
pub(crate) struct EngineArgs {
    /// podman (or buildah, for builds): a name on PATH or a path.
    #[arg(
        long,
        env = "REFSTACK_CONTAINER_ENGINE",
        default_value = "podman",
        value_name = "PROGRAM"
    )]
    pub(crate) engine: PathBuf,
    /// The OCI runtime podman uses (`runc` where the default `crun` fails).
    #[arg(long, env = "REFSTACK_CONTAINER_RUNTIME", value_name = "RUNTIME")]
    pub(crate) runtime: Option<String>,
}

/// `runner init`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  refstack-tester runner init runner/ \\
      --tempest https://opendev.org/openstack/tempest@<40-hex commit> \\
      --plugin https://opendev.org/openstack/designate-tempest-plugin@<commit>
  refstack-tester runner build runner/ --push registry.example/interop/runner

Each suite is cloned, checked out at its commit and verified (git rev-parse HEAD)
while the image builds; a branch or tag name is refused unless --allow-unpinned.
The image holds no infrastructure: `runner run` mounts tempest.conf, the accounts
file and clouds.yaml read-only at run time.")]
pub(crate) struct RunnerInitArgs {
    /// The directory to write Containerfile, runner.toml, suites.json and the tester to.
    pub(crate) dir: PathBuf,
    /// Tempest, as REPO@COMMIT.
    #[arg(long, value_name = "REPO@COMMIT")]
    pub(crate) tempest: String,
    /// A Tempest plugin, as [NAME=]REPO@COMMIT (repeatable).
    #[arg(long = "plugin", value_name = "[NAME=]REPO@COMMIT")]
    pub(crate) plugins: Vec<String>,
    /// The base image (Python with pip).
    #[arg(long, default_value = refstack_tester::runner::DEFAULT_BASE, value_name = "IMAGE")]
    pub(crate) base: String,
    /// Accept branch or tag names instead of commit ids.
    #[arg(long)]
    pub(crate) allow_unpinned: bool,
    /// The tester binary to put in the image (default: this one).
    #[arg(long, value_name = "PATH")]
    pub(crate) tester: Option<PathBuf>,
}

/// `runner build`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  refstack-tester runner build runner/ --tag localhost/refstack-runner:40.0.0 \\
      --push 127.0.0.1:5000/interop/runner
      prints the image pinned by digest, for `runner run` and `runs --subject`")]
pub(crate) struct RunnerBuildArgs {
    /// The directory with the Containerfile (and runner.toml, checked for unpinned suites).
    pub(crate) dir: PathBuf,
    /// The local image name.
    #[arg(long, default_value = "localhost/refstack-runner:latest")]
    pub(crate) tag: String,
    /// Push the image to REGISTRY/REPO[:TAG] and print it pinned by digest.
    #[arg(long, value_name = "REGISTRY/REPO")]
    pub(crate) push: Option<String>,
    /// Push over plain HTTP (loopback registries always are).
    #[arg(long)]
    pub(crate) plain_http: bool,
    /// The container engine.
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
}

/// `runner run`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  refstack-tester runner run 127.0.0.1:5000/interop/runner@sha256:… \\
      -c etc/tempest.conf --test-list list.txt --output-dir results/ \\
      --publish 127.0.0.1:5000/interop/runs -- --guideline 2020.06

tempest.conf, the accounts file it names ([auth] test_accounts_file, mounted at the
same path) and clouds.yaml are mounted read-only, never copied into an image; the
results directory is mounted read-write and receives the results, the stream and
the run record, whose runner.image is the image's digest. The exit status is the
tester's in the container.")]
pub(crate) struct RunnerRunArgs {
    /// The runner image (REGISTRY/REPO@sha256:… is recorded as the run's runner image).
    pub(crate) image: String,
    /// tempest.conf on this machine.
    #[arg(short = 'c', long = "conf-file")]
    pub(crate) conf_file: PathBuf,
    /// clouds.yaml on this machine.
    #[arg(long, value_name = "FILE")]
    pub(crate) clouds: Option<PathBuf>,
    /// A test list file or URL.
    #[arg(long)]
    pub(crate) test_list: Option<String>,
    /// Where the results, stream and run record go.
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: PathBuf,
    /// The container network (default: host).
    #[arg(long)]
    pub(crate) network: Option<String>,
    /// One more argument for `podman run` (repeatable), e.g. --podman-arg=--ulimit=nofile=1024:1024.
    #[arg(long = "podman-arg", allow_hyphen_values = true, value_name = "ARG")]
    pub(crate) podman_args: Vec<String>,
    /// Publish the run to REGISTRY/REPO[:TAG] afterwards.
    #[arg(long, value_name = "REGISTRY/REPO[:TAG]")]
    pub(crate) publish: Option<String>,
    /// Registry login (for --publish).
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// The container engine.
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// After "--", arguments for `refstack-tester test` in the container.
    #[arg(last = true, allow_hyphen_values = true, value_name = "TEST_ARGS")]
    pub(crate) test_args: Vec<String>,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

/// `man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write one page per subcommand into this directory instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn upstream_spellings_parse() {
        let cli = Cli::try_parse_from([
            "refstack-tester",
            "test",
            "-c",
            "t.conf",
            "-r",
            "tag",
            "--test-list",
            "l.txt",
            "-u",
            "-p",
            "-k",
            "-i",
            "key",
            "--url",
            "http://x",
            "-v",
            "-y",
            "--",
            "--regex",
            "foo",
        ])
        .unwrap();
        let Command::Test(t) = cli.command else {
            panic!("not test")
        };
        assert_eq!(t.tempest_args, ["--regex", "foo"]);
        assert!(t.upload && t.parallel && t.net.insecure);
        assert_eq!(cli.global.verbose, 1);
        assert!(Cli::try_parse_from(["refstack-tester", "-s", "-v", "list"]).is_err());
        // --keystone-endpoint is needed for a stream file only (a run
        // directory's record has the CPID): checked when the command runs.
        assert!(Cli::try_parse_from(["refstack-tester", "upload-subunit", "f"]).is_ok());
        assert!(Cli::try_parse_from(["refstack-tester", "sign", "k", "--url", "x"]).is_err());
    }
}
