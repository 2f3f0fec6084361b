//! Integration tests of sluice, one binary with a module per area.

mod codegen;
mod common;
mod docs;
mod embedded;
mod examples;
mod front_end_never_panics;
mod golden;
mod kafka;
mod kafka_harness;
mod postgres_harness;
mod sinks;
mod soundness;
mod trybuild_stream;
mod ui;
