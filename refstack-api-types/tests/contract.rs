//! Every type against the JSON documented for upstream RefStack 2.1.0
//! (`refstack-v1-api.md` §1–§4): round trips and exact key sets.

use pretty_assertions::assert_eq;
use refstack_api_types::error::{ErrorBody, ExceptionErrorBody, HttpErrorBody};
use refstack_api_types::guidelines::{GuidelineFile, GuidelineList, Target, TestListQuery};
use refstack_api_types::products::{
    CreatedId, ProductCreateRequest, ProductDetail, ProductKind, ProductList, ProductType,
    ProductUpdateRequest, ProductUpdateResponse, ProductVersion, ProductVersionCreateRequest,
    ProductVersionUpdateRequest, ProductVersionWithProduct,
};
use refstack_api_types::profile::{
    ApiTokenCreateRequest, ApiTokenCreated, Profile, Pubkey, PubkeyId, PubkeyUploadRequest,
};
use refstack_api_types::results::{
    Meta, MetaKey, MetaValue, ResultDetail, ResultRecord, ResultUpdateRequest, ResultsPage,
    ResultsQuery, UploadRequest, UploadResponse, UploadedTest, UserRole, VerificationStatus,
};
use refstack_api_types::schemas::{PUBKEY_SCHEMA, RESULTS_SCHEMA};
use refstack_api_types::vendors::{
    OrganizationType, VendorAction, VendorActionError, VendorActionRequest, VendorDetail,
    VendorList, VendorUpdateRequest, VendorUser, VendorUsers,
};
use refstack_api_types::{Timestamp, UnknownWireValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Parses `json` into `T`, serializes it back and checks the result equals
/// the input as a JSON value (same keys, same values, nothing added or lost).
fn round_trip<T: DeserializeOwned + Serialize>(
    json: &str,
) -> Result<T, Box<dyn std::error::Error>> {
    let typed: T = serde_json::from_str(json)?;
    let back = serde_json::to_value(&typed)?;
    let expected: Value = serde_json::from_str(json)?;
    assert_eq!(back, expected);
    Ok(typed)
}

/// The sorted keys of a serialized object.
fn keys<T: Serialize>(value: &T) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    match serde_json::to_value(value)? {
        Value::Object(map) => {
            let mut k: Vec<String> = map.keys().cloned().collect();
            k.sort();
            Ok(k)
        }
        other => Err(format!("not an object: {other}").into()),
    }
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ results

const PRODUCT_VERSION: &str = r#"{"id": "928d04df-0000-4000-8000-000000000001", "version": "2.0",
    "cpid": "cpid-alice-1",
    "product_info": {"id": "ef10b916-0000-4000-8000-000000000002", "name": "Bob Cloud",
                     "organization_id": "97e28a8d-0000-4000-8000-000000000003", "public": true}}"#;

#[test]
fn upload_request_round_trip_and_uuid_omitted() -> TestResult {
    let json = r#"{"cpid": "6a0c4d1b", "duration_seconds": 10, "results": [
        {"name": "tempest.api.compute.test_versions.TestVersions.test_list_api_versions",
         "uuid": "6c0a0990-43b6-4529-9b61-5fd8daf7c55c"},
        {"name": "tempest.api.identity.test_tokens"}]}"#;
    let up: UploadRequest = round_trip(json)?;
    assert_eq!(up.results.len(), 2);
    assert_eq!(up.results[1].uuid, None);
    assert_eq!(keys(&up.results[1])?, sorted(&["name"]));
    assert_eq!(keys(&up)?, sorted(&["cpid", "duration_seconds", "results"]));
    // Compact serialization, in upstream's key order.
    let one = UploadRequest {
        cpid: "c".into(),
        duration_seconds: 0,
        results: vec![UploadedTest::new("t")],
    };
    assert_eq!(
        serde_json::to_string(&one)?,
        r#"{"cpid":"c","duration_seconds":0,"results":[{"name":"t"}]}"#
    );
    Ok(())
}

#[test]
fn upload_request_rejections_match_upstream_schema() {
    let bad = [
        // top-level extra key
        r#"{"cpid": "c", "duration_seconds": 1, "results": [], "extra": 1}"#,
        // duration_seconds must be a JSON integer
        r#"{"cpid": "c", "duration_seconds": "10", "results": []}"#,
        r#"{"cpid": "c", "duration_seconds": 1.5, "results": []}"#,
        r#"{"cpid": "c", "duration_seconds": true, "results": []}"#,
        // items must be objects
        r#"{"cpid": "c", "duration_seconds": 1, "results": ["a"]}"#,
        r#"{"cpid": "c", "duration_seconds": 1, "results": [["a", "b"]]}"#,
        // uuid: null is rejected
        r#"{"cpid": "c", "duration_seconds": 1, "results": [{"name": "a", "uuid": null}]}"#,
        // missing name (upstream: 500) and missing required keys
        r#"{"cpid": "c", "duration_seconds": 1, "results": [{"uuid": "u"}]}"#,
        r#"{"duration_seconds": 1, "results": []}"#,
        r#"{"cpid": "c", "results": []}"#,
        r#"{"cpid": "c", "duration_seconds": 1}"#,
        // cpid must be a string
        r#"{"cpid": null, "duration_seconds": 1, "results": []}"#,
        // not an object
        r#"[1]"#,
        r#"["c", 1, []]"#,
        "",
    ];
    for body in bad {
        assert!(
            serde_json::from_str::<UploadRequest>(body).is_err(),
            "accepted: {body}"
        );
    }
}

