//! `select { ... }` and `extend { ... }`: a new record of the listed fields.
//! Computed fields are evaluated first; plain fields are then moved out of the
//! input record (cloned only when used twice), so a projection allocates nothing
//! it does not have to.
//!
//! ```pipe
//! | select { url: lower(url), user_id, kb: bytes / 1024.0, ts }
//! ```

use super::{StageCode, StageCx};
use crate::codegen::cx::field_ident;
use crate::codegen::expr::ExprGen;
use crate::plan::{TExpr, TExprKind};
use quote::{format_ident, quote};

pub fn emit(s: &StageCx<'_, '_>, fields: &[(String, TExpr)]) -> StageCode {
    let name = s.fn_name(&s.keyword());
    let doc = s.doc();
    let (input, output, rt) = (&s.input, &s.output, &s.cx.rt);
    // A borrowed output lives as long as the input it borrows from.
    let borrowed_output = !s.output_cow.is_empty();
    let output_named = if borrowed_output { retime(output) } else { output.clone() };
    let output_path = strip_lifetime(output);
    let input_named = if s.input_cow.is_empty() { input.clone() } else { retime(input) };
    let gen = ExprGen::new(s.cx, quote!(rec), quote!(params)).with_cow(&s.input_cow);
    let mut computed = Vec::new();
    let mut inits = Vec::new();
    for (i, (field, expr)) in fields.iter().enumerate() {
        let out_field = field_ident(field);
        match &expr.kind {
            TExprKind::Field(source) => {
                let src = field_ident(source);
                // Move the last use of an input field; clone earlier ones.
                let used_later =
                    fields[i + 1..].iter().any(|(_, e)| matches!(&e.kind, TExprKind::Field(f) if f == source));
                let optional = expr.ty.is_optional();
                let (from_cow, to_cow) = (s.input_cow.contains(source), s.output_cow.contains(field));
                let read = if used_later { quote!(rec.#src.clone()) } else { quote!(rec.#src) };
                let moved = match (from_cow, to_cow, optional) {
                    // Borrowed stays borrowed: no copy.
                    (true, true, _) | (false, false, _) => read,
                    // A borrowed string becomes owned in an owned record.
                    (true, false, false) => quote!(String::from(&*rec.#src)),
                    (true, false, true) => quote!(rec.#src.as_deref().map(String::from)),
                    (false, true, false) => quote!(::sluice::__private::Cow::Owned(#read)),
                    (false, true, true) => quote!(#read.map(::sluice::__private::Cow::Owned)),
                };
                inits.push(quote!(#out_field: #moved));
            }
            _ => {
                let local = format_ident!("computed_{}", i);
                let value = gen.value_as(expr, &s.stage.output.fields[i].ty);
                computed.push(quote!(let #local = #value;));
                if s.output_cow.contains(field) {
                    if expr.ty.is_optional() || s.stage.output.fields[i].ty.is_optional() {
                        inits.push(quote!(#out_field: #local.map(::sluice::__private::Cow::Owned)));
                    } else {
                        inits.push(quote!(#out_field: ::sluice::__private::Cow::Owned(#local)));
                    }
                } else {
                    inits.push(quote!(#out_field: #local));
                }
            }
        }
    }
    let item = quote! {
        #doc
        #[inline]
                fn #name<'a>(rec: #input_named, params: &Params) -> Result<#output_named, #rt::Fault> {
            let _ = params;
            #(#computed)*
                        Ok(#output_path { #(#inits,)* })
        }
    };
    let at = s.at();
    StageCode::before(
        vec![item],
        quote! {
            let rec = #name(rec, &self.params)#at?;
        },
    )
}

/// `ClickRef<'_>` -> `ClickRef<'a>` (a named lifetime ties output to input).
fn retime(ty: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    ty.to_string().replace("'_", "'a").parse().unwrap_or_else(|_| ty.clone())
}

/// `ClickRef<'_>` -> `ClickRef` (for a struct expression).
fn strip_lifetime(ty: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    ty.to_string().replace("< '_ >", "").replace("<'_>", "").parse().unwrap_or_else(|_| ty.clone())
}
