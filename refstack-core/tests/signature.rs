//! Signature vectors from the refstack-client reference (section 3).

use refstack_core::signature::{PrivateKey, PublicKey, SignatureError, md5_fingerprint_of_line};

const PKCS1: &str = include_str!("fixtures/rsa_key_pkcs1.pem");
const PKCS8: &str = include_str!("fixtures/rsa_key_pkcs8.pem");
const OPENSSH: &str = include_str!("fixtures/rsa_key_openssh");

const PUBLIC_LINE: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCVt4jQ4z1QUWu3SQE4J54TGSm1tbDsWh9jKq3EGEJav1Pg9rc/GwYi2OUoNxKE9mVBr7Fup8gEYHwaXUZvtztb0DdTQQBvdyd85UyLlzYgWOA8k+5EeQHESdaLkuBem6DJnfi8naratX/AWTbckPFOCifLpJTyZYn/THDPbJD0kMwnkXwN0ANDsy27KGaZGPrJnDQ83MJ+amBe3Ordt55Ku0uCm2mdDRQdSfe0kG1zwpYX+9IaXWLPIcz3mkUNfKzaUeG3s61xDIdLaBC2N6LRTvQKHIFhuZW0oAJiyCidBatsB3xP5Lk6d9+ebwrWUM7J5A6uPmsRGvg1BSXqSqNbUsicXZM937++TbvPTH+PD/QkShlisVfOHithdq4xr7E7ZchWGmkiwmvws+FV6E00tzeyGtZCefmzbBA580lyoKg8IKDs+frkZKx95oox9BzXQCMB8BnHqBejz/NRiIKOoYwhOUUegF/JPblJYSzR2XX2FQJ9GNbsmatVaEIpg+IL3Wqu0epkuTlT/pgO+Her7HZr26bKiNdF/V8ziCieWYL+mioIcuOUuL7eTclvK1OxX58jHeHcKD4KxMbN1nFBkcbYWGNmIJkv97xS9eJ2JscCrcWB3bNlYcs+sWLji9CpqizFlBiqhvmFVDCogwZyDt9VnSzcmRkoDOCPo1l6Jw==";

const SELF_SIGNATURE: &str = "413cb95482c65941949a9e49d6d319dca4c2cb05201335e92e4eb79c8db40776495b1f3be64f956c9b71f3bc2d4355599ab35f09ae09ec7889f2cddb9adbaf7221b03850c7ebc26c6358a8d840b78b6725b93d7bd218bb25daf944d11aec0bc0fba614db5e4d484a7d448e1f04e094f87c4f0344516e004a784e0f89afbb630cfd9279568038a3481579041709488239df62a92aa82eeeab48a72ca5860335fc31d034c356b40cb47a3ca4b3f459ee6dcaf4ad0e818e1d0ffeb356ee38d3c6570fd7738f55a383450abb46a41d2528d726cf9152588630ebc7e6a5333805f9fe87a2a03a93216a621b494a1232bf3a74b1da2951a1465517976a932a63f846f8e0777cd26d73cacad990e92b269d2a7f98f1acaa89fe8d14ee81b63268f79f873a1f32f5f9c90e7b20b343009973a06ace8ce06b56ccacba80b31dc6b6ff7b038e607011ced7e52664044cc1bd4c9ff88a079c6f8d3a403b858720070ed45a3df40da062105595e6a05351643b904707bcb11fde511c94cea1322ff1446a3e519f5e362f88ab6eb6f951a6a0f34465a469fa988c77c637df38dfee269a1e2f46c7c1a1a7378340c7afccd55c3a0c269255a137e7ac79ac911a31cbcdb3f3d12e115c57a76b43369ec403e8883d84b2fef02bbfb337852f3420d60f52a97b3601433ff5c44d18d6a7e8acbf7ed63b7de41103089a19338a822666fae2b12d2ab0";

const BODY: &[u8] =
    br#"{"cpid": "test-id", "duration_seconds": 0, "results": [{"name": "tempest.passed.test"}]}"#;