#[test]
fn upload_request_accepts_what_upstream_accepts() -> TestResult {
    // Extra keys inside items (legacy `uid`) are ignored; uuid format is not checked.
    let up: UploadRequest = serde_json::from_str(
        r#"{"cpid": "c", "duration_seconds": -3, "results": [
            {"name": "a", "uid": "legacy", "uuid": "not-a-uuid"}, {"name": "b", "status": 1}]}"#,
    )?;
    assert_eq!(up.results[0], UploadedTest::with_uuid("a", "not-a-uuid"));
    assert_eq!(up.results[1], UploadedTest::new("b"));
    assert_eq!(keys(&up.results[0])?, sorted(&["name", "uuid"]));
    // An empty result list is valid JSON-wise (the server answers 400 later).
    let empty: UploadRequest =
        serde_json::from_str(r#"{"cpid": "", "duration_seconds": 0, "results": []}"#)?;
    assert!(empty.results.is_empty());
    Ok(())
}

#[test]
fn upload_response() -> TestResult {
    let r: UploadResponse = round_trip(
        r#"{"test_id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
            "url": "https://refstack.openstack.org/#/results/8fb89ee2-22e4-49f4-80c1-4832e6e5391f"}"#,
    )?;
    assert_eq!(keys(&r)?, sorted(&["test_id", "url"]));
    Ok(())
}

#[test]
fn results_page_documented_example() -> TestResult {
    let json = format!(
        r#"{{"results": [
           {{"created_at": "2026-11-22 01:53:33", "id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
            "duration_seconds": 10, "verification_status": 0,
            "meta": {{"shared": "true", "guideline": "2020.06.json", "target": "platform"}},
            "product_version": {PRODUCT_VERSION},
            "url": "https://refstack.openstack.org/#/results/8fb89ee2-22e4-49f4-80c1-4832e6e5391f"}},
           {{"created_at": "2026-11-22 01:50:00", "id": "11111111-22e4-49f4-80c1-4832e6e5391f",
            "duration_seconds": 3, "verification_status": 1, "meta": {{}},
            "product_version": null,
            "url": "https://refstack.openstack.org/#/results/11111111-22e4-49f4-80c1-4832e6e5391f"}}],
         "pagination": {{"current_page": 1, "total_pages": 2}}}}"#
    );
    let page: ResultsPage = round_trip(&json)?;
    assert_eq!(page.pagination.total_pages, 2);
    let item = &page.results[0];
    assert_eq!(item.verification_status, VerificationStatus::NotVerified);
    assert_eq!(
        page.results[1].verification_status,
        VerificationStatus::Verified
    );
    assert_eq!(item.created_at.to_string(), "2026-11-22 01:53:33");
    // No cpid in list items, product_version present even when null.
    let item_keys = sorted(&[
        "created_at",
        "id",
        "duration_seconds",
        "verification_status",
        "meta",
        "product_version",
        "url",
    ]);
    assert_eq!(keys(item)?, item_keys);
    assert_eq!(keys(&page.results[1])?, item_keys);
    assert_eq!(
        serde_json::to_value(&page.results[1])?["product_version"],
        Value::Null
    );
    Ok(())
}

#[test]
fn results_page_empty() -> TestResult {
    let page: ResultsPage =
        round_trip(r#"{"results": [], "pagination": {"current_page": 1, "total_pages": 0}}"#)?;
    assert!(page.results.is_empty());
    assert_eq!(keys(&page)?, sorted(&["results", "pagination"]));
    Ok(())
}

#[test]
fn result_detail_owner_example() -> TestResult {
    let d: ResultDetail = round_trip(
        r#"{"created_at": "2026-11-22 01:53:33", "id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
            "cpid": "cpid-alice-1", "duration_seconds": 10,
            "verification_status": 0, "meta": {"user": "https://openstackid.org/alice.a"},
            "product_version": null,
            "results": ["tempest.api.compute.test_a", "tempest.api.compute.test_b"],
            "user_role": "owner"}"#,
    )?;
    assert_eq!(d.user_role, UserRole::Owner);
    assert_eq!(d.cpid.as_deref(), Some("cpid-alice-1"));
    assert_eq!(
        keys(&d)?,
        sorted(&[
            "created_at",
            "id",
            "cpid",
            "duration_seconds",
            "verification_status",
            "meta",
            "product_version",
            "results",
            "user_role"
        ])
    );
    Ok(())
}

