//! The sluice runtime: what generated pipelines link against.
//!
//! Not yet implemented: the code generator and this runtime are the next
//! milestone (see the README's status table). Today the crate only exists so
//! the workspace has its final shape.
