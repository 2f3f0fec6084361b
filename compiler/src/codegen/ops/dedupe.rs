//! `dedupe by KEYS within DUR`: drop a record whose key was kept within DUR of
//! event time. State per key expires with the watermark.
//!
//! ```pipe
//! | dedupe by payment_id within 1h
//! ```

use super::{StageCode, StageCx};
use crate::codegen::expr::ExprGen;
use crate::codegen::program::duration_value;
use crate::plan::{DurationSpec, TExpr, TimeSource};
use quote::{format_ident, quote};

pub fn emit(s: &StageCx<'_, '_>, keys: &[TExpr], within: &DurationSpec, time: &TimeSource) -> StageCode {
    let (cx, rt, input) = (s.cx, &s.cx.rt, &s.input);
    let label = s.label();
    let key_fn = s.fn_name("dedupe_key");
    let state = format_ident!("{}", s.fn_name("dedupe").to_string());
    let doc = s.doc();
    let gen = ExprGen::new(cx, quote!(rec), quote!(params)).with_cow(&s.input_cow);
    let key_types: Vec<_> = keys.iter().map(|k| cx.key_type(&k.ty)).collect();
    let key_values: Vec<_> = keys.iter().map(|k| cx.to_key(&k.ty, gen.value(k))).collect();
    let item = quote! {
        #doc
        #[inline]
        fn #key_fn(rec: &#input, params: &Params) -> Result<(#(#key_types,)*), #rt::Fault> {
            let _ = params;
            Ok((#(#key_values,)*))
        }
    };
    let time_value = match time {
        TimeSource::Event(field) => {
            let f = crate::codegen::cx::field_ident(field);
            quote!(rec.#f.0)
        }
        TimeSource::Processing => quote!(#rt::Timestamp::now().0),
    };
    let observe = match time {
        TimeSource::Event(_) => quote!(self.#state.observe(partition, time);),
        TimeSource::Processing => quote!(self.#state.set_clock(time);),
    };
    let (at, skip) = (s.at(), &s.skip);
    let within_value = duration_value(within, quote!(params));
    let mut code = StageCode::before(
        vec![item],
        quote! {
            let key = #key_fn(&rec, &self.params)#at?;
            let time = #time_value;
            let kept = self.#state.keep(key, time);
            #observe
            if !kept {
                #skip;
            }
        },
    );
    code.state.push((
        state,
        quote!(#rt::ops::dedupe::Dedupe<(#(#key_types,)*)>),
        quote!(#rt::ops::dedupe::Dedupe::try_new(#within_value.0).map_err(|e| format!("{}: {e}", #label))?),
    ));
    code
}