#[test]
fn result_detail_user_view_has_no_cpid() -> TestResult {
    let json = format!(
        r#"{{"created_at": "2026-11-22 01:53:33", "id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
            "duration_seconds": 10, "verification_status": 0,
            "meta": {{"shared": "true", "target": "platform"}},
            "product_version": {PRODUCT_VERSION},
            "results": ["a.test", "B.test", "é.test", "z.test"], "user_role": "user"}}"#
    );
    let d: ResultDetail = round_trip(&json)?;
    assert_eq!(d.cpid, None);
    assert!(!keys(&d)?.contains(&"cpid".to_owned()));
    assert_eq!(d.results, ["a.test", "B.test", "é.test", "z.test"]);
    // Foundation role spelled as upstream does.
    assert_eq!(
        serde_json::to_string(&UserRole::Foundation)?,
        r#""foundation""#
    );
    assert!(serde_json::from_str::<UserRole>(r#""admin""#).is_err());
    Ok(())
}

#[test]
fn result_record_put_answer() -> TestResult {
    let json = format!(
        r#"{{"created_at": "2026-11-22 01:53:33", "id": "8fb89ee2-22e4-49f4-80c1-4832e6e5391f",
            "duration_seconds": 10, "verification_status": 1,
            "meta": {{"user": "https://openstackid.org/alice.a", "shared": "true",
                      "guideline": "2020.06.json", "target": "platform"}},
            "product_version": {PRODUCT_VERSION}}}"#
    );
    let r: ResultRecord = round_trip(&json)?;
    assert_eq!(
        keys(&r)?,
        sorted(&[
            "created_at",
            "id",
            "duration_seconds",
            "verification_status",
            "meta",
            "product_version"
        ])
    );
    let pv = r.product_version.ok_or("product_version missing")?;
    assert_eq!(pv.product_info.name, "Bob Cloud");
    Ok(())
}

