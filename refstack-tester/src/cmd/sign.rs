//! `sign`: print the public key and its self-signature for the RefStack UI.

use anyhow::Result;
use refstack_tester::{output, sign};

use crate::cli::{GlobalArgs, SignArgs};

pub(crate) async fn run(args: SignArgs, global: &GlobalArgs) -> Result<u8> {
    let signed = sign::self_sign(&args.priv_key_to_sign)?;
    if signed.derived {
        tracing::warn!(
            "Public key file {}.pub not found. Public key is generated from private one.",
            args.priv_key_to_sign.display()
        );
    }
    if global.json {
        super::print_json(&output::Signed {
            public_key: signed.public_key,
            self_signature: signed.signature_hex,
            derived_public_key: signed.derived,
        })?;
    } else {
        super::out::print(format!(
            "Public key:\n{}\n\nSelf signature:\n{}\n\n",
            signed.public_key, signed.signature_hex
        ))?;
    }
    Ok(0)
}
