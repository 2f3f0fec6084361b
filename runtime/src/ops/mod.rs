//! Generic, monomorphized operator state. Generated code instantiates these
//! for the program's key and accumulator types.

pub mod agg;
pub mod dedupe;
pub mod running;
pub mod table;
pub mod window;
