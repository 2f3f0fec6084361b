//! One file per operator: each turns a typed stage into the items it needs
//! (a short function, state types) and the statements that run it inside a
//! fused chain, where the current record is the variable `rec`.

pub mod aggregate;
pub mod dedupe;
pub mod explode;
pub mod filter;
pub mod join;
pub mod project;

use super::cx::Cx;
use crate::plan::{PipelinePlan, Stage};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// What an operator's code generator needs to know about its stage.
pub struct StageCx<'a, 'p> {
    pub cx: &'a Cx<'p>,
    pub pipeline: &'a PipelinePlan,
    pub pipeline_index: usize,
    pub index: usize,
    pub stage: &'a Stage,
    /// The Rust type of the records entering and leaving the stage.
    pub input: TokenStream,
    pub output: TokenStream,
    /// How to drop the current record: `return Ok(())`, or `continue` inside `explode`.
    pub skip: TokenStream,
    /// The input is a borrowed twin: these fields are `Cow<str>`.
    pub input_cow: Vec<String>,
    /// The output is a borrowed twin: these fields are `Cow<str>`.
    pub output_cow: Vec<String>,
}

impl StageCx<'_, '_> {
    /// `pageviews [2] select`: how faults name the stage.
    pub fn label(&self) -> String {
        format!("{} [{}] {}", self.pipeline.name, self.index + 1, self.keyword())
    }

    pub fn keyword(&self) -> String {
        let keyword = crate::plan::stage_keyword(self.cx.file, self.stage.span);
        if keyword.is_empty() {
            self.stage.kind.name().to_string()
        } else {
            keyword
        }
    }

    /// `pageviews_2_select`: the name of the stage's function or state.
    pub fn fn_name(&self, what: &str) -> Ident {
        format_ident!("{}_{}_{}", super::cx::snake(&self.pipeline.name), self.index + 1, what)
    }

    /// A `///` comment naming the stage and where it comes from.
    pub fn doc(&self) -> TokenStream {
        let doc = format!(
            " [{}] `{}` ({})",
            self.index + 1,
            self.cx.headline(self.stage.span),
            self.cx.location(self.stage.span)
        );
        quote!(#[doc = #doc])
    }

    /// `.map_err(|fault| fault.at("pageviews [2] select"))`
    pub fn at(&self) -> TokenStream {
        let label = self.label();
        quote!(.map_err(|fault| fault.at(#label)))
    }
}

/// The code of one stage: items at module level, and statements in the chain.
pub struct StageCode {
    pub items: Vec<TokenStream>,
    /// Runs the stage on `rec`; the rest of the chain follows (it may be wrapped, as by `explode`).
    pub wrap: Box<dyn FnOnce(TokenStream) -> TokenStream>,
    /// Fields the program struct needs (state), as `name: Type = init`.
    pub state: Vec<(Ident, TokenStream, TokenStream)>,
}

impl StageCode {
    /// Statements that run before the rest of the chain.
    pub fn before(items: Vec<TokenStream>, statements: TokenStream) -> Self {
        StageCode { items, wrap: Box::new(move |rest| quote!(#statements #rest)), state: Vec::new() }
    }
}
