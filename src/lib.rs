#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs builds with every feature and badges each item a feature gates.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
pub mod auth;
mod bill_params;
pub mod client;
pub mod config;
mod de;
mod driver;
pub mod enums;
pub mod error;
pub mod exactly_once;
pub mod field;
mod generated;
pub mod money;
pub mod operation;
pub mod pages;
pub mod patch;
mod redact;
pub mod response;
pub mod retry;
pub mod secret;
pub mod time;
pub mod tls;
pub mod upload;
pub mod validate;
pub mod webhook;

#[cfg(fuzzing)]
#[doc(hidden)]
pub use answer::fuzzing;
pub use client::{CallOptions, Resolution};
pub use config::{Config, Credentials, Environment, ProxySetting, Timeouts};
pub use error::{Error, ErrorMeta, ResponseCode};
pub use exactly_once::{BillRequest, ExactlyOnceError, SettlePolicy};
pub use generated::{Client, builder, operations, types};
pub use money::{Amount, Quantity};
pub use response::{Response, ResponseMetadata};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use time::Timestamp;
pub use upload::Upload;
