//! Integration tests of sluice, one binary with a module per area.

mod common;
mod docs;
mod examples;
mod front_end_never_panics;
mod golden;
mod ui;
