//! `sluice explain`: the typed plan as text, or as a Graphviz graph.

use super::fuse::{segments, ChainEnd, SegmentStart};
use super::{
    ErrorPolicy, Input, Output, PipelineId, RecordType, SinkConnector, SourceConnector, StageKind, StateBound,
    TypedPlan, WindowKind, Writer,
};
use crate::source::{SourceFile, Span};
use std::fmt::Write;

/// The first line of a span's text, shortened: how a stage is named for people.
fn headline(file: &SourceFile, span: Span) -> String {
    file.headline(span, 70)
}

/// The stage's keyword as written (`where`, `group by`, `left join`, ...).
pub fn stage_keyword(file: &SourceFile, span: Span) -> String {
    let words: Vec<&str> = file.slice(span).split_whitespace().take(2).collect();
    match words.as_slice() {
        [first @ ("group" | "dedupe"), second, ..] => format!("{first} {second}"),
        ["left", second, ..] => format!("left {second}"),
        [first, ..] => first.trim_end_matches('{').to_string(),
        [] => String::new(),
    }
}

fn record_line(record: &RecordType) -> String {
    match &record.name {
        Some(name) => format!("{name} {}", record.structure()),
        None => record.structure(),
    }
}

fn source_line(plan: &TypedPlan, index: usize) -> String {
    let source = &plan.sources[index];
    let mut line = match &source.connector {
        SourceConnector::Kafka { topics, .. } => {
            let topics: Vec<String> = topics.iter().map(ToString::to_string).collect();
            format!("kafka topic{} {}", if topics.len() == 1 { "" } else { "s" }, topics.join(", "))
        }
        SourceConnector::File { path } => format!("file {path}"),
    };
    write!(line, ", {}", source.format.as_str()).ok();
    if source.table {
        line.push_str(", table");
    }
    if let Some(field) = &source.event_time {
        write!(line, ", event time `{field}`").ok();
    }
    match &source.on_error {
        ErrorPolicy::Skip => line.push_str(", on_error skip"),
        ErrorPolicy::Fail => line.push_str(", on_error fail"),
        ErrorPolicy::DeadLetter(sink) => write!(line, ", on_error -> {}", plan.sink(*sink).name).ok().unwrap_or(()),
    }
    line
}

fn sink_line(plan: &TypedPlan, index: usize) -> String {
    let sink = &plan.sinks[index];
    match &sink.connector {
        SinkConnector::Kafka { topic, key, delivery, .. } => {
            let mut line = format!("kafka topic {topic}, {}", sink.format.as_str());
            if let Some(key) = key {
                write!(line, ", key `{key}`").ok();
            }
            let delivery = match delivery {
                super::Delivery::ExactlyOnce => "exactly_once",
                super::Delivery::AtLeastOnce => "at_least_once",
            };
            write!(line, ", {delivery}").ok();
            line
        }
        SinkConnector::File { path } => format!("file {path}, {}", sink.format.as_str()),
        SinkConnector::Postgres { table, mode, key, .. } => {
            let mode = match mode {
                super::WriteMode::Insert => "insert".to_string(),
                super::WriteMode::Upsert => format!("upsert on [{}]", key.join(", ")),
            };
            format!("postgres table {table}, {mode}")
        }
        SinkConnector::Stdout => format!("stdout, {}", sink.format.as_str()),
    }
}

fn input_name(plan: &TypedPlan, input: &Input) -> String {
    match input {
        Input::Source(id) => format!("source {}", plan.source(*id).name),
        Input::Stream(id) => format!("stream {}", plan.pipeline(*id).name),
    }
}

