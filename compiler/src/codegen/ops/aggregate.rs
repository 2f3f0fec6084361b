//! `group by KEYS [window W [late to SINK]] aggregate { ... }`: keyed
//! aggregation. Generates a key struct, an accumulator struct (one runtime
//! accumulator per aggregate call) and the functions that compute the key, the
//! call arguments and the output row; the runtime's `WindowedAggregate` or
//! `RunningAggregate` keeps the state.
//!
//! ```pipe
//! | group by url window tumbling 1m on ts watermark 10s late to late_clicks aggregate { views: count() }
//! ```

use super::{StageCode, StageCx};
use crate::codegen::cx::{camel, field_ident};
use crate::codegen::expr::ExprGen;
use crate::codegen::program::duration_value;
use crate::plan::{AggCall, AggFunc, TExpr, TimeSource, Type, WindowKind, WindowSpec};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// What the program needs to drive an aggregate stage besides its chain statements.
pub struct AggregateParts {
    pub code: StageCode,
    /// The state field.
    pub state: Ident,
    /// `fn emit_...(&mut self) -> Result<(), Error>`, emitting ready rows into `next_chain`.
    pub emit_fn: Ident,
    pub emit_item: TokenStream,
    pub windowed: bool,
    pub processing_time: bool,
}

pub fn emit(
    s: &StageCx<'_, '_>,
    keys: &[(String, TExpr)],
    window: Option<&WindowSpec>,
    calls: &[AggCall],
    outputs: &[(String, TExpr)],
    next_chain: &Ident,
    emit_partition: u64,
) -> AggregateParts {
    let (cx, rt, input, output) = (s.cx, &s.cx.rt, &s.input, &s.output);
    let label = s.label();
    let prefix = format!("{}{}", camel(&s.pipeline.name), s.index + 1);
    let key_struct = format_ident!("{}Key", prefix);
    let key_ref_struct = format_ident!("{}KeyRef", prefix);
    let acc_struct = format_ident!("{}Acc", prefix);
    let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
    let doc = s.doc();

    // Key struct and the function computing it.
    let key_fields: Vec<_> = keys.iter().map(|(name, e)| (field_ident(name), cx.key_type(&e.ty))).collect();
    let key_decls = key_fields.iter().map(|(n, t)| quote!(pub #n: #t));
    let gen = ExprGen::new(cx, quote!(rec), quote!(params)).with_cow(&s.input_cow);
    // The key as a record's lookup sees it: strings borrowed from the record
    // where they are fields (no allocation per record), built only for a new group.
    let mut ref_decls = Vec::new();
    let mut ref_inits = Vec::new();
    let mut ref_eqs = Vec::new();
    let mut ref_owned = Vec::new();
    let mut owned_fields = 0;
    for (name, e) in keys {
        let n = field_ident(name);
        let place = gen.place(e);
        match &e.ty {
            Type::String => {
                ref_decls.push(quote!(pub #n: #rt::__private::Cow<'r, str>));
                ref_inits.push(match place {
                    Some(place) => quote!(#n: #rt::__private::Cow::Borrowed(&#place[..])),
                    None => {
                        let v = gen.value(e);
                        quote!(#n: #rt::__private::Cow::Owned(#v))
                    }
                });
                ref_eqs.push(quote!(*self.#n == *key.#n));
                ref_owned.push(quote!(#n: String::from(&*self.#n)));
            }
            Type::Optional(inner) if **inner == Type::String => {
                ref_decls.push(quote!(pub #n: Option<#rt::__private::Cow<'r, str>>));
                ref_inits.push(match place {
                    Some(place) => quote!(#n: #place.as_deref().map(#rt::__private::Cow::Borrowed)),
                    None => {
                        let v = gen.value(e);
                        quote!(#n: (#v).map(#rt::__private::Cow::Owned))
                    }
                });
                ref_eqs.push(quote!(self.#n.as_deref() == key.#n.as_deref()));
                ref_owned.push(quote!(#n: self.#n.as_deref().map(String::from)));
            }
            other => {
                owned_fields += 1;
                let ty = cx.key_type(other);
                let v = cx.to_key(other, gen.value(e));
                ref_decls.push(quote!(pub #n: #ty));
                ref_inits.push(quote!(#n: #v));
                ref_eqs.push(quote!(self.#n == key.#n));
                ref_owned.push(quote!(#n: self.#n.clone()));
            }
        }
    }
    if ref_eqs.is_empty() {
        ref_eqs.push(quote!(true));
    }
    if owned_fields == keys.len() {
        // No field borrows: the lifetime still has to be used.
        ref_decls.push(quote!(_borrows: ::std::marker::PhantomData<&'r ()>));
        ref_inits.push(quote!(_borrows: ::std::marker::PhantomData));
    }
    let key_fn = s.fn_name("key");
    // Argument values of the aggregate calls, evaluated once per record.
    let arg_types: Vec<TokenStream> = calls
        .iter()
        .map(|c| c.arg.as_ref().map_or(quote!(()), |a| cx.rust_type(&a.ty, &format!("{prefix}Arg"))))
        .collect();
    let arg_values: Vec<TokenStream> =
        calls.iter().map(|c| c.arg.as_ref().map_or(quote!(()), |a| gen.value(a))).collect();
    let args_fn = s.fn_name("args");

    // Accumulators.
    let mut acc_decls = Vec::new();
    let mut acc_adds = Vec::new();
    let mut acc_checks = Vec::new();
    let mut acc_merges = Vec::new();
    let mut finishes = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let field = format_ident!("a{}", i);
        let index = syn::Index::from(i);
        let arg_ty = call.arg.as_ref().map(|a| a.ty.clone()).unwrap_or(Type::Int);
        let base = arg_ty.non_optional().clone();
        let base_rust = cx.rust_type(&base, &format!("{prefix}Arg"));
        let (acc_ty, add, merge_fallible) = match call.func {
            AggFunc::CountRows | AggFunc::Count => (quote!(#rt::ops::agg::CountRows), quote!(self.#field.add()), false),
            AggFunc::Sum => match base {
                Type::Int => (quote!(#rt::ops::agg::SumInt), quote!(self.#field.add(v)?), true),
                Type::Duration => (quote!(#rt::ops::agg::SumDuration), quote!(self.#field.add(v)?), true),
                _ => (quote!(#rt::ops::agg::SumFloat), quote!(self.#field.add(v)), false),
            },
            AggFunc::Avg => {
                let feed =
                    if base == Type::Int { quote!(self.#field.add(v as f64)) } else { quote!(self.#field.add(v)) };
                (quote!(#rt::ops::agg::Avg), feed, false)
            }
            AggFunc::Min => (quote!(#rt::ops::agg::Min<#base_rust>), quote!(self.#field.add(v)), false),
            AggFunc::Max => (quote!(#rt::ops::agg::Max<#base_rust>), quote!(self.#field.add(v)), false),
            AggFunc::First => (quote!(#rt::ops::agg::First<#base_rust>), quote!(self.#field.add(v, seq)), false),
            AggFunc::Last => (quote!(#rt::ops::agg::Last<#base_rust>), quote!(self.#field.add(v, seq)), false),
            AggFunc::Collect => (quote!(#rt::ops::agg::Collect<#base_rust>), quote!(self.#field.add(v, seq)), false),
            AggFunc::CountDistinct => {
                let key_ty = cx.key_type(&base);
                let key = cx.to_key(&base, quote!(v));
                (quote!(#rt::ops::agg::CountDistinct<#key_ty>), quote!(self.#field.add(#key)), false)
            }
        };
        acc_decls.push(quote!(#field: #acc_ty));
        let add_stmt = match (call.func, &call.arg) {
            (AggFunc::CountRows, _) | (_, None) => quote!(self.#field.add();),
            (AggFunc::Count, Some(arg)) if arg.ty.is_optional() || arg.ty == Type::Null => {
                quote!(if args.#index.is_some() { self.#field.add(); })
            }
            (AggFunc::Count, Some(_)) => quote!(self.#field.add();),
            (_, Some(arg)) if arg.ty.is_optional() => quote!(if let Some(v) = args.#index.clone() { #add; }),
            (_, Some(_)) => quote!({ let v = args.#index.clone(); #add; }),
        };
        acc_adds.push(add_stmt);
        // Sums can overflow: checked for every window before any accumulator changes.
        if matches!(call.func, AggFunc::Sum) && matches!(base, Type::Int | Type::Duration) {
            acc_checks.push(match &call.arg {
                Some(arg) if arg.ty.is_optional() => quote!(if let Some(v) = args.#index { self.#field.check(v)?; }),
                _ => quote!(self.#field.check(args.#index)?;),
            });
        }
        acc_merges.push(if merge_fallible {
            quote!(self.#field.merge(later.#field)?;)
        } else {
            quote!(self.#field.merge(later.#field);)
        });
        let local = format_ident!("agg{}", i);
        let finished = match call.func {
            AggFunc::CountRows | AggFunc::Count | AggFunc::CountDistinct | AggFunc::Collect => {
                quote!(acc.#field.finish())
            }
            _ if call.ty.is_optional() => quote!(acc.#field.finish()),
            _ => quote!(#rt::ops::agg::present(acc.#field.finish())?),
        };
        finishes.push(quote!(let #local = #finished;));
    }

    // The output row.
    let mut finish_gen = ExprGen::new(cx, quote!(key), quote!(params));
    finish_gen.aggs = calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let local = format_ident!("agg{}", i);
            if matches!(c.ty.non_optional(), Type::Int | Type::Float | Type::Bool | Type::Timestamp | Type::Duration) {
                quote!(#local)
            } else {
                quote!(#local.clone())
            }
        })
        .collect();
    finish_gen.keys = keys
        .iter()
        .map(|(name, e)| {
            let n = field_ident(name);
            (name.clone(), cx.from_key(&e.ty, quote!(key.#n)))
        })
        .collect();
    let mut out_inits: Vec<TokenStream> = keys
        .iter()
        .map(|(name, e)| {
            let n = field_ident(name);
            let v = cx.from_key(&e.ty, quote!(key.#n));
            quote!(#n: #v)
        })
        .collect();
    if window.is_some() {
        out_inits.push(quote!(window_start: #rt::Timestamp(start)));
        out_inits.push(quote!(window_end: #rt::Timestamp(end)));
    }
    let out_offset = keys.len() + if window.is_some() { 2 } else { 0 };
    for (i, (name, expr)) in outputs.iter().enumerate() {
        let n = field_ident(name);
        let v = finish_gen.value_as(expr, &s.stage.output.fields[out_offset + i].ty);
        out_inits.push(quote!(#n: #v));
    }
    let finish_fn = s.fn_name("finish");
    let place = format!("[{}] ({})", s.index + 1, s.cx.location(s.stage.span));
    let key_doc = format!(" {place}: the group key of a record.");
    let args_doc = format!(" {place}: the arguments of the aggregate calls, evaluated once per record.");
    let finish_doc = format!(" {place}: the output row of a group (and window).");

    let items = vec![quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        pub struct #key_struct { #(#key_decls,)* }

        /// The group key of a record, borrowing its strings: hashes and compares as the key does.
        #[derive(Hash)]
        pub struct #key_ref_struct<'r> { #(#ref_decls,)* }

        impl #rt::keys::Equivalent<#key_struct> for #key_ref_struct<'_> {
            #[inline]
            fn equivalent(&self, key: &#key_struct) -> bool {
                #(#ref_eqs)&&*
            }
        }

        impl #rt::keys::KeyProbe<#key_struct> for #key_ref_struct<'_> {
            fn to_key(&self) -> #key_struct {
                #key_struct { #(#ref_owned,)* }
            }
        }

        /// The accumulators of one group (one per aggregate call).
        #[derive(Clone, Debug, Default, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        pub struct #acc_struct { #(#acc_decls,)* }

        impl #acc_struct {
            /// Fails (an overflowing sum) before anything changes.
            #[inline]
            fn check(&self, args: &(#(#arg_types,)*)) -> Result<(), #rt::Fault> {
                let _ = args;
                #(#acc_checks)*
                Ok(())
            }

            /// Folds one record in; `seq` is its arrival number.
            #[inline]
            fn add(&mut self, args: &(#(#arg_types,)*), seq: u64) -> Result<(), #rt::Fault> {
                let _ = (args, seq);
                #(#acc_adds)*
                Ok(())
            }
        }

        impl #rt::ops::window::Accumulator for #acc_struct {
            fn merge(&mut self, later: Self) -> Result<(), #rt::Fault> {
                let _ = &later;
                #(#acc_merges)*
                Ok(())
            }
        }

        #[doc = #key_doc]
        #[inline]
        fn #key_fn<'r>(rec: &'r #input, params: &'r Params) -> Result<#key_ref_struct<'r>, #rt::Fault> {
            let _ = params;
            Ok(#key_ref_struct { #(#ref_inits,)* })
        }

        #[doc = #args_doc]
        #[inline]
        fn #args_fn(rec: &#input, params: &Params) -> Result<(#(#arg_types,)*), #rt::Fault> {
            let _ = (rec, params);
            Ok((#(#arg_values,)*))
        }

        #[doc = #finish_doc]
        fn #finish_fn(key: &#key_struct, start: i64, end: i64, acc: &#acc_struct, params: &Params) -> Result<#output, #rt::Fault> {
            let _ = (start, end, params);
            #(#finishes)*
            Ok(#output { #(#out_inits,)* })
        }
    }];

    let state = s.fn_name("state");
    let emit_fn = s.fn_name("emit");
    let at = s.at();
    let (state_ty, state_init, time, add, after) = match window {
        Some(w) => {
            let kind = match &w.kind {
                WindowKind::Tumbling { size } => {
                    let size = duration_value(size, quote!(params));
                    quote!(#rt::ops::window::WindowKind::Tumbling { size: #size.0 })
                }
                WindowKind::Sliding { size, slide } => {
                    let (size, slide) = (duration_value(size, quote!(params)), duration_value(slide, quote!(params)));
                    quote!(#rt::ops::window::WindowKind::Sliding { size: #size.0, slide: #slide.0 })
                }
                WindowKind::Session { gap } => {
                    let gap = duration_value(gap, quote!(params));
                    quote!(#rt::ops::window::WindowKind::Session { gap: #gap.0 })
                }
            };
            let delay = duration_value(&w.watermark, quote!(params));
            let (time, advance) = match &w.time {
                TimeSource::Event(field) => {
                    let f = field_ident(field);
                    (quote!(rec.#f.0), quote!(self.#state.observe(partition, time)))
                }
                TimeSource::Processing => (quote!(#rt::Timestamp::now().0), quote!(self.#state.set_clock(time))),
            };
            let late = w.late_sink.map(|sink| {
                let sink_field = crate::codegen::program::sink_field(cx, sink);
                quote!(if arrival.is_late() { self.#sink_field.write(&rec)?; })
            });
            (
                quote!(#rt::ops::window::WindowedAggregate<#key_struct, #acc_struct>),
                quote!(#rt::ops::window::WindowedAggregate::try_new(#kind, #delay.0).map_err(|e| format!("{}: {e}", #label))?),
                time,
                quote!(let arrival = self.#state.add(&key, time, |acc| acc.check(&args), |acc, seq| acc.add(&args, seq))#at?;),
                quote! {
                    #late
                    if #advance {
                        self.#emit_fn()?;
                    }
                },
            )
        }
        None => (
            quote!(#rt::ops::running::RunningAggregate<#key_struct, #acc_struct>),
            quote!(Default::default()),
            quote!(()),
            quote!(self.#state.update(&key, |acc| acc.check(&args), |acc, seq| acc.add(&args, seq))#at?;),
            quote!(),
        ),
    };
    let windowed = window.is_some();
    let rows = if windowed {
        quote!(self.#state.ready().into_iter().map(|row| (row.key, row.start, row.end, row.acc)).collect::<Vec<_>>())
    } else {
        quote!(self.#state.changed().into_iter().map(|(key, acc)| (key, 0, 0, acc)).collect::<Vec<_>>())
    };
    // Rows this aggregate emits are one input partition of the stages after it.
    let partition_const = format_ident!("{}_PARTITION", emit_fn.to_string().to_uppercase());
    let partition_doc = format!(" The input partition the rows of {} are, for the stages after it.", label);
    let emit_item = quote! {
        #[doc = #partition_doc]
        const #partition_const: u64 = #emit_partition;

        /// Emits the rows that are ready into the rest of the pipeline.
        fn #emit_fn(&mut self) -> Result<(), #rt::Error> {
            for (key, start, end, acc) in #rows {
                let result = match #finish_fn(&key, start, end, &acc, &self.params) {
                    Ok(row) => self.#next_chain(Self::#partition_const, row),
                    Err(fault) => Err(fault.at(#label).into()),
                };
                self.emitted(result)?;
            }
            Ok(())
        }
    };
    let statements = quote! {
        let key = #key_fn(&rec, &self.params)#at?;
        let args = #args_fn(&rec, &self.params)#at?;
        let time = #time;
        let _ = time;
        #add
        #after
    };
    let mut code = StageCode::before(items, statements);
    code.state.push((state.clone(), state_ty, state_init));
    AggregateParts {
        code,
        state,
        emit_fn,
        emit_item,
        windowed,
        processing_time: window.is_some_and(|w| w.time == TimeSource::Processing),
    }
}