#[test]
fn result_update_request_tri_state() -> TestResult {
    let absent: ResultUpdateRequest = serde_json::from_str("{}")?;
    assert_eq!(absent, ResultUpdateRequest::default());
    assert_eq!(serde_json::to_string(&absent)?, "{}");

    let null: ResultUpdateRequest = round_trip(r#"{"product_version_id": null}"#)?;
    assert_eq!(null.product_version_id, Some(None));

    let set: ResultUpdateRequest =
        round_trip(r#"{"product_version_id": "928d04df", "verification_status": 1}"#)?;
    assert_eq!(set.product_version_id, Some(Some("928d04df".to_owned())));
    assert_eq!(set.verification_status, Some(1));

    // Out-of-range integers reach the server, which answers upstream's 400.
    let five: ResultUpdateRequest = serde_json::from_str(r#"{"verification_status": 5}"#)?;
    assert_eq!(five.verification_status, Some(5));
    // Unknown keys are ignored (no schema on PUT bodies).
    let extra: ResultUpdateRequest =
        serde_json::from_str(r#"{"foo": 1, "product_version_id": ""}"#)?;
    assert_eq!(extra.product_version_id, Some(Some(String::new())));
    Ok(())
}

#[test]
fn meta_values() -> TestResult {
    let all: Meta = round_trip(r#"{"user": "https://openstackid.org/alice.a", "shared": "true"}"#)?;
    assert_eq!(all.get("shared").map(String::as_str), Some("true"));
    let one: MetaValue = round_trip(r#""2020.06.json""#)?;
    assert_eq!(one.as_deref(), Some("2020.06.json"));
    let missing: MetaValue = round_trip("null")?;
    assert_eq!(missing, None);

    assert_eq!(
        MetaKey::WRITABLE.map(MetaKey::as_str),
        ["shared", "guideline", "target"]
    );
    assert_eq!(MetaKey::from_key("user"), Some(MetaKey::User));
    assert!(!MetaKey::User.is_writable());
    assert!(MetaKey::WRITABLE.iter().all(|k| k.is_writable()));
    assert_eq!(MetaKey::from_key("public_key"), None);
    assert_eq!(
        serde_json::to_string(&MetaKey::Guideline)?,
        r#""guideline""#
    );
    Ok(())
}

#[test]
fn results_query_raw_strings() -> TestResult {
    let q: ResultsQuery = round_trip(
        r#"{"page": "2", "start_date": "2015-01-01 00:00:00", "end_date": "2015-12-31 23:59:59",
            "cpid": "c", "verification_status": "1", "signed": "", "product_id": "p"}"#,
    )?;
    assert_eq!(q.signed.as_deref(), Some(""));
    assert_eq!(serde_json::to_string(&ResultsQuery::default())?, "{}");
    Ok(())
}

#[test]
fn verification_status_wire_values() -> TestResult {
    assert_eq!(serde_json::to_string(&VerificationStatus::Verified)?, "1");
    assert_eq!(
        serde_json::from_str::<VerificationStatus>("0")?,
        VerificationStatus::NotVerified
    );
    assert!(serde_json::from_str::<VerificationStatus>("2").is_err());
    assert!(serde_json::from_str::<VerificationStatus>(r#""1""#).is_err());
    assert_eq!(
        VerificationStatus::try_from(7),
        Err(UnknownWireValue {
            type_name: "VerificationStatus",
            value: 7
        })
    );
    Ok(())
}

// --------------------------------------------------------------- guidelines

#[test]
fn guideline_list_documented_example() -> TestResult {
    let json = r#"{"dns": [{"name": "2020.06.json", "file": "dns.2020.06.json"}],
 "orchestration": [{"name": "2020.06.json", "file": "orchestration.2020.06.json"}],
 "powered": [{"name": "2015.05.json", "file": "2015.05.json"}, {"name": "2020.06.json", "file": "2020.06.json"},
             {"name": "next.json", "file": "next.json"}]}"#;
    let list: GuidelineList = round_trip(json)?;
    assert_eq!(list.powered.len(), 3);
    assert_eq!(list.add_ons.len(), 2);
    assert!(!list.add_ons.contains_key("powered"));
    assert_eq!(
        list.add_ons["orchestration"],
        vec![GuidelineFile {
            name: "2020.06.json".into(),
            file: "orchestration.2020.06.json".into()
        }]
    );
    // Add-ons first, then powered (upstream's order).
    let text = serde_json::to_string(&list)?;
    assert!(text.starts_with(r#"{"dns":"#), "{text}");
    assert!(text.find("\"powered\"") > text.find("\"orchestration\""));
    Ok(())
}

#[test]
fn guideline_list_all_sources_failed() -> TestResult {
    let list: GuidelineList = round_trip(r#"{"powered": []}"#)?;
    assert_eq!(list, GuidelineList::default());
    assert_eq!(serde_json::to_string(&list)?, r#"{"powered":[]}"#);
    Ok(())
}

#[test]
fn test_list_query_and_targets() -> TestResult {
    let q: TestListQuery = round_trip(
        r#"{"target": "platform", "type": "required,advisory", "alias": "true", "flag": "false"}"#,
    )?;
    assert_eq!(q.kind.as_deref(), Some("required,advisory"));
    assert_eq!(serde_json::to_string(&TestListQuery::default())?, "{}");
    for t in Target::ALL {
        assert_eq!(Target::from_name(t.as_str()), Some(t));
        assert_eq!(serde_json::to_string(&t)?, format!("\"{}\"", t.as_str()));
    }
    assert_eq!(Target::SharedFileSystem.as_str(), "shared_file_system");
    assert!(Target::Dns.is_add_on());
    assert!(!Target::Object.is_add_on());
    Ok(())
}

// ------------------------------------------------------------------ profile

#[test]
fn api_tokens() -> TestResult {
    let req: ApiTokenCreateRequest = round_trip(r#"{"name": "laptop"}"#)?;
    assert_eq!(req.expires_at, None);
    let req: ApiTokenCreateRequest =
        round_trip(r#"{"name": "ci", "expires_at": "2030-01-02 03:04:05"}"#)?;
    assert_eq!(
        req.expires_at.map(|t| t.to_string()).as_deref(),
        Some("2030-01-02 03:04:05")
    );
    for bad in [
        r#"{"expires_at": "2030-01-02 03:04:05"}"#,
        r#"{"name": "x", "scope": "all"}"#,
        r#"{"name": "x", "expires_at": "tomorrow"}"#,
        r#"["x"]"#,
    ] {
        assert!(
            serde_json::from_str::<ApiTokenCreateRequest>(bad).is_err(),
            "{bad}"
        );
    }
    let created: ApiTokenCreated = round_trip(
        r#"{"id": "0190b7a0-0000-7000-8000-000000000000", "name": "ci",
            "created_at": "2026-12-07 23:00:00", "expires_at": null, "expired": false,
            "token": "rst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    )?;
    assert_eq!(
        keys(&created)?,
        sorted(&["id", "name", "created_at", "expires_at", "expired", "token"])
    );
    assert_eq!(
        keys(&created.info)?,
        sorted(&["id", "name", "created_at", "expires_at", "expired"])
    );
    Ok(())
}

#[test]
fn profile_and_pubkeys() -> TestResult {
    let p: Profile = round_trip(
        r#"{"openid": "https://openstackid.org/alice.a", "email": "alice@example.org",
            "fullname": "Alice A", "is_admin": false}"#,
    )?;
    assert_eq!(
        keys(&p)?,
        sorted(&["openid", "email", "fullname", "is_admin"])
    );

    let list: Vec<Pubkey> = round_trip(
        r#"[{"id": "b0201d1a-e31f-4215-956e-aa8332d5ca6c", "openid": "https://openstackid.org/alice.a",
             "format": "ssh-rsa", "pubkey": "AAAAB3NzaC1yc2EAAAADAQABAAABAQ", "comment": "alice@host"},
            {"id": "c0201d1a-e31f-4215-956e-aa8332d5ca6c", "openid": "https://openstackid.org/alice.a",
             "format": "ssh-rsa", "pubkey": "AAAAB3NzaC1yc2EAAAADAQABAAABAg", "comment": ""}]"#,
    )?;
    assert_eq!(
        keys(&list[0])?,
        sorted(&["id", "openid", "format", "pubkey", "comment"])
    );

    let req: PubkeyUploadRequest =
        round_trip(r#"{"raw_key": "ssh-rsa AAAA alice@host", "self_signature": "0a1b"}"#)?;
    assert_eq!(req.self_signature, "0a1b");
    for bad in [
        r#"{"raw_key": "ssh-rsa AAAA"}"#,
        r#"{"raw_key": "ssh-rsa AAAA", "self_signature": "00", "x": 1}"#,
        r#"{"raw_key": 1, "self_signature": "00"}"#,
        r#"["ssh-rsa AAAA", "00"]"#,
    ] {
        assert!(
            serde_json::from_str::<PubkeyUploadRequest>(bad).is_err(),
            "{bad}"
        );
    }

    // The POST answer is a bare JSON string.
    let id: PubkeyId = round_trip(r#""b0201d1a-e31f-4215-956e-aa8332d5ca6c""#)?;
    assert_eq!(id.0, "b0201d1a-e31f-4215-956e-aa8332d5ca6c");
    assert_eq!(
        serde_json::to_string(&id)?,
        r#""b0201d1a-e31f-4215-956e-aa8332d5ca6c""#
    );
    Ok(())
}

// ------------------------------------------------------------------ vendors

#[test]
fn vendor_list_and_views() -> TestResult {
    let list: VendorList = round_trip(
        r#"{"vendors": [
            {"id": "97e28a8d-0000-4000-8000-000000000003", "type": 3, "name": "Bob Inc",
             "description": "clouds", "can_manage": false},
            {"id": "17e28a8d-0000-4000-8000-000000000004", "type": 1, "name": "vendor_x",
             "description": null, "can_manage": true}]}"#,
    )?;
    assert_eq!(list.vendors[0].kind, OrganizationType::OfficialVendor);
    assert_eq!(
        keys(&list.vendors[1])?,
        sorted(&["id", "type", "name", "description", "can_manage"])
    );

    let full = r#"{"created_at": "2026-11-22 01:53:30", "updated_at": "2026-11-22 01:53:34",
        "id": "97e28a8d-0000-4000-8000-000000000003", "type": 2, "name": "Bob Inc",
        "description": "clouds", "group_id": "g-1", "created_by_user": "https://openstackid.org/bob",
        "properties": "{\"registration_decline_reason\": \"no\"}", "can_manage": true}"#;
    let admin: VendorDetail = round_trip(full)?;
    let VendorDetail::Full(f) = &admin else {
        return Err("admin view parsed as summary".into());
    };
    assert_eq!(f.kind, OrganizationType::PendingVendor);
    assert_eq!(
        keys(&admin)?,
        sorted(&[
            "created_at",
            "updated_at",
            "id",
            "type",
            "name",
            "description",
            "group_id",
            "created_by_user",
            "properties",
            "can_manage"
        ])
    );
    // Microseconds right after a write are accepted.
    let fresh = full.replace("01:53:34", "01:53:33.907213");
    let VendorDetail::Full(f) = serde_json::from_str::<VendorDetail>(&fresh)? else {
        return Err("admin view parsed as summary".into());
    };
    assert_eq!(
        f.updated_at.map(|t| t.to_string()).as_deref(),
        Some("2026-11-22 01:53:33")
    );

    let public: VendorDetail = round_trip(
        r#"{"id": "0", "type": 0, "name": "OpenStack Foundation", "description": null, "can_manage": false}"#,
    )?;
    assert!(matches!(public, VendorDetail::Summary(_)));
    assert_eq!(
        keys(&public)?,
        sorted(&["id", "type", "name", "description", "can_manage"])
    );
    Ok(())
}

#[test]
fn organization_type_wire_values() -> TestResult {
    let expect = [
        (OrganizationType::Foundation, 0),
        (OrganizationType::PrivateVendor, 1),
        (OrganizationType::PendingVendor, 2),
        (OrganizationType::OfficialVendor, 3),
    ];
    for (t, n) in expect {
        assert_eq!(t.as_i64(), n);
        assert_eq!(serde_json::to_string(&t)?, n.to_string());
        assert_eq!(OrganizationType::try_from(n), Ok(t));
    }
    assert_eq!(OrganizationType::ALL.len(), 4);
    assert!(serde_json::from_str::<OrganizationType>("4").is_err());
    assert!(serde_json::from_str::<OrganizationType>("-1").is_err());
    Ok(())
}

#[test]
fn vendor_requests() -> TestResult {
    let create: refstack_api_types::vendors::VendorCreateRequest =
        round_trip(r#"{"name": "Bob Inc", "description": "clouds"}"#)?;
    assert_eq!(create.name, "Bob Inc");
    let minimal: refstack_api_types::vendors::VendorCreateRequest =
        round_trip(r#"{"name": "Bob Inc"}"#)?;
    assert_eq!(minimal.description, None);
    for bad in [
        r#"{"description": "x"}"#,
        r#"{"name": "a", "other": 1}"#,
        r#"{"name": "a", "description": null}"#,
    ] {
        assert!(
            serde_json::from_str::<refstack_api_types::vendors::VendorCreateRequest>(bad).is_err(),
            "{bad}"
        );
    }
    let update: VendorUpdateRequest = round_trip(r#"{"name": "n", "properties": {"a": [1, 2]}}"#)?;
    assert_eq!(update.properties, Some(serde_json::json!({"a": [1, 2]})));
    let ignored: VendorUpdateRequest = serde_json::from_str(r#"{"foo": "bar"}"#)?;
    assert_eq!(ignored, VendorUpdateRequest::default());
    let created: CreatedId = round_trip(r#"{"id": "97e28a8d-0000-4000-8000-000000000003"}"#)?;
    assert_eq!(keys(&created)?, sorted(&["id"]));
    Ok(())
}

#[test]
fn vendor_action_exactly_one() -> TestResult {
    for action in VendorAction::ALL {
        let json = format!(r#"{{"{}": null}}"#, action.as_str());
        let req: VendorActionRequest = round_trip(&json)?;
        assert_eq!(req, VendorActionRequest::new(action));
    }
    let deny: VendorActionRequest =
        round_trip(r#"{"deny": null, "registration_decline_reason": "incomplete"}"#)?;
    assert_eq!(deny.action, VendorAction::Deny);
    assert_eq!(
        deny.registration_decline_reason.as_deref(),
        Some("incomplete")
    );
    // Values are ignored, other keys too.
    let odd: VendorActionRequest = serde_json::from_str(r#"{"approve": {"x": 1}, "note": 3}"#)?;
    assert_eq!(odd, VendorActionRequest::new(VendorAction::Approve));

    let two = VendorActionRequest::from_json(br#"{"register": null, "approve": null}"#);
    assert_eq!(
        two.as_ref().map_err(ToString::to_string),
        Err("Invalid actions in the body: ['register', 'approve']".to_owned())
    );
    assert_eq!(
        VendorActionRequest::from_json(br#"{"foo": 1}"#).map_err(|e| e.to_string()),
        Err("Invalid actions in the body: []".to_owned())
    );
    assert_eq!(
        VendorActionRequest::from_json(b"[]"),
        Err(VendorActionError::Malformed)
    );
    assert!(serde_json::from_str::<VendorActionRequest>(r#"{"cancel": 1, "deny": 2}"#).is_err());
    assert!(serde_json::from_str::<VendorActionRequest>("{}").is_err());
    Ok(())
}

#[test]
fn vendor_users() -> TestResult {
    let users: VendorUsers = round_trip(
        r#"[{"openid": "https://openstackid.org/bob", "email": "bob@example.org", "fullname": "Bob"}]"#,
    )?;
    let users = users.ok_or("users missing")?;
    assert_eq!(keys(&users[0])?, sorted(&["openid", "email", "fullname"]));
    let hidden: VendorUsers = round_trip("null")?;
    assert_eq!(hidden, None);
    let _: Vec<VendorUser> = round_trip("[]")?;
    Ok(())
}

// ----------------------------------------------------------------- products

#[test]
fn product_list_and_views() -> TestResult {
    let list: ProductList = round_trip(
        r#"{"products": [{"id": "ef10b916", "name": "Bob Cloud", "description": null,
            "organization_id": "97e28a8d", "public": true, "type": 0, "product_type": 1,
            "can_manage": false}]}"#,
    )?;
    let p = &list.products[0];
    assert_eq!(p.product_type, ProductType::PublicCloud);
    assert_eq!(p.kind, ProductKind::Cloud);
    let summary_keys = sorted(&[
        "id",
        "name",
        "description",
        "organization_id",
        "public",
        "type",
        "product_type",
        "can_manage",
    ]);
    assert_eq!(keys(p)?, summary_keys);
    assert!(!keys(p)?.contains(&"product_ref_id".to_owned()));

    let admin: ProductDetail = round_trip(
        r#"{"created_at": "2026-11-22 01:53:31", "updated_at": null, "id": "ef10b916",
            "name": "Bob Distro", "description": "d", "organization_id": "97e28a8d",
            "created_by_user": "https://openstackid.org/bob", "public": false,
            "properties": null, "type": 1, "product_type": 0, "can_manage": true}"#,
    )?;
    let ProductDetail::Full(full) = &admin else {
        return Err("admin view parsed as summary".into());
    };
    assert_eq!(full.updated_at, None);
    assert_eq!(full.product_type.kind(), full.kind);
    assert_eq!(
        keys(&admin)?,
        sorted(&[
            "created_at",
            "updated_at",
            "id",
            "name",
            "description",
            "organization_id",
            "created_by_user",
            "public",
            "properties",
            "type",
            "product_type",
            "can_manage"
        ])
    );
    let public: ProductDetail = round_trip(
        r#"{"id": "ef10b916", "name": "Bob Cloud", "description": "d", "organization_id": "97e28a8d",
            "public": true, "type": 0, "product_type": 2, "can_manage": false}"#,
    )?;
    assert!(matches!(public, ProductDetail::Summary(_)));
    assert_eq!(keys(&public)?, summary_keys);
    Ok(())
}

#[test]
fn product_type_wire_values() -> TestResult {
    assert_eq!(ProductType::Distro.kind(), ProductKind::Software);
    assert_eq!(ProductType::PublicCloud.kind(), ProductKind::Cloud);
    assert_eq!(ProductType::HostedPrivateCloud.kind(), ProductKind::Cloud);
    assert_eq!(
        serde_json::to_string(&ProductType::HostedPrivateCloud)?,
        "2"
    );
    assert_eq!(serde_json::to_string(&ProductKind::Software)?, "1");
    assert!(serde_json::from_str::<ProductType>("3").is_err());
    assert!(serde_json::from_str::<ProductKind>("2").is_err());
    Ok(())
}

#[test]
fn product_requests() -> TestResult {
    let create: ProductCreateRequest = round_trip(
        r#"{"name": "Bob Cloud", "description": "d", "product_type": 1,
            "organization_id": "97e28a8d", "version": "1.0"}"#,
    )?;
    assert_eq!(create.product_type, ProductType::PublicCloud);
    let minimal: ProductCreateRequest = round_trip(r#"{"name": "n", "product_type": 0}"#)?;
    assert_eq!(keys(&minimal)?, sorted(&["name", "product_type"]));
    for bad in [
        r#"{"name": "n"}"#,
        r#"{"product_type": 0}"#,
        r#"{"name": "n", "product_type": 0, "product_ref_id": "x"}"#,
        r#"{"name": "n", "product_type": "0"}"#,
    ] {
        assert!(
            serde_json::from_str::<ProductCreateRequest>(bad).is_err(),
            "{bad}"
        );
    }

    let update: ProductUpdateRequest =
        round_trip(r#"{"name": "n2", "public": "true", "properties": {"k": "v"}}"#)?;
    assert_eq!(update.public, Some(Value::from("true")));
    let dead: ProductUpdateRequest =
        serde_json::from_str(r#"{"product_ref_id": "x", "public": false}"#)?;
    assert_eq!(dead.public, Some(Value::Bool(false)));

    let answer: ProductUpdateResponse = round_trip(
        r#"{"id": "ef10b916", "name": "n2", "organization_id": "97e28a8d", "public": true, "can_manage": true}"#,
    )?;
    assert_eq!(
        keys(&answer)?,
        sorted(&["id", "name", "organization_id", "public", "can_manage"])
    );
    Ok(())
}

#[test]
fn product_versions() -> TestResult {
    let list: Vec<ProductVersion> = round_trip(
        r#"[{"id": "v0", "product_id": "ef10b916", "version": null, "cpid": null},
            {"id": "v1", "product_id": "ef10b916", "version": "2.0", "cpid": "cpid-alice-1"}]"#,
    )?;
    assert_eq!(list[0].version, None);
    assert_eq!(
        keys(&list[0])?,
        sorted(&["id", "product_id", "version", "cpid"])
    );

    let with_product: ProductVersionWithProduct = round_trip(PRODUCT_VERSION)?;
    assert_eq!(
        keys(&with_product)?,
        sorted(&["id", "version", "cpid", "product_info"])
    );
    assert_eq!(
        keys(&with_product.product_info)?,
        sorted(&["id", "name", "organization_id", "public"])
    );

    let create: ProductVersionCreateRequest = round_trip(r#"{"version": "2.0", "cpid": "c"}"#)?;
    assert_eq!(create.cpid.as_deref(), Some("c"));
    let bare: ProductVersionCreateRequest = round_trip(r#"{"version": "2.0"}"#)?;
    assert_eq!(keys(&bare)?, sorted(&["version"]));
    assert!(serde_json::from_str::<ProductVersionCreateRequest>(r#"{"cpid": "c"}"#).is_err());
    assert!(
        serde_json::from_str::<ProductVersionCreateRequest>(r#"{"version": "2", "x": 1}"#).is_err()
    );

    let clear: ProductVersionUpdateRequest = round_trip(r#"{"cpid": null}"#)?;
    assert_eq!(clear.cpid, Some(None));
    let keep: ProductVersionUpdateRequest = serde_json::from_str(r#"{"version": "ignored"}"#)?;
    assert_eq!(keep.cpid, None);
    assert_eq!(serde_json::to_string(&keep)?, "{}");
    Ok(())
}

// ------------------------------------------------------------------- errors

#[test]
fn http_error_shape() -> TestResult {
    let not_found: HttpErrorBody =
        round_trip(r#"{"code": 404, "title": "Not Found", "detail": null}"#)?;
    assert_eq!(keys(&not_found)?, sorted(&["code", "title", "detail"]));
    assert_eq!(
        serde_json::to_string(&not_found)?,
        r#"{"code":404,"title":"Not Found","detail":null}"#
    );
    let _: HttpErrorBody =
        round_trip(r#"{"code": 405, "title": "Method Not Allowed", "detail": ""}"#)?;
    let unauthorized: ErrorBody = round_trip(
        r#"{"code": 401, "title": "Unauthorized", "detail": "User with specified key not found. Please log into the RefStack server to upload your key."}"#,
    )?;
    assert!(matches!(unauthorized, ErrorBody::Http(_)));
    assert_eq!(unauthorized.code(), 401);
    assert!(
        unauthorized
            .message()
            .starts_with("User with specified key")
    );
    // detail is required in this shape.
    assert!(
        serde_json::from_str::<HttpErrorBody>(r#"{"code": 404, "title": "Not Found"}"#).is_err()
    );
    Ok(())
}

#[test]
fn exception_error_shape() -> TestResult {
    let e: ExceptionErrorBody =
        round_trip(r#"{"title": "Request doesnt correspond to schema", "code": 400}"#)?;
    assert_eq!(keys(&e)?, sorted(&["title", "code"]));
    assert_eq!(
        serde_json::to_string(&e)?,
        r#"{"title":"Request doesnt correspond to schema","code":400}"#
    );
    let any: ErrorBody = round_trip(r#"{"title": "Malformed request", "code": 400}"#)?;
    assert!(matches!(any, ErrorBody::Exception(_)));
    assert_eq!(any.detail(), None);
    assert_eq!(any.message(), "Malformed request");
    let dev: ErrorBody = serde_json::from_str(
        r#"{"title": "Malformed request", "code": 400, "detail": "Malformed request(JSONDecodeError: x)"}"#,
    )?;
    // With detail present the body is indistinguishable from shape 1; either
    // way the accessors give the same answers.
    assert_eq!(dev.title(), "Malformed request");
    assert_eq!(dev.detail(), Some("Malformed request(JSONDecodeError: x)"));
    Ok(())
}

// ------------------------------------------------------------------ schemas

#[test]
fn published_schemas_parse_and_match_types() -> TestResult {
    let results: Value = serde_json::from_str(RESULTS_SCHEMA)?;
    assert_eq!(results["additionalProperties"], Value::Bool(false));
    assert_eq!(
        results["required"],
        serde_json::json!(["cpid", "duration_seconds", "results"])
    );
    assert_eq!(
        results["properties"]["results"]["items"]["properties"]["uuid"]["format"],
        "uuid_hex"
    );
    // The schema's top-level properties are exactly UploadRequest's keys.
    let sample = UploadRequest {
        cpid: "c".into(),
        duration_seconds: 1,
        results: vec![UploadedTest::with_uuid("n", "u")],
    };
    let mut props: Vec<String> = results["properties"]
        .as_object()
        .ok_or("properties")?
        .keys()
        .cloned()
        .collect();
    props.sort();
    assert_eq!(keys(&sample)?, props);

    let pubkey: Value = serde_json::from_str(PUBKEY_SCHEMA)?;
    assert_eq!(
        pubkey["required"],
        serde_json::json!(["raw_key", "self_signature"])
    );
    let sample = PubkeyUploadRequest {
        raw_key: "k".into(),
        self_signature: "s".into(),
    };
    let mut props: Vec<String> = pubkey["properties"]
        .as_object()
        .ok_or("properties")?
        .keys()
        .cloned()
        .collect();
    props.sort();
    assert_eq!(keys(&sample)?, props);

    // Python json.dumps layout: ", " and ": " separators, insertion order.
    assert!(RESULTS_SCHEMA.starts_with(r#"{"type": "object", "properties": {"cpid": "#));
    assert!(PUBKEY_SCHEMA.ends_with(r#""additionalProperties": false}"#));
    assert!(!RESULTS_SCHEMA.contains('\n'));
    Ok(())
}

#[test]
fn timestamps_in_bodies() -> TestResult {
    let t: Timestamp = "2015-01-01 00:00:00".parse()?;
    assert_eq!(serde_json::to_value(t)?, Value::from("2015-01-01 00:00:00"));
    Ok(())
}
