//! `join TABLE on EXPR == FIELD` (inner) and `left join` (table fields null
//! when no row matches): a lookup in a table loaded before the stream starts.
//!
//! ```pipe
//! | join pages on url == pages.page_url
//! ```

use super::{StageCode, StageCx};
use crate::codegen::cx::field_ident;
use crate::codegen::expr::ExprGen;
use crate::plan::{SourceId, TExpr, Type};
use quote::{format_ident, quote};

/// The name of a table source's state.
pub fn table_state(cx: &crate::codegen::cx::Cx<'_>, source: SourceId) -> proc_macro2::Ident {
    format_ident!("table_{}", crate::codegen::cx::snake(&cx.plan.source(source).name))
}

/// The key type a table is indexed by, for its field.
pub fn table_key_type(table_field: &Type) -> Type {
    table_field.non_optional().clone()
}

pub fn emit(s: &StageCx<'_, '_>, table: SourceId, stream_key: &TExpr, table_field: &str, outer: bool) -> StageCode {
    let (cx, rt, input, output) = (s.cx, &s.cx.rt, &s.input, &s.output);
    let source = cx.plan.source(table);
    let field_ty = source.record.field(table_field).map(|f| f.ty.clone()).unwrap_or(Type::Error);
    let key_ty = table_key_type(&field_ty);
    let key_rust = cx.key_type(&key_ty);
    let key_fn = s.fn_name("join_key");
    let doc = s.doc();
    let gen = ExprGen::new(cx, quote!(rec), quote!(params)).with_cow(&s.input_cow);
    // The stream side converted to the table's key type (int widens to float).
    let widen = key_ty == Type::Float && stream_key.ty.non_optional() == &Type::Int;
    let value = gen.value(stream_key);
    let convert = |v: proc_macro2::TokenStream| {
        let v = if widen { quote!((#v as f64)) } else { v };
        cx.to_key(&key_ty, v)
    };
    let body = if stream_key.ty.is_optional() {
        let inner = convert(quote!(v));
        quote!((#value).map(|v| #inner))
    } else {
        let inner = convert(value);
        quote!(Some(#inner))
    };
    let item = quote! {
        #doc
        #[inline]
        fn #key_fn(rec: &#input, params: &Params) -> Result<Option<#key_rust>, #rt::Fault> {
            let _ = params;
            Ok(#body)
        }
    };
    let state = table_state(cx, table);
    let stream_fields = s.stage.input.fields.iter().map(|f| {
        let name = field_ident(&f.name);
        match (s.input_cow.contains(&f.name), f.ty.is_optional()) {
            (true, false) => quote!(#name: rec.#name.into_owned()),
            (true, true) => quote!(#name: rec.#name.map(|v| v.into_owned())),
            _ => quote!(#name: rec.#name),
        }
    });
    let table_fields: Vec<_> = source
        .record
        .fields
        .iter()
        .map(|f| {
            let name = field_ident(&f.name);
            if !outer {
                quote!(#name: row.#name.clone())
            } else if f.ty.is_optional() {
                quote!(#name: row.and_then(|r| r.#name.clone()))
            } else {
                quote!(#name: row.map(|r| r.#name.clone()))
            }
        })
        .collect();
    let (at, skip) = (s.at(), &s.skip);
    let lookup = if outer {
        quote! {
            let row = key.as_ref().and_then(|k| self.#state.get(k));
        }
    } else {
        quote! {
            let Some(row) = key.as_ref().and_then(|k| self.#state.get(k)) else {
                #skip;
            };
        }
    };
    StageCode::before(
        vec![item],
        quote! {
            let key = #key_fn(&rec, &self.params)#at?;
            #lookup
            let rec = #output { #(#stream_fields,)* #(#table_fields,)* };
        },
    )
}
