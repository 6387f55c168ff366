//! The client and models generated from `spec/enkash.yaml` by `build.rs` (progenitor).
//!
//! Never edited by hand: the reviewed source is `generated/enkash.snap`; change the spec and
//! accept the snapshot instead (README, "When EnKash's docs change").
#![allow(
    missing_docs,
    unused_imports,
    clippy::all,
    clippy::pedantic,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/enkash_generated.rs"));
