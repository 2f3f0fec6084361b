//! `sluice::stream! { ... }`: a sluice program inline in Rust, checked when the
//! crate compiles. The same compiler library as the `sluice` CLI does all the
//! work (like `pest_derive` over `pest_generator`); this crate only adapts it.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Compiles the sluice program in the braces into a module `pipelines` (record
/// types, `Program`, `run()`, `run_with()`); errors point at your tokens.
#[proc_macro]
pub fn stream(input: TokenStream) -> TokenStream {
    sluice_compiler::macro_input::expand(input.into()).into()
}
