//! Run the Tempest tests of an interop guideline against an OpenStack cloud,
//! score the results, sign and upload them to a RefStack server.
