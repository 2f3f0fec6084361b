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
                let moved = match (s.input_cow.contains(source), optional, used_later) {
                    // A borrowed string becomes owned in the new record.
                    (true, false, _) => quote!(String::from(&*rec.#src)),
                    (true, true, _) => quote!(rec.#src.as_deref().map(String::from)),
                    (false, _, true) => quote!(rec.#src.clone()),
                    (false, _, false) => quote!(rec.#src),
                };
                inits.push(quote!(#out_field: #moved));
            }
            _ => {
                let local = format_ident!("computed_{}", i);
                let value = gen.value_as(expr, &s.stage.output.fields[i].ty);
                computed.push(quote!(let #local = #value;));
                inits.push(quote!(#out_field: #local));
            }
        }
    }
    let item = quote! {
        #doc
        #[inline]
        fn #name(rec: #input, params: &Params) -> Result<#output, #rt::Fault> {
            let _ = params;
            #(#computed)*
            Ok(#output { #(#inits,)* })
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