/// The human-readable plan.
pub fn explain_text(plan: &TypedPlan, file: &SourceFile) -> String {
    let mut out = String::new();
    if !plan.params.is_empty() {
        out.push_str("params\n");
        for param in &plan.params {
            let default = param.default.as_ref().map_or("required".to_string(), |d| format!("default {d}"));
            writeln!(out, "  {}: {} ({default})", param.name, param.ty).ok();
        }
        out.push('\n');
    }
    if !plan.sources.is_empty() {
        out.push_str("sources\n");
        for (i, source) in plan.sources.iter().enumerate() {
            writeln!(out, "  {}: {}", source.name, source_line(plan, i)).ok();
            writeln!(out, "      records {}", record_line(&source.record)).ok();
        }
        out.push('\n');
    }
    if !plan.sinks.is_empty() {
        out.push_str("sinks\n");
        for (i, sink) in plan.sinks.iter().enumerate() {
            writeln!(out, "  {}: {}", sink.name, sink_line(plan, i)).ok();
            match &sink.record {
                Some(record) => writeln!(out, "      records {}", record_line(record)).ok(),
                None => writeln!(out, "      (nothing writes to it)").ok(),
            };
            for writer in &sink.writers {
                let from = match writer {
                    Writer::Pipeline(p) => format!("pipeline {}", plan.pipeline(*p).name),
                    Writer::Late { pipeline, stage } => {
                        format!("late records of pipeline {} stage [{}]", plan.pipeline(*pipeline).name, stage + 1)
                    }
                    Writer::DeadLetters(source) => format!("dead letters of source {}", plan.source(*source).name),
                };
                writeln!(out, "      <- {from}").ok();
            }
        }
        out.push('\n');
    }
    for pipeline in &plan.pipelines {
        let inputs: Vec<String> = pipeline.inputs.iter().map(|i| input_name(plan, i)).collect();
        let union = if inputs.len() > 1 { " (union)" } else { "" };
        writeln!(out, "pipeline {}", pipeline.name).ok();
        writeln!(out, "  from {}{union}", inputs.join(", ")).ok();
        writeln!(out, "      records {}", record_line(&pipeline.input_record)).ok();
        for (i, stage) in pipeline.stages.iter().enumerate() {
            writeln!(out, "  [{}] {}", i + 1, headline(file, stage.span)).ok();
            if stage.output == stage.input {
                writeln!(out, "      records unchanged").ok();
            } else {
                writeln!(out, "      records {}", record_line(&stage.output)).ok();
            }
            if let StageKind::Aggregate { window: Some(window), .. } = &stage.kind {
                let kind = match &window.kind {
                    WindowKind::Tumbling { size } => format!("tumbling {size}"),
                    WindowKind::Sliding { size, slide } => format!("sliding {size} every {slide}"),
                    WindowKind::Session { gap } => format!("session gap {gap}"),
                };
                let time = match &window.time {
                    super::TimeSource::Event(field) => {
                        format!("event time `{field}`, watermark delay {}", window.watermark)
                    }
                    super::TimeSource::Processing => "processing time".to_string(),
                };
                let late = window.late_sink.map_or("late records counted and dropped".to_string(), |s| {
                    format!("late records -> {}", plan.sink(s).name)
                });
                writeln!(out, "      window {kind} on {time}; {late}").ok();
            }
            if let Some(state) = stage.state(plan) {
                let bound = match &state.bound {
                    StateBound::Watermark(how) => format!("bounded: {how}"),
                    StateBound::KeySpace => "UNBOUNDED: grows with the number of distinct keys".to_string(),
                    StateBound::Table => "bounded by the table's size".to_string(),
                };
                writeln!(out, "      state: {}; {bound}", state.what).ok();
            }
        }
        match &pipeline.output {
            Output::Sink(sink) => writeln!(out, "  -> to {}", plan.sink(*sink).name).ok(),
            Output::Stream => {
                let readers: Vec<String> = plan
                    .readers_of(PipelineId(plan.pipelines.iter().position(|p| std::ptr::eq(p, pipeline)).unwrap_or(0)))
                    .iter()
                    .map(|r| plan.pipeline(*r).name.clone())
                    .collect();
                if readers.is_empty() {
                    writeln!(out, "  -> named stream, not read").ok()
                } else {
                    writeln!(out, "  -> named stream, read by {}", readers.join(", ")).ok()
                }
            }
        };
        out.push('\n');
    }
    let segments = segments(plan);
    if !segments.is_empty() {
        out.push_str("fused loops (one pass per record, no queues between these stages)\n");
        for (n, segment) in segments.iter().enumerate() {
            let start = match &segment.start {
                SegmentStart::Source(id) => format!("each record of source {}", plan.source(*id).name),
                SegmentStart::Emit { pipeline, stage } => {
                    format!("each row emitted by {} [{}]", plan.pipeline(*pipeline).name, stage + 1)
                }
            };
            writeln!(out, "  #{} {start}", n + 1).ok();
            for chain in &segment.chains {
                let pipeline = plan.pipeline(chain.pipeline);
                let indent = "    ".repeat(chain.depth + 1);
                let stages: Vec<String> = chain
                    .stages
                    .clone()
                    .map(|i| {
                        let stage = &pipeline.stages[i];
                        let keyword = stage_keyword(file, stage.span);
                        if stage.kind.is_emitter() {
                            format!("[{}] {keyword} (update)", i + 1)
                        } else {
                            format!("[{}] {keyword}", i + 1)
                        }
                    })
                    .collect();
                let end = match &chain.end {
                    ChainEnd::Sink(sink) => format!("to {}", plan.sink(*sink).name),
                    ChainEnd::Aggregate(_) => "kept in state".to_string(),
                    ChainEnd::FanOut(readers) => format!(
                        "fan out to {}",
                        readers.iter().map(|r| plan.pipeline(*r).name.clone()).collect::<Vec<_>>().join(", ")
                    ),
                };
                let body = if stages.is_empty() { String::new() } else { format!("{} -> ", stages.join(" -> ")) };
                writeln!(out, "{indent}{}: {body}{end}", pipeline.name).ok();
            }
        }
    }
    out
}

