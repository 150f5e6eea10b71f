//! RefStack domain logic: interop guidelines, test lists, compliance scoring,
//! test ids, upload payloads and signatures. Pure: no I/O.

pub mod cpid;
pub mod guideline;
pub mod signature;
pub mod target;
pub mod testlist;

pub use guideline::{Guideline, GuidelineError, Schema, Status};
pub use target::{AddOn, InvalidTarget, Target};
pub use testlist::{StatusFilter, TestListQuery, test_list, test_list_text};