const BODY_SIGNATURE: &str = "53a2571da1d53b28809af3e35a4ea3c26dec58ddb35c8a6ee003140ee006d6f2913f0a7e2bc96938f326915454c7c085868170eb51839c7eb6cbeca1c61ba335585a0e94e39fb69205dd22a41c3b4f452d553dc7b6427c8a616e6dc1f9eb402800cc12315f910843ec6279d39fa0ef2339d9ec929e60e04607a81c4abb58c00abbc59dc4502228419beea5bfb6f330860fb515f7923f8e4dbb2ec810b23d938c4a3bfe58af60fdf1c6eea90a101ee03fb3d17613f459bb691858f16eb5de2ccbcb477499b73bc4e3e75a309118f2578c6ba4ea35984fb854be55ec4aa5cebb1413b3cec78b397bcd3b2d749274368da70a9409da4c71618b23b2e23f9af4b308d2d43db68306a0743b60855842c9dd5a27fd19833724abb55dfc1ebf01ef0f9c08502dceed16a28ead3d7dddbc3d9a61ef0452b8bbf2c02f0f2f8266d3ec654391d3e3af1d989c5549362849603dd8e58255f9088542abc61d7a2a090af952a0dc8f10b2d89bb2a911d2af29836bd0ca7abe89e5e2a26596e20c7d271db2e4ba9e2b0c4a7c9da30fdca9fd0976fd4f8cbcdf5ae3bd335d345a45ddfb23b99e7689a0ef69b808f8b54b95ec729374762bbf7e3a952ec1ba88180b3aa9e114fbc409a809868076771e563d4385d7af2f386521664c546b56a52fbb92298ee2d4419ae9855f9e7a501eb15b68b068374a49b4e1030ee25bd2c32fff5012e147c670";

fn key(text: &str) -> PrivateKey {
    match PrivateKey::from_pem(text) {
        Ok(k) => k,
        Err(e) => panic!("key did not load: {e}"),
    }
}

fn public() -> PublicKey {
    match PublicKey::from_openssh(PUBLIC_LINE) {
        Ok(k) => k,
        Err(e) => panic!("public key did not parse: {e}"),
    }
}

#[test]
fn every_private_key_format_reproduces_the_reference_vectors() {
    for (format, text) in [("pkcs1", PKCS1), ("pkcs8", PKCS8), ("openssh", OPENSSH)] {
        let k = key(text);
        assert_eq!(k.public_key().to_openssh(), PUBLIC_LINE, "{format}");
        assert_eq!(k.public_key().bits(), 4096, "{format}");
        assert_eq!(
            k.self_signature_hex().as_deref(),
            Ok(SELF_SIGNATURE),
            "{format}"
        );
        assert_eq!(k.sign_hex(BODY).as_deref(), Ok(BODY_SIGNATURE), "{format}");
    }
}

#[test]
fn public_key_verifies_the_reference_vectors() {
    let p = public();
    assert_eq!(p.verify_self_signature(SELF_SIGNATURE), Ok(()));
    assert_eq!(p.verify_hex(BODY, BODY_SIGNATURE), Ok(()));
    // Upper-case hex is still hex.
    assert_eq!(p.verify_hex(BODY, &BODY_SIGNATURE.to_uppercase()), Ok(()));
    // One byte of the body changed: rejected.
    let mut tampered = BODY.to_vec();
    tampered[10] ^= 1;
    assert_eq!(
        p.verify_hex(&tampered, BODY_SIGNATURE),
        Err(SignatureError::VerificationFailed)
    );
    // The self-signature does not sign the body.
    assert_eq!(
        p.verify_hex(BODY, SELF_SIGNATURE),
        Err(SignatureError::VerificationFailed)
    );
    assert_eq!(
        p.verify_self_signature("not hex"),
        Err(SignatureError::MalformedSignature)
    );
    assert_eq!(
        p.verify_self_signature("abcd"),
        Err(SignatureError::VerificationFailed)
    );
}

#[test]
fn public_key_lines_with_comments_and_whitespace() {
    let with_comment = format!("  {PUBLIC_LINE} refstack test key (multi word) \n");
    let p = match PublicKey::from_openssh(&with_comment) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(p.comment(), Some("refstack test key (multi word)"));
    assert_eq!(p.blob(), public().blob());
    assert_eq!(p.to_openssh(), PUBLIC_LINE);
    assert_eq!(p.verify_self_signature(SELF_SIGNATURE), Ok(()));
    let tabbed = PUBLIC_LINE.replacen(' ', "\t", 1);
    assert!(PublicKey::from_openssh(&tabbed).is_ok());
}

#[test]
fn fingerprint_is_md5_of_the_blob() {
    let p = public();
    let expected = md5_fingerprint_of_line(PUBLIC_LINE);
    assert_eq!(Ok(p.md5_fingerprint()), expected);
    assert_eq!(
        md5_fingerprint_of_line(&format!("{PUBLIC_LINE} some comment")),
        expected
    );
    // Computed independently: `cut -d' ' -f2 | base64 -d | md5sum`.
    assert_eq!(p.md5_fingerprint(), "9c02939b1c955be65e6b03bd6fc70612");
}

