//! Code generation: TypedPlan -> a small Rust crate. The generated code is
//! thin: record structs, key and accumulator structs, one short function per
//! stage and one fused method per chain; everything generic is in the runtime.

pub mod cx;
pub mod expr;
pub mod ops;
pub mod program;

use crate::plan::TypedPlan;
use crate::source::SourceFile;
use proc_macro2::TokenStream;
use quote::quote;

#[derive(Clone, Debug)]
pub struct CodegenOptions {
    /// The binary's name (shown by `--help`).
    pub program_name: String,
    /// For `stream!`: a module's items (no `main`), with `run()` and an in-memory test API.
    pub embedded: bool,
}

/// The generated program as tokens (`main.rs` of the generated crate).
pub fn generate_tokens(plan: &TypedPlan, file: &SourceFile, options: &CodegenOptions) -> TokenStream {
    let cx = cx::Cx::new(plan, file, quote!(::sluice));
    program::generate(plan, &cx, &options.program_name, options.embedded)
}

/// The generated program, formatted for people to read.
pub fn generate(plan: &TypedPlan, file: &SourceFile, options: &CodegenOptions) -> Result<String, String> {
    let tokens = generate_tokens(plan, file, options);
    let parsed: syn::File = syn::parse2(tokens.clone())
        .map_err(|e| format!("internal compiler error: generated code does not parse: {e}\n{tokens}"))?;
    Ok(prettyplease::unparse(&parsed))
}
