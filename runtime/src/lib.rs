//! The sluice runtime: what generated pipelines link against.
//!
//! Generated code is thin: it declares the program's record types, key and
//! accumulator structs, and one fused function per chain of stages; the
//! generic machinery lives here, compiled once:
//! - [`io`]: file sources, decoding (JSON, CSV, text), sinks, dead letters;
//! - [`ops`]: window, running-aggregate, dedupe and lookup-table state;
//! - [`watermark`]: event-time watermarks per input partition;
//! - [`functions`]: the language's built-ins and checked operators;
//! - [`driver`] and [`config`]: the run loop and the binary's command line.
//!
//! - [`kafka`] and [`checkpoint`]: direct Kafka consumption, transactional
//!   sinks, and checkpoints of state and offsets (see docs/delivery.md).
//!
//! File sinks are written under a temporary name and moved into place at the
//! end of a successful run, so a failed run leaves no output. Parquet files
//! ([`io::parquet`], feature `parquet`) and PostgreSQL tables ([`io::postgres`],
//! feature `postgres`) are written only by programs built with those features.

pub mod checkpoint;
pub mod config;
pub mod driver;
pub mod fault;
pub mod functions;
pub mod io;
pub mod kafka;
pub mod keys;
pub mod ops;
pub mod rfc3339;
pub mod schema;
pub mod state;
pub mod time;
pub mod watermark;

pub use fault::{Error, Fault};
#[cfg(feature = "macros")]
pub use sluice_macros::stream;
pub use time::{Duration, Timestamp};

/// Re-exported for generated code, so it needs no dependencies of its own.
#[doc(hidden)]
pub mod __private {
    pub use regex::Regex;
    pub use serde;
    pub use serde_json;
    pub use std::borrow::Cow;
}
