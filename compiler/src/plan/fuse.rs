//! Fusion: which stages run together in one loop per record. A chain of
//! stages is fused from where records enter (a source, or a window emitting)
//! to where they leave (a sink, or the next aggregate, which keeps them in
//! state until it emits). A named stream does not break fusion: its readers'
//! stages run in the same loop, one after the other (fan-out).

use super::{Input, Output, PipelineId, SinkId, SourceId, TypedPlan};
use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentStart {
    Source(SourceId),
    /// An aggregate stage emitting rows (on the watermark, or a flush).
    Emit {
        pipeline: PipelineId,
        stage: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChainEnd {
    Sink(SinkId),
    /// Updates this aggregate stage's state.
    Aggregate(usize),
    /// Hands each record to the stream's readers (chains that follow in the segment).
    FanOut(Vec<PipelineId>),
}

/// A run of stages of one pipeline inside a segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub pipeline: PipelineId,
    pub stages: Range<usize>,
    pub end: ChainEnd,
    /// Nesting under fan-outs, for display.
    pub depth: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub start: SegmentStart,
    pub chains: Vec<Chain>,
}

pub fn segments(plan: &TypedPlan) -> Vec<Segment> {
    let mut out = Vec::new();
    for (i, _) in plan.sources.iter().enumerate() {
        let source = SourceId(i);
        let mut chains = Vec::new();
        for (p, pipeline) in plan.pipelines.iter().enumerate() {
            if pipeline.inputs.contains(&Input::Source(source)) {
                walk(plan, PipelineId(p), 0, 0, &mut chains);
            }
        }
        if !chains.is_empty() {
            out.push(Segment { start: SegmentStart::Source(source), chains });
        }
    }
    for (p, pipeline) in plan.pipelines.iter().enumerate() {
        for (s, stage) in pipeline.stages.iter().enumerate() {
            if stage.kind.is_emitter() {
                let mut chains = Vec::new();
                walk(plan, PipelineId(p), s + 1, 0, &mut chains);
                out.push(Segment { start: SegmentStart::Emit { pipeline: PipelineId(p), stage: s }, chains });
            }
        }
    }
    out
}

fn walk(plan: &TypedPlan, pipeline: PipelineId, from: usize, depth: usize, chains: &mut Vec<Chain>) {
    let stages = &plan.pipeline(pipeline).stages;
    if let Some(offset) = stages[from.min(stages.len())..].iter().position(|s| s.kind.is_emitter()) {
        let end = from + offset;
        chains.push(Chain { pipeline, stages: from..end + 1, end: ChainEnd::Aggregate(end), depth });
        return;
    }
    match plan.pipeline(pipeline).output {
        Output::Sink(sink) => {
            chains.push(Chain { pipeline, stages: from..stages.len(), end: ChainEnd::Sink(sink), depth })
        }
        Output::Stream => {
            let readers = plan.readers_of(pipeline);
            chains.push(Chain { pipeline, stages: from..stages.len(), end: ChainEnd::FanOut(readers.clone()), depth });
            for reader in readers {
                walk(plan, reader, 0, depth + 1, chains);
            }
        }
    }
}
