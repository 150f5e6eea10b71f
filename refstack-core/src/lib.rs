//! RefStack domain logic: interop guidelines, test lists, compliance scoring,
//! test ids, upload payloads and signatures. Pure: no I/O.
