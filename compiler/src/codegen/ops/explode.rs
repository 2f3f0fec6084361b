//! `explode FIELD [as NAME]`: one record per element of a list field (a null
//! or empty list gives no record). The rest of the chain runs once per element.
//!
//! ```pipe
//! | explode items as item
//! ```

use super::{StageCode, StageCx};
use crate::codegen::cx::field_ident;
use quote::quote;

pub fn emit(s: &StageCx<'_, '_>, list_field: &str, element_field: &str) -> StageCode {
    let output = s.output.clone();
    let list = field_ident(list_field);
    let optional = s.stage.input.field(list_field).is_some_and(|f| f.ty.is_optional());
    let elements = if optional { quote!(input.#list.into_iter().flatten()) } else { quote!(input.#list) };
    let inits: Vec<_> = s
        .stage
        .output
        .fields
        .iter()
        .map(|f| {
            let name = field_ident(&f.name);
            if f.name == element_field {
                quote!(#name: element)
            } else if s.input_cow.contains(&f.name) {
                if f.ty.is_optional() {
                    quote!(#name: input.#name.as_deref().map(String::from))
                } else {
                    quote!(#name: String::from(&*input.#name))
                }
            } else {
                quote!(#name: input.#name.clone())
            }
        })
        .collect();
    StageCode {
        items: Vec::new(),
        wrap: Box::new(move |rest| {
            quote! {
                let input = rec;
                for element in #elements {
                    let rec = #output { #(#inits,)* };
                    #rest
                }
            }
        }),
        state: Vec::new(),
    }
}
