//! The OpenAPI 3.1 document of the v1 API, served at `/v1/openapi.json`:
//! paths from the handlers' `#[utoipa::path]` attributes, schemas from
//! `refstack-api-types` (feature `openapi`).

use utoipa::OpenApi;

use crate::auth::{routes, tokens};
use crate::{compare, compliance, guidelines, products, profile, results, stream, vendors};

/// The annotated operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "RefStack v1 API",
        description = "Compatible with RefStack 2.1.0. Served under /v1 and under the \
                       configured mount prefix (default /api/v1). Errors use two shapes: \
                       {code, title, detail} (HttpErrorBody) and {title, code} \
                       (ExceptionErrorBody). Authenticate with `Authorization: Bearer <RS256 JWT>` \
                       (claims user_openid, exp) signed with a registered key."
    ),
    paths(
        results::list,
        results::upload,
        results::schema,
        results::get_one,
        results::update,
        results::delete,
        results::meta_all,
        results::meta_get,
        results::meta_set,
        results::meta_delete,
        compliance::compliance,
        stream::upload_stream,
        compare::compare_runs,
        guidelines::list,
        guidelines::file,
        guidelines::tests::test_list,
        profile::profile,
        profile::list_keys,
        profile::add_key,
        profile::delete_key,
        profile::schema,
        routes::signin,
        routes::signin_return,
        routes::signout,
        tokens::list_tokens,
        tokens::create_token,
        tokens::delete_token,
        vendors::list,
        vendors::create,
        vendors::get_one,
        vendors::update,
        vendors::delete,
        vendors::action,
        vendors::users,
        vendors::add_user,
        vendors::remove_user,
        products::list,
        products::create,
        products::get_one,
        products::update,
        products::delete,
        products::list_versions,
        products::create_version,
        products::get_version,
        products::update_version,
        products::delete_version,
    ),
    tags(
        (name = "results", description = "Test runs: upload, listing, association, verification, metadata"),
        (name = "guidelines", description = "Interop guidelines and test lists"),
        (name = "profile", description = "The caller's account, public keys and personal API tokens"),
        (name = "auth", description = "Browser sign-in with OpenID Connect (redirects; sets the `refstack` session cookie)"),
        (name = "vendors", description = "Vendors (organizations) and their members"),
        (name = "products", description = "Products and product versions"),
    )
)]
struct Operations;

/// The complete document: operations plus every contract schema.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Operations::openapi();
    doc.merge(refstack_api_types::openapi::ApiTypes::openapi());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as JSON, computed once.
pub fn json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        document()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".to_owned())
    })
}
