//! `where EXPR`: keep records where EXPR is true (null counts as false).
//!
//! ```pipe
//! | where bytes > min_bytes && !starts_with(url, "/health")
//! ```

use super::{StageCode, StageCx};
use crate::codegen::expr::ExprGen;
use crate::plan::TExpr;
use quote::quote;

pub fn emit(s: &StageCx<'_, '_>, predicate: &TExpr) -> StageCode {
    let name = s.fn_name("where");
    let doc = s.doc();
    let (input, rt) = (&s.input, &s.cx.rt);
    let test = ExprGen::new(s.cx, quote!(rec), quote!(params)).with_cow(&s.input_cow).truth(predicate);
    let item = quote! {
        #doc
        #[inline]
        fn #name(rec: &#input, params: &Params) -> Result<bool, #rt::Fault> {
            let _ = params;
            Ok(#test)
        }
    };
    let (at, skip) = (s.at(), &s.skip);
    StageCode::before(
        vec![item],
        quote! {
            if !#name(&rec, &self.params)#at? {
                #skip;
            }
        },
    )
}