fn dot_id(prefix: &str, name: &str) -> String {
    format!("\"{prefix}:{}\"", name.replace('"', "\\\""))
}

fn dot_label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The plan as a Graphviz digraph: sources, stages and sinks; dashed edges for late and dead-letter routes.
pub fn explain_dot(plan: &TypedPlan, file: &SourceFile) -> String {
    let mut out = String::from("digraph sluice {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
    for source in &plan.sources {
        writeln!(
            out,
            "  {} [shape=cylinder, label=\"{}\\n{}\"];",
            dot_id("source", &source.name),
            dot_label(&source.name),
            dot_label(&record_line(&source.record))
        )
        .ok();
    }
    for sink in &plan.sinks {
        let record = sink.record.as_ref().map(record_line).unwrap_or_default();
        writeln!(
            out,
            "  {} [shape=cylinder, style=filled, fillcolor=\"#eeeeee\", label=\"{} ({})\\n{}\"];",
            dot_id("sink", &sink.name),
            dot_label(&sink.name),
            sink.connector.kind(),
            dot_label(&record)
        )
        .ok();
    }
    for pipeline in &plan.pipelines {
        writeln!(
            out,
            "  subgraph \"cluster_{}\" {{\n    label=\"pipeline {}\";",
            dot_label(&pipeline.name),
            dot_label(&pipeline.name)
        )
        .ok();
        for (i, stage) in pipeline.stages.iter().enumerate() {
            let shape = if stage.kind.is_emitter() { "box3d" } else { "box" };
            writeln!(
                out,
                "    {} [shape={shape}, label=\"[{}] {}\\n-> {}\"];",
                dot_id(&pipeline.name, &i.to_string()),
                i + 1,
                dot_label(&headline(file, stage.span)),
                dot_label(&record_line(&stage.output))
            )
            .ok();
        }
        writeln!(out, "    {} [shape=point];\n  }}", dot_id(&pipeline.name, "out")).ok();
        let first =
            if pipeline.stages.is_empty() { dot_id(&pipeline.name, "out") } else { dot_id(&pipeline.name, "0") };
        for input in &pipeline.inputs {
            let from = match input {
                Input::Source(id) => dot_id("source", &plan.source(*id).name),
                Input::Stream(id) => dot_id(&plan.pipeline(*id).name, "out"),
            };
            writeln!(out, "  {from} -> {first};").ok();
        }
        for i in 1..=pipeline.stages.len() {
            let to = if i == pipeline.stages.len() {
                dot_id(&pipeline.name, "out")
            } else {
                dot_id(&pipeline.name, &i.to_string())
            };
            writeln!(out, "  {} -> {to};", dot_id(&pipeline.name, &(i - 1).to_string())).ok();
        }
        if let Output::Sink(sink) = pipeline.output {
            writeln!(out, "  {} -> {};", dot_id(&pipeline.name, "out"), dot_id("sink", &plan.sink(sink).name)).ok();
        }
        for (i, stage) in pipeline.stages.iter().enumerate() {
            if let StageKind::Join { table, .. } = &stage.kind {
                writeln!(
                    out,
                    "  {} -> {} [style=dotted, label=\"lookup\"];",
                    dot_id("source", &plan.source(*table).name),
                    dot_id(&pipeline.name, &i.to_string())
                )
                .ok();
            }
            if let StageKind::Aggregate { window: Some(window), .. } = &stage.kind {
                if let Some(sink) = window.late_sink {
                    writeln!(
                        out,
                        "  {} -> {} [style=dashed, label=\"late\"];",
                        dot_id(&pipeline.name, &i.to_string()),
                        dot_id("sink", &plan.sink(sink).name)
                    )
                    .ok();
                }
            }
        }
    }
    for source in &plan.sources {
        if let ErrorPolicy::DeadLetter(sink) = source.on_error {
            writeln!(
                out,
                "  {} -> {} [style=dashed, label=\"on_error\"];",
                dot_id("source", &source.name),
                dot_id("sink", &plan.sink(sink).name)
            )
            .ok();
        }
    }
    out.push_str("}\n");
    out
}
