//! Every contract type as OpenAPI components (feature `openapi`).
//!
//! A server merges these into its own document so that types referenced
//! only indirectly still get a component:
//!
//! ```
//! use utoipa::OpenApi;
//! use refstack_api_types::openapi::ApiTypes;
//!
//! let doc = ApiTypes::openapi();
//! let components = doc.components.expect("components");
//! assert!(components.schemas.contains_key("UploadRequest"));
//! ```

use crate::Timestamp;
use crate::compare::{CapabilityChange, CompareReport, CompareRun, TestChange};
use crate::compliance::{
    CapabilityReport, CapabilityStatus, ComplianceQuery, ComplianceReport, RequiredSummary,
    StatusReport, StreamSummary, TestOutcome, TestReport,
};
use crate::error::{ErrorBody, ExceptionErrorBody, HttpErrorBody};
use crate::guidelines::{GuidelineFile, GuidelineList, Target, TestListQuery};
use crate::products::{
    CreatedId, ProductCreateRequest, ProductDetail, ProductFull, ProductInfo, ProductKind,
    ProductList, ProductSummary, ProductType, ProductUpdateRequest, ProductUpdateResponse,
    ProductVersion, ProductVersionCreateRequest, ProductVersionUpdateRequest,
    ProductVersionWithProduct,
};
use crate::profile::{
    ApiToken, ApiTokenCreateRequest, ApiTokenCreated, Profile, Pubkey, PubkeyId,
    PubkeyUploadRequest,
};
use crate::results::{
    MetaKey, Pagination, ResultDetail, ResultListItem, ResultRecord, ResultUpdateRequest,
    ResultsPage, ResultsQuery, UploadRequest, UploadResponse, UploadedTest, UserRole,
    VerificationStatus,
};
use crate::stream::StreamUploadResponse;
use crate::vendors::{
    OrganizationType, VendorAction, VendorActionRequest, VendorCreateRequest, VendorDetail,
    VendorFull, VendorList, VendorSummary, VendorUpdateRequest, VendorUser,
};

/// An OpenAPI document holding only components: one schema per type of
/// this crate. Merge it into the server's document.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    Timestamp,
    HttpErrorBody,
    ExceptionErrorBody,
    ErrorBody,
    UploadRequest,
    UploadedTest,
    UploadResponse,
    VerificationStatus,
    UserRole,
    Pagination,
    ResultsPage,
    ResultListItem,
    ResultDetail,
    ResultRecord,
    ResultUpdateRequest,
    MetaKey,
    ResultsQuery,
    GuidelineFile,
    GuidelineList,
    TestListQuery,
    Target,
    Profile,
    Pubkey,
    PubkeyUploadRequest,
    PubkeyId,
    ApiTokenCreateRequest,
    ApiToken,
    ApiTokenCreated,
    OrganizationType,
    VendorSummary,
    VendorFull,
    VendorDetail,
    VendorList,
    VendorCreateRequest,
    VendorUpdateRequest,
    VendorAction,
    VendorActionRequest,
    VendorUser,
    ProductType,
    ProductKind,
    ProductInfo,
    ProductVersionWithProduct,
    ProductVersion,
    ProductSummary,
    ProductFull,
    ProductDetail,
    ProductList,
    ProductCreateRequest,
    ProductUpdateRequest,
    ProductUpdateResponse,
    ProductVersionCreateRequest,
    ProductVersionUpdateRequest,
    CreatedId,
    ComplianceQuery,
    ComplianceReport,
    RequiredSummary,
    StatusReport,
    CapabilityReport,
    TestReport,
    TestOutcome,
    StreamSummary,
    StreamUploadResponse,
    CompareReport,
    CompareRun,
    CapabilityChange,
    TestChange,
    CapabilityStatus,
)))]
pub struct ApiTypes;
