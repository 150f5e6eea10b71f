//! `upload` and `upload-subunit`, and the shared confirm-sign-send step.

use anyhow::{Context, Result};
use refstack_api_types::results::UploadRequest;
use refstack_api_types::stream::StreamUploadResponse;
use refstack_core::signature::PrivateKey;
use refstack_tester::{http, output, results, sign};

use crate::cli::{GlobalArgs, NetworkArgs, UploadArgs, UploadSubunitArgs};

/// Serialise `payload` once, sign those bytes when a key is given, POST
/// them, and print the result page. Errors carry the server's message.
pub(crate) async fn send(
    net: &NetworkArgs,
    payload: &UploadRequest,
    global: &GlobalArgs,
) -> Result<output::Uploaded> {
    let key = load_key(net)?;
    let uploaded = send_with_key(net, payload, key.as_ref()).await?;
    print_uploaded(&uploaded, global)?;
    Ok(uploaded)
}

/// The text (or, with `--json`, the JSON) of a finished upload.
pub(crate) fn print_uploaded(uploaded: &output::Uploaded, global: &GlobalArgs) -> Result<()> {
    // The upload is stored: a closed standard output must not turn that
    // into a failure (a retrying wrapper would upload it twice).
    if global.json {
        super::print_json(uploaded)
    } else {
        super::out::print(format!("Test results uploaded!\nURL: {}\n", uploaded.url))
    }
}

/// The signing key of `-i`, if given (asking for its passphrase if needed).
pub(crate) fn load_key(net: &NetworkArgs) -> Result<Option<PrivateKey>> {
    Ok(match &net.priv_key {
        Some(path) => Some(sign::load_private_key(path)?),
        None => None,
    })
}

/// Signs (with `key`) and sends `payload`; prints nothing.
pub(crate) async fn send_with_key(
    net: &NetworkArgs,
    payload: &UploadRequest,
    key: Option<&PrivateKey>,
) -> Result<output::Uploaded> {
    let body = serde_json::to_vec(payload).context("cannot serialise the results")?;
    let headers = match key {
        Some(key) => Some(sign::signature_headers(key, &body)?),
        None => None,
    };
    let client = http::client(&super::api_http(net))?;
    let url = net.api_url()?;
    let answer = http::upload_bytes(&client, &url, body, headers.as_ref()).await?;
    Ok(output::Uploaded {
        id: answer.test_id,
        url: answer.url,
        api_url: url,
        signed: key.is_some(),
        passed_tests: payload.results.len(),
    })
}

/// After a signed upload, the run's whole subunit stream (`stream`) to
/// `PUT /v1/results/<id>/stream`, gzip-compressed and signed with the same
/// key, when the server offers that endpoint (upstream does not: nothing
/// is sent, nothing said). An unsigned run has no owner to send it.
pub(crate) async fn send_stream(
    net: &NetworkArgs,
    test_id: &str,
    stream: &std::path::Path,
    key: Option<&PrivateKey>,
) -> Result<Option<StreamUploadResponse>> {
    let client = http::client(&super::api_http(net))?;
    let url = net.api_url()?;
    if !http::offers_stream_upload(&client, &url).await {
        return Ok(None);
    }
    let Some(key) = key else {
        tracing::info!(
            "{url} also takes the full results (every test's status and traceback) of signed \
             uploads: upload with -i KEY to send them"
        );
        return Ok(None);
    };
    let raw = std::fs::read(stream).with_context(|| format!("cannot read {}", stream.display()))?;
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 4),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut gz, &raw).context("cannot compress the stream")?;
    let body = gz.finish().context("cannot compress the stream")?;
    let headers = sign::signature_headers(key, &body)?;
    Ok(Some(
        http::upload_stream(&client, &url, test_id, body, Some(&headers)).await?,
    ))
}

async fn confirm_and_send(
    net: &NetworkArgs,
    global: &GlobalArgs,
    payload: &UploadRequest,
) -> Result<u8> {
    let question = format!("Test results will be uploaded to {}. Ok?", net.api_url()?);
    if !super::confirm(global, &question)? {
        eprintln!("Upload cancelled.");
        if global.json {
            super::print_json(&output::UploadCancelled {
                cancelled: true,
                api_url: net.api_url()?,
            })?;
        }
        return Ok(0);
    }
    send(net, payload, global).await?;
    Ok(0)
}

pub(crate) async fn run(args: UploadArgs, global: &GlobalArgs) -> Result<u8> {
    let payload = if super::oci::is_run_input(&args.file) {
        let input = super::oci::open_run(&args.file).await?;
        let json = input.run.results_json().ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the run has no results JSON (no test ran)",
                args.file.display()
            )
        })?;
        results::read_results_json(&json)?
    } else {
        results::read_results_json(&args.file)?
    };
    confirm_and_send(&args.net, global, &payload).await
}

pub(crate) async fn run_subunit(args: UploadSubunitArgs, global: &GlobalArgs) -> Result<u8> {
    let payload = if super::oci::is_run_input(&args.file) {
        let input = super::oci::open_run(&args.file).await?;
        let cpid = match &args.keystone_endpoint {
            Some(e) => refstack_tester::cpid::cpid_from_endpoint(e)?,
            None => input.run.record.cloud.cpid.clone(),
        };
        results::payload_from_stream_file(&input.run.subunit(), cpid, 0)?
    } else {
        let endpoint = args.keystone_endpoint.as_deref().ok_or_else(|| {
            anyhow::anyhow!(
                "--keystone-endpoint URL is needed to make the cloud provider id of a subunit \
                 file (a run directory or oci:// reference has it in its record)"
            )
        })?;
        let cpid = refstack_tester::cpid::cpid_from_endpoint(endpoint)?;
        results::payload_from_stream_file(&args.file, cpid, 0)?
    };
    tracing::info!(
        "Number of passed tests in given subunit file: {}",
        payload.results.len()
    );
    confirm_and_send(&args.net, global, &payload).await
}
