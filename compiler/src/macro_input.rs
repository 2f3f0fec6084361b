//! `sluice::stream! { ... }`: the macro's tokens become program text (with a
//! map from text ranges back to the user's tokens), the same front end checks
//! it, and the same code generator emits the program as a module. Diagnostics
//! become `compile_error!`s spanning the user's own tokens.

use crate::codegen::{cx::field_ident, generate_tokens, CodegenOptions};
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::{SourceFile, Span};
use crate::{CheckOptions, Mode};
use proc_macro2::{Delimiter, Ident, Literal, Punct, Spacing, Span as RustSpan, TokenStream, TokenTree};
use quote::quote;

/// Program text and, for each token, its byte range and the user's span.
struct Printed {
    text: String,
    spans: Vec<(usize, usize, RustSpan)>,
}

impl Printed {
    fn push(&mut self, text: &str, span: RustSpan) {
        let start = self.text.len();
        self.text.push_str(text);
        self.spans.push((start, self.text.len(), span));
    }

    fn print(&mut self, tokens: TokenStream) {
        for tree in tokens {
            match tree {
                TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    self.push(open, group.span_open());
                    self.text.push(' ');
                    self.print(group.stream());
                    self.push(close, group.span_close());
                    self.text.push(' ');
                }
                TokenTree::Ident(ident) => {
                    // `r#from` is how a keyword field name is written in Rust tokens.
                    let name = ident.to_string();
                    match name.strip_prefix("r#") {
                        Some(raw) => self.push(&format!("`{raw}`"), ident.span()),
                        None => self.push(&name, ident.span()),
                    }
                    self.text.push(' ');
                }
                TokenTree::Punct(punct) => {
                    self.push(&punct.as_char().to_string(), punct.span());
                    if punct.spacing() == Spacing::Alone {
                        self.text.push(' ');
                    }
                }
                TokenTree::Literal(literal) => {
                    self.push(&literal.to_string(), literal.span());
                    self.text.push(' ');
                }
            }
        }
    }

    /// The user's spans of the first and last token inside `span`.
    fn rust_spans(&self, span: Span) -> (RustSpan, RustSpan) {
        let (start, end) = (span.start as usize, span.end as usize);
        let inside: Vec<RustSpan> = self
            .spans
            .iter()
            .filter(|(s, e, _)| *e > start && *s < end.max(start + 1))
            .map(|(_, _, span)| *span)
            .collect();
        match (inside.first(), inside.last()) {
            (Some(first), Some(last)) => (*first, *last),
            _ => {
                let last = self.spans.last().map_or(RustSpan::call_site(), |(_, _, s)| *s);
                (last, last)
            }
        }
    }
}

/// The message of a diagnostic as `compile_error!` shows it (it has no labels or help of its own).
fn message(diagnostic: &Diagnostic) -> String {
    let mut text = format!("{}[{}]: {}", diagnostic.severity.as_str(), diagnostic.code.as_str(), diagnostic.message);
    for label in &diagnostic.labels {
        if label.primary && !label.message.is_empty() {
            text.push_str(&format!("\n  label: {}", label.message));
        }
    }
    for note in &diagnostic.notes {
        text.push_str(&format!("\n  = note: {note}"));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\n  = help: {help}"));
    }
    text
}

/// `compile_error!` spanning from `start` to `end` (how `syn::Error` spans several tokens on stable).
fn compile_error(text: &str, start: RustSpan, end: RustSpan) -> TokenStream {
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(start);
    let mut literal = Literal::string(text);
    literal.set_span(end);
    let mut group = proc_macro2::Group::new(Delimiter::Brace, TokenTree::Literal(literal).into());
    group.set_span(end);
    let path_start = Ident::new("compile_error", start);
    let mut colons = Punct::new(':', Spacing::Joint);
    colons.set_span(start);
    let mut colons2 = Punct::new(':', Spacing::Alone);
    colons2.set_span(start);
    let core = Ident::new("core", start);
    let mut tokens = TokenStream::new();
    tokens.extend([
        TokenTree::Punct(colons.clone()),
        TokenTree::Punct(colons2.clone()),
        TokenTree::Ident(core),
        TokenTree::Punct(colons),
        TokenTree::Punct(colons2),
        TokenTree::Ident(path_start),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
    ]);
    tokens
}

/// Expands `stream! { ... }`.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut printed = Printed { text: String::new(), spans: Vec::new() };
    printed.print(input);
    let file = SourceFile::new("stream!", printed.text.clone());
    match crate::compile_to_plan(&file, &CheckOptions { mode: Mode::Macro }) {
        Err(diagnostics) => {
            let errors = diagnostics.iter().filter(|d| d.severity != Severity::Warning).map(|d| {
                let (start, end) =
                    d.primary_span().map_or((RustSpan::call_site(), RustSpan::call_site()), |s| printed.rust_spans(s));
                compile_error(&message(d), start, end)
            });
            // A stub with the same shape, so the caller's code does not add errors of its own.
            quote! {
                #(#errors)*
                #[allow(dead_code, reason = "stub after errors")]
                pub mod pipelines {
                    pub struct Program;
                    pub fn run() -> std::process::ExitCode { std::process::ExitCode::FAILURE }
                    pub fn run_with(_args: &[&str]) -> Result<(), String> { Err(String::from("the program has errors")) }
                }
            }
        }
        Ok(checked) => {
            let code =
                generate_tokens(&checked.plan, &file, &CodegenOptions { program_name: crate_name(), embedded: true });
            // Each `extern fn` is checked against the user's function at the user's declaration.
            let guards = checked.plan.externs.iter().map(|ext| {
                let (start, _) = printed.rust_spans(ext.span);
                let name = field_ident(&ext.name);
                let guard = crate::codegen::program::extern_guard(&ext.name);
                // Record types by their schema names, as the generated module declares them.
                let names = crate::codegen::cx::Cx::new(&checked.plan, &file, quote!(::sluice));
                let signature = crate::codegen::program::extern_fn_type(&names, ext);
                let doc = format!(" `extern fn {}`: the user's function, with the declared signature.", ext.name);
                respan(
                    quote! {
                        #[doc = #doc]
                        #[allow(non_upper_case_globals, reason = "named after the function")]
                        const #guard: #signature = super::#name;
                    },
                    start,
                )
            });
            quote! {
                /// The pipelines of this `stream!`: record types, `Program`, `run()`.
                pub mod pipelines {
                    #code
                    #(#guards)*
                }
            }
        }
    }
}

/// Gives every token the user's span, so rustc reports errors in them there.
fn respan(tokens: TokenStream, span: RustSpan) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut new = proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                TokenTree::Group(new)
            }
            TokenTree::Ident(mut ident) => {
                ident.set_span(span);
                TokenTree::Ident(ident)
            }
            TokenTree::Punct(mut punct) => {
                punct.set_span(span);
                TokenTree::Punct(punct)
            }
            TokenTree::Literal(mut literal) => {
                literal.set_span(span);
                TokenTree::Literal(literal)
            }
        })
        .collect()
}

/// The name of a `stream!` program: the crate's (cargo sets it for the rustc run
/// that expands the macro), so consumer groups, transactional ids and checkpoint
/// directories of different services differ by default.
fn crate_name() -> String {
    std::env::var("CARGO_CRATE_NAME").ok().filter(|n| !n.is_empty()).unwrap_or_else(|| "stream".to_string())
}
