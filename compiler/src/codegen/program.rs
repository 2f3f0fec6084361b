//! The whole program: record types, params, the program struct with its
//! state and sinks, one method per fused chain, the `Pipeline` impl the runtime
//! drives, and `main`.

use super::cx::{field_ident, snake, Cx};
use super::ops::{self, StageCode, StageCx};
use crate::plan::{
    DurationSpec, ErrorPolicy, ExternPlan, Format, Input, Literal, Output, PipelineId, Setting, SinkConnector, SinkId,
    SourceConnector, StageKind, TimeSource, Type, TypedPlan,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The module a `.pipe` program's `extern fn` file is included as.
pub fn udf_module(ext: &ExternPlan) -> TokenStream {
    match &ext.path {
        Some(path) => {
            let module = format_ident!("udf_{}", udf_stem(path));
            quote!(#module)
        }
        None => quote!(super),
    }
}

/// In `stream!`: the typed fn pointer an `extern fn` is called through.
pub fn extern_guard(name: &str) -> Ident {
    // The name as written: `ab` and `AB` are different functions.
    format_ident!("EXTERN_{}", name)
}

/// The declared signature of an `extern fn` as a Rust fn pointer type, by the
/// spec's table (strings `&str`, lists `&[T]`, records by reference; owned results).
pub fn extern_fn_type(cx: &Cx<'_>, ext: &ExternPlan) -> TokenStream {
    fn param(cx: &Cx<'_>, ty: &Type) -> TokenStream {
        match ty {
            Type::String => quote!(&str),
            Type::List(inner) => {
                let inner = cx.rust_type(inner, "ExternArg");
                quote!(&[#inner])
            }
            Type::Record(_) => {
                let record = cx.rust_type(ty, "ExternArg");
                quote!(&#record)
            }
            Type::Optional(inner) => {
                let inner = param(cx, inner);
                quote!(Option<#inner>)
            }
            other => cx.rust_type(other, "ExternArg"),
        }
    }
    let params = ext.params.iter().map(|p| param(cx, &p.ty));
    let ret = cx.rust_type(&ext.ret, "ExternResult");
    quote!(fn(#(#params),*) -> #ret)
}

/// `udf/score.rs` -> `udf_score`, `lib/a.rs` -> `lib_a`: the whole path, so
/// files of the same name in different folders stay apart.
pub fn udf_stem(path: &str) -> String {
    let without_extension = path.strip_suffix(".rs").unwrap_or(path);
    let name: String = without_extension
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    name.trim_matches('_').to_string()
}

/// A duration known at compile time, or read from a param.
pub fn duration_value(spec: &DurationSpec, params: TokenStream) -> TokenStream {
    match spec {
        DurationSpec::Millis(ms) => quote!(::sluice::Duration(#ms)),
        DurationSpec::Param(name) => {
            let f = field_ident(name);
            quote!(#params.#f)
        }
    }
}

pub fn sink_field(cx: &Cx<'_>, sink: SinkId) -> Ident {
    format_ident!("sink_{}", snake(&cx.plan.sink(sink).name))
}

fn chain_name(cx: &Cx<'_>, pipeline: PipelineId, from: usize) -> Ident {
    format_ident!("{}_from_{}", snake(&cx.plan.pipeline(pipeline).name), from)
}

fn source_method(cx: &Cx<'_>, index: usize) -> Ident {
    format_ident!("source_{}", snake(&cx.plan.sources[index].name))
}

fn stream_method(cx: &Cx<'_>, pipeline: PipelineId) -> Ident {
    format_ident!("stream_{}", snake(&cx.plan.pipeline(pipeline).name))
}

fn setting(s: &Setting) -> TokenStream {
    match s {
        Setting::Literal(text) => quote!(::sluice::config::Setting::Literal(#text)),
        Setting::Env { var, default: Some(d) } => {
            quote!(::sluice::config::Setting::Env { var: #var, default: Some(#d) })
        }
        Setting::Env { var, default: None } => quote!(::sluice::config::Setting::Env { var: #var, default: None }),
    }
}

fn optional_setting(s: Option<&Setting>) -> TokenStream {
    match s {
        Some(s) => {
            let s = setting(s);
            quote!(Some(#s))
        }
        None => quote!(None),
    }
}

/// FNV-1a: stable across builds and platforms (a checkpoint outlives the binary that wrote it).
fn fingerprint(parts: &[String]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// A record type as the runtime's column list (Parquet columns, PostgreSQL columns).
fn column_list(fields: &[crate::plan::Field]) -> TokenStream {
    let columns = fields.iter().map(|f| {
        let name = &f.name;
        let ty = column_type(&f.ty);
        quote!(::sluice::schema::Column { name: #name, ty: #ty })
    });
    quote!(&[#(#columns),*])
}

fn column_type(ty: &crate::plan::Type) -> TokenStream {
    use crate::plan::Type;
    match ty {
        Type::Int => quote!(::sluice::schema::ColumnType::Int),
        Type::Float => quote!(::sluice::schema::ColumnType::Float),
        Type::Bool => quote!(::sluice::schema::ColumnType::Bool),
        Type::String => quote!(::sluice::schema::ColumnType::String),
        Type::Timestamp => quote!(::sluice::schema::ColumnType::Timestamp),
        Type::Duration => quote!(::sluice::schema::ColumnType::Duration),
        // Only `null` ever: a nullable text column.
        Type::Null | Type::Error => {
            quote!(::sluice::schema::ColumnType::Optional(&::sluice::schema::ColumnType::String))
        }
        Type::List(inner) => {
            let inner = column_type(inner);
            quote!(::sluice::schema::ColumnType::List(&#inner))
        }
        Type::Record(record) => {
            let columns = column_list(&record.fields);
            quote!(::sluice::schema::ColumnType::Record(#columns))
        }
        Type::Optional(inner) => match inner.as_ref() {
            Type::Optional(_) | Type::Null => column_type(inner),
            _ => {
                let inner = column_type(inner);
                quote!(::sluice::schema::ColumnType::Optional(&#inner))
            }
        },
    }
}

fn format_tokens(format: Format) -> TokenStream {
    match format {
        Format::Json => quote!(::sluice::io::Format::Json),
        Format::Csv => quote!(::sluice::io::Format::Csv),
        Format::Text => quote!(::sluice::io::Format::Text),
        Format::Parquet => quote!(::sluice::io::Format::Parquet),
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Int(v) => v.to_string(),
        Literal::Float(v) => format!("{v:?}"),
        Literal::Bool(v) => v.to_string(),
        Literal::String(v) => v.clone(),
        Literal::Duration(v) => format!("{v}ms"),
        Literal::Timestamp(v) => v.to_string(),
        Literal::Null => String::new(),
    }
}

/// Emission partitions: rows an aggregate emits are one input partition of the stages after it.
const EMIT_PARTITION_BASE: u64 = 1 << 32;

struct Chains {
    items: Vec<TokenStream>,
    methods: Vec<TokenStream>,
    state: Vec<(Ident, TokenStream, TokenStream)>,
    /// (pipeline order, state, emit fn, windowed, processing time)
    aggregates: Vec<(Ident, Ident, bool, bool)>,
    /// (state, processing time) of dedupe stages.
    dedupes: Vec<(Ident, bool)>,
    /// Event-time states that see the source's own partitions (no aggregate before them).
    source_fed: Vec<Ident>,
}

pub fn generate(plan: &TypedPlan, cx: &Cx<'_>, program_name: &str, embedded: bool) -> TokenStream {
    let rt = cx.rt.clone();
    // Source records first, so schemas keep their names.
    for source in &plan.sources {
        cx.record(&source.record, &source.name);
    }
    let borrowing = borrowing(plan);
    let chains = chains(plan, cx, &borrowing);
    let Chains { items: chain_items, methods, state, aggregates, dedupes, source_fed } = chains;
    let holds = source_fed.iter().map(|state| quote!(self.#state.hold(partition);));
    let partition_time = if source_fed.is_empty() {
        quote!(None)
    } else {
        let times = source_fed.iter().map(|state| quote!(self.#state.partition_time(partition)));
        quote!([#(#times),*].into_iter().flatten().max())
    };
    let watermarks: Vec<TokenStream> = aggregates
        .iter()
        .filter(|(_, _, windowed, processing)| *windowed && !processing)
        .map(|(state, _, _, _)| quote!(self.#state.watermark()))
        .collect();

    // Params.
    let param_fields = plan.params.iter().map(|p| {
        let name = field_ident(&p.name);
        let ty = cx.rust_type(&p.ty, "Param");
        quote!(pub #name: #ty)
    });
    let param_inits = plan.params.iter().map(|p| {
        let name = field_ident(&p.name);
        let getter = format_ident!(
            "param_{}",
            match p.ty {
                Type::Int => "int",
                Type::Float => "float",
                Type::Bool => "bool",
                Type::Duration => "duration",
                Type::Timestamp => "timestamp",
                _ => "string",
            }
        );
        let data_name = &p.name;
        quote!(#name: config.#getter(#data_name)?)
    });

    // Sinks that something writes to.
    let open_sinks: Vec<(usize, Ident, TokenStream)> = plan
        .sinks
        .iter()
        .enumerate()
        .filter_map(|(i, sink)| {
            let record = sink.record.as_ref()?;
            Some((i, sink_field(cx, SinkId(i)), cx.record(record, &sink.name)))
        })
        .collect();
    let sink_decls = open_sinks.iter().map(|(_, f, ty)| quote!(#f: #rt::io::RecordSink<#ty>));
    let sink_inits = open_sinks.iter().map(|(i, f, _)| {
        let name = &plan.sinks[*i].name;
        // A swapped output may ask for CSV, which cannot hold nested fields: say so at start.
        let flat = plan.sinks[*i].record.as_ref().is_none_or(|r| r.is_flat());
        let csv_check = (!flat).then(|| {
            let message = format!("sink `{name}`: its records have list or record fields, which CSV cannot hold; write JSON lines (a path not ending in .csv)");
            quote! {
                if format == #rt::io::Format::Csv {
                    return Err(#message.to_string());
                }
            }
        });
        quote! {
            #f: if in_memory || !config.sink_active(#i) {
                #rt::io::RecordSink::memory(#name)
            } else {
                let (target, format) = config.sink_target(&INFO, #i)?;
                #csv_check
                #rt::io::RecordSink::open(#name, &target, format, INFO.sinks[#i].columns)?
            }
        }
    });
    // In-process API: feed records, take what sinks received.
    let takes = open_sinks.iter().map(|(i, f, _)| {
        let method = format_ident!("take_{}", snake(&plan.sinks[*i].name));
        let doc = format!(
            " The records sink `{}` received since the last call (an `in_memory` program).",
            plan.sinks[*i].name
        );
        quote! {
            #[doc = #doc]
            pub fn #method(&mut self) -> Vec<#rt::__private::serde_json::Value> {
                self.#f.take()
            }
        }
    });
    let sink_closes = open_sinks.iter().map(|(_, f, _)| quote!(self.#f.close()?;));
    let sink_publishes = open_sinks.iter().map(|(_, f, _)| quote!(self.#f.publish()?;));
    let sink_discards = open_sinks.iter().map(|(_, f, _)| quote!(self.#f.discard_unpublished();));
    let sink_commits = open_sinks.iter().map(|(_, f, _)| quote!(self.#f.commit_epoch(next_epoch)?;));
    let sink_stats = open_sinks.iter().map(|(i, f, _)| {
        let label = format!("written to {}", plan.sinks[*i].name);
        quote!(stats.push((#label.to_string(), self.#f.written()));)
    });
    let dead_letter_arms = open_sinks
        .iter()
        .filter(|(i, _, _)| plan.sources.iter().any(|s| s.on_error == ErrorPolicy::DeadLetter(SinkId(*i))))
        .map(|(i, f, _)| quote!(#i => self.#f.write(letter),));

    // Lookup tables.
    let mut table_loads = Vec::new();
    let tables: Vec<(usize, Ident, TokenStream, TokenStream)> = plan
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.table)
        .filter_map(|(i, s)| {
            let field = plan.pipelines.iter().flat_map(|p| &p.stages).find_map(|st| match &st.kind {
                StageKind::Join { table, table_field, .. } if table.0 == i => Some(table_field.clone()),
                _ => None,
            })?;
            let field_ty = s.record.field(&field).map(|f| f.ty.clone()).unwrap_or(Type::Error);
            let key_ty = ops::join::table_key_type(&field_ty);
            let key_rust = cx.key_type(&key_ty);
            let record = cx.record(&s.record, &s.name);
            let f = field_ident(&field);
            let key_value = cx.to_key(&key_ty, quote!(key));
            let state = ops::join::table_state(cx, crate::plan::SourceId(i));
            let load = format_ident!("load_{}", snake(&s.name));
            let upsert = if field_ty.is_optional() {
                quote! {
                    if let Some(key) = rec.#f.clone() {
                        self.#state.upsert(#key_value, rec);
                    }
                }
            } else {
                quote! {
                    let key = rec.#f.clone();
                    self.#state.upsert(#key_value, rec);
                }
            };
            let arm = quote! {
                #i => {
                    let rec: #record = #rt::io::decode(raw)?;
                    self.#load(rec);
                    Ok(())
                }
            };
            let load_doc = format!(" Loads one row of the lookup table `{}`.", s.name);
            table_loads.push(quote! {
                #[doc = #load_doc]
                pub fn #load(&mut self, rec: #record) {
                    #upsert
                }
            });
            Some((i, state, quote!(#rt::ops::table::Table<#key_rust, #record>), arm))
        })
        .collect();
    let table_decls = tables.iter().map(|(_, f, ty, _)| quote!(#f: #ty));
    let table_inits = tables.iter().map(|(_, f, _, _)| quote!(#f: Default::default()));
    let table_arms = tables.iter().map(|(_, _, _, arm)| arm);

    // Sources: decode and fan out to every pipeline that reads them.
    let mut source_methods = Vec::new();
    let mut record_arms = Vec::new();
    let mut pushes = Vec::new();
    for (i, source) in plan.sources.iter().enumerate() {
        let readers: Vec<PipelineId> = plan
            .pipelines
            .iter()
            .enumerate()
            .filter(|(_, p)| p.inputs.contains(&Input::Source(crate::plan::SourceId(i))))
            .map(|(p, _)| PipelineId(p))
            .collect();
        if readers.is_empty() || source.table {
            continue;
        }
        let owned = cx.record(&source.record, &source.name);
        let borrowed = borrowing.sources[i];
        let record = record_type(cx, &source.record, &source.name, borrowed);
        let method = source_method(cx, i);
        let calls = fan_out(cx, &readers, borrowed, &borrowing);
        let decode = if borrowed { quote!(#rt::io::decode_ref(raw)?) } else { quote!(#rt::io::decode(raw)?) };
        let pushed = if borrowed { quote!(rec.into()) } else { quote!(rec) };
        let doc = format!(" Each record of source `{}`.", source.name);
        source_methods.push(quote! {
            #[doc = #doc]
            fn #method(&mut self, partition: u64, rec: #record) -> Result<(), #rt::Error> {
                #calls
            }
        });
        record_arms.push(quote! {
            #i => {
                                let rec: #record = #decode;
                self.#method(partition, rec)
            }
        });
        let push = format_ident!("push_{}", snake(&source.name));
        let partition = i as u64;
        let doc =
            format!(" Feeds one record of source `{}` through the program (in-process use and tests).", source.name);
        pushes.push(quote! {
            #[doc = #doc]
                        pub fn #push(&mut self, rec: #owned) -> Result<(), #rt::Error> {
                self.#method(#partition, #pushed)
            }
        });
    }
    // Named streams fan out to their readers.
    for (p, pipeline) in plan.pipelines.iter().enumerate() {
        if pipeline.output == Output::Stream {
            let readers = plan.readers_of(PipelineId(p));
            let borrowed = borrowing.stages[p].last().copied().unwrap_or(false);
            let record = record_type(cx, &pipeline.output_record, &format!("{}_out", pipeline.name), borrowed);
            let method = stream_method(cx, PipelineId(p));
            let calls = fan_out(cx, &readers, borrowed, &borrowing);
            let doc = format!(" Each record of the named stream `{}`.", pipeline.name);
            source_methods.push(quote! {
                #[doc = #doc]
                fn #method(&mut self, partition: u64, rec: #record) -> Result<(), #rt::Error> {
                    let _ = (partition, &rec);
                    #calls
                }
            });
        }
    }

    let state_decls = state.iter().map(|(f, ty, _)| quote!(#f: #ty));
    let state_inits = state.iter().map(|(f, _, init)| quote!(#f: #init));
    // Checkpoints: each operator's state under its field name.
    let stateful = !state.is_empty();
    let state_saves = state.iter().map(|(f, _, _)| {
        let name = f.to_string();
        quote!(sections.extend(#rt::state::save(&self.#f, #name, partitions)?);)
    });
    let state_restores = state.iter().map(|(f, _, _)| {
        let name = f.to_string();
        quote!(self.#f = #rt::state::restore(state, #name)?;)
    });
    let on_partition_done = aggregates
        .iter()
        .filter(|(_, _, windowed, processing)| *windowed && !processing)
        .map(|(state, emit, _, _)| quote!(if self.#state.partition_done(partition) { self.#emit()?; }));
    let dedupe_done = dedupes
        .iter()
        .filter(|(_, processing)| !processing)
        .map(|(state, _)| quote!(self.#state.partition_done(partition);));
    let on_tick = aggregates.iter().filter(|(_, _, windowed, processing)| !windowed || *processing).map(
        |(state, emit, windowed, _)| {
            if *windowed {
                quote!(if self.#state.set_clock(now) { self.#emit()?; })
            } else {
                quote!(self.#emit()?;)
            }
        },
    );
    let dedupe_tick =
        dedupes.iter().filter(|(_, processing)| *processing).map(|(state, _)| quote!(self.#state.set_clock(now);));
    let on_end = aggregates.iter().map(|(state, emit, windowed, _)| {
        if *windowed {
            quote!(self.#state.finish(); self.#emit()?;)
        } else {
            quote!(self.#emit()?;)
        }
    });
    let late_stats = aggregates.iter().filter(|(_, _, windowed, _)| *windowed).map(|(state, _, _, _)| {
        let label = format!("late records in {}", state.to_string().trim_end_matches("_state"));
        quote!(stats.push((#label.to_string(), self.#state.late_records()));)
    });

    // What the binary knows about itself.
    let source_infos = plan.sources.iter().map(|s| {
        let name = &s.name;
        let kind = match &s.connector {
            SourceConnector::Kafka { topics, brokers, start } => {
                let topics = topics.iter().map(setting);
                let brokers = optional_setting(brokers.as_ref());
                let start = match start {
                    crate::plan::StartFrom::Earliest => quote!(#rt::config::Start::Earliest),
                    crate::plan::StartFrom::Latest => quote!(#rt::config::Start::Latest),
                };
                quote!(#rt::config::SourceKind::Kafka { topics: &[#(#topics),*], brokers: #brokers, start: #start })
            }
            SourceConnector::File { path } => {
                let path = setting(path);
                quote!(#rt::config::SourceKind::File { path: #path })
            }
        };
        let format = format_tokens(s.format);
        let table = s.table;
        let on_error = match s.on_error {
            ErrorPolicy::Skip => quote!(#rt::config::OnError::Skip),
            ErrorPolicy::Fail => quote!(#rt::config::OnError::Fail),
            ErrorPolicy::DeadLetter(sink) => {
                let index = sink.0;
                quote!(#rt::config::OnError::DeadLetter(#index))
            }
        };
        let columns = s.record.fields.iter().map(|f| f.name.as_str());
        quote!(#rt::config::SourceInfo {
            name: #name,
            kind: #kind,
            format: #format,
            table: #table,
            on_error: #on_error,
            columns: &[#(#columns),*],
        })
    });
    let sink_infos = plan.sinks.iter().map(|s| {
        let name = &s.name;
        let kind = match &s.connector {
            SinkConnector::Kafka { topic, brokers, key, delivery } => {
                let topic = setting(topic);
                let brokers = optional_setting(brokers.as_ref());
                let key = match key {
                    Some(key) => quote!(Some(#key)),
                    None => quote!(None),
                };
                let delivery = match delivery {
                    crate::plan::Delivery::ExactlyOnce => quote!(#rt::config::Delivery::ExactlyOnce),
                    crate::plan::Delivery::AtLeastOnce => quote!(#rt::config::Delivery::AtLeastOnce),
                };
                quote!(#rt::config::SinkKind::Kafka { topic: #topic, brokers: #brokers, key: #key, delivery: #delivery })
            }
            SinkConnector::File { path } => {
                let path = setting(path);
                quote!(#rt::config::SinkKind::File { path: #path })
            }
            SinkConnector::Postgres { url, table, mode, key, create } => {
                let url = setting(url);
                let table = setting(table);
                let upsert_key = match mode {
                    crate::plan::WriteMode::Upsert => quote!(Some(&[#(#key),*])),
                    crate::plan::WriteMode::Insert => quote!(None),
                };
                quote!(#rt::config::SinkKind::Postgres { url: #url, table: #table, upsert_key: #upsert_key, create: #create })
            }
            SinkConnector::Stdout => quote!(#rt::config::SinkKind::Stdout),
        };
        let format = format_tokens(s.format);
        let columns = s.record.as_ref().map(|r| column_list(&r.fields)).unwrap_or_else(|| quote!(&[]));
        quote!(#rt::config::SinkInfo { name: #name, kind: #kind, format: #format, columns: #columns })
    });
    let param_infos = plan.params.iter().map(|p| {
        let name = &p.name;
        let ty = p.ty.to_string();
        let default = match &p.default {
            Some(literal) => {
                let text = literal_text(literal);
                quote!(Some(#text))
            }
            None => quote!(None),
        };
        quote!(#rt::config::ParamInfo { name: #name, ty: #ty, default: #default })
    });

    // `extern fn` files, and each function as a typed pointer: a Rust function
    // that does not match its declaration fails to compile on that line.
    let mut udf_modules: Vec<TokenStream> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for ext in &plan.externs {
        if let Some(path) = &ext.path {
            let guard = extern_guard(&ext.name);
            let module = udf_module(ext);
            let func = field_ident(&ext.name);
            let signature = extern_fn_type(cx, ext);
            let doc = format!(" `extern fn {}` ({}), from `{path}`.", ext.name, cx.location(ext.span));
            udf_modules.push(quote! {
                #[doc = #doc]
                #[allow(non_upper_case_globals, reason = "named after the function")]
                const #guard: #signature = #module::#func;
            });
            let stem = udf_stem(path);
            if seen.insert(stem.clone()) {
                let module = format_ident!("udf_{}", stem);
                let file = format!("udf/{stem}.rs");
                let doc = format!(" Rust functions from `{path}`.");
                udf_modules.push(quote! {
                    #[doc = #doc]
                    #[path = #file]
                    mod #module;
                });
            }
        }
    }

    let pipeline_count = plan.pipelines.len();
    let entry = if embedded {
        let (selections, constructors) = selections(plan, cx);
        quote! {
            /// Each pipeline with what it depends on, for the constructors below.
            pub const SELECTIONS: &[#rt::config::Selection] = &[#(#selections),*];

            #(#constructors)*

            /// Runs the program as its binary would: command-line flags from `std::env::args`.
            pub fn run() -> std::process::ExitCode {
                #rt::driver::main(&INFO, Program::new)
            }

            /// Runs the program with these flags (`--input`, `--output`, `--param`, ...).
            pub fn run_with(args: &[&str]) -> Result<(), String> {
                #rt::driver::run_with_args(&INFO, args.iter().map(|a| a.to_string()), Program::new)
            }
        }
    } else {
        quote! {
            fn main() -> std::process::ExitCode {
                #rt::driver::main(&INFO, Program::new)
            }
        }
    };
    let struct_items = cx.take_items();
    // What a checkpoint's state depends on: the operators' state types and settings, and the record types.
    let fingerprint_parts: Vec<String> = state
        .iter()
        .map(|(f, ty, init)| format!("{f}:{ty}={init}"))
        .chain(struct_items.iter().map(|item| item.to_string()))
        .collect();
    let fingerprint = fingerprint(&fingerprint_parts);
    let header = format!(" Generated by sluice from `{}`. Do not edit: edit the program and rebuild.", cx.file.name);
    quote! {
        #![doc = #header]
        #![allow(clippy::all, unused, reason = "generated code")]

        #(#udf_modules)*

        #(#struct_items)*

        /// The program's params, read once at start.
        #[derive(Clone, Debug)]
        pub struct Params { #(#param_fields,)* }

        impl Params {
            fn from_config(config: &#rt::config::Config) -> Result<Self, String> {
                let _ = config;
                Ok(Params { #(#param_inits,)* })
            }
        }

        #(#chain_items)*

        /// The program: its params, sinks and operator state.
        pub struct Program {
            params: Params,
            #(#sink_decls,)*
            #(#table_decls,)*
            #(#state_decls,)*
            /// Faults in rows emitted by aggregates (they have no input record to route).
            emit_faults: u64,
            /// Which pipelines run (all, unless a `stream!` constructor selected one).
            active: [bool; #pipeline_count],
        }

                impl Program {
            /// The program as a binary runs it: sinks as declared or swapped by `--output`.
            pub fn new(config: &#rt::config::Config) -> Result<Self, String> {
                Self::build(config, false)
            }

            /// The program with every sink kept in memory (see the `take_*` methods), for
            /// in-process use and tests; `params` are `NAME=VALUE`, as for `--param`.
            pub fn in_memory(params: &[&str]) -> Result<Self, String> {
                let args = params.iter().flat_map(|p| ["--param".to_string(), p.to_string()]);
                let config = #rt::config::Config::from_args(&INFO, args).map_err(|e| match e {
                    #rt::config::CliError::Help(text) | #rt::config::CliError::Usage(text) => text,
                })?;
                Self::build(&config, true)
            }

            /// End of input: the watermark goes to infinity and every open window is emitted.
            pub fn finish(&mut self) -> Result<(), #rt::Error> {
                #rt::driver::Pipeline::on_end(self)
            }

            #(#pushes)*

            #(#table_loads)*

            #(#takes)*

            fn build(config: &#rt::config::Config, in_memory: bool) -> Result<Self, String> {
                let params = Params::from_config(config)?;
                Ok(Program {
                    #(#sink_inits,)*
                    #(#table_inits,)*
                    #(#state_inits,)*
                    params,
                    emit_faults: 0,
                    active: std::array::from_fn(|p| config.pipeline_active(p)),
                })
            }

            /// Counts and reports a fault in an emitted row; a fatal error stops the run.
            fn emitted(&mut self, result: Result<(), #rt::Error>) -> Result<(), #rt::Error> {
                match result {
                    Err(#rt::Error::Fault(fault)) => {
                        self.emit_faults += 1;
                        if self.emit_faults <= 10 {
                            eprintln!("warning: skipped an emitted row: {fault}");
                        }
                        Ok(())
                    }
                    other => other,
                }
            }

            #(#source_methods)*

            #(#methods)*
        }

        impl #rt::driver::Pipeline for Program {
            fn on_record(&mut self, source: usize, partition: u64, raw: &#rt::io::RawRecord<'_>) -> Result<(), #rt::Error> {
                match source {
                    #(#record_arms)*
                    _ => Ok(()),
                }
            }

            fn on_table_row(&mut self, source: usize, raw: &#rt::io::RawRecord<'_>) -> Result<(), #rt::Error> {
                match source {
                    #(#table_arms)*
                    _ => Ok(()),
                }
            }

            fn watermark(&self) -> Option<i64> {
                [#(#watermarks),*].into_iter().min()
            }

            fn on_partition_assigned(&mut self, partition: u64) {
                #(#holds)*
            }

            fn partition_time(&self, partition: u64) -> Option<i64> {
                let _ = partition;
                #partition_time
            }

            fn on_partition_done(&mut self, partition: u64) -> Result<(), #rt::Error> {
                #(#on_partition_done)*
                #(#dedupe_done)*
                Ok(())
            }

            fn on_tick(&mut self, now: i64) -> Result<(), #rt::Error> {
                #(#on_tick)*
                #(#dedupe_tick)*
                Ok(())
            }

            fn on_end(&mut self) -> Result<(), #rt::Error> {
                #(#on_end)*
                Ok(())
            }

            fn write_dead_letter(&mut self, sink: usize, letter: &#rt::io::DeadLetter) -> Result<(), #rt::Error> {
                match sink {
                    #(#dead_letter_arms)*
                    _ => Ok(()),
                }
            }

            fn close(&mut self) -> Result<(), #rt::Error> {
                #(#sink_closes)*
                Ok(())
            }

            fn publish(&mut self) -> Result<(), #rt::Error> {
                #(#sink_publishes)*
                Ok(())
            }

            fn discard_unpublished(&mut self) {
                #(#sink_discards)*
            }

            fn commit_epoch(&mut self, next_epoch: u64) -> Result<(), #rt::Error> {
                let _ = next_epoch;
                #(#sink_commits)*
                Ok(())
            }

            fn save_state(&self, partitions: u32) -> Result<Vec<(String, Vec<u8>)>, String> {
                let mut sections = Vec::new();
                let _ = partitions;
                #(#state_saves)*
                Ok(sections)
            }

            fn restore_state(&mut self, state: &[(String, Vec<u8>)]) -> Result<(), String> {
                let _ = state;
                #(#state_restores)*
                Ok(())
            }

            fn stats(&self) -> Vec<(String, u64)> {
                let mut stats = Vec::new();
                #(#sink_stats)*
                #(#late_stats)*
                if self.emit_faults > 0 {
                    stats.push(("bad emitted rows".to_string(), self.emit_faults));
                }
                stats
            }
        }

        /// What the binary knows about its program (`--help` lists it).
        pub const INFO: #rt::config::ProgramInfo = #rt::config::ProgramInfo {
            name: #program_name,
            fingerprint: #fingerprint,
            stateful: #stateful,
            sources: &[#(#source_infos),*],
            sinks: &[#(#sink_infos),*],
            params: &[#(#param_infos),*],
        };

                #entry
    }
}

/// For each pipeline: the pipelines it reads from (transitively), their sources
/// (tables included) and the sinks they write; and its `stream!` constructor.
fn selections(plan: &TypedPlan, cx: &Cx<'_>) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let rt = &cx.rt;
    let mut selections = Vec::new();
    let mut constructors = Vec::new();
    for (p, pipeline) in plan.pipelines.iter().enumerate() {
        let mut pipelines = vec![false; plan.pipelines.len()];
        let mut stack = vec![p];
        while let Some(q) = stack.pop() {
            if std::mem::replace(&mut pipelines[q], true) {
                continue;
            }
            for input in &plan.pipelines[q].inputs {
                if let Input::Stream(up) = input {
                    stack.push(up.0);
                }
            }
        }
        let mut sources = vec![false; plan.sources.len()];
        for (q, other) in plan.pipelines.iter().enumerate().filter(|(q, _)| pipelines[*q]) {
            let _ = q;
            for input in &other.inputs {
                if let Input::Source(s) = input {
                    sources[s.0] = true;
                }
            }
            for stage in &other.stages {
                if let StageKind::Join { table, .. } = &stage.kind {
                    sources[table.0] = true;
                }
            }
        }
        let sinks: Vec<bool> = plan
            .sinks
            .iter()
            .map(|sink| {
                sink.writers.iter().any(|writer| match writer {
                    crate::plan::Writer::Pipeline(q) | crate::plan::Writer::Late { pipeline: q, .. } => pipelines[q.0],
                    crate::plan::Writer::DeadLetters(s) => sources[s.0],
                })
            })
            .collect();
        let name = &pipeline.name;
        selections.push(quote! {
            #rt::config::Selection {
                pipeline: #name,
                pipelines: &[#(#pipelines),*],
                sources: &[#(#sources),*],
                sinks: &[#(#sinks),*],
            }
        });
        // `run` and `run_with` run the whole program; a pipeline of that name keeps only `SELECTIONS`.
        if matches!(snake(name).as_str(), "run" | "run_with") {
            continue;
        }
        let constructor = field_ident(&snake(name));
        let doc = format!(
            " Pipeline `{name}` ({}) with what it depends on: `.run()`, `.run_with(&[...])` or `.run_config(config)`.",
            cx.location(pipeline.span)
        );
        constructors.push(quote! {
            #[doc = #doc]
            pub fn #constructor() -> #rt::driver::Runner<Program> {
                #rt::driver::Runner::new(&INFO, SELECTIONS[#p], Program::new)
            }
        });
    }
    (selections, constructors)
}

/// Which records travel as borrowed twins (`ClickRef<'_>`, strings borrowed from
/// the input buffer): a JSON or CSV stream source's records, through `where`,
/// `dedupe`, `select` and `extend`, into the readers of a stream when all their
/// inputs are borrowed. `explode`, `join` and aggregates build owned records.
pub struct Borrowing {
    pub sources: Vec<bool>,
    /// Per pipeline: whether the record entering stage i (i = 0..=len) is borrowed.
    pub stages: Vec<Vec<bool>>,
}

pub fn borrowing(plan: &TypedPlan) -> Borrowing {
    let sources: Vec<bool> = plan
        .sources
        .iter()
        .map(|s| !s.table && matches!(s.format, Format::Json | Format::Csv) && !Cx::cow_fields(&s.record).is_empty())
        .collect();
    let mut stages: Vec<Vec<bool>> = Vec::new();
    for pipeline in &plan.pipelines {
        let input = !pipeline.inputs.is_empty()
            && pipeline.inputs.iter().all(|input| match input {
                Input::Source(id) => sources[id.0],
                Input::Stream(id) => stages[id.0].last().copied().unwrap_or(false),
            });
        let mut flow = vec![input];
        for stage in &pipeline.stages {
            // `select`/`extend` build a borrowed twin too: moved strings stay borrowed.
            let same =
                matches!(stage.kind, StageKind::Filter { .. } | StageKind::Dedupe { .. } | StageKind::Project { .. });
            flow.push(*flow.last().unwrap_or(&false) && same);
        }
        stages.push(flow);
    }
    Borrowing { sources, stages }
}

/// The Rust type of a record, borrowed (`ClickRef<'_>`) or owned.
fn record_type(cx: &Cx<'_>, record: &crate::plan::RecordType, hint: &str, borrowed: bool) -> TokenStream {
    if borrowed {
        if let Some(ident) = cx.borrowed_record(record, hint) {
            return quote!(#ident<'_>);
        }
    }
    cx.record(record, hint)
}

/// Calls every reader's chain with the record (cloned for all but the last).
/// A fault in one reader does not keep the record from the others; the first
/// fault is returned (the record is routed once), a fatal error stops at once.
fn fan_out(cx: &Cx<'_>, readers: &[PipelineId], borrowed: bool, borrowing: &Borrowing) -> TokenStream {
    let rt = &cx.rt;
    // A borrowed record goes to a reader that takes owned records as `.into()`.
    let convert = |reader: &PipelineId, rec: TokenStream| {
        if borrowed && !borrowing.stages[reader.0][0] {
            quote!(#rec.into())
        } else {
            rec
        }
    };
    // A pipeline that is not selected (`stream!` constructors run one pipeline) gets nothing.
    if let [only] = readers {
        let chain = chain_name(cx, *only, 0);
        let rec = convert(only, quote!(rec));
        let index = only.0;
        return quote! {
            if self.active[#index] {
                self.#chain(partition, #rec)
            } else {
                Ok(())
            }
        };
    }
    let mut calls = Vec::new();
    for (n, reader) in readers.iter().enumerate() {
        let chain = chain_name(cx, *reader, 0);
        let rec = if n + 1 == readers.len() { quote!(rec) } else { quote!(rec.clone()) };
        let rec = convert(reader, rec);
        let index = reader.0;
        calls.push(quote! {
            if self.active[#index] {
                match self.#chain(partition, #rec) {
                    Ok(()) => {}
                    Err(#rt::Error::Fatal(message)) => return Err(#rt::Error::Fatal(message)),
                    Err(fault) => {
                        if first_fault.is_none() {
                            first_fault = Some(fault);
                        }
                    }
                }
            }
        });
    }
    quote! {
        let mut first_fault: Option<#rt::Error> = None;
        #(#calls)*
        match first_fault {
            Some(fault) => Err(fault),
            None => Ok(()),
        }
    }
}

/// One method per fused chain: from a pipeline's start, or from after an aggregate.
fn chains(plan: &TypedPlan, cx: &Cx<'_>, borrowing: &Borrowing) -> Chains {
    let rt = cx.rt.clone();
    let mut out = Chains {
        items: Vec::new(),
        methods: Vec::new(),
        state: Vec::new(),
        aggregates: Vec::new(),
        dedupes: Vec::new(),
        source_fed: Vec::new(),
    };
    // Which pipelines receive the source's partition ids at their start: those
    // reading sources, or streams of pipelines without an aggregate (a fixpoint,
    // as pipelines may be declared in any order).
    let mut fed = vec![false; plan.pipelines.len()];
    loop {
        let mut changed = false;
        for (p, pipeline) in plan.pipelines.iter().enumerate() {
            let now = pipeline.inputs.iter().all(|input| match input {
                Input::Source(_) => true,
                Input::Stream(up) => fed[up.0] && !plan.pipeline(*up).stages.iter().any(|s| s.kind.is_emitter()),
            });
            if now != fed[p] {
                fed[p] = now;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut emitter_count = 0u64;
    for (p, pipeline) in plan.pipelines.iter().enumerate() {
        let pid = PipelineId(p);
        // Types first, in order, so stage outputs get their names.
        let flow = &borrowing.stages[p];
        let mut types = vec![record_type(cx, &pipeline.input_record, &format!("{}_input", pipeline.name), flow[0])];
        let mut cows = vec![if flow[0] { Cx::cow_fields(&pipeline.input_record) } else { Vec::new() }];
        for (i, stage) in pipeline.stages.iter().enumerate() {
            let hint = format!("{}_{}{}", pipeline.name, stage.kind.name().replace(' ', "_"), i + 1);
            types.push(record_type(cx, &stage.output, &hint, flow[i + 1]));
            cows.push(if flow[i + 1] { Cx::cow_fields(&stage.output) } else { Vec::new() });
        }
        // Chain entry points: the start, and after each aggregate.
        let mut starts = vec![0];
        for (i, stage) in pipeline.stages.iter().enumerate() {
            if stage.kind.is_emitter() {
                starts.push(i + 1);
            }
        }
        for &start in &starts {
            let end = pipeline.stages[start..]
                .iter()
                .position(|s| s.kind.is_emitter())
                .map_or(pipeline.stages.len(), |o| start + o + 1);
            let mut codes: Vec<StageCode> = Vec::new();
            let mut in_loop = false;
            for i in start..end {
                let stage = &pipeline.stages[i];
                let s = StageCx {
                    cx,
                    pipeline,
                    pipeline_index: p,
                    index: i,
                    stage,
                    input: types[i].clone(),
                    output: types[i + 1].clone(),
                    skip: if in_loop { quote!(continue) } else { quote!(return Ok(())) },
                    input_cow: cows[i].clone(),
                    output_cow: cows[i + 1].clone(),
                };
                let code = match &stage.kind {
                    StageKind::Filter { predicate } => ops::filter::emit(&s, predicate),
                    StageKind::Project { fields } => ops::project::emit(&s, fields),
                    StageKind::Explode { list_field, element_field } => {
                        in_loop = true;
                        ops::explode::emit(&s, list_field, element_field)
                    }
                    StageKind::Dedupe { keys, within, time } => {
                        let code = ops::dedupe::emit(&s, keys, within, time);
                        out.dedupes.push((code.state[0].0.clone(), *time == TimeSource::Processing));
                        if start == 0 && fed[p] && *time != TimeSource::Processing {
                            out.source_fed.push(code.state[0].0.clone());
                        }
                        code
                    }
                    StageKind::Join { table, stream_key, table_field, outer } => {
                        ops::join::emit(&s, *table, stream_key, table_field, *outer)
                    }
                    StageKind::Aggregate { keys, window, calls, outputs } => {
                        emitter_count += 1;
                        let next = chain_name(cx, pid, i + 1);
                        let parts = ops::aggregate::emit(
                            &s,
                            keys,
                            window.as_ref(),
                            calls,
                            outputs,
                            &next,
                            EMIT_PARTITION_BASE + emitter_count,
                        );
                        out.methods.push(parts.emit_item);
                        if start == 0 && fed[p] && parts.windowed && !parts.processing_time {
                            out.source_fed.push(parts.state.clone());
                        }
                        out.aggregates.push((parts.state, parts.emit_fn, parts.windowed, parts.processing_time));
                        parts.code
                    }
                };
                codes.push(code);
            }
            // What happens after the chain's last stage (statements: inside an
            // `explode` this runs once per element).
            let ends_in_aggregate = end > start && pipeline.stages[end - 1].kind.is_emitter();
            let tail = if ends_in_aggregate {
                quote!()
            } else {
                match &pipeline.output {
                    Output::Sink(sink) => {
                        let f = sink_field(cx, *sink);
                        quote!(self.#f.write(&rec)?;)
                    }
                    Output::Stream => {
                        let method = stream_method(cx, pid);
                        quote!(self.#method(partition, rec)?;)
                    }
                }
            };
            let mut body = tail;
            for code in codes.into_iter().rev() {
                out.items.extend(code.items);
                out.state.extend(code.state);
                body = (code.wrap)(body);
            }
            let name = chain_name(cx, pid, start);
            let input = &types[start];
            let doc = if start == 0 {
                format!(" Pipeline `{}`, fused from its start ({}).", pipeline.name, cx.location(pipeline.span))
            } else {
                format!(" Pipeline `{}`, fused from the rows its stage [{}] emits.", pipeline.name, start)
            };
            out.methods.push(quote! {
                #[doc = #doc]
                #[inline]
                fn #name(&mut self, partition: u64, rec: #input) -> Result<(), #rt::Error> {
                    let _ = partition;
                    #body
                    Ok(())
                }
            });
        }
    }
    out
}