#[test]
fn malformed_keys_are_rejected() {
    assert!(matches!(
        PublicKey::from_openssh("ssh-rsa"),
        Err(SignatureError::MalformedPublicKey(_))
    ));
    assert!(matches!(
        PublicKey::from_openssh("ssh-rsa !!!notbase64"),
        Err(SignatureError::MalformedPublicKey(_))
    ));
    assert!(matches!(
        PublicKey::from_openssh(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        ),
        Err(SignatureError::UnsupportedKeyType(_))
    ));
    // A truncated blob.
    assert!(matches!(
        PublicKey::from_openssh(&PUBLIC_LINE[..200]),
        Err(SignatureError::MalformedPublicKey(_))
    ));
    assert!(matches!(
        PrivateKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
        ),
        Err(SignatureError::MalformedPrivateKey(_))
    ));
    assert!(matches!(
        PrivateKey::from_pem("hello"),
        Err(SignatureError::MalformedPrivateKey(_))
    ));
    assert!(matches!(
        PrivateKey::from_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        ),
        Err(SignatureError::EncryptedPrivateKey | SignatureError::MalformedPrivateKey(_))
    ));
}

/// The fixture key, passphrase-protected at test time in both formats
/// (cheap KDF settings so that debug builds stay fast).
fn encrypted_fixtures(passphrase: &[u8]) -> [(&'static str, String); 2] {
    let openssh = match ssh_key::PrivateKey::from_openssh(OPENSSH) {
        Ok(k) => k,
        Err(e) => panic!("fixture: {e}"),
    };
    let kdf = ssh_key::Kdf::Bcrypt {
        salt: vec![7; 16],
        rounds: 1,
    };
    let openssh = openssh
        .encrypt_with(ssh_key::Cipher::Aes256Ctr, kdf, 0x5eed_1234, passphrase)
        .and_then(|k| k.to_openssh(ssh_key::LineEnding::LF).map(|t| t.to_string()));
    let Ok(openssh) = openssh else {
        panic!("OpenSSH encryption failed");
    };
    let Ok((_, der)) = rsa::pkcs8::der::pem::decode_vec(PKCS8.as_bytes()) else {
        panic!("fixture PEM");
    };
    let Ok(info) = rsa::pkcs8::PrivateKeyInfo::try_from(der.as_slice()) else {
        panic!("fixture PKCS#8");
    };
    let Ok(params) =
        rsa::pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(1000, &[3; 16], &[5; 16])
    else {
        panic!("PBES2 parameters");
    };
    let pkcs8 = info
        .encrypt_with_params(params, passphrase)
        .ok()
        .and_then(|doc| {
            doc.to_pem("ENCRYPTED PRIVATE KEY", rsa::pkcs8::LineEnding::LF)
                .ok()
                .map(|p| p.to_string())
        });
    let Some(pkcs8) = pkcs8 else {
        panic!("PKCS#8 encryption failed");
    };
    [("openssh", openssh), ("pkcs8", pkcs8)]
}

#[test]
fn passphrase_protected_keys_load_with_the_right_passphrase_only() {
    let pass = b"correct horse battery";
    for (format, text) in encrypted_fixtures(pass) {
        assert!(
            text.contains("OPENSSH PRIVATE KEY") || text.contains("ENCRYPTED PRIVATE KEY"),
            "{format}"
        );
        assert_eq!(
            PrivateKey::from_pem(&text).err(),
            Some(SignatureError::EncryptedPrivateKey),
            "{format}"
        );
        let k = match PrivateKey::from_pem_with_passphrase(&text, pass) {
            Ok(k) => k,
            Err(e) => panic!("{format}: {e}"),
        };
        assert_eq!(k.public_key().to_openssh(), PUBLIC_LINE, "{format}");
        assert_eq!(
            k.self_signature_hex().as_deref(),
            Ok(SELF_SIGNATURE),
            "{format}"
        );
        for wrong in [&b"correct horse"[..], b"", b"Correct horse battery"] {
            assert_eq!(
                PrivateKey::from_pem_with_passphrase(&text, wrong).err(),
                Some(SignatureError::WrongPassphrase),
                "{format}"
            );
        }
    }
    // A key without encryption loads with any passphrase.
    for text in [PKCS1, PKCS8, OPENSSH] {
        assert!(PrivateKey::from_pem_with_passphrase(text, b"unused").is_ok());
    }
    // OpenSSL's legacy encrypted PEM is refused with a way out.
    let legacy = PKCS1.replace(
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
    );
    match PrivateKey::from_pem_with_passphrase(&legacy, b"x") {
        Err(SignatureError::MalformedPrivateKey(m)) => assert!(m.contains("ssh-keygen -p"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
}
